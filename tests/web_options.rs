//! The web pages do what the command line does (issue "web"): the same choices give the same
//! plan, a training is cloned from its own page, a replace leaves the way back, and no page
//! shows a command-line flag or a backtick.

mod common;

use std::path::{Path, PathBuf};

use attestoodle_backup::demo;
use attestoodle_backup::document::{keys, signature, v2};
use attestoodle_backup::moodle::fixture;
use axum::http::StatusCode;
use axum::Router;
use common::demo_site::DemoSite;
use common::http::{send, text, upload_restore, Browser};
use common::stdout;

const TRAINING: &str = "Licence Chimie S1 2026";

/// A demo site with its signing key.
async fn fixture() -> DemoSite {
    let site = DemoSite::new().await;
    keys::write_private_key(&site.key_path(), &keys::generate()).expect("the site's key");
    site
}

fn field_in<'a>(html: &'a str, after: &str, name: &str) -> &'a str {
    let (_, rest) = html
        .split_once(after)
        .unwrap_or_else(|| panic!("{after}: {html}"));
    let (_, rest) = rest
        .split_once(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("{name}: {html}"));
    rest.split('"').next().unwrap_or("")
}

/// The pending upload named by the *Apply* form of a precheck page.
fn pending_in(html: &str) -> String {
    field_in(html, "action=\"/restore/apply\"", "pending").to_owned()
}

/// The boxes that accept every code of a precheck page, as form pairs.
fn accept_all(html: &str) -> Vec<(String, String)> {
    html.split("name=\"accept_code.")
        .skip(1)
        .filter_map(|rest| {
            let (code, rest) = rest.split_once('"')?;
            let (_, rest) = rest.split_once("value=\"")?;
            let value = rest.split('"').next()?;
            Some((format!("accept_code.{code}"), value.to_owned()))
        })
        .collect()
}

async fn apply(app: &Router, admin: &Browser, html: &str) -> (StatusCode, String) {
    let mut form = vec![
        ("csrf".to_owned(), admin.csrf.clone()),
        ("pending".to_owned(), pending_in(html)),
    ];
    form.extend(accept_all(html));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = send(app, admin.post_form("/restore/apply", &pairs)).await;
    (response.status(), text(response).await)
}

