//! Benchmark (not a timed test) of issue 13: `restore --yes --with-learners` (and
//! `--accept replace-training`, which a replace needs without a terminal) of the big
//! training (10,000 learners, 500 milestones, 2,000 learner styles) onto its own site, whole
//! process, beside its floor measured in the same run: the database's own client (`psql`, or
//! `mariadb` in batch mode) in one session doing the same look-ups (the training by name, the
//! category tree, the time zone, the course with its sections, modules and instance names, the
//! system context, the template with its details and files, the accounts of the file's emails,
//! the site administrators), then, in one transaction, the name lock, the re-read, what the
//! restore keeps as the way back (the training as it is, read as `save` reads it), the
//! deletes, the training's update and multi-row INSERTs of 500 rows with every id known.
//! `--no-keep-previous` is measured too, beside the same floor without the way back. Then the
//! precheck in-process (target ≤ 40 ms).
//!
//! Each server is skipped, with a line saying so, when its variable is unset; a database is
//! created and dropped on it:
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//! ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench restore
//! ```
//!
//! `ATTESTOODLE_BENCH_RUNS` sets the number of runs of each measure (default 9).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use attestoodle_backup::document::load::{self, Backup};
use attestoodle_backup::document::v2::Document;
use attestoodle_backup::moodle::Site;
use attestoodle_backup::restore::{self, Mode, Plan, Provenance, RestoreOptions};

use support::{
    literal, median, ms, opt_int, opt_literal, read_statement, report, run, runs, BoxError,
    Scratch, Server,
};

fn main() -> ExitCode {
    support::main("restore", None, |scratch| Box::pin(measure(scratch)))
}

/// At most this many values in one INSERT, as the restore writes them.
const INSERT_PARAMS: usize = 30_000;

/// The look-ups of a precheck of `document`, one statement each.
fn lookups(server: Server, document: &Document) -> String {
    let name = literal(server, &document.training.name);
    let exact = |column: &str, value: &str| match server {
        Server::Postgres => format!("{column} = {value}"),
        Server::MariaDb => format!("BINARY {column} = BINARY {value}"),
    };
    let mut courses: Vec<&str> = document
        .milestones
        .iter()
        .map(|m| m.course.as_str())
        .collect();
    courses.sort_unstable();
    courses.dedup();
    let courses: Vec<String> = courses.iter().map(|c| literal(server, c)).collect();
    let courses = courses.join(", ");
    let mut emails: Vec<String> = document
        .learners
        .iter()
        .map(|l| l.email.to_lowercase())
        .chain(
            document
                .learner_styles
                .iter()
                .map(|s| s.email.to_lowercase()),
        )
        .collect();
    emails.sort_unstable();
    emails.dedup();
    let emails: Vec<String> = emails.iter().map(|e| literal(server, e)).collect();
    let template = literal(
        server,
        document.training.template.as_deref().unwrap_or("Site"),
    );
    [
        format!(
            "SELECT id, name, categoryid, startdate, enddate, duration, nbautolaunch, \
             nextlaunch, checklearner FROM {{p}}tool_attestoodle_training WHERE {} ORDER BY id",
            exact("name", &name)
        ),
        "SELECT id, name, idnumber, parent FROM {p}course_categories ORDER BY id".to_owned(),
        "SELECT name, value FROM {p}config WHERE name IN ('timezone', 'forcetimezone')".to_owned(),
        format!(
            "SELECT id, shortname, enablecompletion FROM {{p}}course \
             WHERE category <> 0 AND shortname IN ({courses}) ORDER BY id"
        ),
        format!(
            "SELECT s.id, s.course, s.section, s.sequence FROM {{p}}course_sections s \
             WHERE s.course IN (SELECT id FROM {{p}}course WHERE shortname IN ({courses})) \
             ORDER BY s.id"
        ),
        format!(
            "SELECT cm.id, cm.course, cm.instance, cm.section, cm.idnumber, cm.completion, \
             cm.deletioninprogress, md.name, md.visible, c.shortname, i.name \
             FROM {{p}}course_modules cm LEFT JOIN {{p}}modules md ON md.id = cm.module \
             LEFT JOIN {{p}}course c ON c.id = cm.course \
             LEFT JOIN {{p}}page i ON i.id = cm.instance \
             WHERE cm.course IN (SELECT id FROM {{p}}course WHERE shortname IN ({courses})) \
             ORDER BY cm.id"
        ),
        "SELECT id FROM {p}context WHERE contextlevel = 10 ORDER BY id".to_owned(),
        format!(
            "SELECT t.id, t.name, t.timecreated, t.userid, t.timemodified \
             FROM {{p}}tool_attestoodle_template t WHERE {} ORDER BY t.id",
            exact("t.name", &template)
        ),
        format!(
            "SELECT d.id, d.templateid, d.type, d.data FROM {{p}}tool_attestoodle_tpl_detail d \
             JOIN {{p}}tool_attestoodle_template t ON t.id = d.templateid WHERE {} ORDER BY d.id",
            exact("t.name", &template)
        ),
        format!(
            "SELECT u.id, u.username, u.email, u.idnumber, u.deleted, u.suspended, \
             u.firstname, u.lastname FROM {{p}}user u \
             WHERE u.deleted = 0 AND LOWER(u.email) IN ({}) ORDER BY u.id",
            emails.join(", ")
        ),
        "SELECT value FROM {p}config WHERE name = 'siteadmins'".to_owned(),
    ]
    .iter()
    .map(|select| read_statement(server, select))
    .collect()
}

