//! The one place that talks to the database driver: pools, transactions, bound parameters,
//! decoded rows, and every difference between the PostgreSQL, MariaDB/MySQL and SQLite dialects.
//!
//! SQL in this crate is written once, with `?` placeholders and `{p}` in front of every table
//! name. [`Sql::render`] turns it into the dialect of the connection: `$1, $2, ...` on
//! PostgreSQL, and the table prefix in place of `{p}`. Values are always bound, never spliced.
//!
//! Rows are decoded into our own [`Value`]s column by column, whatever integer width the
//! database chose (Moodle's `int(1)` is `SMALLINT` on PostgreSQL and `TINYINT` on MySQL, which
//! sqlx's `Any` driver cannot decode), so callers read every integer as `i64`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Column as _, Row as _};

use super::Error;

/// The database family of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (Moodle's `pgsql`).
    Postgres,
    /// MariaDB or MySQL (Moodle's `mariadb`, `mysqli`, `auroramysql`).
    MySql,
    /// SQLite: the embedded demo site and tests only; Moodle itself does not run on it.
    Sqlite,
}

impl Backend {
    /// A short human name, used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MariaDB/MySQL",
            Backend::Sqlite => "SQLite",
        }
    }

    /// `left = ?` comparing text byte for byte (docs/decisions.md §2): MySQL's `_ci` collations
    /// would otherwise find `SITE` and `Site ` when asked for `Site`.
    pub fn exact_eq(self, left: &str) -> String {
        match self {
            Backend::MySql => format!("BINARY {left} = BINARY ?"),
            Backend::Postgres | Backend::Sqlite => format!("{left} = ?"),
        }
    }

    /// `left` equal to one of `count` bound values, byte for byte as [`Backend::exact_eq`]: the
    /// one way every look-up by exact name (trainings, templates, course short names,
    /// usernames) compares (docs/decisions.md §2).
    pub fn exact_in(self, left: &str, count: usize) -> String {
        match (self, count) {
            (_, 1) => self.exact_eq(left),
            (Backend::MySql, _) => {
                format!("BINARY {left} IN ({})", vec!["BINARY ?"; count].join(", "))
            }
            (Backend::Postgres | Backend::Sqlite, _) => {
                format!("{left} IN ({})", vec!["?"; count].join(", "))
            }
        }
    }

    /// How a write transaction takes a lock named after a training or template name, held
    /// until the transaction ends, so that two restores of one name run one after the other.
    ///
    /// PostgreSQL has transaction-scoped advisory locks; MySQL's named locks belong to the
    /// session, so they are released by hand before the transaction ends (a locking re-read
    /// then waits for the other writer's uncommitted rows); SQLite's `BEGIN IMMEDIATE` already
    /// lets one writer at a time in.
    pub(crate) fn name_lock(self) -> NameLock {
        match self {
            Backend::Postgres => NameLock::Advisory("pg_advisory_xact_lock(?)"),
            Backend::MySql => NameLock::Session {
                acquire: "GET_LOCK(?, ?)",
                release: "RELEASE_LOCK(?)",
            },
            Backend::Sqlite => NameLock::Writer,
        }
    }

    /// `column` among `ids`, as conditions with their parameters, one statement each. On
    /// PostgreSQL one array, bound as its text form and unnested: the server plans
    /// one value, where a list of ten thousand bound parameters took it twice as long to plan
    /// as the rows took to read (docs/decisions.md §21). Elsewhere `IN (?, …)` of at most
    /// `chunk` ids, under the backend's limit on bound parameters. No ids, no condition.
    pub(crate) fn among(
        self,
        column: &str,
        ids: &[i64],
        chunk: usize,
    ) -> Vec<(String, Vec<Param>)> {
        if ids.is_empty() {
            return Vec::new();
        }
        if self.binds_id_arrays() {
            let mut array = String::with_capacity(ids.len() * 8 + 2);
            array.push('{');
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    array.push(',');
                }
                array.push_str(&id.to_string());
            }
            array.push('}');
            vec![(
                // Not `= ANY(CAST(…))`: where the planner scans the table, that cast is
                // made again for each row; the subquery makes it once.
                format!("{column} IN (SELECT unnest(CAST(? AS bigint[])))"),
                vec![Param::Text(array)],
            )]
        } else {
            ids.chunks(chunk.max(1))
                .map(|part| {
                    (
                        format!("{column} IN ({})", vec!["?"; part.len()].join(", ")),
                        part.iter().map(|id| Param::Int(*id)).collect(),
                    )
                })
                .collect()
        }
    }

    /// Whether a list of ids is bound as one array ([`Backend::among`]): PostgreSQL's. A
    /// list of ten thousand ids then costs about what one id does; elsewhere each id is a
    /// parameter.
    pub(crate) fn binds_id_arrays(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// Whether many rows are written with one array per column ([`Tx::insert_arrays`]) rather
    /// than multi-row `INSERT`s of one parameter per value: on PostgreSQL, where a statement
    /// of 30,000 parameters costs more to parse and plan than the rows cost to write (issue
    /// 13). (`COPY … FROM STDIN` would be faster still, but its last message waits on the
    /// server's delayed acknowledgement, 40 ms, since the driver does not set `TCP_NODELAY`.)
    pub(crate) fn inserts_arrays(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// How many groups of a batch `restore::apply_each` writes at once, each in its own
    /// transaction on its own connection. Two on PostgreSQL: the server then inserts on two
    /// of its cores, and most of a rollover's writing is the server's. One on MySQL, whose
    /// locking re-read of the training names ([`Backend::locking_read`]) scans the unindexed
    /// training table and makes a second writer wait anyway; one on SQLite, which lets one
    /// writer in at a time.
    pub(crate) fn group_writers(self) -> usize {
        match self {
            Backend::Postgres => 2,
            Backend::MySql | Backend::Sqlite => 1,
        }
    }

    /// The clause that makes a re-read inside a write transaction see, and wait for, rows
    /// other transactions are writing: needed on MySQL, whose plain reads use a snapshot.
    pub(crate) fn locking_read(self) -> &'static str {
        match self {
            Backend::MySql => " FOR UPDATE",
            Backend::Postgres | Backend::Sqlite => "",
        }
    }

    /// The statement that makes the server end the connection it runs on, as a network
    /// failure would (the test hook of a restore); SQLite has no server.
    pub(crate) fn end_own_session(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some("SELECT pg_terminate_backend(pg_backend_pid())"),
            Backend::MySql => Some("KILL CONNECTION_ID()"),
            Backend::Sqlite => None,
        }
    }

    /// Whether a driver error means the server gave up waiting on our behalf: a statement
    /// cancelled by the statement timeout, or a lock wait that ran out.
    pub(crate) fn is_timeout(self, error: &sqlx::Error) -> bool {
        let sqlx::Error::Database(database) = error else {
            return false;
        };
        match self {
            // query_canceled (statement_timeout), lock_not_available (lock_timeout).
            Backend::Postgres => matches!(database.code().as_deref(), Some("57014" | "55P03")),
            // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time), ER_QUERY_TIMEOUT (MySQL
            // max_execution_time), ER_LOCK_WAIT_TIMEOUT (innodb_lock_wait_timeout).
            Backend::MySql => database
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|e| matches!(e.number(), 1969 | 3024 | 1205)),
            // SQLITE_BUSY and its extended codes, after busy_timeout.
            Backend::Sqlite => matches!(database.code().as_deref(), Some("5" | "261" | "517")),
        }
    }

    /// The session settings that make the server give up a statement (and a lock wait) after
    /// `seconds`, run on every new connection: PostgreSQL takes them as startup parameters
    /// instead ([`Pool::connect`]), SQLite as its busy timeout. Each is tried in turn and may
    /// be refused (MariaDB knows `max_statement_time`, MySQL `max_execution_time`, in
    /// milliseconds and for `SELECT` only); the client-side limit covers what is left.
    fn session_timeout_statements(self, seconds: u64) -> Vec<(&'static str, i64)> {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 1000);
        match self {
            Backend::MySql => vec![
                ("SET SESSION innodb_lock_wait_timeout = ?", seconds),
                ("SET SESSION max_statement_time = ?", seconds),
                (
                    "SET SESSION max_execution_time = ?",
                    seconds.saturating_mul(1000),
                ),
            ],
            Backend::Postgres | Backend::Sqlite => vec![],
        }
    }

    /// The statement that opens a transaction.
    fn begin_statement(self, mode: TxMode) -> &'static str {
        match (self, mode) {
            // One snapshot for the whole transaction: under PostgreSQL's default READ
            // COMMITTED each statement sees the last commit, so a save racing a restore could
            // read the training as it was and its learners as written (README, *Tests*).
            // MySQL's default REPEATABLE READ already reads one snapshot.
            (Backend::Postgres, TxMode::ReadOnly) => {
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
            }
            (Backend::Postgres, TxMode::ReadWrite) => "BEGIN",
            (Backend::MySql, TxMode::ReadOnly) => "START TRANSACTION READ ONLY",
            (Backend::MySql, TxMode::ReadWrite) => "START TRANSACTION",
            // SQLite has a single writer: take the write lock at once rather than failing
            // halfway through when another connection holds it.
            (Backend::Sqlite, TxMode::ReadOnly) => "BEGIN",
            (Backend::Sqlite, TxMode::ReadWrite) => "BEGIN IMMEDIATE",
        }
    }
}

