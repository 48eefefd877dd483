//! *Compare with a backup* on a training's page: what differs between an uploaded backup and the
//! live training, by natural identifiers, through the same `diff::Side` and `diff::compare` as
//! the `diff --site` command. The file lives only in this request's memory.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{CheckedUpload, Operator};
use super::AppState;
use crate::diff::{self, Side};
use crate::document::keys::{self, TrustStore};
use crate::document::load;
use crate::save::{self, SaveError};

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    l: Layout,
    id: i64,
    name: String,
    /// The file, in words (its signature included).
    a: String,
    /// The live training, in words.
    b: String,
    /// "identical", or how many differences.
    summary: String,
    identical: bool,
    changes: Vec<String>,
    /// Why the file could not be compared.
    problem: Option<String>,
}

/// The upload form alone (the training page has it too).
pub async fn form(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (page, _) = live_page(&state, &operator, &id).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Compares the uploaded file (field `file`) with training `id`.
pub async fn submit(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    upload: CheckedUpload,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let lang = visit.lang;
    let (mut page, live) = live_page(&state, &operator, &id).await?;
    let refused = |mut page: ComparePage, status, problem: String| {
        page.problem = Some(problem);
        Ok(render(status, &page))
    };
    let Some(file) = upload.part("file").filter(|p| !p.bytes.is_empty()) else {
        return refused(
            page,
            StatusCode::BAD_REQUEST,
            t.get("compare.no_file").to_owned(),
        );
    };
    let file_name = file.file_name.clone().unwrap_or_default();
    let max = u64::try_from(state.config().max_upload).unwrap_or(u64::MAX);
    let backup = match load::load_bytes(&file.bytes, max) {
        Ok(backup) => backup,
        Err(e) => {
            let message = format!(
                "{} {}",
                t.get("compare.rejected"),
                super::page::quoted(&e.localized(lang), lang)
            );
            return refused(page, StatusCode::UNPROCESSABLE_ENTITY, message);
        }
    };
    let own = keys::read_private_key(&state.config().key_path)
        .ok()
        .map(|k| k.verifying_key());
    let trust = TrustStore::open(state.config().trust_dir.clone(), own)
        .map_err(|e| WebError::internal(visit, e))?;
    let uploaded = match Side::of_backup(&file_name, backup, &trust, lang) {
        Ok(side) => side,
        Err(e) => {
            let message = format!(
                "{} {}",
                t.get("compare.rejected"),
                super::page::quoted(&e.localized(lang), lang)
            );
            return refused(page, StatusCode::UNPROCESSABLE_ENTITY, message);
        }
    };
    let changes = diff::compare(&uploaded.document, &live.document);
    page.a = uploaded.describe(lang);
    page.b = live.describe(lang);
    page.identical = changes.is_empty();
    page.summary = if page.identical {
        diff::identical_text(lang).to_owned()
    } else {
        diff::count_text(changes.len(), lang)
    };
    page.changes = changes
        .iter()
        .map(|c| super::page::quoted(&c.localized(lang), lang))
        .collect();
    Ok(render(StatusCode::OK, &page))
}

/// The live training `id` read as `save` reads it, and an empty page for it.
async fn live_page(
    state: &AppState,
    operator: &Operator,
    id: &str,
) -> Result<(ComparePage, Side), WebError> {
    let visit = &operator.visit;
    let id = id
        .parse::<i64>()
        .map_err(|_| visit.error(WhatWentWrong::NotFound))?;
    let (document, _warnings) = save::read(state.site(), id, OffsetDateTime::now_utc())
        .await
        .map_err(|e| match e {
            SaveError::NotFound { .. } => visit.error(WhatWentWrong::NotFound),
            SaveError::Database(e) => WebError::internal(visit, e),
            other => {
                eprintln!("attestoodle-backup serve: {other}");
                visit.error(WhatWentWrong::CannotSave)
            }
        })?;
    let live = Side::of_site(id, document);
    let page = ComparePage {
        l: Layout::of(visit),
        id,
        name: live.training.clone(),
        a: String::new(),
        b: String::new(),
        summary: String::new(),
        identical: false,
        changes: Vec::new(),
        problem: None,
    };
    Ok((page, live))
}
