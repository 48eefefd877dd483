//! Restore and clone (issue "Restore and clone a training"): precheck findings, the
//! all-or-nothing apply, and the command line, on every backend.
//!
//! The documents are built by hand from the demo's data (the demo's "Licence Chimie S1 2026" as
//! `save` writes it), so that each scenario controls what the file holds; `tests/roundtrip.rs`
//! goes through the real `save`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use attestoodle_backup::demo;
use attestoodle_backup::document::v2::{
    self, Activity, Background, Category, Document, Learner, LearnerStyle, Milestone, Source,
    Template, TemplateDetail, Training,
};
use attestoodle_backup::document::{keys, signature};
use attestoodle_backup::i18n::Lang;
use attestoodle_backup::moodle::{fixture, Param, Site};
use attestoodle_backup::restore::{
    self, Accepted, ApplyOptions, Code, Mode, Plan, Provenance, RestoreError, RestoreOptions,
    Severity, Status, TemplateAction, TrainingAction,
};
use attestoodle_backup::save;
use base64::Engine as _;
use common::rows::snapshot;
use common::{for_each_backend, stderr, stdout, TestDb};
use sha1::Digest as _;

const SEPT_2026: i64 = 1_788_220_800;
const JAN_2027: i64 = 1_801_353_600;
const TRAINING: &str = "Licence Chimie S1 2026";

fn activity(kind: &str, name: &str, idnumber: Option<&str>) -> Activity {
    Activity {
        kind: Some(kind.to_owned()),
        name: Some(name.to_owned()),
        idnumber: idnumber.map(str::to_owned),
        source_cmid: Some(1),
    }
}

fn template(name: &str) -> Template {
    let (details, background) = demo::template_content(name).expect("a demo template");
    Template {
        name: name.to_owned(),
        details: details
            .iter()
            .map(|(kind, data)| TemplateDetail {
                kind: (*kind).to_owned(),
                data: (*data).to_owned(),
            })
            .collect(),
        background: background.map(|(filename, bytes)| Background {
            filename: filename.to_owned(),
            mimetype: "image/png".to_owned(),
            size: bytes.len() as i64,
            sha1: sha1::Sha1::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
        }),
    }
}

fn learner(email: &str, username: &str) -> Learner {
    Learner {
        email: email.to_owned(),
        username: Some(username.to_owned()),
        idnumber: None,
        selected: Some(1),
        predelete: Some(1),
        resultcriteria: Some("new".to_owned()),
    }
}

/// The demo's "Licence Chimie S1 2026" as a format-2 document.
fn chimie() -> Document {
    let m = |course: &str, section, position, activity, minutes| Milestone {
        course: course.to_owned(),
        section,
        position,
        name: activity_name(&activity),
        activity,
        creditedtime: minutes,
        timemodified: Some(1_781_514_000),
    };
    let mut document = Document {
        format: v2::FORMAT.to_owned(),
        version: v2::VERSION,
        created: "2026-11-28T10:00:00Z".to_owned(),
        generator: "attestoodle-backup test".to_owned(),
        source: Source {
            wwwroot: Some("https://moodle.univ-demo.fr".to_owned()),
            source_training_id: 1,
        },
        training: Training {
            name: TRAINING.to_owned(),
            category: Category {
                name: Some("Licence Chimie".to_owned()),
                idnumber: Some("UDEMO-SCI-LCHIM".to_owned()),
                path: vec![
                    "Université Démo".to_owned(),
                    "Faculté des Sciences".to_owned(),
                    "Licence Chimie".to_owned(),
                ],
                source_id: 4,
            },
            startdate: SEPT_2026,
            enddate: Some(JAN_2027),
            duration: Some(6000),
            nbautolaunch: Some(0),
            nextlaunch: Some(0),
            checklearner: None,
            template: Some("Site".to_owned()),
            grpcriteria1: Some("coursename".to_owned()),
            grpcriteria2: None,
        },
        milestones: vec![
            m(
                "CHIM101",
                1,
                0,
                activity("page", "Cours : structure de l'atome", None),
                90,
            ),
            m(
                "CHIM101",
                1,
                1,
                activity("quiz", "Quiz : atomes et molécules", None),
                30,
            ),
            m(
                "CHIM101",
                2,
                0,
                activity("assign", "Devoir : rapport de TP n°1", None),
                240,
            ),
            m(
                "CHIM101",
                2,
                1,
                activity("quiz", "Quiz : liaisons covalentes et ioniques", None),
                30,
            ),
            m(
                "CHIM101",
                4,
                1,
                activity(
                    "assign",
                    "Devoir : compte rendu final",
                    Some("CHIM101-FINAL"),
                ),
                300,
            ),
            m(
                "CHIM102",
                1,
                1,
                activity("quiz", "Quiz : nomenclature", None),
                45,
            ),
            m(
                "CHIM102",
                2,
                0,
                activity("page", "Cours : mécanismes réactionnels", None),
                120,
            ),
            m(
                "CHIM102",
                3,
                0,
                activity("assign", "TP 1 : synthèse de l'aspirine", Some("TP1")),
                180,
            ),
            m(
                "CHIM102",
                3,
                1,
                activity("assign", "TP 2 : extraction de la caféine", Some("TP2")),
                180,
            ),
        ],
        templates: vec![template("Attestation FC"), template("Site")],
        learners: vec![
            // Stored as `Camille.Martin@Etu.Univ-Demo.fr`: emails compare case-insensitively.
            learner("camille.martin@etu.univ-demo.fr", "camille.martin"),
            learner("lea.bernard@etu.univ-demo.fr", "lea.bernard"),
            learner("hugo.dubois@etu.univ-demo.fr", "hugo.dubois"),
            learner("chloe.thomas@etu.univ-demo.fr", "chloe.thomas"),
            learner("louis.robert@etu.univ-demo.fr", "louis.robert"),
            learner("manon.richard@etu.univ-demo.fr", "manon.richard"),
            learner("nathan.petit@etu.univ-demo.fr", "nathan.petit"),
            learner("ines.durand@etu.univ-demo.fr", "ines.durand"),
            learner("jules.leroy@etu.univ-demo.fr", "jules.leroy"),
            learner("sarah.moreau@etu.univ-demo.fr", "sarah.moreau"),
            // Two accounts share this address: the username picks one.
            learner("famille.lefebvre@exemple.fr", "julien.lefebvre"),
            learner("arthur.michel@etu.univ-demo.fr", "arthur.michel"),
        ],
        learner_styles: vec![
            LearnerStyle {
                email: "louis.robert@etu.univ-demo.fr".to_owned(),
                username: Some("louis.robert".to_owned()),
                template: "Site".to_owned(),
                grpcriteria1: Some("coursename".to_owned()),
                grpcriteria2: None,
                enablecertificate: Some(0),
                withdateformat: None,
            },
            LearnerStyle {
                email: "sarah.moreau@etu.univ-demo.fr".to_owned(),
                username: Some("sarah.moreau".to_owned()),
                template: "Attestation FC".to_owned(),
                grpcriteria1: Some("type".to_owned()),
                grpcriteria2: Some("name".to_owned()),
                enablecertificate: Some(1),
                withdateformat: None,
            },
        ],
        planning: Some(Vec::new()),
        signature: None,
    };
    v2::sort(&mut document);
    document
}

