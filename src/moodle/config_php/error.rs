//! Why config.php cannot be read, in English and French: the line, the key, and the flag to pass
//! instead.

use std::fmt;
use std::path::PathBuf;

use crate::i18n::Lang;

/// Why `config.php` could not be turned into a [`MoodleConfig`].
///
/// Messages never contain a password, salt or pepper. Every message is said in English and
/// French by [`ConfigError::localized`] (one `match`); `Display` is the English one.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read from disk.
    Io {
        /// The file that was asked for.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// An error found in the file at `path`; [`read`] wraps every parse error in this.
    InFile {
        /// The file that was read.
        path: PathBuf,
        /// What was wrong in it.
        error: Box<ConfigError>,
    },
    /// PHP syntax this reader cannot skip safely.
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// What was found, never the text of a string.
        problem: Syntax,
    },
    /// A key this tool reads is set by an expression that needs PHP to evaluate.
    NeedsPhp {
        /// 1-based line of the expression.
        line: usize,
        /// The key, such as `dbpass` or `dboptions['dbport']`.
        key: String,
        /// What PHP would have to evaluate, such as a call to `getenv()`.
        what: Php,
    },
    /// The site uses a database this tool does not read.
    UnsupportedDbType {
        /// 1-based line of the assignment.
        line: usize,
        /// The value found, such as `sqlsrv` or `oci`.
        dbtype: String,
    },
    /// `$CFG->dbtype` is not a Moodle database type at all.
    UnknownDbType {
        /// 1-based line of the assignment.
        line: usize,
        /// The value found.
        dbtype: String,
    },
    /// A required key is not assigned before `lib/setup.php` is included.
    MissingKey {
        /// The key, such as `dbname`.
        key: &'static str,
        /// Line of the first `require`/`include` of another file, which may set it.
        included: Option<usize>,
    },
    /// A key has a literal value of the wrong kind.
    InvalidValue {
        /// 1-based line of the value.
        line: usize,
        /// The key, such as `dboptions['dbport']`.
        key: String,
        /// What Moodle expects there.
        expected: Expected,
        /// What was found; for secret keys only its kind, never its text.
        found: Literal,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl ConfigError {
    /// The message in the operator's language: the line, the key, and the flag to pass instead.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (ConfigError::Io { path, source }, Lang::En) => format!(
                "cannot read Moodle's config file {}: {}; check the path given to \
                 --moodle-config and its permissions",
                path.display(),
                crate::i18n::io_reason(source, lang)
            ),
            (ConfigError::Io { path, source }, Lang::Fr) => format!(
                "impossible de lire le fichier de configuration de Moodle {} : {} ; vérifiez le \
                 chemin donné à --moodle-config et ses droits",
                path.display(),
                crate::i18n::io_reason(source, lang)
            ),
            (ConfigError::InFile { path, error }, Lang::En) => {
                format!("{}: {}", path.display(), error.localized(lang))
            }
            (ConfigError::InFile { path, error }, Lang::Fr) => {
                format!("{} : {}", path.display(), error.localized(lang))
            }
            (ConfigError::Syntax { line, problem }, Lang::En) => format!(
                "line {line}: {}; this tool reads config.php without PHP and cannot go past this \
                 line: simplify it, or pass --db URL, --prefix P and --dataroot DIR instead",
                problem.localized(lang)
            ),
            (ConfigError::Syntax { line, problem }, Lang::Fr) => format!(
                "ligne {line} : {} ; cet outil lit config.php sans PHP et ne peut pas aller \
                 au-delà de cette ligne : simplifiez-la, ou passez plutôt --db URL, --prefix P et \
                 --dataroot DOSSIER",
                problem.localized(lang)
            ),
            (ConfigError::NeedsPhp { line, key, what }, Lang::En) => format!(
                "line {line}: `$CFG->{key}` is set with {}, which needs PHP to evaluate; {}",
                what.localized(lang),
                hint(key, lang)
            ),
            (ConfigError::NeedsPhp { line, key, what }, Lang::Fr) => format!(
                "ligne {line} : `$CFG->{key}` est calculé par {}, ce qui demande PHP ; {}",
                what.localized(lang),
                hint(key, lang)
            ),
            (ConfigError::UnsupportedDbType { line, dbtype }, Lang::En) => format!(
                "line {line}: `$CFG->dbtype` is '{dbtype}', but this tool reads PostgreSQL and \
                 MariaDB/MySQL Moodle sites only"
            ),
            (ConfigError::UnsupportedDbType { line, dbtype }, Lang::Fr) => format!(
                "ligne {line} : `$CFG->dbtype` vaut '{dbtype}', mais cet outil ne lit que les \
                 sites Moodle sous PostgreSQL et MariaDB/MySQL"
            ),
            (ConfigError::UnknownDbType { line, dbtype }, Lang::En) => format!(
                "line {line}: `$CFG->dbtype` is '{dbtype}', which is not a Moodle database type \
                 (pgsql, mariadb, mysqli, auroramysql); fix config.php or pass --db URL instead"
            ),
            (ConfigError::UnknownDbType { line, dbtype }, Lang::Fr) => format!(
                "ligne {line} : `$CFG->dbtype` vaut '{dbtype}', qui n'est pas un type de base de \
                 Moodle (pgsql, mariadb, mysqli, auroramysql) ; corrigez config.php ou passez \
                 plutôt --db URL"
            ),
            (ConfigError::MissingKey { key, included }, Lang::En) => format!(
                "`$CFG->{key}` is not set{}; {}",
                match included {
                    Some(line) => format!(
                        " (line {line} includes another file, which this tool does not read; it \
                         may be set there)"
                    ),
                    None => String::new(),
                },
                hint(key, lang)
            ),
            (ConfigError::MissingKey { key, included }, Lang::Fr) => format!(
                "`$CFG->{key}` n'est pas défini{} ; {}",
                match included {
                    Some(line) => format!(
                        " (la ligne {line} inclut un autre fichier, que cet outil ne lit pas ; il \
                         y est peut-être défini)"
                    ),
                    None => String::new(),
                },
                hint(key, lang)
            ),
            (
                ConfigError::InvalidValue {
                    line,
                    key,
                    expected,
                    found,
                },
                Lang::En,
            ) => format!(
                "line {line}: `$CFG->{key}` must be {}, not {}; {}",
                expected.localized(lang),
                found.localized(lang),
                hint(key, lang)
            ),
            (
                ConfigError::InvalidValue {
                    line,
                    key,
                    expected,
                    found,
                },
                Lang::Fr,
            ) => format!(
                "ligne {line} : `$CFG->{key}` doit être {}, pas {} ; {}",
                expected.localized(lang),
                found.localized(lang),
                hint(key, lang)
            ),
        }
    }

    /// The system's own words behind the message (`--verbose`), when there are some.
    pub fn detail(&self) -> Option<String> {
        match self {
            ConfigError::Io { source, .. } => Some(source.to_string()),
            ConfigError::InFile { error, .. } => error.detail(),
            ConfigError::Syntax { .. }
            | ConfigError::NeedsPhp { .. }
            | ConfigError::UnsupportedDbType { .. }
            | ConfigError::UnknownDbType { .. }
            | ConfigError::MissingKey { .. }
            | ConfigError::InvalidValue { .. } => None,
        }
    }
}

