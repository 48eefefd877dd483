//! The trainings of the site, grouped by category with a search box, and one training's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use time::OffsetDateTime;

use super::downloads::{self, Download, Failure};
use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{Operator, Visit};
use super::session::RestoreChoices;
use super::AppState;
use crate::document::{keys, v2};
use crate::moodle::{TrainingList, TrainingSummary};
use crate::save::{self, SaveError, SaveOptions};

/// One line of the list.
struct Line {
    id: i64,
    name: String,
    milestones: i64,
    /// How many milestones' activity or course no longer exists (a backup leaves them out),
    /// in words, when there are some.
    orphans: Option<String>,
    learners: i64,
    template: String,
}

/// The trainings of one category.
struct Group {
    path: String,
    trainings: Vec<Line>,
}

#[derive(Template)]
#[template(path = "trainings.html")]
struct TrainingsPage {
    l: Layout,
    q: String,
    summary: String,
    groups: Vec<Group>,
}

/// One milestone as the training page lists it.
struct MilestoneLine {
    course: String,
    section: i64,
    position: i64,
    activity: String,
    kind: String,
    minutes: i64,
}

/// One learner as the training page lists it.
struct LearnerLine {
    name: String,
    email: String,
    username: String,
    /// The account is deleted or missing: a backup leaves the learner out.
    gone: bool,
}

/// One template detail (an element of the certificate).
struct DetailLine {
    kind: String,
    data: String,
}

