//! The trainings of the site, grouped by category with a search box, and one training's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::{WebError, WhatWentWrong};
use super::page::{render, Layout};
use super::security::{Operator, Visit};
use super::AppState;
use crate::moodle::{TrainingList, TrainingSummary};

/// One line of the list.
struct Line {
    id: i64,
    name: String,
    milestones: i64,
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
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Ok(id) = id.parse::<i64>() else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let list = state
        .site()
        .list_trainings()
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let Some(training) = list.trainings.iter().find(|t| t.id == id) else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
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
        },
    ))
}
