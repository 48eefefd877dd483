//! From a read backup to what [`precheck`](super::precheck) takes: a legacy file is mapped to
//! format 2, a format-2 file has its signature checked against the trust store. The CLI and
//! the web pages share it, so that both refuse the same files and know the same provenance.

use crate::document::keys::TrustStore;
use crate::document::load::Backup;
use crate::document::migrate::{self, MigrateError, Note};
use crate::document::signature::{self, Authenticity, Broken, Integrity, Verification};
use crate::document::v2::Document;
use crate::i18n::Lang;

use super::Provenance;

/// A backup ready for a precheck.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The format-2 document (converted from a legacy file if need be).
    pub document: Document,
    /// Who made the file.
    pub provenance: Provenance,
    /// What the conversion of a legacy file dropped or left incomplete (empty for format 2).
    pub notes: Vec<Note>,
}

/// Why a read backup cannot be restored.
///
/// Its English and French texts are one `match` in [`SourceError::localized`]; `Display` is
/// the English one.
#[derive(Debug)]
pub enum SourceError {
    /// A legacy file that cannot become a format-2 document.
    Migrate(MigrateError),
    /// A format-2 file whose signature does not match its content.
    BrokenSignature(Broken),
}

impl From<MigrateError> for SourceError {
    fn from(error: MigrateError) -> SourceError {
        SourceError::Migrate(error)
    }
}

impl SourceError {
    /// The reason in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (SourceError::Migrate(error), Lang::En | Lang::Fr) => error.localized(lang),
            (SourceError::BrokenSignature(reason), Lang::En) => format!(
                "the signature is broken ({}); trusting a key cannot help: use an intact copy \
                 of the backup; nothing was restored",
                reason.en
            ),
            (SourceError::BrokenSignature(reason), Lang::Fr) => format!(
                "la signature est invalide ({}) ; faire confiance à une clé n'y changerait \
                 rien : utilisez une copie intacte de la sauvegarde ; rien n'a été restauré",
                reason.fr
            ),
        }
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Migrate(error) => Some(error),
            SourceError::BrokenSignature(_) => None,
        }
    }
}

/// Maps a legacy backup to format 2 ([`migrate::legacy_to_v2`]), or checks the signature of a
/// format-2 one and names its signer against `trust`.
///
/// # Errors
///
/// [`SourceError::Migrate`] for a legacy file that cannot be converted;
/// [`SourceError::BrokenSignature`] for a signature that does not match the content.
pub fn prepare(backup: Backup, trust: &TrustStore) -> Result<Prepared, SourceError> {
    let document = match backup {
        Backup::V2(document) => document,
        Backup::Legacy(file) => {
            let migrated = migrate::legacy_to_v2(&file)?;
            return Ok(Prepared {
                document: migrated.document,
                provenance: Provenance::LegacyChecksum,
                notes: migrated.notes,
            });
        }
    };
    let verification = signature::verify(&document);
    if let Integrity::Invalid(reason) = &verification.integrity {
        return Err(SourceError::BrokenSignature(reason.clone()));
    }
    let provenance = match signature::authenticity(&verification, trust) {
        Authenticity::Trusted(key) => Provenance::Trusted(key),
        Authenticity::Untrusted(key) => Provenance::Untrusted(key),
        Authenticity::Unsigned => Provenance::Unsigned,
        // Only an invalid signature is broken, and that was refused above.
        Authenticity::Broken(_) => {
            return Err(SourceError::BrokenSignature(verification_reason(
                &verification,
            )))
        }
    };
    Ok(Prepared {
        document,
        provenance,
        notes: Vec::new(),
    })
}

/// A document this process signed a moment ago with `key` (`clone --from-site`: each live
/// training saved in memory exactly as `save` writes it): trusted when the trust store trusts
/// `key`, as [`prepare`] would find it, without checking the signature again: that check
/// was a large part of a rollover's work (issue 12), and proves nothing about bytes that never
/// left memory.
pub fn prepare_signed_here(
    document: Document,
    key: &ed25519_dalek::SigningKey,
    trust: &TrustStore,
) -> Prepared {
    let public = key.verifying_key();
    let key_id = crate::document::keys::key_id(&public);
    let provenance = if trust.is_trusted_key(&public) {
        Provenance::Trusted(key_id)
    } else {
        Provenance::Untrusted(key_id)
    };
    Prepared {
        document,
        provenance,
        notes: Vec::new(),
    }
}

/// The reason a verification found the signature broken.
fn verification_reason(verification: &Verification) -> Broken {
    match &verification.integrity {
        Integrity::Invalid(reason) => reason.clone(),
        _ => Broken {
            en: "the signature does not hold".to_owned(),
            fr: "la signature n'est pas valable".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{keys, legacy, v2};

    #[test]
    fn a_signature_names_its_signer_and_a_broken_one_is_refused() {
        let key = keys::generate();
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), Some(key.verifying_key())).expect("a store");
        let mut document = v2::tests::demo();
        let unsigned = prepare(Backup::V2(document.clone()), &trust).expect("unsigned");
        assert_eq!(unsigned.provenance, Provenance::Unsigned);
        signature::sign(&mut document, &key);
        let trusted = prepare(Backup::V2(document.clone()), &trust).expect("signed");
        assert!(matches!(trusted.provenance, Provenance::Trusted(_)));
        document.training.name.push('!');
        let error = prepare(Backup::V2(document), &trust).expect_err("broken");
        assert!(matches!(error, SourceError::BrokenSignature(_)));
        assert!(error
            .localized(Lang::Fr)
            .starts_with("la signature est invalide"));
    }

    fn source_variant(error: &SourceError) -> usize {
        match error {
            SourceError::Migrate(_) => 0,
            SourceError::BrokenSignature(_) => 1,
        }
    }

    // Issue 9, item 1: a backup that cannot be restored is said in English and French.
    #[test]
    fn every_source_error_is_said_in_english_and_in_french() {
        let errors = [
            SourceError::Migrate(MigrateError::Negative {
                path: "milestones[2].creditedtime".to_owned(),
                value: -5,
            }),
            SourceError::BrokenSignature(Broken {
                en: "the content was changed".to_owned(),
                fr: "le contenu a été modifié".to_owned(),
            }),
        ];
        crate::i18n::testing::every_variant(errors.iter().map(source_variant), 2);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            crate::i18n::testing::two_texts(en, fr);
        }
    }

    #[test]
    fn a_legacy_file_is_converted_and_known_by_its_checksum() {
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), None).expect("a store");
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/legacy-simple.json"
        ))
        .expect("a vector");
        let file = legacy::parse(&bytes).expect("a legacy file");
        let prepared = prepare(Backup::Legacy(file), &trust).expect("converted");
        assert_eq!(prepared.provenance, Provenance::LegacyChecksum);
        assert!(!prepared.document.training.name.is_empty());
    }
}
