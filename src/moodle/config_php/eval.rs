//! The evaluator of config.php: PHP array semantics (keys, appends, `unset`) and the statement
//! walker that records every literal `$CFG->key[...] = value;` before `lib/setup.php`, keeping
//! what needs PHP as an opaque value with its line.

use std::collections::BTreeMap;
use std::fmt;

use super::error::{syntax, ConfigError, Php, Syntax};
use super::lex::{Tok, Token};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Array(Vec<Element>),
    /// Needs PHP to evaluate; `what` describes the expression.
    Opaque {
        what: Php,
        line: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ArrayKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for ArrayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayKey::Int(i) => write!(f, "[{i}]"),
            ArrayKey::Str(s) => write!(f, "['{s}']"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Element {
    /// The key, as PHP converted it.
    pub(super) key: ArrayKey,
    /// The value.
    pub(super) value: Value,
    /// The line of its last assignment.
    pub(super) line: usize,
}

/// One step of an assignment target such as `$CFG->dboptions['dbport']`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seg {
    Key(ArrayKey),
    /// `[]`: append.
    Push,
    /// An index that needs PHP.
    Unknown,
}

/// PHP's array-key conversion: decimal strings become integers.
pub(super) fn key_of_str(s: &str) -> ArrayKey {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !digits.starts_with('0'));
    match s.parse::<i64>() {
        Ok(i) if canonical => ArrayKey::Int(i),
        _ => ArrayKey::Str(s.to_owned()),
    }
}

pub(super) fn array_key(value: &Value) -> Option<ArrayKey> {
    match value {
        Value::Str(s) => Some(key_of_str(s)),
        Value::Int(i) => Some(ArrayKey::Int(*i)),
        Value::Bool(b) => Some(ArrayKey::Int(i64::from(*b))),
        Value::Null => Some(ArrayKey::Str(String::new())),
        // PHP truncates float keys; saturating is close enough for keys never read.
        Value::Float(f) => Some(ArrayKey::Int(*f as i64)),
        Value::Array(_) | Value::Opaque { .. } => None,
    }
}

pub(super) fn next_index(elements: &[Element]) -> i64 {
    elements
        .iter()
        .filter_map(|e| match e.key {
            ArrayKey::Int(i) => Some(i.saturating_add(1)),
            ArrayKey::Str(_) => None,
        })
        .max()
        .unwrap_or(0)
}

/// Sets `key` (or appends with `None`) in a PHP array, returning the element's value.
pub(super) fn array_slot(
    elements: &mut Vec<Element>,
    key: Option<ArrayKey>,
    line: usize,
) -> &mut Value {
    let key = key.unwrap_or_else(|| ArrayKey::Int(next_index(elements)));
    let index = match elements.iter().position(|e| e.key == key) {
        Some(index) => index,
        None => {
            elements.push(Element {
                key,
                value: Value::Null,
                line,
            });
            elements.len() - 1
        }
    };
    let element = &mut elements[index];
    element.line = line;
    &mut element.value
}

