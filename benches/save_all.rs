//! Benchmark (not a timed test): `save --all` of a site of 1,000 generated trainings (50
//! milestones and 200 learners each), whole process, beside its floor measured in the same run:
//! one `psql` (or `mariadb`) client process reading the same rows with `COPY … TO STDOUT` (or
//! batch-mode `SELECT`s) into /dev/null. Prints the medians, the ratio and the peak memory of
//! the save (issue 13: ≤ 3× the floor, < 100 MiB).
//!
//! Run with a server URL for each backend to measure (a database is created and dropped on it):
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//! ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench save_all
//! ```
//!
//! `ATTESTOODLE_BENCH_TRAININGS`, `…_LEARNERS` and `…_MILESTONES` change the site's size;
//! `ATTESTOODLE_BENCH_RUNS` the number of runs (3); `ATTESTOODLE_BENCH_KEEP` keeps the databases
//! (to profile on them).

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{fixture, Site, Target};

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let servers: Vec<(&str, String)> = [
        ("PostgreSQL", "ATTESTOODLE_BENCH_POSTGRES_URL"),
        ("MariaDB", "ATTESTOODLE_BENCH_MARIADB_URL"),
    ]
    .into_iter()
    .filter_map(|(name, var)| match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some((name, url)),
        _ => {
            println!("save --all benchmark on {name} skipped: set {var} to a server URL");
            None
        }
    })
    .collect();
    if servers.is_empty() {
        return ExitCode::SUCCESS;
    }
    let size = Size {
        trainings: number("ATTESTOODLE_BENCH_TRAININGS", 1_000),
        learners: number("ATTESTOODLE_BENCH_LEARNERS", 200),
        milestones: number("ATTESTOODLE_BENCH_MILESTONES", 50),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("save --all benchmark: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for (backend, server) in servers {
        let name = format!("attestoodle_bench_all_{}", std::process::id());
        let result = runtime.block_on(run(backend, &server, &name, &size));
        if let Err(e) = &result {
            eprintln!("save --all benchmark on {backend}: {e}");
            failed = true;
        }
        if std::env::var_os("ATTESTOODLE_BENCH_KEEP").is_some() {
            println!("{backend}: the database {name} is kept (ATTESTOODLE_BENCH_KEEP)");
            continue;
        }
        let dropped = runtime.block_on(fixture::drop_database(&server, &name));
        if let Err(e) = dropped {
            eprintln!("save --all benchmark on {backend}: cannot drop {name}: {e}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

struct Size {
    trainings: usize,
    learners: usize,
    milestones: usize,
}

fn number(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

async fn run(backend: &str, server: &str, name: &str, size: &Size) -> Result<(), Failure> {
    let url = fixture::create_database(server, name).await?;
    let target = Target::url(&url, "mdl_", Path::new("."))?;
    let site = Site::connect(&target).await?;
    fixture::create_schema(&site).await?;
    let started = Instant::now();
    demo::seed_generated_site(
        &site,
        "Formation générée",
        size.trainings,
        size.learners,
        size.milestones,
    )
    .await?;
    site.close().await;
    println!(
        "{backend}: generated {} trainings ({} milestones, {} learners each) in {:.1} s",
        size.trainings,
        size.milestones,
        size.learners,
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let mut ours = Vec::new();
    let mut floors = Vec::new();
    let mut peak_kib = 0;
    let mut files = 0;
    let mut bytes = 0;
    let mut floor_bytes = 0;
    for run in 0..number("ATTESTOODLE_BENCH_RUNS", 3) {
        let (time, bytes_out) = floor(backend, &url)?;
        floors.push(time);
        floor_bytes = bytes_out;
        let out = dir.path().join(format!("run{run}"));
        let memory = dir.path().join("memory");
        let started = Instant::now();
        let status = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(&memory)
            .arg(env!("CARGO_BIN_EXE_attestoodle-backup"))
            .args(["--db", &url, "--prefix", "mdl_", "save", "--all", "-o"])
            .arg(&out)
            .env("ATTESTOODLE_KEY_DIR", dir.path().join("keys"))
            .env("ATTESTOODLE_CONFIG", "/dev/null")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        ours.push(started.elapsed());
        if !status.success() {
            return Err(format!("save --all failed ({status})").into());
        }
        peak_kib = peak_kib.max(
            std::fs::read_to_string(&memory)?
                .lines()
                .last()
                .and_then(|l| l.trim().parse::<u64>().ok())
                .unwrap_or(0),
        );
        files = 0;
        bytes = 0;
        for entry in std::fs::read_dir(&out)? {
            files += 1;
            bytes += entry?.metadata()?.len();
        }
    }
    let ours = median(&mut ours);
    let floor = median(&mut floors);
    println!(
        "{backend}: save --all of {files} files ({:.1} MiB): median {} ms; floor ({} client, \
         same rows, {:.1} MiB of text): median {} ms; ratio {:.2}× (target ≤ 3×); peak memory \
         {:.1} MiB (target < 100 MiB)",
        bytes as f64 / 1048576.0,
        ms(ours),
        if backend == "PostgreSQL" {
            "psql COPY"
        } else {
            "mariadb"
        },
        floor_bytes as f64 / 1048576.0,
        ms(floor),
        ours.as_secs_f64() / floor.as_secs_f64(),
        peak_kib as f64 / 1024.0,
    );
    Ok(())
}

/// The rows the files need, as one client process reads them: the trainings and their
/// styles, milestones with their course, the course modules of the milestones with their type
/// and course, the activity names, the sections of those courses, learners and learner styles
/// with their accounts, templates and their details.
const FLOOR_SELECTS: [&str; 10] = [
    "SELECT * FROM mdl_tool_attestoodle_training",
    "SELECT * FROM mdl_tool_attestoodle_train_style",
    "SELECT m.*, c.shortname FROM mdl_tool_attestoodle_milestone m \
     LEFT JOIN mdl_course c ON c.id = m.course",
    "SELECT cm.id, cm.course, cm.module, cm.instance, cm.section, cm.idnumber, cm.completion, \
     cm.deletioninprogress, md.name, c.shortname FROM mdl_course_modules cm \
     JOIN mdl_modules md ON md.id = cm.module JOIN mdl_course c ON c.id = cm.course \
     WHERE cm.id IN (SELECT moduleid FROM mdl_tool_attestoodle_milestone)",
    "SELECT id, name FROM mdl_page",
    "SELECT s.id, s.course, s.section, s.sequence FROM mdl_course_sections s \
     WHERE s.course IN (SELECT course FROM mdl_course_modules \
     WHERE id IN (SELECT moduleid FROM mdl_tool_attestoodle_milestone))",
    "SELECT l.*, u.username, u.email, u.idnumber, u.deleted, u.firstname, u.lastname \
     FROM mdl_tool_attestoodle_learner l LEFT JOIN mdl_user u ON u.id = l.userid",
    "SELECT s.*, u.username, u.email, u.idnumber, u.deleted, u.firstname, u.lastname \
     FROM mdl_tool_attestoodle_user_style s LEFT JOIN mdl_user u ON u.id = s.userid",
    "SELECT * FROM mdl_tool_attestoodle_template",
    "SELECT * FROM mdl_tool_attestoodle_tpl_detail",
];

/// Runs the floor once: its time, whole process, and the bytes it printed.
fn floor(backend: &str, url: &str) -> Result<(Duration, usize), Failure> {
    let mut command = if backend == "PostgreSQL" {
        let mut command = Command::new("psql");
        command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url]);
        for select in FLOOR_SELECTS {
            command.args(["-c", &format!("COPY ({select}) TO STDOUT")]);
        }
        command
    } else {
        let (user, host, port, database) = mysql_parts(url)?;
        let mut command = Command::new("mariadb");
        command.args([
            "--batch",
            "--raw",
            "--skip-column-names",
            "-h",
            &host,
            "-P",
            &port,
            "-u",
            &user,
            &database,
            "-e",
            &FLOOR_SELECTS.join(";\n"),
        ]);
        command
    };
    let started = Instant::now();
    let output = command.stderr(Stdio::inherit()).output()?;
    let time = started.elapsed();
    if !output.status.success() {
        return Err(format!("the floor's client failed ({})", output.status).into());
    }
    Ok((time, output.stdout.len()))
}

/// The user, host, port and database of a `mysql://user@host:port/db` URL (no password: the
/// bench servers take none).
fn mysql_parts(url: &str) -> Result<(String, String, String, String), Failure> {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
        .ok_or("not a mysql:// URL")?;
    let (user, rest) = rest.split_once('@').unwrap_or(("root", rest));
    let (address, database) = rest.split_once('/').ok_or("no database in the URL")?;
    let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
    Ok((
        user.split(':').next().unwrap_or("root").to_owned(),
        host.to_owned(),
        port.to_owned(),
        database.split('?').next().unwrap_or(database).to_owned(),
    ))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}
