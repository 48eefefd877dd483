//! *Repair* on a training's page: the training's broken milestones relinked to the same-named
//! activity of their course, through the same `restore::precheck_repair` and
//! `restore::apply_repair` as the `repair` command. The page shows the relinks and the findings,
//! one checkbox per finding code to accept; *Repair* prechecks again and writes in one
//! transaction.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{CheckedForm, Operator, Visit, WithCsrf};
use super::AppState;
use crate::restore::{self, Accepted, Code, RepairPlan, RepairTarget, RestoreError};

/// One relink as the page lists it.
struct RelinkLine {
    milestone: i64,
    old_cmid: i64,
    new_cmid: i64,
    course: String,
    kind: String,
    activity: String,
}

/// One finding as the page lists it.
struct FindingLine {
    code: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "repair.html")]
struct RepairPage {
    l: Layout,
    id: i64,
    name: String,
    broken: usize,
    relinks: Vec<RelinkLine>,
    findings: Vec<FindingLine>,
    /// The codes to tick, once each.
    codes: Vec<&'static str>,
    /// What was written.
    done: Option<String>,
    /// Why nothing was written.
    problem: Option<String>,
}

/// The *Repair* form: one `accept.CODE` checkbox per code.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RepairForm(HashMap<String, String>);

impl WithCsrf for RepairForm {
    fn csrf(&self) -> &str {
        self.0.get("csrf").map_or("", String::as_str)
    }
}

async fn prechecked(
    state: &AppState,
    visit: &Visit,
    id: &str,
) -> Result<(RepairPlan, RepairPage), WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let list = state
        .site()
        .list_training(id)
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let Some(training) = list.trainings.first() else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let target = RepairTarget {
        id,
        name: training.name.clone(),
    };
    let plan = restore::precheck_repair(state.site(), &[target], None)
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let relinks = plan
        .trainings
        .iter()
        .flat_map(|t| t.relinks.iter())
        .map(|r| RelinkLine {
            milestone: r.milestone,
            old_cmid: r.old_cmid,
            new_cmid: r.new_cmid,
            course: r.course.clone(),
            kind: r.kind.clone(),
            activity: r.activity.clone(),
        })
        .collect();
    let findings = plan
        .findings
        .iter()
        .map(|f| FindingLine {
            code: f.code.as_str(),
            text: super::restore::finding_text(visit.tr(), f),
        })
        .collect();
    let codes = plan.needs_accept().into_iter().map(Code::as_str).collect();
    let page = RepairPage {
        l: Layout::of(visit),
        id,
        name: training
            .name
            .clone()
            .unwrap_or_else(|| visit.tr().get("trainings.no_name").to_owned()),
        broken: plan.broken_count(),
        relinks,
        findings,
        codes,
        done: None,
        problem: None,
    };
    Ok((plan, page))
}

/// The repair page of training `id`: what a repair would relink and leave.
pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (_, page) = prechecked(&state, &operator.visit, &id).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Prechecks again, then relinks with the ticked acceptances.
pub async fn apply(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    CheckedForm(form): CheckedForm<RepairForm>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let lang = visit.lang;
    let (plan, mut page) = prechecked(&state, visit, &id).await?;
    let ticked: BTreeSet<&str> = form
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("accept."))
        .map(|(_, v)| v.as_str())
        .collect();
    let accepted = Accepted::new(
        plan.needs_accept()
            .into_iter()
            .filter(|c| ticked.contains(c.as_str())),
    );
    let unaccepted: Vec<&str> = plan
        .unaccepted(&accepted)
        .into_iter()
        .map(Code::as_str)
        .collect();
    if !unaccepted.is_empty() {
        page.problem = Some(t.fmt("repair.tick", &[("codes", &unaccepted.join(", "))]));
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let audit = match crate::audit::AuditLog::open(&state.config().audit_log) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("attestoodle-backup serve: {e}");
            page.problem = Some(t.get("restore.audit_refused").to_owned());
            return Ok(render(StatusCode::INTERNAL_SERVER_ERROR, &page));
        }
    };
    let repaired = restore::apply_repair(state.site(), &plan, &accepted, false).await;
    let operator = super::restore::audit_operator(visit);
    for entry in restore::repair_audit_entries(
        "web /trainings/repair",
        &operator,
        &plan,
        &accepted,
        &repaired,
    ) {
        if let Err(e) = audit.append(&entry) {
            eprintln!("attestoodle-backup serve: {e}");
        }
    }
    match repaired {
        Ok(report) => {
            page.done = Some(t.fmt("repair.done", &[("n", &report.relinked.to_string())]));
            Ok(render(StatusCode::OK, &page))
        }
        Err(RestoreError::Conflict { en, fr } | RestoreError::PreviousNotKept { en, fr }) => {
            page.problem = Some(super::page::quoted(lang.pick(&en, &fr), lang));
            Ok(render(StatusCode::CONFLICT, &page))
        }
        Err(RestoreError::Refused { unaccepted, .. }) => {
            let codes: Vec<&str> = unaccepted.iter().map(|c| c.as_str()).collect();
            page.problem = Some(t.fmt("repair.tick", &[("codes", &codes.join(", "))]));
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(RestoreError::Database(e)) => Err(WebError::internal(visit, e)),
        // Only a batch of trainings is rolled back for another's failure.
        Err(e @ RestoreError::BatchRolledBack { .. }) => {
            page.problem = Some(super::page::quoted(&e.localized(lang), lang));
            Ok(render(StatusCode::CONFLICT, &page))
        }
    }
}
