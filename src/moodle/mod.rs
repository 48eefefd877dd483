//! The Moodle database: finding it (URL, `config.php` or the embedded demo), connecting, the table
//! prefix, and typed reads named after Moodle concepts. No other module writes SQL.
//!
//! Architecture invariant: nothing outside this module names a Moodle table or column, and
//! nothing here knows the backup file.

mod auth;
pub mod config_php;
pub mod files;
pub mod fixture;
pub mod ids;
mod preview;
mod restore;
mod rows;
pub mod rules;
mod snapshot;
mod sql;
mod training;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use auth::{LoginUser, MoodleSession, DEFAULT_SESSION_TIMEOUT};
pub use preview::{ImageMissing, SiteTemplate};
pub use restore::{
    store_file_content, FileStore, InjectedFailure, LearnerValues, MilestoneLink, MilestoneValues,
    PlanningValues, RestoreTx, StyleValues, TargetTemplate, TemplateUsage, TrainingValues,
};
pub use rows::{
    CourseModuleRow, CourseRow, DetailRow, SectionRow, TemplateRow, TrainingRow, UserRow,
};
pub use snapshot::{
    LearnerRow, MilestoneRow, PlanningRow, Snapshot, SnapshotSet, StoredFile, TrainStyleRow,
    UserStyleRow, SNAPSHOT_SET_MAX,
};
pub use sql::{Backend, Param, Row, Timeouts, TxMode, Waited};
pub use training::{
    milestone_activity, Category, CategoryTree, InCategory, LearnerPage, Orphan, TrainingList,
    TrainingName, TrainingNames, TrainingSummary,
};

use crate::i18n::Lang;
use sql::{ConnectTo, Pool, Sql, Tx};

/// The file name of the embedded demo site, in the current directory.
pub const DEMO_DATABASE: &str = "attestoodle-demo.sqlite";

/// Moodle's default table prefix.
pub const DEFAULT_PREFIX: &str = "mdl_";

/// The `config` row that marks a database as a demo site made by this tool.
pub(crate) const DEMO_MARKER: &str = "attestoodle_backup_demo";

/// The Attestoodle tables a training lives in; a site without one of them is refused.
pub const REQUIRED_TABLES: [&str; 7] = [
    "tool_attestoodle_training",
    "tool_attestoodle_milestone",
    "tool_attestoodle_train_style",
    "tool_attestoodle_template",
    "tool_attestoodle_tpl_detail",
    "tool_attestoodle_learner",
    "tool_attestoodle_user_style",
];

/// Errors of the database layer.
///
/// Every message is said in English and French by [`Error::localized`] (one `match`); `Display`
/// is the English one. The driver's and the system's own words stay out of the message: they
/// are in [`Error::detail`], which `--verbose` and the server's log show.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither `--db` nor `--moodle-config`, and no demo site here.
    NoDatabase {
        /// The demo file that was looked for.
        path: PathBuf,
    },
    /// A `sqlite://` URL naming a file that does not exist.
    NoSqliteFile {
        /// The file.
        path: PathBuf,
    },
    /// A `--db` URL of a kind the tool does not read.
    BadUrl {
        /// The URL, password hidden.
        url: String,
    },
    /// A table prefix that is not a plain SQL name.
    BadPrefix {
        /// The prefix given.
        prefix: String,
        /// Whether the problem is an empty prefix on PostgreSQL.
        empty_on_postgres: bool,
    },
    /// The server could not be reached or refused the login.
    Connect {
        /// The URL, password hidden.
        url: String,
        /// `host:port` (or the socket, or the SQLite file).
        address: String,
        /// What went wrong, in a person's terms.
        failure: ConnectFailure,
        /// The server's own words when it refused, for `--verbose` (never in a default
        /// message: they are in the server's language, not the operator's).
        server_says: Option<String>,
        /// The driver's error, for `--verbose` and the server's log.
        #[source]
        source: Box<sqlx::Error>,
    },
    /// The server did not answer in time: connecting (`--connect-timeout`) or one statement
    /// (`--statement-timeout`, the transaction rolled back).
    Timeout {
        /// `host:port` (or the socket, or the SQLite file).
        address: String,
        /// What we waited for.
        waited: Waited,
        /// How long, in seconds.
        seconds: u64,
    },
    /// The database has no Attestoodle tables under this prefix.
    MissingTables {
        /// Where we looked, password hidden.
        database: String,
        /// The prefix used.
        prefix: String,
        /// The missing tables, without prefix.
        missing: Vec<String>,
        /// Whether not even Moodle's `course` table is there.
        no_moodle: bool,
    },
    /// A statement failed.
    Query {
        /// `host:port` (or the socket, or the SQLite file).
        address: String,
        /// The statement that failed (never holds a value: values are bound).
        statement: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A value of an unexpected type.
    Decode {
        /// The column.
        column: String,
        /// What was wrong, in English (for `--verbose`).
        problem: String,
    },
    /// `config.php` could not be read.
    Config(#[source] config_php::ConfigError),
    /// A failure made on purpose by a test hook (`fail_after_statements`), to prove that a
    /// write transaction leaves nothing behind.
    InjectedFailure {
        /// The number of write statements that ran before it.
        after: usize,
    },
    /// Moodle's file store could not be written.
    FileStore {
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another restore holds the lock of a training or template name for too long.
    Busy {
        /// The training or template name.
        name: String,
        /// How long we waited.
        seconds: i64,
    },
    /// The demo refuses to seed a database that it did not create.
    NotADemoSite {
        /// The file.
        path: PathBuf,
    },
}

impl From<config_php::ConfigError> for Error {
    fn from(error: config_php::ConfigError) -> Error {
        Error::Config(error)
    }
}

/// The English message; the alternate form (`{:#}`, the server's log) adds the raw detail.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))?;
        match self.detail() {
            Some(detail) if f.alternate() => write!(f, " [detail: {detail}]"),
            _ => Ok(()),
        }
    }
}