/// PHP syntax this reader cannot go past, said in English and French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syntax {
    /// No `<?php` at the start.
    NoOpenTag,
    /// A character PHP has no token for.
    UnexpectedCharacter(char),
    /// A `/*` comment without its `*/`.
    UnclosedComment,
    /// A string without its closing quote.
    UnclosedString {
        /// Double-quoted (else single-quoted).
        double: bool,
    },
    /// A `<<<` without a label.
    BadHeredocLabel,
    /// A heredoc without its closing label.
    UnclosedHeredoc,
    /// Something else than `;` after the value of a key.
    NoSemicolon(String),
    /// A `function`, `class`… whose `{` body cannot be found.
    NoBody(String),
    /// The `if (...):` … `endif;` form.
    AlternativeSyntax(String),
    /// A bracket never closed.
    UnclosedBracket,
    /// A closing bracket never opened.
    StrayClosingBracket,
    /// An array never closed.
    UnclosedArray,
    /// Something else than `,` or the closing bracket in an array.
    NoComma {
        /// The array's closing bracket.
        closer: &'static str,
        /// The line the array starts on.
        start_line: usize,
    },
}

impl Syntax {
    /// What was found, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Syntax::NoOpenTag, Lang::En) => {
                "no `<?php` opening tag found, so this is not a Moodle config.php".to_owned()
            }
            (Syntax::NoOpenTag, Lang::Fr) => "aucune balise d'ouverture `<?php`, ce n'est donc \
                 pas un config.php de Moodle"
                .to_owned(),
            (Syntax::UnexpectedCharacter(c), Lang::En) => format!("unexpected character {c:?}"),
            (Syntax::UnexpectedCharacter(c), Lang::Fr) => format!("caractère inattendu {c:?}"),
            (Syntax::UnclosedComment, Lang::En) => "this `/*` comment is never closed".to_owned(),
            (Syntax::UnclosedComment, Lang::Fr) => {
                "ce commentaire `/*` n'est jamais fermé".to_owned()
            }
            (Syntax::UnclosedString { double }, Lang::En) => format!(
                "this {} string is never closed",
                if *double {
                    "double-quoted"
                } else {
                    "single-quoted"
                }
            ),
            (Syntax::UnclosedString { double }, Lang::Fr) => format!(
                "cette chaîne entre {} n'est jamais fermée",
                if *double {
                    "guillemets doubles"
                } else {
                    "apostrophes"
                }
            ),
            (Syntax::BadHeredocLabel, Lang::En) => {
                "a `<<<` heredoc without a valid label".to_owned()
            }
            (Syntax::BadHeredocLabel, Lang::Fr) => {
                "un heredoc `<<<` sans étiquette valide".to_owned()
            }
            (Syntax::UnclosedHeredoc, Lang::En) => "this heredoc string is never closed".to_owned(),
            (Syntax::UnclosedHeredoc, Lang::Fr) => {
                "cette chaîne heredoc n'est jamais fermée".to_owned()
            }
            (Syntax::NoSemicolon(key), Lang::En) => {
                format!("expected `;` after the value of `$CFG->{key}`")
            }
            (Syntax::NoSemicolon(key), Lang::Fr) => {
                format!("`;` attendu après la valeur de `$CFG->{key}`")
            }
            (Syntax::NoBody(keyword), Lang::En) => {
                format!("cannot find the body of this `{keyword}`")
            }
            (Syntax::NoBody(keyword), Lang::Fr) => {
                format!("impossible de trouver le corps de ce `{keyword}`")
            }
            (Syntax::AlternativeSyntax(keyword), Lang::En) => {
                format!("the `{keyword} (...):` alternative syntax is not supported")
            }
            (Syntax::AlternativeSyntax(keyword), Lang::Fr) => {
                format!("la syntaxe alternative `{keyword} (...):` n'est pas prise en charge")
            }
            (Syntax::UnclosedBracket, Lang::En) => {
                "a bracket opened here is never closed".to_owned()
            }
            (Syntax::UnclosedBracket, Lang::Fr) => {
                "une parenthèse ou un crochet ouvert ici n'est jamais fermé".to_owned()
            }
            (Syntax::StrayClosingBracket, Lang::En) => {
                "a closing bracket that was never opened".to_owned()
            }
            (Syntax::StrayClosingBracket, Lang::Fr) => {
                "une parenthèse ou un crochet fermant qui n'a jamais été ouvert".to_owned()
            }
            (Syntax::UnclosedArray, Lang::En) => "an array opened here is never closed".to_owned(),
            (Syntax::UnclosedArray, Lang::Fr) => {
                "un tableau ouvert ici n'est jamais fermé".to_owned()
            }
            (Syntax::NoComma { closer, start_line }, Lang::En) => {
                format!("expected `,` or `{closer}` in the array that starts on line {start_line}")
            }
            (Syntax::NoComma { closer, start_line }, Lang::Fr) => format!(
                "`,` ou `{closer}` attendu dans le tableau qui commence à la ligne {start_line}"
            ),
        }
    }
}

