//! Reads a Moodle site's `config.php` without PHP, from its literal `$CFG->key = value;` lines.
//!
//! The file is tokenised as the small subset of PHP that config files use: comments,
//! `unset($CFG); global $CFG; $CFG = new stdClass();`, assignments to `$CFG->key` and
//! `$CFG->key['sub']`, includes, and literal values (strings, numbers, booleans, `null`,
//! `array(...)` and `[...]`). Reading stops at the `require_once(... '/lib/setup.php')`
//! line. A value that needs PHP to evaluate (`getenv()`, a constant, `.` concatenation,
//! a variable, a ternary, an assignment inside an `if` block) is kept as "unknown": it is
//! an error only when it is one of the keys in [`MoodleConfig`], and the error names the
//! line, the key and the command-line flag to pass instead.
//!
//! Passwords and salts are held in [`Secret`], which prints as `***`; no error message
//! contains the value of a string from the file unless it is a key known not to be secret.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use crate::i18n::Lang;

/// A password, salt or pepper from `config.php`: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Returns the value in clear, to connect or to hash with; never print or log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The database driver named by `$CFG->dbtype`, limited to the ones this tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbType {
    /// `'pgsql'`: PostgreSQL.
    Pgsql,
    /// `'mariadb'`: MariaDB.
    Mariadb,
    /// `'mysqli'`: MySQL.
    Mysqli,
    /// `'auroramysql'`: Amazon Aurora with the MySQL protocol.
    Auroramysql,
}

/// What this tool uses from a Moodle `config.php`.
///
/// `Debug` is safe to print: [`Secret`] fields show as `***`.
#[derive(Debug, Clone, PartialEq)]
pub struct MoodleConfig {
    /// `$CFG->dbtype`.
    pub dbtype: DbType,
    /// `$CFG->dbhost`; may be empty or `localhost` when a socket is used.
    pub dbhost: String,
    /// `$CFG->dbname`.
    pub dbname: String,
    /// `$CFG->dbuser`.
    pub dbuser: String,
    /// `$CFG->dbpass`; empty when not set.
    pub dbpass: Secret,
    /// `$CFG->prefix`, `None` when absent (Moodle's default is `mdl_`).
    pub prefix: Option<String>,
    /// `$CFG->dboptions['dbport']`; `None` when absent, `''`, `0` or `false` (driver default).
    pub dbport: Option<u16>,
    /// `$CFG->dboptions['dbsocket']`; `None` when absent, `''` or `false`, and `Some("")`
    /// when it is `true` (use the client's default socket).
    pub dbsocket: Option<String>,
    /// `$CFG->dboptions['dbschema']` (PostgreSQL `search_path`); `None` when absent or `''`.
    pub dbschema: Option<String>,
    /// `$CFG->dataroot`; `None` when absent or `''`.
    pub dataroot: Option<PathBuf>,
    /// `$CFG->filedir` as written in the file; see [`MoodleConfig::filedir`] for the
    /// directory Moodle actually uses.
    pub filedir: Option<PathBuf>,
    /// `$CFG->wwwroot`; `None` when absent, `''`, or set by an expression that needs PHP
    /// (Bitnami images build it from `$_SERVER['HTTP_HOST']`).
    pub wwwroot: Option<String>,
    /// `$CFG->siteadmins` (forced list of admin user ids, comma-separated).
    pub siteadmins: Option<String>,
    /// `$CFG->passwordsaltmain` (legacy md5 hashes, Moodle 4.2 and older).
    pub passwordsaltmain: Option<Secret>,
    /// `$CFG->passwordpeppers` sorted by key, so the last one is the current pepper.
    pub passwordpeppers: Vec<Secret>,
    /// `$CFG->sessioncookie`: appended to `MoodleSession` in the session cookie's name; when
    /// set here it wins over the `config` table's, as in Moodle.
    pub sessioncookie: Option<String>,
    /// `$CFG->session_handler_class` (`\core\session\redis`, `…\memcached`, `…\database`,
    /// `…\file`); `None` when absent or computed.
    pub session_handler_class: Option<String>,
}

impl MoodleConfig {
    /// Builds the connection URL, `postgres://user:pass@host:port/dbname` or
    /// `mysql://user:pass@host:port/dbname`, with user, password and database name
    /// percent-encoded.
    ///
    /// The port defaults to 5432 or 3306. Sockets follow Moodle's drivers:
    /// PostgreSQL uses `dbsocket` when `dbhost` is `localhost` or `127.0.0.1` (a value
    /// containing `/` is the socket directory, anything else means
    /// `/var/run/postgresql`, the directory of Debian, Ubuntu and RHEL packages), giving
    /// `postgres://user:pass@localhost/dbname?host=/dir`; MySQL uses a `dbsocket`
    /// containing `/` or `\` when `dbhost` is `localhost` or empty, giving
    /// `mysql://user:pass@localhost/dbname?socket=/path`. A PostgreSQL `dbschema` adds
    /// `options=-csearch_path%3Dschema`. The result contains the password: print
    /// [`MoodleConfig::redacted_url`] instead.
    pub fn database_url(&self) -> String {
        self.url_with_password(&percent_encode(self.dbpass.expose(), b""))
    }

