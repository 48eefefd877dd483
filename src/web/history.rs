//! *History*: what was written, from the audit log (issue "preview, history, install", part 2),
//! newest first, optionally for one training.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::WebError;
use super::page::{render, Layout};
use super::security::Operator;
use super::AppState;
use crate::audit::{self, Outcome};

/// One line of the table.
struct Line {
    time: String,
    via: String,
    operator: String,
    training: String,
    action: String,
    written: String,
    source: String,
    outcome: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    l: Layout,
    training: String,
    lines: Vec<Line>,
    problem: Option<String>,
}

/// The query: `?training=NAME`.
#[derive(Debug, Deserialize)]
pub struct Filter {
    training: Option<String>,
}

/// The history page.
pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Query(filter): Query<Filter>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let lang = visit.lang;
    let wanted = filter.training.unwrap_or_default();
    let wanted = wanted.trim();
    let (entries, problem) = match audit::read(&state.config().audit_log) {
        Ok(entries) => (entries, None),
        Err(e) => (
            Vec::new(),
            Some(format!(
                "{} {}",
                t.get("history.unreadable"),
                super::page::quoted(&e.localized(lang), lang)
            )),
        ),
    };
    let shown = audit::select(&entries, (!wanted.is_empty()).then_some(wanted), None);
    let lines = shown
        .into_iter()
        .rev()
        .map(|e| {
            let who = [
                e.operator.username.clone(),
                e.operator.id.map(|id| format!("id {id}")),
                e.operator.client.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            let w = &e.written;
            let (outcome, class) = match e.outcome {
                Outcome::Committed => (t.get("history.committed").to_owned(), "mapped"),
                Outcome::RolledBack => (t.get("history.rolled_back").to_owned(), "finding-accept"),
                Outcome::Failed => (t.get("history.failed").to_owned(), "finding-blocking"),
            };
            let outcome = match e.reason(lang) {
                Some(reason) => format!("{outcome}: {reason}"),
                None => outcome,
            };
            let source = match (&e.source.file, e.source.live_training) {
                (Some(file), _) => format!(
                    "{file} (SHA-256 {}…{})",
                    e.source
                        .sha256
                        .as_deref()
                        .map_or("?", |h| &h[..h.len().min(12)]),
                    e.source
                        .key_id
                        .as_ref()
                        .map(|k| format!(", {k}"))
                        .unwrap_or_default()
                ),
                (None, Some(id)) => format!("{} (id {id})", t.get("history.live")),
                (None, None) => String::new(),
            };
            Line {
                time: e.time.clone(),
                via: e.via.clone(),
                operator: who,
                training: match e.training.id {
                    Some(id) => format!("{} (id {id})", e.training.name),
                    None => e.training.name.clone(),
                },
                action: e.training.action.clone(),
                written: t.fmt(
                    "restore.written",
                    &[
                        ("milestones", &w.milestones.to_string()),
                        ("learners", &w.learners.to_string()),
                        ("styles", &w.learner_styles.to_string()),
                        ("planning", &w.planning.to_string()),
                    ],
                ),
                source,
                outcome: super::page::quoted(&outcome, lang),
                class,
            }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &HistoryPage {
            l: Layout::of(visit),
            training: wanted.to_owned(),
            lines,
            problem,
        },
    ))
}
