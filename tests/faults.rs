//! Faults (issue 16, item 3): a repair, or a batch of trainings restored together, that fails
//! after each of its writes, or whose connection the server drops there, changes nothing (every
//! backend; the single restore's own injection is in `tests/restore.rs`); a database server stopped in the middle of a restore's
//! apply leaves zero rows changed once it is back, and the command exits 1 saying so
//! (PostgreSQL and MariaDB servers of the test's own, started in a temporary directory, when
//! the matching `ATTESTOODLE_TEST_*_URL` is set); a save onto a full disk (a 200 KiB tmpfs)
//! leaves no file behind and exits 1 with the reason in English and French.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{fixture, Site};
use attestoodle_backup::restore::{self, Accepted, ApplyOptions, RepairTarget, RestoreError};
use common::activities::{delete_and_recreate, milestone_cmids};
use common::processes::{codes_to_accept, spawn_tool, PrivateServer, ServerKind, Watch};
use common::{for_each_backend, stderr, TestBackend, TestDb};
use serde_json::Value;

const TRAINING: &str = "Licence Chimie S1 2026";

/// Every row id of the tables a restore or a repair writes, and the milestone columns a
/// repair changes: equal values mean nothing changed.
async fn rows(site: &Site) -> Vec<Vec<Option<i64>>> {
    let mut out = Vec::new();
    for (table, column) in [
        ("tool_attestoodle_training", "id"),
        ("tool_attestoodle_training", "startdate"),
        ("tool_attestoodle_milestone", "id"),
        ("tool_attestoodle_milestone", "moduleid"),
        ("tool_attestoodle_milestone", "course"),
        ("tool_attestoodle_train_style", "id"),
        ("tool_attestoodle_template", "id"),
        ("tool_attestoodle_tpl_detail", "id"),
        ("tool_attestoodle_learner", "id"),
        ("tool_attestoodle_user_style", "id"),
    ] {
        out.push(
            fixture::int_column(site, table, column)
                .await
                .expect("read a column"),
        );
    }
    out
}