/// The way a backend locks a name for the length of a transaction ([`Backend::name_lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameLock {
    /// A function call taking a 64-bit key, released by the end of the transaction; several
    /// are taken in one `SELECT`, left to right.
    Advisory(&'static str),
    /// A function call taking the lock name and a timeout in seconds (1 when taken), and the
    /// call that releases it; several are taken (and released) in one `SELECT`, left to
    /// right.
    Session {
        /// Takes the lock.
        acquire: &'static str,
        /// Releases the lock.
        release: &'static str,
    },
    /// The backend lets one writer at a time in: nothing to take.
    Writer,
}

/// Whether a transaction may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// Reading only; the database refuses writes where it can.
    ReadOnly,
    /// Reading and writing.
    ReadWrite,
}

/// A statement with `?` placeholders and `{p}` table prefixes, in no particular dialect.
#[derive(Debug, Clone, Copy)]
pub struct Sql<'a>(pub &'a str);

impl Sql<'_> {
    /// The statement in the dialect of `backend`, with `prefix` applied.
    ///
    /// `?` inside quoted literals is left alone; our statements carry no such literal, but a
    /// quoted `?` must never become a parameter.
    pub fn render(&self, backend: Backend, prefix: &str) -> String {
        let text = self.0.replace("{p}", prefix);
        if backend != Backend::Postgres {
            return text;
        }
        let mut out = String::with_capacity(text.len() + 8);
        let mut n = 0;
        let mut quote: Option<char> = None;
        for c in text.chars() {
            match (quote, c) {
                (None, '\'' | '"') => {
                    quote = Some(c);
                    out.push(c);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    out.push(c);
                }
                (None, '?') => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            }
        }
        out
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// NULL in an integer column.
    NullInt,
    /// NULL in a text column.
    NullText,
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(v.clone())
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Param::NullInt, Param::Int)
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Param::NullText, |s| Param::Text(s.to_owned()))
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        v.map_or(Param::NullText, Param::Text)
    }
}
impl From<Vec<u8>> for Param {
    fn from(v: Vec<u8>) -> Self {
        Param::Blob(v)
    }
}

