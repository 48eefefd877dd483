//! Test support for the concurrency and fault tests: the binary started as a child process
//! (several at once), and database servers of the test's own, in a temporary directory on a
//! free loopback port, that it may stop in the middle of a write and start again.
//!
//! The shared servers of `ATTESTOODLE_TEST_POSTGRES_URL` / `ATTESTOODLE_TEST_MARIADB_URL` are
//! never stopped: other tests use them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{TestBackend, TestDb};

/// Starts the binary on a test database (`--db`, `--prefix`) in its directory, with its keys
/// in `keys`, stdout and stderr captured: collect it with [`Child::wait_with_output`].
pub fn spawn_tool(db: &TestDb, keys: &Path, args: &[&str]) -> Child {
    let mut full = vec!["--db", &db.url, "--prefix", &db.prefix];
    full.extend_from_slice(args);
    super::tool_command(super::binary(), db.dir.path(), keys)
        .args(&full)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start attestoodle-backup")
}

/// The codes a `restore ARGS` needs accepted, from a dry run's JSON, plus `extra`, joined for
/// `--accept` (empty when none).
pub fn codes_to_accept(db: &TestDb, args: &[&str], extra: &[&str]) -> String {
    let mut full = vec!["--json", "restore"];
    full.extend_from_slice(args);
    full.push("--dry-run");
    let output = db.run(&full);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", super::stdout(&output), super::stderr(&output)));
    let mut codes: Vec<String> = json["to_accept"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    codes.extend(extra.iter().map(|c| (*c).to_owned()));
    codes.sort();
    codes.dedup();
    codes.join(",")
}

/// A free TCP port on 127.0.0.1 (free when asked; a server started at once gets it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

/// Whether this process runs as root (PostgreSQL's tools then run as `postgres`).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Which server a [`PrivateServer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// PostgreSQL (`initdb`, `pg_ctl`).
    Postgres,
    /// MariaDB (`mariadb-install-db`, `mariadbd`).
    MariaDb,
}

/// A database server of the test's own, which it may stop at any moment.
pub struct PrivateServer {
    kind: ServerKind,
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
    mariadbd: Option<Child>,
}