/// The first `n` milestones of the training's save: (cmid, type, name).
fn milestones_of(db: &TestDb, n: usize) -> Vec<(i64, String, String)> {
    let output = db.run(&["save", TRAINING, "-o", "before.json", "--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(db.dir.path().join("before.json")).expect("the save");
    let document: Value = serde_json::from_str(&text).expect("JSON");
    document["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .take(n)
        .map(|m| {
            let a = &m["activity"];
            (
                a["source_cmid"].as_i64().expect("source_cmid"),
                a["type"].as_str().expect("type").to_owned(),
                a["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

// Issue 16, item 3: the restore's "fail after each write / drop the connection" injection,
// extended to repair (there is no batch restore yet).
#[tokio::test]
async fn a_repair_failing_or_dropped_at_any_write_changes_zero_rows() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let broken = milestones_of(&db, 3);
        let site = db.connect().await;
        for (cmid, kind, activity) in &broken {
            delete_and_recreate(&site, *cmid, kind, activity, 1).await;
        }
        let id = *site
            .find_trainings_by_name(TRAINING)
            .await
            .expect("read")
            .first()
            .expect("the training");
        let targets = [RepairTarget {
            id,
            name: Some(TRAINING.to_owned()),
        }];
        let plan = restore::precheck_repair(&site, &targets, None)
            .await
            .expect("precheck");
        let relinks = plan.relink_count();
        assert_eq!(relinks, broken.len(), "{name}: {plan:?}");
        let accepted = Accepted::new(plan.needs_accept());
        let before = rows(&site).await;
        for (after, drop_connection) in
            (0..relinks).flat_map(|after| [(after, false), (after, true)])
        {
            let options = ApplyOptions {
                dry_run: false,
                fail_after_statements: Some(after),
                drop_connection,
            };
            let result = restore::apply_repair_with(&site, &plan, &accepted, &options).await;
            assert!(
                matches!(
                    result,
                    Err(RestoreError::Database(
                        attestoodle_backup::moodle::Error::InjectedFailure { .. }
                    ))
                ),
                "{name} {after} {drop_connection}: {result:?}"
            );
            assert_eq!(
                rows(&site).await,
                before,
                "{name}: after {after} writes, dropped {drop_connection}"
            );
        }
        // One write per relink, no more: past the last one nothing fails.
        let options = ApplyOptions {
            dry_run: true,
            fail_after_statements: Some(relinks),
            drop_connection: true,
        };
        let report = restore::apply_repair_with(&site, &plan, &accepted, &options)
            .await
            .expect("every write done before the failure point");
        assert_eq!(report.relinked, relinks, "{name}");
        assert_eq!(rows(&site).await, before, "{name}: a dry run");
        let report = restore::apply_repair(&site, &plan, &accepted, false)
            .await
            .expect("the repair");
        assert_eq!(report.relinked, relinks, "{name}");
        let now = milestone_cmids(&site).await;
        for (cmid, _, _) in &broken {
            assert!(
                !now.contains(&Some(*cmid)),
                "{name}: cm {cmid} still linked"
            );
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// The private server of `kind` when the tests of that backend are asked for (its
/// `ATTESTOODLE_TEST_*_URL` is set: the shared server itself is never stopped), else `None`
/// with the reason printed.
fn private_server(kind: ServerKind) -> Option<PrivateServer> {
    let variable = match kind {
        ServerKind::Postgres => "ATTESTOODLE_TEST_POSTGRES_URL",
        ServerKind::MariaDb => "ATTESTOODLE_TEST_MARIADB_URL",
    };
    if std::env::var(variable).map_or(true, |v| v.trim().is_empty()) {
        return None;
    }
    match PrivateServer::start_new(kind) {
        Ok(server) => Some(server),
        Err(reason) => {
            println!("{kind:?}: stopping a server in the middle of an apply skipped: {reason}");
            None
        }
    }
}

/// A training big enough that its apply takes a while (thousands of learner rows).
const LEARNERS: usize = 10_000;
const MILESTONES: usize = 500;

// Issue 16, item 3: the server stopped (not only the connection dropped) in the middle of an
// apply: the server's own recovery discards the open transaction.
#[tokio::test]
async fn a_server_stopped_in_the_middle_of_an_apply_keeps_zero_rows_of_it() {
    for kind in [ServerKind::MariaDb, ServerKind::Postgres] {
        let Some(mut server) = private_server(kind) else {
            continue;
        };
        let backend = server.backend();
        let name = backend.name();
        let db = TestDb::new(&backend, "mdl_").await;
        let site = db.connect().await;
        fixture::create_schema(&site).await.expect("create schema");
        let started = Instant::now();
        demo::seed_generated(&site, "Formation générée", LEARNERS, MILESTONES)
            .await
            .expect("a generated training");
        println!(
            "{name}: {LEARNERS} learners generated in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        site.close().await;
        let output = db.run(&["save", "Formation générée", "-o", "big.json"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let site = db.connect().await;
        let before = rows(&site).await;
        site.close().await;

        let keys = db.dir.path().join("keys");
        let accept = codes_to_accept(&db, &["big.json", "--name", "Copie générée"], &[]);
        let mut args = vec!["restore", "big.json", "--name", "Copie générée", "--yes"];
        if !accept.is_empty() {
            args.extend(["--accept", accept.as_str()]);
        }
        let mut watch = Watch::connect(&db).await.expect("a server");
        let restoring = spawn_tool(&db, &keys, &args);
        let writing = watch.until_writing(Duration::from_secs(60)).await;
        if !writing {
            let output = restoring.wait_with_output().expect("the restore ends");
            panic!(
                "{name}: the apply never began: {:?} {}",
                output.status.code(),
                stderr(&output)
            );
        }
        server.stop_now();
        let stopped = Instant::now();
        drop(watch);
        let output = restoring.wait_with_output().expect("the restore ends");
        let message = stderr(&output);
        println!(
            "{name}: the restore ended {:.1} s after the stop: {}",
            stopped.elapsed().as_secs_f64(),
            message.trim()
        );
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert!(
            message.contains("was lost") && message.contains("nothing was written"),
            "{name}: {message}"
        );
        server.start();
        let site = db.connect().await;
        assert_eq!(rows(&site).await, before, "{name}: rows changed");
        assert!(
            site.find_trainings_by_name("Copie générée")
                .await
                .expect("read")
                .is_empty(),
            "{name}"
        );
        site.close().await;
        db.drop_database().await;
    }
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    /// Mounts a tmpfs of `size` on a temporary directory, or gives why it cannot.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount refused: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// The bytes still free.
    fn free(&self) -> u64 {
        let output = Command::new("stat")
            .args(["-f", "-c", "%a %S"])
            .arg(self.path())
            .output()
            .expect("stat -f");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let numbers: Vec<u64> = text
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        numbers[0] * numbers[1]
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .expect("the mount")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

// Issue 16, item 3: a full disk while writing a save.
#[tokio::test]
async fn a_save_onto_a_full_disk_leaves_no_file_and_says_why() {
    let disk = match Tmpfs::mount("200k") {
        Ok(disk) => disk,
        Err(reason) => {
            println!("a save onto a full disk skipped: {reason}");
            return;
        }
    };
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let output = db.run(&["save", TRAINING, "-o", "reference.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let size = std::fs::metadata(db.dir.path().join("reference.json"))
        .expect("the save")
        .len();
    // An older backup that a `--force` save would replace, then a filler that leaves room for
    // half of the new file: the write starts, then meets the full disk.
    let old = disk.path().join("chimie.json");
    std::fs::write(&old, "the older backup").expect("the older file");
    let room = size / 2;
    let filler = (disk.free().saturating_sub(room)) / 4096 * 4096;
    std::fs::write(disk.path().join("filler"), vec![0u8; filler as usize]).expect("the filler");
    assert!(disk.free() < size, "{} free for {size} bytes", disk.free());
    let target = disk.path().join("chimie.json");
    let target = target.to_str().expect("a UTF-8 path");
    for (lang, reason) in [
        (
            "en",
            "the disk is full; nothing was left there: free some space",
        ),
        (
            "fr",
            "le disque est plein ; rien n'y a été laissé : libérez de la place",
        ),
    ] {
        let output = db.run(&["--lang", lang, "save", TRAINING, "-o", target, "--force"]);
        let message = stderr(&output);
        println!("{lang}: {}", message.trim());
        assert_eq!(output.status.code(), Some(1), "{lang}: {message}");
        assert!(message.contains(reason), "{lang}: {message}");
        assert!(
            message.contains(target),
            "{lang}: names the file: {message}"
        );
        assert_eq!(
            disk.names(),
            ["chimie.json", "filler"],
            "{lang}: no partial or temporary file"
        );
        assert_eq!(
            std::fs::read_to_string(&old).expect("the older file"),
            "the older backup",
            "{lang}: the older backup is untouched"
        );
    }
    db.drop_database().await;
}

// Issue 16, item 3: "the existing 'fail after each write / drop the connection' injection
// extended to the batch restore": the three demo trainings restored together
// (`--all-or-nothing`), failing after each write of each training, or with the connection
// dropped there, change zero rows; past the last write of every training, the batch is written.
#[tokio::test]
async fn a_batch_failing_or_dropped_at_any_write_of_any_training_changes_zero_rows() {
    use attestoodle_backup::document::keys;
    use attestoodle_backup::moodle::InjectedFailure;
    use attestoodle_backup::restore::batch;

    let key = &keys::generate();
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        let list = site.list_trainings().await.expect("list");
        let ids: Vec<i64> = list.trainings.iter().map(|t| t.id).collect();
        let entries = common::batches::restoring_each(&site, &ids, key).await;
        let plans = batch::precheck_batch(&site, &entries)
            .await
            .expect("precheck");
        let accepted = Accepted::new(batch::needs_accept(&plans));
        let refs: Vec<_> = plans.iter().collect();
        let before = rows(&site).await;
        let apply = |index: usize, after: usize, drop_connection: bool, dry_run: bool| {
            let site = &site;
            let refs = &refs;
            let accepted = &accepted;
            async move {
                restore::apply_together(
                    site,
                    refs,
                    accepted,
                    &ApplyOptions {
                        dry_run,
                        ..ApplyOptions::default()
                    },
                    &[],
                    Some((
                        index,
                        InjectedFailure {
                            after,
                            drop_connection,
                        },
                    )),
                )
                .await
            }
        };
        let mut tried = 0;
        for index in 0..refs.len() {
            // A dry run says how many writes the training makes: the first that succeeds.
            let mut writes = 0;
            while apply(index, writes, false, true).await.is_err() {
                writes += 1;
                assert!(writes < 1_000, "{name}: training {index} never succeeds");
            }
            assert!(writes > 0, "{name}: training {index} writes nothing");
            for after in 0..writes {
                for drop_connection in [false, true] {
                    let failed = apply(index, after, drop_connection, false).await;
                    assert!(
                        matches!(&failed, Err(f) if f.index == index),
                        "{name} {index} {after} {drop_connection}: {failed:?}"
                    );
                    assert_eq!(
                        rows(&site).await,
                        before,
                        "{name}: training {index}, after {after} writes, dropped {drop_connection}"
                    );
                    tried += 1;
                }
            }
        }
        assert!(tried >= 6 * refs.len(), "{name}: {tried}");
        let written =
            restore::apply_together(&site, &refs, &accepted, &ApplyOptions::default(), &[], None)
                .await
                .expect("the batch");
        assert_eq!(written.len(), refs.len(), "{name}");
        assert_ne!(rows(&site).await, before, "{name}: the batch wrote nothing");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}