/// A template the training uses, as a backup would carry it.
struct TemplateBlock {
    name: String,
    details: Vec<DetailLine>,
    /// Its place in the backup's `templates`, for the background's address; `None` without
    /// a background.
    background: Option<usize>,
    /// Its place in the backup's `templates`, for its preview's address.
    index: usize,
    /// What its preview cannot draw as the template says.
    preview_issues: Vec<String>,
    /// The preview's text alternative.
    preview_alt: String,
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage {
    l: Layout,
    id: i64,
    name: String,
    category: String,
    milestones: i64,
    learners: i64,
    template: String,
    /// The milestones as a backup would name them.
    lines: Vec<MilestoneLine>,
    /// What a backup would leave out or warn about (orphan milestones...).
    notes: Vec<String>,
    /// The learners, by name: the first [`LEARNERS_SHOWN`] unless all were asked for.
    learner_lines: Vec<LearnerLine>,
    /// When some learners are not listed: what the list shows, and the link to all.
    learners_folded: Option<(String, String)>,
    /// The templates a backup would carry.
    templates: Vec<TemplateBlock>,
    /// How many milestones are broken (`repair`), and the link's text.
    broken: usize,
    repair_link: String,
    /// The *Clone* form: its choices (a clone; the category found as for a file, by idnumber
    /// then path, unless one is chosen) and this site's categories.
    c: RestoreChoices,
    categories: Vec<(String, String)>,
    upload_form: bool,
    clone_form: bool,
}

/// How many learners a training's page lists unless all are asked for: a page of 10,000 rows
/// is slow to make and to read, and the count above says how many there are.
const LEARNERS_SHOWN: usize = 100;

/// The query of a training's page: `learners=all` lists every learner.
#[derive(Debug, Deserialize)]
pub struct TrainingView {
    learners: Option<String>,
}

/// The query of the list page.
#[derive(Debug, Deserialize)]
pub struct Search {
    q: Option<String>,
}

fn category_text(list: &TrainingList, training: &TrainingSummary, visit: &Visit) -> String {
    let path = list.categories.path_text(training.category_id);
    if path.is_empty() {
        visit.tr().fmt(
            "trainings.no_category",
            &[("id", &training.category_id.to_string())],
        )
    } else {
        path
    }
}

fn name_text(training: &TrainingSummary, visit: &Visit) -> String {
    training
        .name
        .clone()
        .unwrap_or_else(|| visit.tr().get("trainings.no_name").to_owned())
}

fn template_text(training: &TrainingSummary, visit: &Visit) -> String {
    training
        .template
        .clone()
        .unwrap_or_else(|| visit.tr().get("trainings.no_template").to_owned())
}

/// Every training, grouped by category path; `?q=` keeps those whose name or category path
/// contains the words typed (case-insensitive).
pub async fn list(
    State(state): State<AppState>,
    operator: Operator,
    Query(search): Query<Search>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let list = state
        .site()
        .list_trainings()
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let q = search.q.unwrap_or_default();
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut rows: Vec<(String, String, &TrainingSummary)> = list
        .trainings
        .iter()
        .map(|t| (category_text(&list, t, visit), name_text(t, visit), t))
        .filter(|(category, name, _)| {
            let haystack = format!("{} {}", name.to_lowercase(), category.to_lowercase());
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1, a.2.id).cmp(&(&b.0, &b.1, b.2.id)));
    let shown = rows.len();
    for (category, name, t) in rows {
        let line = Line {
            id: t.id,
            name,
            milestones: t.milestones,
            orphans: (t.orphan_milestones > 0).then(|| {
                visit.tr().fmt(
                    "trainings.orphans",
                    &[("n", &t.orphan_milestones.to_string())],
                )
            }),
            learners: t.learners,
            template: template_text(t, visit),
        };
        match groups.last_mut() {
            Some(group) if group.path == category => group.trainings.push(line),
            _ => groups.push(Group {
                path: category,
                trainings: vec![line],
            }),
        }
    }
    let summary = visit.tr().fmt(
        "trainings.summary",
        &[
            ("shown", &shown.to_string()),
            ("total", &list.trainings.len().to_string()),
            ("categories", &groups.len().to_string()),
        ],
    );
    Ok(render(
        StatusCode::OK,
        &TrainingsPage {
            l: Layout::of(visit),
            q,
            summary,
            groups,
        },
    ))
}

/// One training: its category, counts and template.
pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(view): Query<TrainingView>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
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
    let all = view.learners.as_deref() == Some("all");
    let contents = contents(&state, id, all, visit).await?;
    let learners_folded = (!all && contents.learner_rows > LEARNERS_SHOWN as i64).then(|| {
        let total = contents.learner_rows.to_string();
        (
            visit.tr().fmt(
                "training.learners_folded",
                &[("shown", &LEARNERS_SHOWN.to_string()), ("total", &total)],
            ),
            visit
                .tr()
                .fmt("training.learners_all", &[("total", &total)]),
        )
    });
    let categories = list.categories.by_path();
    let target = crate::restore::RepairTarget {
        id,
        name: training.name.clone(),
    };
    let broken = crate::restore::precheck_repair(state.site(), &[target], None)
        .await
        .map_err(|e| WebError::internal(visit, e))?
        .broken_count();
    Ok(render(
        StatusCode::OK,
        &TrainingPage {
            l: Layout::of(visit),
            id,
            name: name_text(training, visit),
            category: category_text(&list, training, visit),
            milestones: training.milestones,
            learners: training.learners,
            template: template_text(training, visit),
            lines: contents.milestones,
            notes: contents.notes,
            learner_lines: contents.learners,
            learners_folded,
            templates: contents.templates,
            broken,
            repair_link: visit.tr().fmt("repair.link", &[("n", &broken.to_string())]),
            c: RestoreChoices {
                mode: "clone".to_owned(),
                ..RestoreChoices::default()
            },
            categories: super::restore::category_list(&categories),
            upload_form: false,
            clone_form: true,
        },
    ))
}

/// What the training page shows of a training's contents.
struct Contents {
    milestones: Vec<MilestoneLine>,
    notes: Vec<String>,
    learners: Vec<LearnerLine>,
    /// How many learner rows the training has (`learners` may list fewer).
    learner_rows: i64,
    templates: Vec<TemplateBlock>,
}