/// The writes of the restore of `plan`, with every id known, in one transaction; with
/// `previous`, the training as it is is read first (the way back a replace keeps).
fn writes(
    server: Server,
    document: &Document,
    plan: &Plan,
    previous: Option<i64>,
) -> Result<String, BoxError> {
    let training = plan
        .training
        .existing_id
        .ok_or("the restore does not replace the training")?;
    let category = plan
        .training
        .category
        .as_ref()
        .ok_or("no category in the plan")?
        .id;
    let template = plan
        .templates
        .first()
        .and_then(|t| t.id)
        .ok_or("no template in the plan")?;
    let name = literal(server, &plan.training.name);
    let mut sql = String::new();
    match server {
        Server::Postgres => {
            sql.push_str("BEGIN;\nSELECT pg_advisory_xact_lock(1234567);\n");
            sql.push_str(&format!(
                "SELECT id FROM mdl_tool_attestoodle_training WHERE name = {name};\n"
            ));
        }
        Server::MariaDb => {
            sql.push_str("BEGIN;\nSELECT GET_LOCK('attestoodle:bench', 60);\n");
            sql.push_str(&format!(
                "SELECT id FROM mdl_tool_attestoodle_training WHERE BINARY name = BINARY {name} \
                 FOR UPDATE;\n"
            ));
        }
    }
    if let Some(id) = previous {
        sql.push_str(&support::save_reads(server, id));
    }
    for table in [
        "tool_attestoodle_milestone",
        "tool_attestoodle_learner",
        "tool_attestoodle_user_style",
        "tool_attestoodle_train_style",
        "tool_taskattestoodle",
    ] {
        sql.push_str(&format!(
            "DELETE FROM mdl_{table} WHERE trainingid = {training};\n"
        ));
    }
    let t = &plan.training;
    sql.push_str(&format!(
        "UPDATE mdl_tool_attestoodle_training SET name = {name}, categoryid = {category}, \
         startdate = {}, enddate = {}, checklearner = {}, duration = {}, nbautolaunch = {}, \
         nextlaunch = {} WHERE id = {training};\n",
        t.startdate,
        opt_int(t.enddate),
        opt_int(t.checklearner),
        opt_int(t.duration),
        t.nbautolaunch,
        t.nextlaunch
    ));
    sql.push_str(&format!(
        "INSERT INTO mdl_tool_attestoodle_train_style (trainingid, templateid, grpcriteria1, \
         grpcriteria2) VALUES ({training}, {template}, {}, {});\n",
        opt_literal(server, t.grpcriteria1.as_deref()),
        opt_literal(server, t.grpcriteria2.as_deref())
    ));
    let milestones: Vec<String> = plan
        .milestones
        .iter()
        .map(|m| {
            format!(
                "({}, {}, {training}, {}, {}, {})",
                m.creditedtime,
                opt_int(m.cmid),
                plan_now(),
                opt_int(m.course_id),
                opt_literal(server, m.name.as_deref())
            )
        })
        .collect();
    insert(
        &mut sql,
        "tool_attestoodle_milestone (creditedtime, moduleid, trainingid, timemodified, course, name)",
        6,
        &milestones,
    );
    let learners: Vec<String> = plan
        .learners
        .iter()
        .zip(&document.learners)
        .map(|(l, d)| {
            format!(
                "({}, {training}, {category}, 0, {}, '')",
                opt_int(l.userid),
                opt_int(d.predelete)
            )
        })
        .collect();
    insert(
        &mut sql,
        "tool_attestoodle_learner (userid, trainingid, categoryid, selected, predelete, \
         resultcriteria)",
        6,
        &learners,
    );
    let styles: Vec<String> = plan
        .learner_styles
        .iter()
        .zip(&document.learner_styles)
        .map(|(s, d)| {
            format!(
                "({}, {training}, {template}, {}, {}, {}, {})",
                opt_int(s.userid),
                opt_literal(server, d.grpcriteria1.as_deref()),
                opt_literal(server, d.grpcriteria2.as_deref()),
                opt_int(d.enablecertificate),
                opt_literal(server, d.withdateformat.as_deref())
            )
        })
        .collect();
    insert(
        &mut sql,
        "tool_attestoodle_user_style (userid, trainingid, templateid, grpcriteria1, \
         grpcriteria2, enablecertificate, withdateformat)",
        7,
        &styles,
    );
    sql.push_str("COMMIT;\n");
    if server == Server::MariaDb {
        sql.push_str("SELECT RELEASE_LOCK('attestoodle:bench');\n");
    }
    Ok(sql)
}

