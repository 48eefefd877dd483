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

mod error;
mod eval;
mod lex;
mod moodle;

use std::fmt;
use std::path::Path;

pub use error::{ConfigError, Expected, Literal, Php, Syntax};
pub use moodle::{Database, DbType, MoodleConfig};

use eval::Parser;
use lex::Lexer;

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

#[cfg(test)]
mod fixtures {
    use super::*;

    /// A config.php as Moodle's web installer writes it (var_export layout).
    pub(crate) const INSTALLER: &str = r#"<?php  // Moodle configuration file

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
    pub(crate) fn with(extra: &str) -> String {
        format!(
            "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\
             $CFG->dbtype = 'mariadb';\n$CFG->dbhost = 'localhost';\n\
             $CFG->dbname = 'moodle';\n$CFG->dbuser = 'root';\n{extra}\n\
             require_once(__DIR__ . '/lib/setup.php');\n"
        )
    }

    pub(crate) fn parsed(extra: &str) -> MoodleConfig {
        match parse(&with(extra)) {
            Ok(config) => config,
            Err(error) => panic!("config did not parse: {error}"),
        }
    }

    pub(crate) fn failed(text: &str) -> ConfigError {
        match parse(text) {
            Ok(config) => panic!("config parsed but should not: {config:?}"),
            Err(error) => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

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
    fn secrets_never_printed() {
        let config = parse(INSTALLER).expect("installer config parses");
        let database = config.database();
        let shown = format!(
            "{config:?} {} {database:?} {}",
            config.dbpass,
            database.description()
        );
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
