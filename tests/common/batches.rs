//! Batches made in memory: trainings of a site saved and signed, each an entry restoring it
//! with its learners.

use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::Site;
use attestoodle_backup::restore::{batch::BatchEntry, Mode, Provenance, RestoreOptions};
use attestoodle_backup::save::{self, SaveOptions};
use ed25519_dalek::SigningKey;

/// The trainings `ids` of `site`, read together and signed with `key` as `save` would, each a
/// batch entry that restores it (`Mode::Restore`, with learners, the key trusted).
pub async fn restoring_each(site: &Site, ids: &[i64], key: &SigningKey) -> Vec<BatchEntry> {
    let key_id = keys::key_id(&key.verifying_key());
    let options = SaveOptions {
        key,
        strict: false,
        created: time::OffsetDateTime::now_utc(),
    };
    save::for_each_read(site, ids, |_, snapshot| {
        let saved = snapshot
            .and_then(|s| save::save_read(site, &s, &options))
            .expect("save");
        let mut restore = RestoreOptions::new(Mode::Restore, Provenance::Trusted(key_id.clone()));
        restore.learners = true;
        BatchEntry {
            origin: saved.document.training.name.clone(),
            document: saved.document,
            options: restore,
        }
    })
    .await
    .expect("read the trainings")
}
