//! Restores at the same time (issue 16, item 2), through the built binary on every backend:
//! eight processes restoring one file onto one site make one training, with no duplicate
//! milestone or learner row, and each other process is refused (exit 4) or replaces the
//! training whole (README, *Restore and clone*, "Two restores at once"); eight processes
//! restoring eight files make eight complete trainings; and a `save` racing the restore that
//! replaces its training reads the old training or the new one whole, never a mix (PostgreSQL
//! and MariaDB with their default isolation, the save held at a chosen statement by a table
//! lock). Under load on the web side: the uploads waiting in all sessions are capped together.

mod common;

use std::collections::HashMap;
use std::process::Output;
use std::time::Duration;

use attestoodle_backup::diff;
use attestoodle_backup::document::v2::{self, Document};
use attestoodle_backup::document::{keys, signature};
use attestoodle_backup::moodle::{fixture, Site};
use attestoodle_backup::restore::{self, Accepted, ApplyOptions, Mode, Provenance, RestoreOptions};
use attestoodle_backup::save;
use common::processes::{codes_to_accept, spawn_tool, Watch};
use common::{for_each_backend, stderr, TestBackend, TestDb};

const TRAINING: &str = "Licence Chimie S1 2026";
const PROCESSES: usize = 8;

/// Saves `training` of the site into `file` (in the test's directory) through the binary.
fn save(db: &TestDb, training: &str, file: &str) {
    let output = db.run(&["save", training, "-o", file, "--force"]);
    assert_eq!(output.status.code(), Some(0), "save: {}", stderr(&output));
}

/// The document of a file of the test's directory.
fn document(db: &TestDb, file: &str) -> Document {
    let bytes = std::fs::read(db.dir.path().join(file)).expect("the file");
    v2::parse(&bytes).expect("a format-2 file")
}

/// Writes `document` signed with the site's own key (trusted) into `file`.
fn write_signed(db: &TestDb, mut document: Document, file: &str) {
    let key = keys::read_private_key(&db.dir.path().join("keys").join(keys::PRIVATE_KEY_FILE))
        .expect("the site's key, made by the first save");
    signature::sign(&mut document, &key);
    std::fs::write(db.dir.path().join(file), v2::to_text(&document)).expect("write the file");
}

/// Starts one process per argument list at once and collects them all.
fn run_at_once(db: &TestDb, commands: &[Vec<String>]) -> Vec<Output> {
    let keys = db.dir.path().join("keys");
    let children: Vec<_> = commands
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            spawn_tool(db, &keys, &args)
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("the process ends"))
        .collect()
}

/// Per training id, the rows of `table` per value of `column` (a training's milestones per
/// course module, its learners per account).
async fn rows_per_training(
    site: &Site,
    table: &str,
    column: &str,
) -> HashMap<i64, HashMap<i64, usize>> {
    let trainings = fixture::int_column(site, table, "trainingid")
        .await
        .expect("trainingid");
    let values = fixture::int_column(site, table, column)
        .await
        .expect("column");
    let mut out: HashMap<i64, HashMap<i64, usize>> = HashMap::new();
    for (training, value) in trainings.into_iter().zip(values) {
        *out.entry(training.unwrap_or(0))
            .or_default()
            .entry(value.unwrap_or(0))
            .or_default() += 1;
    }
    out
}

/// What a training has: (milestones, learners, learner styles), each checked to hold no
/// duplicate row (two milestones on one course module, two learner rows or two styles for one
/// account).
async fn training_rows(site: &Site, id: i64, label: &str) -> (usize, usize, usize) {
    let mut counts = Vec::new();
    for (table, column) in [
        ("tool_attestoodle_milestone", "moduleid"),
        ("tool_attestoodle_learner", "userid"),
        ("tool_attestoodle_user_style", "userid"),
    ] {
        let rows = rows_per_training(site, table, column).await;
        let mine = rows.get(&id).cloned().unwrap_or_default();
        let doubled: Vec<_> = mine.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            doubled.is_empty(),
            "{label}: duplicate {table} rows {doubled:?}"
        );
        counts.push(mine.len());
    }
    (counts[0], counts[1], counts[2])
}