    /// Returns [`MoodleConfig::database_url`] with the password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        self.url_with_password("***")
    }

    /// Returns the directory holding file contents: `$CFG->filedir`, else
    /// `$CFG->dataroot/filedir`, else `None`.
    pub fn filedir(&self) -> Option<PathBuf> {
        self.filedir
            .clone()
            .or_else(|| self.dataroot.as_ref().map(|root| root.join("filedir")))
    }

    /// Builds the URL around an already-encoded password (or `***`).
    fn url_with_password(&self, encoded_password: &str) -> String {
        let postgres = self.dbtype == DbType::Pgsql;
        let local = matches!(self.dbhost.as_str(), "localhost" | "127.0.0.1");
        let mut params: Vec<(&str, String)> = Vec::new();
        let mut host = if self.dbhost.is_empty() {
            "localhost".to_owned()
        } else if self.dbhost.parse::<Ipv6Addr>().is_ok() {
            format!("[{}]", self.dbhost)
        } else {
            self.dbhost.clone()
        };
        let mut port = Some(self.dbport.unwrap_or(if postgres { 5432 } else { 3306 }));
        match self.dbsocket.as_deref() {
            Some(socket) if postgres && local => {
                let dir = if socket.contains('/') {
                    socket
                } else {
                    "/var/run/postgresql"
                };
                params.push(("host", dir.to_owned()));
                host = "localhost".to_owned();
                port = self.dbport;
            }
            Some(socket)
                if !postgres
                    && (self.dbhost.is_empty() || self.dbhost == "localhost")
                    && (socket.contains('/') || socket.contains('\\')) =>
            {
                params.push(("socket", socket.to_owned()));
                host = "localhost".to_owned();
                port = None;
            }
            _ => {}
        }
        if postgres {
            if let Some(schema) = &self.dbschema {
                let escaped = schema.replace('\\', "\\\\").replace(' ', "\\ ");
                params.push(("options", format!("-csearch_path={escaped}")));
            }
        }
        let mut url = String::from(if postgres { "postgres://" } else { "mysql://" });
        url.push_str(&percent_encode(&self.dbuser, b""));
        if !self.dbpass.expose().is_empty() {
            url.push(':');
            url.push_str(encoded_password);
        }
        url.push('@');
        url.push_str(&host);
        if let Some(port) = port {
            url.push_str(&format!(":{port}"));
        }
        url.push('/');
        url.push_str(&percent_encode(&self.dbname, b""));
        for (i, (name, value)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&percent_encode(value, b"/"));
        }
        url
    }
}

/// Percent-encodes every byte except RFC 3986 unreserved characters and `keep`.
fn percent_encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

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

fn syntax(line: usize, problem: Syntax) -> ConfigError {
    ConfigError::Syntax { line, problem }
}

/// Keys the caller takes from command-line flags, so that `config.php` is not asked for them.
///
/// Without this, `--prefix P` could not rescue a `$CFG->prefix` that needs PHP: the
/// whole file would be refused before the flag is looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--prefix` was given: `$CFG->prefix` is not evaluated and comes back `None`.
    pub prefix: bool,
    /// `--dataroot` was given: `$CFG->dataroot` and `$CFG->filedir` are not evaluated and
    /// come back `None`.
    pub dataroot: bool,
    /// The password was given separately (`ATTESTOODLE_DB_PASSWORD`,
    /// `--db-password-file`): `$CFG->dbpass` is not evaluated and comes back empty.
    pub password: bool,
}

/// Reads and parses the `config.php` at `path`; same as [`read_with`] without overrides.
///
/// Fails with [`ConfigError::Io`] when the file cannot be read, and otherwise with the
/// errors of [`parse`] wrapped in [`ConfigError::InFile`] so that the message names the
/// path. Bytes that are not UTF-8 are accepted in comments; a string literal containing
/// them counts as needing PHP.
pub fn read(path: &Path) -> Result<MoodleConfig, ConfigError> {
    read_with(path, Overrides::default())
}

/// Reads and parses the `config.php` at `path`, leaving out the keys in `overrides`.
///
/// Fails as [`read`] does, except that the keys in `overrides` never cause an error.
pub fn read_with(path: &Path, overrides: Overrides) -> Result<MoodleConfig, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_with(&String::from_utf8_lossy(&bytes), overrides).map_err(|error| ConfigError::InFile {
        path: path.to_path_buf(),
        error: Box::new(error),
    })
}

/// Parses the text of a `config.php`.
///
/// Fails on PHP syntax that cannot be skipped safely, on a read key set by an
/// expression that needs PHP, on a database other than PostgreSQL or MariaDB/MySQL,
/// on a missing `dbtype`, `dbhost`, `dbname` or `dbuser`, and on values of the wrong kind.
pub fn parse(text: &str) -> Result<MoodleConfig, ConfigError> {
    parse_with(text, Overrides::default())
}

fn parse_with(text: &str, overrides: Overrides) -> Result<MoodleConfig, ConfigError> {
    let tokens = Lexer::new(text).tokenize()?;
    let assignments = Parser::new(tokens).run()?;
    assignments.to_config(overrides)
}

// ---------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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
struct Token {
    tok: Tok,
    line: usize,
}