/// What PHP would have to evaluate in a value, said in English and French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Php {
    /// A heredoc string.
    Heredoc,
    /// A double-quoted string with `$` interpolation.
    Interpolation,
    /// A `\u{}` escape that names no character.
    BadUnicodeEscape,
    /// A float PHP would round.
    RoundedNumber,
    /// An integer beyond 64 bits.
    HugeNumber,
    /// A string that is not UTF-8.
    NotUtf8,
    /// A byte escape beyond ASCII.
    ByteEscape,
    /// `.=`, `+=`…
    CompoundAssignment(String),
    /// `$CFG->a->b = …`.
    PropertyAssignment,
    /// An assignment inside `if`, `function`…
    AssignmentInBlock(String),
    /// `unset()` of something that is not a literal array.
    UnsetOfNonArray,
    /// An array key that is not a literal.
    NonLiteralKey,
    /// An array index that is not a literal.
    NonLiteralIndex,
    /// An index into something that is not an array.
    IndexIntoNonArray,
    /// A variable.
    Variable(String),
    /// `new`.
    ObjectCreation,
    /// A function call.
    Call(String),
    /// `Class::`.
    ClassMember(String),
    /// A constant.
    Constant(String),
    /// A type cast.
    Cast,
    /// `.`.
    Concatenation,
    /// `? :`.
    Ternary,
    /// Another operator.
    Operator(String),
    /// An expression of nothing more precise.
    Expression,
    /// Two of the above.
    Both(Box<Php>, Box<Php>),
}

