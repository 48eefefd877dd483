//! The Keys page: this site's public key to download, the trusted keys, trusting another one.

use std::io;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use ed25519_dalek::VerifyingKey;

use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{CheckedUpload, Operator, Visit};
use super::AppState;
use crate::document::keys::{self, KeyError, TrustStore};

/// A key as shown: its id and PEM text.
struct ShownKey {
    id: String,
    pem: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    l: Layout,
    own: Option<ShownKey>,
    own_missing: String,
    trusted: Vec<ShownKey>,
    message: Option<String>,
    problem: Option<String>,
}

fn shown(id: String, key: &VerifyingKey) -> ShownKey {
    ShownKey {
        id,
        pem: keys::public_key_pem(key),
    }
}

/// This site's public key, or why there is none (in the visit's language).
fn own_key(state: &AppState, visit: &Visit) -> Result<VerifyingKey, String> {
    let path = &state.config().key_path;
    match keys::read_private_key(path) {
        Ok(key) => Ok(key.verifying_key()),
        Err(KeyError::ReadPrivate { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Err(visit
                .tr()
                .fmt("keys.own_missing", &[("path", &path.display().to_string())]))
        }
        Err(error) => Err(format!(
            "{} {}",
            visit.tr().get("keys.own_unreadable"),
            super::page::quoted(&error.localized(visit.lang), visit.lang)
        )),
    }
}

fn keys_page(
    state: &AppState,
    visit: &Visit,
    message: Option<String>,
    mut problem: Option<String>,
) -> KeysPage {
    let own = own_key(state, visit);
    let trusted = match TrustStore::open(state.config().trust_dir.clone(), own.clone().ok()) {
        Ok(store) => store
            .list()
            .into_iter()
            .map(|(id, k)| shown(id, &k))
            .collect(),
        Err(error) => {
            let text = format!(
                "{} {}",
                visit.tr().get("keys.store_unreadable"),
                super::page::quoted(&error.localized(visit.lang), visit.lang)
            );
            problem = Some(problem.map_or(text.clone(), |earlier| format!("{earlier} {text}")));
            Vec::new()
        }
    };
    let (own, own_missing) = match own {
        Ok(key) => (Some(shown(keys::key_id(&key), &key)), String::new()),
        Err(why) => (None, why),
    };
    KeysPage {
        l: Layout::of(visit),
        own,
        own_missing,
        trusted,
        message,
        problem,
    }
}

/// The Keys page.
pub async fn page(State(state): State<AppState>, operator: Operator) -> Response {
    render(
        StatusCode::OK,
        &keys_page(&state, &operator.visit, None, None),
    )
}

/// This site's public key as a PEM file to download.
pub async fn download_own(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let key = own_key(&state, visit).map_err(|_| visit.error(WhatWentWrong::NotFound))?;
    let file = format!("attestoodle-site-{}.pem", keys::key_id(&key));
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        keys::public_key_pem(&key),
    )
        .into_response())
}

/// Trusts the public key pasted or uploaded, then shows the page again.
pub async fn trust(
    State(state): State<AppState>,
    operator: Operator,
    upload: CheckedUpload,
) -> Response {
    let visit = &operator.visit;
    let pasted = upload
        .part("pem")
        .map(|p| String::from_utf8_lossy(&p.bytes).trim().to_owned())
        .filter(|p| !p.is_empty());
    let uploaded = upload
        .part("file")
        .map(|p| String::from_utf8_lossy(&p.bytes).trim().to_owned())
        .filter(|p| !p.is_empty());
    let Some(pem) = pasted.or(uploaded) else {
        let problem = visit.tr().get("keys.nothing_given").to_owned();
        return render(
            StatusCode::BAD_REQUEST,
            &keys_page(&state, visit, None, Some(problem)),
        );
    };
    let own = own_key(&state, visit).ok();
    let result = TrustStore::open(state.config().trust_dir.clone(), own)
        .and_then(|mut store| store.trust(&pem));
    match result {
        Ok(trusted) => {
            let key = match &trusted {
                keys::Trusted::Added(_) => "keys.added",
                keys::Trusted::Already(_) => "keys.already",
                keys::Trusted::Own(_) => "keys.own_already",
            };
            let message = visit.tr().fmt(key, &[("id", trusted.id())]);
            render(
                StatusCode::OK,
                &keys_page(&state, visit, Some(message), None),
            )
        }
        Err(error) => {
            let problem = format!(
                "{} {}",
                visit.tr().get("keys.refused"),
                super::page::quoted(&error.localized(visit.lang), visit.lang)
            );
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &keys_page(&state, visit, None, Some(problem)),
            )
        }
    }
}
