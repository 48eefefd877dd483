//! Template previews on the web pages: the SVG of a training's template, of this site's
//! template by name, and of the uploaded file's template, each served from this site (the
//! pages' `img-src 'self'`), and the side-by-side pairs of the precheck page's
//! `template-differs` findings.
//!
//! An SVG preview embeds its background as a `data:` image; its own response carries a
//! Content-Security-Policy that allows exactly that and nothing else (no script, no style, no
//! request), so that it cannot do more than a picture when opened on its own.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::error::{WebError, WhatWentWrong};
use super::login::query_encode;
use super::security::{Operator, Visit};
use super::AppState;
use crate::document::load::{self, Backup};
use crate::document::{migrate, v2};
use crate::i18n::Lang;
use crate::preview::{self, Issue, Problem, Sample};
use crate::restore::{Code, Plan};

/// The Content-Security-Policy of an SVG preview: its embedded background and nothing else.
const SVG_POLICY: &str = "default-src 'none'; img-src data:; frame-ancestors 'none'";

/// This site's and the file's previews of one template of a `template-differs` finding.
#[derive(Debug, Clone)]
pub(super) struct PreviewPair {
    /// The section's heading, naming the template.
    pub heading: String,
    /// The address of this site's preview.
    pub site_src: String,
    /// What this site's preview could not draw as the template says.
    pub site_issues: Vec<String>,
    /// The address of the file's preview.
    pub file_src: String,
    /// What the file's preview could not draw as the template says.
    pub file_issues: Vec<String>,
}

/// The issues of a preview as the page lists them.
pub(super) fn issues_text(issues: &[Issue], lang: Lang) -> Vec<String> {
    issues.iter().map(|issue| issue.localized(lang)).collect()
}

/// The issues of a template drawn without reading its image (the training page, whose
/// backup is read without the background files): every issue but the missing image.
pub(super) fn issues_without_image(template: &v2::Template, sample: &Sample) -> Vec<String> {
    let issues: Vec<Issue> = preview::render(template, sample)
        .issues
        .into_iter()
        .filter(|issue| issue.problem != Problem::NoImage)
        .collect();
    issues_text(&issues, sample.lang)
}

/// The pairs to show on a precheck page: one per `template-differs` finding, the site's
/// template by its name on the target, the file's by its name in `document`.
pub(super) async fn differing_pairs(
    state: &AppState,
    visit: &Visit,
    plan: &Plan,
    document: &v2::Document,
    upload: &str,
) -> Result<Vec<PreviewPair>, WebError> {
    let mut pairs = Vec::new();
    let lang = visit.lang;
    for line in &plan.templates {
        let subject = format!("template {}", line.target_name);
        let differs = plan
            .findings
            .iter()
            .any(|f| f.code == Code::TemplateDiffers && f.subjects.contains(&subject));
        let Some(file) = document.templates.iter().find(|t| t.name == line.name) else {
            continue;
        };
        if !differs {
            continue;
        }
        let sample = Sample::new(&plan.training.name, lang);
        let site_issues = match site_template(state, visit, &line.target_name).await? {
            Some(template) => issues_text(&preview::render(&template, &sample).issues, lang),
            None => Vec::new(),
        };
        pairs.push(PreviewPair {
            heading: visit
                .tr()
                .fmt("preview.heading", &[("name", &line.target_name)]),
            site_src: format!(
                "{}/templates/preview.svg?name={}",
                visit.base,
                query_encode(&line.target_name)
            ),
            site_issues,
            file_src: format!(
                "{}/restore/template-preview.svg?upload={}&name={}",
                visit.base,
                query_encode(upload),
                query_encode(&file.name)
            ),
            file_issues: issues_text(&preview::render(file, &sample).issues, lang),
        });
    }
    Ok(pairs)
}

/// This site's first template named exactly `name`, with its image when it can be read.
async fn site_template(
    state: &AppState,
    visit: &Visit,
    name: &str,
) -> Result<Option<v2::Template>, WebError> {
    let found = state
        .site()
        .templates_for_preview(name)
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    Ok(found.first().map(|t| {
        preview::template(
            &t.name,
            &t.details,
            t.image
                .as_ref()
                .map(|(filename, bytes)| (filename.as_str(), bytes.as_slice())),
        )
    }))
}

/// An SVG preview as a response, with its own policy.
fn svg_response(svg: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, SVG_POLICY),
        ],
        svg,
    )
        .into_response()
}

/// The `n`-th template a backup of training `id` carries, drawn with the training's name and
/// its background read from Moodle's file store as `save` reads it.
pub async fn training_template(
    State(state): State<AppState>,
    operator: Operator,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let (Ok(id), Ok(n)) = (id.parse::<i64>(), n.parse::<usize>()) else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let (document, _) = crate::save::read(state.site(), id, OffsetDateTime::now_utc())
        .await
        .map_err(|e| super::trainings::save_failure(visit, &e))?;
    let Some(template) = document.templates.get(n) else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let sample = Sample::new(&document.training.name, visit.lang);
    Ok(svg_response(preview::render(template, &sample).svg))
}

/// The query of a site template's preview.
#[derive(Debug, Deserialize)]
pub struct SiteQuery {
    name: String,
}

/// This site's template named exactly `name`.
pub async fn site(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<SiteQuery>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Some(template) = site_template(&state, visit, &query.name).await? else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let training = visit.lang.pick("Training name", "Nom de la formation");
    let sample = Sample::new(training, visit.lang);
    Ok(svg_response(preview::render(&template, &sample).svg))
}

/// The query of an uploaded file's template preview.
#[derive(Debug, Deserialize)]
pub struct FileQuery {
    upload: String,
    name: String,
}

/// The template named `name` of the upload this session keeps (the one the precheck page
/// names); a gone upload is a missing page.
pub async fn file(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<FileQuery>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Some(pending) = visit
        .session
        .pending
        .clone()
        .filter(|p| p.is_live() && p.id == query.upload)
    else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let max = u64::try_from(state.config().max_upload).unwrap_or(u64::MAX);
    let document = match load::load_bytes(&pending.bytes, max) {
        Ok(Backup::V2(document)) => document,
        Ok(Backup::Legacy(file)) => {
            migrate::legacy_to_v2(&file)
                .map_err(|_| visit.error(WhatWentWrong::NotFound))?
                .document
        }
        Err(_) => return Err(visit.error(WhatWentWrong::NotFound)),
    };
    let Some(template) = document.templates.iter().find(|t| t.name == query.name) else {
        return Err(visit.error(WhatWentWrong::NotFound));
    };
    let sample = Sample::new(&document.training.name, visit.lang);
    Ok(svg_response(preview::render(template, &sample).svg))
}