/// The number of rows of each table a restore writes.
async fn table_sizes(site: &Site) -> Vec<usize> {
    let mut sizes = Vec::new();
    for table in [
        "tool_attestoodle_training",
        "tool_attestoodle_milestone",
        "tool_attestoodle_learner",
        "tool_attestoodle_user_style",
        "tool_attestoodle_train_style",
        "tool_attestoodle_template",
    ] {
        sizes.push(
            fixture::int_column(site, table, "id")
                .await
                .expect("ids")
                .len(),
        );
    }
    sizes
}

async fn training_id(site: &Site, name: &str, label: &str) -> i64 {
    let ids = site.find_trainings_by_name(name).await.expect("read");
    assert_eq!(ids.len(), 1, "{label}: trainings named {name}: {ids:?}");
    ids[0]
}

/// Eight processes restore one file under one new name at the same time. Without
/// `replace-training` exactly one creates the training and every other is refused (exit 4:
/// the training appeared since its precheck, or it now needs `--accept replace-training`);
/// with it, those whose precheck saw the training replace it whole (exit 0, each keeping the
/// way back) and the others are refused the same way; onto an existing training, all eight
/// replace it one after the other. Always one training, complete, with no duplicate row and no
/// row left of a replaced version.
#[tokio::test]
async fn eight_restores_of_one_file_at_once_make_one_training() {
    for_each_backend(|backend| async move {
        let label = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        save(&db, TRAINING, "chimie.json");
        let site = db.connect().await;
        let source = training_id(&site, TRAINING, label).await;
        let expected = training_rows(&site, source, label).await;
        let sizes_before = table_sizes(&site).await;
        let log = db.dir.path().join("keys").join("audit.jsonl");
        let kept = |name: &str| {
            std::fs::read_dir(db.dir.path())
                .expect("the directory")
                .filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .contains(&format!("{}-before-replace", save::slug(name)))
                })
                .count()
        };
        // Without `replace-training`, then with it onto no training, then onto the training
        // the round before made.
        let replaced = "Chimie remplacée en parallèle";
        for (name, replace, exists) in [
            ("Chimie en parallèle", false, false),
            (replaced, true, false),
            (replaced, true, true),
        ] {
            let extra: &[&str] = if replace { &["replace-training"] } else { &[] };
            let accept = codes_to_accept(&db, &["chimie.json", "--name", name], extra);
            let mut args = vec!["restore", "chimie.json", "--name", name, "--yes"];
            if !accept.is_empty() {
                args.extend(["--accept", accept.as_str()]);
            }
            let command: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            let kept_before = kept(name);
            let outputs = run_at_once(&db, &vec![command; PROCESSES]);
            let applied = outputs
                .iter()
                .filter(|o| o.status.code() == Some(0))
                .count();
            for output in outputs.iter().filter(|o| o.status.code() != Some(0)) {
                let message = stderr(output);
                assert_eq!(output.status.code(), Some(4), "{label} {name}: {message}");
                assert!(
                    message.contains("changed since the precheck")
                        || (!replace && message.contains("replace-training")),
                    "{label} {name}: refused for another reason: {message}"
                );
            }
            // Each replace that went through kept the way back beside the file.
            let replaces = kept(name) - kept_before;
            match (replace, exists) {
                (false, _) => assert_eq!(applied, 1, "{label} {name}: {applied} applied"),
                (true, false) => assert_eq!(replaces, applied - 1, "{label} {name}"),
                (true, true) => {
                    assert_eq!(applied, PROCESSES, "{label} {name}: {applied} applied");
                    assert_eq!(replaces, PROCESSES, "{label} {name}");
                }
            }
            let id = training_id(&site, name, label).await;
            assert_eq!(
                training_rows(&site, id, label).await,
                expected,
                "{label} {name}: milestones, learners and styles of the restored training"
            );
            println!(
                "{label}: {name} (existing: {exists}): {applied} of {PROCESSES} applied, \
                 {replaces} of them replacing, the others refused"
            );
        }
        // Two trainings more, and not one row more: nothing is left of a replaced version.
        let sizes_after = table_sizes(&site).await;
        let (milestones, learners, styles) = expected;
        let grown = [2, 2 * milestones, 2 * learners, 2 * styles, 2, 0];
        for ((before, after), more) in sizes_before.iter().zip(&sizes_after).zip(grown) {
            assert_eq!(
                *after,
                before + more,
                "{label}: {sizes_before:?} → {sizes_after:?}"
            );
        }
        // Every process that reached the apply logged one whole line.
        let text = std::fs::read_to_string(&log).expect("the audit log");
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{label}: a broken audit line ({e}): {line}"));
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// The training of `document` under another name and with its last `fewer` learners (and
/// their styles) left out: a file of its own.
fn variant(document: &Document, name: &str, fewer: usize) -> Document {
    let mut variant = document.clone();
    variant.training.name = name.to_owned();
    let keep = variant.learners.len().saturating_sub(fewer);
    let dropped: Vec<String> = variant
        .learners
        .drain(keep..)
        .map(|l| l.email.clone())
        .collect();
    variant
        .learner_styles
        .retain(|s| !dropped.contains(&s.email));
    variant
}

/// Eight processes restore eight different files at the same time: eight trainings, each with
/// exactly the milestones, learners and learner styles of its file.
#[tokio::test]
async fn eight_restores_of_eight_files_at_once_make_eight_complete_trainings() {
    for_each_backend(|backend| async move {
        let label = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        save(&db, TRAINING, "chimie.json");
        let source = document(&db, "chimie.json");
        let mut commands = Vec::new();
        let mut files = Vec::new();
        for k in 0..PROCESSES {
            let name = format!("Chimie parallèle {k}");
            let file = format!("chimie-{k}.json");
            let variant = variant(&source, &name, k % source.learners.len().max(1));
            write_signed(&db, variant.clone(), &file);
            let accept = codes_to_accept(&db, &[&file], &[]);
            let mut args = vec!["restore".to_owned(), file, "--yes".to_owned()];
            if !accept.is_empty() {
                args.extend(["--accept".to_owned(), accept]);
            }
            commands.push(args);
            files.push(variant);
        }
        let outputs = run_at_once(&db, &commands);
        for output in &outputs {
            assert_eq!(output.status.code(), Some(0), "{label}: {}", stderr(output));
        }
        let site = db.connect().await;
        for file in &files {
            let name = &file.training.name;
            let id = training_id(&site, name, label).await;
            assert_eq!(
                training_rows(&site, id, label).await,
                (
                    file.milestones.len(),
                    file.learners.len(),
                    file.learner_styles.len()
                ),
                "{label} {name}: milestones, learners and styles"
            );
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// Whether two saves describe the same training (ids, `created` and the signature aside).
fn same(a: &Document, b: &Document) -> bool {
    diff::compare(a, b).is_empty()
}

/// A `save` runs while a restore replaces its training: the save is held by a lock on
/// `course_categories` (which it reads after the training's row and before the milestones,
/// and which the apply does not touch) while the apply commits. Reading in one snapshot, the
/// save gives the training as it was whole; under PostgreSQL's default READ COMMITTED per
/// statement it would give the old training's row with the new milestones and learners.
/// SQLite needs no such test: a reader there holds the database against any commit until it
/// ends.
#[tokio::test]
async fn a_save_racing_a_replace_reads_the_old_or_the_new_training_whole() {
    for_each_backend(|backend| async move {
        if matches!(backend, TestBackend::Sqlite) {
            return;
        }
        let label = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        save(&db, TRAINING, "old.json");
        let old = document(&db, "old.json");
        // The new version differs in the training's row, its milestones and its learners.
        let mut new = variant(&old, TRAINING, 1);
        new.training.startdate += 86_400;
        new.milestones.pop();
        let site = db.connect().await;
        let options = RestoreOptions::new(Mode::Restore, Provenance::Trusted("0".repeat(16)));
        let plan = restore::precheck(&site, &new, &options)
            .await
            .expect("precheck");
        let accepted = Accepted::new(plan.needs_accept());

        let mut lock = Watch::connect(&db).await.expect("a server");
        let mut watch = Watch::connect(&db).await.expect("a server");
        lock.lock_categories(&db.prefix).await;
        let keys = db.dir.path().join("keys");
        let saving = spawn_tool(
            &db,
            &keys,
            &["save", TRAINING, "-o", "raced.json", "--force"],
        );
        let held = watch
            .until_waiting_for_categories(Duration::from_secs(30))
            .await;
        assert!(held, "{label}: the save never waited for the categories");
        let applied = restore::apply(&site, &plan, &accepted, &ApplyOptions::default()).await;
        lock.unlock().await;
        applied.unwrap_or_else(|e| panic!("{label}: the replace failed: {e:?}"));
        let output = saving.wait_with_output().expect("the save ends");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{label}: {}",
            stderr(&output)
        );

        save(&db, TRAINING, "after.json");
        let after = document(&db, "after.json");
        assert!(!same(&old, &after), "{label}: the replace changed nothing");
        let raced = document(&db, "raced.json");
        assert!(
            same(&raced, &old) || same(&raced, &after),
            "{label}: the save mixed the old and the new training: against the old {:?}, \
             against the new {:?}",
            diff::compare(&old, &raced),
            diff::compare(&after, &raced)
        );
        println!(
            "{label}: the save that raced the replace read the {} training",
            if same(&raced, &old) { "old" } else { "new" }
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// The uploads waiting for *Apply* cap the server's memory together, not one per session:
/// with room for one backup, a second session's upload is refused (503) in English and in
/// French, and kept once the first session's upload is gone.
#[tokio::test]
async fn uploads_waiting_in_many_sessions_are_capped_in_total() {
    use attestoodle_backup::web::{self, AppState};
    use axum::http::StatusCode;
    use common::demo_site::DemoSite;
    use common::http::{send, upload_restore, Browser};

    let demo = DemoSite::new().await;
    let output = demo.run(&["save", TRAINING, "-o", "chimie.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut bytes = std::fs::read(demo.dir.path().join("chimie.json")).expect("the backup");
    // Whitespace after the JSON value makes it a 700 KiB upload; room for one and a half.
    bytes.resize(700 * 1024, b'\n');
    let mut config = demo.config();
    config.max_pending_total = bytes.len() * 3 / 2;
    let app = web::app(AppState::new(demo.site().await, config));
    let log_in = || {
        Browser::log_in(
            &app,
            attestoodle_backup::demo::DEMO_ADMIN_USERNAME,
            attestoodle_backup::demo::DEMO_ADMIN_PASSWORD,
        )
    };
    let (first, second) = (log_in().await, log_in().await);
    let fields = [("mode", "restore"), ("name", "Chimie envoyée")];

    let (status, html) = upload_restore(&app, &first, &bytes, &fields).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, html) = upload_restore(&app, &second, &bytes, &fields).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(
        html.contains("waiting to be applied already hold nearly 1 MiB"),
        "{html}"
    );
    send(&app, second.get("/?lang=fr")).await;
    let (status, html) = upload_restore(&app, &second, &bytes, &fields).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(html.contains("Mio de mémoire, sa limite"), "{html}");

    // The first session's upload goes (a logout ends its session): room again.
    let response = send(
        &app,
        first.post_form("/logout", &[("csrf", first.csrf.as_str())]),
    )
    .await;
    assert!(
        response.status().is_redirection(),
        "{:?}",
        response.status()
    );
    let (status, html) = upload_restore(&app, &second, &bytes, &fields).await;
    assert_eq!(status, StatusCode::OK, "{html}");
}