/// Operators and punctuation, longest first.
const OPS: &[&str] = &[
    "<<=", ">>=", "**=", "...", "<=>", "===", "!==", "??=", "?->", "->", "=>", "::", "==", "!=",
    "<>", "<=", ">=", "&&", "||", "??", "++", "--", "+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=",
    "^=", "<<", ">>", "**", "=", ";", ",", "(", ")", "[", "]", "{", "}", ".", "?", ":", "+", "-",
    "*", "/", "%", "!", "~", "&", "|", "^", "<", ">", "@", "\\", "`", "$",
];

const COMPOUND_ASSIGN: &[&str] = &[
    "+=", "-=", "*=", "/=", ".=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", "??=",
];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn new(text: &str) -> Self {
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

    fn tokenize(mut self) -> Result<Vec<Token>, ConfigError> {
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
fn string_token(text: String, opaque: Option<Php>) -> Tok {
    match opaque {
        Some(what) => Tok::Opaque(what),
        None if text.contains('\u{fffd}') => Tok::Opaque(Php::NotUtf8),
        None => Tok::Str(text),
    }
}

/// Appends a byte escape if it is ASCII; other bytes cannot be kept in a `String`.
fn push_byte(
    text: &mut String,
    value: Result<u32, std::num::ParseIntError>,
    opaque: &mut Option<Php>,
) {
    match value.ok().filter(|v| *v < 0x80).and_then(char::from_u32) {
        Some(c) => text.push(c),
        None => *opaque = Some(Php::ByteEscape),
    }
}

// ---------------------------------------------------------------------------
// Values

#[derive(Debug, Clone, PartialEq)]
enum Value {
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
enum ArrayKey {
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
struct Element {
    key: ArrayKey,
    value: Value,
    line: usize,
}

/// One step of an assignment target such as `$CFG->dboptions['dbport']`.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(ArrayKey),
    /// `[]`: append.
    Push,
    /// An index that needs PHP.
    Unknown,
}

/// PHP's array-key conversion: decimal strings become integers.
fn key_of_str(s: &str) -> ArrayKey {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !digits.starts_with('0'));
    match s.parse::<i64>() {
        Ok(i) if canonical => ArrayKey::Int(i),
        _ => ArrayKey::Str(s.to_owned()),
    }
}

fn array_key(value: &Value) -> Option<ArrayKey> {
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

fn next_index(elements: &[Element]) -> i64 {
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
fn array_slot(elements: &mut Vec<Element>, key: Option<ArrayKey>, line: usize) -> &mut Value {
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

fn set_path(target: &mut Value, path: &[Seg], value: Value, line: usize) {
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

fn remove_path(target: &mut Value, path: &[Seg], line: usize) {
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

// ---------------------------------------------------------------------------
// Statements

/// The `$CFG` properties assigned before `lib/setup.php`.
#[derive(Debug, Default)]
struct Assignments {
    keys: BTreeMap<String, (Value, usize)>,
    /// Line of the first include of another file.
    include_line: Option<usize>,
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

const CONTROL: &[&str] = &[
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
const WITH_HEADER: &[&str] = &[
    "if", "elseif", "while", "for", "foreach", "switch", "catch", "declare", "match",
];

/// Reads `$CFG->key[...]...` at the start of `toks`: key, path, and tokens used.
fn cfg_target(toks: &[Token]) -> Option<(String, Vec<Seg>, usize)> {
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
fn matching_close(toks: &[Token], open: usize) -> Option<usize> {
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

fn is_assign_op(tok: Option<&Tok>) -> Option<&'static str> {
    match tok {
        Some(Tok::Op(op)) if *op == "=" || COMPOUND_ASSIGN.contains(op) => Some(op),
        _ => None,
    }
}

/// Where a value expression ends.
#[derive(Debug, Clone, Copy)]
enum Ctx {
    /// At `;` or `?>`.
    Statement,
    /// At `,`, `=>` or the closing bracket of the array.
    Array,
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn new(toks: Vec<Token>) -> Self {
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

    fn run(mut self) -> Result<Assignments, ConfigError> {
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
fn describe(toks: &[Token]) -> Php {
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

// ---------------------------------------------------------------------------
// From assignments to MoodleConfig

/// A value read for a key, with the line and the key's display name.
struct Found<'a> {
    value: &'a Value,
    line: usize,
    key: String,
}

impl Found<'_> {
    fn needs_php(&self) -> Option<ConfigError> {
        match self.value {
            Value::Opaque { what, line } => Some(ConfigError::NeedsPhp {
                line: *line,
                key: self.key.clone(),
                what: what.clone(),
            }),
            _ => None,
        }
    }

    fn invalid(&self, expected: Expected, secret: bool) -> ConfigError {
        let found = match self.value {
            Value::Str(_) if secret => Literal::SecretString,
            Value::Str(s) => Literal::Shown(format!("'{s}'")),
            Value::Int(i) => Literal::Shown(i.to_string()),
            Value::Float(f) => Literal::Shown(f.to_string()),
            Value::Bool(b) => Literal::Shown(b.to_string()),
            Value::Null => Literal::Shown("null".to_owned()),
            Value::Array(_) => Literal::Array,
            Value::Opaque { what, .. } => Literal::Php(what.clone()),
        };
        ConfigError::InvalidValue {
            line: self.line,
            key: self.key.clone(),
            expected,
            found,
        }
    }

    /// Converts a scalar to a string the way PHP does; `None` for `null`.
    fn string(&self, secret: bool) -> Result<Option<String>, ConfigError> {
        if let Some(error) = self.needs_php() {
            return Err(error);
        }
        Ok(match self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(true) => Some("1".to_owned()),
            Value::Bool(false) => Some(String::new()),
            Value::Null => None,
            _ => return Err(self.invalid(Expected::String, secret)),
        })
    }
}

impl Assignments {
    fn find(&self, key: &str) -> Option<Found<'_>> {
        self.keys.get(key).map(|(value, line)| Found {
            value,
            line: *line,
            key: key.to_owned(),
        })
    }

    /// A string key, `None` when absent or `null`.
    fn string(&self, key: &str, secret: bool) -> Result<Option<String>, ConfigError> {
        match self.find(key) {
            Some(found) => found.string(secret),
            None => Ok(None),
        }
    }

    /// A string key, `None` when absent, `null` or empty.
    fn non_empty(&self, key: &str) -> Result<Option<String>, ConfigError> {
        Ok(self.string(key, false)?.filter(|s| !s.is_empty()))
    }

    /// A key that must be set, with its line.
    fn required(&self, key: &'static str) -> Result<(String, usize), ConfigError> {
        let missing = || ConfigError::MissingKey {
            key,
            included: self.include_line,
        };
        let found = self.find(key).ok_or_else(missing)?;
        let text = found.string(false)?.ok_or_else(missing)?;
        Ok((text, found.line))
    }

    /// An entry of `$CFG->dboptions`.
    fn dboption(&self, name: &str) -> Result<Option<Found<'_>>, ConfigError> {
        let Some(options) = self.find("dboptions") else {
            return Ok(None);
        };
        if let Some(error) = options.needs_php() {
            return Err(error);
        }
        match options.value {
            Value::Array(elements) => Ok(elements
                .iter()
                .find(|e| e.key == ArrayKey::Str(name.to_owned()))
                .map(|e| Found {
                    value: &e.value,
                    line: e.line,
                    key: format!("dboptions['{name}']"),
                })),
            Value::Null => Ok(None),
            _ => Err(options.invalid(Expected::Array, false)),
        }
    }

    fn dbport(&self) -> Result<Option<u16>, ConfigError> {
        let Some(found) = self.dboption("dbport")? else {
            return Ok(None);
        };
        const EXPECTED: Expected = Expected::Port;
        if let Some(error) = found.needs_php() {
            return Err(error);
        }
        let number = match found.value {
            Value::Null | Value::Bool(false) => return Ok(None),
            Value::Str(s) if s.trim().is_empty() => return Ok(None),
            Value::Str(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| found.invalid(EXPECTED, false))?,
            Value::Int(i) => *i,
            _ => return Err(found.invalid(EXPECTED, false)),
        };
        match number {
            0 => Ok(None),
            n => u16::try_from(n)
                .map(Some)
                .map_err(|_| found.invalid(EXPECTED, false)),
        }
    }

    fn dbsocket(&self) -> Result<Option<String>, ConfigError> {
        let Some(found) = self.dboption("dbsocket")? else {
            return Ok(None);
        };
        match found.value {
            Value::Bool(true) => Ok(Some(String::new())),
            Value::Int(0) => Ok(None),
            _ => Ok(found.string(false)?.filter(|s| !s.is_empty())),
        }
    }

    fn dbschema(&self) -> Result<Option<String>, ConfigError> {
        match self.dboption("dbschema")? {
            Some(found) => Ok(found.string(false)?.filter(|s| !s.is_empty())),
            None => Ok(None),
        }
    }

    fn peppers(&self) -> Result<Vec<Secret>, ConfigError> {
        let Some(found) = self.find("passwordpeppers") else {
            return Ok(Vec::new());
        };
        if let Some(error) = found.needs_php() {
            return Err(error);
        }
        let elements = match found.value {
            Value::Array(elements) => elements,
            Value::Null => return Ok(Vec::new()),
            _ => return Err(found.invalid(Expected::StringArray, true)),
        };
        let mut keyed = Vec::new();
        for element in elements {
            let pepper = Found {
                value: &element.value,
                line: element.line,
                key: format!("passwordpeppers{}", element.key),
            };
            if let Some(text) = pepper.string(true)? {
                keyed.push((&element.key, Secret(text)));
            }
        }
        keyed.sort_by(|(a, _), (b, _)| match (a, b) {
            (ArrayKey::Int(a), ArrayKey::Int(b)) => a.cmp(b),
            (ArrayKey::Int(_), ArrayKey::Str(_)) => std::cmp::Ordering::Less,
            (ArrayKey::Str(_), ArrayKey::Int(_)) => std::cmp::Ordering::Greater,
            (ArrayKey::Str(a), ArrayKey::Str(b)) => a.cmp(b),
        });
        Ok(keyed.into_iter().map(|(_, pepper)| pepper).collect())
    }

    fn dbtype(&self) -> Result<DbType, ConfigError> {
        let (name, line) = self.required("dbtype")?;
        match name.to_ascii_lowercase().as_str() {
            "pgsql" => Ok(DbType::Pgsql),
            "mariadb" => Ok(DbType::Mariadb),
            "mysqli" => Ok(DbType::Mysqli),
            "auroramysql" => Ok(DbType::Auroramysql),
            "sqlsrv" | "oci" | "mssql" => {
                Err(ConfigError::UnsupportedDbType { line, dbtype: name })
            }
            _ => Err(ConfigError::UnknownDbType { line, dbtype: name }),
        }
    }

    fn to_config(&self, overrides: Overrides) -> Result<MoodleConfig, ConfigError> {
        let path = |key| -> Result<Option<PathBuf>, ConfigError> {
            if overrides.dataroot {
                return Ok(None);
            }
            Ok(self.non_empty(key)?.map(PathBuf::from))
        };
        let dbtype = self.dbtype()?;
        let (dbhost, _) = self.required("dbhost")?;
        let (dbname, dbname_line) = self.required("dbname")?;
        let (dbuser, _) = self.required("dbuser")?;
        if dbname.is_empty() {
            return Err(ConfigError::InvalidValue {
                line: dbname_line,
                key: "dbname".to_owned(),
                expected: Expected::DatabaseName,
                found: Literal::Shown("''".to_owned()),
            });
        }
        Ok(MoodleConfig {
            dbtype,
            dbhost,
            dbname,
            dbuser,
            dbpass: if overrides.password {
                Secret(String::new())
            } else {
                Secret(self.string("dbpass", true)?.unwrap_or_default())
            },
            prefix: if overrides.prefix {
                None
            } else {
                self.string("prefix", false)?
            },
            dbport: self.dbport()?,
            dbsocket: self.dbsocket()?,
            dbschema: self.dbschema()?,
            dataroot: path("dataroot")?,
            filedir: path("filedir")?,
            // Bitnami images compute wwwroot from `$_SERVER` in an `if` block; neither the
            // database nor the files need it, so that is not worth refusing the file.
            wwwroot: match self.non_empty("wwwroot") {
                Err(ConfigError::NeedsPhp { .. }) => None,
                other => other?,
            },
            siteadmins: self.non_empty("siteadmins")?,
            passwordsaltmain: self.string("passwordsaltmain", true)?.map(Secret),
            passwordpeppers: self.peppers()?,
            // Neither is needed to read or write a training: a value that needs PHP is left
            // out rather than refusing the file.
            sessioncookie: self.string("sessioncookie", false).ok().flatten(),
            session_handler_class: self.non_empty("session_handler_class").ok().flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn the_session_settings_are_read_and_a_computed_one_is_left_out() {
        let with =
            |lines: &str| INSTALLER.replacen("$CFG->prefix", &format!("{lines}\n$CFG->prefix"), 1);
        let config = parse(&with(
            "$CFG->sessioncookie = 'prod';\n$CFG->session_handler_class = '\\core\\session\\redis';",
        ))
        .expect("a config.php");
        assert_eq!(config.sessioncookie.as_deref(), Some("prod"));
        assert_eq!(
            config.session_handler_class.as_deref(),
            Some("\\core\\session\\redis")
        );
        let config = parse(&with("$CFG->sessioncookie = getenv('X');")).expect("still read");
        assert_eq!(config.sessioncookie, None);
    }

    /// A config.php as Moodle's web installer writes it (var_export layout).
    const INSTALLER: &str = r#"<?php  // Moodle configuration file

unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'pgsql';
$CFG->dblibrary = 'native';
$CFG->dbhost    = 'db.example.org';
$CFG->dbname    = 'moodle';
$CFG->dbuser    = 'moodleuser';
$CFG->dbpass    = 'S3cr3t!pw';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = array (
  'dbpersist' => 0,
  'dbport' => '',
  'dbsocket' => '',
);

$CFG->wwwroot   = 'https://moodle.example.org';
$CFG->dataroot  = '/var/moodledata';
$CFG->admin     = 'admin';

$CFG->directorypermissions = 0777;

require_once(__DIR__ . '/lib/setup.php');

// There is no php closing tag in this file,
// it is intentional because it prevents trailing whitespace problems!
"#;

    /// Builds a minimal MariaDB config with `extra` lines before the setup include.
    fn with(extra: &str) -> String {
        format!(
            "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\
             $CFG->dbtype = 'mariadb';\n$CFG->dbhost = 'localhost';\n\
             $CFG->dbname = 'moodle';\n$CFG->dbuser = 'root';\n{extra}\n\
             require_once(__DIR__ . '/lib/setup.php');\n"
        )
    }

    fn parsed(extra: &str) -> MoodleConfig {
        match parse(&with(extra)) {
            Ok(config) => config,
            Err(error) => panic!("config did not parse: {error}"),
        }
    }

    fn failed(text: &str) -> ConfigError {
        match parse(text) {
            Ok(config) => panic!("config parsed but should not: {config:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn reads_installer_layout() {
        let config = parse(INSTALLER).expect("installer config parses");
        assert_eq!(config.dbtype, DbType::Pgsql);
        assert_eq!(config.dbhost, "db.example.org");
        assert_eq!(config.dbname, "moodle");
        assert_eq!(config.dbuser, "moodleuser");
        assert_eq!(config.dbpass.expose(), "S3cr3t!pw");
        assert_eq!(config.prefix.as_deref(), Some("mdl_"));
        assert_eq!(config.dbport, None);
        assert_eq!(config.dbsocket, None);
        assert_eq!(
            config.wwwroot.as_deref(),
            Some("https://moodle.example.org")
        );
        assert_eq!(config.dataroot, Some(PathBuf::from("/var/moodledata")));
        assert_eq!(
            config.filedir(),
            Some(PathBuf::from("/var/moodledata/filedir"))
        );
        assert_eq!(
            config.database_url(),
            "postgres://moodleuser:S3cr3t%21pw@db.example.org:5432/moodle"
        );
    }

    #[test]
    fn reads_config_dist_style_with_comments_double_quotes_and_short_arrays() {
        let text = r#"<?php
///////////////////////////////////////////////////////////////////////////
// Moodle configuration file                                             //
///////////////////////////////////////////////////////////////////////////
unset($CFG);  // Ignore this line
global $CFG;  # This is it!
$CFG = new stdClass();
/* Database setup:
   $CFG->dbpass = 'not this one'; */
$CFG->dbtype    = "mysqli";      // 'pgsql', 'mariadb', 'mysqli', 'auroramysql', 'sqlsrv' or 'oci'
$CFG->dblibrary = 'native';
$CFG->dbhost    = "127.0.0.1";
$CFG->dbname    = "moodle";
$CFG->dbuser    = 'username';
$CFG->dbpass    = "pa\"ss\$word\n";
$CFG->prefix    = 'mdl_';
$CFG->dboptions = [
    'dbpersist' => false,
    'dbsocket'  => false,
    'dbport'    => 3307,
    'dbhandlesoptions' => false,
    'dbcollation' => 'utf8mb4_unicode_ci',
    'readonly' => ['instance' => ['host' => 'replica', 'dbport' => 3308]],
];
$CFG->wwwroot   = 'http://example.com/moodle';
$CFG->dataroot  = '/home/example/moodledata';
$CFG->directorypermissions = 02777;
$CFG->admin = 'admin';
// $CFG->dbpass = getenv('NOT_USED');
require_once(__DIR__ . '/lib/setup.php'); // Do not edit
"#;
        let config = parse(text).expect("config-dist style parses");
        assert_eq!(config.dbtype, DbType::Mysqli);
        assert_eq!(config.dbpass.expose(), "pa\"ss$word\n");
        assert_eq!(config.dbport, Some(3307));
        assert_eq!(config.dbsocket, None);
        assert_eq!(
            config.database_url(),
            "mysql://username:pa%22ss%24word%0A@127.0.0.1:3307/moodle"
        );
    }

    #[test]
    fn bitnami_layout_with_computed_wwwroot() {
        let text = r"<?php  // Moodle configuration file

unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'mysqli';
$CFG->dblibrary = 'native';
$CFG->dbhost    = 'localhost';
$CFG->dbname    = 'bitnami_moodle';
$CFG->dbuser    = 'bn_moodle';
$CFG->dbpass    = 'pw';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = array (
  'dbpersist' => 0,
  'dbport' => 3306,
  'dbsocket' => '/opt/bitnami/mysql/tmp/mysql.sock',
);

if (empty($_SERVER['HTTP_HOST'])) {
  $_SERVER['HTTP_HOST'] = '127.0.0.1:80';
}
if (isset($_SERVER['HTTPS']) && $_SERVER['HTTPS'] == 'on') {
  $CFG->wwwroot   = 'https://' . $_SERVER['HTTP_HOST'];
} else {
  $CFG->wwwroot   = 'http://' . $_SERVER['HTTP_HOST'];
};
$CFG->dataroot  = '/bitnami/moodledata';
$CFG->directorypermissions = 02775;
$CFG->passwordsaltmain = 'salt';
require_once(dirname(__FILE__) . '/lib/setup.php');
";
        let config = parse(text).expect("bitnami config parses");
        assert_eq!(config.wwwroot, None);
        assert_eq!(
            config.database_url(),
            "mysql://bn_moodle:pw@localhost/bitnami_moodle?socket=/opt/bitnami/mysql/tmp/mysql.sock"
        );
        assert_eq!(config.dataroot, Some(PathBuf::from("/bitnami/moodledata")));
    }

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
    fn unescapes_single_quoted_password() {
        let config = parsed(r"$CFG->dbpass = 'pa\'ss\\word\n';");
        assert_eq!(config.dbpass.expose(), r"pa'ss\word\n");
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
    fn a_password_given_separately_leaves_dbpass_unread_and_keeps_the_rest() {
        let text = INSTALLER.replace("'S3cr3t!pw'", "getenv('MOODLE_DB_PASS')");
        assert!(parse(&text).is_err(), "dbpass needs PHP");
        let overrides = Overrides {
            password: true,
            ..Overrides::default()
        };
        let config = parse_with(&text, overrides).expect("the rest of config.php is read");
        assert_eq!(config.dbpass.expose(), "");
        assert!(config.wwwroot.is_some(), "{config:?}");
        assert!(config.dataroot.is_some(), "{config:?}");
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
    fn overridden_keys_are_not_evaluated() {
        let text = with("$CFG->prefix = PREFIX;\n$CFG->dataroot = __DIR__ . '/data';");
        let error = failed(&text);
        assert!(matches!(&error, ConfigError::NeedsPhp { key, .. } if key == "prefix"));
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.php");
        std::fs::write(&path, &text).expect("write config");
        let overrides = Overrides {
            prefix: true,
            dataroot: false,
            password: false,
        };
        let error = read_with(&path, overrides).expect_err("dataroot still needs PHP");
        assert!(error.to_string().contains("`$CFG->dataroot`"), "{error}");
        let overrides = Overrides {
            prefix: true,
            dataroot: true,
            password: false,
        };
        let config = read_with(&path, overrides).expect("overridden keys are skipped");
        assert_eq!((config.prefix, config.dataroot), (None, None));
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
    fn sqlsrv_is_refused() {
        let error = failed(&INSTALLER.replace("'pgsql'", "'sqlsrv'"));
        assert!(
            matches!(&error, ConfigError::UnsupportedDbType { line: 7, dbtype } if dbtype == "sqlsrv"),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .contains("this tool reads PostgreSQL and MariaDB/MySQL Moodle sites only"));
    }

    #[test]
    fn missing_dbname_is_named() {
        let error = failed(&INSTALLER.replace("$CFG->dbname    = 'moodle';", ""));
        assert!(
            matches!(
                error,
                ConfigError::MissingKey {
                    key: "dbname",
                    included: None
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "`$CFG->dbname` is not set; pass --db URL instead (config.php is then not read: \
             pass --prefix P and --dataroot DIR too)"
        );
    }

    #[test]
    fn missing_key_mentions_an_include() {
        let text = "<?php\n$CFG->dbtype = 'pgsql';\nrequire('/etc/moodle/db.php');\n\
                    require_once(__DIR__ . '/lib/setup.php');";
        let error = failed(text);
        assert!(
            matches!(
                error,
                ConfigError::MissingKey {
                    key: "dbhost",
                    included: Some(3)
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("line 3 includes another file"));
    }

    #[test]
    fn absent_prefix_is_none() {
        assert_eq!(parsed("").prefix, None);
        assert_eq!(parsed("$CFG->prefix = '';").prefix.as_deref(), Some(""));
    }

    #[test]
    fn dbport_as_int_string_or_sub_assignment() {
        assert_eq!(
            parsed("$CFG->dboptions = array('dbport' => 5433);").dbport,
            Some(5433)
        );
        assert_eq!(
            parsed("$CFG->dboptions = array('dbport' => '5433');").dbport,
            Some(5433)
        );
        assert_eq!(
            parsed("$CFG->dboptions['dbport'] = 5433;").dbport,
            Some(5433)
        );
        let config =
            parsed("$CFG->dboptions = ['dbport' => ''];\n$CFG->dboptions['dbport'] = '5433';");
        assert_eq!(config.dbport, Some(5433));
        assert_eq!(config.database_url(), "mysql://root@localhost:5433/moodle");
    }

    #[test]
    fn bad_dbport_is_invalid_value() {
        let error = failed(&with("$CFG->dboptions = array(\n  'dbport' => 'abc',\n);"));
        assert!(
            matches!(&error, ConfigError::InvalidValue { line: 10, key, .. } if key == "dboptions['dbport']"),
            "{error:?}"
        );
        let error = failed(&with("$CFG->dboptions['dbport'] = getenv('PORT');"));
        assert!(
            matches!(&error, ConfigError::NeedsPhp { key, .. } if key == "dboptions['dbport']"),
            "{error:?}"
        );
    }

    #[test]
    fn postgres_socket_directory_and_default() {
        let pg = INSTALLER.replace("'db.example.org'", "'localhost'");
        let config =
            parse(&pg.replace("'dbsocket' => '',", "'dbsocket' => '/var/run/postgresql',"))
                .expect("socket config parses");
        assert_eq!(
            config.database_url(),
            "postgres://moodleuser:S3cr3t%21pw@localhost/moodle?host=/var/run/postgresql"
        );
        let config = parse(&pg.replace("'dbsocket' => '',", "'dbsocket' => true,"))
            .expect("socket config parses");
        assert_eq!(config.dbsocket.as_deref(), Some(""));
        assert!(config
            .database_url()
            .ends_with("@localhost/moodle?host=/var/run/postgresql"));
        // A remote host ignores the socket, as Moodle's driver does.
        let remote = INSTALLER.replace("'dbsocket' => '',", "'dbsocket' => '/tmp',");
        let config = parse(&remote).expect("remote config parses");
        assert!(config
            .database_url()
            .ends_with("@db.example.org:5432/moodle"));
    }

    #[test]
    fn mysql_socket_path() {
        let config = parsed(
            "$CFG->dbpass = 'pw';\n$CFG->dboptions = ['dbsocket' => '/run/mysqld/mysqld.sock'];",
        );
        assert_eq!(
            config.database_url(),
            "mysql://root:pw@localhost/moodle?socket=/run/mysqld/mysqld.sock"
        );
    }

    #[test]
    fn postgres_schema_becomes_search_path_option() {
        let text = INSTALLER.replace("'dbsocket' => '',", "'dbschema' => 'moodle',");
        let config = parse(&text).expect("schema config parses");
        assert_eq!(config.dbschema.as_deref(), Some("moodle"));
        assert!(
            config
                .database_url()
                .ends_with("/moodle?options=-csearch_path%3Dmoodle"),
            "{}",
            config.redacted_url()
        );
    }

    #[test]
    fn url_encodes_user_and_password() {
        let config = parsed(
            "$CFG->dbuser = 'us@r:x';\n$CFG->dbpass = 'p@ss:w/rd%';\n$CFG->dbtype = 'auroramysql';",
        );
        assert_eq!(config.dbtype, DbType::Auroramysql);
        assert_eq!(
            config.database_url(),
            "mysql://us%40r%3Ax:p%40ss%3Aw%2Frd%25@localhost:3306/moodle"
        );
        assert_eq!(
            config.redacted_url(),
            "mysql://us%40r%3Ax:***@localhost:3306/moodle"
        );
    }

    #[test]
    fn secrets_never_printed() {
        let config = parse(INSTALLER).expect("installer config parses");
        let shown = format!("{config:?} {} {}", config.dbpass, config.redacted_url());
        assert!(!shown.contains("S3cr3t!pw"), "{shown}");
        assert!(!shown.contains("S3cr3t%21pw"), "{shown}");
        // Errors elsewhere in a file holding the password.
        let broken = [
            INSTALLER.replace("'db.example.org'", "getenv('HOST')"),
            INSTALLER.replace("$CFG->dbname    = 'moodle';", ""),
            INSTALLER.replace("'pgsql'", "'oci'"),
            INSTALLER.replace("'dbport' => '',", "'dbport' => 'x',"),
            INSTALLER.replace("'dbport' => '',", "'dbport' => '' 'x',"),
            INSTALLER.replace("$CFG->admin     = 'admin';", "$CFG->admin = 'admin"),
            INSTALLER.replace("'S3cr3t!pw'", "array('S3cr3t!pw')"),
            INSTALLER.replace("'S3cr3t!pw'", "'S3cr3t!pw' . ''"),
        ];
        for text in broken {
            let error = failed(&text);
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("S3cr3t"), "{shown}");
        }
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

    #[test]
    fn peppers_salt_and_site_admins() {
        let config = parsed(
            "$CFG->passwordsaltmain = 'salt';\n$CFG->siteadmins = '2,5';\n\
             $CFG->passwordpeppers = [\n  2 => 'second',\n  1 => 'first',\n];",
        );
        let peppers: Vec<&str> = config.passwordpeppers.iter().map(Secret::expose).collect();
        assert_eq!(peppers, ["first", "second"]);
        assert_eq!(
            config.passwordsaltmain.as_ref().map(Secret::expose),
            Some("salt")
        );
        assert_eq!(config.siteadmins.as_deref(), Some("2,5"));
        let error = failed(&with("$CFG->passwordpeppers = [1 => getenv('P')];"));
        assert!(
            matches!(&error, ConfigError::NeedsPhp { key, .. } if key == "passwordpeppers[1]"),
            "{error:?}"
        );
    }

    #[test]
    fn filedir_overrides_dataroot() {
        let config = parsed("$CFG->dataroot = '/data';\n$CFG->filedir = '/nfs/files';");
        assert_eq!(config.filedir(), Some(PathBuf::from("/nfs/files")));
        assert_eq!(parsed("").filedir(), None);
    }

    #[test]
    fn close_tag_and_inline_text_are_tolerated() {
        let text = "\u{feff}<?php\n$CFG->dbtype='pgsql';$CFG->dbhost='h';?>\n<?php \
                    $CFG->dbname='n';$CFG->dbuser='u'?>\n";
        let config = parse(text).expect("close tags parse");
        assert_eq!(config.redacted_url(), "postgres://u@h:5432/n");
    }

    #[test]
    fn not_php_is_refused() {
        let error = failed("dbtype=pgsql\n");
        assert!(
            matches!(error, ConfigError::Syntax { line: 1, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn read_names_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.php");
        std::fs::write(&path, INSTALLER.replace("'pgsql'", "'sqlsrv'")).expect("write config");
        let error = read(&path).expect_err("sqlsrv is refused");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{}: line 7:", path.display())),
            "{message}"
        );
        std::fs::write(&path, INSTALLER).expect("write config");
        assert!(read(&path).is_ok());
        let missing = dir.path().join("nope.php");
        assert!(matches!(read(&missing), Err(ConfigError::Io { path, .. }) if path == missing));
    }

    #[test]
    fn non_utf8_password_needs_php_but_comments_are_fine() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.php");
        let mut bytes = b"<?php // Modifi\xe9\n".to_vec();
        bytes.extend_from_slice(with("").trim_start_matches("<?php").as_bytes());
        std::fs::write(&path, &bytes).expect("write config");
        assert!(read(&path).is_ok());
        bytes.extend_from_slice(b"\n$CFG->dbpass = 'caf\xe9';\n");
        let text = String::from_utf8_lossy(&bytes).replace("require_once", "//");
        let error = failed(&text);
        assert!(matches!(error, ConfigError::NeedsPhp { .. }), "{error:?}");
    }
}
