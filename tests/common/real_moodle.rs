//! A real Moodle 5.1 site as a test site: the PostgreSQL dump in `tests/real-moodle/` (made by
//! Moodle's own installer and APIs, see its README) loaded into a fresh database per test, and a
//! `config.php` for it made from the installer's own file with only `dbname` changed.
//!
//! Loading the dump takes about 20 s (500 tables and their indexes), so it is loaded once per
//! server into a template database named after the dump's SHA-256, and each test gets a copy
//! (`CREATE DATABASE … TEMPLATE`, about a second). The template stays on the server for later
//! runs; each copy is dropped when its `RealSite` goes. Loading and copying go through
//! `psql`, which ships with every PostgreSQL server.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use attestoodle_backup::moodle::{Site, SiteOptions, Target};
use sha2::{Digest as _, Sha256};

/// The dump, gzipped as Moodle's site was dumped (`pg_dump`, plain SQL, no owner).
const DUMP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/real-moodle/real-moodle-51-pg.sql.gz"
);
/// The config.php Moodle's installer wrote for the site (database `real_moodle`).
const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/real-moodle/config-pg.php"
);
/// The line of that file this helper changes.
const DBNAME_LINE: &str = "$CFG->dbname    = 'real_moodle';";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL server to load the real site into, when the tests have one.
pub fn server() -> Option<String> {
    std::env::var("ATTESTOODLE_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// One copy of the real site, with its config.php, in a temporary directory.
pub struct RealSite {
    /// Holds `config.php` and the keys; the working directory of commands.
    pub dir: tempfile::TempDir,
    /// The config.php to give `--moodle-config`.
    pub config: PathBuf,
    server: String,
    name: String,
}

impl RealSite {
    /// A fresh copy of the real site on `server` (a URL such as
    /// `postgres://postgres@127.0.0.1:5432/postgres`).
    pub fn load(server: &str) -> RealSite {
        let template = ensure_template(server);
        let name = format!(
            "attestoodle_real_t{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        psql_command(
            server,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("config.php");
        std::fs::write(&config, config_php(server, &name)).expect("write config.php");
        RealSite {
            dir,
            config,
            server: server.to_owned(),
            name,
        }
    }

    /// The database name of this copy.
    pub fn database(&self) -> &str {
        &self.name
    }

    /// The site as the tool resolves it from config.php.
    pub fn target(&self) -> Target {
        Target::resolve(
            &SiteOptions {
                moodle_config: Some(self.config.clone()),
                ..SiteOptions::default()
            },
            self.dir.path(),
        )
        .expect("the tool reads the installer's config.php")
    }

    /// Opens the site as every command does (the Attestoodle tables checked).
    pub async fn open(&self) -> Site {
        Site::open(&self.target())
            .await
            .expect("open the real Moodle site")
    }

    /// Runs the binary with `--moodle-config` of this copy.
    pub fn run(&self, args: &[&str]) -> Output {
        let config = self.config.display().to_string();
        let mut full = vec!["--moodle-config", config.as_str()];
        full.extend_from_slice(args);
        super::run_in(self.dir.path(), &full)
    }

    /// Runs SQL on this copy with `psql` (test set-up: deleting rows, breaking the schema).
    pub fn sql(&self, statement: &str) -> String {
        psql_command(&with_database(&self.server, &self.name), statement)
    }
}

/// The copy is dropped when the test ends, also when it fails (the template stays).
impl Drop for RealSite {
    fn drop(&mut self) {
        let dropped = Command::new("psql")
            .args(["-X", "-q", "-d", &self.server, "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
        if !dropped.is_ok_and(|o| o.status.success()) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// The template database of this dump on `server`, loaded if absent. A file lock keeps two
/// test processes from loading it at once; the dump goes into a scratch database that is
/// renamed only once complete, so an interrupted load is never taken for a template.
fn ensure_template(server: &str) -> String {
    let dump = std::fs::read(DUMP).expect("read tests/real-moodle/real-moodle-51-pg.sql.gz");
    let digest = Sha256::digest(&dump);
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let template = format!("attestoodle_real51_{hex}");
    let lock_path = std::env::temp_dir().join("attestoodle-real-moodle.lock");
    let lock = std::fs::File::create(&lock_path).expect("create the lock file");
    lock.lock().expect("lock the real-site loader");
    let exists = psql_command(
        server,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{template}'"),
    );
    if exists.trim() != "1" {
        let scratch = format!("{template}_loading");
        psql_command(server, &format!("DROP DATABASE IF EXISTS {scratch}"));
        psql_command(
            server,
            &format!("CREATE DATABASE {scratch} TEMPLATE template0 ENCODING 'UTF8'"),
        );
        load_dump(&with_database(server, &scratch));
        psql_command(
            server,
            &format!("ALTER DATABASE {scratch} RENAME TO {template}"),
        );
    }
    drop(lock);
    template
}

/// Feeds the decompressed dump to `psql`, stopping at the first error. The `\restrict` lines
/// of recent pg_dump versions are left out, so that an older psql reads the dump too.
fn load_dump(url: &str) {
    let decompressed = Command::new("gzip")
        .args(["-d", "-c", DUMP])
        .output()
        .expect("run gzip to decompress the real site's dump");
    assert!(
        decompressed.status.success(),
        "gzip could not read the dump"
    );
    let text = String::from_utf8(decompressed.stdout).expect("the dump is UTF-8");
    let script: String = text
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .flat_map(|line| [line, "\n"])
        .collect();
    let mut psql = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql (PostgreSQL's client) to load the real site's dump");
    psql.stdin
        .take()
        .expect("psql's input")
        .write_all(script.as_bytes())
        .expect("send the dump to psql");
    let output = psql.wait_with_output().expect("psql finishes");
    assert!(
        output.status.success(),
        "psql could not load the real site's dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs one statement with psql on `url` and returns its unaligned output.
fn psql_command(url: &str, statement: &str) -> String {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
        ])
        .arg(statement)
        .output()
        .expect("run psql (PostgreSQL's client)");
    assert!(
        output.status.success(),
        "psql failed on `{statement}`: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The server URL with another database in its path.
fn with_database(server: &str, database: &str) -> String {
    let (scheme, rest) = server.split_once("://").expect("a URL with a scheme");
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (before, format!("?{query}")),
        None => (rest, String::new()),
    };
    let authority = authority.split('/').next().unwrap_or(authority);
    format!("{scheme}://{authority}/{database}{query}")
}

/// The installer's config.php with only `dbname` changed — and the host, port and user too when
/// the test server is not the installer's `postgres@127.0.0.1:5432`.
fn config_php(server: &str, database: &str) -> String {
    let installer = std::fs::read_to_string(CONFIG).expect("read tests/real-moodle/config-pg.php");
    assert!(
        installer.contains(DBNAME_LINE),
        "config-pg.php no longer has the line `{DBNAME_LINE}`"
    );
    let mut config = installer.replace(DBNAME_LINE, &format!("$CFG->dbname    = '{database}';"));
    let rest = server.split_once("://").map(|(_, r)| r).unwrap_or(server);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let (user, hostport) = authority
        .rsplit_once('@')
        .unwrap_or(("postgres", authority));
    let user = user.split(':').next().unwrap_or(user);
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    if user != "postgres" {
        config = config.replace(
            "$CFG->dbuser    = 'postgres';",
            &format!("$CFG->dbuser    = '{user}';"),
        );
    }
    if host != "127.0.0.1" {
        config = config.replace(
            "$CFG->dbhost    = '127.0.0.1';",
            &format!("$CFG->dbhost    = '{host}';"),
        );
    }
    if port != "5432" {
        config = config.replace("'dbport' => '',", &format!("'dbport' => '{port}',"));
    }
    config
}
