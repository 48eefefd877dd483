//! The audit log (issue "preview, history, install", part 2): one line per apply with every
//! field, none for a dry run, a write refused when the log cannot be opened, `history` on the
//! command line and the *History* page, in English and French.

mod common;

use std::path::PathBuf;

use attestoodle_backup::audit;
use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::{Site, Target};
use attestoodle_backup::web::{self, AppState, WebConfig};
use axum::http::StatusCode;
use common::demo_site::DemoSite;
use common::http::{send, text, Browser};
use common::{stderr, stdout};

const TRAINING: &str = "Licence Chimie S1 2026";

/// The audit log of a demo site: `audit.jsonl` in its key directory.
fn log_of(site: &DemoSite) -> PathBuf {
    site.dir.path().join("keys").join(audit::FILE_NAME)
}

async fn trainings(site: &DemoSite) -> usize {
    site.training_names().await.len()
}

#[tokio::test]
async fn every_apply_on_the_command_line_is_one_line_of_the_log() {
    let fixture = DemoSite::new().await;
    let output = fixture.run(&["save", TRAINING, "-o", "chimie.json"]);
    assert!(output.status.success(), "{output:?}");
    let bytes = std::fs::read(fixture.dir.path().join("chimie.json")).expect("the backup");

    // A dry run writes nothing and logs nothing.
    let output = fixture.run(&["restore", "chimie.json", "--dry-run"]);
    assert!(output.status.success(), "{output:?}");
    assert!(audit::read(&log_of(&fixture)).expect("read").is_empty());

    let output = fixture.run(&[
        "restore",
        "chimie.json",
        "--yes",
        "--accept",
        "replace-training",
    ]);
    assert!(output.status.success(), "{output:?}");
    let output = fixture.run(&["clone", "chimie.json", "--suffix", "_2027", "--yes"]);
    assert!(output.status.success(), "{output:?}");
    let entries = audit::read(&log_of(&fixture)).expect("read the log");
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let replace = &entries[0];
    assert_eq!(replace.via, "restore");
    assert_eq!(
        replace.operator.username.as_deref(),
        Some(demo::DEMO_ADMIN_USERNAME)
    );
    assert!(replace.operator.id.is_some());
    assert_eq!(replace.operator.client, None);
    assert_eq!(replace.source.file.as_deref(), Some("chimie.json"));
    assert_eq!(replace.source.sha256, Some(audit::sha256_hex(&bytes)));
    let key = keys::read_private_key(&fixture.dir.path().join("keys/signing-key.pem"))
        .expect("the key save made");
    assert_eq!(
        replace.source.key_id,
        Some(keys::key_id(&key.verifying_key()))
    );
    assert!(replace.source.trusted);
    assert_eq!(replace.training.name, TRAINING);
    assert_eq!(replace.training.action, "replace");
    assert_eq!(replace.training.id, Some(1));
    assert_eq!(replace.written.milestones, 9);
    assert_eq!(replace.written.learners, 12);
    assert_eq!(replace.accepted, ["replace-training"]);
    assert_eq!(replace.outcome, audit::Outcome::Committed);
    assert!(
        replace.time.ends_with('Z') && replace.time.len() == 20,
        "{}",
        replace.time
    );
    let clone = &entries[1];
    assert_eq!(clone.via, "clone");
    assert_eq!(clone.training.name, format!("{TRAINING}_2027"));
    assert_eq!(clone.training.action, "create");
    assert!(clone.training.id.is_some_and(|id| id > 1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(log_of(&fixture))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // `history`, all of it or one training, in both languages and as JSON.
    let output = fixture.run(&["history"]);
    assert!(output.status.success(), "{output:?}");
    let shown = stdout(&output);
    assert!(shown.contains("restore  admin (id "), "{shown}");
    assert!(shown.contains("replace: committed"), "{shown}");
    assert!(shown.contains("file chimie.json (SHA-256 "), "{shown}");
    let output = fixture.run(&["--lang", "fr", "history", "--training", TRAINING]);
    let shown = stdout(&output);
    assert!(
        shown.contains("remplacement : validé") || shown.contains("remplacement: validé"),
        "{shown}"
    );
    assert!(!shown.contains("_2027"), "only that training: {shown}");
    let output = fixture.run(&["--json", "history", "--since", "2000-01-01"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["entries"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["log"], log_of(&fixture).display().to_string());
    let output = fixture.run(&["--json", "history", "--since", "2999-01-01"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["entries"].as_array().map(Vec::len), Some(0));
    let output = fixture.run(&["--lang", "fr", "history", "--since", "hier"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("n'est pas un jour"), "{output:?}");

    // A log that cannot be opened refuses the write before anything is written.
    let before = trainings(&fixture).await;
    std::fs::create_dir_all(fixture.dir.path().join("a-directory")).expect("mkdir");
    let output = fixture.run(&[
        "--lang",
        "fr",
        "--audit-log",
        "a-directory",
        "clone",
        "chimie.json",
        "--suffix",
        "_2027",
        "--name",
        "Chimie bis",
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stderr(&output).contains("journal d'audit"), "{output:?}");
    assert!(stderr(&output).contains("rien n'a été écrit"), "{output:?}");
    assert_eq!(trainings(&fixture).await, before, "nothing written");
    assert_eq!(audit::read(&log_of(&fixture)).expect("read").len(), 2);
    // `--audit-log` (or ATTESTOODLE_AUDIT_LOG) puts it elsewhere.
    let output = fixture.run(&[
        "--audit-log",
        "other.jsonl",
        "clone",
        "chimie.json",
        "--suffix",
        "_2027",
        "--name",
        "Chimie bis",
        "--yes",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        audit::read(&fixture.dir.path().join("other.jsonl"))
            .expect("read")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_web_logs_who_applied_from_where_and_shows_the_history() {
    let fixture = DemoSite::new().await;
    let key_path = fixture.dir.path().join("keys/signing-key.pem");
    keys::write_private_key(&key_path, &keys::generate()).expect("the key");
    let config = WebConfig::new(key_path.clone(), fixture.dir.path().join("keys/trusted"));
    let log = config.audit_log.clone();
    assert_eq!(log, log_of(&fixture), "beside the key by default");
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open");
    let app = web::app(AppState::new(site, config));
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/history")).await).await;
    assert!(html.contains("Nothing was written yet."), "{html}");

    // A clone from the training's page.
    let response = send(
        &app,
        admin.post_form(
            "/trainings/1/clone",
            &[("csrf", &admin.csrf), ("suffix", "_2027")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    let (_, rest) = html.split_once("action=\"/restore/apply\"").expect("Apply");
    let (_, rest) = rest
        .split_once("name=\"pending\" value=\"")
        .expect("pending");
    let pending = rest.split('"').next().unwrap_or("").to_owned();
    let response = send(
        &app,
        admin.post_form(
            "/restore/apply",
            &[("csrf", &admin.csrf), ("pending", &pending)],
        ),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    let entries = audit::read(&log).expect("read");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    assert_eq!(e.via, "web /restore/apply");
    assert_eq!(
        e.operator.username.as_deref(),
        Some(demo::DEMO_ADMIN_USERNAME)
    );
    assert!(e.operator.client.is_some(), "the client's address");
    assert_eq!(e.source.live_training, Some(1));
    assert_eq!(e.source.file, None);
    assert_eq!(e.training.name, format!("{TRAINING}_2027"));
    assert_eq!(e.outcome, audit::Outcome::Committed);

    let html = text(send(&app, admin.get("/history")).await).await;
    assert!(html.contains(&format!("{TRAINING}_2027")), "{html}");
    assert!(html.contains("committed"), "{html}");
    send(&app, admin.get("/?lang=fr")).await;
    let html = text(send(&app, admin.get("/history")).await).await;
    assert!(html.contains("Historique de ce qui a été écrit"), "{html}");
    assert!(html.contains("validé"), "{html}");
    assert!(html.contains("la formation en place (id 1)"), "{html}");
    let html = text(send(&app, admin.get("/history?training=Autre")).await).await;
    assert!(
        html.contains("Rien n&#39;a encore été écrit.")
            || html.contains("Rien n'a encore été écrit."),
        "{html}"
    );

    // A log that cannot be opened refuses the apply.
    let before = trainings(&fixture).await;
    std::fs::remove_file(&log).expect("remove the log");
    std::fs::create_dir_all(&log).expect("a directory in its place");
    let response = send(
        &app,
        admin.post_form(
            "/trainings/1/clone",
            &[
                ("csrf", &admin.csrf),
                ("suffix", "_2027"),
                ("name", "Chimie bis"),
            ],
        ),
    )
    .await;
    let html = text(response).await;
    let (_, rest) = html.split_once("action=\"/restore/apply\"").expect("Apply");
    let (_, rest) = rest
        .split_once("name=\"pending\" value=\"")
        .expect("pending");
    let pending = rest.split('"').next().unwrap_or("").to_owned();
    let response = send(
        &app,
        admin.post_form(
            "/restore/apply",
            &[("csrf", &admin.csrf), ("pending", &pending)],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("journal d&#39;audit"));
    assert_eq!(
        trainings(&fixture).await,
        before,
        "the second clone was not written"
    );
}
