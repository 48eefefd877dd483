//! `diff` through the binary, on every backend: a save against itself re-indented, against a
//! hand-edited copy (exactly the three edits named, the broken signature reported), against the
//! live training after a restore on a site whose every id differs, and the refusals.

mod common;

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

fn kinds(result: &Value) -> Vec<String> {
    result["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn diff_names_exactly_what_changed_and_nothing_else() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let a = TestDb::seeded(&backend, "mdl_").await;
        let saved = a.run(&["save", TRAINING, "-o", "a.json"]);
        assert_eq!(saved.status.code(), Some(0), "{name}: {}", stderr(&saved));
        let text = std::fs::read_to_string(a.dir.path().join("a.json")).expect("the save");
        let document: Value = serde_json::from_str(&text).expect("JSON");

        // The same file re-indented (and its keys in another order): identical.
        let reindented = serde_json::to_string(&document).expect("JSON") + "\r\n";
        std::fs::write(a.dir.path().join("compact.json"), reindented).expect("write");
        let output = a.run(&["diff", "a.json", "compact.json", "--exit-code"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stdout(&output));
        assert!(stdout(&output).contains("identical"), "{}", stdout(&output));

        // One milestone's minutes, one learner removed, one template detail edited.
        let mut edited = document.clone();
        edited["milestones"][0]["creditedtime"] = Value::from(999);
        let removed = edited["learners"][1]["email"]
            .as_str()
            .expect("an email")
            .to_owned();
        edited["learners"]
            .as_array_mut()
            .expect("learners")
            .remove(1);
        let detail = &mut edited["templates"][0]["details"][1]["data"];
        let mut data: Value =
            serde_json::from_str(detail.as_str().expect("data")).expect("the detail is JSON");
        data["font"]["size"] = Value::from("31");
        *detail = Value::from(data.to_string());
        std::fs::write(
            a.dir.path().join("edited.json"),
            serde_json::to_string_pretty(&edited).expect("JSON"),
        )
        .expect("write");

        let output = a.run(&["--json", "diff", "a.json", "edited.json", "--exit-code"]);
        assert_eq!(output.status.code(), Some(1), "{name}: differ → exit 1");
        let result = json(&output);
        assert_eq!(result["identical"], false);
        assert_eq!(
            kinds(&result),
            ["milestone-minutes", "detail-changed", "learner-removed"],
            "{name}"
        );
        assert_eq!(result["changes"][0]["b"], 999);
        assert_eq!(
            result["changes"][1]["keys"],
            serde_json::json!(["font.size"])
        );
        assert_eq!(result["changes"][2]["email"], removed.as_str());
        // The edit broke the signature: said beside the differences, not hidden.
        assert_eq!(result["a"]["integrity"], "valid");
        assert_eq!(result["b"]["integrity"], "invalid");

        // Without --exit-code the answer is the same, exit 0; in French, French words.
        let output = a.run(&["--lang", "fr", "diff", "a.json", "edited.json"]);
        assert_eq!(output.status.code(), Some(0));
        let text = stdout(&output);
        assert!(text.contains("3 différence(s) de A à B"), "{text}");
        assert!(
            text.contains(&format!("apprenant retiré : {removed}")),
            "{text}"
        );
        assert!(
            text.contains("aucune clé ne peut la rendre valide"),
            "{text}"
        );

        // Restored on a site whose every id differs, the live training is the file's.
        let b = TestDb::seeded_with_other_ids(&backend).await;
        std::fs::copy(a.dir.path().join("a.json"), b.dir.path().join("a.json")).expect("copy");
        let restored = b.run(&[
            "restore",
            "a.json",
            "--name",
            "Chimie restaurée",
            "--yes",
            "--accept",
            "untrusted-signer",
            "--with-learners",
        ]);
        assert_eq!(
            restored.status.code(),
            Some(0),
            "{name}: {}",
            stderr(&restored)
        );
        let output = b.run(&[
            "--json",
            "diff",
            "a.json",
            "--site",
            "Chimie restaurée",
            "--exit-code",
        ]);
        let result = json(&output);
        // The restore was asked for another name: that, and only that, differs.
        let changes = result["changes"].as_array().expect("changes");
        assert_eq!(changes.len(), 1, "{name}: {changes:?}");
        assert_eq!(changes[0]["kind"], "training");
        assert_eq!(changes[0]["field"], "name");
        assert_eq!(result["b"]["source"], "site");
        assert_eq!(output.status.code(), Some(1));

        // Against the site it was saved on: identical, found by the file's name.
        let output = a.run(&["diff", "a.json", "--site", "--exit-code"]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stdout(&output));

        a.drop_database().await;
        b.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn diff_refuses_what_it_cannot_compare() {
    let backend = common::TestBackend::Sqlite;
    let db = TestDb::seeded(&backend, "mdl_").await;
    assert_eq!(
        db.run(&["save", TRAINING, "-o", "a.json"]).status.code(),
        Some(0)
    );
    std::fs::write(db.dir.path().join("other.json"), "{\"hello\": 1}").expect("write");

    let output = db.run(&["diff", "a.json", "absent.json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a missing file: {}",
        stderr(&output)
    );
    let output = db.run(&["diff", "a.json", "other.json"]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "not a backup: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("other.json"),
        "{}",
        stderr(&output)
    );
    let output = db.run(&["diff", "a.json"]);
    assert_eq!(output.status.code(), Some(2), "one file and no --site");
    let output = db.run(&["diff", "a.json", "--site", "Pas de formation"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));

    // A legacy file of the PHP plugin compares with the format-2 save it came from.
    let legacy = db.run(&["save", TRAINING, "--format", "legacy", "-o", "legacy.json"]);
    assert_eq!(legacy.status.code(), Some(0), "{}", stderr(&legacy));
    let output = db.run(&["--json", "diff", "legacy.json", "a.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let result = json(&output);
    assert_eq!(result["a"]["format"], "legacy");
    assert_eq!(result["a"]["authenticity"], "none");
    db.drop_database().await;
}
