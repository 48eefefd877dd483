//! `save` (issue "Save a training to a signed, versioned JSON file"): the format-2 file, its
//! signature, natural identifiers, warnings and refusals, `save --all`, on every backend.

mod common;

use std::path::{Path, PathBuf};

use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use attestoodle_backup::document::signature::{self, Integrity};
use attestoodle_backup::document::v2;
use attestoodle_backup::moodle::{fixture, Param, Site};
use attestoodle_backup::save::{self, SaveOptions, Saved};
use common::{for_each_backend, stderr, stdout, TestBackend, TestDb};
use ed25519_dalek::SigningKey;
use serde_json::Value;
use time::OffsetDateTime;

const CHIMIE: &str = "Licence Chimie S1 2026";
const SECURITE: &str = "Sécurité & Hygiène 2026";
const ANGLAIS: &str = "Anglais B2 – session d'automne";
const DEMO_NAMES: [&str; 3] = [CHIMIE, SECURITE, ANGLAIS];

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Saves a training of a site through the library.
async fn save_by_name(site: &Site, name: &str, created: OffsetDateTime) -> Saved {
    let ids = site.find_trainings_by_name(name).await.expect("find");
    assert_eq!(ids.len(), 1, "{name}");
    save::save(
        site,
        ids[0],
        &SaveOptions {
            key: &key(),
            strict: false,
            created,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("save {name}: {e}"))
}

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/backup-format-2.schema.json");
    let text = std::fs::read_to_string(path).expect("read the schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_follows_schema(validator: &jsonschema::Validator, text: &str, context: &str) {
    let value: Value = serde_json::from_str(text).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{context}: {errors:#?}");
}

/// Every key named `id` or ending in `id` that holds a technical id must be a `source_*` key.
fn assert_technical_ids_only_under_source_keys(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let technical = key == "id" || key.ends_with("_id") || key.ends_with("id");
                let allowed = key.starts_with("source_") || key == "idnumber" || key == "key_id";
                assert!(!technical || allowed, "{at}.{key} is a technical id");
                assert_technical_ids_only_under_source_keys(item, &format!("{at}.{key}"));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_technical_ids_only_under_source_keys(item, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

/// The document without what changes from one save to the next.
fn without_time_and_signature(saved: &Saved) -> Value {
    let mut value: Value = serde_json::from_str(&saved.text()).expect("JSON");
    value["created"] = Value::Null;
    value["signature"]["value"] = Value::Null;
    value
}

// Issue: "saving each demo training gives a file that follows FORMAT.md, verifies".
#[tokio::test]
async fn every_demo_training_saves_to_a_signed_file_that_follows_the_schema() {
    let validator = &schema();
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = Site::open(&db.target()).await.expect("open");
        for name in DEMO_NAMES {
            let context = format!("{} {name}", backend.name());
            let saved = save_by_name(&site, name, OffsetDateTime::now_utc()).await;
            let text = saved.text();
            assert_follows_schema(validator, &text, &context);
            let document = v2::parse(text.as_bytes()).expect("the file reads back");
            assert_eq!(document, saved.document, "{context}");
            assert_eq!(
                signature::verify(&document).integrity,
                Integrity::Valid,
                "{context}"
            );
            assert_eq!(document.training.name, name);
            let value: Value = serde_json::from_str(&text).expect("JSON");
            assert_technical_ids_only_under_source_keys(&value, "");
            assert!(text.ends_with("}\n"), "{context}: a final newline");
        }
        let chimie = save_by_name(&site, CHIMIE, OffsetDateTime::now_utc()).await;
        let d = &chimie.document;
        assert_eq!(
            d.training.category.path,
            ["Université Démo", "Faculté des Sciences", "Licence Chimie"]
        );
        assert_eq!(
            d.training.category.idnumber.as_deref(),
            Some("UDEMO-SCI-LCHIM")
        );
        assert_eq!(d.milestones.len(), 9);
        assert_eq!(d.learners.len(), 12, "a suspended account stays a learner");
        let anglais = save_by_name(&site, ANGLAIS, OffsetDateTime::now_utc()).await;
        assert_eq!(
            anglais.document.learners.len(),
            6,
            "the deleted account is left out"
        );
        assert!(anglais.warnings.iter().any(|w| w.code == "learner-deleted"));
        assert_eq!(
            d.templates
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["Attestation FC", "Site"],
            "the training's template and the one a learner style uses"
        );
        // Sorted by email: the two accounts sharing an address both stay.
        let emails: Vec<&str> = d.learners.iter().map(|l| l.email.as_str()).collect();
        let mut sorted = emails.clone();
        sorted.sort();
        assert_eq!(emails, sorted);
        // Milestone idnumbers: empty is null, a set one is kept.
        let final_work = d
            .milestones
            .iter()
            .find(|m| m.activity.idnumber.as_deref() == Some("CHIM101-FINAL"))
            .expect("the final assignment");
        assert_eq!((final_work.section, final_work.position), (4, 1));
        assert_eq!(final_work.activity.kind.as_deref(), Some("assign"));
        assert_eq!(
            final_work.activity.name.as_deref(),
            Some("Devoir : compte rendu final")
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue: "Deterministic: saving an unchanged training twice gives files that differ only in
// `created` and `signature.value`".
#[tokio::test]
async fn saving_twice_differs_only_in_created_and_signature_value() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = Site::open(&db.target()).await.expect("open");
        for name in DEMO_NAMES {
            let first = save_by_name(&site, name, OffsetDateTime::UNIX_EPOCH).await;
            let second = save_by_name(&site, name, OffsetDateTime::now_utc()).await;
            assert_ne!(first.document.created, second.document.created);
            assert_eq!(
                without_time_and_signature(&first),
                without_time_and_signature(&second),
                "{} {name}",
                backend.name()
            );
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue: "Moodle 4.4+ delegated sections must be handled: say in the file which section a
// sub-section activity belongs to, and test it" (DECISIONS 13: its own section number).
#[tokio::test]
async fn a_subsection_activity_is_placed_in_its_delegated_section() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = Site::open(&db.target()).await.expect("open");
        let saved = save_by_name(&site, CHIMIE, OffsetDateTime::now_utc()).await;
        let tp = |idnumber: &str| {
            saved
                .document
                .milestones
                .iter()
                .find(|m| m.activity.idnumber.as_deref() == Some(idnumber))
                .map(|m| (m.course.as_str(), m.section, m.position))
        };
        // CHIM102 has sections 0–2; the "Travaux pratiques" sub-section, whose own cm sits in
        // section 2, is delegated section 3.
        assert_eq!(tp("TP1"), Some(("CHIM102", 3, 0)), "{}", backend.name());
        assert_eq!(tp("TP2"), Some(("CHIM102", 3, 1)), "{}", backend.name());
        let synthesis = saved
            .document
            .milestones
            .iter()
            .find(|m| m.activity.name.as_deref() == Some("Cours : mécanismes réactionnels"))
            .expect("the synthesis lesson");
        assert_eq!(
            (synthesis.section, synthesis.position),
            (2, 0),
            "the sub-section's own cm comes after it in section 2"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

fn write_key(dir: &Path) -> PathBuf {
    let path = dir.join("site-key.pem");
    if !path.exists() {
        keys::write_private_key(&path, &key()).expect("write a key");
    }
    path
}

// Issue: "Milestones whose activity or course no longer exists (orphans) ... are left out and
// listed as warnings; `--strict` makes them an error."
#[tokio::test]
async fn the_orphan_milestone_is_a_warning_and_strict_makes_it_an_error() {
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let key = write_key(db.dir.path());
    let key = key.to_str().expect("path");
    let output = db.run(&["--key", key, "--json", "save", SECURITE, "-o", "secu.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    let warnings = &summary["saved"][0]["warnings"];
    let orphan = warnings
        .as_array()
        .into_iter()
        .flatten()
        .find(|w| w["code"] == "milestone-orphan")
        .unwrap_or_else(|| panic!("an orphan warning in {summary}"));
    assert!(
        orphan["message"]
            .as_str()
            .is_some_and(|m| m.contains("Ancienne vidéo : extincteurs")),
        "{orphan}"
    );
    assert!(stderr(&output).contains("warning: "), "{}", stderr(&output));
    let text = std::fs::read_to_string(db.dir.path().join("secu.json")).expect("saved");
    let document = v2::parse(text.as_bytes()).expect("parse");
    assert_eq!(document.milestones.len(), 5, "the orphan is left out");

    let output = db.run(&[
        "--key",
        key,
        "save",
        SECURITE,
        "--strict",
        "-o",
        "strict.json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("--strict"), "{}", stderr(&output));
    assert!(
        !db.dir.path().join("strict.json").exists(),
        "nothing is written"
    );
    // A training without orphans saves under --strict.
    let output = db.run(&["--key", key, "save", CHIMIE, "--strict", "-o", "c.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    db.drop_database().await;
}

/// Seeds the demo with its template images in `<dir>/moodledata/filedir`.
async fn seeded_with_files(db: &TestDb) -> PathBuf {
    let dataroot = db.dir.path().join("moodledata");
    let site = db.connect().await;
    fixture::create_schema(&site).await.expect("schema");
    demo::seed(&site, Some(&dataroot.join("filedir")))
        .await
        .expect("seed");
    site.close().await;
    dataroot
}

fn background_of<'a>(document: &'a v2::Document, template: &str) -> Option<&'a v2::Background> {
    document
        .templates
        .iter()
        .find(|t| t.name == template)
        .unwrap_or_else(|| panic!("template {template}"))
        .background
        .as_ref()
}

const SITE_PNG: &[u8] = include_bytes!("../assets/demo/attest_background.png");
const FC_PNG: &[u8] = include_bytes!("../assets/demo/fond_fc.png");

fn sha1_hex(bytes: &[u8]) -> String {
    attestoodle_backup::moodle::files::sha1_hex(bytes)
}

// Issue: "A background file listed in the database but missing on disk: warning, not a crash"
// and "When the bytes cannot be read, `background: null` and a warning that says why".
#[tokio::test]
async fn a_background_missing_on_disk_is_null_with_a_warning() {
    let db = TestDb::new(&TestBackend::Sqlite, "mdl_").await;
    let dataroot = seeded_with_files(&db).await;
    let hash = sha1_hex(FC_PNG);
    std::fs::remove_file(
        dataroot
            .join("filedir")
            .join(&hash[..2])
            .join(&hash[2..4])
            .join(&hash),
    )
    .expect("remove the FC background");
    let key = write_key(db.dir.path());
    let output = db.run(&[
        "--key",
        key.to_str().expect("path"),
        "--dataroot",
        dataroot.to_str().expect("path"),
        "save",
        CHIMIE,
        "-o",
        "out.json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("Attestation FC") && message.contains("does not exist"),
        "{message}"
    );
    let text = std::fs::read_to_string(db.dir.path().join("out.json")).expect("saved");
    let document = v2::parse(text.as_bytes()).expect("parse");
    assert!(background_of(&document, "Attestation FC").is_none());
    let site = background_of(&document, "Site").expect("Site keeps its image");
    assert_eq!(site.sha1, sha1_hex(SITE_PNG));
    assert_eq!(site.size, SITE_PNG.len() as i64);
    assert_eq!(site.filename, "attest_background.png");
    assert_eq!(site.mimetype, "image/png");
    db.drop_database().await;
}

// Issue: "look up the system context, do not assume id 1" — tested on a site whose system
// context is id 2, with a decoy file row in context 1.
#[tokio::test]
async fn backgrounds_come_from_the_system_context_whatever_its_id() {
    for_each_backend(|backend| async move {
        let db = TestDb::new(&backend, "mdl_").await;
        let dataroot = db.dir.path().join("moodledata");
        let site = db.connect().await;
        fixture::create_schema(&site).await.expect("schema");
        let mut w = fixture::Writer::begin(&site).await.expect("writer");
        // Context 1 is a course context on this site.
        w.insert(
            "context",
            &[
                ("contextlevel", 50.into()),
                ("instanceid", 4242.into()),
                ("depth", 2.into()),
            ],
        )
        .await
        .expect("context");
        w.commit().await.expect("commit");
        demo::seed(&site, Some(&dataroot.join("filedir")))
            .await
            .expect("seed");
        let mut w = fixture::Writer::begin(&site).await.expect("writer");
        // A file with the same item and name in context 1, whose content is nowhere.
        w.insert(
            "files",
            &[
                (
                    "contenthash",
                    "0123456789abcdef0123456789abcdef01234567".into(),
                ),
                ("pathnamehash", "decoy".into()),
                ("contextid", 1.into()),
                ("component", "tool_attestoodle".into()),
                ("filearea", "fichier".into()),
                ("itemid", 1.into()),
                ("filepath", "/".into()),
                ("filename", "attest_background.png".into()),
                ("filesize", 1.into()),
                ("mimetype", "image/png".into()),
                ("timecreated", 0.into()),
                ("timemodified", 0.into()),
                ("sortorder", Param::Int(0)),
            ],
        )
        .await
        .expect("decoy file");
        w.commit().await.expect("commit");
        site.close().await;

        let mut target = db.target();
        target.filedir = Some(dataroot.join("filedir"));
        let site = Site::open(&target).await.expect("open");
        let saved = save_by_name(&site, CHIMIE, OffsetDateTime::now_utc()).await;
        site.close().await;
        let background = background_of(&saved.document, "Site")
            .unwrap_or_else(|| panic!("{}: {:?}", backend.name(), saved.warnings));
        assert_eq!(background.sha1, sha1_hex(SITE_PNG), "{}", backend.name());
        assert!(
            background_of(&saved.document, "Attestation FC").is_some(),
            "{}",
            backend.name()
        );
        assert!(
            !saved
                .warnings
                .iter()
                .any(|w| w.code == "background-unreadable"),
            "{}: {:?}",
            backend.name(),
            saved.warnings
        );
        db.drop_database().await;
    })
    .await;
}

// Issue: "Unknown training: exit 5 and the closest names."
#[tokio::test]
async fn an_unknown_name_exits_5_with_the_closest_names() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let key = write_key(db.dir.path());
        let key = key.to_str().expect("path");
        let output = db.run(&["--key", key, "save", "Licence Chimie S1 2025"]);
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        assert!(stderr(&output).contains(CHIMIE), "{}", stderr(&output));
        // Names match exactly (DECISIONS 2), even on MariaDB's case-insensitive collations.
        for near in ["licence chimie s1 2026", "Licence Chimie S1 2026 "] {
            let output = db.run(&["--key", key, "save", near]);
            assert_eq!(
                output.status.code(),
                Some(5),
                "{} {near:?}: {}",
                backend.name(),
                stderr(&output)
            );
            assert!(stderr(&output).contains(CHIMIE), "{}", stderr(&output));
        }
        let output = db.run(&["--key", key, "save", "--id", "999"]);
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        db.drop_database().await;
    })
    .await;
}

// Issue: "Two trainings with the same name (old sites have them): exit 2 listing their ids,
// ask for `--id`."
#[tokio::test]
async fn two_trainings_with_one_name_exit_2_listing_their_ids() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        let mut w = fixture::Writer::begin(&site).await.expect("writer");
        let twin = w
            .insert(
                "tool_attestoodle_training",
                &[
                    ("name", ANGLAIS.into()),
                    ("categoryid", 5.into()),
                    ("startdate", 0.into()),
                ],
            )
            .await
            .expect("twin");
        w.commit().await.expect("commit");
        site.close().await;
        let key = write_key(db.dir.path());
        let key = key.to_str().expect("path");
        let output = db.run(&["--key", key, "save", ANGLAIS]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&format!("3, {twin}")) && message.contains("--id"),
            "{message}"
        );
        let output = db.run(&["--key", key, "save", "--id", "3", "-o", "a.json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        db.drop_database().await;
    })
    .await;
}

// Issue: "Unreadable key: clear error, nothing written."
#[tokio::test]
async fn an_unreadable_key_is_an_error_and_nothing_is_written() {
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let bad = db.dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let output = db.run(&[
        "--key",
        bad.to_str().expect("path"),
        "save",
        CHIMIE,
        "-o",
        "x.json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not an Ed25519 private key"),
        "{}",
        stderr(&output)
    );
    assert!(!db.dir.path().join("x.json").exists());
    // A --key that does not exist is not created: it is an error too.
    let output = db.run(&["--key", "missing.pem", "save", CHIMIE, "-o", "x.json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!db.dir.path().join("missing.pem").exists());
    assert!(!db.dir.path().join("x.json").exists());
    db.drop_database().await;
}

// Issue: "the first `save` without a key creates one and says where", and the default file
// name, never overwritten without --force.
#[tokio::test]
async fn the_first_save_creates_a_key_and_never_overwrites_without_force() {
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let output = db.run(&["save", CHIMIE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let key_path = db.dir.path().join("keys").join(keys::PRIVATE_KEY_FILE);
    assert!(key_path.is_file());
    assert!(
        stderr(&output).contains(&key_path.display().to_string()),
        "{}",
        stderr(&output)
    );
    let today = OffsetDateTime::now_utc();
    let file = db.dir.path().join(save::default_file_name(CHIMIE, today));
    assert!(file.is_file(), "{}", file.display());
    let first = std::fs::read(&file).expect("read");

    let output = db.run(&["save", CHIMIE]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("--force"), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("created this site's signing key"),
        "the key is made once"
    );
    assert_eq!(std::fs::read(&file).expect("read"), first, "untouched");
    let output = db.run(&["save", CHIMIE, "--force"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The site's own key is trusted: `verify` accepts the file.
    let output = db.run(&["verify", file.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // `-o -` writes the document on stdout.
    let output = db.run(&["save", CHIMIE, "-o", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let document = v2::parse(&output.stdout).expect("a document on stdout");
    assert_eq!(signature::verify(&document).integrity, Integrity::Valid);
    db.drop_database().await;
}

// Issue: "`save --all [--category C] -o DIR`: one file per training ..., a summary, and a
// non-zero exit if any training failed (the others still saved)."
#[tokio::test]
async fn save_all_writes_one_file_per_training_and_a_summary() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let key = write_key(db.dir.path());
        let key = key.to_str().expect("path");
        let output = db.run(&["--key", key, "--json", "save", "--all", "-o", "all"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let summary: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        assert_eq!(
            summary["saved"].as_array().map(Vec::len),
            Some(3),
            "{summary}"
        );
        assert_eq!(summary["failed"].as_array().map(Vec::len), Some(0));
        let mut files: Vec<PathBuf> = std::fs::read_dir(db.dir.path().join("all"))
            .expect("the directory")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 3, "{}: {files:?}", backend.name());
        for file in &files {
            let document = v2::parse(&std::fs::read(file).expect("read")).expect("parse");
            assert_eq!(signature::verify(&document).integrity, Integrity::Valid);
        }

        // --category, and a failure that does not stop the others.
        let output = db.run(&[
            "--key",
            key,
            "save",
            "--all",
            "--category",
            "UDEMO",
            "-o",
            "all",
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("saved 0 of 2 trainings"),
            "{}",
            stderr(&output)
        );
        let output = db.run(&[
            "--key",
            key,
            "save",
            "--all",
            "--category",
            "FC",
            "-o",
            "fc",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("saved 1 of 1 trainings"),
            "{}",
            stderr(&output)
        );
        std::fs::remove_dir_all(db.dir.path().join("all")).expect("clean");
        std::fs::create_dir(db.dir.path().join("all")).expect("mkdir");
        let taken = db
            .dir
            .path()
            .join("all")
            .join(save::default_file_name(CHIMIE, OffsetDateTime::now_utc()));
        std::fs::write(&taken, "mine").expect("a file in the way");
        let output = db.run(&["--key", key, "save", "--all", "-o", "all"]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("saved 2 of 3 trainings"),
            "{}",
            stderr(&output)
        );
        assert_eq!(std::fs::read_to_string(&taken).expect("read"), "mine");
        db.drop_database().await;
    })
    .await;
}

// Issue: "The number of SQL statements a save issues must not grow with the number of learners
// or milestones (assert that count in a test)."
#[tokio::test]
async fn the_number_of_statements_does_not_grow_with_learners_or_milestones() {
    for_each_backend(|backend| async move {
        let mut counts = Vec::new();
        for size in [2, 50] {
            let db = TestDb::new(&backend, "mdl_").await;
            let site = db.connect().await;
            fixture::create_schema(&site).await.expect("schema");
            let id = demo::seed_generated(&site, "Générée", size, size)
                .await
                .expect("generate");
            site.close().await;
            let site = Site::open(&db.target()).await.expect("open");
            let before = site.statement_count();
            let saved = save::save(
                &site,
                id,
                &SaveOptions {
                    key: &key(),
                    strict: true,
                    created: OffsetDateTime::now_utc(),
                },
            )
            .await
            .expect("save");
            counts.push(site.statement_count() - before);
            assert_eq!(saved.document.milestones.len(), size);
            assert_eq!(saved.document.learners.len(), size);
            site.close().await;
            db.drop_database().await;
        }
        assert_eq!(counts[0], counts[1], "{}: {counts:?}", backend.name());
    })
    .await;
}

// Issue 13: "The statement-count test covers `save --all` (the same count for 2 and for 50
// trainings)."
#[tokio::test]
async fn save_all_reads_any_number_of_trainings_in_the_same_number_of_statements() {
    for_each_backend(|backend| async move {
        let mut counts = Vec::new();
        for trainings in [2, 50] {
            let db = TestDb::new(&backend, "mdl_").await;
            let site = db.connect().await;
            fixture::create_schema(&site).await.expect("schema");
            let ids = demo::seed_generated_site(&site, "Générée", trainings, 3, 4)
                .await
                .expect("generate");
            site.close().await;
            let site = Site::open(&db.target()).await.expect("open");
            let key = key();
            let options = SaveOptions {
                key: &key,
                strict: true,
                created: OffsetDateTime::now_utc(),
            };
            let before = site.statement_count();
            let saved = save::for_each_read(&site, &ids, |_, snapshot| {
                snapshot.and_then(|s| save::save_read(&site, &s, &options))
            })
            .await
            .expect("read");
            counts.push(site.statement_count() - before);
            assert_eq!(saved.len(), trainings);
            for (i, saved) in saved.iter().enumerate() {
                let saved = saved.as_ref().expect("saved");
                assert_eq!(
                    saved.document.training.name,
                    format!("Générée {:04}", i + 1)
                );
                assert_eq!(saved.document.milestones.len(), 4);
                assert_eq!(saved.document.learners.len(), 3);
                assert!(saved
                    .document
                    .milestones
                    .iter()
                    .all(|m| m.course == format!("GEN-{:04}", i + 1)));
            }
            // Read together, each training is the file a save of it alone writes.
            for (id, together) in ids.iter().zip(&saved).step_by(17) {
                let alone = save::save(&site, *id, &options).await.expect("save alone");
                assert_eq!(
                    alone.text(),
                    together.as_ref().expect("saved").text(),
                    "{}",
                    backend.name()
                );
            }
            // A training that does not exist is said for itself; the others are read.
            let missing = ids.iter().max().copied().unwrap_or_default() + 1;
            let results = save::for_each_read(&site, &[ids[0], missing], |id, snapshot| {
                (id, snapshot.map(|s| s.training.id))
            })
            .await
            .expect("read");
            assert!(matches!(results[0], (id, Ok(t)) if id == ids[0] && t == ids[0]));
            assert!(matches!(
                results[1],
                (_, Err(save::SaveError::NotFound { id })) if id == missing
            ));
            site.close().await;
            db.drop_database().await;
        }
        assert_eq!(counts[0], counts[1], "{}: {counts:?}", backend.name());
    })
    .await;
}

// docs/decisions.md §21: a selection larger than a slice is read a slice at a time, the next
// slice on a task of its own while this one is built; every training comes out, in order, as
// a save of it alone writes it. On the multi-threaded runtime, as the command line runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_all_reads_a_selection_larger_than_a_slice_in_order() {
    for_each_backend(|backend| async move {
        let trainings = save::READ_SLICE * 2 + 3;
        let db = TestDb::new(&backend, "mdl_").await;
        let site = db.connect().await;
        fixture::create_schema(&site).await.expect("schema");
        let ids = demo::seed_generated_site(&site, "Tranche", trainings, 2, 2)
            .await
            .expect("generate");
        site.close().await;
        let site = Site::open(&db.target()).await.expect("open");
        let key = key();
        let options = SaveOptions {
            key: &key,
            strict: true,
            created: OffsetDateTime::now_utc(),
        };
        let mut recorded = Vec::new();
        save::read_many(
            &site,
            &ids,
            |_, snapshot| snapshot.and_then(|s| save::save_read(&site, &s, &options)),
            |id, saved| recorded.push((id, saved)),
        )
        .await
        .expect("read");
        assert_eq!(recorded.len(), trainings, "{}", backend.name());
        for (i, (id, saved)) in recorded.iter().enumerate() {
            assert_eq!(*id, ids[i], "{}", backend.name());
            let saved = saved.as_ref().expect("saved");
            assert_eq!(
                saved.document.training.name,
                format!("Tranche {:04}", i + 1)
            );
            assert_eq!(saved.document.learners.len(), 2);
        }
        // One training of each slice, and the last, is the file a save of it alone writes.
        for i in [0, save::READ_SLICE, trainings - 1] {
            let alone = save::save(&site, ids[i], &options)
                .await
                .expect("save alone");
            let together = recorded[i].1.as_ref().expect("saved");
            assert_eq!(alone.text(), together.text(), "{}", backend.name());
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue: "fails verification after any single-field change (property test)".
#[tokio::test]
async fn any_single_field_change_breaks_verification() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let db = TestDb::new(&TestBackend::Sqlite, "mdl_").await;
    let dataroot = seeded_with_files(&db).await;
    let mut target = db.target();
    target.filedir = Some(dataroot.join("filedir"));
    let site = Site::open(&target).await.expect("open");
    let saved = save_by_name(&site, SECURITE, OffsetDateTime::now_utc()).await;
    site.close().await;
    let original: Value = serde_json::from_str(&saved.text()).expect("JSON");
    let mut paths = Vec::new();
    leaf_paths(&original, String::new(), &mut paths);
    assert!(paths.len() > 100, "{}", paths.len());

    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    runner
        .run(&(0..paths.len(), any::<u32>()), |(index, seed)| {
            let mut changed = original.clone();
            let leaf = changed.pointer_mut(&paths[index]).expect("the path exists");
            *leaf = mutate(leaf, seed);
            let text = serde_json::to_string_pretty(&changed).expect("JSON");
            if let Ok(document) = v2::parse(text.as_bytes()) {
                prop_assert_ne!(
                    signature::verify(&document).integrity,
                    Integrity::Valid,
                    "a change at {} went unnoticed",
                    &paths[index]
                );
            }
            Ok(())
        })
        .expect("every change is detected");
    db.drop_database().await;
}

fn leaf_paths(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                leaf_paths(
                    item,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaf_paths(item, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// A different value of the same kind (or null for a null), chosen by `seed`.
fn mutate(value: &Value, seed: u32) -> Value {
    match value {
        Value::Null => {
            if seed.is_multiple_of(2) {
                Value::from(i64::from(seed % 100))
            } else {
                Value::from(format!("x{seed}"))
            }
        }
        Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1 + i64::from(seed % 1000)),
        Value::String(s) => {
            let mut chars: Vec<char> = s.chars().collect();
            if chars.is_empty() || seed.is_multiple_of(3) {
                chars.push(char::from(b'a' + (seed % 26) as u8));
            } else {
                let i = seed as usize % chars.len();
                chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            }
            Value::from(chars.into_iter().collect::<String>())
        }
        Value::Bool(b) => Value::from(!b),
        other => other.clone(),
    }
}

// Issue: "the openssl recipe test passes": a third party checks a saved file with python3 and
// openssl alone (docs/verify-with-openssl.md).
#[tokio::test]
async fn the_openssl_recipe_verifies_a_saved_demo_file() {
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let key_path = write_key(db.dir.path());
    let output = db.run(&[
        "--key",
        key_path.to_str().expect("path"),
        "save",
        SECURITE,
        "-o",
        "s.json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify-with-openssl.sh");
    let public = db.dir.path().join("public.pem");
    std::fs::write(&public, keys::public_key_pem(&key().verifying_key())).expect("write");
    let result = std::process::Command::new("sh")
        .arg(&script)
        .arg(db.dir.path().join("s.json"))
        .arg(&public)
        .output()
        .unwrap_or_else(|e| panic!("sh, python3 and openssl must be installed: {e}"));
    assert!(
        result.status.success(),
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    db.drop_database().await;
}

/// Opens a seeded site's writer, runs `change`, and commits.
async fn change_site(
    db: &TestDb,
    rows: &[(&str, &[(&str, Param)])],
    updates: &[(&str, i64, &str, Param)],
) {
    let site = db.connect().await;
    let mut w = fixture::Writer::begin(&site).await.expect("writer");
    for (table, values) in rows {
        w.insert(table, values).await.expect("insert");
    }
    for (table, id, column, value) in updates {
        w.update(table, *id, column, value.clone())
            .await
            .expect("update");
    }
    w.commit().await.expect("commit");
    site.close().await;
}

// Issue: milestones "whose cmid is missing from its section's sequence, are left out and listed
// as warnings"; positions follow DECISIONS 7 and a cm listed in several sections belongs to the
// last one (FORMAT.md).
#[tokio::test]
async fn positions_follow_the_stored_sequences() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        // CHIM101's sections 1, 2 and 3 are rows 2, 3 and 4; section 1 lists cms 2,3,4 and
        // section 2 cms 5,6 (all milestones but cm 4).
        change_site(
            &db,
            &[],
            &[
                // cm 2 disappears from every sequence; a stale id, an empty item and garbage
                // come first, and cm 3 is listed twice.
                ("course_sections", 2, "sequence", "999,,x, 3 ,3,4".into()),
                // cm 6 is also listed in section 3, which comes last.
                ("course_sections", 4, "sequence", "6".into()),
            ],
        )
        .await;
        let site = Site::open(&db.target()).await.expect("open");
        let saved = save_by_name(&site, CHIMIE, OffsetDateTime::now_utc()).await;
        site.close().await;
        let place = |cmid: i64| {
            saved
                .document
                .milestones
                .iter()
                .find(|m| m.activity.source_cmid == Some(cmid))
                .map(|m| (m.section, m.position))
        };
        assert_eq!(place(2), None, "{}", backend.name());
        assert_eq!(place(3), Some((1, 1)), "{}", backend.name());
        assert_eq!(place(5), Some((2, 0)), "{}", backend.name());
        assert_eq!(place(6), Some((3, 0)), "{}", backend.name());
        assert!(
            saved
                .warnings
                .iter()
                .any(|w| w.code == "milestone-not-in-sequence" && w.milestone_left_out),
            "{}: {:?}",
            backend.name(),
            saved.warnings
        );
        assert_eq!(saved.document.milestones.len(), 8);
        db.drop_database().await;
    })
    .await;
}

// DECISIONS 8: duplicate rows are written once, the first in id order, with a warning; and
// FORMAT.md: two referenced templates with one name are refused, naming them.
#[tokio::test]
async fn duplicate_rows_are_written_once_and_twin_templates_are_refused() {
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    // Training 1 (Chimie); user 3 is its first learner; template 2 is "Attestation FC".
    change_site(
        &db,
        &[
            (
                "tool_attestoodle_learner",
                &[
                    ("userid", 3.into()),
                    ("trainingid", 1.into()),
                    ("categoryid", 4.into()),
                    ("selected", 1.into()),
                ],
            ),
            (
                "tool_attestoodle_train_style",
                &[("trainingid", 1.into()), ("templateid", 2.into())],
            ),
        ],
        &[],
    )
    .await;
    let site = Site::open(&db.target()).await.expect("open");
    let saved = save_by_name(&site, CHIMIE, OffsetDateTime::now_utc()).await;
    site.close().await;
    assert_eq!(saved.document.learners.len(), 12);
    assert_eq!(saved.document.training.template.as_deref(), Some("Site"));
    let codes: Vec<&str> = saved.warnings.iter().map(|w| w.code).collect();
    assert!(codes.contains(&"learner-duplicate"), "{codes:?}");
    assert!(codes.contains(&"train-style-duplicate"), "{codes:?}");
    let learner = saved
        .document
        .learners
        .iter()
        .find(|l| l.username.as_deref() == Some("camille.martin"))
        .expect("the learner");
    assert_eq!(learner.selected, Some(0), "the first row wins");

    // A third template also named "Site", used by a learner of the training.
    change_site(
        &db,
        &[
            (
                "tool_attestoodle_template",
                &[
                    ("name", "Site".into()),
                    ("timecreated", 0.into()),
                    ("userid", 2.into()),
                ],
            ),
            (
                "tool_attestoodle_user_style",
                &[
                    ("userid", 4.into()),
                    ("trainingid", 1.into()),
                    ("templateid", 3.into()),
                ],
            ),
        ],
        &[],
    )
    .await;
    let key = write_key(db.dir.path());
    let output = db.run(&[
        "--key",
        key.to_str().expect("path"),
        "save",
        CHIMIE,
        "-o",
        "t.json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("[1, 3]") && stderr(&output).contains("“Site”"),
        "{}",
        stderr(&output)
    );
    assert!(!db.dir.path().join("t.json").exists());
    db.drop_database().await;
}

/// Runs the binary as `TestDb::run` does, under umask 022 (the usual default, which leaves
/// files 0644 unless the tool asks for less).
#[cfg(unix)]
fn run_umask_022(db: &TestDb, args: &[&str]) -> std::process::Output {
    let mut full = vec!["--db", db.url.as_str(), "--prefix", db.prefix.as_str()];
    full.extend_from_slice(args);
    common::tool_command("sh", db.dir.path(), &db.dir.path().join("keys"))
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(common::binary())
        .args(&full)
        .output()
        .expect("run attestoodle-backup")
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn temporary_leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read the directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect()
}

// Issue 10, item 4: "Files that hold learners' emails are world-readable": every file the tool
// writes with personal data is 0600, written beside and renamed, never truncated in place.
#[cfg(unix)]
#[tokio::test]
async fn saved_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let db = TestDb::seeded(&TestBackend::Sqlite, "mdl_").await;
    let dir = db.dir.path();

    // save, to a new file.
    let output = run_umask_022(&db, &["save", CHIMIE, "-o", "one.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&dir.join("one.json")), 0o600, "save");

    // save --force over an existing 0644 file: a new, private file in its place.
    let old = dir.join("old.json");
    std::fs::write(&old, b"an older backup").expect("write");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let inode_before = std::fs::metadata(&old).expect("stat").ino();
    // Another name for the old file sees whether it was truncated in place.
    let other_name = dir.join("old-link.json");
    std::fs::hard_link(&old, &other_name).expect("link");
    let output = run_umask_022(&db, &["save", CHIMIE, "-o", "old.json"]);
    assert_eq!(output.status.code(), Some(1), "without --force");
    assert_eq!(std::fs::read(&old).expect("read"), b"an older backup");
    let output = run_umask_022(&db, &["save", CHIMIE, "-o", "old.json", "--force"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&old), 0o600, "save --force");
    assert_ne!(
        std::fs::metadata(&old).expect("stat").ino(),
        inode_before,
        "save --force replaces the file, it does not truncate it in place"
    );
    assert_eq!(
        std::fs::read(&other_name).expect("read"),
        b"an older backup",
        "the old file's content was not overwritten"
    );
    let document = v2::parse(&std::fs::read(&old).expect("read")).expect("a backup");
    assert_eq!(signature::verify(&document).integrity, Integrity::Valid);

    // save --all.
    let output = run_umask_022(&db, &["save", "--all", "-o", "all"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let files: Vec<PathBuf> = std::fs::read_dir(dir.join("all"))
        .expect("the directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    for file in &files {
        assert_eq!(mode_of(file), 0o600, "save --all: {}", file.display());
    }

    // save --format legacy, new and --force.
    let output = run_umask_022(
        &db,
        &["save", CHIMIE, "--format", "legacy", "-o", "legacy.json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&dir.join("legacy.json")), 0o600, "--format legacy");
    std::fs::set_permissions(
        dir.join("legacy.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let output = run_umask_022(
        &db,
        &[
            "save",
            CHIMIE,
            "--format",
            "legacy",
            "-o",
            "legacy.json",
            "--force",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        mode_of(&dir.join("legacy.json")),
        0o600,
        "--format legacy --force"
    );

    // convert, new and --force over a 0644 file.
    let vector = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/legacy-simple.json");
    let vector = vector.to_str().expect("path");
    let output = run_umask_022(&db, &["convert", vector, "-o", "converted.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&dir.join("converted.json")), 0o600, "convert");
    let converted = dir.join("converted.json");
    std::fs::set_permissions(&converted, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let inode_before = std::fs::metadata(&converted).expect("stat").ino();
    let output = run_umask_022(&db, &["convert", vector, "-o", "converted.json", "--force"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&converted), 0o600, "convert --force");
    assert_ne!(
        std::fs::metadata(&converted).expect("stat").ino(),
        inode_before
    );

    assert!(
        temporary_leftovers(dir).is_empty(),
        "{:?}",
        temporary_leftovers(dir)
    );
    assert!(temporary_leftovers(&dir.join("all")).is_empty());
    db.drop_database().await;
}
