//! The scenario tests on a real Moodle 5.1 site (`tests/real-moodle/`, loaded by
//! `common::real_moodle`): the schema, ids, section sequences and sub-sections are Moodle's own
//! doing, not our reading of them. They run whenever `ATTESTOODLE_TEST_POSTGRES_URL` is set
//! (always in `.ci/run`), through the built binary and `--moodle-config`, as an administrator
//! would.
//!
//! What the site holds (from its README and the dump): the training "Licence Sciences S1 2026"
//! (14 milestones on CHIM-101, MATH-103 and PHYS-102, two of them in the delegated sub-section
//! "Travaux pratiques", two on quizzes both named "Quiz de révision"), two clones of it on the
//! `_2027` copies that Moodle's course copy made (MATH-103 has no copy), and the template "Site"
//! whose background row exists but whose file does not.

mod common;

use attestoodle_backup::web::{self, AppState, WebConfig};
use axum::http::StatusCode;
use common::http::{send, text, Browser};
use common::real_moodle::{self, RealSite};
use common::{stderr, stdout};
use serde_json::Value;

const TRAINING: &str = "Licence Sciences S1 2026";
/// `password_hash('Learner-Pass-1', PASSWORD_BCRYPT, ['cost' => 4])`, made by PHP 8.2.
const ADMIN_HASH: &str = "$2y$04$iBXC71WkaPdBZ1N7mVIY3eRKcncVcBeXqfzNS5WbLUNtDRN23EzvO";
const ADMIN_PASSWORD: &str = "Learner-Pass-1";
const CATEGORY_PATH: &str = "Université Réelle / Faculté des Sciences / Licence Sciences S1";

/// The 14 milestones of the training as Moodle placed them: course, section number, position
/// in the section's `sequence` (DECISIONS 7), type, activity name, minutes. Read by hand from the
/// dump's `course_sections.sequence`, `course_modules` and the modules' tables.
const MILESTONES: [(&str, i64, i64, &str, &str, i64); 14] = [
    ("CHIM-101", 0, 1, "page", "Syllabus de chimie", 30),
    ("CHIM-101", 1, 0, "page", "Atomes et molécules", 90),
    ("CHIM-101", 1, 2, "quiz", "Quiz de révision", 45),
    ("CHIM-101", 1, 3, "assign", "Devoir 1 : stœchiométrie", 120),
    ("CHIM-101", 2, 1, "quiz", "Quiz de révision", 45),
    (
        "CHIM-101",
        2,
        2,
        "url",
        "Vidéo : « liaisons » & <hybridation>",
        20,
    ),
    ("CHIM-101", 4, 0, "assign", "Examen final de chimie", 240),
    // The delegated sub-section "Travaux pratiques" is section 5 of CHIM-101 (DECISIONS 13).
    ("CHIM-101", 5, 0, "page", "TP1 : titrage acido-basique", 180),
    ("CHIM-101", 5, 1, "assign", "Compte rendu TP1", 60),
    ("MATH-103", 2, 0, "assign", "Devoir : intégrales", 75),
    ("PHYS-102", 1, 0, "page", "Cinématique", 60),
    ("PHYS-102", 1, 2, "quiz", "Quiz cinématique", 30),
    ("PHYS-102", 2, 2, "assign", "Problèmes de dynamique", 90),
    ("PHYS-102", 3, 1, "quiz", "Examen de mécanique", 120),
];

/// A milestone of a plan: the file's course, section and position, then the status, the target
/// course, the activity (cmid) it is linked to and the finding's code.
type Link = (String, i64, i64, String, String, Option<i64>, String);

/// Runs `test` on a fresh copy of the real site, which is dropped after it, also when it fails.
/// Without a PostgreSQL server there is no real site: the test says so and does nothing.
async fn with_real_site<F, Fut>(test: F)
where
    F: FnOnce(RealSite) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(server) = real_moodle::server() else {
        eprintln!("ATTESTOODLE_TEST_POSTGRES_URL is not set: the real Moodle site is not loaded");
        return;
    };
    test(RealSite::load(&server)).await;
}

fn json(output: &std::process::Output, what: &str) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not JSON ({e}); exit {:?}\nstdout: {}\nstderr: {}",
            output.status.code(),
            stdout(output),
            stderr(output)
        )
    })
}

