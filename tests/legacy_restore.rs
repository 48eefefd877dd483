//! Restoring the PHP plugin's own files (issue 5): `legacy-simple.json` and
//! `legacy-positions.json` restored into a site that holds the courses, activities and users
//! they name link every milestone and every learner, on every backend.

mod common;

use std::collections::BTreeSet;

use attestoodle_backup::moodle::{fixture, Param};
use common::{for_each_backend, run_in, stderr, stdout, TestDb};
use serde_json::Value;

/// An activity placed in a course: section number, position, module type, name.
type Placed = (i64, usize, &'static str, &'static str);

/// The courses the two vectors name, with the activities at the places their milestones give
/// (`posr`), plus fillers at the other places so that positions really count.
const COURSES: &[(&str, &[Placed])] = &[
    (
        "SEC-INC-101",
        &[
            (1, 0, "page", "Consignes générales"),
            (1, 1, "quiz", "Quiz : les extincteurs"),
            (2, 0, "assign", "Rapport d'exercice d'évacuation"),
            (2, 1, "page", "Pour aller plus loin"),
        ],
    ),
    (
        "HACCP/2019",
        &[
            (1, 0, "page", "Les 7 principes HACCP"),
            (1, 1, "quiz", "Évaluation finale « HACCP »"),
        ],
    ),
    (
        "PSC1 <Été 2019>",
        &[
            (0, 0, "page", "Bienvenue"),
            (0, 1, "page", "Programme de la formation"),
            (1, 0, "page", "Alerter les secours (15/18/112)"),
            (1, 1, "page", "Vidéo : la position latérale de sécurité"),
            (1, 2, "quiz", "Quiz : massage cardiaque"),
            (3, 0, "assign", "Mise en situation"),
            (3, 1, "assign", "Débriefing"),
        ],
    ),
];

/// The learners of both files; one address is stored in another case than in the file.
const USERS: &[(&str, &str)] = &[
    ("elodie.lefevre", "elodie.lefevre@univ-lemans.fr"),
    ("francois.oster", "francois.oster@example.com"),
    ("zoe.obrien", "zoe.obrien+attest@example.org"),
    ("soren.aero", "soren.aero@example.dk"),
];

async fn build_site(db: &TestDb) {
    let site = db.connect().await;
    fixture::create_schema(&site).await.expect("schema");
    let mut w = fixture::Writer::begin(&site).await.expect("begin");
    for (name, value) in [("siteadmins", "1"), ("mnet_localhost_id", "1")] {
        w.insert("config", &[("name", name.into()), ("value", value.into())])
            .await
            .expect("config");
    }
    w.insert(
        "context",
        &[
            ("contextlevel", 10.into()),
            ("instanceid", 0.into()),
            ("path", "/1".into()),
            ("depth", 1.into()),
        ],
    )
    .await
    .expect("system context");
    // Ids 1 to 5, so that both files' category ids (3 and 5) designate a category here.
    for name in ["Divers", "Santé", "Sécurité", "Hygiène", "Secourisme"] {
        let id = w
            .insert(
                "course_categories",
                &[
                    ("name", name.into()),
                    ("path", "".into()),
                    ("depth", 1.into()),
                ],
            )
            .await
            .expect("category");
        w.update("course_categories", id, "path", format!("/{id}").into())
            .await
            .expect("category path");
    }
    let mut modules = std::collections::HashMap::new();
    for kind in ["page", "quiz", "assign"] {
        let id = w
            .insert("modules", &[("name", kind.into()), ("search", "".into())])
            .await
            .expect("module");
        modules.insert(kind, id);
    }
    for (shortname, activities) in COURSES {
        let course = w
            .insert(
                "course",
                &[
                    ("category", 5.into()),
                    ("fullname", (*shortname).into()),
                    ("shortname", (*shortname).into()),
                    ("enablecompletion", 1.into()),
                ],
            )
            .await
            .expect("course");
        let mut sections: Vec<i64> = activities.iter().map(|a| a.0).collect();
        sections.sort_unstable();
        sections.dedup();
        for number in sections {
            let section = w
                .insert(
                    "course_sections",
                    &[
                        ("course", course.into()),
                        ("section", number.into()),
                        ("sequence", "".into()),
                    ],
                )
                .await
                .expect("section");
            let mut here: Vec<&Placed> = activities.iter().filter(|a| a.0 == number).collect();
            here.sort_by_key(|a| a.1);
            let mut sequence = Vec::new();
            for (_, _, kind, name) in here {
                let mut values: Vec<(&str, Param)> = vec![
                    ("course", course.into()),
                    ("name", (*name).into()),
                    ("intro", "".into()),
                ];
                if *kind == "url" {
                    values.push(("externalurl", "https://example.org/".into()));
                }
                let instance = w.insert(kind, &values).await.expect("instance");
                let cm = w
                    .insert(
                        "course_modules",
                        &[
                            ("course", course.into()),
                            ("module", modules[kind].into()),
                            ("instance", instance.into()),
                            ("section", section.into()),
                            ("completion", 1.into()),
                        ],
                    )
                    .await
                    .expect("course module");
                sequence.push(cm.to_string());
            }
            w.update(
                "course_sections",
                section,
                "sequence",
                sequence.join(",").into(),
            )
            .await
            .expect("sequence");
        }
    }
    for (username, email) in USERS {
        w.insert(
            "user",
            &[
                ("confirmed", 1.into()),
                ("mnethostid", 1.into()),
                ("username", (*username).into()),
                ("password", "".into()),
                ("firstname", (*username).into()),
                ("lastname", "Test".into()),
                ("email", (*email).into()),
            ],
        )
        .await
        .expect("user");
    }
    w.commit().await.expect("commit");
    site.close().await;
}

