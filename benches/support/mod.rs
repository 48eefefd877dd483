//! What the save and restore benchmarks share: the servers to run on, a generated big
//! training, whole-process timing of our binary and of the database's own client (the floor),
//! medians and peak memory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::moodle::ids::{TemplateId, TrainingId, UserId};
use attestoodle_backup::moodle::{fixture, Site, StyleValues, Target};

/// The big training of issue 13.
pub const LEARNERS: usize = 10_000;
pub const MILESTONES: usize = 500;
pub const STYLES: usize = 2_000;
pub const TRAINING: &str = "Formation de référence";

pub type BoxError = Box<dyn std::error::Error>;

/// A database server family, with the variable that names its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    MariaDb,
}

impl Server {
    pub fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::MariaDb => "MariaDB",
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Server::Postgres => "ATTESTOODLE_BENCH_POSTGRES_URL",
            Server::MariaDb => "ATTESTOODLE_BENCH_MARIADB_URL",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Server::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
            Server::MariaDb => "mysql://root@127.0.0.1:3306/test",
        }
    }

    /// The client the floor runs: `psql`, or `mariadb` (else `mysql`).
    pub fn client(self) -> &'static str {
        match self {
            Server::Postgres => "psql",
            Server::MariaDb => {
                if which("mariadb") {
                    "mariadb"
                } else {
                    "mysql"
                }
            }
        }
    }
}

fn which(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The servers whose variable is set; says which are skipped.
pub fn servers(bench: &str) -> Vec<(Server, String)> {
    let mut out = Vec::new();
    for server in [Server::Postgres, Server::MariaDb] {
        match std::env::var(server.variable())
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            Some(url) => out.push((server, url)),
            None => println!(
                "{bench} benchmark on {}: skipped, {} is not set (for example {}={})",
                server.name(),
                server.variable(),
                server.variable(),
                server.example()
            ),
        }
    }
    out
}

/// What a benchmark measures on its scratch database.
pub type Measure = for<'a> fn(
    &'a Scratch,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), BoxError>> + 'a>,
>;