pub(super) fn set_path(target: &mut Value, path: &[Seg], value: Value, line: usize) {
    let Some((seg, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    let unknown = |what: Php| Value::Opaque { what, line };
    if *seg == Seg::Unknown {
        *target = unknown(Php::NonLiteralIndex);
        return;
    }
    match target {
        Value::Null | Value::Bool(false) => *target = Value::Array(Vec::new()),
        Value::Str(s) if s.is_empty() => *target = Value::Array(Vec::new()),
        Value::Array(_) | Value::Opaque { .. } => {}
        _ => *target = unknown(Php::IndexIntoNonArray),
    }
    if let Value::Array(elements) = target {
        let key = match seg {
            Seg::Key(key) => Some(key.clone()),
            _ => None,
        };
        set_path(array_slot(elements, key, line), rest, value, line);
    }
}

pub(super) fn remove_path(target: &mut Value, path: &[Seg], line: usize) {
    let Some((seg, rest)) = path.split_first() else {
        return;
    };
    match (target, seg) {
        (Value::Array(elements), Seg::Key(key)) => {
            if let Some(index) = elements.iter().position(|e| e.key == *key) {
                if rest.is_empty() {
                    elements.remove(index);
                } else {
                    remove_path(&mut elements[index].value, rest, line);
                }
            }
        }
        (Value::Opaque { .. }, _) => {}
        (target, _) => {
            *target = Value::Opaque {
                what: Php::UnsetOfNonArray,
                line,
            }
        }
    }
}

/// The `$CFG` properties assigned before `lib/setup.php`.
#[derive(Debug, Default)]
pub(super) struct Assignments {
    /// Each key with its value and the line of its last assignment.
    pub(super) keys: BTreeMap<String, (Value, usize)>,
    /// Line of the first include of another file.
    pub(super) include_line: Option<usize>,
}

impl Assignments {
    fn assign(&mut self, key: &str, path: &[Seg], value: Value, line: usize) {
        let entry = self
            .keys
            .entry(key.to_owned())
            .or_insert((Value::Null, line));
        entry.1 = line;
        set_path(&mut entry.0, path, value, line);
    }

    fn unset(&mut self, key: &str, path: &[Seg], line: usize) {
        if path.is_empty() {
            self.keys.remove(key);
        } else if let Some(entry) = self.keys.get_mut(key) {
            remove_path(&mut entry.0, path, line);
        }
    }
}

pub(super) const CONTROL: &[&str] = &[
    "if",
    "else",
    "elseif",
    "while",
    "do",
    "for",
    "foreach",
    "switch",
    "try",
    "function",
    "class",
    "interface",
    "trait",
    "enum",
    "declare",
    "match",
];

/// Control keywords followed by a `(...)` header.
pub(super) const WITH_HEADER: &[&str] = &[
    "if", "elseif", "while", "for", "foreach", "switch", "catch", "declare", "match",
];

/// Reads `$CFG->key[...]...` at the start of `toks`: key, path, and tokens used.
pub(super) fn cfg_target(toks: &[Token]) -> Option<(String, Vec<Seg>, usize)> {
    let key = match toks {
        [Token {
            tok: Tok::Var(var), ..
        }, Token {
            tok: Tok::Op("->"), ..
        }, Token {
            tok: Tok::Ident(key),
            ..
        }, ..]
            if var == "CFG" =>
        {
            key.clone()
        }
        _ => return None,
    };
    let mut i = 3;
    let mut path = Vec::new();
    while matches!(toks.get(i).map(|t| &t.tok), Some(Tok::Op("["))) {
        let inner = toks.get(i + 1).map(|t| &t.tok);
        let after = toks.get(i + 2).map(|t| &t.tok);
        match (inner, after) {
            (Some(Tok::Op("]")), _) => {
                path.push(Seg::Push);
                i += 2;
            }
            (Some(Tok::Str(s)), Some(Tok::Op("]"))) => {
                path.push(Seg::Key(key_of_str(s)));
                i += 3;
            }
            (Some(Tok::Int(n)), Some(Tok::Op("]"))) => {
                path.push(Seg::Key(ArrayKey::Int(*n)));
                i += 3;
            }
            _ => {
                path.push(Seg::Unknown);
                i = matching_close(toks, i)? + 1;
            }
        }
    }
    Some((key, path, i))
}

/// Index of the bracket closing the one at `open`.
pub(super) fn matching_close(toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in toks.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Op("(" | "[" | "{") => depth += 1,
            Tok::Op(")" | "]" | "}") => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The compound assignment operators, whose result needs PHP.
const COMPOUND_ASSIGN: &[&str] = &[
    "+=", "-=", "*=", "/=", ".=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", "??=",
];

pub(super) fn is_assign_op(tok: Option<&Tok>) -> Option<&'static str> {
    match tok {
        Some(Tok::Op(op)) if *op == "=" || COMPOUND_ASSIGN.contains(op) => Some(op),
        _ => None,
    }
}

/// Where a value expression ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ctx {
    /// At `;` or `?>`.
    Statement,
    /// At `,`, `=>` or the closing bracket of the array.
    Array,
}

pub(super) struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    pub(super) fn new(toks: Vec<Token>) -> Self {
        Parser { toks, pos: 0 }
    }

    fn tok(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn tok_at(&self, ahead: usize) -> Option<&Tok> {
        self.toks.get(self.pos + ahead).map(|t| &t.tok)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.tok(), Some(Tok::Op(o)) if *o == op)
    }

    fn ident(&self) -> Option<String> {
        match self.tok() {
            Some(Tok::Ident(word)) => Some(word.to_ascii_lowercase()),
            _ => None,
        }
    }

    /// Line of the current token, or of the last one at the end.
    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |t| t.line)
    }

    pub(super) fn run(mut self) -> Result<Assignments, ConfigError> {
        let mut store = Assignments::default();
        while let Some(tok) = self.tok() {
            let line = self.line();
            match tok {
                Tok::Op(";") | Tok::CloseTag => self.pos += 1,
                Tok::Var(var) if var == "CFG" => self.cfg_statement(&mut store)?,
                Tok::Op("{") => {
                    let start = self.pos;
                    self.skip_balanced()?;
                    self.unknown_assignments(&mut store, start, "{ }");
                }
                Tok::Ident(word) => match word.to_ascii_lowercase().as_str() {
                    "require" | "require_once" | "include" | "include_once" => {
                        let start = self.pos;
                        self.skip_statement()?;
                        let setup = self.toks[start..self.pos]
                            .iter()
                            .any(|t| matches!(&t.tok, Tok::Str(s) if s.ends_with("setup.php")));
                        if setup {
                            break;
                        }
                        store.include_line.get_or_insert(line);
                    }
                    "return" | "exit" | "die" | "__halt_compiler" => break,
                    "unset" => self.unset_statement(&mut store)?,
                    word if CONTROL.contains(&word) => {
                        let start = self.pos;
                        let keyword = word.to_owned();
                        self.control_statement()?;
                        self.unknown_assignments(&mut store, start, &keyword);
                    }
                    _ => self.skip_statement()?,
                },
                _ => self.skip_statement()?,
            }
        }
        Ok(store)
    }

    /// Handles a statement starting with `$CFG`.
    fn cfg_statement(&mut self, store: &mut Assignments) -> Result<(), ConfigError> {
        let line = self.line();
        if matches!(self.tok_at(1), Some(Tok::Op("="))) {
            // `$CFG = new stdClass();` starts from nothing.
            store.keys.clear();
            return self.skip_statement();
        }
        let Some((key, path, used)) = cfg_target(&self.toks[self.pos..]) else {
            return self.skip_statement();
        };
        self.pos += used;
        match is_assign_op(self.tok()) {
            Some("=") => {
                self.pos += 1;
                let value = self.value(Ctx::Statement)?;
                match self.tok() {
                    None | Some(Tok::Op(";") | Tok::CloseTag) => {
                        store.assign(&key, &path, value, line);
                        Ok(())
                    }
                    Some(_) => Err(syntax(self.line(), Syntax::NoSemicolon(key.clone()))),
                }
            }
            Some(op) => {
                let what = Php::CompoundAssignment(op.to_owned());
                store.assign(&key, &path, Value::Opaque { what, line }, line);
                self.skip_statement()
            }
            None => {
                if matches!(self.tok(), Some(Tok::Op("->" | "?->"))) {
                    let what = Php::PropertyAssignment;
                    store.assign(&key, &path, Value::Opaque { what, line }, line);
                }
                self.skip_statement()
            }
        }
    }

    /// Handles `unset(...)`: `$CFG` empties everything, `$CFG->key[...]` removes one entry.
    fn unset_statement(&mut self, store: &mut Assignments) -> Result<(), ConfigError> {
        let start = self.pos;
        self.skip_statement()?;
        let toks = &self.toks[start..self.pos];
        for (i, token) in toks.iter().enumerate() {
            if !matches!(&token.tok, Tok::Var(var) if var == "CFG") {
                continue;
            }
            if let Some((key, path, _)) = cfg_target(&toks[i..]) {
                store.unset(&key, &path, token.line);
            } else if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Op(")" | ","))) {
                store.keys.clear();
            }
        }
        Ok(())
    }

    /// Marks every `$CFG->key... =` between `start` and here as needing PHP.
    fn unknown_assignments(&self, store: &mut Assignments, start: usize, block: &str) {
        let toks = &self.toks[start..self.pos];
        for i in 0..toks.len() {
            if let Some((key, path, used)) = cfg_target(&toks[i..]) {
                if is_assign_op(toks.get(i + used).map(|t| &t.tok)).is_some() {
                    let line = toks[i].line;
                    let what = Php::AssignmentInBlock(block.to_string());
                    store.assign(&key, &path, Value::Opaque { what, line }, line);
                }
            }
        }
    }

    /// Skips `if (...) {...} else ...`, loops, functions and similar blocks.
    fn control_statement(&mut self) -> Result<(), ConfigError> {
        let first = self.ident().unwrap_or_default();
        loop {
            let line = self.line();
            let keyword = self.ident().unwrap_or_default();
            self.pos += 1;
            if WITH_HEADER.contains(&keyword.as_str()) && self.is_op("(") {
                self.skip_balanced()?;
            } else if !matches!(keyword.as_str(), "else" | "do" | "try" | "finally") {
                // A function, class or similar: its header runs to the `{`.
                while !self.is_op("{") {
                    if self.tok().is_none() || self.is_op(";") {
                        return Err(syntax(line, Syntax::NoBody(keyword.to_string())));
                    }
                    if self.is_op("(") || self.is_op("[") {
                        self.skip_balanced()?;
                    } else {
                        self.pos += 1;
                    }
                }
            }
            if self.is_op(":") && keyword != "function" {
                return Err(syntax(line, Syntax::AlternativeSyntax(keyword.to_string())));
            }
            if self.is_op("{") {
                self.skip_balanced()?;
            } else if self.ident().is_some_and(|w| CONTROL.contains(&w.as_str())) {
                self.control_statement()?;
            } else {
                self.skip_statement()?;
            }
            match self.ident().as_deref() {
                Some("else" | "elseif" | "catch" | "finally") => {}
                Some("while") if first == "do" => return self.skip_statement(),
                _ => return Ok(()),
            }
        }
    }

    /// Skips from an opening bracket to its closing one.
    fn skip_balanced(&mut self) -> Result<(), ConfigError> {
        let line = self.line();
        match matching_close(&self.toks, self.pos) {
            Some(close) => {
                self.pos = close + 1;
                Ok(())
            }
            None => Err(syntax(line, Syntax::UnclosedBracket)),
        }
    }

    /// Skips to just after the `;` (or `?>`) that ends the statement.
    fn skip_statement(&mut self) -> Result<(), ConfigError> {
        while let Some(token) = self.toks.get(self.pos) {
            match token.tok {
                Tok::Op(";") | Tok::CloseTag => {
                    self.pos += 1;
                    return Ok(());
                }
                Tok::Op("(" | "[" | "{") => self.skip_balanced()?,
                Tok::Op(")" | "]" | "}") => {
                    return Err(syntax(token.line, Syntax::StrayClosingBracket))
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// True at the end of a value in `ctx`.
    fn at_end(&self, ctx: Ctx) -> bool {
        matches!(
            (self.tok(), ctx),
            (None | Some(Tok::Op(";") | Tok::CloseTag), _)
                | (Some(Tok::Op("," | "=>" | ")" | "]")), Ctx::Array)
        )
    }

    /// Reads a value: a literal, or an expression kept as [`Value::Opaque`].
    fn value(&mut self, ctx: Ctx) -> Result<Value, ConfigError> {
        let start = self.pos;
        let line = self.line();
        if let Some(value) = self.literal()? {
            if self.at_end(ctx) {
                return Ok(value);
            }
        }
        self.pos = start;
        while !self.at_end(ctx) {
            match self.tok() {
                Some(Tok::Op("(" | "[" | "{")) => self.skip_balanced()?,
                Some(Tok::Op(")" | "]" | "}")) => break,
                _ => self.pos += 1,
            }
        }
        let what = describe(&self.toks[start..self.pos]);
        Ok(Value::Opaque { what, line })
    }

    /// Reads a literal value, or returns `None` (having moved anywhere) if this is not one.
    fn literal(&mut self) -> Result<Option<Value>, ConfigError> {
        let value = match self.tok() {
            Some(Tok::Str(s)) => Value::Str(s.clone()),
            Some(Tok::Int(i)) => Value::Int(*i),
            Some(Tok::Float(f)) => Value::Float(*f),
            Some(Tok::Op(sign @ ("-" | "+"))) => {
                let negate = *sign == "-";
                let value = match self.tok_at(1) {
                    Some(Tok::Int(i)) if negate => Value::Int(-*i),
                    Some(Tok::Int(i)) => Value::Int(*i),
                    Some(Tok::Float(f)) if negate => Value::Float(-*f),
                    Some(Tok::Float(f)) => Value::Float(*f),
                    _ => return Ok(None),
                };
                self.pos += 1;
                value
            }
            Some(Tok::Ident(word)) => match word.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                "array" if matches!(self.tok_at(1), Some(Tok::Op("("))) => {
                    self.pos += 2;
                    return self.array(")").map(Some);
                }
                _ => return Ok(None),
            },
            Some(Tok::Op("[")) => {
                self.pos += 1;
                return self.array("]").map(Some);
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(value))
    }

    /// Reads array elements after `array(` or `[` up to `closer`.
    fn array(&mut self, closer: &'static str) -> Result<Value, ConfigError> {
        let start_line = self.line();
        let mut elements = Vec::new();
        let mut opaque_key = None;
        loop {
            if self.is_op(closer) {
                self.pos += 1;
                break;
            }
            let line = self.line();
            if self.tok().is_none() {
                return Err(syntax(start_line, Syntax::UnclosedArray));
            }
            let first = self.value(Ctx::Array)?;
            if self.is_op("=>") {
                self.pos += 1;
                let value = self.value(Ctx::Array)?;
                match array_key(&first) {
                    Some(key) => *array_slot(&mut elements, Some(key), line) = value,
                    None => opaque_key = Some(line),
                }
            } else {
                *array_slot(&mut elements, None, line) = first;
            }
            if self.is_op(",") {
                self.pos += 1;
            } else if !self.is_op(closer) {
                return Err(syntax(self.line(), Syntax::NoComma { closer, start_line }));
            }
        }
        Ok(match opaque_key {
            Some(line) => Value::Opaque {
                what: Php::NonLiteralKey,
                line,
            },
            None => Value::Array(elements),
        })
    }
}

/// Names what PHP would have to evaluate in an expression, such as a call to `getenv()`.
pub(super) fn describe(toks: &[Token]) -> Php {
    let mut parts: Vec<Php> = Vec::new();
    let mut skip_next = false;
    for (i, token) in toks.iter().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let next = toks.get(i + 1).map(|t| &t.tok);
        let previous = i.checked_sub(1).and_then(|p| toks.get(p)).map(|t| &t.tok);
        let part = match &token.tok {
            Tok::Opaque(what) => what.clone(),
            Tok::Var(name) => Php::Variable(name.clone()),
            Tok::Ident(_) if matches!(previous, Some(Tok::Op("->" | "?->" | "::"))) => continue,
            Tok::Ident(name) => match name.to_ascii_lowercase().as_str() {
                "true" | "false" | "null" | "array" => continue,
                "new" => {
                    skip_next = true;
                    Php::ObjectCreation
                }
                _ => match next {
                    Some(Tok::Op("(")) => Php::Call(name.clone()),
                    Some(Tok::Op("::")) => Php::ClassMember(name.clone()),
                    _ => Php::Constant(name.clone()),
                },
            },
            Tok::Op("(")
                if matches!(next, Some(Tok::Ident(_)))
                    && matches!(toks.get(i + 2).map(|t| &t.tok), Some(Tok::Op(")"))) =>
            {
                skip_next = true;
                Php::Cast
            }
            Tok::Op(".") => Php::Concatenation,
            Tok::Op("?") => Php::Ternary,
            Tok::Op(
                op @ ("??" | "+" | "-" | "*" | "/" | "%" | "**" | "&&" | "||" | "!" | "==" | "!="
                | "===" | "!==" | "<" | ">" | "<=" | ">=" | "|" | "&" | "^" | "<<" | ">>"),
            ) => Php::Operator((*op).to_owned()),
            _ => continue,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    let mut parts = parts.into_iter();
    match (parts.next(), parts.next()) {
        (None, _) => Php::Expression,
        (Some(one), None) => one,
        (Some(one), Some(two)) => Php::Both(Box::new(one), Box::new(two)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use crate::i18n::Lang;

    #[test]
    fn reads_var_export_nested_arrays() {
        let config = parsed(
            "$CFG->dboptions = array (\n  'dbport' => 3310,\n  'readonly' => \n  array (\n    \
             'instance' => \n    array (\n      0 => 'replica',\n      -1 => getenv('R'),\n    ),\n  \
             ),\n);\n$CFG->passwordpeppers = array (\n  1 => 'old',\n  10 => 'new',\n);",
        );
        assert_eq!(config.dbport, Some(3310));
        let peppers: Vec<&str> = config.passwordpeppers.iter().map(Secret::expose).collect();
        assert_eq!(peppers, ["old", "new"]);
    }

    #[test]
    fn getenv_password_needs_php_and_names_line() {
        let error = failed(&with("$CFG->dbpass = getenv('MOODLE_DB_PASS');"));
        match &error {
            ConfigError::NeedsPhp { line, key, what } => {
                assert_eq!(*line, 9);
                assert_eq!(key, "dbpass");
                assert_eq!(what.localized(Lang::En), "a call to `getenv()`");
            }
            other => panic!("unexpected error {other:?}"),
        }
        let message = error.to_string();
        assert!(message.starts_with("line 9: `$CFG->dbpass`"), "{message}");
        assert!(message.contains("ATTESTOODLE_DB_PASSWORD"), "{message}");
        assert!(message.contains("--db-password-file PATH"), "{message}");
        assert!(message.contains("pass --db URL"), "{message}");
    }

    #[test]
    fn concatenation_needs_php_with_the_flag_for_the_key() {
        let error = failed(&with("$CFG->dataroot = __DIR__ . '/../moodledata';"));
        let message = error.to_string();
        assert!(
            matches!(&error, ConfigError::NeedsPhp { line: 9, key, what }
                if key == "dataroot" && what.localized(Lang::En) == "the constant `__DIR__` and a string concatenation (`.`)"),
            "{error:?}"
        );
        assert!(message.contains("--dataroot DIR"), "{message}");
        let error = failed(&with("$CFG->prefix = 'mdl' . '_';"));
        assert!(error.to_string().contains("--prefix P"), "{error}");
    }

    #[test]
    fn other_expressions_need_php() {
        let cases = [
            ("$CFG->dbhost = DB_HOST;", "the constant `DB_HOST`"),
            ("$CFG->dbhost = $host;", "the variable `$host`"),
            (
                "$CFG->dbhost = $x ? 'a' : 'b';",
                "the variable `$x` and a ternary (`? :`)",
            ),
            (
                "$CFG->dbhost = \"db-$env\";",
                "a double-quoted string with `$` interpolation",
            ),
            ("$CFG->dbhost .= '.local';", "a compound assignment (`.=`)"),
            (
                "if ($prod) {\n  $CFG->dbhost = 'prod';\n}",
                "an assignment inside a block (`if`)",
            ),
            ("$CFG->dbhost = <<<EOT\nx\nEOT;", "a heredoc string"),
        ];
        for (line, expected) in cases {
            match parse(&with(line)) {
                Err(ConfigError::NeedsPhp { key, what, .. }) => {
                    assert_eq!(
                        (key.as_str(), what.localized(Lang::En).as_str()),
                        ("dbhost", expected),
                        "{line}"
                    );
                }
                other => panic!("{line}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn expressions_for_unread_keys_are_skipped() {
        let config = parsed(
            "define('CLI_SCRIPT', true);\n\
             $CFG->sslproxy = getenv('SSL') === 'on';\n\
             $CFG->directorypermissions = 02777;\n\
             $CFG->dboptions = ['ssl' => getenv('SSL_MODE'), 'dbport' => '3310'];\n\
             $CFG->forced_plugin_settings = array('tool' => array('x' => PHP_INT_MAX));\n\
             if (getenv('DEBUG')) {\n    $CFG->debug = E_ALL;\n} else {\n    $CFG->debug = 0;\n}\n\
             @error_reporting(E_ALL | E_STRICT);\n\
             $local = __DIR__ . '/config-local.php';",
        );
        assert_eq!(config.dbport, Some(3310));
    }

    #[test]
    fn missing_comma_in_array_is_a_syntax_error() {
        let error = failed(&with("$CFG->dboptions = array(\n 'a' => 1\n 'b' => 2);"));
        assert!(
            matches!(error, ConfigError::Syntax { line: 11, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn stops_reading_at_setup() {
        let text = format!("{INSTALLER}\n$CFG->dbname = getenv('X');\n$CFG->prefix = 'late_';");
        let config = parse(&text).expect("text after setup.php is ignored");
        assert_eq!(config.prefix.as_deref(), Some("mdl_"));
    }

    #[test]
    fn later_assignment_wins_and_unset_removes() {
        let config = parsed(
            "$CFG->dbhost = getenv('H');\n$CFG->dbhost = 'db2';\n\
             $CFG->prefix = 'x_';\nunset($CFG->prefix);",
        );
        assert_eq!(config.dbhost, "db2");
        assert_eq!(config.prefix, None);
    }
}
