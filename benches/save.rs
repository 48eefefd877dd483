//! Benchmark (not a timed test) of issue 13: `save` of one big training (10,000 learners, 500
//! milestones, 2,000 learner styles), whole process, beside its floor measured in the same run:
//! the database's own client reading the rows the file needs in one session (`psql` with
//! `COPY (SELECT …) TO STDOUT`, or `mariadb` in batch mode running the same SELECTs). Prints
//! the medians, the ratio and the peak memory of both, then the in-process save for profiling.
//!
//! Each server is skipped, with a line saying so, when its variable is unset; a database is
//! created and dropped on it:
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//! ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench save
//! ```
//!
//! `ATTESTOODLE_BENCH_RUNS` sets the number of runs of each measure (default 9).

mod support;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::Site;
use attestoodle_backup::save::{self, SaveOptions};
use time::OffsetDateTime;

use support::{median, ms, report, run, runs, BoxError, Scratch};

fn main() -> ExitCode {
    support::main("save", None, |scratch| Box::pin(measure(scratch)))
}

async fn measure(scratch: &Scratch) -> Result<(), BoxError> {
    let server = scratch.server;
    let id = scratch.seed().await?;
    run(scratch.ours().args(["keys", "generate"]))?;

    let script = scratch.path("floor.sql");
    std::fs::write(&script, support::save_reads(server, id))?;
    let floor_out = scratch.path("floor.out");
    let file = scratch.path("saved.json");
    let save = || {
        let mut command = scratch.ours();
        command.args(["save", support::TRAINING, "-o"]).arg(&file);
        command
    };

    // One of each first: caches, and a check that both work.
    std::fs::remove_file(&file).ok();
    run(&mut save())?;
    run(&mut scratch.client(&script, &floor_out)?)?;
    let file_bytes = std::fs::metadata(&file)?.len();
    let floor_bytes = std::fs::metadata(&floor_out)?.len();

    let n = runs();
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..n {
        std::fs::remove_file(&file)?;
        ours.push(run(&mut save())?);
        floor.push(run(&mut scratch.client(&script, &floor_out)?)?);
    }
    std::fs::remove_file(&file)?;
    let ours_kib = support::peak_kib(&save())?;
    let floor_kib = support::peak_kib(&scratch.client(&script, &floor_out)?)?;
    report(
        &format!("save, whole process ({file_bytes} bytes; the floor reads {floor_bytes})"),
        &ours,
        &floor,
        ours_kib,
        floor_kib,
        server.client(),
    );

    // In-process, for profiling: the library's save without starting a process or connecting.
    let site = Site::open(&scratch.target()?).await?;
    let key = keys::generate();
    let mut times: Vec<Duration> = Vec::new();
    let mut statements = 0;
    for _ in 0..n {
        let before = site.statement_count();
        let started = Instant::now();
        let saved = save::save(
            &site,
            id,
            &SaveOptions {
                key: &key,
                strict: true,
                created: OffsetDateTime::now_utc(),
            },
        )
        .await?;
        let _text = saved.text();
        times.push(started.elapsed());
        statements = site.statement_count() - before;
    }
    site.close().await;
    println!(
        "  save in-process (read, build, sign, text; no file): median {:.1} ms, {statements} \
         SQL statements",
        ms(median(&times))
    );
    Ok(())
}