/// The milestones and templates as the backup names them (course, section, position,
/// activity), through the same snapshot and builder as `save`, without signing, reading image
/// files or reading the learner rows (the outline); the save's warnings; the learners by
/// name, the first [`LEARNERS_SHOWN`] unless `all`, with what a backup would leave out of
/// them counted. A training the builder refuses (deleted category) lists no milestone, with
/// the reason.
async fn contents(
    state: &AppState,
    id: i64,
    all: bool,
    visit: &Visit,
) -> Result<Contents, WebError> {
    let site = state.site();
    let Some(snapshot) = site
        .training_outline(id)
        .await
        .map_err(|e| WebError::internal(visit, e))?
    else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let page = site
        .learner_page(id, (!all).then_some(LEARNERS_SHOWN))
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let learners: Vec<LearnerLine> = page
        .learners
        .iter()
        .map(|(user_id, user)| match user {
            Some(u) => LearnerLine {
                name: format!("{} {}", u.firstname, u.lastname).trim().to_owned(),
                email: u.email.clone(),
                username: u.username.clone(),
                gone: u.deleted,
            },
            None => LearnerLine {
                name: visit
                    .tr()
                    .fmt("training.account_missing", &[("id", &user_id.to_string())]),
                email: String::new(),
                username: String::new(),
                gone: true,
            },
        })
        .collect();
    // What a backup leaves out of the learners, counted (the builder would say it row by
    // row, but it does not see the learners here).
    let mut learner_notes = Vec::new();
    if page.gone > 0 {
        learner_notes.push(
            visit
                .tr()
                .fmt("training.learners_gone", &[("n", &page.gone.to_string())]),
        );
    }
    if page.repeated > 0 {
        learner_notes.push(visit.tr().fmt(
            "training.learners_repeated",
            &[("n", &page.repeated.to_string())],
        ));
    }
    let context = save::BuildContext {
        filedir: None,
        wwwroot: None,
        created: OffsetDateTime::now_utc(),
    };
    let has_background = |template: &str| {
        snapshot.templates.iter().any(|t| {
            t.name == template
                && snapshot
                    .details
                    .iter()
                    .any(|d| d.template_id == t.id && d.kind == "background")
        })
    };
    match save::build(&snapshot, &context) {
        Ok((document, warnings)) => {
            let milestones = document
                .milestones
                .iter()
                .map(|m| MilestoneLine {
                    course: m.course.clone(),
                    section: m.section,
                    position: m.position,
                    activity: m
                        .activity
                        .name
                        .clone()
                        .or_else(|| m.name.clone())
                        .unwrap_or_default(),
                    kind: m.activity.kind.clone().unwrap_or_default(),
                    minutes: m.creditedtime,
                })
                .collect();
            let templates = document
                .templates
                .iter()
                .enumerate()
                .map(|(n, t)| TemplateBlock {
                    name: t.name.clone(),
                    details: t
                        .details
                        .iter()
                        .map(|d| DetailLine {
                            kind: d.kind.clone(),
                            data: d.data.clone(),
                        })
                        .collect(),
                    background: has_background(&t.name).then_some(n),
                    index: n,
                    preview_alt: visit.tr().fmt("preview.alt", &[("name", &t.name)]),
                    preview_issues: super::preview::issues_without_image(
                        t,
                        &crate::preview::Sample::new(&document.training.name, visit.lang),
                    ),
                })
                .collect();
            let mut notes: Vec<String> = warnings
                .iter()
                // Background images are not read for this page: that warning would mislead.
                .filter(|w| !w.code.starts_with("background"))
                .map(|w| super::page::quoted(w.message(visit.lang), visit.lang))
                .collect();
            notes.extend(learner_notes);
            Ok(Contents {
                milestones,
                notes,
                learners,
                learner_rows: page.rows,
                templates,
            })
        }
        Err(error) => Ok(Contents {
            milestones: Vec::new(),
            notes: vec![super::page::quoted(
                &error.localized(visit.lang),
                visit.lang,
            )],
            learners,
            learner_rows: page.rows,
            templates: Vec::new(),
        }),
    }
}

/// The background image of the `n`-th template a backup of training `id` carries, read from
/// Moodle's file store as `save` reads it; only raster images are sent (never SVG, which could
/// hold a script).
pub async fn background(
    State(state): State<AppState>,
    operator: Operator,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let id = training_id(&id, visit)?;
    let n = n
        .parse::<usize>()
        .map_err(|_| visit.error(WhatWentWrong::NotFound))?;
    let (document, _) = save::read(state.site(), id, OffsetDateTime::now_utc())
        .await
        .map_err(|e| save_failure(visit, &e))?;
    let Some(background) = document
        .templates
        .get(n)
        .and_then(|t| t.background.as_ref())
    else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    const RASTER: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
    let Some(mimetype) = RASTER.iter().find(|m| **m == background.mimetype) else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &background.content,
    )
    .map_err(|e| WebError::internal(visit, e))?;
    Ok(([(header::CONTENT_TYPE, *mimetype)], bytes).into_response())
}