impl Error {
    /// The message in the operator's language: what failed, on what, and what to do.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Error::NoDatabase { path }, Lang::En) => format!(
                "no database given, and there is no demo site {} here: run `attestoodle-backup \
                 demo` to create it, or point at a Moodle site with `--moodle-config \
                 /path/to/config.php` or `--db URL` (postgres://, mysql://, mariadb://, \
                 sqlite://PATH)",
                path.display()
            ),
            (Error::NoDatabase { path }, Lang::Fr) => format!(
                "aucune base de données indiquée, et pas de site de démonstration {} ici : lancez \
                 `attestoodle-backup demo` pour le créer, ou indiquez un site Moodle avec \
                 `--moodle-config /chemin/vers/config.php` ou `--db URL` (postgres://, mysql://, \
                 mariadb://, sqlite://CHEMIN)",
                path.display()
            ),
            (Error::NoSqliteFile { path }, Lang::En) => format!(
                "the SQLite database {} does not exist: check the path, or run \
                 `attestoodle-backup demo` to create the demo site",
                path.display()
            ),
            (Error::NoSqliteFile { path }, Lang::Fr) => format!(
                "la base SQLite {} n'existe pas : vérifiez le chemin, ou lancez \
                 `attestoodle-backup demo` pour créer le site de démonstration",
                path.display()
            ),
            (Error::BadUrl { url }, Lang::En) => format!(
                "the database URL `{url}` is not one this tool reads: use postgres://USER@HOST/DB, \
                 mysql://USER@HOST/DB (also mariadb://), or sqlite://PATH"
            ),
            (Error::BadUrl { url }, Lang::Fr) => format!(
                "l'URL de base de données `{url}` n'est pas prise en charge : utilisez \
                 postgres://UTILISATEUR@HÔTE/BASE, mysql://UTILISATEUR@HÔTE/BASE (ou mariadb://), \
                 ou sqlite://CHEMIN"
            ),
            (
                Error::BadPrefix {
                    prefix,
                    empty_on_postgres,
                },
                Lang::En,
            ) => format!(
                "the table prefix `{prefix}` is not valid: it must be lower-case letters, digits \
                 and `_`, starting with a letter (Moodle's default is `mdl_`){}",
                if *empty_on_postgres {
                    "; PostgreSQL sites cannot have an empty prefix"
                } else {
                    ""
                }
            ),
            (
                Error::BadPrefix {
                    prefix,
                    empty_on_postgres,
                },
                Lang::Fr,
            ) => format!(
                "le préfixe de tables `{prefix}` n'est pas valide : lettres minuscules, chiffres \
                 et `_`, en commençant par une lettre (par défaut Moodle utilise `mdl_`){}",
                if *empty_on_postgres {
                    " ; un site PostgreSQL ne peut pas avoir de préfixe vide"
                } else {
                    ""
                }
            ),
            (
                Error::Connect {
                    url,
                    address,
                    failure,
                    ..
                },
                lang,
            ) => connect_message(url, address, *failure, lang),
            (
                Error::Timeout {
                    address,
                    waited,
                    seconds,
                },
                lang,
            ) => timeout_message(address, *waited, *seconds, lang),
            (
                Error::MissingTables {
                    database,
                    prefix,
                    missing,
                    no_moodle,
                },
                lang,
            ) => {
                let tables = missing
                    .iter()
                    .map(|t| format!("{prefix}{t}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                match lang {
                    Lang::En => format!(
                        "{database} is not a Moodle site with Attestoodle installed under the \
                         table prefix `{prefix}`: missing table{} {tables}{}",
                        if missing.len() > 1 { "s" } else { "" },
                        if *no_moodle {
                            ". There is no Moodle table with this prefix at all: check \
                             `--prefix` (or `$CFG->prefix` in config.php)"
                        } else {
                            ". Install the Moodle plugin tool_attestoodle, or check `--prefix`"
                        }
                    ),
                    Lang::Fr => format!(
                        "{database} n'est pas un site Moodle où Attestoodle est installé avec le \
                         préfixe `{prefix}` : table(s) manquante(s) {tables}. {}",
                        if *no_moodle {
                            "Aucune table Moodle n'a ce préfixe : vérifiez `--prefix` (ou \
                             `$CFG->prefix` dans config.php)"
                        } else {
                            "Installez le plugin Moodle tool_attestoodle, ou vérifiez `--prefix`"
                        }
                    ),
                }
            }
            (
                Error::Query {
                    address,
                    statement,
                    source,
                },
                lang,
            ) => query_message(address, statement, &QueryFailure::of(source), lang),
            (Error::Decode { column, .. }, Lang::En) => format!(
                "the database holds a value this tool cannot read in the column `{column}`: this \
                 Moodle's schema is not the one the tool expects; run the command again with \
                 --verbose to see what was found, and report it"
            ),
            (Error::Decode { column, .. }, Lang::Fr) => format!(
                "la base de données contient dans la colonne `{column}` une valeur que cet outil \
                 ne sait pas lire : le schéma de ce Moodle n'est pas celui qu'il attend ; \
                 relancez la commande avec --verbose pour voir ce qui a été trouvé, et \
                 signalez-le"
            ),
            (Error::Config(config), lang) => config.localized(lang),
            (Error::InjectedFailure { after }, Lang::En) => format!(
                "failure injected after {after} write statements (a test hook); nothing was kept"
            ),
            (Error::InjectedFailure { after }, Lang::Fr) => format!(
                "échec provoqué après {after} écritures (point d'injection de test) ; rien n'a été \
                 conservé"
            ),
            (Error::FileStore { path, source }, Lang::En) => format!(
                "cannot write the template image into Moodle's file store {}: {}; check the \
                 permissions of the data directory (--dataroot), or accept `background-skipped`",
                path.display(),
                crate::i18n::io_reason(source, Lang::En)
            ),
            (Error::FileStore { path, source }, Lang::Fr) => format!(
                "impossible d'écrire l'image du modèle dans le stockage de fichiers de Moodle {} : \
                 {} ; vérifiez les droits du répertoire de données (--dataroot), ou acceptez \
                 `background-skipped`",
                path.display(),
                crate::i18n::io_reason(source, Lang::Fr)
            ),
            (Error::Busy { name, seconds }, Lang::En) => format!(
                "another restore of `{name}` has been running for {seconds} s and holds its lock; \
                 wait for it to finish, then run this one again"
            ),
            (Error::Busy { name, seconds }, Lang::Fr) => format!(
                "une autre restauration de `{name}` tient son verrou depuis {seconds} s ; attendez \
                 qu'elle se termine, puis relancez celle-ci"
            ),
            (Error::NotADemoSite { path }, Lang::En) => format!(
                "{} exists but is not a demo site made by this tool: the demo only ever writes its \
                 own file; move that file away or run the demo in another directory",
                path.display()
            ),
            (Error::NotADemoSite { path }, Lang::Fr) => format!(
                "{} existe mais n'est pas un site de démonstration créé par cet outil : la \
                 démonstration n'écrit que dans son propre fichier ; déplacez ce fichier ou \
                 lancez la démonstration dans un autre répertoire",
                path.display()
            ),
        }
    }

    /// The raw detail behind the message — the driver's, the server's, the parser's or the
    /// system's own words — for `--verbose` and the server's log; `None` when the message says
    /// everything.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::Connect {
                server_says,
                source,
                ..
            } => Some(match server_says {
                Some(says) => format!("{says} ({source})"),
                None => source.to_string(),
            }),
            Error::Query {
                statement, source, ..
            } => Some(format!("{source} (statement: {statement})")),
            Error::Decode { column, problem } => Some(format!("column `{column}`: {problem}")),
            Error::Config(config) => config.detail(),
            Error::FileStore { source, .. } => Some(source.to_string()),
            Error::NoDatabase { .. }
            | Error::NoSqliteFile { .. }
            | Error::BadUrl { .. }
            | Error::BadPrefix { .. }
            | Error::Timeout { .. }
            | Error::MissingTables { .. }
            | Error::InjectedFailure { .. }
            | Error::Busy { .. }
            | Error::NotADemoSite { .. } => None,
        }
    }
}

