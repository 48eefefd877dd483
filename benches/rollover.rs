//! Benchmark (not a timed test): the rollover of issue 12 — `clone --from-site --category …
//! --suffix _2027 --with-learners` of 1,000 generated trainings (50 milestones and 200 learners
//! each) onto their courses' `_2027` copies, whole process, beside its floor measured in the
//! same run: one `psql` session that COPYs the same rows out to files and back in, in one
//! transaction. Prints the medians, the ratio and the peak memory of each (issue 12: < 3× the
//! floor, < 150 MiB). PostgreSQL only: the issue's floor is a psql session.
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench rollover
//! ```
//!
//! `ATTESTOODLE_BENCH_TRAININGS`, `…_LEARNERS`, `…_MILESTONES` and `…_RUNS` (3 here) change
//! the size; `ATTESTOODLE_BENCH_KEEP` keeps the database. Between runs, the rows a run added
//! are deleted (not timed).

mod support;

use std::process::ExitCode;
use std::time::Instant;

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{fixture, Site};
use support::{BoxError, Scratch, Server};

/// The tables a rollover writes, each with the columns the floor copies out and back in.
const WRITTEN: [(&str, &str); 5] = [
    (
        "tool_attestoodle_training",
        "name, categoryid, startdate, enddate, duration, nbautolaunch, nextlaunch, checklearner",
    ),
    (
        "tool_attestoodle_train_style",
        "trainingid, templateid, grpcriteria1, grpcriteria2",
    ),
    (
        "tool_attestoodle_milestone",
        "creditedtime, trainingid, course, moduleid, name, timemodified",
    ),
    (
        "tool_attestoodle_learner",
        "userid, trainingid, categoryid, selected, predelete, resultcriteria",
    ),
    (
        "tool_attestoodle_user_style",
        "userid, trainingid, templateid, grpcriteria1, grpcriteria2, enablecertificate, \
         withdateformat",
    ),
];

fn main() -> ExitCode {
    // PostgreSQL only: the issue's floor is a psql session.
    support::main("rollover", Some(Server::Postgres), |scratch| {
        Box::pin(measure(scratch))
    })
}

async fn measure(scratch: &Scratch) -> Result<(), BoxError> {
    let (trainings, learners, milestones) = support::site_size();
    let site = Site::connect(&scratch.target()?).await?;
    fixture::create_schema(&site).await?;
    let started = Instant::now();
    demo::seed_generated_site_for_next_year(
        &site,
        "Formation générée",
        trainings,
        learners,
        milestones,
        &["_2027"],
    )
    .await?;
    site.close().await;
    scratch.analyze()?;
    println!(
        "  generated {trainings} trainings ({milestones} milestones, {learners} learners each) \
         and their courses' _2027 copies in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // What a run adds is deleted before the next: every row above the ids there are now.
    let ids = scratch.path("ids.out");
    let max_ids: String = WRITTEN
        .iter()
        .map(|(table, _)| {
            support::read_statement(
                scratch.server,
                &format!("SELECT COALESCE(MAX(id), 0) FROM mdl_{table}"),
            )
        })
        .collect();
    std::fs::write(scratch.path("ids.sql"), max_ids)?;
    support::run(&mut scratch.client(&scratch.path("ids.sql"), &ids)?)?;
    let cleanup: String = WRITTEN
        .iter()
        .zip(std::fs::read_to_string(&ids)?.lines())
        .map(|((table, _), max)| format!("DELETE FROM mdl_{table} WHERE id > {};\n", max.trim()))
        // What was deleted is vacuumed, as a live site's autovacuum would: the next run does
        // not scan the dead rows of the one before.
        .chain(std::iter::once("VACUUM ANALYZE;\n".to_owned()))
        .collect();
    let cleanup_sql = scratch.path("cleanup.sql");
    std::fs::write(&cleanup_sql, cleanup)?;

    let floor_sql = scratch.path("floor.sql");
    std::fs::write(&floor_sql, floor_script(scratch))?;
    let floor_out = scratch.path("floor.out");
    let runs = support::number("ATTESTOODLE_BENCH_RUNS", 3);
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    let rollover = |scratch: &Scratch| {
        let mut command = scratch.ours();
        command.args([
            "clone",
            "--from-site",
            "--category",
            "GEN",
            "--suffix",
            "_2027",
            "--with-learners",
            "--yes",
        ]);
        command
    };
    for _ in 0..runs {
        floor.push(support::run(&mut scratch.client(&floor_sql, &floor_out)?)?);
        support::run(&mut scratch.client(&cleanup_sql, &floor_out)?)?;
        ours.push(support::run(&mut rollover(scratch))?);
        support::run(&mut scratch.client(&cleanup_sql, &floor_out)?)?;
    }
    let ours_kib = support::peak_kib(&rollover(scratch))?;
    support::run(&mut scratch.client(&cleanup_sql, &floor_out)?)?;
    let floor_kib = support::peak_kib(&scratch.client(&floor_sql, &floor_out)?)?;
    support::run(&mut scratch.client(&cleanup_sql, &floor_out)?)?;
    support::report(
        "rollover of the category",
        &ours,
        &floor,
        ours_kib,
        floor_kib,
        "psql COPY out and in",
    );
    Ok(())
}

/// The floor: the rows a rollover reads — as the `save --all` floor — COPYed out to files,
/// then the rows it writes COPYed back in from them, in one transaction.
fn floor_script(scratch: &Scratch) -> String {
    let mut script = String::new();
    for select in [
        "SELECT id, name, idnumber, parent FROM mdl_course_categories",
        "SELECT cm.id, cm.course, cm.instance, cm.section, cm.idnumber, cm.completion, \
         cm.deletioninprogress, md.name, md.visible, c.shortname, i.name \
         FROM mdl_course_modules cm LEFT JOIN mdl_modules md ON md.id = cm.module \
         LEFT JOIN mdl_course c ON c.id = cm.course LEFT JOIN mdl_page i ON i.id = cm.instance",
        "SELECT s.id, s.course, s.section, s.sequence FROM mdl_course_sections s",
        "SELECT id, username, email, idnumber, deleted, firstname, lastname FROM mdl_user",
    ] {
        script.push_str(&format!(
            "\\copy ({select}) TO '{}'\n",
            scratch.path("read.copy").display()
        ));
    }
    for (table, columns) in WRITTEN {
        script.push_str(&format!(
            "\\copy (SELECT {columns} FROM mdl_{table}) TO '{}'\n",
            scratch.path(&format!("{table}.copy")).display()
        ));
    }
    script.push_str("BEGIN;\n");
    for (table, columns) in WRITTEN {
        script.push_str(&format!(
            "\\copy mdl_{table} ({columns}) FROM '{}'\n",
            scratch.path(&format!("{table}.copy")).display()
        ));
    }
    script.push_str("COMMIT;\n");
    script
}
