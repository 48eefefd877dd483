//! From the assignments of config.php to what this tool uses: the database, the prefix, the
//! data directory, the site administrators and password peppers ([`MoodleConfig`]).

use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::error::{ConfigError, Expected, Literal};
use super::eval::{ArrayKey, Assignments, Value};
use super::{Overrides, Secret};

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
    /// Where the database is, as Moodle's drivers read these keys: the values the connect
    /// options are built from (`moodle::sql`), with no URL in between.
    ///
    /// The port defaults to 5432 or 3306. Sockets follow Moodle's drivers: PostgreSQL uses
    /// `dbsocket` when `dbhost` is `localhost` or `127.0.0.1` (a value containing `/` is the
    /// socket directory, anything else means `/var/run/postgresql`, the directory of Debian,
    /// Ubuntu and RHEL packages), with the port only when `dbport` gives one; MySQL uses a
    /// `dbsocket` containing `/` or `\` when `dbhost` is `localhost` or empty. A PostgreSQL
    /// `dbschema` becomes the session's `search_path`.
    pub fn database(&self) -> Database {
        let postgres = self.dbtype == DbType::Pgsql;
        let local = matches!(self.dbhost.as_str(), "localhost" | "127.0.0.1");
        let mut host = if self.dbhost.is_empty() {
            "localhost".to_owned()
        } else {
            self.dbhost.clone()
        };
        let mut port = Some(self.dbport.unwrap_or(if postgres { 5432 } else { 3306 }));
        let mut socket = None;
        match self.dbsocket.as_deref() {
            Some(given) if postgres && local => {
                let dir = if given.contains('/') {
                    given
                } else {
                    "/var/run/postgresql"
                };
                socket = Some(PathBuf::from(dir));
                host = "localhost".to_owned();
                port = self.dbport;
            }
            Some(given)
                if !postgres
                    && (self.dbhost.is_empty() || self.dbhost == "localhost")
                    && (given.contains('/') || given.contains('\\')) =>
            {
                socket = Some(PathBuf::from(given));
                host = "localhost".to_owned();
                port = None;
            }
            _ => {}
        }
        Database {
            postgres,
            host,
            port,
            socket,
            user: self.dbuser.clone(),
            password: self.dbpass.clone(),
            name: self.dbname.clone(),
            schema: self.dbschema.clone().filter(|_| postgres),
        }
    }

    /// Returns the directory holding file contents: `$CFG->filedir`, else
    /// `$CFG->dataroot/filedir`, else `None`.
    pub fn filedir(&self) -> Option<PathBuf> {
        self.filedir
            .clone()
            .or_else(|| self.dataroot.as_ref().map(|root| root.join("filedir")))
    }
}

/// Where a site's database is, from config.php (see [`MoodleConfig::database`]).
///
/// `Debug` is safe to print: the password shows as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// PostgreSQL (`pgsql`), else MariaDB/MySQL.
    pub postgres: bool,
    /// The server's host name or address (`localhost` with a socket).
    pub host: String,
    /// The port; `None` for the driver's default.
    pub port: Option<u16>,
    /// PostgreSQL: the socket directory; MySQL: the socket file.
    pub socket: Option<PathBuf>,
    /// The user; empty for the driver's default.
    pub user: String,
    /// The password; empty for none.
    pub password: Secret,
    /// The database name.
    pub name: String,
    /// PostgreSQL's `search_path` (`dboptions['dbschema']`).
    pub schema: Option<String>,
}

impl Database {
    /// The database for messages, in URL form with the password replaced by `***`:
    /// `postgres://user:***@host:5432/name`, `…@localhost/name?host=/dir` with a PostgreSQL
    /// socket, `…?socket=/path` with a MySQL one. Nothing reads it back.
    pub fn description(&self) -> String {
        let scheme = if self.postgres { "postgres" } else { "mysql" };
        let password = if self.password.expose().is_empty() {
            ""
        } else {
            ":***"
        };
        let host = if self.host.parse::<Ipv6Addr>().is_ok() {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let port = self.port.map(|port| format!(":{port}")).unwrap_or_default();
        let socket = match &self.socket {
            Some(path) if self.postgres => format!("?host={}", path.display()),
            Some(path) => format!("?socket={}", path.display()),
            None => String::new(),
        };
        format!(
            "{scheme}://{}{password}@{host}{port}/{}{socket}",
            self.user, self.name
        )
    }
}

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