/// What went wrong with a statement, as the operator can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum QueryFailure {
    /// A SQLite file that is not a database at all (SQLITE_NOTADB).
    NotADatabase,
    /// A SQLite file that is damaged (SQLITE_CORRUPT).
    Damaged,
    /// The schema lacks a column the tool reads.
    NoSuchColumn(String),
    /// The schema lacks a table the tool reads.
    NoSuchTable,
    /// The database user may not do this.
    Denied,
    /// The database (or the file) is read-only.
    ReadOnly,
    /// The connection was lost.
    Lost,
    /// Anything else.
    Other,
}

impl QueryFailure {
    fn of(error: &sqlx::Error) -> QueryFailure {
        match error {
            sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::PoolClosed => {
                QueryFailure::Lost
            }
            sqlx::Error::Database(db) => {
                let code = match db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                    Some(mysql) => mysql.number().to_string(),
                    None => db.code().map(|c| c.into_owned()).unwrap_or_default(),
                };
                let message = db.message();
                match code.as_str() {
                    // SQLITE_NOTADB and SQLITE_CORRUPT (with their extended codes).
                    "26" => QueryFailure::NotADatabase,
                    "11" | "267" | "523" | "779" => QueryFailure::Damaged,
                    // SQLITE_READONLY and extended; PostgreSQL read_only_sql_transaction.
                    "8" | "264" | "520" | "776" | "1032" | "25006" => QueryFailure::ReadOnly,
                    // PostgreSQL undefined_column, MySQL ER_BAD_FIELD_ERROR.
                    "42703" | "1054" => QueryFailure::NoSuchColumn(column_named(message)),
                    // PostgreSQL undefined_table, MySQL ER_NO_SUCH_TABLE.
                    "42P01" | "1146" => QueryFailure::NoSuchTable,
                    // PostgreSQL insufficient_privilege; MySQL table/column access denied.
                    "42501" | "1142" | "1143" | "1227" => QueryFailure::Denied,
                    _ if message.starts_with("no such column") => {
                        QueryFailure::NoSuchColumn(column_named(message))
                    }
                    _ if message.starts_with("no such table") => QueryFailure::NoSuchTable,
                    _ => QueryFailure::Other,
                }
            }
            _ => QueryFailure::Other,
        }
    }
}

/// The column a driver's "no such column" message names, as written in the statement
/// (`cm.section`): between quotes, after a colon, or after the word `column`.
fn column_named(message: &str) -> String {
    let quoted = message
        .split(['\'', '"'])
        .nth(1)
        .filter(|name| !name.is_empty());
    let named = quoted.or_else(|| {
        message.split_once(": ").map(|(_, name)| name).or_else(|| {
            message
                .split_whitespace()
                .skip_while(|word| *word != "column")
                .nth(1)
        })
    });
    named.unwrap_or("?").trim().to_owned()
}

/// The tables a statement names (after `FROM`, `JOIN`, `INTO`, `UPDATE`), in order, once each.
fn statement_tables(statement: &str) -> Vec<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let mut tables: Vec<String> = Vec::new();
    for pair in words.windows(2) {
        let keyword = pair[0].to_ascii_uppercase();
        if matches!(keyword.as_str(), "FROM" | "JOIN" | "INTO" | "UPDATE") {
            let name: String = pair[1]
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !name.eq_ignore_ascii_case("select") && !tables.contains(&name) {
                tables.push(name);
            }
        }
    }
    tables
}

/// One sentence for a failed statement: what failed, on what, what to do.
fn query_message(address: &str, statement: &str, failure: &QueryFailure, lang: Lang) -> String {
    let tables = statement_tables(statement).join(", ");
    let on = match (tables.is_empty(), lang) {
        (true, _) => String::new(),
        (false, Lang::En) => format!(" (table {tables})"),
        (false, Lang::Fr) => format!(" (table {tables})"),
    };
    match (failure, lang) {
        (QueryFailure::NotADatabase, Lang::En) => format!(
            "{address} is not a SQLite database (another kind of file, or an encrypted one): \
             check the path given to --db sqlite://PATH"
        ),
        (QueryFailure::NotADatabase, Lang::Fr) => format!(
            "{address} n'est pas une base SQLite (un autre genre de fichier, ou une base \
             chiffrée) : vérifiez le chemin donné à --db sqlite://CHEMIN"
        ),
        (QueryFailure::Damaged, Lang::En) => {
            format!("the SQLite database {address} is damaged{on}: use a backup copy of that file")
        }
        (QueryFailure::Damaged, Lang::Fr) => format!(
            "la base SQLite {address} est abîmée{on} : utilisez une copie de sauvegarde de ce \
             fichier"
        ),
        (QueryFailure::NoSuchColumn(column), Lang::En) => format!(
            "the database at {address} has no column {column}{on}, which this tool reads: this \
             Moodle's schema is not one the tool knows; check --prefix, and that the site is a \
             Moodle 4.x or 5.x with Attestoodle"
        ),
        (QueryFailure::NoSuchColumn(column), Lang::Fr) => format!(
            "la base de données {address} n'a pas de colonne {column}{on}, que cet outil lit : \
             le schéma de ce Moodle n'est pas un de ceux qu'il connaît ; vérifiez --prefix, et \
             que le site est un Moodle 4.x ou 5.x avec Attestoodle"
        ),
        (QueryFailure::NoSuchTable, Lang::En) => format!(
            "the database at {address} lacks a table this tool reads{on}: check --prefix (or \
             $CFG->prefix in config.php), and that the site is a Moodle with Attestoodle"
        ),
        (QueryFailure::NoSuchTable, Lang::Fr) => format!(
            "la base de données {address} n'a pas une table que cet outil lit{on} : vérifiez \
             --prefix (ou $CFG->prefix dans config.php), et que le site est un Moodle avec \
             Attestoodle"
        ),
        (QueryFailure::Denied, Lang::En) => format!(
            "the database at {address} does not allow this user to do that{on}: use the \
             database user of Moodle's config.php, which may read and write every Moodle table"
        ),
        (QueryFailure::Denied, Lang::Fr) => format!(
            "la base de données {address} ne permet pas cela à cet utilisateur{on} : utilisez \
             l'utilisateur de la base de config.php de Moodle, qui peut lire et écrire toutes \
             les tables de Moodle"
        ),
        (QueryFailure::ReadOnly, Lang::En) => format!(
            "the database at {address} is read-only{on}, so nothing was written: check the \
             permissions of the file or the server's settings"
        ),
        (QueryFailure::ReadOnly, Lang::Fr) => format!(
            "la base de données {address} est en lecture seule{on}, rien n'a été écrit : \
             vérifiez les droits du fichier ou les réglages du serveur"
        ),
        (QueryFailure::Lost, Lang::En) => format!(
            "the connection to the database at {address} was lost during a statement{on}, so \
             nothing was written: check that the server is running, then run the command again"
        ),
        (QueryFailure::Lost, Lang::Fr) => format!(
            "la connexion à la base de données {address} a été perdue pendant une requête{on}, \
             rien n'a donc été écrit : vérifiez que le serveur fonctionne, puis relancez la \
             commande"
        ),
        (QueryFailure::Other, Lang::En) => format!(
            "the database at {address} refused a statement{on}; nothing was written: run the \
             command again with --verbose to see the server's words"
        ),
        (QueryFailure::Other, Lang::Fr) => format!(
            "la base de données {address} a refusé une requête{on} ; rien n'a été écrit : \
             relancez la commande avec --verbose pour voir les mots du serveur"
        ),
    }
}