impl PrivateServer {
    /// Makes and starts a server of `kind`, or says why it cannot (its programs are not
    /// installed) so that the caller prints the reason and skips.
    pub fn start_new(kind: ServerKind) -> Result<PrivateServer, String> {
        let bin = match kind {
            ServerKind::Postgres => postgres_bin()
                .ok_or("no PostgreSQL server programs (/usr/lib/postgresql/*/bin/initdb)")?,
            ServerKind::MariaDb => PathBuf::from("/usr/sbin"),
        };
        if kind == ServerKind::MariaDb && !bin.join("mariadbd").exists() {
            return Err("no MariaDB server program (/usr/sbin/mariadbd)".to_owned());
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut server = PrivateServer {
            kind,
            dir,
            port: free_port(),
            bin,
            mariadbd: None,
        };
        match kind {
            ServerKind::Postgres => {
                if is_root() {
                    chown_postgres(server.dir.path());
                }
                let data = server.data();
                succeed(
                    server
                        .postgres_tool("initdb")
                        .args(["-A", "trust", "-U", "postgres", "-D"])
                        .arg(&data),
                    "initdb of a private cluster",
                );
            }
            ServerKind::MariaDb => {
                succeed(
                    Command::new("mariadb-install-db")
                        .args(["--no-defaults", "--user=root", "--skip-test-db"])
                        .args(["--auth-root-authentication-method=normal"])
                        .arg(format!("--datadir={}", server.data().display())),
                    "mariadb-install-db of a private server",
                );
            }
        }
        server.start();
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn postgres_tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// The server URL (a test database is created on it by [`TestDb::new`]).
    pub fn url(&self) -> String {
        match self.kind {
            ServerKind::Postgres => format!("postgres://postgres@127.0.0.1:{}/postgres", self.port),
            ServerKind::MariaDb => format!("mysql://root@127.0.0.1:{}/mysql", self.port),
        }
    }

    /// The backend to give [`TestDb::new`].
    pub fn backend(&self) -> TestBackend {
        match self.kind {
            ServerKind::Postgres => TestBackend::Postgres(self.url()),
            ServerKind::MariaDb => TestBackend::MariaDb(self.url()),
        }
    }

    /// Starts the server (again) on its data directory and waits until it answers.
    pub fn start(&mut self) {
        match self.kind {
            ServerKind::Postgres => {
                // Without fsync: a stopped server still keeps what the system holds (only a
                // crash of the machine would lose it), and the test's setup goes faster.
                let options = format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    self.port,
                    self.dir.path().display()
                );
                succeed(
                    self.postgres_tool("pg_ctl")
                        .arg("-D")
                        .arg(self.data())
                        .args(["-w", "-o", &options, "-l"])
                        .arg(self.dir.path().join("server.log"))
                        .arg("start"),
                    "pg_ctl start of the private PostgreSQL server",
                );
            }
            ServerKind::MariaDb => {
                let child = Command::new(self.bin.join("mariadbd"))
                    .args(["--no-defaults", "--user=root", "--skip-grant-tables"])
                    .args(["--bind-address=127.0.0.1", "--innodb-buffer-pool-size=64M"])
                    .arg(format!("--port={}", self.port))
                    .arg(format!("--datadir={}", self.data().display()))
                    .arg(format!(
                        "--socket={}",
                        self.dir.path().join("sock").display()
                    ))
                    .arg(format!(
                        "--pid-file={}",
                        self.dir.path().join("pid").display()
                    ))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start mariadbd");
                self.mariadbd = Some(child);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the private {:?} server does not answer on port {}",
                self.kind,
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `pg_ctl stop -m immediate`; gives whether it stopped the server.
    fn pg_ctl_stop(&self) -> bool {
        self.postgres_tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Stops the server at once, as a power cut would: PostgreSQL's immediate shutdown (no
    /// checkpoint, every connection ended), MariaDB killed. Nothing uncommitted survives.
    pub fn stop_now(&mut self) {
        match self.kind {
            ServerKind::Postgres => assert!(
                self.pg_ctl_stop(),
                "the private PostgreSQL server did not stop"
            ),
            ServerKind::MariaDb => {
                if let Some(mut child) = self.mariadbd.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        if self.kind == ServerKind::Postgres && self.data().join("postmaster.pid").exists() {
            self.pg_ctl_stop();
        }
        if let Some(mut child) = self.mariadbd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The directory of PostgreSQL's server programs, the newest installed.
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

/// Gives a directory to the `postgres` user, which the server runs as under root.
fn chown_postgres(dir: &Path) {
    succeed(
        Command::new("chown").args(["postgres:postgres"]).arg(dir),
        "chown postgres",
    );
}

/// Runs a command of the setup, its output discarded; it must succeed.
fn succeed(command: &mut Command, what: &str) {
    let done = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(done.success(), "{what} failed");
}

/// A connection of the test's own to a server test database, to see what the tool's
/// connections are doing (`pg_stat_activity`, InnoDB's transactions and process list) and to
/// hold a table lock that makes a reader wait at a chosen statement.
pub enum Watch {
    /// On PostgreSQL.
    Postgres(sqlx::PgConnection),
    /// On MariaDB.
    MariaDb(sqlx::MySqlConnection),
}

impl Watch {
    /// Connects to the test database, or `None` on SQLite.
    pub async fn connect(db: &TestDb) -> Option<Watch> {
        use sqlx::Connection as _;
        match db.backend {
            TestBackend::Sqlite => None,
            TestBackend::Postgres(_) => Some(Watch::Postgres(
                sqlx::PgConnection::connect(&db.url).await.expect("watch"),
            )),
            TestBackend::MariaDb(_) => Some(Watch::MariaDb(
                sqlx::MySqlConnection::connect(&db.url)
                    .await
                    .expect("watch"),
            )),
        }
    }

    async fn count(&mut self, postgres: &'static str, mariadb: &'static str) -> i64 {
        match self {
            Watch::Postgres(c) => sqlx::query_scalar(postgres).fetch_one(c).await,
            Watch::MariaDb(c) => sqlx::query_scalar(mariadb).fetch_one(c).await,
        }
        .expect("a count")
    }

    /// Polls a count every few milliseconds until it is above zero or `limit` passes; gives
    /// whether it was.
    async fn until(
        &mut self,
        postgres: &'static str,
        mariadb: &'static str,
        limit: Duration,
    ) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.count(postgres, mariadb).await > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    }

    /// Waits until another transaction on this database has written (PostgreSQL: it has a
    /// transaction id; MariaDB: a write statement is running in it): an apply has begun.
    /// Gives whether it happened within `limit`.
    pub async fn until_writing(&mut self, limit: Duration) -> bool {
        self.until(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
            // InnoDB's own list of transactions is refreshed every 100 ms only: look for a
            // write statement running instead (the apply's first write opens its transaction).
            "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() \
             AND id <> CONNECTION_ID() \
             AND (info LIKE 'INSERT%' OR info LIKE 'UPDATE%' OR info LIKE 'DELETE%')",
            limit,
        )
        .await
    }

    /// Waits until a statement on this database waits for the lock of `course_categories`;
    /// gives whether it happened within `limit`.
    pub async fn until_waiting_for_categories(&mut self, limit: Duration) -> bool {
        self.until(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE '%course_categories%'",
            "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() \
             AND state LIKE '%metadata lock%' AND info LIKE '%course_categories%'",
            limit,
        )
        .await
    }

    /// Locks `{prefix}course_categories` against readers until [`Watch::unlock`].
    pub async fn lock_categories(&mut self, prefix: &str) {
        let table = format!("{prefix}course_categories");
        match self {
            Watch::Postgres(c) => {
                let sql = format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(c)
                    .await
                    .expect("lock");
            }
            Watch::MariaDb(c) => {
                let sql = format!("LOCK TABLES {table} WRITE");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(c)
                    .await
                    .expect("lock");
            }
        }
    }

    /// Releases the lock of [`Watch::lock_categories`].
    pub async fn unlock(&mut self) {
        match self {
            Watch::Postgres(c) => sqlx::raw_sql("COMMIT").execute(c).await.map(|_| ()),
            Watch::MariaDb(c) => sqlx::raw_sql("UNLOCK TABLES").execute(c).await.map(|_| ()),
        }
        .expect("unlock");
    }
}