impl Php {
    /// The expression, in the operator's language (`a call to `getenv()``).
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Php::Heredoc, Lang::En) => "a heredoc string".to_owned(),
            (Php::Heredoc, Lang::Fr) => "une chaîne heredoc".to_owned(),
            (Php::Interpolation, Lang::En) => {
                "a double-quoted string with `$` interpolation".to_owned()
            }
            (Php::Interpolation, Lang::Fr) => {
                "une chaîne entre guillemets avec une interpolation `$`".to_owned()
            }
            (Php::BadUnicodeEscape, Lang::En) => {
                "a double-quoted string with a bad `\\u{}`".to_owned()
            }
            (Php::BadUnicodeEscape, Lang::Fr) => {
                "une chaîne entre guillemets avec un `\\u{}` invalide".to_owned()
            }
            (Php::RoundedNumber, Lang::En) => "a number PHP would round".to_owned(),
            (Php::RoundedNumber, Lang::Fr) => "un nombre que PHP arrondirait".to_owned(),
            (Php::HugeNumber, Lang::En) => "a number too large for 64 bits".to_owned(),
            (Php::HugeNumber, Lang::Fr) => "un nombre trop grand pour 64 bits".to_owned(),
            (Php::NotUtf8, Lang::En) => "a string that is not valid UTF-8".to_owned(),
            (Php::NotUtf8, Lang::Fr) => "une chaîne qui n'est pas en UTF-8 valide".to_owned(),
            (Php::ByteEscape, Lang::En) => {
                "a double-quoted string with a non-ASCII byte escape".to_owned()
            }
            (Php::ByteEscape, Lang::Fr) => {
                "une chaîne entre guillemets avec un octet échappé hors ASCII".to_owned()
            }
            (Php::CompoundAssignment(op), Lang::En) => format!("a compound assignment (`{op}`)"),
            (Php::CompoundAssignment(op), Lang::Fr) => format!("une affectation composée (`{op}`)"),
            (Php::PropertyAssignment, Lang::En) => "an assignment to an object property".to_owned(),
            (Php::PropertyAssignment, Lang::Fr) => {
                "une affectation à une propriété d'objet".to_owned()
            }
            (Php::AssignmentInBlock(block), Lang::En) => {
                format!("an assignment inside a block (`{block}`)")
            }
            (Php::AssignmentInBlock(block), Lang::Fr) => {
                format!("une affectation dans un bloc (`{block}`)")
            }
            (Php::UnsetOfNonArray, Lang::En) => {
                "an `unset()` of a value that is not a literal array".to_owned()
            }
            (Php::UnsetOfNonArray, Lang::Fr) => {
                "un `unset()` d'une valeur qui n'est pas un tableau littéral".to_owned()
            }
            (Php::NonLiteralKey, Lang::En) => "an array key that is not a literal".to_owned(),
            (Php::NonLiteralKey, Lang::Fr) => {
                "une clé de tableau qui n'est pas un littéral".to_owned()
            }
            (Php::NonLiteralIndex, Lang::En) => "an array index that is not a literal".to_owned(),
            (Php::NonLiteralIndex, Lang::Fr) => {
                "un indice de tableau qui n'est pas un littéral".to_owned()
            }
            (Php::IndexIntoNonArray, Lang::En) => {
                "an index into a value that is not an array".to_owned()
            }
            (Php::IndexIntoNonArray, Lang::Fr) => {
                "un indice dans une valeur qui n'est pas un tableau".to_owned()
            }
            (Php::Variable(name), Lang::En) => format!("the variable `${name}`"),
            (Php::Variable(name), Lang::Fr) => format!("la variable `${name}`"),
            (Php::ObjectCreation, Lang::En) => "an object creation (`new`)".to_owned(),
            (Php::ObjectCreation, Lang::Fr) => "une création d'objet (`new`)".to_owned(),
            (Php::Call(name), Lang::En) => format!("a call to `{name}()`"),
            (Php::Call(name), Lang::Fr) => format!("un appel à `{name}()`"),
            (Php::ClassMember(name), Lang::En) => format!("the class member `{name}::`"),
            (Php::ClassMember(name), Lang::Fr) => format!("le membre de classe `{name}::`"),
            (Php::Constant(name), Lang::En) => format!("the constant `{name}`"),
            (Php::Constant(name), Lang::Fr) => format!("la constante `{name}`"),
            (Php::Cast, Lang::En) => "a type cast".to_owned(),
            (Php::Cast, Lang::Fr) => "une conversion de type".to_owned(),
            (Php::Concatenation, Lang::En) => "a string concatenation (`.`)".to_owned(),
            (Php::Concatenation, Lang::Fr) => "une concaténation de chaînes (`.`)".to_owned(),
            (Php::Ternary, Lang::En) => "a ternary (`? :`)".to_owned(),
            (Php::Ternary, Lang::Fr) => "un opérateur ternaire (`? :`)".to_owned(),
            (Php::Operator(op), Lang::En) => format!("the operator `{op}`"),
            (Php::Operator(op), Lang::Fr) => format!("l'opérateur `{op}`"),
            (Php::Expression, Lang::En) => "an expression".to_owned(),
            (Php::Expression, Lang::Fr) => "une expression".to_owned(),
            (Php::Both(one, two), Lang::En) => {
                format!("{} and {}", one.localized(lang), two.localized(lang))
            }
            (Php::Both(one, two), Lang::Fr) => {
                format!("{} et {}", one.localized(lang), two.localized(lang))
            }
        }
    }
}