/// One sentence for a timeout: where, what timed out, what was kept, what to do.
fn timeout_message(address: &str, waited: Waited, seconds: u64, lang: Lang) -> String {
    match (waited, lang) {
        (Waited::Connect, Lang::En) => format!(
            "the database server at {address} did not answer within {seconds} s: connecting \
             timed out; check the host and port (--db, or $CFG->dbhost and \
             $CFG->dboptions['dbport'] in config.php) and that the database server there is \
             running, or raise --connect-timeout"
        ),
        (Waited::Connect, Lang::Fr) => format!(
            "le serveur de base de données {address} n'a pas répondu en {seconds} s : délai de \
             connexion dépassé ; vérifiez l'hôte et le port (--db, ou $CFG->dbhost et \
             $CFG->dboptions['dbport'] dans config.php) et que le serveur de base de données y \
             fonctionne, ou augmentez --connect-timeout"
        ),
        (Waited::Statement, Lang::En) => format!(
            "the database at {address} did not answer in time: a statement timed out after \
             {seconds} s (an overloaded server, or another session holding a lock this \
             command waits for) and nothing was written; try again later, or raise \
             --statement-timeout"
        ),
        (Waited::Statement, Lang::Fr) => format!(
            "la base de données {address} n'a pas répondu à temps : une requête a dépassé le \
             délai de {seconds} s (serveur surchargé, ou une autre session qui tient un verrou \
             que cette commande attend) et rien n'a été écrit ; réessayez plus tard, ou augmentez \
             --statement-timeout"
        ),
        (Waited::Commit, Lang::En) => format!(
            "the database at {address} did not confirm the end of the transaction within \
             {seconds} s: the changes may or may not have been kept; check with `list` before \
             running the command again"
        ),
        (Waited::Commit, Lang::Fr) => format!(
            "la base de données {address} n'a pas confirmé la fin de la transaction en \
             {seconds} s : les modifications ont pu être conservées ou non ; vérifiez avec \
             `list` avant de relancer la commande"
        ),
    }
}

/// Why a connection failed, as the operator can act on it (read from the servers' error
/// codes); the driver's own text stays out of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Nothing listens at the address.
    Refused,
    /// The host is unknown or cannot be reached.
    Unreachable,
    /// Something answers, but not as this kind of database server (wrong port or scheme).
    WrongServer {
        /// The kind the URL asked for.
        expected: Backend,
    },
    /// The server refused the user or the password.
    LoginRefused,
    /// The server has no database of that name.
    NoSuchDatabase,
    /// Anything else; the server's words, when it gave some, follow.
    Other,
}

impl ConnectFailure {
    /// Classifies a driver error met while connecting.
    pub fn of(error: &sqlx::Error, expected: Backend) -> (ConnectFailure, Option<String>) {
        match error {
            sqlx::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound => {
                    (ConnectFailure::Refused, None)
                }
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::InvalidData => {
                    (ConnectFailure::WrongServer { expected }, None)
                }
                _ => (ConnectFailure::Unreachable, None),
            },
            sqlx::Error::Protocol(_) | sqlx::Error::Decode(_) | sqlx::Error::Tls(_) => {
                (ConnectFailure::WrongServer { expected }, None)
            }
            sqlx::Error::Database(db) => {
                // MySQL's SQLSTATE is often the generic 42000: its error number says more.
                let code = match db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                    Some(mysql) => mysql.number().to_string(),
                    None => db.code().map(|c| c.into_owned()).unwrap_or_default(),
                };
                let message = Some(db.message().to_owned());
                match code.as_str() {
                    // PostgreSQL: invalid_password, invalid_authorization_specification;
                    // MySQL: ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR,
                    // ER_ACCESS_DENIED_NO_PASSWORD_ERROR (MariaDB for an unknown user).
                    "28P01" | "28000" | "1045" | "1044" | "1698" => {
                        (ConnectFailure::LoginRefused, message)
                    }
                    // PostgreSQL invalid_catalog_name; MySQL ER_BAD_DB_ERROR.
                    "3D000" | "1049" => (ConnectFailure::NoSuchDatabase, message),
                    _ => (ConnectFailure::Other, message),
                }
            }
            _ => (ConnectFailure::Other, None),
        }
    }
}

fn connect_message(url: &str, address: &str, failure: ConnectFailure, lang: Lang) -> String {
    let kind = |backend: Backend| match backend {
        Backend::Postgres => "PostgreSQL",
        Backend::MySql => "MariaDB/MySQL",
        Backend::Sqlite => "SQLite",
    };
    match (failure, lang) {
        (ConnectFailure::Refused, Lang::En) => format!(
            "cannot connect to {url}: nothing answers at {address}; is the database server \
             running, and are this its host and port?"
        ),
        (ConnectFailure::Refused, Lang::Fr) => format!(
            "connexion impossible à {url} : rien ne répond à {address} ; le serveur de base de \
             données est-il démarré, et est-ce bien son hôte et son port ?"
        ),
        (ConnectFailure::Unreachable, Lang::En) => format!(
            "cannot connect to {url}: {address} cannot be reached; check the host name and the \
             network"
        ),
        (ConnectFailure::Unreachable, Lang::Fr) => format!(
            "connexion impossible à {url} : {address} est injoignable ; vérifiez le nom d'hôte \
             et le réseau"
        ),
        (ConnectFailure::WrongServer { expected }, Lang::En) => format!(
            "cannot connect to {url}: what answers at {address} is not a {} server; check the \
             port, and that the URL's scheme (postgres:// or mysql://) is the server's",
            kind(expected)
        ),
        (ConnectFailure::WrongServer { expected }, Lang::Fr) => format!(
            "connexion impossible à {url} : ce qui répond à {address} n'est pas un serveur {} ; \
             vérifiez le port, et que le schéma de l'URL (postgres:// ou mysql://) est celui du \
             serveur",
            kind(expected)
        ),
        (ConnectFailure::LoginRefused, Lang::En) => format!(
            "cannot connect to {url}: the server at {address} refused the user or the password; \
             check them (config.php `dbuser` and `dbpass`, or the URL)"
        ),
        (ConnectFailure::LoginRefused, Lang::Fr) => format!(
            "connexion impossible à {url} : le serveur {address} refuse l'utilisateur ou le mot \
             de passe ; vérifiez-les (`dbuser` et `dbpass` de config.php, ou l'URL)"
        ),
        (ConnectFailure::NoSuchDatabase, Lang::En) => format!(
            "cannot connect to {url}: the server at {address} has no database of that name; \
             check it (config.php `dbname`, or the URL)"
        ),
        (ConnectFailure::NoSuchDatabase, Lang::Fr) => format!(
            "connexion impossible à {url} : le serveur {address} n'a pas de base de ce nom ; \
             vérifiez-le (`dbname` de config.php, ou l'URL)"
        ),
        (ConnectFailure::Other, Lang::En) => {
            format!(
                "cannot connect to {url}: connecting to {address} failed; check the URL (or \
                 config.php), then run the command again with --verbose to see why"
            )
        }
        (ConnectFailure::Other, Lang::Fr) => {
            format!(
                "connexion impossible à {url} : la connexion à {address} a échoué ; vérifiez \
                 l'URL (ou config.php), puis relancez la commande avec --verbose pour voir \
                 pourquoi"
            )
        }
    }
}