fn assert_exit(output: &std::process::Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}: exit code\nstdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

/// Saves the training with `--json` and returns the summary and the saved document.
fn save(site: &RealSite, args: &[&str], file: &str) -> (Value, Value) {
    let mut full = vec!["--json", "save"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", file, "--force"]);
    let output = site.run(&full);
    assert_exit(&output, 0, "save on the real site");
    let summary = json(&output, "save --json");
    let text = std::fs::read_to_string(site.dir.path().join(file)).expect("the saved file");
    let document = serde_json::from_str(&text).expect("the saved file is JSON");
    (summary, document)
}

/// The document without what differs between two saves of one definition on one site after a
/// restore: the training's and activities' ids, `created` and the signature.
fn without_ids(mut document: Value) -> Value {
    for key in ["created", "signature"] {
        document.as_object_mut().map(|d| d.remove(key));
    }
    document["source"]["source_training_id"] = Value::Null;
    if let Some(milestones) = document["milestones"].as_array_mut() {
        for milestone in milestones {
            milestone["activity"]["source_cmid"] = Value::Null;
            // A restore writes `timemodified` = now (README, "What is written").
            milestone["timemodified"] = Value::Null;
        }
    }
    document
}

#[tokio::test]
async fn list_shows_the_three_trainings_with_their_real_category_paths() {
    with_real_site(|site| async move {
        let output = site.run(&["--json", "list"]);
        assert_exit(&output, 0, "list on the real site");
        let trainings = json(&output, "list --json");
        let mut rows: Vec<(String, String, i64, i64)> = trainings
            .as_array()
            .expect("an array")
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or_default().to_owned(),
                    t["category"].as_str().unwrap_or_default().to_owned(),
                    t["milestones"].as_i64().unwrap_or(-1),
                    t["learners"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        rows.sort();
        // The two clones were made without learners; the second one left out the two
        // same-named quizzes and the MATH-103 milestone.
        let expected = [
            (TRAINING, 14, 29),
            ("Licence Sciences S1 2026_2027", 13, 0),
            ("Licence Sciences S1 2027 v2", 11, 0),
        ]
        .map(|(name, milestones, learners)| {
            (
                name.to_owned(),
                CATEGORY_PATH.to_owned(),
                milestones,
                learners,
            )
        });
        assert_eq!(rows, expected);

        // The table an operator reads names the category by its path, in both languages.
        for lang in ["en", "fr"] {
            let output = site.run(&["--lang", lang, "list"]);
            assert_exit(&output, 0, "list on the real site");
            let table = stdout(&output);
            assert!(
                table
                    .lines()
                    .any(|l| l.contains(TRAINING) && l.contains(CATEGORY_PATH)),
                "{table}"
            );
        }

        // The category option takes the real idnumbers and paths, sub-categories included.
        for category in ["UREAL", "UREAL-SCI-L1", CATEGORY_PATH] {
            let output = site.run(&["--json", "list", "--category", category]);
            assert_exit(&output, 0, "list --category on the real site");
            assert_eq!(
                json(&output, "list --json").as_array().map(Vec::len),
                Some(3)
            );
        }
        let output = site.run(&["--json", "list", "--category", "UREAL-LANG"]);
        assert_eq!(
            json(&output, "list --json").as_array().map(Vec::len),
            Some(0)
        );
    })
    .await;
}

#[tokio::test]
async fn save_names_every_milestone_as_moodle_placed_it() {
    with_real_site(|site| async move {
        let (summary, document) = save(&site, &[TRAINING], "sciences.json");
        let milestones: Vec<(String, i64, i64, String, String, i64)> = document["milestones"]
            .as_array()
            .expect("milestones")
            .iter()
            .map(|m| {
                (
                    m["course"].as_str().unwrap_or_default().to_owned(),
                    m["section"].as_i64().unwrap_or(-1),
                    m["position"].as_i64().unwrap_or(-1),
                    m["activity"]["type"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    m["activity"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    m["creditedtime"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        let expected: Vec<_> = MILESTONES
            .iter()
            .map(|&(course, section, position, kind, name, minutes)| {
                (
                    course.to_owned(),
                    section,
                    position,
                    kind.to_owned(),
                    name.to_owned(),
                    minutes,
                )
            })
            .collect();
        assert_eq!(milestones, expected);
        assert_eq!(
            document["training"]["category"]["path"],
            serde_json::json!([
                "Université Réelle",
                "Faculté des Sciences",
                "Licence Sciences S1"
            ])
        );
        assert_eq!(document["training"]["category"]["idnumber"], "UREAL-SCI-L1");
        assert_eq!(document["source"]["wwwroot"], "http://127.0.0.1:8088");
        assert_eq!(document["training"]["template"], "Site");

        // The site has the background's row, not its file: the save says so and writes null.
        let template = &document["templates"][0];
        assert_eq!(template["name"], "Site");
        assert_eq!(template["background"], Value::Null);
        let warnings = summary["saved"][0]["warnings"]
            .as_array()
            .expect("warnings");
        assert!(
            warnings
                .iter()
                .any(|w| w["code"] == "background-unreadable"),
            "the missing background file is reported: {warnings:?}"
        );

        // The learners are the site's accounts by email; the deleted one is not among them.
        let learners = document["learners"].as_array().expect("learners");
        assert!(!learners.is_empty());
        assert!(learners
            .iter()
            .all(|l| l["email"].as_str().is_some_and(|e| e.contains('@'))));

        // The file is the signed format 2 that verify accepts (the site's own key).
        let output = site.run(&["verify", "sciences.json"]);
        assert_exit(&output, 0, "verify of a save of the real site");
    })
    .await;
}

#[tokio::test]
async fn a_training_saved_deleted_and_restored_saves_again_the_same_document() {
    with_real_site(|site| async move {
        let (_, before) = save(&site, &[TRAINING], "before.json");
        // Remove the training as Attestoodle's own "delete training" does: its rows in every
        // Attestoodle table that names it.
        site.sql(
            "DELETE FROM mdl_tool_attestoodle_milestone WHERE trainingid = 3; \
             DELETE FROM mdl_tool_attestoodle_learner WHERE trainingid = 3; \
             DELETE FROM mdl_tool_attestoodle_user_style WHERE trainingid = 3; \
             DELETE FROM mdl_tool_attestoodle_train_style WHERE trainingid = 3; \
             DELETE FROM mdl_tool_attestoodle_training WHERE id = 3",
        );
        let output = site.run(&["--json", "list"]);
        assert_eq!(
            json(&output, "list --json").as_array().map(Vec::len),
            Some(2)
        );

        let output = site.run(&["--json", "restore", "before.json", "--yes"]);
        assert_exit(&output, 0, "restore on the real site");
        let result = json(&output, "restore --json");
        assert_eq!(result["outcome"], "applied");
        assert_eq!(result["report"]["action"], "created");
        assert_eq!(result["report"]["written"]["milestones"], 14);
        let id = result["report"]["training_id"]
            .as_i64()
            .expect("the new id");
        assert_ne!(id, 3, "a new training row");

        let (_, after) = save(&site, &["--id", &id.to_string()], "after.json");
        assert_eq!(without_ids(after), without_ids(before));
        // And `diff` says so too, of the file against the live training.
        let output = site.run(&["diff", "before.json", "--site", "--exit-code"]);
        assert_exit(&output, 0, "diff of the file and the restored training");
        assert!(stdout(&output).contains("identical"), "{}", stdout(&output));
    })
    .await;
}

#[tokio::test]
async fn a_clone_onto_the_course_copies_links_each_milestone_by_its_fingerprint() {
    with_real_site(|site| async move {
        save(&site, &[TRAINING], "sciences.json");
        let output = site.run(&[
            "--json",
            "clone",
            "sciences.json",
            "--suffix",
            "_2027",
            "--name",
            "Licence Sciences S1 2027 (test)",
            "--dry-run",
        ]);
        assert_exit(&output, 0, "clone --dry-run on the real site");
        let result = json(&output, "clone --json");
        let milestones = result["plan"]["milestones"].as_array().expect("milestones");
        assert_eq!(milestones.len(), 14);
        // (course, section, position) of the file → (status, target course, cmid, finding).
        let got: Vec<Link> = milestones
            .iter()
            .map(|m| {
                (
                    m["course"].as_str().unwrap_or_default().to_owned(),
                    m["section"].as_i64().unwrap_or(-1),
                    m["position"].as_i64().unwrap_or(-1),
                    m["status"].as_str().unwrap_or_default().to_owned(),
                    m["target_course"].as_str().unwrap_or_default().to_owned(),
                    m["cmid"].as_i64(),
                    m["finding"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        // What Moodle's course copy made of each activity (the dump's course_modules of
        // CHIM-101_2027 and PHYS-102_2027): the same activity, at its place or moved (the copy
        // dropped a label, added an activity, and moved the sub-section to section 6).
        let w = |course: &str, section, position, target: &str, cmid, finding: &str| {
            (
                course.to_owned(),
                section,
                position,
                "write".to_owned(),
                target.to_owned(),
                Some(cmid),
                finding.to_owned(),
            )
        };
        let skip = |course: &str, section, position, target: &str, finding: &str| {
            (
                course.to_owned(),
                section,
                position,
                "skip".to_owned(),
                target.to_owned(),
                None,
                finding.to_owned(),
            )
        };
        let (chim, phys, math) = ("CHIM-101_2027", "PHYS-102_2027", "MATH-103_2027");
        let expected = vec![
            w("CHIM-101", 0, 1, chim, 62, ""),
            w("CHIM-101", 1, 0, chim, 64, ""),
            // Two quizzes named "Quiz de révision" in the copy, neither at the file's place:
            // skipped, never guessed.
            skip("CHIM-101", 1, 2, chim, "activity-mismatch"),
            w("CHIM-101", 1, 3, chim, 67, "activity-moved"),
            skip("CHIM-101", 2, 1, chim, "activity-mismatch"),
            w("CHIM-101", 2, 2, chim, 70, "activity-moved"),
            w("CHIM-101", 4, 0, chim, 75, ""),
            w("CHIM-101", 5, 0, chim, 72, "activity-moved"),
            w("CHIM-101", 5, 1, chim, 73, "activity-moved"),
            skip("MATH-103", 2, 0, math, "missing-course"),
            w("PHYS-102", 1, 0, phys, 77, "activity-moved"),
            w("PHYS-102", 1, 2, phys, 79, "activity-moved"),
            w("PHYS-102", 2, 2, phys, 82, ""),
            w("PHYS-102", 3, 1, phys, 84, ""),
        ];
        assert_eq!(got, expected);
        let to_accept: Vec<&str> = result["to_accept"]
            .as_array()
            .expect("to_accept")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(to_accept.contains(&"missing-course"), "{to_accept:?}");
        assert!(to_accept.contains(&"activity-mismatch"), "{to_accept:?}");
    })
    .await;
}

#[tokio::test]
async fn the_web_pages_list_the_real_trainings_and_download_a_backup_verify_accepts() {
    with_real_site(|site| async move {
        // The installer's admin password is not known to the test: give the account one, as a
        // bcrypt hash like those PHP's password_hash writes.
        site.sql(&format!(
            "UPDATE mdl_user SET password = '{ADMIN_HASH}' WHERE username = 'admin'"
        ));
        let keys = site.dir.path().join("keys");
        // The web never creates the key: make it as `keys generate` does.
        let output = site.run(&["keys", "generate"]);
        assert_exit(&output, 0, "keys generate");
        let config = WebConfig::new(keys.join("signing-key.pem"), keys.join("trusted"));
        let app = web::app(AppState::new(site.open().await, config));

        let admin = Browser::log_in(&app, "admin", ADMIN_PASSWORD).await;
        let response = send(&app, admin.get("/")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = text(response).await;
        for name in [
            TRAINING,
            "Licence Sciences S1 2026_2027",
            "Licence Sciences S1 2027 v2",
        ] {
            assert!(html.contains(name), "the trainings page lists {name}");
        }
        assert!(html.contains("Licence Sciences S1"), "its category");

        let response = send(&app, admin.get("/trainings/3/backup.json")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the backup");
        let file = site.dir.path().join("downloaded.json");
        std::fs::write(&file, &bytes).expect("keep the download");
        let output = site.run(&["verify", "downloaded.json"]);
        assert_exit(&output, 0, "verify of the web download");
    })
    .await;
}

#[tokio::test]
async fn a_column_moodle_lacks_is_named_in_the_error() {
    with_real_site(|site| async move {
        // As if the tool met a Moodle whose schema it was not written for.
        site.sql("ALTER TABLE mdl_course_modules RENAME COLUMN section TO sectionid");
        let output = site.run(&["save", TRAINING, "-o", "broken.json"]);
        assert_exit(
            &output,
            1,
            "save on a schema without course_modules.section",
        );
        let message = stderr(&output);
        assert!(
            message.contains("section") && message.contains("course_modules"),
            "the error names the table and the column: {message}"
        );
        assert!(
            !site.dir.path().join("broken.json").exists(),
            "nothing written"
        );
    })
    .await;
}

#[tokio::test]
async fn the_sites_own_moodle_session_logs_the_admin_in() {
    with_real_site(|site| async move {
        // A session row Moodle wrote for the admin (userid 2), as Moodle refreshes it on each
        // request; another one left as the dump has it, long expired; a visitor's.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        site.sql(&format!(
            "UPDATE mdl_sessions SET timemodified = {now} WHERE sid = 'o2h4on8masjehtpav9m7152drn'"
        ));
        site.sql(&format!(
            "UPDATE mdl_sessions SET timemodified = {} WHERE sid = 'otrim8f2oepqa54eamb519c1j8'",
            now - 28_801
        ));
        let keys = site.dir.path().join("keys");
        let mut config = WebConfig::new(keys.join("signing-key.pem"), keys.join("trusted"));
        let moodle = site.open().await;
        let cookie = moodle
            .session_cookie_name()
            .await
            .expect("read sessioncookie");
        assert_eq!(
            cookie, "MoodleSession",
            "the real site's sessioncookie is empty"
        );
        config.moodle_session = Some(web::MoodleSessionLogin {
            cookie: cookie.clone(),
            wwwroot: moodle.target().wwwroot.clone(),
            elsewhere: None,
        });
        let app = web::app(AppState::new(moodle, config));
        let get = |sid: &str| {
            axum::http::Request::get("/")
                .header(axum::http::header::HOST, "127.0.0.1:8080")
                .header(axum::http::header::COOKIE, format!("{cookie}={sid}"))
                .body(axum::body::Body::empty())
                .expect("a request")
        };
        let response = send(&app, get("o2h4on8masjehtpav9m7152drn")).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the admin's live session"
        );
        let html = text(response).await;
        assert!(html.contains(TRAINING), "{html}");
        assert!(html.contains("<strong>admin</strong>"), "{html}");
        for sid in ["otrim8f2oepqa54eamb519c1j8", "1stu45rsqndn8u66puk479fh8i"] {
            let response = send(&app, get(sid)).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{sid}");
        }
        // The login page sends the browser to the real site's login page.
        let response = send(
            &app,
            axum::http::Request::get("/login")
                .header(axum::http::header::HOST, "127.0.0.1:8080")
                .body(axum::body::Body::empty())
                .expect("a request"),
        )
        .await;
        let html = text(response).await;
        assert!(
            html.contains("http://127.0.0.1:8088/login/index.php?wantsurl="),
            "{html}"
        );
    })
    .await;
}

#[tokio::test]
async fn dates_are_shown_in_the_sites_time_zone() {
    with_real_site(|site| async move {
        // The site says `timezone` Europe/London, `forcetimezone` 99 (DECISIONS 17); the
        // training starts at 1788217200, 2026-08-31 23:00 UTC, which Moodle shows as
        // 1 September 2026.
        save(&site, &[TRAINING], "sciences.json");
        for lang in ["en", "fr"] {
            let output = site.run(&[
                "--lang",
                lang,
                "clone",
                "sciences.json",
                "--suffix",
                "_2027",
                "--name",
                "Licence Sciences S1 2027 (dates)",
                "--dry-run",
            ]);
            assert_exit(&output, 0, "clone --dry-run on the real site");
            let text = stdout(&output) + &stderr(&output);
            assert!(
                text.contains("2026-09-01 → 2027-01-31 (Europe/London)"),
                "{lang}: {text}"
            );
        }
        let output = site.run(&[
            "--json",
            "clone",
            "sciences.json",
            "--suffix",
            "_2027",
            "--name",
            "Licence Sciences S1 2027 (dates)",
            "--dry-run",
        ]);
        let result = json(&output, "clone --json");
        assert_eq!(result["plan"]["training"]["startdate"], 1_788_217_200);
    })
    .await;
}
