//! *New academic year* (README "New academic year"): the trainings of a category cloned at
//! once onto next year's courses, as `clone --from-site --category` does. The page lists the
//! category's trainings (sub-categories included) to tick, with the suffix, the date shift and
//! the learners; *Check* saves each ticked training in memory exactly as *Download backup*
//! would and prechecks them together (`restore::batch`): one row per training and the findings
//! grouped by code, each code to accept once for all. *Apply* saves and prechecks again (what
//! is written is what the site holds then, as *Repair* does) and writes each training in its
//! own transaction.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{CheckedForm, Operator, Visit, WithCsrf};
use super::session::RestoreChoices;
use super::AppState;
use crate::document::keys;
use crate::document::load::Backup;
use crate::restore::batch::{self, BatchEntry};
use crate::restore::{self, Accepted, ApplyOptions, Code, Plan, Severity, TemplateAction};

/// A training of the category, to tick.
struct Choice {
    id: i64,
    name: String,
    path: String,
    ticked: bool,
}

/// One row of the combined precheck.
struct Row {
    training: String,
    target: String,
    action: String,
    milestones: String,
    learners: String,
    template: String,
    codes: String,
}

/// One code across the trainings.
struct Group {
    code: &'static str,
    severity: String,
    class: &'static str,
    count: usize,
    /// The text of each finding, with its training.
    lines: Vec<String>,
    /// Whether it asks to be accepted, and is ticked.
    accept: Option<bool>,
    /// The label of its box.
    accept_label: String,
}

#[derive(Template)]
#[template(path = "rollover.html")]
struct RolloverPage {
    l: Layout,
    /// Every category, `(id, path, selected)`.
    categories: Vec<(i64, String, bool)>,
    category: Option<i64>,
    choices: Vec<Choice>,
    suffix: String,
    shift: String,
    start: String,
    learners: bool,
    /// The combined precheck, once checked.
    rows: Vec<Row>,
    groups: Vec<Group>,
    checked: bool,
    blocked: bool,
    /// What was written.
    done: Vec<String>,
    problem: Option<String>,
}

/// `?category=ID`.
#[derive(Debug, Deserialize)]
pub struct Chosen {
    category: Option<String>,
}

/// The form: `category`, `training.ID`, `suffix`, `shift`, `start`, `learners`,
/// `accept_code.CODE`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RolloverForm(HashMap<String, String>);

impl WithCsrf for RolloverForm {
    fn csrf(&self) -> &str {
        self.0.get("csrf").map_or("", String::as_str)
    }
}

impl RolloverForm {
    fn text(&self, key: &str) -> String {
        self.0
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }

    fn ticked(&self) -> BTreeSet<i64> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with("training."))
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    }

    fn accepted(&self) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with("accept_code."))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The page with the category's trainings, all ticked, and no precheck yet.
async fn blank(
    state: &AppState,
    visit: &Visit,
    category: Option<i64>,
) -> Result<RolloverPage, WebError> {
    let tree = state
        .site()
        .category_tree()
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let categories = tree
        .by_path()
        .into_iter()
        .map(|(id, path)| (id, path, Some(id) == category))
        .collect();
    let mut choices = Vec::new();
    if let Some(category) = category {
        let subtree = tree.subtree(category);
        let list = state
            .site()
            .list_trainings()
            .await
            .map_err(|e| WebError::internal(visit, e))?;
        for training in list
            .trainings
            .iter()
            .filter(|t| subtree.contains(&t.category_id))
        {
            choices.push(Choice {
                id: training.id,
                name: training
                    .name
                    .clone()
                    .unwrap_or_else(|| visit.tr().get("trainings.no_name").to_owned()),
                path: tree.path_text(training.category_id),
                ticked: true,
            });
        }
    }
    Ok(RolloverPage {
        l: Layout::of(visit),
        categories,
        category,
        choices,
        suffix: String::new(),
        shift: String::new(),
        start: String::new(),
        learners: false,
        rows: Vec::new(),
        groups: Vec::new(),
        checked: false,
        blocked: false,
        done: Vec::new(),
        problem: None,
    })
}