/// The training's backup as *Download backup* gives it, written to `path`.
async fn download(app: &Router, admin: &Browser, id: i64, path: &Path) -> Vec<u8> {
    let response = send(app, admin.get(&format!("/trainings/{id}/backup.json"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = text(response).await.into_bytes();
    std::fs::write(path, &bytes).expect("write the backup");
    bytes
}

/// Form fields, as pairs.
type Fields<'a> = Vec<(&'a str, &'a str)>;

// Done when: "each option changing the Plan as the CLI flag does (same Plan for the same
// choices, compared as JSON)".
#[tokio::test]
async fn the_form_and_the_command_line_make_the_same_plan_for_the_same_choices() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let id = fixture.training_id(TRAINING).await;
    let file = fixture.dir.path().join("backup.json");
    let bytes = download(&app, &admin, id, &file).await;
    let file = file.display().to_string();
    let site = fixture.site().await;
    let tree = site.category_tree().await.expect("categories");
    site.close().await;
    let (other_category, other_path) = tree
        .by_path()
        .into_iter()
        .find(|(_, path)| path.ends_with("Faculté des Sciences"))
        .expect("a second category");
    let other_category = other_category.to_string();
    let map = fixture.dir.path().join("courses.csv");
    std::fs::write(
        &map,
        "old,new\nCHIM101,CHIM101_2027\n\"CHIM102\",CHIM102_2027\n",
    )
    .expect("write the course map");
    let map_text = std::fs::read_to_string(&map).expect("read it back");
    let map = map.display().to_string();
    let cases: Vec<(Fields, Vec<&str>)> = vec![
        (
            vec![
                ("mode", "clone"),
                ("suffix", "_X"),
                ("course_map", &map_text),
            ],
            vec!["clone", &file, "--suffix", "_X", "--course-map", &map],
        ),
        (
            vec![
                ("mode", "clone"),
                ("suffix", "_2027"),
                ("shift", "365"),
                ("learners", "without"),
            ],
            vec![
                "clone",
                &file,
                "--suffix",
                "_2027",
                "--shift-dates",
                "365",
                "--without-learners",
            ],
        ),
        (
            vec![
                ("mode", "clone"),
                ("name", "Chimie 2027-2028"),
                ("courses", "CHIM101=CHIM101_2027\nCHIM102=CHIM101_2027"),
                ("start", "2027-09-06"),
                ("learners", "with"),
                ("category", &other_category),
                ("template", "copy"),
                ("template_copy_name", "Modèle 2027"),
            ],
            vec![
                "clone",
                &file,
                "--name",
                "Chimie 2027-2028",
                "--rename-course",
                "CHIM101=CHIM101_2027",
                "--rename-course",
                "CHIM102=CHIM101_2027",
                "--start",
                "2027-09-06",
                "--with-learners",
                "--category",
                &other_path,
                "--template",
                "copy:Modèle 2027",
            ],
        ),
        (
            vec![
                ("mode", "restore"),
                ("learners", "without"),
                ("template", "replace"),
            ],
            vec![
                "restore",
                &file,
                "--without-learners",
                "--template",
                "replace",
            ],
        ),
    ];
    for (fields, args) in cases {
        let (status, html) = upload_restore(&app, &admin, &bytes, &fields).await;
        assert_eq!(status, StatusCode::OK, "{fields:?}: {html}");
        let response = send(&app, admin.get("/restore/precheck.json")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let web: serde_json::Value =
            serde_json::from_str(&text(response).await).expect("the plan as JSON");
        let mut full = vec!["--json"];
        full.extend_from_slice(&args);
        let output = fixture.run(&full);
        let cli: serde_json::Value =
            serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {output:?}"));
        assert_eq!(web, cli["plan"], "{fields:?} against {args:?}");
        // The choices did change the plan (a test that cannot fail proves nothing).
        assert_ne!(web["training"]["name"], serde_json::Value::Null);
        if fields.iter().any(|(k, _)| *k == "course_map") {
            assert_eq!(web["milestones"][0]["target_course"], "CHIM101_2027");
            assert_eq!(web["training"]["name"], format!("{TRAINING}_X"));
        }
    }
    // `--show-mapping` says the same, milestone by milestone and learner by learner.
    let output = fixture.run(&[
        "clone",
        &file,
        "--suffix",
        "_2027",
        "--with-learners",
        "--show-mapping",
    ]);
    let shown = stdout(&output);
    assert!(shown.contains("What goes where (milestones):"), "{shown}");
    assert!(
        shown.contains("CHIM101 section 1 position 0 `Cours : structure de l'atome` (page), 90 min → CHIM101_2027: `Cours : structure de l'atome` (page) — at its place"),
        "{shown}"
    );
    assert!(shown.contains("→ CHIM102_2027: `"), "{shown}");
    assert!(shown.contains("— found by email"), "{shown}");
    let output = fixture.run(&["--lang", "fr", "restore", &file, "--show-mapping"]);
    let shown = stdout(&output);
    assert!(shown.contains("Ce qui va où (jalons) :"), "{shown}");
    assert!(shown.contains("— à sa place"), "{shown}");
    assert!(shown.contains("— trouvé par son adresse"), "{shown}");
    let output = fixture.run(&["restore", &file]);
    assert!(
        !stdout(&output).contains("What goes where"),
        "only when asked"
    );
    // The second case's choices are all in its plan.
    let output = fixture.run(&[
        "--json",
        "clone",
        &file,
        "--name",
        "Chimie 2027-2028",
        "--category",
        &other_path,
        "--template",
        "copy:Modèle 2027",
    ]);
    let cli: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(cli["plan"]["training"]["name"], "Chimie 2027-2028");
    assert_eq!(
        cli["plan"]["training"]["category"]["id"].to_string(),
        other_category
    );
    assert_eq!(cli["plan"]["templates"][0]["target_name"], "Modèle 2027");
}

// Issue "web", item 5: *Clone* on the training's page, without a download and an upload.
#[tokio::test]
async fn a_training_is_cloned_from_its_page_for_next_year() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let id = fixture.training_id(TRAINING).await;
    let page = text(send(&app, admin.get(&format!("/trainings/{id}"))).await).await;
    assert!(
        page.contains(&format!("action=\"/trainings/{id}/clone\"")),
        "{page}"
    );
    assert!(page.contains("name=\"suffix\""), "{page}");
    assert!(page.contains("type=\"date\""), "{page}");
    // Without a suffix or a name the choices are said to be wrong, and kept to be corrected.
    let response = send(
        &app,
        admin.post_form(
            &format!("/trainings/{id}/clone"),
            &[("csrf", &admin.csrf), ("shift", "364")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = text(response).await;
    assert!(html.contains("action=\"/restore/recheck\""), "{html}");
    assert!(html.contains("value=\"364\""), "{html}");
    let pending = field_in(&html, "action=\"/restore/recheck\"", "pending").to_owned();
    let response = send(
        &app,
        admin.post_form(
            "/restore/recheck",
            &[
                ("csrf", &admin.csrf),
                ("pending", &pending),
                ("mode", "clone"),
                ("suffix", "_2027"),
                ("shift", "364"),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    let name = format!("{TRAINING}_2027");
    assert!(html.contains(&name), "{html}");
    assert!(html.contains("+364"), "the dates move: {html}");
    // The same signed document as a download: a trusted signer, not an unsigned file.
    assert!(html.contains("trusted-signer"), "{html}");
    assert!(!html.contains("<code>unsigned</code>"), "{html}");
    let (status, done) = apply(&app, &admin, &html).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(fixture.training_names().await.contains(&name));
    let list = text(send(&app, admin.get("/")).await).await;
    assert!(list.contains(&name), "{list}");
    // Without the site's key the page says so; nothing is kept or written.
    std::fs::remove_file(fixture.dir.path().join("keys/signing-key.pem")).expect("remove");
    let response = send(
        &app,
        admin.post_form(
            &format!("/trainings/{id}/clone"),
            &[("csrf", &admin.csrf), ("suffix", "_2028")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(!fixture
        .training_names()
        .await
        .contains(&format!("{TRAINING}_2028")));
}

// Issue "web", item 6: the way back from a replace, on the web.
#[tokio::test]
async fn a_replace_offers_the_training_as_it_was_before() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let id = fixture.training_id(TRAINING).await;
    let file = fixture.dir.path().join("backup.json");
    let bytes = download(&app, &admin, id, &file).await;
    let before = v2::parse(&bytes).expect("the backup");
    // The live training changes after the backup: one milestone fewer.
    let site = fixture.site().await;
    let ids = fixture::int_column(&site, "tool_attestoodle_milestone", "id")
        .await
        .expect("read");
    let trainings = fixture::int_column(&site, "tool_attestoodle_milestone", "trainingid")
        .await
        .expect("read");
    let milestone = ids
        .iter()
        .zip(&trainings)
        .find(|(_, t)| **t == Some(id))
        .and_then(|(m, _)| *m)
        .expect("a milestone of the training");
    let mut w = fixture::Writer::begin(&site).await.expect("write");
    w.delete_where("tool_attestoodle_milestone", "id", milestone.into())
        .await
        .expect("delete");
    w.commit().await.expect("commit");
    site.close().await;

    let (status, html) = upload_restore(&app, &admin, &bytes, &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("replace-training"), "{html}");
    let (status, done) = apply(&app, &admin, &html).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("href=\"/restore/previous.json\""), "{done}");
    let response = send(&app, admin.get("/restore/previous.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response
        .headers()
        .get(axum::http::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.contains("before-replace") && disposition.ends_with(".json\""),
        "{disposition}"
    );
    let previous = v2::parse(text(response).await.as_bytes()).expect("a format-2 backup");
    assert_eq!(previous.training.name, TRAINING);
    assert_eq!(
        previous.milestones.len() + 1,
        before.milestones.len(),
        "what was replaced, not the file"
    );
    let key =
        keys::read_private_key(&fixture.dir.path().join("keys/signing-key.pem")).expect("the key");
    let verification = signature::verify(&previous);
    assert_eq!(verification.integrity, signature::Integrity::Valid);
    assert_eq!(
        verification.key_id,
        Some(keys::key_id(&key.verifying_key())),
        "signed by the site"
    );
    // Another session has nothing to download.
    let other = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    assert_eq!(
        send(&app, other.get("/restore/previous.json"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

// Issue "web", item 6: the way back from a replace, on the command line.
#[tokio::test]
async fn a_replace_on_the_command_line_keeps_the_training_beside_the_file() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let id = fixture.training_id(TRAINING).await;
    let backups = fixture.dir.path().join("backups");
    std::fs::create_dir_all(&backups).expect("mkdir");
    let file = backups.join("backup.json");
    download(&app, &admin, id, &file).await;
    let file = file.display().to_string();
    let kept = || -> Vec<PathBuf> {
        std::fs::read_dir(&backups)
            .expect("read the directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().contains("-before-replace-"))
            .collect()
    };
    let output = fixture.run(&["restore", &file, "--dry-run"]);
    assert!(output.status.success(), "{output:?}");
    assert!(kept().is_empty(), "a dry run keeps nothing");
    let output = fixture.run(&[
        "--json",
        "restore",
        &file,
        "--yes",
        "--accept",
        "replace-training",
    ]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let files = kept();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(json["previous"], files[0].display().to_string());
    let name = files[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        name.starts_with("training-licence-chimie-s1-2026-before-replace-"),
        "{name}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&files[0])
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "it names learners by email");
    }
    let previous = v2::parse(&std::fs::read(&files[0]).expect("read")).expect("a backup");
    assert_eq!(previous.training.name, TRAINING);
    // The way back is a backup like any other: restoring it is a replace, which keeps one more.
    let back = files[0].display().to_string();
    let output = fixture.run(&["restore", &back, "--yes", "--accept", "replace-training"]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("before-replace"), "{output:?}");
    assert_eq!(kept().len(), 2);
    let output = fixture.run(&[
        "--lang",
        "fr",
        "restore",
        &file,
        "--yes",
        "--accept",
        "replace-training",
        "--no-keep-previous",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(!stdout(&output).contains("before-replace"), "{output:?}");
    assert_eq!(kept().len(), 2, "--no-keep-previous keeps nothing");
    // A clone creates a training: nothing to keep.
    let output = fixture.run(&[
        "clone",
        &file,
        "--suffix",
        "_2027",
        "--yes",
        "--accept",
        "missing-course",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(kept().len(), 2);
}

/// The backup signed by a key no site trusts.
fn signed_by_another_key(bytes: &[u8]) -> Vec<u8> {
    let mut untrusted = v2::parse(bytes).expect("backup");
    signature::sign(&mut untrusted, &keys::generate());
    v2::to_text(&untrusted).into_bytes()
}

/// Uploads and choices whose prechecks find things of most kinds: a replace, an untrusted or
/// no signature, a clone onto missing courses with past dates kept, a refused name, a missing
/// category, learners left out, a template of the same name with other content, and a clone
/// without a new name (choices that cannot be used).
fn precheck_cases(bytes: &[u8]) -> Vec<(Vec<u8>, Fields<'static>)> {
    let mut unsigned = v2::parse(bytes).expect("backup");
    unsigned.signature = None;
    let unsigned = v2::to_text(&unsigned).into_bytes();
    vec![
        (bytes.to_vec(), vec![("mode", "restore")]),
        (
            signed_by_another_key(bytes),
            vec![("mode", "clone"), ("suffix", "_2099")],
        ),
        (unsigned, vec![("mode", "clone"), ("name", "A / B")]),
        (
            bytes.to_vec(),
            vec![("mode", "restore"), ("category", "999999")],
        ),
        (
            bytes.to_vec(),
            vec![
                ("mode", "clone"),
                ("suffix", "_2027"),
                ("template", "copy"),
                ("template_copy_name", "Site"),
            ],
        ),
        (bytes.to_vec(), vec![("mode", "clone")]),
    ]
}

/// What a page shows, without its tags.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The command-line flags (`--name`) and backticks a page shows.
fn flags_and_backticks(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let mut found = Vec::new();
    for (i, _) in text.match_indices("--") {
        if text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()) {
            found.push(text[i.saturating_sub(40)..(i + 20).min(text.len())].to_owned());
        }
    }
    for (i, _) in text.match_indices('`') {
        found.push(text[i.saturating_sub(40)..(i + 20).min(text.len())].to_owned());
    }
    found
}

// Done when: "No page shows a command-line flag or a backtick (a test scans every rendered
// page)": every page reachable by links, and the pages a form leads to with findings of every
// kind, in English and in French.
#[tokio::test]
async fn no_page_shows_a_command_line_flag_or_a_backtick() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let id = fixture.training_id(TRAINING).await;
    let file = fixture.dir.path().join("backup.json");
    for lang in ["en", "fr"] {
        let admin =
            Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
        send(&app, admin.get(&format!("/?lang={lang}"))).await;
        let mut pages: Vec<(String, String)> = Vec::new();
        let mut todo = vec!["/".to_owned()];
        let mut seen = Vec::new();
        while let Some(path) = todo.pop() {
            if seen.contains(&path) || !path.starts_with('/') {
                continue;
            }
            seen.push(path.clone());
            let response = send(&app, admin.get(&path)).await;
            let html_page = response
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if !html_page {
                continue;
            }
            let html = text(response).await;
            for rest in html.split("href=\"").skip(1) {
                if let Some((target, _)) = rest.split_once('"') {
                    let target = target.replace("&#38;", "&");
                    if !target.contains("lang=") && !target.starts_with("/logout") {
                        todo.push(target);
                    }
                }
            }
            pages.push((path, html));
        }
        let bytes = download(&app, &admin, id, &file).await;
        let untrusted = signed_by_another_key(&bytes);
        for (bytes, fields) in precheck_cases(&bytes) {
            let (_, html) = upload_restore(&app, &admin, &bytes, &fields).await;
            pages.push((format!("precheck {fields:?}"), html));
        }
        let (_, html) = upload_restore(&app, &admin, &bytes, &[("mode", "restore")]).await;
        let (_, done) = apply(&app, &admin, &html).await;
        pages.push(("the result of a replace".to_owned(), done));
        let response = send(
            &app,
            admin.post_form(
                &format!("/trainings/{id}/clone"),
                &[("csrf", &admin.csrf), ("suffix", "_2027")],
            ),
        )
        .await;
        pages.push((
            "a clone from the training page".to_owned(),
            text(response).await,
        ));
        let (_, html) = upload_restore(&app, &admin, b"{not json", &[("mode", "restore")]).await;
        pages.push(("a bad file".to_owned(), html));
        // *Verify* and *Compare* with a file signed by an unknown key, and a broken one.
        let mut broken = untrusted.clone();
        if let Some(b) = broken.iter_mut().rev().find(|b| b.is_ascii_digit()) {
            *b = if *b == b'1' { b'2' } else { b'1' };
        }
        for (what, bytes) in [("untrusted", &untrusted), ("broken", &broken)] {
            for path in ["/verify".to_owned(), format!("/trainings/{id}/compare")] {
                let parts: Vec<(&str, Option<&str>, &[u8])> = vec![
                    ("csrf", None, admin.csrf.as_bytes()),
                    ("file", Some("backup.json"), bytes),
                ];
                let html = text(send(&app, admin.post_multipart(&path, &parts)).await).await;
                pages.push((format!("{path} of a {what} file"), html));
            }
        }
        // Without the site's key: the pages that need it say so.
        let key = fixture.dir.path().join("keys/signing-key.pem");
        let saved_key = std::fs::read(&key).expect("the key");
        std::fs::remove_file(&key).expect("remove the key");
        for path in ["/keys".to_owned(), format!("/trainings/{id}/backup.json")] {
            let html = text(send(&app, admin.get(&path)).await).await;
            pages.push((format!("{path} without a key"), html));
        }
        let (_, html) = upload_restore(&app, &admin, &bytes, &[("mode", "restore")]).await;
        let (_, done) = apply(&app, &admin, &html).await;
        pages.push(("a replace without a key".to_owned(), done));
        std::fs::write(&key, saved_key).expect("put the key back");
        assert!(pages.len() > 12, "{}", pages.len());
        // The scan sees what it looks for.
        assert!(!flags_and_backticks("<p>add --with-learners</p>").is_empty());
        assert!(!flags_and_backticks("<td>the name `x`</td>").is_empty());
        assert!(pages
            .iter()
            .any(|(_, html)| html.contains("replace-training")));
        assert!(pages
            .iter()
            .any(|(_, html)| html.contains("untrusted-signer")));
        for (path, html) in &pages {
            let found = flags_and_backticks(html);
            assert!(found.is_empty(), "{lang} {path}: {found:#?}");
        }
    }
}

/// A request as a browser that prefers French sends it (no `?lang=` switch in its session).
fn in_french(
    mut request: axum::http::Request<axum::body::Body>,
) -> axum::http::Request<axum::body::Body> {
    request.headers_mut().insert(
        axum::http::header::ACCEPT_LANGUAGE,
        axum::http::HeaderValue::from_static("fr-FR,fr;q=0.9"),
    );
    request
}

/// A page's text as a reader sees it: without tags, entities decoded.
fn page_text(html: &str) -> String {
    visible_text(html)
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// English words a French page must not hold: each would betray an untranslated message (the
/// demo training's names hold none of them).
const ENGLISH: [&str; 12] = [
    " the ", " is ", " not ", "cannot", " was ", " this ", " file ", " does ", " with ", " and ",
    " line ", "EOF",
];

fn english_in(text: &str) -> Vec<String> {
    let lower = format!(
        " {} ",
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    ENGLISH
        .iter()
        .filter_map(|word| {
            lower.find(word).map(|i| {
                let from = lower[..i]
                    .char_indices()
                    .rev()
                    .nth(40)
                    .map_or(0, |(j, _)| j);
                let to = lower[i..]
                    .char_indices()
                    .nth(60)
                    .map_or(lower.len(), |(j, _)| i + j);
                format!("{word:?} in …{}…", &lower[from..to])
            })
        })
        .collect()
}

/// What a finding's French text says outside its quoted names and before its command-line
/// advice: the parts a French precheck page must show word for word.
fn french_parts(fr: &str) -> Vec<String> {
    let what = fr.split(" ; ").next().unwrap_or(fr);
    what.split('`')
        .step_by(2)
        .map(str::trim)
        .filter(|part| part.chars().count() >= 8)
        .map(str::to_owned)
        .collect()
}

// Issue 9, "Done when": with `Accept-Language: fr`, a tampered, a truncated and a not-a-backup
// file uploaded on the *Verify* and *Restore* pages, and every finding of a precheck page, are
// said in French from the first word to the last.
#[tokio::test]
async fn a_french_browser_reads_every_message_in_french() {
    let fixture = fixture().await;
    let app = fixture.app().await;
    let id = fixture.training_id(TRAINING).await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = download(&app, &admin, id, &fixture.dir.path().join("backup.json")).await;
    let mut tampered = bytes.clone();
    if let Some(b) = tampered.iter_mut().rev().find(|b| b.is_ascii_digit()) {
        *b = if *b == b'1' { b'2' } else { b'1' };
    }
    let truncated = bytes[..bytes.len() / 2].to_vec();
    let root = env!("CARGO_MANIFEST_DIR");
    let legacy_tampered =
        std::fs::read(format!("{root}/tests/vectors/legacy-tampered.json")).expect("a vector");
    let files: [(&str, &[u8], &str); 5] = [
        ("tampered", &tampered, "signature"),
        ("truncated", &truncated, "tronqué"),
        ("not a backup", b"[1, 2, 3]", "sauvegarde"),
        ("not JSON", b"hello", "JSON"),
        ("a tampered legacy file", &legacy_tampered, "intégrité"),
    ];
    for (what, bytes, word) in files {
        for path in ["/verify", "/restore"] {
            let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
                ("csrf", None, admin.csrf.as_bytes()),
                ("file", Some("backup.json"), bytes),
            ];
            if path == "/restore" {
                parts.push(("mode", None, b"restore"));
            }
            let response = send(&app, in_french(admin.post_multipart(path, &parts))).await;
            let html = text(response).await;
            let page = page_text(&html);
            assert!(html.contains("<html lang=\"fr\">"), "{path} {what}: {html}");
            assert!(page.contains(word), "{path} {what}: {page}");
            let english = english_in(&page);
            assert!(english.is_empty(), "{path} {what}: {english:#?}");
        }
    }
    // Prechecks with findings of most kinds, each finding's French text on its page: the
    // cases of the page scan, a clone with courses this site lacks, a legacy file.
    let mut ghosts = v2::parse(&bytes).expect("backup");
    for ghost in ["GHOST1", "GHOST2"] {
        let mut milestone = ghosts.milestones[0].clone();
        milestone.course = ghost.to_owned();
        ghosts.milestones.push(milestone);
    }
    v2::sort(&mut ghosts);
    signature::sign(&mut ghosts, &keys::generate());
    let mut cases = precheck_cases(&bytes);
    cases.push((
        v2::to_text(&ghosts).into_bytes(),
        vec![("mode", "clone"), ("suffix", "_2027")],
    ));
    cases.push((
        std::fs::read(format!("{root}/tests/vectors/legacy-simple.json")).expect("a vector"),
        vec![("mode", "restore")],
    ));
    let mut codes = std::collections::BTreeSet::new();
    for (bytes, fields) in cases {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
            ("csrf", None, admin.csrf.as_bytes()),
            ("file", Some("backup.json"), &bytes),
        ];
        for (name, value) in &fields {
            parts.push((name, None, value.as_bytes()));
        }
        let response = send(&app, in_french(admin.post_multipart("/restore", &parts))).await;
        let html = text(response).await;
        let page = page_text(&html);
        let english = english_in(&page);
        assert!(english.is_empty(), "{fields:?}: {english:#?}");
        if !html.contains("action=\"/restore/apply\"") {
            // The choices were refused (a clone without a new name): said in French, above.
            continue;
        }
        let plan = text(send(&app, in_french(admin.get("/restore/precheck.json"))).await).await;
        let plan: serde_json::Value = serde_json::from_str(&plan).expect("the plan as JSON");
        let findings = plan["findings"].as_array().expect("findings");
        assert!(!findings.is_empty(), "{fields:?}");
        for finding in findings {
            let code = finding["code"].as_str().expect("a code");
            codes.insert(code.to_owned());
            assert!(html.contains(code), "{fields:?}: {code}");
            let fr = finding["fr"].as_str().expect("French");
            let parts = french_parts(fr);
            assert!(!parts.is_empty(), "{code}: {fr}");
            for part in parts {
                assert!(
                    page.contains(&part),
                    "{fields:?} {code}: {part:?} not in {page}"
                );
            }
        }
    }
    // The scans see what they look for: the same upload in English is caught.
    let parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, admin.csrf.as_bytes()),
        ("file", Some("backup.json"), &truncated),
    ];
    let english = text(send(&app, admin.post_multipart("/verify", &parts)).await).await;
    assert!(!english_in(&page_text(&english)).is_empty(), "{english}");
    assert!(!english_in("la signature is broken").is_empty());
    assert_eq!(
        french_parts("le cours `X` n'existe pas ; ajoutez --accept missing-course"),
        ["le cours", "n'existe pas"]
    );
    assert!(codes.len() >= 12, "{codes:?}");
}