    pub(super) fn to_config(&self, overrides: Overrides) -> Result<MoodleConfig, ConfigError> {
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
    use super::super::fixtures::*;
    use super::super::*;
    use std::path::{Path, PathBuf};

    /// Where a database is: host, port and socket.
    fn place(database: &Database) -> (&str, Option<u16>, Option<&Path>) {
        (
            database.host.as_str(),
            database.port,
            database.socket.as_deref(),
        )
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
            config.database(),
            Database {
                postgres: true,
                host: "db.example.org".to_owned(),
                port: Some(5432),
                socket: None,
                user: "moodleuser".to_owned(),
                password: Secret::new("S3cr3t!pw"),
                name: "moodle".to_owned(),
                schema: None,
            }
        );
        assert_eq!(
            config.database().description(),
            "postgres://moodleuser:***@db.example.org:5432/moodle"
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
        let database = config.database();
        assert!(!database.postgres);
        assert_eq!(place(&database), ("127.0.0.1", Some(3307), None));
        assert_eq!(database.password.expose(), "pa\"ss$word\n");
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
        let database = config.database();
        assert_eq!(
            place(&database),
            (
                "localhost",
                None,
                Some(Path::new("/opt/bitnami/mysql/tmp/mysql.sock"))
            )
        );
        assert_eq!(
            database.description(),
            "mysql://bn_moodle:***@localhost/bitnami_moodle?socket=/opt/bitnami/mysql/tmp/mysql.sock"
        );
        assert_eq!(config.dataroot, Some(PathBuf::from("/bitnami/moodledata")));
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
        assert_eq!(
            config.database().description(),
            "mysql://root@localhost:5433/moodle"
        );
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
        let database = config.database();
        assert_eq!(
            place(&database),
            ("localhost", None, Some(Path::new("/var/run/postgresql")))
        );
        assert_eq!(
            database.description(),
            "postgres://moodleuser:***@localhost/moodle?host=/var/run/postgresql"
        );
        let config = parse(&pg.replace("'dbsocket' => '',", "'dbsocket' => true,"))
            .expect("socket config parses");
        assert_eq!(config.dbsocket.as_deref(), Some(""));
        assert_eq!(
            config.database().socket.as_deref(),
            Some(Path::new("/var/run/postgresql"))
        );
        // A remote host ignores the socket, as Moodle's driver does.
        let remote = INSTALLER.replace("'dbsocket' => '',", "'dbsocket' => '/tmp',");
        let database = parse(&remote).expect("remote config parses").database();
        assert_eq!(place(&database), ("db.example.org", Some(5432), None));
    }

    #[test]
    fn mysql_socket_path() {
        let config = parsed(
            "$CFG->dbpass = 'pw';\n$CFG->dboptions = ['dbsocket' => '/run/mysqld/mysqld.sock'];",
        );
        let database = config.database();
        assert_eq!(
            place(&database),
            (
                "localhost",
                None,
                Some(Path::new("/run/mysqld/mysqld.sock"))
            )
        );
        // A socket file needs a local host.
        let remote = parsed(
            "$CFG->dbhost = 'db';\n$CFG->dboptions = ['dbsocket' => '/run/mysqld/mysqld.sock'];",
        );
        assert_eq!(remote.database().socket, None);
    }

    #[test]
    fn postgres_schema_becomes_search_path() {
        let text = INSTALLER.replace("'dbsocket' => '',", "'dbschema' => 'moodle',");
        let config = parse(&text).expect("schema config parses");
        assert_eq!(config.dbschema.as_deref(), Some("moodle"));
        assert_eq!(config.database().schema.as_deref(), Some("moodle"));
        let mysql = parsed("$CFG->dboptions = ['dbschema' => 'moodle'];");
        assert_eq!(mysql.database().schema, None, "MySQL has no schema");
    }

    #[test]
    fn user_and_password_are_kept_as_written() {
        let config = parsed(
            "$CFG->dbuser = 'us@r:x';\n$CFG->dbpass = 'p@ss:w/rd%';\n$CFG->dbtype = 'auroramysql';",
        );
        assert_eq!(config.dbtype, DbType::Auroramysql);
        let database = config.database();
        assert_eq!(database.user, "us@r:x");
        assert_eq!(database.password.expose(), "p@ss:w/rd%");
        assert_eq!(
            database.description(),
            "mysql://us@r:x:***@localhost:3306/moodle"
        );
        let shown = format!("{database:?}");
        assert!(!shown.contains("p@ss"), "{shown}");
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
}