fn activity_name(activity: &Activity) -> Option<String> {
    activity.name.clone()
}

fn options(mode: Mode) -> RestoreOptions {
    RestoreOptions::new(mode, Provenance::Trusted("0123456789abcdef".to_owned()))
}

fn clone_options() -> RestoreOptions {
    let mut options = options(Mode::Clone);
    options.rename.suffix = Some("_2027".to_owned());
    options
}

fn codes(plan: &Plan, severity: Severity) -> Vec<Code> {
    plan.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code)
        .collect()
}

async fn open(db: &TestDb) -> Site {
    Site::open(&db.target()).await.expect("open the site")
}

/// The id of the course with this short name.
async fn course_id(site: &Site, shortname: &str) -> i64 {
    let rows = site
        .courses_by_shortname(&[shortname.to_owned()])
        .await
        .expect("courses");
    assert_eq!(rows.len(), 1, "{shortname}");
    rows[0].id
}

fn accept_all(plan: &Plan) -> Accepted {
    Accepted::new(plan.needs_accept())
}

// Scenario 3: clone onto the suffixed courses.
#[tokio::test]
async fn clone_links_every_milestone_to_the_suffixed_courses() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let plan = restore::precheck(&site, &chimie(), &clone_options())
            .await
            .expect("precheck");
        let name = backend.name();
        assert!(
            codes(&plan, Severity::Blocking).is_empty(),
            "{name}: {:?}",
            plan.findings
        );
        assert!(
            codes(&plan, Severity::NeedsAccept).is_empty(),
            "{name}: {:?}",
            plan.findings
        );
        assert!(
            codes(&plan, Severity::Info).contains(&Code::LearnersLeftOut),
            "{name}"
        );
        assert_eq!(plan.training.name, "Licence Chimie S1 2026_2027");
        assert_eq!(plan.training.action, TrainingAction::Create);
        let category = plan.training.category.as_ref().expect("a category");
        assert_eq!(category.matched_by, "idnumber", "{name}");
        let chim101 = course_id(&site, "CHIM101_2027").await;
        let chim102 = course_id(&site, "CHIM102_2027").await;
        for m in &plan.milestones {
            assert_eq!(m.status, Status::Write, "{name}: {m:?}");
            let expected = if m.course == "CHIM101" {
                chim101
            } else {
                chim102
            };
            assert_eq!(m.course_id, Some(expected), "{name}: {m:?}");
            assert_eq!(
                m.name, m.activity,
                "{name}: the name is the target activity's"
            );
        }
        assert!(plan.learners.is_empty());
        assert!(plan
            .templates
            .iter()
            .all(|t| t.action == TemplateAction::Reuse));

        let report = restore::apply(&site, &plan, &Accepted::default(), &ApplyOptions::default())
            .await
            .expect("apply");
        assert_eq!(report.action, "created");
        assert_eq!(report.written.milestones, 9, "{name}");
        assert_eq!(report.written.learners, 0, "{name}");
        let id = report.training_id.expect("a real run names its training");
        assert!(report
            .page
            .as_deref()
            .is_some_and(|page| page.contains(&format!("trainingid={id}"))));
        assert_eq!(report.url.as_deref(), None, "a --db site has no wwwroot");
        let list = site.list_trainings().await.expect("list");
        let clone = list
            .trainings
            .iter()
            .find(|t| t.name.as_deref() == Some("Licence Chimie S1 2026_2027"))
            .expect("the clone is listed");
        assert_eq!((clone.milestones, clone.learners), (9, 0), "{name}");
        assert_eq!(clone.template.as_deref(), Some("Site"));
        assert_eq!(clone.id, id);

        // The same clone again is refused: a clone never replaces.
        let again = restore::precheck(&site, &chimie(), &clone_options())
            .await
            .expect("precheck");
        assert!(
            codes(&again, Severity::Blocking).contains(&Code::TrainingExists),
            "{name}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Scenario 4: one course missing and one activity moved.
#[tokio::test]
async fn a_missing_course_and_a_moved_activity_give_the_right_findings_and_skips() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let chim101 = course_id(&site, "CHIM101_2027").await;
        let chim102 = course_id(&site, "CHIM102_2027").await;
        let (sections, modules) = site.course_structure(&[chim101]).await.expect("structure");
        let quiz = modules
            .iter()
            .find(|m| m.name.as_deref() == Some("Quiz : atomes et molécules"))
            .expect("the quiz")
            .cmid;
        let section = |n: i64| {
            sections
                .iter()
                .find(|s| s.section == n)
                .expect("a section")
                .clone()
        };
        let (one, three) = (section(1), section(3));
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        // Move the quiz from section 1 to the empty section 3, and take CHIM102_2027 away.
        let rest: Vec<String> = one
            .sequence
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|id| *id != quiz.to_string())
            .map(str::to_owned)
            .collect();
        w.update("course_sections", one.id, "sequence", rest.join(",").into())
            .await
            .expect("update");
        w.update(
            "course_sections",
            three.id,
            "sequence",
            quiz.to_string().into(),
        )
        .await
        .expect("update");
        w.update(
            "course",
            chim102,
            "shortname",
            "CHIM102_2027_archive".into(),
        )
        .await
        .expect("update");
        w.commit().await.expect("commit");

        let before = snapshot(&site).await;
        let plan = restore::precheck(&site, &chimie(), &clone_options())
            .await
            .expect("precheck");
        assert_eq!(
            codes(&plan, Severity::NeedsAccept),
            vec![Code::MissingCourse],
            "{name}"
        );
        assert!(
            codes(&plan, Severity::Info).contains(&Code::ActivityMoved),
            "{name}"
        );
        let moved = plan
            .milestones
            .iter()
            .find(|m| m.finding == Some(Code::ActivityMoved))
            .expect("the moved milestone");
        assert_eq!(
            (moved.section, moved.position, moved.cmid),
            (1, 1, Some(quiz))
        );
        assert_eq!(moved.status, Status::Write);

        let refused =
            restore::apply(&site, &plan, &Accepted::default(), &ApplyOptions::default()).await;
        match refused {
            Err(RestoreError::Refused {
                blocking,
                unaccepted,
            }) => {
                assert!(blocking.is_empty());
                assert_eq!(unaccepted, vec![Code::MissingCourse]);
            }
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
        assert_eq!(
            snapshot(&site).await,
            before,
            "{name}: a refusal writes nothing"
        );

        let report = restore::apply(
            &site,
            &plan,
            &Accepted::new([Code::MissingCourse]),
            &ApplyOptions::default(),
        )
        .await
        .expect("apply");
        assert_eq!(report.written.milestones, 5, "{name}");
        let skipped: Vec<_> = report
            .skipped
            .iter()
            .filter(|s| s.kind == "milestone")
            .collect();
        assert_eq!(skipped.len(), 4, "{name}");
        assert!(skipped.iter().all(|s| s.code == Some(Code::MissingCourse)));
        assert!(skipped
            .iter()
            .all(|s| s.subject.starts_with("CHIM102_2027 ")));
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// Signs a document with a fresh key and gives the file text.
fn signed_text(document: &Document) -> String {
    let key = attestoodle_backup::document::keys::generate();
    let mut document = document.clone();
    signature::sign(&mut document, &key);
    v2::to_text(&document)
}

/// Runs the binary on a test database with its own key directory (nothing trusted).
fn run(db: &TestDb, keys: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--db", &db.url, "--prefix", &db.prefix];
    full.extend_from_slice(args);
    common::tool_command(common::binary(), db.dir.path(), keys)
        .args(&full)
        .output()
        .expect("run attestoodle-backup")
}

// Scenario 5: a tampered file is refused before any precheck, and nothing changes.
#[tokio::test]
async fn a_tampered_file_exits_3_and_changes_nothing() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let keys = tempfile::tempdir().expect("a key directory");
        let before = snapshot(&site).await;
        let text =
            signed_text(&chimie()).replacen("\"creditedtime\": 90", "\"creditedtime\": 900", 1);
        assert!(text.contains("900"));
        let file = db.dir.path().join("tampered.json");
        std::fs::write(&file, text).expect("write the file");
        for command in [
            vec![
                "restore",
                "tampered.json",
                "--yes",
                "--accept",
                "replace-training,untrusted-signer",
            ],
            vec![
                "clone",
                "tampered.json",
                "--suffix",
                "_2027",
                "--yes",
                "--accept",
                "untrusted-signer",
            ],
        ] {
            let output = run(&db, keys.path(), &command);
            assert_eq!(
                output.status.code(),
                Some(3),
                "{}: {}",
                backend.name(),
                stderr(&output)
            );
            assert!(stderr(&output).contains("signature"), "{}", stderr(&output));
        }
        assert_eq!(snapshot(&site).await, before, "{}", backend.name());
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// The command line: refusal with the codes to accept (exit 4), then apply with them.
#[tokio::test]
async fn the_command_line_lists_the_codes_to_accept_then_applies_with_them() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let keys = tempfile::tempdir().expect("a key directory");
        let name = backend.name();
        std::fs::write(db.dir.path().join("chimie.json"), signed_text(&chimie()))
            .expect("write the file");
        let output = run(
            &db,
            keys.path(),
            &["clone", "chimie.json", "--suffix", "_2027"],
        );
        assert_eq!(output.status.code(), Some(4), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("--yes --accept untrusted-signer"),
            "{name}: {}",
            stderr(&output)
        );

        let output = run(
            &db,
            keys.path(),
            &[
                "--json",
                "clone",
                "chimie.json",
                "--suffix",
                "_2027",
                "--dry-run",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        assert_eq!(json["outcome"], "dry-run");
        assert_eq!(json["report"]["written"]["milestones"], 9);
        assert_eq!(json["to_accept"], serde_json::json!(["untrusted-signer"]));
        assert_eq!(
            json["plan"]["training"]["name"],
            "Licence Chimie S1 2026_2027"
        );
        let list = run(&db, keys.path(), &["list", "--json"]);
        let listed: serde_json::Value = serde_json::from_str(&stdout(&list)).expect("JSON");
        assert_eq!(
            listed.as_array().map(Vec::len),
            Some(3),
            "{name}: a dry run writes nothing"
        );

        let output = run(
            &db,
            keys.path(),
            &[
                "clone",
                "chimie.json",
                "--suffix",
                "_2027",
                "--yes",
                "--accept",
                "untrusted-signer",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Training created."),
            "{}",
            stdout(&output)
        );
        assert!(
            stdout(&output).contains("typepage=trainingmanagement"),
            "{}",
            stdout(&output)
        );

        // An unsigned file needs `unsigned`; a restore onto the existing name needs
        // `replace-training`.
        std::fs::write(db.dir.path().join("plain.json"), v2::to_text(&chimie())).expect("write");
        let output = run(&db, keys.path(), &["restore", "plain.json", "--yes"]);
        assert_eq!(output.status.code(), Some(4), "{name}");
        assert!(
            stderr(&output).contains("--accept unsigned,replace-training"),
            "{name}: {}",
            stderr(&output)
        );
        let output = run(
            &db,
            keys.path(),
            &[
                "restore",
                "plain.json",
                "--yes",
                "--accept",
                "unsigned,replace-training",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Training replaced."),
            "{}",
            stdout(&output)
        );
        db.drop_database().await;
    })
    .await;
}

// Scenario 6: a failure midway through apply, or a connection the server drops, leaves nothing
// behind.
#[tokio::test]
async fn a_failure_injected_midway_or_a_dropped_connection_changes_zero_rows() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let before = snapshot(&site).await;
        let mut replace = options(Mode::Restore);
        replace.template = attestoodle_backup::restore::TemplateMode::Copy("Site 2027".to_owned());
        for (options, label) in [(replace, "replace"), (clone_options(), "clone")] {
            let plan = restore::precheck(&site, &chimie(), &options)
                .await
                .expect("precheck");
            let accepted = accept_all(&plan);
            // Count the writes of a full run, then fail at every step of it.
            let trial = restore::apply(
                &site,
                &plan,
                &accepted,
                &ApplyOptions {
                    dry_run: true,
                    ..ApplyOptions::default()
                },
            )
            .await
            .expect("a dry run");
            assert!(
                trial.statements >= 3,
                "{name} {label}: {}",
                trial.statements
            );
            assert_eq!(
                snapshot(&site).await,
                before,
                "{name} {label}: a dry run writes nothing"
            );
            // Each failure twice: an error, and the server dropping the connection.
            for (after, drop_connection) in
                (0..trial.statements).flat_map(|after| [(after, false), (after, true)])
            {
                let result = restore::apply(
                    &site,
                    &plan,
                    &accepted,
                    &ApplyOptions {
                        dry_run: false,
                        fail_after_statements: Some(after),
                        drop_connection,
                    },
                )
                .await;
                assert!(
                    matches!(
                        result,
                        Err(RestoreError::Database(
                            attestoodle_backup::moodle::Error::InjectedFailure { .. }
                        ))
                    ),
                    "{name} {label} {after} {drop_connection}: {result:?}"
                );
                assert_eq!(
                    snapshot(&site).await,
                    before,
                    "{name} {label}: after {after}, dropped {drop_connection}"
                );
            }
        }
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Scenario 7: two restores of one file at the same time make one training.
#[tokio::test]
async fn two_concurrent_restores_make_one_training() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let (a, b) = (open(&db).await, open(&db).await);
        let name = backend.name();
        let mut options = options(Mode::Restore);
        options.rename.name = Some("Chimie en double".to_owned());
        let plan_a = restore::precheck(&a, &chimie(), &options)
            .await
            .expect("precheck");
        let plan_b = restore::precheck(&b, &chimie(), &options)
            .await
            .expect("precheck");
        assert_eq!(plan_a.training.action, TrainingAction::Create);
        assert_eq!(plan_b.training.action, TrainingAction::Create);
        let (accepted_a, accepted_b) = (accept_all(&plan_a), accept_all(&plan_b));
        let none = ApplyOptions::default();
        let (ra, rb) = tokio::join!(
            restore::apply(&a, &plan_a, &accepted_a, &none),
            restore::apply(&b, &plan_b, &accepted_b, &none)
        );
        let ok = [ra.is_ok(), rb.is_ok()].iter().filter(|x| **x).count();
        assert_eq!(ok, 1, "{name}: {ra:?} / {rb:?}");
        for result in [ra, rb] {
            if let Err(error) = result {
                assert!(
                    matches!(error, RestoreError::Conflict { .. }),
                    "{name}: {error:?}"
                );
            }
        }
        let named = a.trainings_named("Chimie en double").await.expect("read");
        assert_eq!(named.len(), 1, "{name}");
        a.close().await;
        b.close().await;
        db.drop_database().await;
    })
    .await;
}