/// What Moodle expects as the value of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A string.
    String,
    /// An array.
    Array,
    /// An array of strings.
    StringArray,
    /// A port number or `''`.
    Port,
    /// A database name (not empty).
    DatabaseName,
}

impl Expected {
    /// In the operator's language.
    pub fn localized(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Expected::String, Lang::En) => "a string",
            (Expected::String, Lang::Fr) => "une chaîne",
            (Expected::Array, Lang::En) => "an array",
            (Expected::Array, Lang::Fr) => "un tableau",
            (Expected::StringArray, Lang::En) => "an array of strings",
            (Expected::StringArray, Lang::Fr) => "un tableau de chaînes",
            (Expected::Port, Lang::En) => "a port number from 1 to 65535, or ''",
            (Expected::Port, Lang::Fr) => "un numéro de port de 1 à 65535, ou ''",
            (Expected::DatabaseName, Lang::En) => "a database name",
            (Expected::DatabaseName, Lang::Fr) => "un nom de base de données",
        }
    }
}

/// A literal value found in config.php, as a message may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// The literal as PHP writes it (`'x'`, `42`, `true`, `null`): not secret.
    Shown(String),
    /// A string of a secret key, never shown.
    SecretString,
    /// An array.
    Array,
    /// Something PHP would evaluate.
    Php(Php),
}

