//! Benchmark (not a timed test): `save --all` of a site of 1,000 generated trainings (50
//! milestones and 200 learners each), whole process, beside its floor measured in the same run:
//! one `psql` (or `mariadb`) client session reading the same rows with `COPY … TO STDOUT` (or
//! batch-mode `SELECT`s). Prints the medians, the ratio and the peak memory of each (issue 13:
//! ≤ 3× the floor, < 100 MiB).
//!
//! Run with a server URL for each backend to measure (a database is created and dropped on it):
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//! ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench save_all
//! ```
//!
//! `ATTESTOODLE_BENCH_TRAININGS`, `…_LEARNERS` and `…_MILESTONES` change the site's size,
//! `ATTESTOODLE_BENCH_RUNS` the number of runs (3 here), and `ATTESTOODLE_BENCH_KEEP` keeps
//! the database (to profile on it).

mod support;

use std::process::ExitCode;
use std::time::Instant;

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{fixture, Site};
use support::{BoxError, Scratch};

fn main() -> ExitCode {
    support::main("save --all", None, |scratch| Box::pin(measure(scratch)))
}

async fn measure(scratch: &Scratch) -> Result<(), BoxError> {
    let (trainings, learners, milestones) = support::site_size();
    let site = Site::connect(&scratch.target()?).await?;
    fixture::create_schema(&site).await?;
    let started = Instant::now();
    demo::seed_generated_site(&site, "Formation générée", trainings, learners, milestones).await?;
    site.close().await;
    scratch.analyze()?;
    println!(
        "  generated {trainings} trainings ({milestones} milestones, {learners} learners each) \
         in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let script = scratch.path("floor.sql");
    std::fs::write(
        &script,
        FLOOR_SELECTS
            .iter()
            .map(|select| support::read_statement(scratch.server, select))
            .collect::<String>(),
    )?;
    let floor_out = scratch.path("floor.out");
    let runs = support::number("ATTESTOODLE_BENCH_RUNS", 3);
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for run in 0..runs {
        floor.push(support::run(&mut scratch.client(&script, &floor_out)?)?);
        let mut save = scratch.ours();
        save.args(["save", "--all", "-o"])
            .arg(scratch.path(&format!("run{run}")));
        ours.push(support::run(&mut save)?);
    }
    let floor_bytes = std::fs::metadata(&floor_out)?.len();
    let mut save = scratch.ours();
    save.args(["save", "--all", "-o"]).arg(scratch.path("peak"));
    let ours_kib = support::peak_kib(&save)?;
    let floor_kib = support::peak_kib(&scratch.client(&script, &floor_out)?)?;

    let (mut files, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(scratch.path("peak"))? {
        files += 1;
        bytes += entry?.metadata()?.len();
    }
    println!(
        "  {files} files, {:.1} MiB; the floor read {:.1} MiB of text",
        bytes as f64 / 1048576.0,
        floor_bytes as f64 / 1048576.0
    );
    support::report(
        "save --all",
        &ours,
        &floor,
        ours_kib,
        floor_kib,
        scratch.server.client(),
    );
    Ok(())
}

/// The rows the files need, as one client session reads them: the trainings and their
/// styles, the category tree, milestones with their course, the course modules of the
/// milestones with their type, course and activity name, the sections of those courses,
/// learners and learner styles with their accounts, templates and their details.
const FLOOR_SELECTS: [&str; 10] = [
    "SELECT id, name, categoryid, startdate, enddate, duration, nbautolaunch, nextlaunch, \
     checklearner FROM {p}tool_attestoodle_training",
    "SELECT id, name, idnumber, parent FROM {p}course_categories",
    "SELECT trainingid, id, templateid, grpcriteria1, grpcriteria2 \
     FROM {p}tool_attestoodle_train_style",
    "SELECT m.trainingid, m.id, m.moduleid, m.creditedtime, m.name, m.timemodified, m.course, \
     c.shortname FROM {p}tool_attestoodle_milestone m LEFT JOIN {p}course c ON c.id = m.course",
    "SELECT cm.id, cm.course, cm.instance, cm.section, cm.idnumber, cm.completion, \
     cm.deletioninprogress, md.name, md.visible, c.shortname, i.name \
     FROM {p}course_modules cm LEFT JOIN {p}modules md ON md.id = cm.module \
     LEFT JOIN {p}course c ON c.id = cm.course LEFT JOIN {p}page i ON i.id = cm.instance \
     WHERE cm.id IN (SELECT moduleid FROM {p}tool_attestoodle_milestone)",
    "SELECT s.id, s.course, s.section, s.sequence FROM {p}course_sections s \
     WHERE s.course IN (SELECT course FROM {p}course_modules \
     WHERE id IN (SELECT moduleid FROM {p}tool_attestoodle_milestone))",
    "SELECT l.trainingid, l.id, l.userid, l.categoryid, l.selected, l.predelete, \
     l.resultcriteria, u.username, u.email, u.idnumber, u.deleted, u.firstname, u.lastname \
     FROM {p}tool_attestoodle_learner l LEFT JOIN {p}user u ON u.id = l.userid",
    "SELECT s.trainingid, s.id, s.userid, s.templateid, s.grpcriteria1, s.grpcriteria2, \
     s.enablecertificate, s.withdateformat, u.username, u.email, u.idnumber, u.deleted, \
     u.firstname, u.lastname \
     FROM {p}tool_attestoodle_user_style s LEFT JOIN {p}user u ON u.id = s.userid",
    "SELECT id, name, timecreated, userid, timemodified FROM {p}tool_attestoodle_template",
    "SELECT id, templateid, type, data FROM {p}tool_attestoodle_tpl_detail",
];