fn vector(name: &str) -> String {
    format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(output), stderr(output)))
}

/// (course, section, position, activity name) of each milestone of a legacy file.
fn file_milestones(file: &Value) -> BTreeSet<(String, i64, i64, Option<String>)> {
    file["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["course_shortname"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                m["section"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1),
                m["posr"].as_i64().unwrap_or(-1),
                m["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_plugins_files_restore_with_every_milestone_and_learner_linked() {
    for_each_backend(|backend| async move {
        let db = TestDb::new(&backend, "mdl_").await;
        build_site(&db).await;
        for (file, training, category) in [
            ("legacy-simple.json", "Sécurité & Hygiène 2019", "Sécurité"),
            (
                "legacy-positions.json",
                "Premiers secours – PSC1",
                "Secourisme",
            ),
        ] {
            let context = format!("{} {file}", backend.name());
            let path = vector(file);
            let base = ["--db", db.url.as_str(), "--prefix", "mdl_"];

            // The precheck asks for exactly the two acceptances a legacy file needs.
            let mut args = base.to_vec();
            args.extend(["--json", "restore", &path, "--dry-run"]);
            let plan = json(&run_in(db.dir.path(), &args));
            let to_accept: BTreeSet<&str> = plan["to_accept"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(
                to_accept,
                BTreeSet::from(["category-by-id", "legacy-checksum"]),
                "{context}: {plan}"
            );

            let mut args = base.to_vec();
            args.extend([
                "--json",
                "restore",
                &path,
                "--yes",
                "--accept",
                "legacy-checksum,category-by-id",
            ]);
            let output = run_in(db.dir.path(), &args);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{context}: {}",
                stderr(&output)
            );
            let applied = json(&output);
            assert_eq!(applied["outcome"], "applied", "{context}");
            let skipped = &applied["report"]["skipped"];
            assert!(
                skipped.as_array().is_none_or(|s| s.is_empty()),
                "{context}: nothing is skipped: {skipped}"
            );

            // Read the restored training back with the format-2 save and compare.
            let mut args = base.to_vec();
            args.extend(["save", training, "-o", "-"]);
            let output = run_in(db.dir.path(), &args);
            assert!(output.status.success(), "{context}: {}", stderr(&output));
            let saved: Value = serde_json::from_slice(&output.stdout).expect("format-2 JSON");
            let original: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read the vector"))
                    .expect("vector JSON");

            assert_eq!(saved["training"]["category"]["name"], category, "{context}");
            let restored: BTreeSet<(String, i64, i64, Option<String>)> = saved["milestones"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    (
                        m["course"].as_str().unwrap_or_default().to_owned(),
                        m["section"].as_i64().unwrap_or(-1),
                        m["position"].as_i64().unwrap_or(-1),
                        m["activity"]["name"].as_str().map(str::to_owned),
                    )
                })
                .collect();
            let expected = file_milestones(&original);
            assert_eq!(
                restored.len(),
                expected.len(),
                "{context}: every milestone is linked"
            );
            for (course, section, position, name) in &expected {
                let found = restored
                    .iter()
                    .find(|r| r.0 == *course && r.1 == *section && r.2 == *position);
                let found = found.unwrap_or_else(|| {
                    panic!("{context}: no milestone at {course} {section} {position}")
                });
                // The milestone with no name in the file is linked by its place alone.
                if let Some(name) = name {
                    assert_eq!(found.3.as_ref(), Some(name), "{context}");
                }
            }
            let credited: BTreeSet<i64> = saved["milestones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["creditedtime"].as_i64())
                .collect();
            let expected_credited: BTreeSet<i64> = original["milestones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["creditedtime"].as_str().and_then(|c| c.parse().ok()))
                .collect();
            assert_eq!(credited, expected_credited, "{context}");

            let emails = |doc: &Value| -> BTreeSet<String> {
                doc["learners"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["email"].as_str())
                    .map(str::to_lowercase)
                    .collect()
            };
            assert_eq!(
                emails(&saved),
                emails(&original),
                "{context}: every learner is linked"
            );
            assert_eq!(saved["training"]["template"], "Site", "{context}");
            let details: Vec<&str> = saved["templates"][0]["details"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["data"].as_str())
                .collect();
            let original_details: Vec<&str> = original["templatedetails"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["data"].as_str())
                .collect();
            assert_eq!(
                details, original_details,
                "{context}: details byte for byte"
            );
        }
        db.drop_database().await;
    })
    .await;
}
