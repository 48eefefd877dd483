//! The lexer of config.php: the small subset of PHP that config files use, as tokens with
//! their line; a literal that needs PHP (a heredoc, an interpolated string…) is an opaque token.

use super::error::{syntax, ConfigError, Php, Syntax};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Var(String),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    /// A literal this reader does not evaluate; the text says what it is.
    Opaque(Php),
    Op(&'static str),
    CloseTag,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) line: usize,
}

/// Operators and punctuation, longest first.
pub(super) const OPS: &[&str] = &[
    "<<=", ">>=", "**=", "...", "<=>", "===", "!==", "??=", "?->", "->", "=>", "::", "==", "!=",
    "<>", "<=", ">=", "&&", "||", "??", "++", "--", "+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=",
    "^=", "<<", ">>", "**", "=", ";", ",", "(", ")", "[", "]", "{", "}", ".", "?", ":", "+", "-",
    "*", "/", "%", "!", "~", "&", "|", "^", "<", ">", "@", "\\", "`", "$",
];

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

pub(super) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()
}

pub(super) struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    pub(super) fn new(text: &str) -> Self {
        Lexer {
            chars: text.trim_start_matches('\u{feff}').chars().collect(),
            pos: 0,
            line: 1,
            tokens: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.peek(i) == Some(c))
    }

    fn push(&mut self, tok: Tok, line: usize) {
        self.tokens.push(Token { tok, line });
    }

    /// Skips text outside PHP up to and including the next `<?php`; false at the end.
    fn skip_inline_text(&mut self) -> bool {
        while self.pos < self.chars.len() {
            let tag: String = self.chars[self.pos..].iter().take(5).collect();
            let after = self.peek(5);
            if tag.eq_ignore_ascii_case("<?php") && after.is_none_or(char::is_whitespace) {
                self.pos += 5;
                return true;
            }
            if self.chars[self.pos] == '\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
        false
    }

    pub(super) fn tokenize(mut self) -> Result<Vec<Token>, ConfigError> {
        if !self.skip_inline_text() {
            return Err(syntax(1, Syntax::NoOpenTag));
        }
        while let Some(c) = self.peek(0) {
            let line = self.line;
            if c == '\n' {
                self.line += 1;
                self.pos += 1;
            } else if c.is_whitespace() {
                self.pos += 1;
            } else if self.starts_with("?>") {
                self.pos += 2;
                self.push(Tok::CloseTag, line);
                if !self.skip_inline_text() {
                    break;
                }
            } else if c == '#' || self.starts_with("//") {
                while let Some(c) = self.peek(0) {
                    if c == '\n' || self.starts_with("?>") {
                        break;
                    }
                    self.pos += 1;
                }
            } else if self.starts_with("/*") {
                self.block_comment(line)?;
            } else if c == '\'' {
                let tok = self.single_quoted(line)?;
                self.push(tok, line);
            } else if c == '"' {
                let tok = self.double_quoted(line)?;
                self.push(tok, line);
            } else if self.starts_with("<<<") {
                self.heredoc(line)?;
                self.push(Tok::Opaque(Php::Heredoc), line);
            } else if c == '$' && self.peek(1).is_some_and(is_ident_start) {
                self.pos += 1;
                let name = self.word(false);
                self.push(Tok::Var(name), line);
            } else if c.is_ascii_digit()
                || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
            {
                let tok = self.number();
                self.push(tok, line);
            } else if is_ident_start(c) || (c == '\\' && self.peek(1).is_some_and(is_ident_start)) {
                let name = self.word(true);
                self.push(Tok::Ident(name), line);
            } else if let Some(op) = OPS.iter().find(|op| self.starts_with(op)) {
                self.pos += op.len();
                self.push(Tok::Op(op), line);
            } else {
                return Err(syntax(line, Syntax::UnexpectedCharacter(c)));
            }
        }
        Ok(self.tokens)
    }

    fn block_comment(&mut self, line: usize) -> Result<(), ConfigError> {
        self.pos += 2;
        loop {
            match self.peek(0) {
                None => return Err(syntax(line, Syntax::UnclosedComment)),
                Some('*') if self.peek(1) == Some('/') => {
                    self.pos += 2;
                    return Ok(());
                }
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// Reads an identifier (with `\` namespace separators when `namespaced`).
    fn word(&mut self, namespaced: bool) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek(0) {
            if is_ident_char(c) || (namespaced && c == '\\') {
                word.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        word
    }

    /// Reads a string character, counting lines.
    fn string_char(&mut self, line: usize, kind: &str) -> Result<char, ConfigError> {
        let c = self.peek(0).ok_or_else(|| {
            syntax(
                line,
                Syntax::UnclosedString {
                    double: kind != "single-quoted",
                },
            )
        })?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Ok(c)
    }

    fn single_quoted(&mut self, line: usize) -> Result<Tok, ConfigError> {
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.string_char(line, "single-quoted")? {
                '\'' => break,
                '\\' if matches!(self.peek(0), Some('\\' | '\'')) => {
                    text.push(self.string_char(line, "single-quoted")?);
                }
                c => text.push(c),
            }
        }
        Ok(string_token(text, None))
    }

    fn double_quoted(&mut self, line: usize) -> Result<Tok, ConfigError> {
        const KIND: &str = "double-quoted";
        self.pos += 1;
        let mut text = String::new();
        let mut opaque = None;
        loop {
            match self.string_char(line, KIND)? {
                '"' => break,
                '\\' => {
                    let c = self.string_char(line, KIND)?;
                    match c {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        'r' => text.push('\r'),
                        'v' => text.push('\u{b}'),
                        'e' => text.push('\u{1b}'),
                        'f' => text.push('\u{c}'),
                        '\\' | '$' | '"' => text.push(c),
                        '0'..='7' => {
                            let mut digits = String::from(c);
                            while digits.len() < 3 && self.peek(0).is_some_and(|d| d.is_digit(8)) {
                                digits.push(self.string_char(line, KIND)?);
                            }
                            push_byte(&mut text, u32::from_str_radix(&digits, 8), &mut opaque);
                        }
                        'x' if self.peek(0).is_some_and(|d| d.is_ascii_hexdigit()) => {
                            let mut digits = String::new();
                            while digits.len() < 2
                                && self.peek(0).is_some_and(|d| d.is_ascii_hexdigit())
                            {
                                digits.push(self.string_char(line, KIND)?);
                            }
                            push_byte(&mut text, u32::from_str_radix(&digits, 16), &mut opaque);
                        }
                        'u' if self.peek(0) == Some('{') => {
                            self.pos += 1;
                            let mut digits = String::new();
                            loop {
                                match self.string_char(line, KIND)? {
                                    '}' => break,
                                    d => digits.push(d),
                                }
                            }
                            match u32::from_str_radix(&digits, 16)
                                .ok()
                                .and_then(char::from_u32)
                            {
                                Some(ch) => text.push(ch),
                                None => opaque = Some(Php::BadUnicodeEscape),
                            }
                        }
                        other => {
                            text.push('\\');
                            text.push(other);
                        }
                    }
                }
                '$' => {
                    if self.peek(0).is_some_and(|d| is_ident_start(d) || d == '{') {
                        opaque = Some(Php::Interpolation);
                    }
                    text.push('$');
                }
                '{' => {
                    if self.peek(0) == Some('$') {
                        opaque = Some(Php::Interpolation);
                    }
                    text.push('{');
                }
                c => text.push(c),
            }
        }
        Ok(string_token(text, opaque))
    }

    /// Skips a heredoc or nowdoc body; its value is never read.
    fn heredoc(&mut self, line: usize) -> Result<(), ConfigError> {
        self.pos += 3;
        while matches!(self.peek(0), Some(' ' | '\t')) {
            self.pos += 1;
        }
        let quote = match self.peek(0) {
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                Some(q)
            }
            _ => None,
        };
        let label = self.word(false);
        if label.is_empty() || quote.is_some_and(|q| self.peek(0) != Some(q)) {
            return Err(syntax(line, Syntax::BadHeredocLabel));
        }
        let label: Vec<char> = label.chars().collect();
        loop {
            // Move to the start of the next line.
            loop {
                match self.peek(0) {
                    None => return Err(syntax(line, Syntax::UnclosedHeredoc)),
                    Some('\n') => {
                        self.pos += 1;
                        self.line += 1;
                        break;
                    }
                    Some(_) => self.pos += 1,
                }
            }
            while matches!(self.peek(0), Some(' ' | '\t')) {
                self.pos += 1;
            }
            let ends = label
                .iter()
                .enumerate()
                .all(|(i, c)| self.peek(i) == Some(*c))
                && !self.peek(label.len()).is_some_and(is_ident_char);
            if ends {
                self.pos += label.len();
                return Ok(());
            }
        }
    }

    fn number(&mut self) -> Tok {
        let mut text = String::new();
        let radix = match (self.peek(0), self.peek(1).map(|c| c.to_ascii_lowercase())) {
            (Some('0'), Some(r @ ('x' | 'b' | 'o'))) => {
                self.pos += 2;
                match r {
                    'x' => 16,
                    'b' => 2,
                    _ => 8,
                }
            }
            _ => 10,
        };
        let mut float = false;
        while let Some(c) = self.peek(0) {
            let exponent = radix == 10
                && (c == 'e' || c == 'E')
                && match self.peek(1) {
                    Some('+' | '-') => self.peek(2).is_some_and(|d| d.is_ascii_digit()),
                    Some(d) => d.is_ascii_digit(),
                    None => false,
                };
            if c == '_' {
                self.pos += 1;
            } else if c.is_digit(radix) {
                text.push(c);
                self.pos += 1;
            } else if radix == 10
                && c == '.'
                && !float
                && self.peek(1).is_some_and(|d| d.is_ascii_digit())
            {
                float = true;
                text.push(c);
                self.pos += 1;
            } else if exponent {
                float = true;
                text.push(c);
                text.push(self.peek(1).unwrap_or('+'));
                self.pos += 2;
            } else {
                break;
            }
        }
        if float {
            return text
                .parse()
                .map_or(Tok::Opaque(Php::RoundedNumber), Tok::Float);
        }
        // A leading zero makes an octal literal, as in `02777`.
        let (digits, radix) = if radix == 10 && text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text.as_str(), radix)
        };
        if digits.is_empty() {
            return Tok::Int(0);
        }
        i64::from_str_radix(digits, radix).map_or(Tok::Opaque(Php::HugeNumber), Tok::Int)
    }
}