/// A database URL as the operator gave it (`--db`, `db` in the configuration file): `Debug` and
/// `Display` hide its password (`postgres://moodle:***@db/moodle`).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct DbUrl(String);

impl DbUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> DbUrl {
        DbUrl(url.into())
    }

    /// The URL in clear, password included, to connect with; never print or log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for DbUrl {
    fn from(url: String) -> DbUrl {
        DbUrl(url)
    }
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// What the operator told us about where the site is (`--db`, `--moodle-config`, ...).
///
/// `Debug` is safe to print: the URL's password and the one given apart show as `***`.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// `--db URL`.
    pub db: Option<DbUrl>,
    /// `--moodle-config PATH`.
    pub moodle_config: Option<PathBuf>,
    /// `--prefix P`.
    pub prefix: Option<String>,
    /// `--dataroot DIR`.
    pub dataroot: Option<PathBuf>,
    /// `--connect-timeout` and `--statement-timeout`.
    pub timeouts: Timeouts,
    /// The database password given apart from config.php and the URL
    /// (`ATTESTOODLE_DB_PASSWORD`, `--db-password-file`); it replaces theirs.
    pub db_password: Option<config_php::Secret>,
}

/// A resolved site location: how to connect, the prefix, and what config.php said.
///
/// `Debug` is safe to print: every password (the database's, config.php's salt and peppers)
/// shows as `***`.
#[derive(Debug, Clone)]
pub struct Target {
    /// How to connect, password included (given apart or not).
    connect: ConnectTo,
    /// How long to wait for the server.
    pub timeouts: Timeouts,
    /// The table prefix.
    pub prefix: String,
    /// `$CFG->wwwroot`, when read from config.php.
    pub wwwroot: Option<String>,
    /// Moodle's file store directory (`$CFG->filedir`, or `dataroot/filedir`).
    pub filedir: Option<PathBuf>,
    /// `$CFG->siteadmins` when config.php forces it.
    pub siteadmins: Option<String>,
    /// `$CFG->passwordsaltmain` from config.php (legacy md5 password hashes).
    pub password_salt_main: Option<config_php::Secret>,
    /// `$CFG->passwordpeppers` from config.php, sorted by key.
    pub password_peppers: Vec<config_php::Secret>,
    /// `$CFG->sessioncookie` from config.php (it wins over the `config` table's).
    pub sessioncookie: Option<String>,
    /// `$CFG->session_handler_class` from config.php: where Moodle keeps its sessions.
    pub session_handler: Option<String>,
    /// The database for messages, password hidden.
    pub description: String,
}

impl Target {
    /// Whether Moodle keeps its sessions outside its database and files (Redis, Memcached),
    /// where the `sessions` table has no rows for them: then the name of that store.
    pub fn sessions_elsewhere(&self) -> Option<&'static str> {
        let class = self.session_handler.as_deref()?.to_ascii_lowercase();
        if class.contains("redis") {
            Some("Redis")
        } else if class.contains("memcache") {
            Some("Memcached")
        } else {
            None
        }
    }

    /// Resolves the options; reads config.php when given, but connects to nothing.
    ///
    /// Fails on an unknown URL scheme, a missing SQLite file, an unreadable config.php, or no
    /// database at all (with the way to create the demo site).
    pub fn resolve(options: &SiteOptions, cwd: &Path) -> Result<Target, Error> {
        let mut wwwroot = None;
        let mut filedir = None;
        let mut siteadmins = None;
        let mut password_salt_main = None;
        let mut password_peppers = Vec::new();
        let mut sessioncookie = None;
        let mut session_handler = None;
        let mut config_prefix = None;
        let (connect, description) = if let Some(url) = &options.db {
            let (connect, description) = parse_url(url.expose(), cwd)?;
            match &options.db_password {
                Some(password) => (connect.with_password(password), description),
                None => (connect, description),
            }
        } else if let Some(path) = &options.moodle_config {
            let mut config = config_php::read_with(
                path,
                config_php::Overrides {
                    prefix: options.prefix.is_some(),
                    dataroot: options.dataroot.is_some(),
                    password: options.db_password.is_some(),
                },
            )?;
            if let Some(given) = &options.db_password {
                config.dbpass = given.clone();
            }
            wwwroot = config.wwwroot.clone();
            filedir = config.filedir();
            siteadmins = config.siteadmins.clone();
            password_salt_main = config.passwordsaltmain.clone();
            password_peppers = config.passwordpeppers.clone();
            sessioncookie = config.sessioncookie.clone();
            session_handler = config.session_handler_class.clone();
            config_prefix = config.prefix.clone();
            let database = config.database();
            (ConnectTo::database(&database), database.description())
        } else {
            let path = cwd.join(DEMO_DATABASE);
            if !path.exists() {
                return Err(Error::NoDatabase { path });
            }
            (
                ConnectTo::Sqlite {
                    path: path.clone(),
                    create: false,
                },
                format!("sqlite://{}", path.display()),
            )
        };
        if let Some(dataroot) = &options.dataroot {
            filedir = Some(dataroot.join("filedir"));
        }
        if filedir.is_none() {
            // The demo keeps its file store beside its database file.
            if let ConnectTo::Sqlite { path, .. } = &connect {
                let store = demo_dataroot(path);
                if store.is_dir() {
                    filedir = Some(store.join("filedir"));
                }
            }
        }
        let prefix = options
            .prefix
            .clone()
            .or(config_prefix)
            .unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        check_prefix(&prefix, connect.backend())?;
        Ok(Target {
            connect,
            timeouts: options.timeouts,
            prefix,
            wwwroot,
            filedir,
            siteadmins,
            password_salt_main,
            password_peppers,
            sessioncookie,
            session_handler,
            description,
        })
    }

    /// A target for a SQLite file, created when absent (the demo and tests only).
    pub fn sqlite_file(path: &Path, create: bool) -> Target {
        Target {
            connect: ConnectTo::Sqlite {
                path: path.to_owned(),
                create,
            },
            timeouts: Timeouts::default(),
            prefix: DEFAULT_PREFIX.to_owned(),
            wwwroot: None,
            filedir: None,
            siteadmins: None,
            password_salt_main: None,
            password_peppers: Vec::new(),
            sessioncookie: None,
            session_handler: None,
            description: format!("sqlite://{}", path.display()),
        }
    }

    /// A target for a server URL with a given prefix (tests and the demo on other backends).
    pub fn url(url: &str, prefix: &str, cwd: &Path) -> Result<Target, Error> {
        Target::resolve(
            &SiteOptions {
                db: Some(DbUrl::new(url)),
                prefix: Some(prefix.to_owned()),
                ..SiteOptions::default()
            },
            cwd,
        )
    }

    /// The database family.
    pub fn backend(&self) -> Backend {
        self.connect.backend()
    }
}