/// The `main` of a benchmark: on every server whose variable is set (and is `only`, when
/// given), creates a scratch database, runs `measure` on it and drops it; fails when one of
/// them did.
pub fn main(name: &str, only: Option<Server>, measure: Measure) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{name} benchmark: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut failed = false;
    for (server, url) in servers(name) {
        println!("{name} benchmark on {}:", server.name());
        if only.is_some_and(|only| only != server) {
            println!(
                "  skipped: this benchmark's floor is a {} client",
                Server::Postgres.client()
            );
            continue;
        }
        let result = runtime.block_on(async {
            let scratch = Scratch::create(server, &url, &slug).await?;
            let result = measure(&scratch).await;
            let dropped = scratch.drop().await;
            result.and(dropped)
        });
        if let Err(e) = result {
            eprintln!("{name} benchmark on {}: {e}", server.name());
            failed = true;
        }
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// A number from the environment (`ATTESTOODLE_BENCH_TRAININGS`…), else `default`.
pub fn number(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The size of the generated site of `save_all` and `rollover`: trainings, learners and
/// milestones each (`ATTESTOODLE_BENCH_TRAININGS`, `…_LEARNERS`, `…_MILESTONES`; 1,000, 200
/// and 50 by default, issue 13's and issue 12's site).
pub fn site_size() -> (usize, usize, usize) {
    (
        number("ATTESTOODLE_BENCH_TRAININGS", 1_000),
        number("ATTESTOODLE_BENCH_LEARNERS", 200),
        number("ATTESTOODLE_BENCH_MILESTONES", 50),
    )
}

/// A database created for one run of a benchmark, dropped by [`Scratch::drop`].
pub struct Scratch {
    pub server: Server,
    pub server_url: String,
    pub name: String,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub async fn create(
        server: Server,
        server_url: &str,
        bench: &str,
    ) -> Result<Scratch, BoxError> {
        let name = format!("attestoodle_bench_{bench}_{}", std::process::id());
        let url = fixture::create_database(server_url, &name).await?;
        let dir = tempfile::tempdir()?;
        // An empty configuration file: no operator's settings reach the benchmark.
        std::fs::write(dir.path().join("config.toml"), "")?;
        Ok(Scratch {
            server,
            server_url: server_url.to_owned(),
            name,
            url,
            dir,
        })
    }

    /// Drops the database and the directory, unless `ATTESTOODLE_BENCH_KEEP` is set (to
    /// profile the commands by hand): then says where they are.
    pub async fn drop(self) -> Result<(), BoxError> {
        if std::env::var_os("ATTESTOODLE_BENCH_KEEP").is_some() {
            let dir = self.dir.keep();
            println!("  kept {} and {}", self.url, dir.display());
            return Ok(());
        }
        fixture::drop_database(&self.server_url, &self.name).await?;
        Ok(())
    }

    pub fn target(&self) -> Result<Target, BoxError> {
        Ok(Target::url(&self.url, "mdl_", Path::new("."))?)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Our binary, with its key directory and audit log in the scratch directory.
    pub fn ours(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_attestoodle-backup"));
        command
            .env("ATTESTOODLE_KEY_DIR", self.dir.path())
            .env("ATTESTOODLE_CONFIG", self.path("config.toml"))
            .env_remove("ATTESTOODLE_DB")
            .env("HOME", self.dir.path())
            .arg("--db")
            .arg(&self.url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// The database's own client reading `script` in one session, its output to `output`.
    pub fn client(&self, script: &Path, output: &Path) -> Result<Command, BoxError> {
        let mut command = Command::new(self.server.client());
        match self.server {
            Server::Postgres => {
                command
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
                    .arg(&self.url)
                    .arg("-f")
                    .arg(script);
            }
            Server::MariaDb => {
                let at = mysql_parts(&self.url)
                    .ok_or("the MariaDB URL is not mysql://user[:password]@host[:port]/database")?;
                command
                    .args(["--batch", "--raw", "--skip-column-names"])
                    .arg(format!("--host={}", at.host))
                    .arg(format!("--port={}", at.port))
                    .arg(format!("--user={}", at.user));
                if let Some(password) = &at.password {
                    command.env("MYSQL_PWD", password);
                }
                command
                    .arg(&at.database)
                    .stdin(std::fs::File::open(script)?);
            }
        }
        command
            .stdout(std::fs::File::create(output)?)
            .stderr(Stdio::piped());
        Ok(command)
    }

    /// Gathers the planner's statistics on the new site, as a live site's have long been: a
    /// plan made on an unanalysed table of a hundred thousand rows measures the moment, not the
    /// tool. PostgreSQL only (InnoDB keeps its statistics as rows are written).
    pub fn analyze(&self) -> Result<(), BoxError> {
        if self.server == Server::Postgres {
            let script = self.path("analyze.sql");
            std::fs::write(&script, "ANALYZE;\n")?;
            run(&mut self.client(&script, &self.path("analyze.out"))?)?;
        }
        Ok(())
    }

    /// Creates the schema and the big training (every fifth learner with a learner style);
    /// gives its id.
    pub async fn seed(&self) -> Result<i64, BoxError> {
        let site = Site::connect(&self.target()?).await?;
        fixture::create_schema(&site).await?;
        let started = Instant::now();
        let id = demo::seed_generated(&site, TRAINING, LEARNERS, MILESTONES).await?;
        add_styles(&site, id).await?;
        println!(
            "  generated the training ({LEARNERS} learners, {MILESTONES} milestones, {STYLES} \
             learner styles) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        site.close().await;
        Ok(id)
    }
}

/// `seed_generated` gives every tenth learner a certificate setting: gives one to every fifth.
async fn add_styles(site: &Site, training: i64) -> Result<(), BoxError> {
    let emails: Vec<String> = (0..LEARNERS)
        .skip(5)
        .step_by(10)
        .map(|i| format!("learner{i:05}@generated.example"))
        .collect();
    let users = site.users_by_email(&emails).await?;
    let templates = site.templates_by_name(&["Site".to_owned()]).await?;
    let template = templates.first().ok_or("no template Site")?.template.id;
    let rows: Vec<StyleValues> = users
        .iter()
        .map(|user| StyleValues {
            userid: UserId(user.id),
            template: TemplateId(template),
            grpcriteria1: Some("name".to_owned()),
            grpcriteria2: None,
            enablecertificate: Some(1),
            withdateformat: None,
        })
        .collect();
    let mut tx = site.begin_restore().await?;
    tx.insert_styles(TrainingId(training), &rows).await?;
    tx.commit().await?;
    if users.len() * 2 != STYLES {
        return Err(format!("{} styles added, not {}", users.len(), STYLES / 2).into());
    }
    Ok(())
}

struct MySqlParts {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    database: String,
}

/// The parts of `mysql://user[:password]@host[:port]/database` (no escapes: a bench URL).
fn mysql_parts(url: &str) -> Option<MySqlParts> {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))?;
    let (login, rest) = rest.rsplit_once('@')?;
    let (user, password) = match login.split_once(':') {
        Some((user, password)) => (user, Some(password.to_owned())),
        None => (login, None),
    };
    let (address, database) = rest.split_once('/')?;
    let database = database.split('?').next().unwrap_or_default();
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (address, 3306),
    };
    Some(MySqlParts {
        host: host.to_owned(),
        port,
        user: user.to_owned(),
        password,
        database: database.to_owned(),
    })
}

/// Runs a command to its end; fails with its stderr unless it succeeds.
pub fn run(command: &mut Command) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let output = command.output()?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "{:?} failed ({}): {}",
            command.get_program(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(elapsed)
}

/// The peak resident memory of one run of a command, in KiB (`getrusage` maxrss of the
/// child, through GNU time's `%M`).
pub fn peak_kib(command: &Command) -> Result<u64, BoxError> {
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg(command.get_program());
    timed.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    timed.stdout(Stdio::null()).stderr(Stdio::piped());
    let output = timed.output()?;
    if !output.status.success() {
        return Err(format!(
            "/usr/bin/time {:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let last = text.lines().last().unwrap_or_default().trim().to_owned();
    Ok(last
        .parse()
        .map_err(|_| format!("no peak memory in {text:?}"))?)
}

/// The median of some times.
pub fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The number of runs of each measure: `ATTESTOODLE_BENCH_RUNS`, else 9.
pub fn runs() -> usize {
    std::env::var("ATTESTOODLE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(9)
}

/// Prints one measure beside its floor.
pub fn report(
    what: &str,
    ours: &[Duration],
    floor: &[Duration],
    ours_kib: u64,
    floor_kib: u64,
    client: &str,
) {
    let (o, f) = (median(ours), median(floor));
    println!(
        "  {what}: ours median {:.1} ms (peak {:.1} MiB), floor ({client}) median {:.1} ms \
         (peak {:.1} MiB), ratio {:.2}x over {} runs",
        ms(o),
        ours_kib as f64 / 1024.0,
        ms(f),
        floor_kib as f64 / 1024.0,
        o.as_secs_f64() / f.as_secs_f64().max(f64::MIN_POSITIVE),
        ours.len()
    );
}

/// A SQL string literal, quotes doubled (PostgreSQL and MariaDB with standard quoting);
/// backslashes doubled too on MariaDB, where they escape.
pub fn literal(server: Server, text: &str) -> String {
    let mut quoted = text.replace('\'', "''");
    if server == Server::MariaDb {
        quoted = quoted.replace('\\', "\\\\");
    }
    format!("'{quoted}'")
}

/// A nullable literal.
pub fn opt_literal(server: Server, text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_owned(), |t| literal(server, t))
}

/// A nullable integer.
pub fn opt_int(value: Option<i64>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

/// One SELECT as the floor's client runs it: `COPY (…) TO STDOUT` on PostgreSQL, the plain
/// statement in batch mode on MariaDB.
pub fn read_statement(server: Server, select: &str) -> String {
    let select = select.replace("{p}", "mdl_");
    match server {
        Server::Postgres => format!("COPY ({select}) TO STDOUT;\n"),
        Server::MariaDb => format!("{select};\n"),
    }
}

/// The SELECTs of the rows a save of training `id` writes into the file: the training, the
/// category tree, the template link, the milestones with their course, the course modules with
/// their type, course and instance name, those courses' sections, the templates with their
/// details and background files, the learners and learner styles with their users, and the
/// planning rows.
pub fn save_reads(server: Server, id: i64) -> String {
    let templates = format!(
        "(SELECT templateid FROM {{p}}tool_attestoodle_train_style WHERE trainingid = {id} \
         UNION SELECT templateid FROM {{p}}tool_attestoodle_user_style WHERE trainingid = {id})"
    );
    let user = "u.id, u.username, u.email, u.idnumber, u.deleted, u.suspended, u.firstname, \
                u.lastname";
    [
        format!(
            "SELECT id, name, categoryid, startdate, enddate, duration, nbautolaunch, \
             nextlaunch, checklearner FROM {{p}}tool_attestoodle_training WHERE id = {id}"
        ),
        "SELECT id, name, idnumber, parent FROM {p}course_categories ORDER BY id".to_owned(),
        format!(
            "SELECT id, templateid, grpcriteria1, grpcriteria2 \
             FROM {{p}}tool_attestoodle_train_style WHERE trainingid = {id} ORDER BY id"
        ),
        format!(
            "SELECT m.id, m.moduleid, m.creditedtime, m.name, m.timemodified, m.course, \
             c.shortname FROM {{p}}tool_attestoodle_milestone m \
             LEFT JOIN {{p}}course c ON c.id = m.course WHERE m.trainingid = {id} ORDER BY m.id"
        ),
        format!(
            "SELECT cm.id, cm.course, cm.instance, cm.section, cm.idnumber, cm.completion, \
             cm.deletioninprogress, md.name, md.visible, c.shortname, i.name \
             FROM {{p}}course_modules cm LEFT JOIN {{p}}modules md ON md.id = cm.module \
             LEFT JOIN {{p}}course c ON c.id = cm.course \
             LEFT JOIN {{p}}page i ON i.id = cm.instance \
             WHERE cm.id IN (SELECT moduleid FROM {{p}}tool_attestoodle_milestone \
             WHERE trainingid = {id})"
        ),
        format!(
            "SELECT s.id, s.course, s.section, s.sequence FROM {{p}}course_sections s \
             WHERE s.course IN (SELECT cm.course FROM {{p}}course_modules cm \
             JOIN {{p}}tool_attestoodle_milestone m ON m.moduleid = cm.id \
             WHERE m.trainingid = {id}) ORDER BY s.course, s.section, s.id"
        ),
        format!(
            "SELECT t.id, t.name, t.timecreated, t.userid, t.timemodified \
             FROM {{p}}tool_attestoodle_template t WHERE t.id IN {templates} ORDER BY t.id"
        ),
        format!(
            "SELECT d.id, d.templateid, d.type, d.data FROM {{p}}tool_attestoodle_tpl_detail d \
             WHERE d.templateid IN {templates} ORDER BY d.id"
        ),
        format!(
            "SELECT f.itemid, f.filename, f.contenthash, f.mimetype FROM {{p}}files f \
             JOIN {{p}}context x ON x.id = f.contextid WHERE x.contextlevel = 10 \
             AND f.component = 'tool_attestoodle' AND f.filearea = 'fichier' \
             AND f.filepath = '/' AND f.filename <> '.' AND f.itemid IN {templates} ORDER BY f.id"
        ),
        format!(
            "SELECT l.id, l.userid, l.categoryid, l.selected, l.predelete, l.resultcriteria, \
             {user} FROM {{p}}tool_attestoodle_learner l LEFT JOIN {{p}}user u ON u.id = l.userid \
             WHERE l.trainingid = {id} ORDER BY l.id"
        ),
        format!(
            "SELECT s.id, s.userid, s.templateid, s.grpcriteria1, s.grpcriteria2, \
             s.enablecertificate, s.withdateformat, {user} \
             FROM {{p}}tool_attestoodle_user_style s LEFT JOIN {{p}}user u ON u.id = s.userid \
             WHERE s.trainingid = {id} ORDER BY s.id"
        ),
        format!(
            "SELECT executiondate, beginperiod, endperiod, mailto, auto, togenerate \
             FROM {{p}}tool_taskattestoodle WHERE trainingid = {id} ORDER BY id"
        ),
    ]
    .iter()
    .map(|select| read_statement(server, select))
    .collect()
}