/// One decoded column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer, whatever its width in the database.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (or text the driver reported as binary).
    Blob(Vec<u8>),
}

/// A decoded row: column names and values.
#[derive(Debug, Clone)]
pub struct Row {
    names: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    fn get(&self, column: &str) -> Result<&Value, Error> {
        self.names
            .iter()
            .position(|n| n == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| Error::Decode {
                column: column.to_owned(),
                problem: "the query returned no such column".to_owned(),
            })
    }

    fn wrong(column: &str, expected: &str, got: &Value) -> Error {
        Error::Decode {
            column: column.to_owned(),
            problem: format!("expected {expected}, found {got:?}"),
        }
    }

    /// An integer or NULL. A text holding a decimal integer is accepted too.
    pub fn opt_int(&self, column: &str) -> Result<Option<i64>, Error> {
        match self.get(column)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            v @ Value::Text(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Self::wrong(column, "an integer", v)),
            v => Err(Self::wrong(column, "an integer", v)),
        }
    }

    /// A non-NULL integer.
    pub fn int(&self, column: &str) -> Result<i64, Error> {
        self.opt_int(column)?
            .ok_or_else(|| Self::wrong(column, "an integer", &Value::Null))
    }

    /// A text or NULL. Integers are written in decimal, as Moodle's DML would return them;
    /// bytes must be UTF-8.
    pub fn opt_text(&self, column: &str) -> Result<Option<String>, Error> {
        match self.get(column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            Value::Int(v) => Ok(Some(v.to_string())),
            v @ Value::Blob(b) => String::from_utf8(b.clone())
                .map(Some)
                .map_err(|_| Self::wrong(column, "UTF-8 text", v)),
        }
    }

    /// A non-NULL text.
    pub fn text(&self, column: &str) -> Result<String, Error> {
        self.opt_text(column)?
            .ok_or_else(|| Self::wrong(column, "a text", &Value::Null))
    }

    /// Bytes or NULL (text is returned as its UTF-8 bytes).
    pub fn opt_blob(&self, column: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.get(column)? {
            Value::Null => Ok(None),
            Value::Blob(b) => Ok(Some(b.clone())),
            Value::Text(s) => Ok(Some(s.clone().into_bytes())),
            v => Err(Self::wrong(column, "bytes", v)),
        }
    }
}

/// How long the tool waits for the database server (`--connect-timeout`,
/// `--statement-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting, logging in and the first answer.
    pub connect: Duration,
    /// Any one statement, waiting for locks included.
    pub statement: Duration,
}

impl Timeouts {
    /// `--connect-timeout`'s default, in seconds.
    pub const DEFAULT_CONNECT_SECONDS: u64 = 10;
    /// `--statement-timeout`'s default, in seconds.
    pub const DEFAULT_STATEMENT_SECONDS: u64 = 60;
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(Self::DEFAULT_CONNECT_SECONDS),
            statement: Duration::from_secs(Self::DEFAULT_STATEMENT_SECONDS),
        }
    }
}

/// What the client waits beyond the server's own statement timeout before giving up itself
/// (a server that stopped answering altogether, SQLite, MySQL writes).
const CLIENT_GRACE: Duration = Duration::from_secs(5);

/// What a timeout is reported with: where the server is and how long we waited.
#[derive(Debug)]
struct Limits {
    /// `host:port`, a socket or a file, for messages.
    address: String,
    statement: Duration,
    backend: Backend,
}

impl Limits {
    fn timeout(&self, waited: Waited) -> Error {
        Error::Timeout {
            address: self.address.clone(),
            waited,
            seconds: self.statement.as_secs(),
        }
    }

    /// The error for a failed statement: a timeout when the server or the client gave up.
    fn error(&self, statement: &str, source: sqlx::Error) -> Error {
        if self.backend.is_timeout(&source) {
            return self.timeout(if statement == "COMMIT" {
                Waited::Commit
            } else {
                Waited::Statement
            });
        }
        Error::Query {
            address: self.address.clone(),
            statement: statement.to_owned(),
            source,
        }
    }

    /// Runs one statement's future, giving up after the statement timeout and a grace.
    async fn within<T>(
        &self,
        statement: &str,
        run: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.statement + CLIENT_GRACE, run).await {
            Ok(result) => result.map_err(|source| self.error(statement, source)),
            Err(_) => Err(self.timeout(if statement == "COMMIT" {
                Waited::Commit
            } else {
                Waited::Statement
            })),
        }
    }
}

/// What a [`Error::Timeout`] waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Connecting and logging in (`--connect-timeout`).
    Connect,
    /// A statement (`--statement-timeout`); its transaction was rolled back.
    Statement,
    /// The answer to `COMMIT`: whether the changes were kept is unknown.
    Commit,
}

/// A connection pool to one database.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: PoolInner,
    limits: Arc<Limits>,
}

