//! Rollover (README "New academic year"): several trainings restored or cloned at once, from
//! files and directories or straight from the live site, on every backend.

mod common;

use std::path::{Path, PathBuf};

use attestoodle_backup::document::keys;
use attestoodle_backup::document::v2::Document;
use attestoodle_backup::moodle::{InjectedFailure, Site};
use attestoodle_backup::restore::{
    self, batch, Accepted, ApplyOptions, Mode, Provenance, RestoreOptions,
};
use attestoodle_backup::save::{self, SaveOptions};
use common::rows::snapshot;
use common::{backends, for_each_backend, stderr, stdout, TestDb};

const TRAININGS: [&str; 3] = [
    "Licence Chimie S1 2026",
    "Sécurité & Hygiène 2026",
    "Anglais B2 – session d'automne",
];

/// The document without ids, `created` and the signature, nor the milestones' `timemodified`,
/// which a restore writes as now (README, "What is written").
fn without_ids(document: Document) -> Document {
    let mut document = common::without_ids(document);
    for milestone in &mut document.milestones {
        milestone.timemodified = None;
    }
    document
}

async fn open(db: &TestDb) -> Site {
    Site::open(&db.target()).await.expect("open the site")
}

/// The training named `name` as `save` reads it (ids removed).
async fn saved(site: &Site, name: &str) -> Document {
    let ids = site.find_trainings_by_name(name).await.expect("find");
    assert_eq!(ids.len(), 1, "{name}: {ids:?}");
    let (document, _) = save::read(site, ids[0], time::OffsetDateTime::now_utc())
        .await
        .expect("read the training");
    without_ids(document)
}