// Scenario 2: courses deleted and restored with new ids on the same site.
#[tokio::test]
async fn restore_relinks_milestones_to_courses_restored_with_new_ids() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let old101 = course_id(&site, "CHIM101").await;
        let old102 = course_id(&site, "CHIM102").await;
        let new101 = course_id(&site, "CHIM101_2027").await;
        let new102 = course_id(&site, "CHIM102_2027").await;
        // Delete the courses as Moodle does (course, sections, modules); their copies come
        // back under the old short names, with new ids.
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        for id in [old101, old102] {
            w.delete_where("course_modules", "course", Param::Int(id))
                .await
                .expect("delete");
            w.delete_where("course_sections", "course", Param::Int(id))
                .await
                .expect("delete");
            w.delete_where("course", "id", Param::Int(id))
                .await
                .expect("delete");
        }
        w.update("course", new101, "shortname", "CHIM101".into())
            .await
            .expect("rename");
        w.update("course", new102, "shortname", "CHIM102".into())
            .await
            .expect("rename");
        w.commit().await.expect("commit");

        let plan = restore::precheck(&site, &chimie(), &options(Mode::Restore))
            .await
            .expect("precheck");
        assert_eq!(
            codes(&plan, Severity::Blocking),
            Vec::<Code>::new(),
            "{name}: {:?}",
            plan.findings
        );
        assert_eq!(
            plan.needs_accept().into_iter().collect::<Vec<_>>(),
            vec![Code::ReplaceTraining]
        );
        let existing = plan.training.existing_id.expect("the training is replaced");
        for m in &plan.milestones {
            assert_eq!(m.status, Status::Write, "{name}: {m:?}");
            let expected = if m.course == "CHIM101" {
                new101
            } else {
                new102
            };
            assert_eq!(m.course_id, Some(expected), "{name}");
        }
        // Shared email: the username picks julien; the suspended account is restored.
        let julien = plan
            .learners
            .iter()
            .find(|l| l.email == "famille.lefebvre@exemple.fr")
            .expect("julien");
        assert_eq!(julien.status, Status::Write);
        assert!(codes(&plan, Severity::Info).contains(&Code::SuspendedLearner));
        let report = restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default())
            .await
            .expect("apply");
        assert_eq!(report.action, "replaced");
        assert_eq!(
            report.training_id,
            Some(existing),
            "{name}: replace keeps the id"
        );
        assert_eq!(
            (
                report.written.milestones,
                report.written.learners,
                report.written.learner_styles
            ),
            (9, 12, 2),
            "{name}"
        );
        let list = site.list_trainings().await.expect("list");
        let training = list
            .trainings
            .iter()
            .find(|t| t.id == existing)
            .expect("listed");
        assert_eq!((training.milestones, training.learners), (9, 12), "{name}");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Scenario 1 with a hand-built document (tests/roundtrip.rs has it with the real save): site B