#[derive(Debug, Clone)]
enum PoolInner {
    Postgres(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

/// How to reach a database: the driver's connect options, built once from the `--db` URL (which
/// is parsed once, here) or from config.php's values (never through a URL). `Debug` hides the
/// password.
#[derive(Clone)]
pub enum ConnectTo {
    /// A PostgreSQL server.
    Postgres(Box<PgConnectOptions>),
    /// A MariaDB or MySQL server.
    MySql(Box<MySqlConnectOptions>),
    /// A SQLite file; `create` makes it when it is absent (the demo only).
    Sqlite {
        /// The file.
        path: std::path::PathBuf,
        /// Create the file when absent.
        create: bool,
    },
}

/// `host:port`, or the socket, of a server.
fn server_address(host: &str, port: u16, socket: Option<&std::path::PathBuf>) -> String {
    match socket {
        Some(socket) => socket.display().to_string(),
        None if host.starts_with('/') => format!("{host} (port {port})"),
        None if host.contains(':') => format!("[{host}]:{port}"),
        None => format!("{host}:{port}"),
    }
}

impl std::fmt::Debug for ConnectTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The drivers' own `Debug` prints the password: only what a message may say is shown.
        match self {
            ConnectTo::Postgres(options) => f
                .debug_struct("Postgres")
                .field("address", &self.address())
                .field("user", &options.get_username())
                .field("database", &options.get_database())
                .field("password", &"***")
                .finish(),
            ConnectTo::MySql(options) => f
                .debug_struct("MySql")
                .field("address", &self.address())
                .field("user", &options.get_username())
                .field("database", &options.get_database())
                .field("password", &"***")
                .finish(),
            ConnectTo::Sqlite { path, create } => f
                .debug_struct("Sqlite")
                .field("path", path)
                .field("create", create)
                .finish(),
        }
    }
}

impl ConnectTo {
    /// Reads a `postgres://` URL (also `postgresql://`) as the driver does; `None` when it
    /// cannot be read.
    pub fn postgres_url(url: &str) -> Option<ConnectTo> {
        url.parse::<PgConnectOptions>()
            .ok()
            .map(|options| ConnectTo::Postgres(Box::new(options)))
    }

    /// Reads a `mysql://` URL as the driver does; `None` when it cannot be read.
    pub fn mysql_url(url: &str) -> Option<ConnectTo> {
        url.parse::<MySqlConnectOptions>()
            .ok()
            .map(|options| ConnectTo::MySql(Box::new(options)))
    }

    /// The connect options of the database config.php names, from its values: no URL is
    /// written or read (the values may hold any character).
    pub fn database(database: &super::config_php::Database) -> ConnectTo {
        // The settings both drivers take alike (their option types share no trait); an empty
        // user or password is left to the driver, as a URL without one would be.
        macro_rules! server {
            ($options:expr) => {{
                let mut options = $options.host(&database.host).database(&database.name);
                if let Some(port) = database.port {
                    options = options.port(port);
                }
                if let Some(socket) = &database.socket {
                    options = options.socket(socket);
                }
                if !database.user.is_empty() {
                    options = options.username(&database.user);
                }
                if !database.password.expose().is_empty() {
                    options = options.password(database.password.expose());
                }
                options
            }};
        }
        if database.postgres {
            // As the URL reader does: the environment's defaults (PGPORT…), not ~/.pgpass,
            // which Moodle does not read either.
            let mut options = server!(PgConnectOptions::new_without_pgpass());
            if let Some(schema) = &database.schema {
                options = options.options([("search_path", schema.as_str())]);
            }
            ConnectTo::Postgres(Box::new(options))
        } else {
            ConnectTo::MySql(Box::new(server!(MySqlConnectOptions::new())))
        }
    }

    /// The same place with the password given apart (`ATTESTOODLE_DB_PASSWORD`,
    /// `--db-password-file`), which replaces the URL's.
    pub fn with_password(self, password: &super::config_php::Secret) -> ConnectTo {
        match self {
            ConnectTo::Postgres(options) => {
                ConnectTo::Postgres(Box::new(options.password(password.expose())))
            }
            ConnectTo::MySql(options) => {
                ConnectTo::MySql(Box::new(options.password(password.expose())))
            }
            sqlite @ ConnectTo::Sqlite { .. } => sqlite,
        }
    }