impl Literal {
    /// In the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Literal::Shown(text), _) => text.clone(),
            (Literal::SecretString, Lang::En) => "a string".to_owned(),
            (Literal::SecretString, Lang::Fr) => "une chaîne".to_owned(),
            (Literal::Array, Lang::En) => "an array".to_owned(),
            (Literal::Array, Lang::Fr) => "un tableau".to_owned(),
            (Literal::Php(what), lang) => what.localized(lang),
        }
    }
}

/// Says which flag replaces a key that cannot be read.
fn hint(key: &str, lang: Lang) -> &'static str {
    let top = key.split('[').next().unwrap_or(key);
    match (top, lang) {
        ("prefix", Lang::En) => "pass --prefix P instead",
        ("prefix", Lang::Fr) => "passez plutôt --prefix P",
        ("dataroot" | "filedir", Lang::En) => "pass --dataroot DIR instead",
        ("dataroot" | "filedir", Lang::Fr) => "passez plutôt --dataroot DOSSIER",
        ("dbpass", Lang::En) => {
            "give the password separately instead, in the environment variable \
             ATTESTOODLE_DB_PASSWORD or in a file named by --db-password-file PATH (the rest of \
             config.php is still read), or pass --db URL"
        }
        ("dbpass", Lang::Fr) => {
            "donnez plutôt le mot de passe à part, dans la variable d'environnement \
             ATTESTOODLE_DB_PASSWORD ou dans un fichier indiqué par --db-password-file CHEMIN \
             (le reste de config.php est lu quand même), ou passez --db URL"
        }
        ("siteadmins" | "passwordsaltmain" | "passwordpeppers", Lang::En) => {
            "write its literal value into a copy of config.php and pass that copy to \
             --moodle-config instead"
        }
        ("siteadmins" | "passwordsaltmain" | "passwordpeppers", Lang::Fr) => {
            "écrivez sa valeur littérale dans une copie de config.php et passez plutôt cette \
             copie à --moodle-config"
        }
        (_, Lang::En) => {
            "pass --db URL instead (config.php is then not read: pass --prefix P and \
             --dataroot DIR too)"
        }
        (_, Lang::Fr) => {
            "passez plutôt --db URL (config.php n'est alors pas lu : passez aussi --prefix P et \
             --dataroot DOSSIER)"
        }
    }
}

