//! `repair` through the binary, on every backend: an activity deleted and re-created in the same
//! course under the same name is relinked (a save afterwards differs only by `source_cmid`);
//! two same-named candidates are `repair-ambiguous` and nothing is written; `--dry-run` changes
//! nothing; a milestone whose course is gone is `repair-course-missing`; English and French.

mod common;

use attestoodle_backup::moodle::fixture;
use common::activities::{delete_and_recreate, milestone_cmids, recreate};
use common::{for_each_backend, stderr, stdout, TestDb};
use serde_json::Value;

const TRAINING: &str = "Licence Chimie S1 2026";

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The first milestone of the training's save: (course short name, cmid, type, name).
fn first_milestone(document: &Value) -> (String, i64, String, String) {
    let m = &document["milestones"][0];
    (
        m["course"].as_str().expect("course").to_owned(),
        m["activity"]["source_cmid"].as_i64().expect("source_cmid"),
        m["activity"]["type"].as_str().expect("type").to_owned(),
        m["activity"]["name"].as_str().expect("name").to_owned(),
    )
}

fn save(db: &TestDb, file: &str) -> Value {
    let saved = db.run(&["save", TRAINING, "-o", file, "--force"]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let text = std::fs::read_to_string(db.dir.path().join(file)).expect("the save");
    serde_json::from_str(&text).expect("JSON")
}

/// The document without what differs between two saves of one training and the cmids.
fn without_cmids(mut document: Value) -> Value {
    if let Some(object) = document.as_object_mut() {
        object.remove("created");
        object.remove("signature");
    }
    for m in document["milestones"].as_array_mut().expect("milestones") {
        m["activity"]["source_cmid"] = Value::Null;
    }
    document
}

#[tokio::test]
async fn a_deleted_and_recreated_activity_is_relinked_and_the_save_only_changes_its_cmid() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let before = save(&db, "before.json");
        let (course, old, kind, activity) = first_milestone(&before);
        let site = db.connect().await;
        let new = delete_and_recreate(&site, old, &kind, &activity, 1).await;

        // Nothing broken elsewhere: the other trainings have nothing to relink.
        let output = db.run(&["--json", "repair", TRAINING, "--yes"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let result = json(&output);
        assert_eq!(result["outcome"], "repaired", "{name}");
        assert_eq!(result["findings"], Value::Array(vec![]), "{name}");
        let relinks = &result["trainings"][0]["relinks"];
        assert_eq!(
            relinks.as_array().map(Vec::len),
            Some(1),
            "{name}: {result}"
        );
        assert_eq!(relinks[0]["old_cmid"], old, "{name}");
        assert_eq!(relinks[0]["new_cmid"], new[0], "{name}");
        assert_eq!(relinks[0]["activity"], activity.as_str(), "{name}");
        assert_eq!(relinks[0]["course"], course.as_str(), "{name}");
        assert_eq!(relinks[0]["type"], kind.as_str(), "{name}");
        assert!(
            milestone_cmids(&site).await.contains(&Some(new[0])),
            "{name}"
        );

        let after = save(&db, "after.json");
        assert_eq!(
            after["milestones"][0]["activity"]["source_cmid"], new[0],
            "{name}"
        );
        assert_eq!(without_cmids(after), without_cmids(before), "{name}");

        // Run again: nothing is broken any more.
        let output = db.run(&["repair", TRAINING, "--yes"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Nothing to repair"),
            "{name}: {}",
            stdout(&output)
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn two_same_named_candidates_are_ambiguous_and_nothing_is_written() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let before = save(&db, "before.json");
        let (_, old, kind, activity) = first_milestone(&before);
        let site = db.connect().await;
        let new = delete_and_recreate(&site, old, &kind, &activity, 2).await;
        let cmids = milestone_cmids(&site).await;

        let output = db.run(&["--json", "repair", TRAINING, "--yes"]);
        assert_eq!(output.status.code(), Some(4), "{name}: {}", stderr(&output));
        let result = json(&output);
        assert_eq!(result["outcome"], "refused", "{name}");
        assert_eq!(result["findings"][0]["code"], "repair-ambiguous", "{name}");
        assert_eq!(result["to_accept"][0], "repair-ambiguous", "{name}");
        let en = result["findings"][0]["en"].as_str().unwrap_or_default();
        assert!(
            en.contains(&format!("cm {}, {}", new[0], new[1])),
            "{name}: the candidates are named: {en}"
        );
        assert_eq!(
            milestone_cmids(&site).await,
            cmids,
            "{name}: nothing written"
        );

        // Accepted: the milestone is left as it is, still nothing written.
        let output = db.run(&[
            "--lang",
            "fr",
            "repair",
            TRAINING,
            "--yes",
            "--accept",
            "repair-ambiguous",
        ]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            text.contains("plusieurs activités du cours") && text.contains("Réparé : 0 jalon(s)"),
            "{name}: {text}"
        );
        assert_eq!(
            milestone_cmids(&site).await,
            cmids,
            "{name}: nothing written"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_without_yes_nothing_is_written() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let before = save(&db, "before.json");
        let (_, old, kind, activity) = first_milestone(&before);
        let site = db.connect().await;
        let new = delete_and_recreate(&site, old, &kind, &activity, 1).await;
        let cmids = milestone_cmids(&site).await;

        let output = db.run(&["repair", TRAINING, "--dry-run"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            text.contains(&format!("cm {old} → cm {}", new[0]))
                && text.contains("Dry run: 1 milestone(s) relinked, then rolled back"),
            "{name}: {text}"
        );
        assert_eq!(milestone_cmids(&site).await, cmids, "{name}: dry run");

        let output = db.run(&["--lang", "fr", "--json", "repair", TRAINING, "--dry-run"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert_eq!(json(&output)["outcome"], "dry-run", "{name}");
        assert_eq!(milestone_cmids(&site).await, cmids, "{name}: dry run");

        // Not on a terminal and no --yes: refused, in French too.
        let output = db.run(&["--lang", "fr", "repair", TRAINING]);
        assert_eq!(output.status.code(), Some(4), "{name}");
        assert!(
            stderr(&output).contains("relancez avec --yes"),
            "{name}: {}",
            stderr(&output)
        );
        assert_eq!(milestone_cmids(&site).await, cmids, "{name}: not applied");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn the_demo_orphan_has_no_match_and_a_missing_course_says_restore() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let output = db.run(&["--json", "repair", "--all", "--dry-run"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let result = json(&output);
        let codes: Vec<&str> = result["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert_eq!(codes, ["repair-no-match"], "{name}: the demo's orphan");
        assert_eq!(result["to_accept"][0], "repair-no-match", "{name}");

        // The course of a milestone deleted: listed with the advice to restore.
        let site = db.connect().await;
        let course = fixture::int_column(&site, "course", "id")
            .await
            .expect("courses")
            .into_iter()
            .flatten()
            .nth(1)
            .expect("a course");
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        w.delete_where("course", "id", course.into())
            .await
            .expect("delete a course");
        w.commit().await.expect("commit");
        let cmids = milestone_cmids(&site).await;
        let output = db.run(&["--lang", "fr", "repair", "--all", "--yes"]);
        assert_eq!(output.status.code(), Some(4), "{name}: {}", stdout(&output));
        let text = stdout(&output);
        assert!(
            text.contains("repair-course-missing")
                && text.contains("restaurez plutôt la formation depuis une sauvegarde"),
            "{name}: {text}"
        );
        let output = db.run(&["repair", "--all", "--dry-run"]);
        assert!(
            stdout(&output).contains("restore the training from a backup instead"),
            "{name}: {}",
            stdout(&output)
        );
        assert_eq!(milestone_cmids(&site).await, cmids, "{name}");
        site.close().await;

        let output = db.run(&["repair", "No such training"]);
        assert_eq!(output.status.code(), Some(5), "{name}: {}", stderr(&output));
        let output = db.run(&["--lang", "fr", "repair", "--id", "999999"]);
        assert_eq!(output.status.code(), Some(5), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("aucune formation n'a l'identifiant 999999"),
            "{name}: {}",
            stderr(&output)
        );
        // By id, the demo's orphan is found as by name.
        let output = db.run(&["--json", "repair", "--id", "2", "--dry-run"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert_eq!(json(&output)["trainings"][0]["broken"], 1, "{name}");
        let output = db.run(&["repair"]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        let output = db.run(&["repair", "--all", "--accept", "nope"]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn with_a_backup_file_the_type_and_idnumber_must_match_too() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let before = save(&db, "before.json");
        let (_, old, kind, activity) = first_milestone(&before);
        // The file's fingerprint says another idnumber: the same-named activity is not it.
        let mut edited = before.clone();
        edited["milestones"][0]["activity"]["idnumber"] = Value::from("ANOTHER-ID");
        edited.as_object_mut().expect("object").remove("signature");
        std::fs::write(
            db.dir.path().join("edited.json"),
            serde_json::to_string_pretty(&edited).expect("JSON"),
        )
        .expect("write");
        let site = db.connect().await;
        let new = delete_and_recreate(&site, old, &kind, &activity, 1).await;

        let output = db.run(&[
            "--json",
            "repair",
            TRAINING,
            "--from",
            "before.json",
            "--dry-run",
        ]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let result = json(&output);
        assert_eq!(
            result["trainings"][0]["relinks"][0]["new_cmid"], new[0],
            "{name}"
        );

        let output = db.run(&[
            "--json",
            "repair",
            TRAINING,
            "--from",
            "edited.json",
            "--dry-run",
        ]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let result = json(&output);
        assert_eq!(
            result["trainings"][0]["relinks"],
            Value::Array(vec![]),
            "{name}"
        );
        assert_eq!(result["findings"][0]["code"], "repair-no-match", "{name}");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn a_duplicated_activity_whose_original_is_being_deleted_takes_its_milestone() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let before = save(&db, "before.json");
        let (_, old, kind, activity) = first_milestone(&before);
        let site = db.connect().await;
        let new = recreate(&site, old, &kind, &activity, 1, true).await;

        let output = db.run(&["--json", "repair", "--category", "UDEMO-SCI", "--yes"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let result = json(&output);
        let training = result["trainings"]
            .as_array()
            .expect("trainings")
            .iter()
            .find(|t| t["name"] == TRAINING)
            .unwrap_or_else(|| panic!("{name}: {TRAINING} is in UDEMO-SCI: {result}"));
        assert_eq!(training["broken"], 1, "{name}");
        assert_eq!(training["relinks"][0]["old_cmid"], old, "{name}");
        assert_eq!(training["relinks"][0]["new_cmid"], new[0], "{name}");
        let cmids = milestone_cmids(&site).await;
        assert!(
            cmids.contains(&Some(new[0])) && !cmids.contains(&Some(old)),
            "{name}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}