    /// The database family.
    pub fn backend(&self) -> Backend {
        match self {
            ConnectTo::Postgres(_) => Backend::Postgres,
            ConnectTo::MySql(_) => Backend::MySql,
            ConnectTo::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Where the server is, for messages: `host:port`, a socket or the SQLite file.
    pub fn address(&self) -> String {
        match self {
            ConnectTo::Postgres(o) => server_address(o.get_host(), o.get_port(), o.get_socket()),
            ConnectTo::MySql(o) => server_address(o.get_host(), o.get_port(), o.get_socket()),
            ConnectTo::Sqlite { path, .. } => path.display().to_string(),
        }
    }
}

impl Pool {
    /// Opens a pool. Nothing is created on a server; a SQLite file is created only when asked.
    ///
    /// Connecting gives up after `timeouts.connect`; every statement run later after
    /// `timeouts.statement`, on the server where it can ([`Backend::session_timeout_statements`],
    /// PostgreSQL's `statement_timeout`, SQLite's busy timeout) and on the client side a little
    /// later. `description` names the database in a connection error (password hidden).
    pub async fn connect(
        to: &ConnectTo,
        timeouts: Timeouts,
        description: &str,
    ) -> Result<Pool, Error> {
        let backend = to.backend();
        let limits = Arc::new(Limits {
            address: to.address(),
            statement: timeouts.statement,
            backend,
        });
        let connect_error = |source: sqlx::Error| {
            let (failure, server_says) = super::ConnectFailure::of(&source, backend);
            Error::Connect {
                url: description.to_owned(),
                address: limits.address.clone(),
                failure,
                server_says,
                source: Box::new(source),
            }
        };
        let timed_out = || Error::Timeout {
            address: limits.address.clone(),
            waited: Waited::Connect,
            seconds: timeouts.connect.as_secs(),
        };
        let opening = Self::open(to, timeouts);
        let inner = match tokio::time::timeout(timeouts.connect, opening).await {
            Err(_) | Ok(Err(sqlx::Error::PoolTimedOut)) => return Err(timed_out()),
            Ok(Err(source)) => return Err(connect_error(source)),
            Ok(Ok(inner)) => inner,
        };
        Ok(Pool { inner, limits })
    }

    async fn open(to: &ConnectTo, timeouts: Timeouts) -> Result<PoolInner, sqlx::Error> {
        // A connection the pool opens later waits for the server as the first one did, and a
        // caller may wait for another's statement to end.
        let acquire = timeouts.connect + timeouts.statement;
        let statement_ms = timeouts.statement.as_millis().to_string();
        let statement_seconds = timeouts.statement.as_secs().max(1);
        Ok(match to {
            ConnectTo::Postgres(options) => {
                let options = options
                    .as_ref()
                    .clone()
                    .options([("statement_timeout", statement_ms.as_str())]);
                probe::<sqlx::PgConnection>(&options).await?;
                PoolInner::Postgres(
                    PgPoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(acquire)
                        .connect_with(options)
                        .await?,
                )
            }
            ConnectTo::MySql(options) => {
                let options = options.as_ref().clone();
                probe::<sqlx::MySqlConnection>(&options).await?;
                PoolInner::MySql(
                    MySqlPoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(acquire)
                        .after_connect(move |connection, _| {
                            Box::pin(async move {
                                for (statement, value) in
                                    Backend::MySql.session_timeout_statements(statement_seconds)
                                {
                                    // MariaDB and MySQL each refuse the other's variable.
                                    let _ = sqlx::query(statement)
                                        .bind(value)
                                        .execute(&mut *connection)
                                        .await;
                                }
                                Ok(())
                            })
                        })
                        .connect_with(options)
                        .await?,
                )
            }
            ConnectTo::Sqlite { path, create } => {
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(*create)
                    .busy_timeout(timeouts.statement)
                    .row_buffer_size(SQLITE_ROW_BUFFER);
                PoolInner::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(acquire)
                        .connect_with(options)
                        .await?,
                )
            }
        })
    }

    /// The database family.
    pub fn backend(&self) -> Backend {
        self.limits.backend
    }

    /// Opens a transaction; every statement run in it is counted in `statements`.
    pub async fn begin(&self, mode: TxMode, statements: Arc<AtomicUsize>) -> Result<Tx, Error> {
        let statement = self.backend().begin_statement(mode);
        let limits = &self.limits;
        let inner = match &self.inner {
            PoolInner::Postgres(p) => {
                TxInner::Postgres(limits.within("BEGIN", p.begin_with(statement)).await?)
            }
            PoolInner::MySql(p) => {
                TxInner::MySql(limits.within("BEGIN", p.begin_with(statement)).await?)
            }
            PoolInner::Sqlite(p) => {
                TxInner::Sqlite(limits.within("BEGIN", p.begin_with(statement)).await?)
            }
        };
        Ok(Tx {
            inner,
            statements,
            limits: self.limits.clone(),
        })
    }

    /// Runs one statement with no parameter outside any transaction.
    pub async fn execute_outside_transaction(&self, statement: String) -> Result<(), Error> {
        let limits = &self.limits;
        match &self.inner {
            PoolInner::Postgres(p) => {
                limits
                    .within(
                        &statement,
                        sqlx::raw_sql(AssertSqlSafe(statement.clone())).execute(p),
                    )
                    .await?;
            }
            PoolInner::MySql(p) => {
                limits
                    .within(
                        &statement,
                        sqlx::raw_sql(AssertSqlSafe(statement.clone())).execute(p),
                    )
                    .await?;
            }
            PoolInner::Sqlite(p) => {
                limits
                    .within(
                        &statement,
                        sqlx::raw_sql(AssertSqlSafe(statement.clone())).execute(p),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.inner {
            PoolInner::Postgres(p) => p.close().await,
            PoolInner::MySql(p) => p.close().await,
            PoolInner::Sqlite(p) => p.close().await,
        }
    }
}

/// Opens and closes one connection, so that a refused connection or a wrong password is
/// reported at once with its cause, instead of a pool retrying until its timeout.
async fn probe<C: sqlx::Connection>(options: &C::Options) -> Result<(), sqlx::Error> {
    C::connect_with(options).await?.close().await
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls it back.
pub struct Tx {
    inner: TxInner,
    statements: Arc<AtomicUsize>,
    limits: Arc<Limits>,
}

enum TxInner {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

/// How many rows SQLite's connection thread may read ahead of the reader. The driver's
/// default (50) makes that thread stop and be woken again every 50 rows: reading the 10,000
/// learners of a big training spent more time switching threads than in SQLite itself
/// (profiled under the load benchmark, issue 16).
const SQLITE_ROW_BUFFER: usize = 4_096;

/// Binds every parameter to a sqlx query, whatever the database.
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                Param::Int(v) => q.bind(v),
                Param::Text(v) => q.bind(v),
                Param::Blob(v) => q.bind(v),
                Param::NullInt => q.bind(None::<i64>),
                Param::NullText => q.bind(None::<String>),
            };
        }
        q
    }};
}

/// How the values of one column are decoded: by the first of the types [`decode_row`] tries
/// (integer widths, text, bytes, booleans) whose `compatible` accepts the column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I64,
    I32,
    I16,
    Text,
    Blob,
    Bool,
    /// Decided value by value: SQLite, whose values carry their own types, or a column whose
    /// type the driver does not know.
    EachValue,
}

