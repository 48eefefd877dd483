//! Scenario 1 and the round-trip property of the restore issue, with the real `save`: a
//! training saved on site A and restored on site B, whose every id differs, then saved again on
//! B, gives the same document except ids, `created` and the signature.

mod common;

use attestoodle_backup::document::keys;
use attestoodle_backup::document::v2;
use attestoodle_backup::moodle::Site;
use attestoodle_backup::restore::{
    self, Accepted, ApplyOptions, Code, Mode, Provenance, RestoreOptions, Status,
};
use attestoodle_backup::save::{self, SaveOptions};
use common::{for_each_backend, without_ids, TestDb};

/// 2026-06-15 09:00 UTC, when the demo pretends to be built: every planned run is to come.
const DEMO_NOW: i64 = 1_781_514_000;

const TRAININGS: [&str; 3] = [
    "Licence Chimie S1 2026",
    "Sécurité & Hygiène 2026",
    "Anglais B2 – session d'automne",
];

async fn open(db: &TestDb) -> Site {
    Site::open(&db.target()).await.expect("open the site")
}

#[tokio::test]
async fn save_on_a_restore_on_b_save_on_b_gives_the_same_document_except_ids() {
    let key = keys::generate();
    let key_id = keys::key_id(&key.verifying_key());
    let (key, key_id) = (&key, &key_id);
    for_each_backend(|backend| async move {
        let (a, b) = (
            TestDb::seeded(&backend, "mdl_").await,
            TestDb::seeded_with_other_ids(&backend).await,
        );
        let (site_a, site_b) = (open(&a).await, open(&b).await);
        let name = backend.name();
        for training in TRAININGS {
            let options = SaveOptions {
                key,
                strict: false,
                created: time::OffsetDateTime::now_utc(),
            };
            let id_a = site_a.find_trainings_by_name(training).await.expect("find")[0];
            let saved = save::save(&site_a, id_a, &options)
                .await
                .expect("save on A");
            // Through the file's text, as the command line reads it.
            let document = v2::parse(saved.text().as_bytes()).expect("a valid file");

            let mut restore_options =
                RestoreOptions::new(Mode::Restore, Provenance::Trusted(key_id.clone()));
            restore_options.now = DEMO_NOW;
            let plan = restore::precheck(&site_b, &document, &restore_options)
                .await
                .expect("precheck");
            assert!(
                plan.blocking().is_empty(),
                "{name} {training}: {:?}",
                plan.findings
            );
            assert_eq!(
                plan.needs_accept().into_iter().collect::<Vec<_>>(),
                vec![Code::ReplaceTraining],
                "{name} {training}: {:?}",
                plan.findings
            );
            assert!(plan.milestones.iter().all(|m| m.status == Status::Write));
            assert!(plan.learners.iter().all(|l| l.status == Status::Write));
            let report = restore::apply(
                &site_b,
                &plan,
                &Accepted::new([Code::ReplaceTraining]),
                &ApplyOptions::default(),
            )
            .await
            .expect("restore on B");
            assert_ne!(
                report.category_id, document.training.category.source_id,
                "{name}: site B has other ids"
            );

            let id_b = report
                .training_id
                .expect("a real restore names its training");
            let again = save::save(&site_b, id_b, &options)
                .await
                .expect("save on B");
            assert_eq!(
                without_ids(again.document),
                without_ids(saved.document),
                "{name} {training}"
            );
        }
        site_a.close().await;
        site_b.close().await;
        a.drop_database().await;
        b.drop_database().await;
    })
    .await;
}