/// A fixed `timemodified` for the floor's milestones.
fn plan_now() -> i64 {
    1_788_220_800
}

fn insert(sql: &mut String, into: &str, columns: usize, rows: &[String]) {
    for chunk in rows.chunks(INSERT_PARAMS / columns) {
        sql.push_str(&format!(
            "INSERT INTO mdl_{into} VALUES {};\n",
            chunk.join(", ")
        ));
    }
}

/// A fresh directory holding a copy of the backup: a replace writes the training as it was
/// beside the file, under a name with the time to the second.
fn fresh_copy(scratch: &Scratch, run: usize, file: &Path) -> Result<PathBuf, BoxError> {
    let dir = scratch.path(&format!("run-{run}"));
    std::fs::create_dir_all(&dir)?;
    let copy = dir.join("backup.json");
    std::fs::copy(file, &copy)?;
    Ok(copy)
}

async fn measure(scratch: &Scratch) -> Result<(), BoxError> {
    let server = scratch.server;
    scratch.seed().await?;
    run(scratch.ours().args(["keys", "generate"]))?;
    let file = scratch.path("backup.json");
    run(scratch
        .ours()
        .args(["save", support::TRAINING, "-o"])
        .arg(&file))?;
    let Backup::V2(document) = load::load_file(&file, u64::MAX)? else {
        return Err("the save did not write a format-2 file".into());
    };

    // The precheck in-process, and the plan whose ids the floor's INSERTs use.
    let site = Site::open(&scratch.target()?).await?;
    let options = RestoreOptions::new(Mode::Restore, Provenance::Trusted("bench".to_owned()));
    let n = runs();
    let mut prechecks: Vec<Duration> = Vec::new();
    let mut plan = None;
    for _ in 0..n {
        let started = Instant::now();
        plan = Some(restore::precheck(&site, &document, &options).await?);
        prechecks.push(started.elapsed());
    }
    site.close().await;
    let plan = plan.ok_or("no precheck ran")?;
    let training = plan
        .training
        .existing_id
        .ok_or("the restore does not replace the training")?;

    let out = scratch.path("floor.out");
    let floor_keep = scratch.path("floor-keep.sql");
    std::fs::write(
        &floor_keep,
        lookups(server, &document) + &writes(server, &document, &plan, Some(training))?,
    )?;
    let floor_plain = scratch.path("floor-plain.sql");
    std::fs::write(
        &floor_plain,
        lookups(server, &document) + &writes(server, &document, &plan, None)?,
    )?;

    let restore = |copy: &Path, keep: bool| -> Command {
        let mut command = scratch.ours();
        command.arg("restore").arg(copy).args([
            "--yes",
            "--with-learners",
            "--accept",
            "replace-training",
        ]);
        if !keep {
            command.arg("--no-keep-previous");
        }
        command
    };
    let mut serial = 0;
    let mut next = || {
        serial += 1;
        fresh_copy(scratch, serial, &file)
    };
    // One of each first: caches, and a check that all work.
    run(&mut restore(&next()?, true))?;
    run(&mut scratch.client(&floor_keep, &out)?)?;
    run(&mut scratch.client(&floor_plain, &out)?)?;

    for keep in [true, false] {
        let floor_script = if keep { &floor_keep } else { &floor_plain };
        let (mut ours, mut floor) = (Vec::new(), Vec::new());
        for _ in 0..n {
            ours.push(run(&mut restore(&next()?, keep))?);
            floor.push(run(&mut scratch.client(floor_script, &out)?)?);
        }
        let ours_kib = support::peak_kib(&restore(&next()?, keep))?;
        let floor_kib = support::peak_kib(&scratch.client(floor_script, &out)?)?;
        report(
            if keep {
                "restore --yes --with-learners, whole process (keeps the training as it was)"
            } else {
                "restore --yes --with-learners --no-keep-previous, whole process"
            },
            &ours,
            &floor,
            ours_kib,
            floor_kib,
            server.client(),
        );
    }
    println!(
        "  precheck in-process: median {:.1} ms over {n} runs (target 40 ms)",
        ms(median(&prechecks))
    );
    Ok(())
}