pub(super) fn syntax(line: usize, problem: Syntax) -> ConfigError {
    ConfigError::Syntax { line, problem }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::parse;
    use super::*;
    use crate::i18n::testing::two_texts;

    fn config_variant(error: &ConfigError) -> usize {
        match error {
            ConfigError::Io { .. } => 0,
            ConfigError::InFile { .. } => 1,
            ConfigError::Syntax { .. } => 2,
            ConfigError::NeedsPhp { .. } => 3,
            ConfigError::UnsupportedDbType { .. } => 4,
            ConfigError::UnknownDbType { .. } => 5,
            ConfigError::MissingKey { .. } => 6,
            ConfigError::InvalidValue { .. } => 7,
        }
    }

    // Issue 9, item 1: every config.php message exists in English and French.
    #[test]
    fn every_config_error_is_said_in_english_and_in_french() {
        let errors = [
            ConfigError::Io {
                path: PathBuf::from("/var/www/moodle/config.php"),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            ConfigError::InFile {
                path: PathBuf::from("config.php"),
                error: Box::new(ConfigError::MissingKey {
                    key: "dbhost",
                    included: Some(4),
                }),
            },
            ConfigError::Syntax {
                line: 3,
                problem: Syntax::UnclosedArray,
            },
            ConfigError::NeedsPhp {
                line: 9,
                key: "prefix".to_owned(),
                what: Php::Call("getenv".to_owned()),
            },
            ConfigError::UnsupportedDbType {
                line: 5,
                dbtype: "sqlsrv".to_owned(),
            },
            ConfigError::UnknownDbType {
                line: 5,
                dbtype: "x".to_owned(),
            },
            ConfigError::MissingKey {
                key: "dbname",
                included: None,
            },
            ConfigError::InvalidValue {
                line: 7,
                key: "dboptions['dbport']".to_owned(),
                expected: Expected::Port,
                found: Literal::Array,
            },
        ];
        let mut seen: Vec<usize> = errors.iter().map(config_variant).collect();
        seen.dedup();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        for error in &errors {
            two_texts(error.localized(Lang::En), error.localized(Lang::Fr));
            assert!(!error.localized(Lang::Fr).contains("os error"));
        }
        let syntax = [
            Syntax::NoOpenTag,
            Syntax::UnexpectedCharacter('#'),
            Syntax::UnclosedComment,
            Syntax::UnclosedString { double: true },
            Syntax::UnclosedString { double: false },
            Syntax::BadHeredocLabel,
            Syntax::UnclosedHeredoc,
            Syntax::NoSemicolon("dbhost".to_owned()),
            Syntax::NoBody("function".to_owned()),
            Syntax::AlternativeSyntax("if".to_owned()),
            Syntax::UnclosedBracket,
            Syntax::StrayClosingBracket,
            Syntax::UnclosedArray,
            Syntax::NoComma {
                closer: "]",
                start_line: 3,
            },
        ];
        for problem in &syntax {
            two_texts(problem.localized(Lang::En), problem.localized(Lang::Fr));
        }
        let php = [
            Php::Heredoc,
            Php::Interpolation,
            Php::BadUnicodeEscape,
            Php::RoundedNumber,
            Php::HugeNumber,
            Php::NotUtf8,
            Php::ByteEscape,
            Php::CompoundAssignment(".=".to_owned()),
            Php::PropertyAssignment,
            Php::AssignmentInBlock("if".to_owned()),
            Php::UnsetOfNonArray,
            Php::NonLiteralKey,
            Php::NonLiteralIndex,
            Php::IndexIntoNonArray,
            Php::Variable("x".to_owned()),
            Php::ObjectCreation,
            Php::Call("getenv".to_owned()),
            Php::ClassMember("A".to_owned()),
            Php::Constant("DB".to_owned()),
            Php::Cast,
            Php::Concatenation,
            Php::Ternary,
            Php::Operator("??".to_owned()),
            Php::Expression,
            Php::Both(Box::new(Php::Cast), Box::new(Php::Ternary)),
        ];
        for what in &php {
            two_texts(what.localized(Lang::En), what.localized(Lang::Fr));
        }
        for expected in [
            Expected::String,
            Expected::Array,
            Expected::StringArray,
            Expected::Port,
            Expected::DatabaseName,
        ] {
            two_texts(
                expected.localized(Lang::En).to_owned(),
                expected.localized(Lang::Fr).to_owned(),
            );
        }
        for found in [
            Literal::SecretString,
            Literal::Array,
            Literal::Php(Php::Cast),
        ] {
            two_texts(found.localized(Lang::En), found.localized(Lang::Fr));
        }
    }

    // Issue 9, item 1: a getenv() in config.php is said in French from the first word to the
    // last, whatever the key.
    #[test]
    fn a_getenv_is_said_in_french() {
        let error = parse(&with("$CFG->prefix = getenv('PFX');"));
        let Err(error) = error else {
            panic!("a getenv() prefix is refused");
        };
        let text = error.localized(Lang::Fr);
        assert!(
            text.contains("un appel à `getenv()`") && text.contains("passez plutôt --prefix"),
            "{text}"
        );
        assert!(
            !text.contains("needs PHP") && !text.contains("instead"),
            "{text}"
        );
    }
}