/// The training's id from the path; anything else is a missing page.
fn training_id(id: &str, visit: &Visit) -> Result<i64, WebError> {
    id.parse::<i64>()
        .map_err(|_| visit.error(WhatWentWrong::NotFound))
}

/// A file to download: JSON, as an attachment named `name`.
pub(super) fn attachment(name: &str, body: impl Into<axum::body::Body>) -> Response {
    // File names come from `save::slug`: ASCII letters, digits and `-` only.
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

pub(super) fn save_failure(visit: &Visit, error: &SaveError) -> WebError {
    match error {
        SaveError::NotFound { .. } => visit.error(WhatWentWrong::NotFound),
        SaveError::Database(e) => WebError::internal(visit, e),
        other => {
            eprintln!("attestoodle-backup serve: {other}");
            visit.error(WhatWentWrong::CannotSave)
        }
    }
}

/// *Download backup*: the same signed format-2 file as `save`, sent to the browser and kept
/// nowhere on the server. Requests for one training arriving while it is being read share
/// the next read ([`super::downloads`]).
pub async fn download(
    State(state): State<AppState>,
    operator: Operator,
    turn: Option<axum::Extension<super::Turn>>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let id = training_id(&id, visit)?;
    // Waiting for a read takes no place among the requests answered at once; the read
    // itself takes one, behind those already waiting.
    if let Some(axum::Extension(turn)) = &turn {
        turn.step_aside();
    }
    let outcome = state
        .downloads()
        .of(id, || async {
            let _reading = super::Turn::wait(&state).await;
            build_download(state.clone(), id).await
        })
        .await;
    match outcome {
        Ok(download) => Ok(attachment(&download.name, download.text.clone())),
        Err(failure) => Err(match &*failure {
            Failure::NoSigningKey => visit.error(WhatWentWrong::NoSigningKey),
            Failure::Save(e) => save_failure(visit, e),
            Failure::Internal(e) => WebError::internal(visit, e),
        }),
    }
}

/// Reads training `id` and builds its signed backup, as `save` does.
async fn build_download(state: AppState, id: i64) -> downloads::Outcome {
    // The web never creates the key: it is made once, on purpose, with `keys generate`.
    let key = keys::read_private_key(&state.config().key_path)
        .map_err(|_| Arc::new(Failure::NoSigningKey))?;
    let created = OffsetDateTime::now_utc();
    let snapshot = state
        .site()
        .training_snapshot(id)
        .await
        .map_err(|e| Arc::new(Failure::Save(e.into())))?
        .ok_or_else(|| Arc::new(Failure::Save(SaveError::NotFound { id })))?;
    // Building, signing and writing the text of a big training is a tenth of a second of
    // work: on a thread of its own, so that the server's few async workers go on answering the
    // other visitors meanwhile (issue 16, the web server under load).
    let built = tokio::task::spawn_blocking(move || {
        let options = SaveOptions {
            key: &key,
            strict: false,
            created,
        };
        save::save_read(state.site(), &snapshot, &options).map(|saved| Download {
            name: save::default_file_name(&saved.document.training.name, created),
            text: v2::to_text(&saved.document).into(),
        })
    })
    .await
    .map_err(|e| Arc::new(Failure::Internal(e.to_string())))?;
    built.map(Arc::new).map_err(|e| Arc::new(Failure::Save(e)))
}

/// *Download for the PHP plugin*: the file `save --format legacy` writes.
pub async fn download_legacy(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let id = training_id(&id, visit)?;
    let saved = save::legacy::save(state.site(), id, false)
        .await
        .map_err(|e| save_failure(visit, &e))?;
    let name = save::legacy::default_file_name(&saved.training, OffsetDateTime::now_utc());
    Ok(attachment(&name, saved.text))
}
