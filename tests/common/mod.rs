//! Test support: a fresh Moodle-shaped site per test on every backend whose URL is set.
//!
//! SQLite always runs. PostgreSQL runs when `ATTESTOODLE_TEST_POSTGRES_URL` is set and MariaDB
//! when `ATTESTOODLE_TEST_MARIADB_URL` is set (a server URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`); `.ci/run` sets both. A set URL whose server
//! cannot be reached fails the test: it is never skipped.

#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod activities;
pub mod batches;
pub mod demo_site;
pub mod http;
pub mod processes;
pub mod real_moodle;
pub mod rows;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{fixture, Backend, Param, Site, Target};

/// The database servers to test against.
#[derive(Debug, Clone)]
pub enum TestBackend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres(String),
    /// A MariaDB/MySQL server.
    MariaDb(String),
}

impl TestBackend {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres(_) => "postgres",
            TestBackend::MariaDb(_) => "mariadb",
        }
    }
}

/// SQLite, plus every server whose URL is set.
pub fn backends() -> Vec<TestBackend> {
    let mut all = vec![TestBackend::Sqlite];
    if let Some(url) = env_url("ATTESTOODLE_TEST_POSTGRES_URL") {
        all.push(TestBackend::Postgres(url));
    }
    if let Some(url) = env_url("ATTESTOODLE_TEST_MARIADB_URL") {
        all.push(TestBackend::MariaDb(url));
    }
    all
}

/// Runs a scenario once on each backend of [`backends`], one after the other.
///
/// Every database the scenario makes is a [`TestDb`], which drops its server database when it
/// goes out of scope: at the end of each run, and also when the scenario fails (the panic
/// unwinds through the scenario's future and drops it), so that a failing test leaves no
/// `attestoodle_t…` database on PostgreSQL or MariaDB.
pub async fn for_each_backend<F, Fut>(mut scenario: F)
where
    F: FnMut(TestBackend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        scenario(backend).await;
    }
}

fn env_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database for one test. Its server database is dropped by
/// [`TestDb::drop_database`], or else when the value is dropped (also while a failing test
/// unwinds).
pub struct TestDb {
    /// Where it is.
    pub backend: TestBackend,
    /// The URL to give `--db`.
    pub url: String,
    /// The prefix used.
    pub prefix: String,
    /// A temporary directory (holds the SQLite file, and is a working directory for commands).
    pub dir: tempfile::TempDir,
    name: String,
    /// Whether the server database was dropped already.
    dropped: AtomicBool,
}

impl TestDb {
    /// Creates an empty database.
    pub async fn new(backend: &TestBackend, prefix: &str) -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let name = format!(
            "attestoodle_t{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let url = match backend {
            TestBackend::Sqlite => {
                let path = dir.path().join("site.sqlite");
                // Create the empty file through the library, as the demo does.
                let site = Site::connect(&Target::sqlite_file(&path, true))
                    .await
                    .expect("create a SQLite file");
                site.close().await;
                format!("sqlite://{}", path.display())
            }
            TestBackend::Postgres(server) | TestBackend::MariaDb(server) => {
                fixture::create_database(server, &name)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot create a {} test database: {e}", backend.name())
                    })
            }
        };
        TestDb {
            backend: backend.clone(),
            url,
            prefix: prefix.to_owned(),
            dir,
            name,
            dropped: AtomicBool::new(false),
        }
    }

    /// The resolved target.
    pub fn target(&self) -> Target {
        Target::url(&self.url, &self.prefix, self.dir.path()).expect("a valid test URL")
    }

    /// Connects without checking the tables.
    pub async fn connect(&self) -> Site {
        Site::connect(&self.target()).await.expect("connect")
    }

    /// Creates the Moodle-shaped schema and seeds the demo content.
    pub async fn seeded(backend: &TestBackend, prefix: &str) -> TestDb {
        let db = TestDb::new(backend, prefix).await;
        let site = db.connect().await;
        fixture::create_schema(&site).await.expect("create schema");
        demo::seed(&site, None)
            .await
            .expect("seed the demo content");
        site.close().await;
        db
    }

    /// The demo site, after rows written first that give every category, course, section,
    /// activity, user, template and training another id than on a plain demo site: "site B" of
    /// the cross-site scenarios.
    pub async fn seeded_with_other_ids(backend: &TestBackend) -> TestDb {
        let db = TestDb::new(backend, "mdl_").await;
        let site = db.connect().await;
        fixture::create_schema(&site).await.expect("create schema");
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        for i in 0..5 {
            let rows: [(&str, Vec<(&str, Param)>); 7] = [
                (
                    "course_categories",
                    vec![("name", format!("Archive {i}").into()), ("path", "".into())],
                ),
                (
                    "course",
                    vec![
                        ("category", 1.into()),
                        ("fullname", format!("Ancien {i}").into()),
                        ("shortname", format!("OLD{i}").into()),
                    ],
                ),
                (
                    "course_sections",
                    vec![("course", 1.into()), ("section", (100 + i).into())],
                ),
                ("course_modules", vec![("course", 1.into())]),
                (
                    "user",
                    vec![
                        ("username", format!("old{i}").into()),
                        ("email", format!("old{i}@x.fr").into()),
                    ],
                ),
                (
                    "tool_attestoodle_template",
                    vec![
                        ("name", format!("Ancien {i}").into()),
                        ("timecreated", 0.into()),
                        ("userid", 0.into()),
                    ],
                ),
                (
                    "tool_attestoodle_training",
                    vec![
                        ("name", format!("Ancienne {i}").into()),
                        ("categoryid", 1.into()),
                        ("startdate", 0.into()),
                    ],
                ),
            ];
            for (table, values) in rows {
                w.insert(table, &values).await.expect("insert a row first");
            }
        }
        w.commit().await.expect("commit");
        demo::seed(&site, None)
            .await
            .expect("seed the demo content");
        site.close().await;
        db
    }

    /// Drops the server database (a SQLite file goes with the directory).
    pub async fn drop_database(&self) {
        if let TestBackend::Postgres(server) | TestBackend::MariaDb(server) = &self.backend {
            if !self.dropped.swap(true, Ordering::SeqCst) {
                fixture::drop_database(server, &self.name)
                    .await
                    .expect("drop the test database");
            }
        }
    }

    /// Runs the binary with `--db` and `--prefix` of this database.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut full = vec!["--db", &self.url, "--prefix", &self.prefix];
        full.extend_from_slice(args);
        run_in(self.dir.path(), &full)
    }
}

