//! The "Verify a file" page: a backup's format, integrity and signer, without restoring it.
//!
//! A thin use of `document`: the shared loader (`document::load`) reads format 2 and the PHP
//! plugin's files, `signature::verify` checks format 2. The file lives only in this request's memory.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::Tr;
use super::page::{render, Layout};
use super::security::{CheckedUpload, Operator};
use super::AppState;
use crate::document::keys::{self, TrustStore};
use crate::document::legacy;
use crate::document::load::{self, Backup, LoadError};
use crate::document::signature::{self, Authenticity, Integrity};

/// What the page shows of a file.
struct Outcome {
    file: String,
    format: &'static str,
    training: String,
    integrity: String,
    intact: bool,
    authenticity: String,
    trusted: bool,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    l: Layout,
    result: Option<Outcome>,
    problem: Option<String>,
}

/// The upload form.
pub async fn form(operator: Operator) -> Response {
    render(
        StatusCode::OK,
        &VerifyPage {
            l: Layout::of(&operator.visit),
            result: None,
            problem: None,
        },
    )
}

/// Checks the uploaded file and shows what was found.
pub async fn submit(
    State(state): State<AppState>,
    operator: Operator,
    upload: CheckedUpload,
) -> Response {
    let visit = &operator.visit;
    let t = visit.tr();
    let page = |status, result, problem| {
        render(
            status,
            &VerifyPage {
                l: Layout::of(visit),
                result,
                problem,
            },
        )
    };
    let Some(file) = upload.part("file").filter(|p| !p.bytes.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            None,
            Some(t.get("verify.no_file").to_owned()),
        );
    };
    let name = file.file_name.clone().unwrap_or_default();
    let own = keys::read_private_key(&state.config().key_path)
        .ok()
        .map(|k| k.verifying_key());
    let outcome = TrustStore::open(state.config().trust_dir.clone(), own)
        .map_err(|e| super::page::quoted(&e.localized(t.0), t.0))
        .and_then(|trust| examine(t, &file.bytes, name, &trust));
    match outcome {
        Ok(outcome) => page(StatusCode::OK, Some(outcome), None),
        Err(reason) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(format!("{} {reason}", t.get("verify.rejected"))),
        ),
    }
}

/// What the page says of a legacy file, whose checksum is right (`intact`) or not.
fn legacy_outcome(t: Tr, file: String, training: String, intact: bool) -> Outcome {
    Outcome {
        file,
        format: t.get("verify.format_legacy"),
        training,
        integrity: t
            .get(if intact {
                "verify.checksum_ok"
            } else {
                "verify.checksum_bad"
            })
            .to_owned(),
        intact,
        authenticity: t.get("verify.no_signature").to_owned(),
        trusted: false,
    }
}