/// Turns a string literal into a token, refusing text that was not UTF-8.
pub(super) fn string_token(text: String, opaque: Option<Php>) -> Tok {
    match opaque {
        Some(what) => Tok::Opaque(what),
        None if text.contains('\u{fffd}') => Tok::Opaque(Php::NotUtf8),
        None => Tok::Str(text),
    }
}

/// Appends a byte escape if it is ASCII; other bytes cannot be kept in a `String`.
pub(super) fn push_byte(
    text: &mut String,
    value: Result<u32, std::num::ParseIntError>,
    opaque: &mut Option<Php>,
) {
    match value.ok().filter(|v| *v < 0x80).and_then(char::from_u32) {
        Some(c) => text.push(c),
        None => *opaque = Some(Php::ByteEscape),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures::*, parse};
    use super::*;

    #[test]
    fn reads_octal_and_other_numbers() {
        let lexed = Lexer::new("<?php 02777 0x1F 0b11 1_000 1.5 -3")
            .tokenize()
            .expect("numbers lex");
        let numbers: Vec<Tok> = lexed.into_iter().map(|t| t.tok).collect();
        assert_eq!(
            numbers,
            [
                Tok::Int(0o2777),
                Tok::Int(31),
                Tok::Int(3),
                Tok::Int(1000),
                Tok::Float(1.5),
                Tok::Op("-"),
                Tok::Int(3)
            ]
        );
    }

    #[test]
    fn unescapes_single_quoted_password() {
        let config = parsed(r"$CFG->dbpass = 'pa\'ss\\word\n';");
        assert_eq!(config.dbpass.expose(), r"pa'ss\word\n");
    }

    #[test]
    fn unterminated_string_is_a_syntax_error_with_line() {
        let text = with("").replace("require_once", "//");
        let error = failed(&format!("{text}$CFG->wwwroot = 'http://x;\n\n"));
        assert!(
            matches!(error, ConfigError::Syntax { line: 11, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn close_tag_and_inline_text_are_tolerated() {
        let text = "\u{feff}<?php\n$CFG->dbtype='pgsql';$CFG->dbhost='h';?>\n<?php \
                    $CFG->dbname='n';$CFG->dbuser='u'?>\n";
        let config = parse(text).expect("close tags parse");
        assert_eq!(
            (
                config.dbhost.as_str(),
                config.dbuser.as_str(),
                config.dbname.as_str()
            ),
            ("h", "u", "n")
        );
    }

    #[test]
    fn not_php_is_refused() {
        let error = failed("dbtype=pgsql\n");
        assert!(
            matches!(error, ConfigError::Syntax { line: 1, .. }),
            "{error:?}"
        );
    }
}
