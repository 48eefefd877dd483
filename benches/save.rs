//! Benchmark (not a timed test): saving a generated training with 10,000 learners and 500
//! milestones on PostgreSQL, next to a plain `SELECT` of the same rows.
//!
//! Run with a PostgreSQL server URL (a database is created and dropped on it):
//!
//! ```sh
//! ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench save
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::{fixture, Site, Target};
use attestoodle_backup::save::{self, SaveOptions};
use time::OffsetDateTime;

const LEARNERS: usize = 10_000;
const MILESTONES: usize = 500;
const RUNS: usize = 5;

fn main() -> ExitCode {
    let Some(server) = std::env::var("ATTESTOODLE_BENCH_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        println!(
            "save benchmark skipped: set ATTESTOODLE_BENCH_POSTGRES_URL to a PostgreSQL server, \
             for example\n  ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
             cargo bench --bench save"
        );
        return ExitCode::SUCCESS;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("save benchmark: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let name = format!("attestoodle_bench_{}", std::process::id());
    let result = runtime.block_on(run(&server, &name));
    let dropped = runtime
        .block_on(fixture::drop_database(&server, &name))
        .map_err(Box::<dyn std::error::Error>::from);
    match (result, dropped) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) | (Ok(()), Err(e)) => {
            eprintln!("save benchmark: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(server: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let url = fixture::create_database(server, name).await?;
    let target = Target::url(&url, "mdl_", std::path::Path::new("."))?;
    let site = Site::connect(&target).await?;
    fixture::create_schema(&site).await?;
    let started = Instant::now();
    let id = demo::seed_generated(&site, "Formation de référence", LEARNERS, MILESTONES).await?;
    println!(
        "generated a training with {LEARNERS} learners and {MILESTONES} milestones in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    site.close().await;

    let site = Site::open(&target).await?;
    let key = keys::generate();
    let mut save_times = Vec::new();
    let mut select_times = Vec::new();
    let mut statements = 0;
    let mut rows = 0;
    let mut bytes = 0;
    for _ in 0..RUNS {
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
        bytes = saved.text().len();
        save_times.push(started.elapsed());
        statements = site.statement_count() - before;

        let started = Instant::now();
        rows = site.select_training_rows(id).await?;
        select_times.push(started.elapsed());
    }
    site.close().await;
    println!(
        "save (read, build, sort, sign, text): median {:.1} ms, best {:.1} ms over {RUNS} runs; \
         {statements} SQL statements; file of {bytes} bytes",
        ms(median(&mut save_times)),
        ms(save_times[0])
    );
    println!(
        "plain SELECT of the same {rows} rows: median {:.1} ms, best {:.1} ms over {RUNS} runs",
        ms(median(&mut select_times)),
        ms(select_times[0])
    );
    Ok(())
}

/// Sorts the times and gives the median.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