// has other ids for everything.
#[tokio::test]
async fn restore_on_another_site_with_other_ids_creates_the_same_definition() {
    for_each_backend(|backend| async move {
        // Rows made before the demo content shift every id the demo then gets.
        let db = TestDb::seeded_with_other_ids(&backend).await;
        let site = open(&db).await;
        let name = backend.name();
        let mut options = options(Mode::Restore);
        options.rename.name = Some("Licence Chimie (site B)".to_owned());
        let plan = restore::precheck(&site, &chimie(), &options)
            .await
            .expect("precheck");
        assert!(plan.blocking().is_empty(), "{name}: {:?}", plan.findings);
        assert!(
            plan.needs_accept().is_empty(),
            "{name}: {:?}",
            plan.findings
        );
        assert!(plan.milestones.iter().all(|m| m.status == Status::Write));
        assert!(plan.learners.iter().all(|l| l.status == Status::Write));
        let report = restore::apply(&site, &plan, &Accepted::default(), &ApplyOptions::default())
            .await
            .expect("apply");
        assert_eq!(
            (
                report.written.milestones,
                report.written.learners,
                report.written.learner_styles
            ),
            (9, 12, 2),
            "{name}"
        );
        assert_eq!(
            report.templates.reused,
            vec!["Site", "Attestation FC"],
            "{name}"
        );
        let list = site.list_trainings().await.expect("list");
        let original = list
            .trainings
            .iter()
            .find(|t| t.name.as_deref() == Some(TRAINING))
            .expect("demo");
        let restored = list
            .trainings
            .iter()
            .find(|t| Some(t.id) == report.training_id)
            .expect("restored");
        assert_eq!(
            (
                restored.category_id,
                restored.milestones,
                restored.learners,
                &restored.template
            ),
            (
                original.category_id,
                original.milestones,
                original.learners,
                &original.template
            ),
            "{name}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn the_precheck_names_every_refusal_rule() {
    let db = TestDb::seeded(&common::TestBackend::Sqlite, "mdl_").await;
    let site = open(&db).await;
    let mut document = chimie();
    document.training.name = "Chimie 2026/2027".to_owned();
    document.training.grpcriteria2 = Some("coursename".to_owned());
    document.training.enddate = Some(SEPT_2026 - 1);
    document.training.category.idnumber = None;
    document.training.category.path = vec!["Nulle part".to_owned()];
    document.training.category.source_id = 999;
    let plan = restore::precheck(&site, &document, &options(Mode::Restore))
        .await
        .expect("precheck");
    let blocking = codes(&plan, Severity::Blocking);
    for code in [
        Code::InvalidName,
        Code::SameGrouping,
        Code::DatesReversed,
        Code::CategoryMissing,
    ] {
        assert!(blocking.contains(&code), "{code}: {blocking:?}");
    }
    let invalid = plan
        .findings
        .iter()
        .find(|f| f.code == Code::InvalidName)
        .expect("finding");
    assert!(
        invalid.en.contains("--name 'Chimie 2026 - 2027'"),
        "{}",
        invalid.en
    );
    assert!(!invalid.fr.is_empty());
    assert!(matches!(
        restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default()).await,
        Err(RestoreError::Refused { .. })
    ));

    // --category fixes the category; a missing learner and a new template follow the rules.
    let mut document = chimie();
    document
        .learners
        .push(learner("personne@nulle-part.fr", "personne"));
    // The same account twice (emails differ in case only): written once.
    document
        .learners
        .push(learner("CAMILLE.MARTIN@ETU.UNIV-DEMO.FR", "camille.martin"));
    // A shared address whose username picks no account.
    document
        .learners
        .push(learner("famille.lefebvre@exemple.fr", "quelquun"));
    document.templates[0].name = "Attestation FC 2027".to_owned();
    document.learner_styles[1].template = "Attestation FC 2027".to_owned();
    document.training.category.idnumber = None;
    document.training.category.path = Vec::new();
    let mut with_category = options(Mode::Restore);
    with_category.category = Some("UDEMO-SCI-LCHIM".to_owned());
    with_category.rename.name = Some("Chimie bis".to_owned());
    let plan = restore::precheck(&site, &document, &with_category)
        .await
        .expect("precheck");
    assert!(plan.blocking().is_empty(), "{:?}", plan.findings);
    assert_eq!(
        plan.needs_accept().into_iter().collect::<Vec<_>>(),
        vec![
            Code::MissingLearner,
            Code::AmbiguousLearner,
            Code::BackgroundSkipped
        ],
        "no file store on a --db test site"
    );
    let created = plan
        .templates
        .iter()
        .find(|t| t.target_name == "Attestation FC 2027")
        .expect("template");
    assert_eq!(created.action, TemplateAction::Create);
    let report = restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default())
        .await
        .expect("apply");
    assert_eq!(report.templates.created, vec!["Attestation FC 2027"]);
    assert_eq!(report.written.learners, 12);
    assert!(report
        .skipped
        .iter()
        .any(|s| s.kind == "learner" && s.code == Some(Code::MissingLearner)));
    assert!(codes(&plan, Severity::Info).contains(&Code::DuplicateLearner));
    let learners = fixture::int_column(&site, "tool_attestoodle_learner", "userid")
        .await
        .expect("read");
    let mine: Vec<_> = learners.iter().rev().take(12).collect();
    let distinct: std::collections::BTreeSet<_> = mine.iter().collect();
    assert_eq!(distinct.len(), 12, "no duplicate learner rows");
    site.close().await;
    db.drop_database().await;
}

#[test]
fn plan_json_has_the_documented_shape() {
    // The keys the README documents for scripts; a change here is a change of interface.
    let finding = attestoodle_backup::restore::Finding::new(
        Code::MissingCourse,
        Severity::NeedsAccept,
        vec!["course X".to_owned()],
        "en",
        "fr",
    );
    let value = serde_json::to_value(&finding).expect("JSON");
    assert_eq!(
        value,
        serde_json::json!({"code": "missing-course", "severity": "needs-accept", "subjects": ["course X"], "en": "en", "fr": "fr"})
    );
}

#[tokio::test]
async fn planning_rows_are_restored_shifted_with_the_operator_and_launches_follow() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let mut document = chimie();
        let row = |executiondate| v2::Planning {
            executiondate,
            beginperiod: SEPT_2026,
            endperiod: JAN_2027,
            mailto: Some("formation@univ-demo.fr".to_owned()),
            auto: Some(1),
            togenerate: Some(1),
        };
        document.planning = Some(vec![row(SEPT_2026), row(JAN_2027)]);
        let mut options = clone_options();
        options.shift = Some(restore::DateShift::Days(365));
        // "Now" between the two shifted runs: the first is past, the second still to come.
        options.now = SEPT_2026 + 365 * 86_400 + 1;
        let plan = restore::precheck(&site, &document, &options)
            .await
            .expect("precheck");
        assert_eq!(plan.planning.action, "restore", "{name}");
        let dates: Vec<(i64, i64)> = plan
            .planning
            .rows
            .iter()
            .map(|r| (r.executiondate, r.togenerate))
            .collect();
        let year = 365 * 86_400;
        assert_eq!(
            dates,
            vec![(SEPT_2026 + year, 0), (JAN_2027 + year, 1)],
            "{name}"
        );
        assert_eq!(plan.training.startdate, SEPT_2026 + year);
        assert_eq!(plan.training.enddate, Some(JAN_2027 + year));
        assert_eq!(
            (plan.training.nbautolaunch, plan.training.nextlaunch),
            (2, JAN_2027 + year)
        );
        assert!(
            plan.planning.operator_id.is_some(),
            "{name}: the first site administrator"
        );
        let report = restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default())
            .await
            .expect("apply");
        assert_eq!(report.written.planning, 2, "{name}");
        let launches = fixture::int_column(&site, "tool_attestoodle_training", "nbautolaunch")
            .await
            .expect("read");
        assert_eq!(launches.last(), Some(&Some(2)), "{name}");

        // Without planning rows in the file, the launches are reset.
        let mut options = options.clone();
        options.rename.suffix = Some("_2028".to_owned());
        options.rename.courses = [("CHIM101", "CHIM101_2027"), ("CHIM102", "CHIM102_2027")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let mut document = chimie();
        document.training.nbautolaunch = Some(4);
        document.training.nextlaunch = Some(JAN_2027);
        let plan = restore::precheck(&site, &document, &options)
            .await
            .expect("precheck");
        assert_eq!(plan.training.name, "Licence Chimie S1 2026_2028");
        assert!(
            plan.milestones.iter().all(|m| m.status == Status::Write),
            "{name}"
        );
        assert_eq!(plan.planning.action, "reset");
        assert_eq!(
            (plan.training.nbautolaunch, plan.training.nextlaunch),
            (0, 0)
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// A legacy file of the PHP plugin is mapped to format 2 and needs `legacy-checksum`.
#[tokio::test]
async fn a_legacy_file_is_restored_through_the_migration_with_its_own_finding() {
    let db = TestDb::seeded(&common::TestBackend::Sqlite, "mdl_").await;
    let keys = tempfile::tempdir().expect("a key directory");
    let vector = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-simple.json"
    );
    let output = run(&db, keys.path(), &["restore", vector]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("legacy-checksum"),
        "{}",
        stdout(&output)
    );
    // The file knows its category by id alone (3): here that id is a category of another
    // name, which the operator must accept or replace with --category.
    assert!(
        stdout(&output).contains("category-by-id")
            && stdout(&output).contains("Université Démo / Faculté des Sciences"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("category-by-id"),
        "{}",
        stderr(&output)
    );
    let output = run(
        &db,
        keys.path(),
        &[
            "--json",
            "restore",
            vector,
            "--category",
            "UDEMO",
            "--dry-run",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(json["outcome"], "dry-run");
    assert_eq!(json["to_accept"][0], "legacy-checksum");
    let tampered = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-tampered.json"
    );
    let output = run(&db, keys.path(), &["restore", tampered, "--yes"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    db.drop_database().await;
}

/// The keys of an object, sorted.
fn keys_of(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

// The plan and report JSON are a stable interface (README "JSON output"): these are its keys.
#[tokio::test]
async fn plan_and_report_json_keep_their_documented_keys() {
    let db = TestDb::seeded(&common::TestBackend::Sqlite, "mdl_").await;
    let site = open(&db).await;
    let mut options = options(Mode::Restore);
    options.rename.name = Some("Clés JSON".to_owned());
    let plan = restore::precheck(&site, &chimie(), &options)
        .await
        .expect("precheck");
    let report = restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default())
        .await
        .expect("apply");
    let plan = serde_json::to_value(&plan).expect("JSON");
    let report = serde_json::to_value(&report).expect("JSON");
    let expect = |value: &serde_json::Value, keys: &[&str]| {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort();
        assert_eq!(keys_of(value), keys, "{value}");
    };
    expect(
        &plan,
        &[
            "mode",
            "source",
            "training",
            "milestones",
            "templates",
            "learners",
            "learner_styles",
            "planning",
            "findings",
        ],
    );
    expect(
        &plan["source"],
        &["name", "wwwroot", "source_training_id", "created"],
    );
    expect(
        &plan["training"],
        &[
            "name",
            "action",
            "existing_id",
            "category",
            "startdate",
            "enddate",
            "duration",
            "checklearner",
            "nbautolaunch",
            "nextlaunch",
            "date_shift_days",
            "template",
            "grpcriteria1",
            "grpcriteria2",
        ],
    );
    expect(&plan["training"]["category"], &["id", "path", "matched_by"]);
    expect(
        &plan["milestones"][0],
        &[
            "course",
            "target_course",
            "section",
            "position",
            "activity",
            "kind",
            "creditedtime",
            "status",
            "course_id",
            "cmid",
            "name",
            "target_kind",
            "finding",
            "how",
        ],
    );
    expect(
        &plan["templates"][0],
        &["name", "target_name", "action", "id", "background"],
    );
    expect(
        &plan["learners"][0],
        &[
            "email", "username", "status", "userid", "account", "finding", "how",
        ],
    );
    expect(
        &plan["learner_styles"][0],
        &[
            "email", "username", "template", "status", "userid", "finding",
        ],
    );
    expect(&plan["planning"], &["action", "rows", "operator_id"]);
    expect(
        &plan["findings"][0],
        &["code", "severity", "subjects", "en", "fr"],
    );
    expect(
        &report,
        &[
            "dry_run",
            "action",
            "training_id",
            "training_name",
            "category_id",
            "page",
            "url",
            "written",
            "templates",
            "skipped",
            "accepted",
            "statements",
        ],
    );
    expect(
        &report["written"],
        &["milestones", "learners", "learner_styles", "planning"],
    );
    expect(
        &report["templates"],
        &["created", "replaced", "reused", "backgrounds_stored"],
    );
    site.close().await;
    db.drop_database().await;
}

/// The JSON of a command's stdout.
fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("JSON: {e}\n{}\n{}", stdout(output), stderr(output)))
}

/// Sets a row of Moodle's `config` table, as an administrator's setting would.
async fn set_config(site: &Site, name: &str, value: Option<&str>) {
    let mut w = fixture::Writer::begin(site).await.expect("write");
    w.delete_where("config", "name", name.into())
        .await
        .expect("delete");
    if let Some(value) = value {
        w.insert("config", &[("name", name.into()), ("value", value.into())])
            .await
            .expect("insert");
    }
    w.commit().await.expect("commit");
}

// Issue 10, item 2: a restore or clone that would write no milestone is refused.
#[tokio::test]
async fn a_training_that_would_get_no_milestone_is_refused_with_nothing_to_restore() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let before = snapshot(&site).await;

        // Every course missing: the README's clone with --accept missing-course, a year on.
        let mut next = options(Mode::Clone);
        next.rename.suffix = Some("_2028".to_owned());
        let plan = restore::precheck(&site, &chimie(), &next)
            .await
            .expect("precheck");
        assert_eq!(
            codes(&plan, Severity::Blocking),
            vec![Code::NothingToRestore],
            "{name}"
        );
        let finding = plan
            .findings
            .iter()
            .find(|f| f.code == Code::NothingToRestore)
            .expect("the finding");
        assert!(
            finding.en.contains("none of the file's 9 milestone(s)")
                && finding.en.contains("CHIM101_2028, CHIM102_2028"),
            "{name}: {}",
            finding.en
        );
        assert!(
            finding.fr.contains("aucun cours du fichier"),
            "{}",
            finding.fr
        );
        assert!(matches!(
            restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default()).await,
            Err(RestoreError::Refused { .. })
        ));

        // Every activity unmatched: the courses are there, the activities are not.
        let mut document = chimie();
        for m in &mut document.milestones {
            m.activity.name = Some(format!("Autre {}", m.position));
        }
        let plan = restore::precheck(&site, &document, &clone_options())
            .await
            .expect("precheck");
        let finding = plan
            .findings
            .iter()
            .find(|f| f.code == Code::NothingToRestore)
            .unwrap_or_else(|| panic!("{name}: {:?}", plan.findings));
        assert_eq!(finding.severity, Severity::Blocking);
        assert!(
            finding.en.contains("no activity of the file is matched"),
            "{name}: {}",
            finding.en
        );

        // A file with no milestones at all stays restorable, and says so.
        let mut empty = chimie();
        empty.milestones.clear();
        let mut restore_new = options(Mode::Restore);
        restore_new.rename.name = Some("Chimie sans jalon".to_owned());
        let plan = restore::precheck(&site, &empty, &restore_new)
            .await
            .expect("precheck");
        assert!(plan.blocking().is_empty(), "{name}: {:?}", plan.findings);
        assert!(codes(&plan, Severity::Info).contains(&Code::NoMilestones));
        assert_eq!(snapshot(&site).await, before, "{name}");

        // The command line: exit 4, nothing written, even with every code accepted.
        std::fs::write(db.dir.path().join("chimie.json"), signed_text(&chimie()))
            .expect("write the file");
        let keys = tempfile::tempdir().expect("a key directory");
        let output = run(
            &db,
            keys.path(),
            &[
                "clone",
                "chimie.json",
                "--suffix",
                "_2028",
                "--yes",
                "--accept",
                "missing-course,untrusted-signer",
            ],
        );
        assert_eq!(output.status.code(), Some(4), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("[BLOCKING] nothing-to-restore"),
            "{name}: {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains("nothing-to-restore"),
            "{}",
            stderr(&output)
        );
        assert_eq!(snapshot(&site).await, before, "{name}");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

const OLD_NAME: &str = "Langues / Anglais \"B2\" — été 2019";

// Issue 10, item 6: a name made before Attestoodle 1.10.6 (with `/`) is replaced under
// itself; only a new training is refused, with a --name that a POSIX shell takes as it is.
#[tokio::test]
async fn a_training_named_before_1_10_6_is_replaced_under_its_own_name() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let ids = site.find_trainings_by_name(TRAINING).await.expect("find");
        let existing = ids[0];
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        w.update(
            "tool_attestoodle_training",
            existing,
            "name",
            OLD_NAME.into(),
        )
        .await
        .expect("rename");
        w.commit().await.expect("commit");
        let mut document = chimie();
        document.training.name = OLD_NAME.to_owned();

        let plan = restore::precheck(&site, &document, &options(Mode::Restore))
            .await
            .expect("precheck");
        assert!(plan.blocking().is_empty(), "{name}: {:?}", plan.findings);
        assert_eq!(
            plan.needs_accept().into_iter().collect::<Vec<_>>(),
            vec![Code::ReplaceTraining],
            "{name}"
        );
        let kept = plan
            .findings
            .iter()
            .find(|f| f.code == Code::NameKept)
            .expect("an info finding on the name");
        assert_eq!(kept.severity, Severity::Info);
        assert!(
            kept.en.contains("a new training could not take it"),
            "{}",
            kept.en
        );
        let report = restore::apply(&site, &plan, &accept_all(&plan), &ApplyOptions::default())
            .await
            .expect("replace");
        assert_eq!(
            (report.action, report.training_id),
            ("replaced", Some(existing))
        );
        assert_eq!(
            site.find_trainings_by_name(OLD_NAME).await.expect("find"),
            vec![existing],
            "{name}: still one training of that name"
        );

        // A new training of that name (a clone) is refused; the advice is pasteable.
        let mut clone = options(Mode::Clone);
        clone.rename.name = Some(OLD_NAME.to_owned());
        clone.rename.suffix = Some("_2027".to_owned());
        let mut other = document.clone();
        other.training.name = "L'anglais / B2".to_owned();
        let mut renamed = options(Mode::Restore);
        renamed.rename.name = Some("L'anglais / B2".to_owned());
        let plan = restore::precheck(&site, &document, &clone)
            .await
            .expect("precheck");
        let invalid = plan
            .findings
            .iter()
            .find(|f| f.code == Code::InvalidName)
            .unwrap_or_else(|| panic!("{name}: {:?}", plan.findings));
        assert_eq!(invalid.severity, Severity::Blocking);
        assert!(
            invalid
                .en
                .contains("--name 'Langues - Anglais \"B2\" — été 2019'"),
            "{name}: {}",
            invalid.en
        );
        // The web says the advice with its own field (tests/web.rs); what was found names
        // no flag.
        for lang in [Lang::En, Lang::Fr] {
            assert!(!invalid.what(lang).contains("--"), "{}", invalid.what(lang));
        }
        assert!(
            invalid
                .advice
                .iter()
                .any(|a| matches!(a, restore::Advice::Name(Some(p)) if !p.contains('/'))),
            "{:?}",
            invalid.advice
        );
        let plan = restore::precheck(&site, &other, &renamed)
            .await
            .expect("precheck");
        let invalid = plan
            .findings
            .iter()
            .find(|f| f.code == Code::InvalidName)
            .expect("invalid-name");
        let advice = invalid
            .en
            .rsplit_once("--name ")
            .map(|(_, quoted)| quoted.to_owned())
            .expect("the advice");
        assert_eq!(advice, r"'L'\''anglais - B2'");
        // What a POSIX shell makes of the advice: the corrected name, byte for byte.
        let echoed = Command::new("sh")
            .args(["-c", &format!("printf %s {advice}")])
            .output()
            .expect("sh");
        assert_eq!(String::from_utf8_lossy(&echoed.stdout), "L'anglais - B2");

        // `save` says that a new training could not take the name.
        let keys = tempfile::tempdir().expect("a key directory");
        let id = existing.to_string();
        let output = run(
            &db,
            keys.path(),
            &["--json", "save", "--id", &id, "-o", "old.json"],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let saved = json_of(&output);
        assert!(
            saved["saved"][0]["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w["code"] == "training-name-refused")),
            "{name}: {saved}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue 10, item 7: dates in the site's time zone (DECISIONS 17), JSON in Unix seconds.
#[tokio::test]
async fn dates_are_shown_in_the_site_time_zone() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        for (force, zone, expected) in [
            (Some("99"), Some("Europe/London"), Some("Europe/London")),
            (
                Some("America/New_York"),
                Some("Europe/London"),
                Some("America/New_York"),
            ),
            (Some("99"), Some("99"), None),
            (None, None, None),
            (None, Some("Europe/London"), Some("Europe/London")),
        ] {
            set_config(&site, "forcetimezone", force).await;
            set_config(&site, "timezone", zone).await;
            assert_eq!(
                site.time_zone().await.expect("read").as_deref(),
                expected,
                "{name}: {force:?} {zone:?}"
            );
        }
        set_config(&site, "forcetimezone", Some("99")).await;
        set_config(&site, "timezone", Some("Europe/London")).await;
        // 2026-08-31 23:00 UTC: 1 September in London, as Moodle shows it.
        let mut document = chimie();
        document.training.startdate = 1_788_217_200;
        std::fs::write(db.dir.path().join("chimie.json"), signed_text(&document))
            .expect("write the file");
        let keys = tempfile::tempdir().expect("a key directory");
        let dry = ["restore", "chimie.json", "--dry-run"];
        let output = run(&db, keys.path(), &dry);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Dates: 2026-09-01 → 2027-01-31 (Europe/London)"),
            "{name}: {}",
            stdout(&output)
        );
        let fr: Vec<&str> = ["--lang", "fr"].into_iter().chain(dry).collect();
        let output = run(&db, keys.path(), &fr);
        assert!(
            stdout(&output).contains("Dates : 2026-09-01 → 2027-01-31 (Europe/London)"),
            "{name}: {}",
            stdout(&output)
        );
        let json: Vec<&str> = ["--json"].into_iter().chain(dry).collect();
        let output = run(&db, keys.path(), &json);
        assert_eq!(
            json_of(&output)["plan"]["training"]["startdate"],
            1_788_217_200,
            "{name}"
        );
        // Neither setting: UTC, said as such; an unknown zone: UTC, named as unknown.
        set_config(&site, "timezone", None).await;
        let output = run(&db, keys.path(), &dry);
        assert!(
            stdout(&output)
                .contains("Dates: 2026-08-31 → 2027-01-31 (UTC (the site sets no time zone))"),
            "{name}: {}",
            stdout(&output)
        );
        set_config(&site, "timezone", Some("Europe/Lyon")).await;
        let output = run(&db, keys.path(), &fr);
        assert!(
            stdout(&output).contains("le fuseau horaire du site `Europe/Lyon` est inconnu"),
            "{name}: {}",
            stdout(&output)
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue 10, item 8: a dry run does not name the id the rolled-back insert used.
#[tokio::test]
async fn a_dry_run_of_a_new_training_names_no_id() {
    let db = TestDb::seeded(&common::TestBackend::Sqlite, "mdl_").await;
    let keys = tempfile::tempdir().expect("a key directory");
    std::fs::write(db.dir.path().join("chimie.json"), signed_text(&chimie())).expect("write");
    let clone = ["clone", "chimie.json", "--suffix", "_2027"];
    let dry: Vec<&str> = clone.into_iter().chain(["--dry-run"]).collect();
    let output = run(&db, keys.path(), &dry);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("a new training"), "{text}");
    assert!(!text.contains("trainingid="), "{text}");
    let json: Vec<&str> = ["--json"].into_iter().chain(dry.iter().copied()).collect();
    let report = json_of(&run(&db, keys.path(), &json))["report"].clone();
    assert!(report["training_id"].is_null(), "{report}");
    assert!(report["page"].is_null(), "{report}");
    let real: Vec<&str> = ["--json"]
        .into_iter()
        .chain(clone)
        .chain(["--yes", "--accept", "untrusted-signer"])
        .collect();
    let applied = json_of(&run(&db, keys.path(), &real));
    let id = applied["report"]["training_id"].as_i64().expect("an id");
    let list = json_of(&run(&db, keys.path(), &["list", "--json"]));
    assert!(
        list.as_array().is_some_and(|l| l
            .iter()
            .any(|t| t["id"] == id && t["name"] == "Licence Chimie S1 2026_2027")),
        "{list}"
    );
    // A dry run that replaces names the training it would replace.
    let replace = json_of(&run(
        &db,
        keys.path(),
        &["--json", "restore", "chimie.json", "--dry-run"],
    ));
    assert!(replace["report"]["training_id"].is_i64(), "{replace}");
    db.drop_database().await;
}

// Issue 10, item 10: a clone that keeps past dates says so; --shift-dates is bounded.
#[tokio::test]
async fn a_clone_that_keeps_past_dates_says_so_and_shifts_are_bounded() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = open(&db).await;
        let name = backend.name();
        let mut old = chimie();
        // 2019-09-01 → 2020-01-31.
        old.training.startdate = 1_567_296_000;
        old.training.enddate = Some(1_580_428_800);
        let plan = restore::precheck(&site, &old, &clone_options())
            .await
            .expect("precheck");
        let kept = plan
            .findings
            .iter()
            .find(|f| f.code == Code::DatesKept)
            .unwrap_or_else(|| panic!("{name}: {:?}", plan.findings));
        assert_eq!(kept.severity, Severity::Info);
        assert!(kept.en.contains("2020-01-31"), "{}", kept.en);
        assert!(kept.en.contains("--shift-dates"), "{}", kept.en);
        assert!(
            !kept.what(Lang::En).contains("--"),
            "{}",
            kept.what(Lang::En)
        );
        assert_eq!(kept.advice, vec![restore::Advice::Dates]);
        let mut shifted = clone_options();
        shifted.shift = Some(restore::DateShift::Days(2922));
        let plan = restore::precheck(&site, &old, &shifted)
            .await
            .expect("precheck");
        assert!(!codes(&plan, Severity::Info).contains(&Code::DatesKept));
        // Future dates kept: nothing to say; a restore keeps its dates by nature.
        let plan = restore::precheck(&site, &chimie(), &clone_options())
            .await
            .expect("precheck");
        assert!(!codes(&plan, Severity::Info).contains(&Code::DatesKept));
        let plan = restore::precheck(&site, &old, &options(Mode::Restore))
            .await
            .expect("precheck");
        assert!(!codes(&plan, Severity::Info).contains(&Code::DatesKept));
        site.close().await;

        std::fs::write(db.dir.path().join("old.json"), signed_text(&old)).expect("write");
        let keys = tempfile::tempdir().expect("a key directory");
        for days in ["36501", "-36501", "106751991167301", "demain"] {
            for lang in ["en", "fr"] {
                let output = run(
                    &db,
                    keys.path(),
                    &[
                        "--lang",
                        lang,
                        "clone",
                        "old.json",
                        "--suffix",
                        "_2027",
                        "--shift-dates",
                        days,
                    ],
                );
                assert_eq!(output.status.code(), Some(2), "{name} {days}");
                let expected = match lang {
                    "en" => "is not a number of days from -36500 to 36500",
                    _ => "n'est pas un nombre de jours de -36500 à 36500",
                };
                assert!(stderr(&output).contains(expected), "{}", stderr(&output));
            }
        }
        let output = run(
            &db,
            keys.path(),
            &[
                "clone",
                "old.json",
                "--suffix",
                "_2027",
                "--shift-dates",
                "-36500",
                "--dry-run",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let output = run(
            &db,
            keys.path(),
            &["clone", "old.json", "--suffix", "_2027", "--dry-run"],
        );
        assert!(
            stdout(&output).contains("[info] dates-kept"),
            "{name}: {}",
            stdout(&output)
        );
        db.drop_database().await;
    })
    .await;
}

/// Puts an item too large for an id (all digits, so a plain decimal id that matches no course
/// module: DECISIONS 7) before every item of the section that holds the activity `activity` of
/// course `course`; gives that activity's course module id.
async fn prepend_over_long_item(site: &Site, course: &str, activity: &str) -> i64 {
    let course = course_id(site, course).await;
    let (sections, modules) = site.course_structure(&[course]).await.expect("structure");
    let cmid = modules
        .iter()
        .find(|m| m.name.as_deref() == Some(activity))
        .expect("the activity")
        .cmid;
    let section = sections
        .iter()
        .find(|s| {
            s.sequence
                .as_deref()
                .unwrap_or("")
                .split(',')
                .any(|item| item == cmid.to_string())
        })
        .expect("the activity's section");
    let sequence = format!(
        "99999999999999999999,{}",
        section.sequence.as_deref().unwrap_or("")
    );
    let mut w = fixture::Writer::begin(site).await.expect("write");
    w.update("course_sections", section.id, "sequence", sequence.into())
        .await
        .expect("update");
    w.commit().await.expect("commit");
    cmid
}

// Issue 9: save and the precheck count the same positions when a sequence holds an item too
// large for an id.
#[tokio::test]
async fn an_over_long_sequence_item_saves_and_restores_to_the_same_activity() {
    const QUIZ: &str = "Quiz : atomes et molécules";
    let key = &keys::generate();
    let key_id = &keys::key_id(&key.verifying_key());
    for_each_backend(|backend| async move {
        let name = backend.name();
        let (a, b) = (
            TestDb::seeded(&backend, "mdl_").await,
            TestDb::seeded_with_other_ids(&backend).await,
        );
        let (site_a, site_b) = (open(&a).await, open(&b).await);
        prepend_over_long_item(&site_a, "CHIM101", QUIZ).await;
        let quiz_b = prepend_over_long_item(&site_b, "CHIM101", QUIZ).await;

        let options = save::SaveOptions {
            key,
            strict: false,
            created: time::OffsetDateTime::now_utc(),
        };
        let id_a = site_a.find_trainings_by_name(TRAINING).await.expect("find")[0];
        let saved = save::save(&site_a, id_a, &options)
            .await
            .expect("save on A");
        let document = v2::parse(saved.text().as_bytes()).expect("a valid file");
        let on_a = document
            .milestones
            .iter()
            .find(|m| m.activity.name.as_deref() == Some(QUIZ))
            .expect("the quiz is saved")
            .clone();
        assert!(on_a.position >= 1, "{name}: the over-long item counts");

        let mut restore_options =
            RestoreOptions::new(Mode::Restore, Provenance::Trusted(key_id.clone()));
        restore_options.rename.name = Some("Licence Chimie (site B)".to_owned());
        let plan = restore::precheck(&site_b, &document, &restore_options)
            .await
            .expect("precheck");
        let line = plan
            .milestones
            .iter()
            .find(|m| m.activity.as_deref() == Some(QUIZ))
            .expect("the quiz in the plan");
        assert_eq!(
            (line.status, line.cmid, line.finding),
            (Status::Write, Some(quiz_b), None),
            "{name}: found at its place, not searched elsewhere: {:?}",
            plan.findings
        );
        let report = restore::apply(
            &site_b,
            &plan,
            &Accepted::default(),
            &ApplyOptions::default(),
        )
        .await
        .expect("apply");
        let id_b = report.training_id.expect("a training");
        let again = save::save(&site_b, id_b, &options)
            .await
            .expect("save on B");
        let on_b = again
            .document
            .milestones
            .iter()
            .find(|m| m.activity.name.as_deref() == Some(QUIZ))
            .expect("the quiz is saved on B");
        assert_eq!(
            (&on_b.course, on_b.section, on_b.position),
            (&on_a.course, on_a.section, on_a.position),
            "{name}"
        );
        assert_eq!(on_b.activity.source_cmid, Some(quiz_b), "{name}");
        site_a.close().await;
        site_b.close().await;
        a.drop_database().await;
        b.drop_database().await;
    })
    .await;
}