/// `save --all -o saves` on `db`: the files written, in name order.
fn save_all(db: &TestDb) -> Vec<PathBuf> {
    let out = db.run(&["save", "--all", "-o", "saves"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut files: Vec<PathBuf> = std::fs::read_dir(db.dir.path().join("saves"))
        .expect("the directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), TRAININGS.len(), "{files:?}");
    files
}

/// Copies the files into `dir/saves` of another test database.
fn copy_into(files: &[PathBuf], dir: &Path) {
    let saves = dir.join("saves");
    std::fs::create_dir_all(&saves).expect("mkdir");
    for file in files {
        std::fs::copy(file, saves.join(file.file_name().expect("a name"))).expect("copy");
    }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

#[tokio::test]
async fn a_directory_of_saves_restored_on_a_site_with_other_ids_equals_the_files_one_by_one() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let a = TestDb::seeded(&backend, "mdl_").await;
        let (batch_site, single_site) = (
            TestDb::seeded_with_other_ids(&backend).await,
            TestDb::seeded_with_other_ids(&backend).await,
        );
        let files = save_all(&a);
        copy_into(&files, batch_site.dir.path());
        copy_into(&files, single_site.dir.path());

        let accept = "replace-training,untrusted-signer";
        let out = batch_site.run(&["restore", "saves", "--yes", "--accept", accept, "--json"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["outcome"], "applied", "{name}: {report}");
        let trainings = report["trainings"].as_array().expect("trainings");
        assert_eq!(trainings.len(), 3, "{name}");
        for t in trainings {
            assert_eq!(t["outcome"], "applied", "{name}: {t}");
            assert_eq!(t["action"], "replace", "{name}: {t}");
            assert!(t["previous"].as_str().is_some(), "{name}: {t}");
        }
        let groups = report["findings"].as_array().expect("findings");
        let replace = groups
            .iter()
            .find(|g| g["code"] == "replace-training")
            .expect("replace-training grouped");
        assert_eq!(replace["count"], 3, "{name}: {replace}");

        for file in &files {
            let file = format!(
                "saves/{}",
                file.file_name().expect("name").to_string_lossy()
            );
            let out = single_site.run(&["restore", &file, "--yes", "--accept", accept]);
            assert!(out.status.success(), "{name} {file}: {}", stderr(&out));
        }
        let (one, other) = (open(&batch_site).await, open(&single_site).await);
        for training in TRAININGS {
            assert_eq!(
                saved(&one, training).await,
                saved(&other, training).await,
                "{name} {training}"
            );
        }
        one.close().await;
        other.close().await;

        // The ways back the replaces kept stay beside the files, and a second run of the
        // directory leaves them out instead of restoring the old trainings over the new.
        let kept = std::fs::read_dir(batch_site.dir.path().join("saves"))
            .expect("dir")
            .filter(|e| {
                e.as_ref()
                    .map(|e| e.file_name().to_string_lossy().contains("before-replace"))
                    .unwrap_or(false)
            })
            .count();
        assert_eq!(kept, 3, "{name}");
        let again = batch_site.run(&["restore", "saves", "--dry-run"]);
        assert!(again.status.success(), "{name}: {}", stderr(&again));
        assert!(
            stdout(&again).contains("Restore of 3 training(s)"),
            "{name}"
        );
        assert_eq!(stderr(&again).matches("left out").count(), 3, "{name}");

        for db in [a, batch_site, single_site] {
            db.drop_database().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_directory_holding_one_tampered_file_is_refused_before_anything_is_written() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let files = save_all(&db);
        let tampered = &files[1];
        let text = std::fs::read_to_string(tampered).expect("read");
        std::fs::write(
            tampered,
            text.replacen("\"creditedtime\": ", "\"creditedtime\": 1", 1),
        )
        .expect("tamper");
        let site = open(&db).await;
        let before = snapshot(&site).await;

        let out = db.run(&[
            "--lang",
            "fr",
            "restore",
            "saves",
            "--yes",
            "--accept",
            "replace-training",
        ]);
        assert_eq!(out.status.code(), Some(3), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        let file_name = tampered.file_name().expect("name").to_string_lossy();
        assert!(err.contains(&*file_name), "{name}: {err}");
        assert!(
            err.contains("ne peut pas être restauré : rien n'a été écrit")
                && err.contains("rien n'a été écrit")
                && err.contains("--skip-bad-files"),
            "{name}: {err}"
        );
        assert_eq!(snapshot(&site).await, before, "{name}: nothing written");

        // Left out on purpose: the two others are written, the bad one named.
        let out = db.run(&[
            "restore",
            "saves",
            "--skip-bad-files",
            "--yes",
            "--accept",
            "replace-training",
            "--no-keep-previous",
            "--json",
        ]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["trainings"].as_array().map(Vec::len), Some(2));
        assert_eq!(report["bad_files"].as_array().map(Vec::len), Some(1));
        assert!(stderr(&out).contains("left out"), "{name}");

        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn clone_from_site_by_category_gives_what_saving_and_cloning_each_one_gives() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let (batch_db, single_db) = (
            TestDb::seeded(&backend, "mdl_").await,
            TestDb::seeded(&backend, "mdl_").await,
        );
        let clone_args = ["--suffix", "_2027", "--shift-dates", "364", "--yes"];
        let mut args = vec![
            "clone",
            "--from-site",
            "--category",
            "Université Démo",
            "--save-dir",
            "kept",
            "--json",
        ];
        args.extend(clone_args);
        let out = batch_db.run(&args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report = json(&out);
        let cloned: Vec<String> = report["trainings"]
            .as_array()
            .expect("trainings")
            .iter()
            .map(|t| t["target"].as_str().expect("target").to_owned())
            .collect();
        assert_eq!(
            cloned,
            [
                "Licence Chimie S1 2026_2027",
                "Anglais B2 – session d'automne_2027"
            ],
            "{name}"
        );
        let kept = std::fs::read_dir(batch_db.dir.path().join("kept"))
            .expect("--save-dir")
            .count();
        assert_eq!(kept, 2, "{name}");

        for training in ["Licence Chimie S1 2026", "Anglais B2 – session d'automne"] {
            let out = single_db.run(&["save", training, "-o", "one.json", "--force"]);
            assert!(out.status.success(), "{name}: {}", stderr(&out));
            let mut args = vec!["clone", "one.json"];
            args.extend(clone_args);
            let out = single_db.run(&args);
            assert!(out.status.success(), "{name}: {}", stderr(&out));
        }
        let (one, other) = (open(&batch_db).await, open(&single_db).await);
        for target in &cloned {
            let (a, b) = (saved(&one, target).await, saved(&other, target).await);
            assert!(!a.milestones.is_empty(), "{name} {target}");
            assert_eq!(a, b, "{name} {target}");
        }
        one.close().await;
        other.close().await;

        // Cloned again: every clone exists, the combined precheck refuses (exit 4) and names
        // the code once for both.
        let out = batch_db.run(&[
            "clone",
            "--from-site",
            "Licence Chimie S1 2026",
            "Anglais B2 – session d'automne",
            "--suffix",
            "_2027",
            "--yes",
        ]);
        assert_eq!(out.status.code(), Some(4), "{name}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("[BLOCKING] training-exists ×2 in 2 training(s)"),
            "{name}: {}",
            stdout(&out)
        );
        for db in [batch_db, single_db] {
            db.drop_database().await;
        }
    })
    .await;
}

#[tokio::test]
async fn all_or_nothing_with_a_failure_in_the_last_training_changes_zero_rows() {
    let key = &keys::generate();
    let key_id = &keys::key_id(&key.verifying_key());
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let mut entries = Vec::new();
        for training in TRAININGS {
            let id = site.find_trainings_by_name(training).await.expect("find")[0];
            let saved = save::save(
                &site,
                id,
                &SaveOptions {
                    key,
                    strict: false,
                    created: time::OffsetDateTime::now_utc(),
                },
            )
            .await
            .expect("save");
            entries.push(batch::BatchEntry {
                origin: training.to_owned(),
                document: saved.document,
                options: RestoreOptions::new(Mode::Restore, Provenance::Trusted(key_id.clone())),
            });
        }
        let plans = batch::precheck_batch(&site, &entries)
            .await
            .expect("precheck");
        let accepted = Accepted::new(batch::needs_accept(&plans));
        let refs: Vec<_> = plans.iter().collect();
        let before = snapshot(&site).await;
        let dry = restore::apply_together(
            &site,
            &refs,
            &accepted,
            &ApplyOptions {
                dry_run: true,
                ..ApplyOptions::default()
            },
            &[],
            None,
        )
        .await
        .expect("a dry run");
        let last = dry.last().expect("three reports").statements;
        assert!(last >= 3, "{name}: {last}");
        assert_eq!(snapshot(&site).await, before, "{name}: the dry run");
        for (after, drop_connection) in [(0, false), (last / 2, true), (last - 1, false)] {
            let failed = restore::apply_together(
                &site,
                &refs,
                &accepted,
                &ApplyOptions::default(),
                &[],
                Some((
                    2,
                    InjectedFailure {
                        after,
                        drop_connection,
                    },
                )),
            )
            .await;
            let failure = failed.expect_err("the last training fails");
            assert_eq!(failure.index, 2, "{name}");
            assert_eq!(
                snapshot(&site).await,
                before,
                "{name}: after {after} of the last, dropped {drop_connection}"
            );
        }
        // Without the failure all three are written, in one transaction.
        let reports =
            restore::apply_together(&site, &refs, &accepted, &ApplyOptions::default(), &[], None)
                .await
                .expect("written");
        assert_eq!(reports.len(), 3, "{name}");
        assert_ne!(snapshot(&site).await, before, "{name}");
        site.close().await;

        // The command line's --all-or-nothing, and the dry run's report in French.
        save_all(&db);
        let out = db.run(&[
            "--lang",
            "fr",
            "restore",
            "saves",
            "--all-or-nothing",
            "--dry-run",
        ]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("3 formations sur 3 essayées ; rien n'a été écrit (essai)"),
            "{name}: {}",
            stdout(&out)
        );
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn batch_refusals_say_what_to_do() {
    let backend = &backends()[0];
    let db = TestDb::seeded(backend, "mdl_").await;
    save_all(&db);
    // Without --yes and off a terminal: refused, the codes to accept named, nothing written.
    let out = db.run(&["restore", "saves"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--yes --accept replace-training"),
        "{}",
        stderr(&out)
    );
    // An empty directory, --name with several files, --from-site without a choice: exit 2.
    std::fs::create_dir_all(db.dir.path().join("empty")).expect("mkdir");
    for (args, words) in [
        (vec!["restore", "empty"], "holds no backup file"),
        (
            vec!["--lang", "fr", "restore", "empty"],
            "le dossier ne contient aucun fichier de sauvegarde",
        ),
        (
            vec!["restore", "saves", "--name", "X"],
            "--name renames one training",
        ),
        (
            vec!["clone", "--from-site", "--suffix", "_2027"],
            "--from-site needs the trainings to clone",
        ),
    ] {
        let out = db.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
    }
    let out = db.run(&[
        "clone",
        "--from-site",
        "Nothing Of That Name",
        "--suffix",
        "_2027",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    // Two files of one training: blocking, named with both files.
    let first = std::fs::read_dir(db.dir.path().join("saves"))
        .expect("dir")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    std::fs::copy(&first, db.dir.path().join("saves/copy.json")).expect("copy");
    let out = db.run(&["restore", "saves", "--yes", "--accept", "replace-training"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("batch-duplicate ×2"),
        "{}",
        stdout(&out)
    );
    db.drop_database().await;
}

// Issue 12: "The look-ups a batch needs … are read in a number of statements that does not
// grow with the number of trainings." Each plan is the one its training's precheck alone gives.
#[tokio::test]
async fn a_batch_precheck_reads_the_site_in_the_same_number_of_statements_for_2_or_50() {
    let key = &keys::generate();
    for_each_backend(|backend| async move {
        let mut counts = Vec::new();
        for trainings in [2, 50] {
            let (db, site, ids) = generated(&backend, trainings).await;
            let entries = common::batches::restoring_each(&site, &ids, key).await;
            let before = site.statement_count();
            let plans = batch::precheck_batch(&site, &entries)
                .await
                .expect("precheck");
            counts.push(site.statement_count() - before);
            assert_eq!(plans.len(), trainings);
            for (entry, plan) in entries.iter().zip(&plans).step_by(13) {
                let alone = restore::precheck(&site, &entry.document, &entry.options)
                    .await
                    .expect("precheck alone");
                assert_eq!(plan, &alone, "{}", backend.name());
                assert_eq!(plan.milestones.len(), 4);
                assert_eq!(plan.learners.len(), 3);
            }
            site.close().await;
            db.drop_database().await;
        }
        assert_eq!(counts[0], counts[1], "{}: {counts:?}", backend.name());
    })
    .await;
}

/// A new site of `trainings` generated trainings (3 learners and 4 milestones each), opened;
/// with their ids.
async fn generated(backend: &common::TestBackend, trainings: usize) -> (TestDb, Site, Vec<i64>) {
    let db = TestDb::new(backend, "mdl_").await;
    let site = db.connect().await;
    attestoodle_backup::moodle::fixture::create_schema(&site)
        .await
        .expect("schema");
    let ids = attestoodle_backup::demo::seed_generated_site(&site, "Lot", trainings, 3, 4)
        .await
        .expect("generate");
    site.close().await;
    let site = open(&db).await;
    (db, site, ids)
}

/// The names of the trainings named `… copie`, and the milestones of every training.
async fn copies(site: &Site) -> (Vec<String>, i64) {
    let list = site.list_trainings().await.expect("list");
    let mut names: Vec<String> = list
        .trainings
        .iter()
        .filter_map(|t| t.name.clone())
        .filter(|n| n.ends_with(" copie"))
        .collect();
    names.sort();
    (
        names,
        list.trainings.iter().map(|t| t.milestones).sum::<i64>(),
    )
}

/// The trainings `ids` of `site`, each a batch entry that restores it under `<name> copie`: new
/// trainings on templates that exist, which `apply_each` writes together.
async fn copying_each(
    site: &Site,
    ids: &[i64],
    key: &ed25519_dalek::SigningKey,
) -> Vec<batch::BatchEntry> {
    let mut entries = common::batches::restoring_each(site, ids, key).await;
    for entry in &mut entries {
        entry.options.rename.name = Some(format!("{} copie", entry.document.training.name));
    }
    entries
}

// Issue 12, built for big sites: the trainings of a batch are written many at a time, in the
// same number of statements for 2 or 50, and each keeps its own outcome: one whose name was
// taken since the precheck gets its conflict, the others are written as each alone would be.
#[tokio::test]
async fn trainings_written_together_keep_each_its_own_outcome_in_as_many_statements_for_2_or_50() {
    let key = &keys::generate();
    for_each_backend(|backend| async move {
        let name = backend.name();
        let mut counts = Vec::new();
        for trainings in [2, 50] {
            let (db, site, ids) = generated(&backend, trainings).await;
            let entries = copying_each(&site, &ids, key).await;
            let plans = batch::precheck_batch(&site, &entries)
                .await
                .expect("precheck");
            let accepted = Accepted::new(batch::needs_accept(&plans));
            // The second copy is made meanwhile, alone.
            restore::apply(&site, &plans[1], &accepted, &ApplyOptions::default())
                .await
                .expect("the second copy alone");
            let refs: Vec<&restore::Plan> = plans.iter().collect();
            let mut done = Vec::new();
            let before = site.statement_count();
            let results = restore::apply_each(
                &site,
                &refs,
                &accepted,
                &ApplyOptions::default(),
                &[],
                |i| done.push(i),
            )
            .await;
            counts.push(site.statement_count() - before);
            done.sort_unstable();
            assert_eq!(done, (0..trainings).collect::<Vec<_>>(), "{name}");
            for (i, (result, entry)) in results.iter().zip(&entries).enumerate() {
                if i == 1 {
                    assert!(
                        matches!(result, Err(restore::RestoreError::Conflict { .. })),
                        "{name}: {result:?}"
                    );
                    continue;
                }
                let report = result.as_ref().expect("written");
                assert_eq!(report.action, "created", "{name}");
                assert_eq!(
                    (report.written.milestones, report.written.learners),
                    (4, 3),
                    "{name}"
                );
                let id = report.training_id.expect("an id");
                let (copy, _) = save::read(&site, id, time::OffsetDateTime::now_utc())
                    .await
                    .expect("read the copy");
                let mut copy = without_ids(copy);
                assert_eq!(
                    copy.training.name,
                    format!("{} copie", entry.document.training.name)
                );
                copy.training.name = entry.document.training.name.clone();
                // A restore writes 0 where the generated training has no launch settings, as
                // a restore of each alone does.
                let mut expected = without_ids(entry.document.clone());
                expected.training.nbautolaunch = Some(expected.training.nbautolaunch.unwrap_or(0));
                expected.training.nextlaunch = Some(expected.training.nextlaunch.unwrap_or(0));
                assert_eq!(copy, expected, "{name}: {i}");
            }
            site.close().await;
            db.drop_database().await;
        }
        assert_eq!(counts[0], counts[1], "{name}: {counts:?}");
    })
    .await;
}

// When the transaction of trainings written together fails at any of its writes, or loses
// its connection, each training is written again alone: every one is written once.
#[tokio::test]
async fn trainings_written_together_are_written_alone_when_their_transaction_fails() {
    let key = &keys::generate();
    for_each_backend(|backend| async move {
        let name = backend.name();
        let (db, site, ids) = generated(&backend, 3).await;
        let entries = copying_each(&site, &ids, key).await;
        let plans = batch::precheck_batch(&site, &entries)
            .await
            .expect("precheck");
        let accepted = Accepted::new(batch::needs_accept(&plans));
        let refs: Vec<&restore::Plan> = plans.iter().collect();
        let (none, milestones) = copies(&site).await;
        assert!(none.is_empty(), "{name}");
        // Every write of the group (one a table: fewer than 8), and past the last.
        for after in 0..8 {
            for drop_connection in [false, true] {
                let results = restore::apply_each(
                    &site,
                    &refs,
                    &accepted,
                    &ApplyOptions {
                        fail_after_statements: Some(after),
                        drop_connection,
                        ..ApplyOptions::default()
                    },
                    &[],
                    |_| {},
                )
                .await;
                for result in &results {
                    assert!(
                        result.is_ok(),
                        "{name} {after} {drop_connection}: {result:?}"
                    );
                }
                let (names, now) = copies(&site).await;
                assert_eq!(
                    names.len(),
                    3,
                    "{name} {after} {drop_connection}: {names:?}"
                );
                assert_eq!(now, milestones * 2, "{name} {after} {drop_connection}");
                for result in results.into_iter().flatten() {
                    let id = result.training_id.expect("an id");
                    let mut w = attestoodle_backup::moodle::fixture::Writer::begin(&site)
                        .await
                        .expect("begin");
                    for table in [
                        "tool_attestoodle_milestone",
                        "tool_attestoodle_learner",
                        "tool_attestoodle_user_style",
                        "tool_attestoodle_train_style",
                    ] {
                        w.delete_where(table, "trainingid", id.into())
                            .await
                            .expect("delete");
                    }
                    w.delete_where("tool_attestoodle_training", "id", id.into())
                        .await
                        .expect("delete");
                    w.commit().await.expect("commit");
                }
            }
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}