impl Drop for TestDb {
    /// Drops the server database if the test did not: a test that failed (or forgot) leaves
    /// nothing on the server. `Drop` cannot wait for a future, so the drop runs on a thread of
    /// its own with its own runtime; it never panics (a panic while unwinding would abort).
    fn drop(&mut self) {
        let (TestBackend::Postgres(server) | TestBackend::MariaDb(server)) = &self.backend else {
            return;
        };
        if self.dropped.swap(true, Ordering::SeqCst) {
            return;
        }
        let (server, name) = (server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(fixture::drop_database(&server, &name))
                .map_err(|e| format!("{e:#}"))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("cannot drop the test database {}: {e}", self.name),
            Err(_) => eprintln!("cannot drop the test database {}", self.name),
        }
    }
}

/// The variables the tool reads; a test starts without any of them.
const TOOL_VARIABLES: [&str; 13] = [
    "ATTESTOODLE_DB",
    "MOODLE_CONFIG",
    "ATTESTOODLE_PREFIX",
    "ATTESTOODLE_DATAROOT",
    "ATTESTOODLE_LANG",
    "ATTESTOODLE_KEY",
    "ATTESTOODLE_KEY_DIR",
    "ATTESTOODLE_CONNECT_TIMEOUT",
    "ATTESTOODLE_STATEMENT_TIMEOUT",
    "ATTESTOODLE_DB_PASSWORD",
    "ATTESTOODLE_VERBOSE",
    "ATTESTOODLE_AUDIT_LOG",
    "XDG_CONFIG_HOME",
];

/// `program` (the binary, or a shell that runs it) in `dir`, with none of the tool's variables,
/// its keys in `keys` (never in $HOME), messages in English unless `--lang` says otherwise, and
/// an empty configuration file (`ATTESTOODLE_CONFIG=/dev/null`: a
/// /etc/attestoodle-backup/config.toml of the machine is never read).
pub fn tool_command(program: impl AsRef<std::ffi::OsStr>, dir: &Path, keys: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    for variable in TOOL_VARIABLES {
        command.env_remove(variable);
    }
    command
        .env("ATTESTOODLE_KEY_DIR", keys)
        .env("ATTESTOODLE_CONFIG", "/dev/null")
        .env("HOME", dir)
        .env("LANG", "C");
    command
}

/// Runs the binary in a directory, with a clean environment for the tool's variables and its
/// keys in `dir/keys`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    tool_command(binary(), dir, &dir.join("keys"))
        .args(args)
        .output()
        .expect("run attestoodle-backup")
}

/// The path of the built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_attestoodle-backup"))
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The backend of a target, for assertions.
pub fn backend_of(db: &TestDb) -> Backend {
    db.target().backend()
}

/// A document without what differs by design between two sites or two writes of one
/// definition: ids, `created`, the signature.
pub fn without_ids(
    mut document: attestoodle_backup::document::v2::Document,
) -> attestoodle_backup::document::v2::Document {
    document.created = String::new();
    document.signature = None;
    document.source.source_training_id = 0;
    document.training.category.source_id = 0;
    for milestone in &mut document.milestones {
        milestone.activity.source_cmid = None;
    }
    document
}