/// The directory the demo uses as Moodle's `dataroot`, beside its database file.
pub fn demo_dataroot(database: &Path) -> PathBuf {
    let stem = database
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attestoodle-demo".to_owned());
    database.with_file_name(format!("{stem}-moodledata"))
}

fn check_prefix(prefix: &str, backend: Backend) -> Result<(), Error> {
    let valid = prefix.is_empty() || rules::is_plain_name(prefix);
    let empty_on_postgres = prefix.is_empty() && backend == Backend::Postgres;
    if !valid || empty_on_postgres {
        return Err(Error::BadPrefix {
            prefix: prefix.to_owned(),
            empty_on_postgres,
        });
    }
    Ok(())
}

/// Hides the password of a `scheme://user:password@host/...` URL.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{scheme}://{user}:***{}", &rest[at..])
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// Reads a `--db` URL, once: the driver's connect options and the URL for messages (password
/// hidden).
fn parse_url(url: &str, cwd: &Path) -> Result<(ConnectTo, String), Error> {
    let redacted = redact_url(url);
    let bad = || Error::BadUrl {
        url: redacted.clone(),
    };
    let (scheme, rest) = url.split_once(':').ok_or_else(bad)?;
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok((ConnectTo::postgres_url(url).ok_or_else(bad)?, redacted)),
        "mysql" => Ok((ConnectTo::mysql_url(url).ok_or_else(bad)?, redacted)),
        "mariadb" => {
            let url = format!("mysql:{rest}");
            let connect = ConnectTo::mysql_url(&url).ok_or_else(bad)?;
            Ok((connect, redact_url(&url)))
        }
        "sqlite" => {
            let file = rest.strip_prefix("//").unwrap_or(rest);
            let file = file.split('?').next().unwrap_or(file);
            if file.is_empty() {
                return Err(Error::BadUrl { url: redacted });
            }
            let path = cwd.join(file);
            if !path.exists() {
                return Err(Error::NoSqliteFile { path });
            }
            let description = format!("sqlite://{}", path.display());
            Ok((
                ConnectTo::Sqlite {
                    path,
                    create: false,
                },
                description,
            ))
        }
        _ => Err(Error::BadUrl { url: redacted }),
    }
}

/// A connected Moodle site. `Debug` is safe to print, as [`Target`]'s. A clone is another
/// handle on the same pool (a read running on a task of its own, `save::Prefetch`).
#[derive(Debug, Clone)]
pub struct Site {
    pool: Pool,
    prefix: String,
    target: Target,
    statements: Arc<AtomicUsize>,
}

impl Site {
    /// Connects and checks that the Attestoodle tables exist under the prefix.
    pub async fn open(target: &Target) -> Result<Site, Error> {
        let site = Site::connect(target).await?;
        site.check_tables().await?;
        Ok(site)
    }

    /// Connects without checking the tables (the demo, before it creates them).
    pub async fn connect(target: &Target) -> Result<Site, Error> {
        let pool = Pool::connect(&target.connect, target.timeouts, &target.description).await?;
        Ok(Site {
            pool,
            prefix: target.prefix.clone(),
            target: target.clone(),
            statements: Arc::default(),
        })
    }