/// The [`Kind`] of every column of a result, decided once from the first row's columns. On
/// PostgreSQL and MariaDB/MySQL a value's type is its column's, so this is the type trying
/// every one for each value would find, without the `compatible` checks (and, for each
/// refused type, the formatted error of a failed `try_get`) on every value, which were most
/// of the time of a large save.
macro_rules! column_kinds {
    ($rows:expr, $db:ty, $per_column:expr) => {{
        let mut kinds = Vec::new();
        if let (true, Some(first)) = ($per_column, $rows.first()) {
            for column in first.columns() {
                let ty = column.type_info();
                let fits = |compatible: bool| compatible && !sqlx::TypeInfo::is_null(ty);
                kinds.push(if fits(<i64 as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::I64
                } else if fits(<i32 as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::I32
                } else if fits(<i16 as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::I16
                } else if fits(<String as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::Text
                } else if fits(<Vec<u8> as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::Blob
                } else if fits(<bool as sqlx::Type<$db>>::compatible(ty)) {
                    Kind::Bool
                } else {
                    Kind::EachValue
                });
            }
        }
        kinds
    }};
}

/// Decodes one driver row into a [`Row`]: each value by the first of the integer widths, text,
/// bytes and booleans that decodes it, in that order.
///
/// A column of a known [`Kind`] is decoded by that type without checking it again; only when
/// that fails (or for [`Kind::EachValue`]) are the types tried one by one, and then only those
/// whose `compatible` accepts the value's type: `try_get` checks the same before decoding (and
/// decodes a value of unknown type, `TypeInfo::is_null`, without checking), so the outcome is
/// that of trying every type.
macro_rules! decode_row {
    ($row:expr, $names:expr, $kinds:expr, $db:ty) => {{
        let row = $row;
        let kinds: &[Kind] = $kinds;
        let mut values = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            let known = match kinds.get(i).copied().unwrap_or(Kind::EachValue) {
                Kind::I64 => row
                    .try_get_unchecked::<Option<i64>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, Value::Int)),
                Kind::I32 => row
                    .try_get_unchecked::<Option<i32>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, |v| Value::Int(v.into()))),
                Kind::I16 => row
                    .try_get_unchecked::<Option<i16>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, |v| Value::Int(v.into()))),
                Kind::Text => row
                    .try_get_unchecked::<Option<String>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, Value::Text)),
                Kind::Blob => row
                    .try_get_unchecked::<Option<Vec<u8>>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, Value::Blob)),
                Kind::Bool => row
                    .try_get_unchecked::<Option<bool>, _>(i)
                    .ok()
                    .map(|v| v.map_or(Value::Null, |v| Value::Int(v.into()))),
                Kind::EachValue => None,
            };
            let value = match known {
                Some(value) => Some(value),
                None => 'found: {
                    let Ok(raw) = row.try_get_raw(i) else {
                        break 'found None;
                    };
                    if sqlx::ValueRef::is_null(&raw) {
                        break 'found Some(Value::Null);
                    }
                    let ty = sqlx::ValueRef::type_info(&raw);
                    let any = sqlx::TypeInfo::is_null(&*ty);
                    macro_rules! attempt {
                        ($t:ty, $wrap:expr) => {
                            if any || <$t as sqlx::Type<$db>>::compatible(&ty) {
                                if let Ok(v) = row.try_get::<Option<$t>, _>(i) {
                                    break 'found Some(v.map_or(Value::Null, $wrap));
                                }
                            }
                        };
                    }
                    attempt!(i64, Value::Int);
                    attempt!(i32, |v| Value::Int(v.into()));
                    attempt!(i16, |v| Value::Int(v.into()));
                    attempt!(String, Value::Text);
                    attempt!(Vec<u8>, Value::Blob);
                    attempt!(bool, |v| Value::Int(v.into()));
                    None
                }
            };
            let Some(value) = value else {
                return Err(Error::Decode {
                    column: column.name().to_owned(),
                    problem: format!(
                        "the column type {:?} is not one Moodle uses",
                        sqlx::TypeInfo::name(column.type_info())
                    ),
                });
            };
            values.push(value);
        }
        Row {
            names: $names,
            values,
        }
    }};
}

