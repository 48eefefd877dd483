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

    /// `left = ?` comparing text byte for byte (DECISIONS 2): MySQL's `_ci` collations would
    /// otherwise find `SITE` and `Site ` when asked for `Site`.
    pub fn exact_eq(self, left: &str) -> String {
        match self {
            Backend::MySql => format!("BINARY {left} = BINARY ?"),
            Backend::Postgres | Backend::Sqlite => format!("{left} = ?"),
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
            Backend::Postgres => NameLock::Advisory("SELECT pg_advisory_xact_lock(?)"),
            Backend::MySql => NameLock::Session {
                acquire: "SELECT GET_LOCK(?, ?) AS got",
                release: "SELECT RELEASE_LOCK(?) AS released",
            },
            Backend::Sqlite => NameLock::Writer,
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

    /// The statement that opens a transaction.
    fn begin_statement(self, mode: TxMode) -> &'static str {
        match (self, mode) {
            (Backend::Postgres, TxMode::ReadOnly) => "BEGIN READ ONLY",
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
    /// A statement taking a 64-bit key, released by the end of the transaction.
    Advisory(&'static str),
    /// A statement taking the lock name and a timeout in seconds (1 when taken), and the
    /// statement that releases it.
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

/// A connection pool to one database.
#[derive(Debug, Clone)]
pub enum Pool {
    /// PostgreSQL.
    Postgres(PgPool),
    /// MariaDB or MySQL.
    MySql(MySqlPool),
    /// SQLite.
    Sqlite(SqlitePool),
}

/// How to reach a database, once the URL has been understood.
#[derive(Debug, Clone)]
pub enum ConnectTo {
    /// `postgres://...`: the URL as sqlx reads it.
    Postgres(String),
    /// `mysql://...` (also written `mariadb://`).
    MySql(String),
    /// A SQLite file; `create` makes it when it is absent (the demo only).
    Sqlite {
        /// The file.
        path: std::path::PathBuf,
        /// Create the file when absent.
        create: bool,
    },
}

impl Pool {
    /// Opens a pool. Nothing is created on a server; a SQLite file is created only when asked.
    pub async fn connect(to: &ConnectTo) -> Result<Pool, sqlx::Error> {
        let timeout = Duration::from_secs(15);
        Ok(match to {
            ConnectTo::Postgres(url) => {
                let options: PgConnectOptions = url.parse()?;
                probe::<sqlx::PgConnection>(&options).await?;
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(timeout)
                        .connect_with(options)
                        .await?,
                )
            }
            ConnectTo::MySql(url) => {
                let options: MySqlConnectOptions = url.parse()?;
                probe::<sqlx::MySqlConnection>(&options).await?;
                Pool::MySql(
                    MySqlPoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(timeout)
                        .connect_with(options)
                        .await?,
                )
            }
            ConnectTo::Sqlite { path, create } => {
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(*create)
                    .busy_timeout(timeout);
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(timeout)
                        .connect_with(options)
                        .await?,
                )
            }
        })
    }

    /// The database family.
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Postgres(_) => Backend::Postgres,
            Pool::MySql(_) => Backend::MySql,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens a transaction; every statement run in it is counted in `statements`.
    pub async fn begin(
        &self,
        mode: TxMode,
        statements: Arc<AtomicUsize>,
    ) -> Result<Tx, sqlx::Error> {
        let statement = self.backend().begin_statement(mode);
        let inner = match self {
            Pool::Postgres(p) => TxInner::Postgres(p.begin_with(statement).await?),
            Pool::MySql(p) => TxInner::MySql(p.begin_with(statement).await?),
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with(statement).await?),
        };
        Ok(Tx { inner, statements })
    }

    /// Runs one statement with no parameter outside any transaction.
    pub async fn execute_outside_transaction(&self, statement: String) -> Result<(), Error> {
        let result = match self {
            Pool::Postgres(p) => sqlx::raw_sql(AssertSqlSafe(statement.clone()))
                .execute(p)
                .await
                .map(|_| ()),
            Pool::MySql(p) => sqlx::raw_sql(AssertSqlSafe(statement.clone()))
                .execute(p)
                .await
                .map(|_| ()),
            Pool::Sqlite(p) => sqlx::raw_sql(AssertSqlSafe(statement.clone()))
                .execute(p)
                .await
                .map(|_| ()),
        };
        result.map_err(|source| Error::Query { statement, source })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
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
}

enum TxInner {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

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

/// Decodes one driver row into a [`Row`], trying the integer widths, then text, then bytes.
macro_rules! decode_row {
    ($row:expr, $names:expr) => {{
        let row = $row;
        let mut values = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            let value = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                v.map_or(Value::Null, Value::Int)
            } else if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
                v.map_or(Value::Null, |v| Value::Int(v.into()))
            } else if let Ok(v) = row.try_get::<Option<i16>, _>(i) {
                v.map_or(Value::Null, |v| Value::Int(v.into()))
            } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                v.map_or(Value::Null, Value::Text)
            } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                v.map_or(Value::Null, Value::Blob)
            } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                v.map_or(Value::Null, |v| Value::Int(v.into()))
            } else {
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
        let context = || sql.clone();
        macro_rules! run {
            ($tx:expr) => {{
                let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                    .fetch_all(&mut **$tx)
                    .await
                    .map_err(|source| Error::Query {
                        statement: context(),
                        source,
                    })?;
                let names: Arc<[String]> = column_names!(rows);
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    out.push(decode_row!(row, names.clone()));
                }
                out
            }};
        }
        self.count();
        Ok(match &mut self.inner {
            TxInner::Postgres(tx) => run!(tx),
            TxInner::MySql(tx) => run!(tx),
            TxInner::Sqlite(tx) => run!(tx),
        })
    }

    /// Runs a statement that returns no rows; gives the number of rows it changed.
    pub async fn execute(&mut self, sql: String, params: Vec<Param>) -> Result<u64, Error> {
        macro_rules! run {
            ($tx:expr) => {
                bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                    .execute(&mut **$tx)
                    .await
                    .map(|r| r.rows_affected())
            };
        }
        self.count();
        let result = match &mut self.inner {
            TxInner::Postgres(tx) => run!(tx),
            TxInner::MySql(tx) => run!(tx),
            TxInner::Sqlite(tx) => run!(tx),
        };
        result.map_err(|source| Error::Query {
            statement: sql,
            source,
        })
    }

    /// Runs an `INSERT` and gives the new row's `id`. `sql` is already rendered.
    ///
    /// PostgreSQL gets `RETURNING id`; MySQL and SQLite report the id of the connection's
    /// last insert (MySQL has no `RETURNING`).
    pub async fn insert(&mut self, sql: String, params: Vec<Param>) -> Result<i64, Error> {
        self.count();
        let result = match &mut self.inner {
            TxInner::Postgres(tx) => {
                let sql = format!("{sql} RETURNING id");
                bind_all!(sqlx::query(AssertSqlSafe(sql)), params)
                    .fetch_one(&mut **tx)
                    .await
                    .and_then(|row| row.try_get::<i64, _>(0))
            }
            TxInner::MySql(tx) => bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                .execute(&mut **tx)
                .await
                .and_then(|r| {
                    i64::try_from(r.last_insert_id()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
                }),
            TxInner::Sqlite(tx) => bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), params)
                .execute(&mut **tx)
                .await
                .map(|r| r.last_insert_rowid()),
        };
        result.map_err(|source| Error::Query {
            statement: sql,
            source,
        })
    }

    /// Makes every change of the transaction permanent.
    pub async fn commit(self) -> Result<(), Error> {
        let result = match self.inner {
            TxInner::Postgres(tx) => tx.commit().await,
            TxInner::MySql(tx) => tx.commit().await,
            TxInner::Sqlite(tx) => tx.commit().await,
        };
        result.map_err(|source| Error::Query {
            statement: "COMMIT".to_owned(),
            source,
        })
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> Result<(), Error> {
        let result = match self.inner {
            TxInner::Postgres(tx) => tx.rollback().await,
            TxInner::MySql(tx) => tx.rollback().await,
            TxInner::Sqlite(tx) => tx.rollback().await,
        };
        result.map_err(|source| Error::Query {
            statement: "ROLLBACK".to_owned(),
            source,
        })
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
    }
}