/// The rollover page of a category (`?category=ID`), or the category to choose.
pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Query(chosen): Query<Chosen>,
) -> Result<Response, WebError> {
    let category = chosen.category.and_then(|c| c.trim().parse().ok());
    let page = blank(&state, &operator.visit, category).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The page as the form left it, and the entries of its ticked trainings, saved in memory
/// and prepared as files would be; or the page that says why not.
async fn prechecked(
    state: &AppState,
    visit: &Visit,
    form: &RolloverForm,
) -> Result<Result<(RolloverPage, Vec<Plan>), RolloverPage>, WebError> {
    let t = visit.tr();
    let category = form.text("category").parse().ok();
    let mut page = blank(state, visit, category).await?;
    let ticked = form.ticked();
    for choice in &mut page.choices {
        choice.ticked = ticked.contains(&choice.id);
    }
    page.suffix = form.text("suffix");
    page.shift = form.text("shift");
    page.start = form.text("start");
    page.learners = form.text("learners") == "with";
    let chosen: Vec<i64> = page
        .choices
        .iter()
        .filter(|c| c.ticked)
        .map(|c| c.id)
        .collect();
    if chosen.is_empty() {
        page.problem = Some(t.get("rollover.none_ticked").to_owned());
        return Ok(Err(page));
    }
    if page.suffix.is_empty() {
        page.problem = Some(t.get("rollover.no_suffix").to_owned());
        return Ok(Err(page));
    }
    let choices = RestoreChoices {
        mode: "clone".to_owned(),
        suffix: page.suffix.clone(),
        shift: page.shift.clone(),
        start: page.start.clone(),
        learners: if page.learners { "with" } else { "without" }.to_owned(),
        template: "reuse".to_owned(),
        ..RestoreChoices::default()
    };
    let options = match super::restore::options(t, &choices, restore::Provenance::Unsigned) {
        Ok(options) => options,
        Err(problem) => {
            page.problem = Some(problem);
            return Ok(Err(page));
        }
    };
    let key = keys::read_private_key(&state.config().key_path)
        .map_err(|_| visit.error(WhatWentWrong::NoSigningKey))?;
    let trust = keys::TrustStore::open(state.config().trust_dir.clone(), Some(key.verifying_key()))
        .map_err(|e| WebError::internal(visit, e))?;
    let created = time::OffsetDateTime::now_utc();
    let mut entries = Vec::new();
    for id in chosen {
        let saved = crate::save::save(
            state.site(),
            id,
            &crate::save::SaveOptions {
                key: &key,
                strict: false,
                created,
            },
        )
        .await
        .map_err(|e| super::trainings::save_failure(visit, &e))?;
        let name = saved.document.training.name.clone();
        let prepared = restore::prepare(Backup::V2(saved.document), &trust)
            .map_err(|e| WebError::internal(visit, e))?;
        let mut options = options.clone();
        options.provenance = prepared.provenance;
        entries.push(BatchEntry {
            origin: name,
            document: prepared.document,
            options,
        });
    }
    let plans = batch::precheck_batch(state.site(), &entries)
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let accepted = form.accepted();
    page.rows = plans.iter().map(|p| row(t, p)).collect();
    page.groups = batch::group_findings(&plans)
        .into_iter()
        .map(|g| {
            let mut lines = Vec::new();
            for plan in &plans {
                for finding in plan.findings.iter().filter(|f| f.code == g.code) {
                    lines.push(format!(
                        "{} — {}",
                        plan.training.name,
                        super::restore::finding_text(t, finding)
                    ));
                }
            }
            Group {
                code: g.code.as_str(),
                severity: t
                    .get(match g.severity {
                        Severity::Info => "rollover.info",
                        Severity::NeedsAccept => "rollover.needs_accept",
                        Severity::Blocking => "rollover.blocking",
                    })
                    .to_owned(),
                class: match g.severity {
                    Severity::Info => "info",
                    Severity::NeedsAccept => "accept",
                    Severity::Blocking => "blocking",
                },
                count: g.count,
                lines,
                accept: (g.severity == Severity::NeedsAccept)
                    .then(|| accepted.contains(g.code.as_str())),
                accept_label: t.fmt("rollover.accept_code", &[("n", &g.count.to_string())]),
            }
        })
        .collect();
    page.checked = true;
    page.blocked = !batch::blocking(&plans).is_empty();
    Ok(Ok((page, plans)))
}

/// The combined precheck's row of a plan.
fn row(t: super::i18n::Tr, plan: &Plan) -> Row {
    let summary = batch::summary(&plan.training.name, plan);
    let counts = |c: batch::Counts| {
        t.fmt(
            "rollover.counts",
            &[
                ("written", &c.written.to_string()),
                ("skipped", &c.skipped.to_string()),
            ],
        )
    };
    Row {
        training: summary.training,
        target: summary.target,
        action: t
            .get(match summary.action {
                restore::TrainingAction::Create => "rollover.create",
                restore::TrainingAction::Replace => "rollover.replace",
            })
            .to_owned(),
        milestones: counts(summary.milestones),
        learners: counts(summary.learners),
        template: summary.template.map_or_else(
            || t.get("rollover.no_template").to_owned(),
            |tpl| {
                let action = t.get(match tpl.action {
                    TemplateAction::Reuse => "rollover.template_reuse",
                    TemplateAction::Create => "rollover.template_create",
                    TemplateAction::Replace => "rollover.template_replace",
                });
                format!("{} ({action})", tpl.name)
            },
        ),
        codes: summary
            .codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// *Check*: the combined precheck of the ticked trainings.
pub async fn check(
    State(state): State<AppState>,
    operator: Operator,
    CheckedForm(form): CheckedForm<RolloverForm>,
) -> Result<Response, WebError> {
    Ok(match prechecked(&state, &operator.visit, &form).await? {
        Ok((page, _)) => render(StatusCode::OK, &page),
        Err(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
    })
}

/// *Apply*: saves and prechecks again, then writes each training in its own transaction
/// with the codes ticked.
pub async fn apply(
    State(state): State<AppState>,
    operator: Operator,
    CheckedForm(form): CheckedForm<RolloverForm>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let (mut page, plans) = match prechecked(&state, visit, &form).await? {
        Ok(checked) => checked,
        Err(page) => return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page)),
    };
    if page.blocked {
        page.problem = Some(t.get("rollover.blocked").to_owned());
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let ticked = form.accepted();
    let accepted = Accepted::new(
        batch::needs_accept(&plans)
            .into_iter()
            .filter(|c| ticked.contains(c.as_str())),
    );
    let unaccepted: Vec<&str> = batch::unaccepted(&plans, &accepted)
        .into_iter()
        .map(Code::as_str)
        .collect();
    if !unaccepted.is_empty() {
        page.problem = Some(t.fmt("rollover.tick", &[("codes", &unaccepted.join(", "))]));
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
    let operator = super::restore::audit_operator(visit);
    let live: HashMap<&str, i64> = page
        .choices
        .iter()
        .map(|c| (c.name.as_str(), c.id))
        .collect();
    let mut done = Vec::new();
    let mut failed = 0;
    // Each training in its own transaction, as far as the outcome goes; the clones are
    // written many at a time (restore::apply_each).
    let refs: Vec<&restore::Plan> = plans.iter().collect();
    let outcomes = restore::apply_each(
        state.site(),
        &refs,
        &accepted,
        &ApplyOptions::default(),
        &[],
        |_| {},
    )
    .await;
    for (plan, applied) in plans.iter().zip(outcomes) {
        let source = crate::audit::Source {
            live_training: live.get(plan.source.name.as_str()).copied(),
            ..crate::audit::Source::default()
        };
        let entry = restore::audit_entry("web /rollover", operator.clone(), source, plan, &applied);
        if let Err(e) = audit.append(&entry) {
            eprintln!("attestoodle-backup serve: {e}");
        }
        match applied {
            Ok(report) => done.push(t.fmt(
                "rollover.written",
                &[
                    ("name", &report.training_name),
                    ("milestones", &report.written.milestones.to_string()),
                ],
            )),
            Err(e) => {
                failed += 1;
                done.push(t.fmt(
                    "rollover.failed",
                    &[
                        ("name", &plan.training.name),
                        (
                            "reason",
                            &super::page::quoted(&e.localized(visit.lang), visit.lang),
                        ),
                    ],
                ));
            }
        }
    }
    page.done = done;
    if failed > 0 {
        page.problem = Some(t.fmt("rollover.some_failed", &[("n", &failed.to_string())]));
    }
    Ok(render(StatusCode::OK, &page))
}