/// The column names of the first row, shared by every row of a result.
macro_rules! column_names {
    ($rows:expr) => {
        $rows
            .first()
            .map(|r| {
                r.columns()
                    .iter()
                    .map(|c| c.name().to_owned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into()
    };
}

impl Tx {
    fn count(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a query and decodes every row. `sql` is already rendered.
    pub async fn fetch_all(&mut self, sql: String, params: Vec<Param>) -> Result<Vec<Row>, Error> {
        let limits = self.limits.clone();
        macro_rules! run {
            ($tx:expr, $db:ty, $per_column:expr) => {{
                let rows = limits
                    .within(
                        &sql,
                        bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                            .fetch_all(&mut **$tx),
                    )
                    .await?;
                let names: Arc<[String]> = column_names!(rows);
                let kinds = column_kinds!(rows, $db, $per_column);
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    out.push(decode_row!(row, names.clone(), &kinds, $db));
                }
                out
            }};
        }
        self.count();
        Ok(match &mut self.inner {
            TxInner::Postgres(tx) => run!(tx, sqlx::Postgres, true),
            TxInner::MySql(tx) => run!(tx, sqlx::MySql, true),
            // SQLite's values carry their own types, which may differ from row to row.
            TxInner::Sqlite(tx) => run!(tx, sqlx::Sqlite, false),
        })
    }

    /// Runs a query and hands each row to `each` as it arrives, without holding the whole
    /// result: the reads of many trainings (docs/decisions.md §21) keep only what `each`
    /// keeps. `sql` is already rendered; an error of `each` stops the read.
    pub async fn fetch_each(
        &mut self,
        sql: String,
        params: Vec<Param>,
        mut each: impl FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error> {
        use futures_util::TryStreamExt as _;
        let limits = self.limits.clone();
        let mut stopped: Option<Error> = None;
        macro_rules! run {
            ($tx:expr, $db:ty, $per_column:expr) => {{
                limits
                    .within(&sql, async {
                        let mut rows = bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                            .fetch(&mut **$tx);
                        // The names and kinds of the first row serve every row (fetch_all).
                        let mut shape: Option<(Arc<[String]>, Vec<Kind>)> = None;
                        while let Some(row) = rows.try_next().await? {
                            let (names, kinds) = shape.get_or_insert_with(|| {
                                let first = std::slice::from_ref(&row);
                                (column_names!(first), column_kinds!(first, $db, $per_column))
                            });
                            let decoded = (|| -> Result<Row, Error> {
                                Ok(decode_row!(&row, names.clone(), kinds, $db))
                            })();
                            if let Err(e) = decoded.and_then(&mut each) {
                                stopped = Some(e);
                                break;
                            }
                        }
                        Ok::<(), sqlx::Error>(())
                    })
                    .await
            }};
        }
        self.count();
        match &mut self.inner {
            TxInner::Postgres(tx) => run!(tx, sqlx::Postgres, true),
            TxInner::MySql(tx) => run!(tx, sqlx::MySql, true),
            // SQLite's values carry their own types, which may differ from row to row.
            TxInner::Sqlite(tx) => run!(tx, sqlx::Sqlite, false),
        }?;
        stopped.map_or(Ok(()), Err)
    }

    /// Runs a statement that returns no rows; gives the number of rows it changed.
    pub async fn execute(&mut self, sql: String, params: Vec<Param>) -> Result<u64, Error> {
        let limits = self.limits.clone();
        macro_rules! run {
            ($tx:expr) => {
                limits
                    .within(
                        &sql,
                        bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                            .execute(&mut **$tx),
                    )
                    .await
                    .map(|r| r.rows_affected())
            };
        }
        self.count();
        match &mut self.inner {
            TxInner::Postgres(tx) => run!(tx),
            TxInner::MySql(tx) => run!(tx),
            TxInner::Sqlite(tx) => run!(tx),
        }
    }

    /// Writes `rows` into `table` (its rendered name) and `columns` with one
    /// `INSERT … SELECT … FROM UNNEST(…)`, each column bound as one array (or once, when every
    /// row holds the same value); PostgreSQL only
    /// ([`Backend::inserts_arrays`]). A column's type is its values' (`Param::NullInt` and
    /// `Param::NullText` say it for NULL); one whose values are of several types is refused.
    /// Gives the number of rows written.
    pub async fn insert_arrays(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Param>>,
    ) -> Result<u64, Error> {
        /// One column's values.
        enum Array {
            Int(Vec<Option<i64>>),
            Text(Vec<Option<String>>),
            Blob(Vec<Option<Vec<u8>>>),
        }
        let mixed = || Error::Decode {
            column: table.to_owned(),
            problem: "a column holds values of several types".to_owned(),
        };
        let mut arrays: Vec<Option<Array>> = columns.iter().map(|_| None).collect();
        let count = rows.len();
        for row in rows {
            for (array, value) in arrays.iter_mut().zip(row) {
                let array = array.get_or_insert_with(|| match value {
                    Param::Int(_) | Param::NullInt => Array::Int(Vec::with_capacity(count)),
                    Param::Text(_) | Param::NullText => Array::Text(Vec::with_capacity(count)),
                    Param::Blob(_) => Array::Blob(Vec::with_capacity(count)),
                });
                match (array, value) {
                    (Array::Int(a), Param::Int(v)) => a.push(Some(v)),
                    (Array::Int(a), Param::NullInt) => a.push(None),
                    (Array::Text(a), Param::Text(v)) => a.push(Some(v)),
                    (Array::Text(a), Param::NullText) => a.push(None),
                    (Array::Blob(a), Param::Blob(v)) => a.push(Some(v)),
                    _ => return Err(mixed()),
                }
            }
        }
        // A column whose rows all hold one value (a learner's `selected`, `resultcriteria`)
        // is bound once, not as an array: the server then unnests fewer arrays, a fifth less
        // of its time on a rollover's 200,000 learners (docs/decisions.md §23). At least one
        // column stays an array, which gives the number of rows.
        let same = |array: &Array| match array {
            Array::Int(a) => a.windows(2).all(|w| w[0] == w[1]),
            Array::Text(a) => a.windows(2).all(|w| w[0] == w[1]),
            Array::Blob(a) => a.windows(2).all(|w| w[0] == w[1]),
        };
        let mut once: Vec<bool> = arrays
            .iter()
            .map(|array| count > 1 && array.as_ref().is_some_and(same))
            .collect();
        if once.iter().all(|o| *o) {
            if let Some(first) = once.first_mut() {
                *first = false;
            }
        }
        let kind = |array: &Option<Array>| match array {
            Some(Array::Text(_)) => "text",
            Some(Array::Blob(_)) => "bytea",
            Some(Array::Int(_)) | None => "bigint",
        };
        let (mut unnested, mut selected) = (Vec::new(), Vec::new());
        for (n, (array, once)) in arrays.iter().zip(&once).enumerate() {
            if *once {
                selected.push(format!("CAST(${} AS {})", n + 1, kind(array)));
            } else {
                unnested.push(format!("${}::{}[]", n + 1, kind(array)));
                selected.push(format!("u.c{}", unnested.len()));
            }
        }
        let names: Vec<String> = (1..=unnested.len()).map(|n| format!("c{n}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {} FROM UNNEST({}) AS u({})",
            columns.join(", "),
            selected.join(", "),
            unnested.join(", "),
            names.join(", ")
        );
        self.count();
        let limits = self.limits.clone();
        let TxInner::Postgres(tx) = &mut self.inner else {
            return Err(Error::Decode {
                column: table.to_owned(),
                problem: "arrays are PostgreSQL's".to_owned(),
            });
        };
        let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
        for (array, once) in arrays.into_iter().zip(once) {
            query = match (array, once) {
                (Some(Array::Int(a)), true) => query.bind(a.into_iter().next().flatten()),
                (Some(Array::Text(a)), true) => query.bind(a.into_iter().next().flatten()),
                (Some(Array::Blob(a)), true) => query.bind(a.into_iter().next().flatten()),
                (Some(Array::Int(a)), false) => query.bind(a),
                (Some(Array::Text(a)), false) => query.bind(a),
                (Some(Array::Blob(a)), false) => query.bind(a),
                (None, _) => query.bind(Vec::<Option<i64>>::new()),
            };
        }
        limits
            .within(&sql, query.execute(&mut **tx))
            .await
            .map(|r| r.rows_affected())
    }

    /// Runs an `INSERT` and gives the new row's `id`. `sql` is already rendered.
    ///
    /// PostgreSQL gets `RETURNING id`; MySQL and SQLite report the id of the connection's
    /// last insert (MySQL has no `RETURNING`).
    pub async fn insert(&mut self, sql: String, params: Vec<Param>) -> Result<i64, Error> {
        self.count();
        let limits = self.limits.clone();
        match &mut self.inner {
            TxInner::Postgres(tx) => {
                let returning = format!("{sql} RETURNING id");
                let run = async {
                    bind_all!(sqlx::query(AssertSqlSafe(returning)), params)
                        .fetch_one(&mut **tx)
                        .await
                        .and_then(|row| row.try_get::<i64, _>(0))
                };
                limits.within(&sql, run).await
            }
            TxInner::MySql(tx) => {
                let run = async {
                    bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                        .execute(&mut **tx)
                        .await
                        .and_then(|r| {
                            i64::try_from(r.last_insert_id())
                                .map_err(|e| sqlx::Error::Decode(Box::new(e)))
                        })
                };
                limits.within(&sql, run).await
            }
            TxInner::Sqlite(tx) => {
                let run =
                    bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params).execute(&mut **tx);
                limits
                    .within(&sql, run)
                    .await
                    .map(|r| r.last_insert_rowid())
            }
        }
    }

    /// Makes every change of the transaction permanent.
    pub async fn commit(self) -> Result<(), Error> {
        let limits = self.limits;
        match self.inner {
            TxInner::Postgres(tx) => limits.within("COMMIT", tx.commit()).await,
            TxInner::MySql(tx) => limits.within("COMMIT", tx.commit()).await,
            TxInner::Sqlite(tx) => limits.within("COMMIT", tx.commit()).await,
        }
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> Result<(), Error> {
        let limits = self.limits;
        match self.inner {
            TxInner::Postgres(tx) => limits.within("ROLLBACK", tx.rollback()).await,
            TxInner::MySql(tx) => limits.within("ROLLBACK", tx.rollback()).await,
            TxInner::Sqlite(tx) => limits.within("ROLLBACK", tx.rollback()).await,
        }
    }
}

/// The SQL that lists the tables of the connection's database or schema, as `name`.
pub fn list_tables_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
        Backend::MySql => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE()"
        }
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_list_is_one_array_on_postgres_and_chunked_lists_elsewhere() {
        let ids: Vec<i64> = (1..=25).collect();
        let pg = Backend::Postgres.among("cm.id", &ids, 10);
        assert_eq!(pg.len(), 1, "one statement for every id");
        assert_eq!(pg[0].0, "cm.id IN (SELECT unnest(CAST(? AS bigint[])))");
        let array: String = format!(
            "{{{}}}",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
        assert!(matches!(&pg[0].1[..], [Param::Text(text)] if *text == array));
        for backend in [Backend::MySql, Backend::Sqlite] {
            let lists = backend.among("cm.id", &ids, 10);
            let sizes: Vec<usize> = lists.iter().map(|(_, params)| params.len()).collect();
            assert_eq!(sizes, [10, 10, 5]);
            assert_eq!(lists[2].0, "cm.id IN (?, ?, ?, ?, ?)");
        }
        assert!(Backend::Postgres.among("cm.id", &[], 10).is_empty());
        assert!(Backend::Sqlite.among("cm.id", &[], 10).is_empty());
    }

    #[test]
    fn postgres_gets_numbered_placeholders_and_the_prefix() {
        let sql = Sql("SELECT id FROM {p}course WHERE shortname = ? AND category = ?");
        assert_eq!(
            sql.render(Backend::Postgres, "mdl_"),
            "SELECT id FROM mdl_course WHERE shortname = $1 AND category = $2"
        );
        assert_eq!(
            sql.render(Backend::MySql, "m2_"),
            "SELECT id FROM m2_course WHERE shortname = ? AND category = ?"
        );
    }

    #[test]
    fn a_quoted_question_mark_is_not_a_placeholder() {
        let sql = Sql("SELECT '?' AS q FROM {p}config WHERE name = ?");
        assert_eq!(
            sql.render(Backend::Postgres, "mdl_"),
            "SELECT '?' AS q FROM mdl_config WHERE name = $1"
        );
    }

    #[test]
    fn mysql_compares_names_byte_for_byte() {
        assert_eq!(
            Backend::MySql.exact_eq("t.name"),
            "BINARY t.name = BINARY ?"
        );
        assert_eq!(Backend::Postgres.exact_eq("t.name"), "t.name = ?");
        assert_eq!(
            Backend::MySql.exact_in("name", 2),
            "BINARY name IN (BINARY ?, BINARY ?)"
        );
        assert_eq!(Backend::MySql.exact_in("name", 1), "BINARY name = BINARY ?");
        assert_eq!(Backend::Sqlite.exact_in("name", 3), "name IN (?, ?, ?)");
    }
}