    /// Closes the connections.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// The database family.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Where the site is, as resolved.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The table prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn render(&self, sql: &str) -> String {
        Sql(sql).render(self.backend(), &self.prefix)
    }

    /// The number of SQL statements run so far through this site, transactions aside (tests
    /// check that a save does not issue more statements for more learners or milestones).
    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::Relaxed)
    }

    pub(crate) async fn begin(&self, mode: TxMode) -> Result<Tx, Error> {
        self.pool.begin(mode, self.statements.clone()).await
    }

    /// The names of the tables of the database (with their prefix).
    pub async fn table_names(&self) -> Result<Vec<String>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(sql::list_tables_sql(self.backend()).to_owned(), vec![])
            .await?;
        tx.rollback().await?;
        rows.iter().map(|r| r.text("name")).collect()
    }

    /// Refuses a database that lacks an Attestoodle table, naming them and the prefix.
    pub async fn check_tables(&self) -> Result<(), Error> {
        let tables = self.table_names().await?;
        let has = |t: &str| tables.iter().any(|n| *n == format!("{}{t}", self.prefix));
        let missing: Vec<String> = REQUIRED_TABLES
            .iter()
            .filter(|t| !has(t))
            .map(|t| (*t).to_owned())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::MissingTables {
            database: self.target.description.clone(),
            prefix: self.prefix.clone(),
            missing,
            no_moodle: !has("course"),
        })
    }

    /// Runs one statement outside any transaction (creating and dropping test databases).
    pub(crate) async fn execute_outside_transaction(&self, statement: String) -> Result<(), Error> {
        self.pool.execute_outside_transaction(statement).await
    }

    /// Whether this database is a demo site made by this tool.
    pub async fn is_demo(&self) -> Result<bool, Error> {
        let tables = self.table_names().await?;
        if !tables
            .iter()
            .any(|n| *n == format!("{}config", self.prefix))
        {
            return Ok(false);
        }
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                self.render("SELECT value FROM {p}config WHERE name = ?"),
                vec![DEMO_MARKER.into()],
            )
            .await?;
        tx.rollback().await?;
        Ok(!rows.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which variant an error is; a new variant is a compile error here, and then a failure of
    /// `every_error_is_said_in_english_and_in_french` until it gets a value below.
    fn variant(error: &Error) -> usize {
        match error {
            Error::NoDatabase { .. } => 0,
            Error::NoSqliteFile { .. } => 1,
            Error::BadUrl { .. } => 2,
            Error::BadPrefix { .. } => 3,
            Error::Connect { .. } => 4,
            Error::Timeout { .. } => 5,
            Error::MissingTables { .. } => 6,
            Error::Query { .. } => 7,
            Error::Decode { .. } => 8,
            Error::Config(_) => 9,
            Error::InjectedFailure { .. } => 10,
            Error::FileStore { .. } => 11,
            Error::Busy { .. } => 12,
            Error::NotADemoSite { .. } => 13,
        }
    }

    fn driver_error() -> sqlx::Error {
        sqlx::Error::Protocol("unexpected message: CopyData (sqlx_postgres::establish:130)".into())
    }

    fn every_error() -> Vec<Error> {
        let path = PathBuf::from("/srv/site.sqlite");
        let mut errors = vec![
            Error::NoDatabase { path: path.clone() },
            Error::NoSqliteFile { path: path.clone() },
            Error::BadUrl {
                url: "ftp://x".to_owned(),
            },
            Error::BadPrefix {
                prefix: "Mdl".to_owned(),
                empty_on_postgres: false,
            },
            Error::MissingTables {
                database: "postgres://moodle@db/moodle".to_owned(),
                prefix: "mdl_".to_owned(),
                missing: vec!["tool_attestoodle_training".to_owned()],
                no_moodle: true,
            },
            Error::Query {
                address: "db:5432".to_owned(),
                statement: "SELECT id FROM mdl_course".to_owned(),
                source: driver_error(),
            },
            Error::Decode {
                column: "id".to_owned(),
                problem: "expected an integer, found Text".to_owned(),
            },
            Error::Config(config_php::ConfigError::MissingKey {
                key: "dbname",
                included: None,
            }),
            Error::InjectedFailure { after: 3 },
            Error::FileStore {
                path: path.clone(),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            },
            Error::Busy {
                name: "Licence".to_owned(),
                seconds: 30,
            },
            Error::NotADemoSite { path },
        ];
        for failure in [
            ConnectFailure::Refused,
            ConnectFailure::Unreachable,
            ConnectFailure::WrongServer {
                expected: Backend::Postgres,
            },
            ConnectFailure::LoginRefused,
            ConnectFailure::NoSuchDatabase,
            ConnectFailure::Other,
        ] {
            errors.push(Error::Connect {
                url: "postgres://moodle:***@db:3306/moodle".to_owned(),
                address: "db:3306".to_owned(),
                failure,
                server_says: Some("password authentication failed".to_owned()),
                source: Box::new(driver_error()),
            });
        }
        for waited in [Waited::Connect, Waited::Statement, Waited::Commit] {
            errors.push(Error::Timeout {
                address: "db:5432".to_owned(),
                waited,
                seconds: 10,
            });
        }
        errors
    }

    // Issue 9, items 1 and 2: every message exists in both languages, and none shows the
    // driver's words.
    #[test]
    fn every_error_is_said_in_english_and_in_french() {
        let errors = every_error();
        crate::i18n::testing::every_variant(errors.iter().map(variant), 14);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert!(!en.is_empty() && !fr.is_empty(), "{error:?}");
            assert_ne!(en, fr, "{error:?}");
            assert_eq!(en, error.to_string());
            for text in [&en, &fr] {
                for fragment in ["CopyData", "sqlx", "::establish", "authentication failed"] {
                    assert!(!text.contains(fragment), "{fragment} in {text}");
                }
            }
        }
    }

    #[test]
    fn every_failed_statement_is_said_in_english_and_in_french() {
        let failures = [
            QueryFailure::NotADatabase,
            QueryFailure::Damaged,
            QueryFailure::NoSuchColumn("cm.section".to_owned()),
            QueryFailure::NoSuchTable,
            QueryFailure::Denied,
            QueryFailure::ReadOnly,
            QueryFailure::Lost,
            QueryFailure::Other,
        ];
        for failure in &failures {
            let statement = "SELECT cm.section FROM mdl_course_modules cm JOIN mdl_course c";
            let (en, fr) = (
                query_message("db:5432", statement, failure, Lang::En),
                query_message("db:5432", statement, failure, Lang::Fr),
            );
            assert!(!en.is_empty() && !fr.is_empty(), "{failure:?}");
            assert_ne!(en, fr, "{failure:?}");
            assert!(en.contains("db:5432") && fr.contains("db:5432"), "{en}");
        }
        // A missing column is named with its tables (the real-Moodle test renames one).
        let text = query_message(
            "db:5432",
            "SELECT cm.section FROM mdl_course_modules cm JOIN mdl_course c ON c.id = cm.course",
            &QueryFailure::NoSuchColumn("cm.section".to_owned()),
            Lang::En,
        );
        assert!(
            text.contains("cm.section") && text.contains("mdl_course_modules, mdl_course"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_column_is_found_in_each_drivers_words() {
        for message in [
            "column cm.section does not exist",
            "column \"section\" does not exist",
            "Unknown column 'cm.section' in 'field list'",
            "no such column: cm.section",
        ] {
            let column = column_named(message);
            assert!(column.ends_with("section"), "{message}: {column}");
        }
    }

    #[test]
    fn a_detail_keeps_the_drivers_words_for_verbose() {
        let error = Error::Query {
            address: "/srv/x.sqlite".to_owned(),
            statement: "SELECT name FROM sqlite_master".to_owned(),
            source: driver_error(),
        };
        let detail = error.detail().unwrap_or_default();
        assert!(
            detail.contains("CopyData") && detail.contains("sqlite_master"),
            "{detail}"
        );
        assert!(format!("{error:#}").contains("CopyData"));
        assert!(!format!("{error}").contains("CopyData"));
    }

    #[test]
    fn a_password_given_separately_never_prints() {
        let dir = std::env::temp_dir();
        let options = SiteOptions {
            db: Some(DbUrl::new("postgres://moodle@db.example.org:5433/moodle")),
            db_password: Some(config_php::Secret::new("Very-Secret-42")),
            ..SiteOptions::default()
        };
        let target = Target::resolve(&options, &dir).expect("resolve");
        let shown = format!("{options:?} {target:?} {}", target.description);
        assert!(!shown.contains("Very-Secret-42"), "{shown}");
        assert_eq!(target.connect.address(), "db.example.org:5433");
        assert_eq!(target.timeouts, Timeouts::default());
    }

    // Issue 9, item 6: every type that holds a database password prints it as `***`.
    #[test]
    fn every_type_holding_a_password_prints_it_as_stars() {
        const SECRET: &str = "Very-Secret-42";
        let dir = tempfile::tempdir().expect("dir");
        let mut shown = Vec::new();
        for url in [
            format!("postgres://moodle:{SECRET}@db.example.org:5433/moodle"),
            format!("mysql://moodle:{SECRET}@db.example.org/moodle"),
            format!("mariadb://moodle:{SECRET}@db.example.org/moodle"),
        ] {
            let url = DbUrl::new(url);
            for db_password in [None, Some(config_php::Secret::new(SECRET))] {
                let options = SiteOptions {
                    db: Some(url.clone()),
                    db_password,
                    ..SiteOptions::default()
                };
                let target = Target::resolve(&options, dir.path()).expect("resolve");
                assert_eq!(
                    target.connect.address().split(':').next(),
                    Some("db.example.org")
                );
                shown.push(format!(
                    "{url} {url:?} {options:?} {target:?} {:?} {}",
                    target.connect, target.description
                ));
            }
        }
        let config = dir.path().join("config.php");
        for dbtype in ["pgsql", "mariadb"] {
            std::fs::write(
                &config,
                format!(
                    "<?php\n$CFG->dbtype = '{dbtype}';\n$CFG->dbhost = 'db.example.org';\n\
                     $CFG->dbname = 'moodle';\n$CFG->dbuser = 'moodle';\n\
                     $CFG->dbpass = '{SECRET}';\n$CFG->passwordsaltmain = '{SECRET}';\n\
                     $CFG->passwordpeppers = [1 => '{SECRET}'];\n\
                     require_once(__DIR__ . '/lib/setup.php');\n"
                ),
            )
            .expect("write config.php");
            let read = config_php::read(&config).expect("config.php");
            let database = read.database();
            let options = SiteOptions {
                moodle_config: Some(config.clone()),
                ..SiteOptions::default()
            };
            let target = Target::resolve(&options, dir.path()).expect("resolve");
            assert_eq!(target.connect.address(), database_address(dbtype));
            shown.push(format!(
                "{read:?} {database:?} {} {options:?} {target:?} {:?}",
                database.description(),
                ConnectTo::database(&database)
            ));
        }
        for text in &shown {
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("***"), "{text}");
        }
    }

    fn database_address(dbtype: &str) -> &'static str {
        if dbtype == "pgsql" {
            "db.example.org:5432"
        } else {
            "db.example.org:3306"
        }
    }

    // Issue 9, item 6: a connected site prints no password either (a PostgreSQL server in
    // trust mode accepts the password it does not ask for).
    #[tokio::test]
    async fn a_connected_site_prints_no_password() {
        let Some(url) = std::env::var("ATTESTOODLE_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
        else {
            eprintln!("ATTESTOODLE_TEST_POSTGRES_URL is not set: skipped");
            return;
        };
        let options = SiteOptions {
            db: Some(DbUrl::new(url)),
            db_password: Some(config_php::Secret::new("Very-Secret-42")),
            ..SiteOptions::default()
        };
        let target = Target::resolve(&options, Path::new(".")).expect("resolve");
        let site = Site::connect(&target).await.expect("connect");
        let shown = format!("{site:?}");
        site.close().await;
        assert!(!shown.contains("Very-Secret-42"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    // Issue 9, item 6: config.php's values reach the driver as they are, without a URL in
    // between (a password with `@`, `:`, `/` and `%`, a socket, a schema).
    #[test]
    fn config_php_values_become_connect_options_unchanged() {
        let database = config_php::Database {
            postgres: true,
            host: "localhost".to_owned(),
            port: None,
            socket: Some(PathBuf::from("/run/postgresql")),
            user: "us@r:x".to_owned(),
            password: config_php::Secret::new("p@ss:w/rd%"),
            name: "moodle db".to_owned(),
            schema: Some("my schema".to_owned()),
        };
        let ConnectTo::Postgres(options) = ConnectTo::database(&database) else {
            panic!("a PostgreSQL database");
        };
        assert_eq!(options.get_username(), "us@r:x");
        assert_eq!(options.get_database(), Some("moodle db"));
        assert_eq!(
            options.get_socket().map(PathBuf::as_path),
            Some(Path::new("/run/postgresql"))
        );
        assert_eq!(options.get_options(), Some("-c search_path=my\\ schema"));
        let mysql = config_php::Database {
            postgres: false,
            port: Some(3307),
            socket: None,
            host: "db.example.org".to_owned(),
            schema: None,
            ..database
        };
        let ConnectTo::MySql(options) = ConnectTo::database(&mysql) else {
            panic!("a MySQL database");
        };
        assert_eq!(
            (
                options.get_host(),
                options.get_port(),
                options.get_username()
            ),
            ("db.example.org", 3307, "us@r:x")
        );
        // An empty user is the driver's default, as an URL without one would give.
        let nobody = config_php::Database {
            user: String::new(),
            ..mysql
        };
        let ConnectTo::MySql(options) = ConnectTo::database(&nobody) else {
            panic!("a MySQL database");
        };
        assert_eq!(options.get_username(), "root");
    }

    #[test]
    fn a_database_url_is_read_once_and_a_malformed_one_is_refused() {
        let dir = std::env::temp_dir();
        let target = Target::url("mariadb://moodle@db.example.org:3307/moodle", "mdl_", &dir)
            .expect("resolve");
        assert_eq!(target.backend(), Backend::MySql);
        assert_eq!(target.connect.address(), "db.example.org:3307");
        assert_eq!(
            target.description,
            "mysql://moodle@db.example.org:3307/moodle"
        );
        for url in [
            "postgres://moodle:Very-Secret-42@db.example.org:99999/moodle",
            "mysql://moodle:Very-Secret-42@[db/moodle",
        ] {
            let Err(error) = Target::url(url, "mdl_", &dir) else {
                panic!("{url} is refused");
            };
            assert!(matches!(error, Error::BadUrl { .. }), "{error:?}");
            assert!(!error.to_string().contains("Very-Secret-42"), "{error}");
        }
    }

    #[test]
    fn a_config_php_password_given_separately_never_prints() {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("config.php");
        std::fs::write(
            &config,
            "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\
             $CFG->dbtype = 'pgsql';\n$CFG->dbhost = 'db.example.org';\n\
             $CFG->dbname = 'moodle';\n$CFG->dbuser = 'moodle';\n\
             $CFG->dbpass = getenv('MOODLE_DB_PASS');\n\
             $CFG->wwwroot = 'https://moodle.example.org';\n\
             require_once(__DIR__ . '/lib/setup.php');\n",
        )
        .expect("write config.php");
        let options = SiteOptions {
            moodle_config: Some(config),
            db_password: Some(config_php::Secret::new("Very-Secret-42")),
            ..SiteOptions::default()
        };
        let target = Target::resolve(&options, dir.path()).expect("resolve");
        assert_eq!(
            target.wwwroot.as_deref(),
            Some("https://moodle.example.org")
        );
        let shown = format!("{options:?} {target:?} {}", target.description);
        assert!(!shown.contains("Very-Secret-42"), "{shown}");
        assert!(shown.contains("db.example.org"), "{shown}");
    }
}