/// What the page says of a file; `Err` holds why it is no backup at all.
fn examine(t: Tr, bytes: &[u8], file: String, trust: &TrustStore) -> Result<Outcome, String> {
    let document = match load::load_bytes(bytes, u64::MAX) {
        Ok(Backup::V2(document)) => document,
        Ok(Backup::Legacy(parsed)) => {
            return Ok(legacy_outcome(
                t,
                file,
                parsed.training.name.unwrap_or_default(),
                true,
            ))
        }
        Err(LoadError::Legacy(legacy::LegacyError::IntegrityMismatch { .. })) => {
            return Ok(legacy_outcome(t, file, String::new(), false))
        }
        Err(error) => return Err(super::page::quoted(&error.localized(t.0), t.0)),
    };
    let verification = signature::verify(&document);
    let (integrity, intact) = match &verification.integrity {
        Integrity::Valid => (t.get("verify.valid").to_owned(), true),
        Integrity::Invalid(reason) => (
            t.fmt("verify.invalid", &[("reason", reason.text(t.0))]),
            false,
        ),
        Integrity::Unsigned => (t.get("verify.unsigned").to_owned(), false),
    };
    let (authenticity, trusted) = match signature::authenticity(&verification, trust) {
        Authenticity::Trusted(id) => (t.fmt("verify.trusted", &[("id", &id)]), true),
        Authenticity::Untrusted(id) => (t.fmt("verify.untrusted", &[("id", &id)]), false),
        // Never "add the key": no key can make a broken signature valid.
        Authenticity::Broken(id) => (t.fmt("verify.broken", &[("id", &id)]), false),
        Authenticity::Unsigned => (t.get("verify.unsigned").to_owned(), false),
    };
    Ok(Outcome {
        file,
        format: t.get("verify.format_v2"),
        training: document.training.name,
        integrity,
        intact,
        authenticity,
        trusted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::v2;
    use crate::i18n::Lang;

    fn signed_demo(key: &ed25519_dalek::SigningKey) -> v2::Document {
        let mut document = v2::tests::demo();
        signature::sign(&mut document, key);
        document
    }

    #[test]
    fn a_file_signed_by_a_trusted_key_is_intact_and_authentic() {
        let key = keys::generate();
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), Some(key.verifying_key())).expect("a store");
        let bytes = v2::to_text(&signed_demo(&key)).into_bytes();
        let outcome = examine(Tr(Lang::En), &bytes, "a.json".into(), &trust).expect("read");
        assert!(outcome.intact && outcome.trusted);
        assert_eq!(outcome.format, "attestoodle-backup, format 2");
    }

    #[test]
    fn a_changed_or_unknown_signature_is_shown_as_such() {
        let key = keys::generate();
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), None).expect("a store");
        let bytes = v2::to_text(&signed_demo(&key)).into_bytes();
        let outcome = examine(Tr(Lang::En), &bytes, "a.json".into(), &trust).expect("read");
        assert!(outcome.intact && !outcome.trusted);
        assert!(outcome
            .authenticity
            .contains(&keys::key_id(&key.verifying_key())));
        let mut changed = signed_demo(&key);
        changed.training.name.push('!');
        let bytes = v2::to_text(&changed).into_bytes();
        let outcome = examine(Tr(Lang::Fr), &bytes, "a.json".into(), &trust).expect("read");
        assert!(!outcome.intact && !outcome.trusted);
        assert!(outcome.integrity.starts_with("endommagé"));
        assert!(
            outcome.integrity.contains("modifié après"),
            "{}",
            outcome.integrity
        );
        assert!(
            outcome.authenticity.contains("aucune clé"),
            "{}",
            outcome.authenticity
        );
        assert!(
            !outcome.authenticity.contains("Clés"),
            "{}",
            outcome.authenticity
        );
    }

    #[test]
    fn a_file_changed_after_this_sites_own_key_signed_it_is_not_a_trust_problem() {
        let key = keys::generate();
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), Some(key.verifying_key())).expect("a store");
        let mut changed = signed_demo(&key);
        changed.training.name.push('!');
        let bytes = v2::to_text(&changed).into_bytes();
        let outcome = examine(Tr(Lang::En), &bytes, "a.json".into(), &trust).expect("read");
        assert!(!outcome.intact && !outcome.trusted);
        assert!(
            outcome.integrity.contains("changed after it was signed"),
            "{}",
            outcome.integrity
        );
        assert!(
            outcome.authenticity.contains("no key can make it valid"),
            "{}",
            outcome.authenticity
        );
        for wrong in ["trust", "Keys page"] {
            assert!(
                !outcome.authenticity.contains(wrong),
                "{}",
                outcome.authenticity
            );
        }
    }

    #[test]
    fn a_signed_but_inconsistent_file_is_refused_naming_the_field_and_template() {
        let key = keys::generate();
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), Some(key.verifying_key())).expect("a store");
        let mut document = v2::tests::demo();
        document.training.template = Some("Absent".to_owned());
        signature::sign(&mut document, &key);
        let bytes = v2::to_text(&document).into_bytes();
        let Err(reason) = examine(Tr(Lang::Fr), &bytes, "a.json".into(), &trust) else {
            panic!("an inconsistent file was shown as a backup");
        };
        assert!(reason.starts_with("training.template : "), "{reason}");
        assert!(reason.contains("« Absent »"), "{reason}");
    }

    #[test]
    fn something_else_than_a_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("a directory");
        let trust = TrustStore::open(dir.path(), None).expect("a store");
        for bytes in [&b"not json"[..], b"{}", b"[1]"] {
            assert!(examine(Tr(Lang::En), bytes, "x".into(), &trust).is_err());
        }
    }
}
