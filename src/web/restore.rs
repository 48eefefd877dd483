//! The *Restore or clone* pages: upload a backup (format 2 or the PHP plugin's), choose
//! restore or clone, see the precheck, tick the findings to accept, apply, see the result.
//!
//! A thin use of the library: `document::load` reads the file, `restore::prepare` maps a
//! legacy file and checks the signature, `restore::precheck` and `restore::apply` do the rest.
//! The uploaded file lives only in the memory of the session (`session::PendingRestore`) until
//! it is applied, replaced or expires.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::WebError;
use super::i18n::Tr;
use super::page::{render, Layout};
use super::security::{CheckedForm, CheckedUpload, Operator, Visit, WithCsrf};
use super::session::{PendingRestore, PreviousTraining, RestoreChoices};
use super::AppState;
use crate::document::keys::{self, TrustStore};
use crate::document::load;
use crate::i18n::Lang;
use crate::restore::{
    self, Accepted, Advice, ApplyOptions, Code, DateShift, Finding, Mode, Plan, Provenance, Report,
    RestoreError, RestoreOptions, Severity, Status, TemplateMode, TrainingAction,
};

#[derive(Template)]
#[template(path = "restore.html")]
struct FormPage {
    l: Layout,
    c: RestoreChoices,
    /// This site's categories, `(id, path)` by path, for the category list.
    categories: Vec<(String, String)>,
    /// The upload form (with the course map's file field), not *Change options*.
    upload_form: bool,
    /// The *Clone* form of a training's page (no restore/clone choice).
    clone_form: bool,
    problem: Option<String>,
    /// The file kept in the session whose choices are to be corrected: the form then changes
    /// the options of that file instead of asking for one.
    kept: Option<KeptFile>,
}

/// A file kept in the session, as the form names it.
struct KeptFile {
    id: String,
    file_name: String,
}

/// One line of the findings table.
struct Row {
    text: String,
    subjects: String,
    /// The checkbox of a finding to accept.
    tick: Option<Tick>,
}

/// The findings of one code, with their count: the page shows them folded when there are
/// more than [`FOLD_ABOVE`], and offers one box that accepts them all.
struct FindingGroup {
    severity: &'static str,
    class: &'static str,
    code: &'static str,
    rows: Vec<Row>,
    folded: bool,
    /// The *Accept all N findings of this code* box.
    accept_all: Option<CodeTick>,
}

/// Above this many findings of one code, their details are folded.
const FOLD_ABOVE: usize = 10;

/// The checkbox of one finding to accept.
struct Tick {
    index: usize,
    value: String,
    checked: bool,
}

/// What names a finding in its checkbox: its code and subjects, so that a box ticked on the
/// page never accepts a finding the page did not show.
fn finding_key(f: &Finding) -> String {
    format!("{}|{}", f.code, f.subjects.join("|"))
}

/// The codes whose every finding to accept was ticked.
/// The box that accepts every finding of a code at once (`accept_code.CODE`), as `--accept
/// CODE` does on the command line.
fn code_key(code: Code) -> String {
    format!("code|{}", code.as_str())
}

fn accepted_codes(plan: &Plan, ticked: &BTreeSet<String>) -> Accepted {
    Accepted::new(plan.needs_accept().into_iter().filter(|code| {
        ticked.contains(&code_key(*code))
            || plan
                .findings
                .iter()
                .filter(|f| f.code == *code && f.severity == Severity::NeedsAccept)
                .all(|f| ticked.contains(&finding_key(f)))
    }))
}

/// One milestone of the mapping table: the file's side and this site's.
struct MappingLine {
    course: String,
    section: i64,
    position: i64,
    activity: String,
    kind: String,
    minutes: i64,
    target_course: String,
    target_activity: String,
    target_kind: String,
    /// How it was found, or why not, in words.
    how: String,
    written: bool,
}

/// One learner of the mapping table.
struct LearnerMapping {
    email: String,
    account: String,
    how: String,
    written: bool,
}

/// A finding as the web says it: what was found, and the advice naming the form's fields
/// (never a command-line flag), names in quotation marks.
pub(super) fn finding_text(t: Tr, f: &Finding) -> String {
    let lang = t.0;
    let text = restore::with_advice(f.what(lang), &f.advice, lang, |a| advice_text(t, a));
    super::page::quoted(&text, lang)
}

/// One advice in the words of the web's form.
fn advice_text(t: Tr, advice: &Advice) -> String {
    let label = |key: &'static str| t.get(key).trim_end_matches([':', ' ']).to_owned();
    match advice {
        Advice::Accept(_) => t.get("advice.accept").to_owned(),
        Advice::TrustKey => t.get("advice.trust_key").to_owned(),
        Advice::Name(None) => t.fmt("advice.name", &[("field", &label("restore.name"))]),
        Advice::Name(Some(proposal)) => t.fmt(
            "advice.name_proposal",
            &[("field", &label("restore.name")), ("proposal", proposal)],
        ),
        Advice::SuffixOrName => t.fmt(
            "advice.suffix_or_name",
            &[
                ("suffix", &label("restore.suffix")),
                ("name", &label("restore.name")),
            ],
        ),
        Advice::Category => t.fmt(
            "advice.category",
            &[("field", &label("restore.category_choice"))],
        ),
        Advice::Dates => t.fmt(
            "advice.dates",
            &[
                ("shift", &label("restore.shift")),
                ("start", &label("restore.start")),
            ],
        ),
        Advice::RenameCourse(course) => t.fmt(
            "advice.rename_course",
            &[("course", course), ("field", &label("restore.courses"))],
        ),
        Advice::FileStore => t.get("advice.file_store").to_owned(),
        Advice::TemplateCopyName(proposal) => {
            let copy = label("restore.template_copy");
            let choice = label("restore.template_choice");
            let field = label("restore.template_copy_name");
            match proposal {
                None => t.fmt(
                    "advice.template_copy",
                    &[("copy", &copy), ("choice", &choice), ("field", &field)],
                ),
                Some(proposal) => t.fmt(
                    "advice.template_copy_proposal",
                    &[
                        ("copy", &copy),
                        ("choice", &choice),
                        ("field", &field),
                        ("proposal", proposal),
                    ],
                ),
            }
        }
        Advice::TemplateReplace => t.fmt(
            "advice.template_replace",
            &[
                ("replace", &label("restore.template_replace")),
                ("choice", &label("restore.template_choice")),
            ],
        ),
        Advice::WithLearners => t.fmt(
            "advice.with_learners",
            &[
                ("with", &label("restore.learners_with")),
                ("field", &label("restore.learners_choice")),
            ],
        ),
    }
}

/// The catalogue key and class of a severity.
fn severity_class(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Info => ("restore.severity.info", "info"),
        Severity::NeedsAccept => ("restore.severity.accept", "accept"),
        Severity::Blocking => ("restore.severity.blocking", "blocking"),
    }
}

/// One *Accept all N findings of this code* box.
struct CodeTick {
    code: &'static str,
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "restore_precheck.html")]
struct PrecheckPage {
    l: Layout,
    pending: String,
    file: String,
    mode: &'static str,
    training: String,
    action: String,
    category: String,
    dates: String,
    milestones: String,
    learners: String,
    notes: Vec<String>,
    /// The findings, by code.
    groups: Vec<FindingGroup>,
    /// Every milestone: the file's activity and this site's.
    mapping: Vec<MappingLine>,
    /// Every learner: the file's email and this site's account.
    learner_mapping: Vec<LearnerMapping>,
    to_accept: bool,
    blocked: bool,
    problem: Option<String>,
    /// For a replace: what it will change in the training as it is now.
    comparison: Option<Comparison>,
    /// For each `template-differs`: this site's and the file's previews.
    previews: Vec<super::preview::PreviewPair>,
    /// *Change options*: the choices made, the category found preselected.
    c: RestoreChoices,
    categories: Vec<(String, String)>,
    upload_form: bool,
    clone_form: bool,
}

#[derive(Template)]
#[template(path = "restore_done.html")]
struct DonePage {
    l: Layout,
    headline: &'static str,
    training: String,
    id: i64,
    written: String,
    created: Vec<String>,
    replaced: Vec<String>,
    skipped: Vec<String>,
    url: Option<String>,
    page: String,
    /// The replaced training can be downloaded as it was.
    previous: bool,
}

fn form_page(
    visit: &Visit,
    status: StatusCode,
    c: RestoreChoices,
    categories: &[(i64, String)],
    problem: Option<String>,
) -> Response {
    render(
        status,
        &FormPage {
            l: Layout::of(visit),
            c,
            categories: category_list(categories),
            upload_form: true,
            clone_form: false,
            problem,
            kept: None,
        },
    )
}

/// The form again for a file kept in the session whose choices cannot be used, saying why.
fn kept_form_page(
    visit: &Visit,
    pending: &PendingRestore,
    categories: &[(i64, String)],
    problem: String,
) -> Response {
    render(
        StatusCode::BAD_REQUEST,
        &FormPage {
            l: Layout::of(visit),
            c: pending.choices.clone(),
            categories: category_list(categories),
            upload_form: false,
            clone_form: false,
            problem: Some(problem),
            kept: Some(KeptFile {
                id: pending.id.clone(),
                file_name: pending.file_name.clone(),
            }),
        },
    )
}

pub(super) fn category_list(categories: &[(i64, String)]) -> Vec<(String, String)> {
    categories
        .iter()
        .map(|(id, path)| (id.to_string(), path.clone()))
        .collect()
}

/// This site's categories for the form's list.
pub(super) async fn categories(
    state: &AppState,
    visit: &Visit,
) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .site()
        .category_tree()
        .await
        .map_err(|e| WebError::internal(visit, e))?
        .by_path())
}

/// The upload form.
pub async fn form(State(state): State<AppState>, operator: Operator) -> Result<Response, WebError> {
    let c = RestoreChoices {
        mode: "restore".to_owned(),
        ..RestoreChoices::default()
    };
    let categories = categories(&state, &operator.visit).await?;
    Ok(form_page(
        &operator.visit,
        StatusCode::OK,
        c,
        &categories,
        None,
    ))
}

/// The text of a part, or `""`.
fn field(upload: &CheckedUpload, name: &str) -> String {
    upload
        .part(name)
        .map(|p| String::from_utf8_lossy(&p.bytes).trim().to_owned())
        .unwrap_or_default()
}

/// The options of the library from the choices typed; `Err` says what to correct.
pub(super) fn options(
    t: Tr,
    c: &RestoreChoices,
    provenance: Provenance,
) -> Result<RestoreOptions, String> {
    let mode = match c.mode.as_str() {
        "restore" => Mode::Restore,
        "clone" => Mode::Clone,
        _ => return Err(t.get("restore.no_mode").to_owned()),
    };
    let mut options = RestoreOptions::new(mode, provenance);
    let name = c.name.trim();
    options.rename.name = (!name.is_empty()).then(|| name.to_owned());
    let suffix = c.suffix.trim();
    let shift = c.shift.trim();
    let start = c.start.trim();
    let course_map = c.course_map.trim();
    let renames: Vec<&str> = c
        .courses
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // The same choices as `--with-learners`/`--without-learners`, `--category` and
    // `--template` of the command line.
    match c.learners.as_str() {
        "with" => options.learners = true,
        "without" => options.learners = false,
        _ => {}
    }
    let category = c.category.trim();
    options.category = (!category.is_empty()).then(|| category.to_owned());
    options.template = match c.template.as_str() {
        "replace" => TemplateMode::Replace,
        "copy" => match c.template_copy_name.trim() {
            "" => return Err(t.get("restore.copy_needs_name").to_owned()),
            copy => TemplateMode::Copy(copy.to_owned()),
        },
        _ => TemplateMode::Reuse,
    };
    if mode == Mode::Restore {
        if !suffix.is_empty()
            || !shift.is_empty()
            || !start.is_empty()
            || !renames.is_empty()
            || !course_map.is_empty()
        {
            return Err(t.get("restore.clone_only").to_owned());
        }
        return Ok(options);
    }
    if !course_map.is_empty() {
        options.rename.add_course_map(course_map).map_err(|e| {
            let reason = super::page::quoted(&e.localized(t.0), t.0);
            t.fmt("restore.bad_course_map", &[("reason", &reason)])
        })?;
    }
    options.rename.suffix = (!suffix.is_empty()).then(|| suffix.to_owned());
    for spec in &renames {
        options
            .rename
            .add_course_rename(spec)
            .map_err(|_| t.fmt("restore.bad_rename", &[("line", spec)]))?;
    }
    if options.rename.suffix.is_none()
        && options.rename.name.is_none()
        && renames.is_empty()
        && course_map.is_empty()
    {
        return Err(t.get("restore.clone_needs_name").to_owned());
    }
    if !shift.is_empty() && !start.is_empty() {
        return Err(t.get("restore.shift_or_start").to_owned());
    }
    if !shift.is_empty() {
        let days = restore::parse_shift_days(shift)
            .ok_or_else(|| t.fmt("restore.bad_shift", &[("value", shift)]))?;
        options.shift = Some(DateShift::Days(days));
    }
    if !start.is_empty() {
        let day = restore::parse_day(start)
            .map_err(|_| t.fmt("restore.bad_start", &[("value", start)]))?;
        options.shift = Some(DateShift::Start(day));
    }
    Ok(options)
}

/// What precheck gives for an upload: the plan and the conversion notes, or the page that
/// says why not — the file itself (`Refused`), or only the choices (`BadChoices`, the file
/// stays kept so that they can be corrected).
enum Checked {
    Plan(Box<Prechecked>),
    Refused(Response),
    BadChoices(Response),
}

/// A precheck and what its page shows beside the plan.
struct Prechecked {
    plan: Plan,
    /// Who signed the file, for the audit log.
    provenance: Provenance,
    notes: Vec<String>,
    comparison: Option<Comparison>,
    categories: Vec<(i64, String)>,
    /// For each `template-differs`: this site's and the file's previews.
    previews: Vec<super::preview::PreviewPair>,
}

/// What a replace will change: the training as it is now (A) against the file (B), through
/// `diff::compare` (issue "diff and repair": *Compare* on the precheck page of a replace).
#[derive(Debug, Clone)]
struct Comparison {
    summary: String,
    changes: Vec<String>,
}

async fn check(
    state: &AppState,
    visit: &Visit,
    pending: &PendingRestore,
) -> Result<Checked, WebError> {
    let t = visit.tr();
    let categories = categories(state, visit).await?;
    let refused = |status, message: String| {
        Ok(Checked::Refused(form_page(
            visit,
            status,
            pending.choices.clone(),
            &categories,
            Some(message),
        )))
    };
    let max = u64::try_from(state.config().max_upload).unwrap_or(u64::MAX);
    let backup = match load::load_bytes(&pending.bytes, max) {
        Ok(backup) => backup,
        Err(e) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{} {}",
                    t.get("restore.rejected"),
                    super::page::quoted(&e.localized(visit.lang), visit.lang)
                ),
            )
        }
    };
    let own = keys::read_private_key(&state.config().key_path)
        .ok()
        .map(|k| k.verifying_key());
    let trust = TrustStore::open(state.config().trust_dir.clone(), own)
        .map_err(|e| WebError::internal(visit, e))?;
    let prepared = match restore::prepare(backup, &trust) {
        Ok(prepared) => prepared,
        Err(e) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{} {}",
                    t.get("restore.rejected"),
                    super::page::quoted(&e.localized(visit.lang), visit.lang)
                ),
            )
        }
    };
    let provenance = prepared.provenance.clone();
    let options = match options(t, &pending.choices, prepared.provenance) {
        Ok(options) => options,
        Err(message) => {
            return Ok(Checked::BadChoices(kept_form_page(
                visit,
                pending,
                &categories,
                message,
            )))
        }
    };
    let plan = restore::precheck(state.site(), &prepared.document, &options)
        .await
        .map_err(|e| WebError::internal(visit, e))?;
    let notes = prepared
        .notes
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n.code,
                super::page::quoted(n.text(visit.lang), visit.lang)
            )
        })
        .collect();
    let comparison = match (plan.training.action, plan.training.existing_id) {
        (TrainingAction::Replace, Some(id)) => {
            compare_with_live(state, visit, id, &prepared.document).await?
        }
        _ => None,
    };
    let previews =
        super::preview::differing_pairs(state, visit, &plan, &prepared.document, &pending.id)
            .await?;
    Ok(Checked::Plan(Box::new(Prechecked {
        plan,
        provenance,
        notes,
        comparison,
        categories,
        previews,
    })))
}

/// The differences from the live training `id` to the file; `None` when the live training
/// cannot be read as `save` reads it (the precheck says why elsewhere).
async fn compare_with_live(
    state: &AppState,
    visit: &Visit,
    id: i64,
    document: &crate::document::v2::Document,
) -> Result<Option<Comparison>, WebError> {
    let live = match crate::save::read(state.site(), id, time::OffsetDateTime::now_utc()).await {
        Ok((live, _)) => live,
        Err(crate::save::SaveError::Database(e)) => return Err(WebError::internal(visit, e)),
        Err(_) => return Ok(None),
    };
    let changes = crate::diff::compare(&live, document);
    let lang = visit.lang;
    Ok(Some(Comparison {
        summary: if changes.is_empty() {
            crate::diff::identical_text(lang).to_owned()
        } else {
            crate::diff::count_text(changes.len(), lang)
        },
        changes: changes
            .iter()
            .map(|c| super::page::quoted(&c.localized(lang), lang))
            .collect(),
    }))
}

/// `start → end (zone)` in the site's time zone, with the shift when there is one.
fn dates_text(t: Tr, plan: &Plan, lang: Lang) -> String {
    let tr = &plan.training;
    let shift = tr.date_shift_days;
    let mut text = plan.zone().dates(tr.startdate, tr.enddate, lang);
    if shift != 0 {
        text.push_str(&t.fmt("restore.shifted", &[("days", &format!("{shift:+}"))]));
    }
    text
}

fn counts(statuses: impl Iterator<Item = Status>) -> (usize, usize) {
    statuses.fold((0, 0), |(w, s), status| match status {
        Status::Write => (w + 1, s),
        Status::Skip => (w, s + 1),
    })
}

fn precheck_page(
    visit: &Visit,
    status: StatusCode,
    pending: &PendingRestore,
    checked: &Prechecked,
    ticked: &BTreeSet<String>,
    problem: Option<String>,
) -> Response {
    let plan = &checked.plan;
    let t = visit.tr();
    let lang = visit.lang;
    let to_accept = !plan.needs_accept().is_empty();
    // One group per code, blocking ones first, then those to accept, then the others, each
    // in the order the precheck found them.
    let mut groups: Vec<FindingGroup> = Vec::new();
    let rank = |s: Severity| match s {
        Severity::Blocking => 0,
        Severity::NeedsAccept => 1,
        Severity::Info => 2,
    };
    let mut order: Vec<(usize, &Finding)> = plan.findings.iter().enumerate().collect();
    order.sort_by_key(|(index, f)| (rank(f.severity), *index));
    for (index, f) in order {
        let row = Row {
            text: finding_text(t, f),
            subjects: f.subjects_text(lang),
            tick: (f.severity == Severity::NeedsAccept).then(|| {
                let value = finding_key(f);
                Tick {
                    index,
                    checked: ticked.contains(&value),
                    value,
                }
            }),
        };
        match groups
            .iter_mut()
            .find(|g| g.code == f.code.as_str() && g.class == severity_class(f.severity).1)
        {
            Some(group) => group.rows.push(row),
            None => {
                let (severity, class) = severity_class(f.severity);
                let (severity, class) = (t.get(severity), class);
                groups.push(FindingGroup {
                    severity,
                    class,
                    code: f.code.as_str(),
                    rows: vec![row],
                    folded: false,
                    accept_all: None,
                });
            }
        }
    }
    for group in &mut groups {
        let n = group.rows.len();
        group.folded = n > FOLD_ABOVE;
        if group.class == "accept" {
            if let Some(code) = Code::parse(group.code) {
                let value = code_key(code);
                group.accept_all = Some(CodeTick {
                    code: group.code,
                    label: t.fmt("restore.accept_code", &[("n", &n.to_string())]),
                    checked: ticked.contains(&value),
                    value,
                });
            }
        }
    }
    let mapping = plan
        .milestones
        .iter()
        .map(|m| MappingLine {
            course: m.course.clone(),
            section: m.section,
            position: m.position,
            activity: m.activity.clone().unwrap_or_default(),
            kind: m.kind.clone().unwrap_or_default(),
            minutes: m.creditedtime,
            target_course: m.target_course.clone(),
            target_activity: m.name.clone().unwrap_or_default(),
            target_kind: m.target_kind.clone().unwrap_or_default(),
            how: m.how.text(lang).to_owned(),
            written: m.status == Status::Write,
        })
        .collect();
    let learner_mapping = plan
        .learners
        .iter()
        .map(|l| LearnerMapping {
            email: l.email.clone(),
            account: l.account.clone().unwrap_or_default(),
            how: l.how.text(lang).to_owned(),
            written: l.status == Status::Write,
        })
        .collect();
    let tr = &plan.training;
    let action = match (tr.action, tr.existing_id) {
        (TrainingAction::Replace, Some(id)) => {
            t.fmt("restore.action_replace", &[("id", &id.to_string())])
        }
        _ => t.get("restore.action_create").to_owned(),
    };
    let (mw, ms) = counts(plan.milestones.iter().map(|m| m.status));
    let (lw, ls) = counts(plan.learners.iter().map(|l| l.status));
    let written = |w: usize, s: usize| {
        t.fmt(
            "restore.write_skip",
            &[("write", &w.to_string()), ("skip", &s.to_string())],
        )
    };
    render(
        status,
        &PrecheckPage {
            l: Layout::of(visit),
            pending: pending.id.clone(),
            file: pending.file_name.clone(),
            mode: match plan.mode {
                Mode::Restore => t.get("restore.mode_restore"),
                Mode::Clone => t.get("restore.mode_clone"),
            },
            training: tr.name.clone(),
            action,
            category: tr.category.as_ref().map_or_else(
                || t.get("restore.no_category").to_owned(),
                |c| format!("{} (id {})", c.path, c.id),
            ),
            dates: dates_text(t, plan, lang),
            milestones: written(mw, ms),
            learners: written(lw, ls),
            notes: checked.notes.clone(),
            groups,
            mapping,
            learner_mapping,
            to_accept,
            blocked: !plan.blocking().is_empty(),
            problem,
            comparison: checked.comparison.clone(),
            previews: checked.previews.clone(),
            c: RestoreChoices {
                category: if pending.choices.category.is_empty() {
                    plan.training
                        .category
                        .as_ref()
                        .map(|c| c.id.to_string())
                        .unwrap_or_default()
                } else {
                    pending.choices.category.clone()
                },
                ..pending.choices.clone()
            },
            categories: category_list(&checked.categories),
            upload_form: false,
            clone_form: false,
        },
    )
}

/// Keeps the upload in the session and shows the precheck.
pub async fn submit(
    State(state): State<AppState>,
    operator: Operator,
    upload: CheckedUpload,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let choices = RestoreChoices {
        mode: field(&upload, "mode"),
        name: field(&upload, "name"),
        suffix: field(&upload, "suffix"),
        courses: field(&upload, "courses"),
        shift: field(&upload, "shift"),
        start: field(&upload, "start"),
        learners: field(&upload, "learners"),
        category: field(&upload, "category"),
        template: field(&upload, "template"),
        template_copy_name: field(&upload, "template_copy_name"),
        course_map: field(&upload, "course_map"),
    };
    let Some(file) = upload.part("file").filter(|p| !p.bytes.is_empty()) else {
        let categories = categories(&state, visit).await?;
        return Ok(form_page(
            visit,
            StatusCode::BAD_REQUEST,
            choices,
            &categories,
            Some(t.get("restore.no_file").to_owned()),
        ));
    };
    let pending = PendingRestore::new(
        file.file_name.clone().unwrap_or_default(),
        file.bytes.clone(),
        choices,
    );
    show_precheck(&state, visit, pending, true).await
}

/// Prechecks an upload and shows its page, keeping the upload in the session for *Apply*; a
/// refused upload is dropped when `drop_refused` (a new upload), kept otherwise (*Change
/// options* leaves the earlier one).
async fn show_precheck(
    state: &AppState,
    visit: &Visit,
    pending: PendingRestore,
    drop_refused: bool,
) -> Result<Response, WebError> {
    match check(state, visit, &pending).await? {
        Checked::Refused(page) => {
            if drop_refused {
                state.sessions().drop_pending(&visit.session_id);
            }
            Ok(page)
        }
        Checked::BadChoices(page) => keep(state, visit, pending, page).await,
        Checked::Plan(checked) => {
            let page = precheck_page(
                visit,
                StatusCode::OK,
                &pending,
                &checked,
                &BTreeSet::new(),
                None,
            );
            keep(state, visit, pending, page).await
        }
    }
}

/// Keeps the upload in the session and gives `page`; when the uploads of all sessions would
/// then hold more than their limit, the form again, saying so (503).
async fn keep(
    state: &AppState,
    visit: &Visit,
    pending: PendingRestore,
    page: Response,
) -> Result<Response, WebError> {
    let choices = pending.choices.clone();
    let Err(full) = state.sessions().keep_pending(&visit.session_id, pending) else {
        return Ok(page);
    };
    let categories = categories(state, visit).await?;
    let mib = (full.limit / (1024 * 1024)).to_string();
    Ok(form_page(
        visit,
        StatusCode::SERVICE_UNAVAILABLE,
        choices,
        &categories,
        Some(visit.tr().fmt("restore.uploads_full", &[("mib", &mib)])),
    ))
}

/// The *Apply* form: the upload it is about, and one `accept.CODE` checkbox per code.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ApplyForm(HashMap<String, String>);

impl WithCsrf for ApplyForm {
    fn csrf(&self) -> &str {
        self.0.get("csrf").map_or("", String::as_str)
    }
}

/// The upload kept in the session that the form names (`pending`), or the upload form saying
/// that it is gone (expired, or replaced by a newer upload).
async fn kept_upload(
    state: &AppState,
    visit: &Visit,
    form: &ApplyForm,
) -> Result<Result<Arc<PendingRestore>, Response>, WebError> {
    let wanted = form.0.get("pending").map_or("", String::as_str);
    let kept = visit
        .session
        .pending
        .clone()
        .filter(|p| p.is_live() && p.id == wanted);
    if let Some(kept) = kept {
        return Ok(Ok(kept));
    }
    let categories = categories(state, visit).await?;
    Ok(Err(form_page(
        visit,
        StatusCode::CONFLICT,
        RestoreChoices {
            mode: "restore".to_owned(),
            ..RestoreChoices::default()
        },
        &categories,
        Some(visit.tr().get("restore.expired").to_owned()),
    )))
}

/// *Change options*: runs the precheck again on the upload kept in the session with the
/// choices of the form, without a second upload (the course map uploaded first is kept).
pub async fn recheck(
    State(state): State<AppState>,
    operator: Operator,
    CheckedForm(form): CheckedForm<ApplyForm>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let kept = match kept_upload(&state, visit, &form).await? {
        Ok(kept) => kept,
        Err(page) => return Ok(page),
    };
    let choices = RestoreChoices {
        course_map: kept.choices.course_map.clone(),
        ..form.choices()
    };
    let mut pending = PendingRestore::new(kept.file_name.clone(), kept.bytes.clone(), choices);
    pending.live_training = kept.live_training;
    show_precheck(&state, visit, pending, false).await
}

impl ApplyForm {
    /// The choices of a form without a file (*Change options*, *Clone* on a training's page),
    /// named as on the upload form; no course map (it is a file).
    fn choices(&self) -> RestoreChoices {
        let value = |name: &str| self.0.get(name).map_or("", |v| v.trim()).to_owned();
        RestoreChoices {
            mode: value("mode"),
            name: value("name"),
            suffix: value("suffix"),
            courses: value("courses"),
            shift: value("shift"),
            start: value("start"),
            learners: value("learners"),
            category: value("category"),
            template: value("template"),
            template_copy_name: value("template_copy_name"),
            course_map: String::new(),
        }
    }
}

/// *Clone* on a training's page: the training is saved in memory exactly as *Download backup*
/// would give it (the same signed document), kept in the session as an upload would be, and
/// prechecked as a clone with the form's choices; then *Apply* as for an upload.
pub async fn clone_training(
    State(state): State<AppState>,
    operator: Operator,
    axum::extract::Path(id): axum::extract::Path<String>,
    CheckedForm(form): CheckedForm<ApplyForm>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Ok(id) = id.parse::<i64>() else {
        return Err(visit.error(super::error::WhatWentWrong::NotFound));
    };
    let key = keys::read_private_key(&state.config().key_path)
        .map_err(|_| visit.error(super::error::WhatWentWrong::NoSigningKey))?;
    let created = time::OffsetDateTime::now_utc();
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
    let file_name = crate::save::default_file_name(&saved.document.training.name, created);
    let choices = RestoreChoices {
        mode: "clone".to_owned(),
        ..form.choices()
    };
    let mut pending = PendingRestore::new(file_name, saved.text().into_bytes(), choices);
    pending.live_training = Some(id);
    show_precheck(&state, visit, pending, true).await
}

/// Applies the kept upload with the ticked acceptances and shows the result.
pub async fn apply(
    State(state): State<AppState>,
    operator: Operator,
    CheckedForm(form): CheckedForm<ApplyForm>,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let t = visit.tr();
    let pending = match kept_upload(&state, visit, &form).await? {
        Ok(pending) => pending,
        Err(page) => return Ok(page),
    };
    let ticked: BTreeSet<String> = form
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("accept.") || k.starts_with("accept_code."))
        .map(|(_, v)| v.clone())
        .collect();
    let checked = match check(&state, visit, &pending).await? {
        Checked::Refused(page) => {
            state.sessions().drop_pending(&visit.session_id);
            return Ok(page);
        }
        // The choices were checked before the precheck page offered *Apply*.
        Checked::BadChoices(page) => return Ok(page),
        Checked::Plan(checked) => checked,
    };
    let plan = &checked.plan;
    let accepted = accepted_codes(plan, &ticked);
    let again = |problem: String| {
        precheck_page(
            visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            &pending,
            &checked,
            &ticked,
            Some(problem),
        )
    };
    if !plan.blocking().is_empty() {
        return Ok(again(t.get("restore.blocked").to_owned()));
    }
    let unaccepted: Vec<&str> = plan
        .unaccepted(&accepted)
        .into_iter()
        .map(Code::as_str)
        .collect();
    if !unaccepted.is_empty() {
        return Ok(again(
            t.fmt("restore.tick", &[("codes", &unaccepted.join(", "))]),
        ));
    }
    // A replace keeps the training as it is, signed, for the result page (the way back).
    let replaces = plan.training.action == TrainingAction::Replace;
    let key = if replaces {
        match keys::read_private_key(&state.config().key_path) {
            Ok(key) => Some(key),
            Err(_) => return Ok(again(t.get("restore.previous_no_key").to_owned())),
        }
    } else {
        None
    };
    // Every write is logged: a log that cannot be opened refuses it before anything.
    let audit = match crate::audit::AuditLog::open(&state.config().audit_log) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("attestoodle-backup serve: {e}");
            return Ok(again(t.get("restore.audit_refused").to_owned()));
        }
    };
    let site = state.site();
    let kept: Mutex<Option<PreviousTraining>> = Mutex::new(None);
    let keep = |snapshot: &crate::moodle::Snapshot| -> Result<(), (String, String)> {
        let Some(key) = &key else { return Ok(()) };
        let now = time::OffsetDateTime::now_utc();
        let saved = crate::save::save_snapshot(site, snapshot, key, now).map_err(|e| {
            (
                format!(
                    "{} ({})",
                    Tr(Lang::En).get("restore.previous_failed"),
                    e.localized(Lang::En)
                ),
                format!(
                    "{} ({})",
                    Tr(Lang::Fr).get("restore.previous_failed"),
                    e.localized(Lang::Fr)
                ),
            )
        })?;
        if let Ok(mut kept) = kept.lock() {
            *kept = Some(PreviousTraining {
                file_name: crate::save::before_replace_file_name(
                    &saved.document.training.name,
                    now,
                ),
                text: saved.text(),
            });
        }
        Ok(())
    };
    let applied = restore::apply_keeping_previous(
        site,
        plan,
        &accepted,
        &ApplyOptions::default(),
        replaces.then_some(&keep as restore::KeepPrevious<'_>),
    )
    .await;
    let previous = kept.lock().ok().and_then(|mut k| k.take());
    let mut source = restore::audit_source(&pending.file_name, &pending.bytes, &checked.provenance);
    if let Some(id) = pending.live_training {
        // Saved in memory from the live training: no file was uploaded.
        source.file = None;
        source.sha256 = None;
        source.live_training = Some(id);
    }
    let entry = restore::audit_entry(
        "web /restore/apply",
        audit_operator(visit),
        source,
        plan,
        &applied,
    );
    if let Err(e) = audit.append(&entry) {
        eprintln!("attestoodle-backup serve: {e}");
    }
    match applied {
        Ok(report) => {
            state.sessions().drop_pending(&visit.session_id);
            let has_previous = previous.is_some();
            if let Some(previous) = previous {
                state.sessions().keep_previous(&visit.session_id, previous);
            }
            Ok(done_page(visit, &report, has_previous))
        }
        Err(RestoreError::Refused { .. }) => Ok(again(t.get("restore.blocked").to_owned())),
        Err(RestoreError::Conflict { .. }) => Ok(again(t.get("restore.conflict").to_owned())),
        Err(RestoreError::PreviousNotKept { en, fr }) => Ok(again(super::page::quoted(
            visit.lang.pick(&en, &fr),
            visit.lang,
        ))),
        Err(RestoreError::Database(e)) => Err(WebError::internal(visit, e)),
        // Only a batch of trainings is rolled back for another's failure.
        Err(e @ RestoreError::BatchRolledBack { .. }) => Ok(again(super::page::quoted(
            &e.localized(visit.lang),
            visit.lang,
        ))),
    }
}

/// Who applies, for the audit log: the logged-in account and the client's address.
pub(super) fn audit_operator(visit: &Visit) -> crate::audit::Operator {
    let login = visit.session.login.as_ref();
    crate::audit::Operator {
        username: login.map(|l| l.username.clone()),
        id: login.map(|l| l.user_id),
        client: Some(visit.client.clone()),
    }
}

/// The precheck of the upload kept in the session as JSON: the same `plan` object as
/// `restore --json` and `clone --json` print (README "Restore and clone"), for the record or a
/// script.
pub async fn precheck_json(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Some(pending) = visit.session.pending.clone().filter(|p| p.is_live()) else {
        return Err(visit.error(super::error::WhatWentWrong::NotFound));
    };
    match check(&state, visit, &pending).await? {
        Checked::Plan(checked) => {
            let text = serde_json::to_string_pretty(&checked.plan)
                .map_err(|e| WebError::internal(visit, e))?;
            Ok((
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )],
                text,
            )
                .into_response())
        }
        Checked::Refused(page) | Checked::BadChoices(page) => Ok(page),
    }
}

/// The training as it was before this session's last replace, as a download (the way back).
pub async fn previous(operator: Operator) -> Result<Response, WebError> {
    let visit = &operator.visit;
    let Some(previous) = visit.session.previous.clone() else {
        return Err(visit.error(super::error::WhatWentWrong::NotFound));
    };
    Ok(super::trainings::attachment(
        &previous.file_name,
        previous.text.clone(),
    ))
}

fn done_page(visit: &Visit, report: &Report, previous: bool) -> Response {
    let t = visit.tr();
    let w = &report.written;
    let written = t.fmt(
        "restore.written",
        &[
            ("milestones", &w.milestones.to_string()),
            ("learners", &w.learners.to_string()),
            ("styles", &w.learner_styles.to_string()),
            ("planning", &w.planning.to_string()),
        ],
    );
    let skipped = report
        .skipped
        .iter()
        .map(|s| {
            let kind = match s.kind {
                "milestone" => t.get("skipped.milestone"),
                "learner" => t.get("skipped.learner"),
                "learner-style" => t.get("skipped.learner_style"),
                "background" => t.get("skipped.background"),
                "planning" => t.get("skipped.planning"),
                other => other,
            };
            format!(
                "{kind} {} ({})",
                s.subject,
                s.code.map_or("-", Code::as_str)
            )
        })
        .collect();
    render(
        StatusCode::OK,
        &DonePage {
            l: Layout::of(visit),
            headline: if report.action == "replaced" {
                t.get("restore.done_replaced")
            } else {
                t.get("restore.done_created")
            },
            training: report.training_name.clone(),
            // The web never runs a dry run: a real apply always names its training.
            id: report.training_id.unwrap_or_default(),
            written,
            created: report.templates.created.clone(),
            replaced: report.templates.replaced.clone(),
            skipped,
            url: report.url.clone(),
            page: report.page.clone().unwrap_or_default(),
            previous,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(mode: &str, suffix: &str, courses: &str, shift: &str) -> RestoreChoices {
        RestoreChoices {
            mode: mode.into(),
            name: String::new(),
            suffix: suffix.into(),
            courses: courses.into(),
            shift: shift.into(),
            ..RestoreChoices::default()
        }
    }

    #[test]
    fn the_form_becomes_the_options_of_the_library() {
        let t = Tr(Lang::En);
        let o = options(
            t,
            &choices("clone", "_2027", "A=B\r\n\nC=D", "365"),
            Provenance::Unsigned,
        )
        .expect("valid");
        assert_eq!(o.mode, Mode::Clone);
        assert_eq!(o.rename.course("A"), "B");
        assert_eq!(o.rename.course("X"), "X_2027");
        assert_eq!(o.shift, Some(DateShift::Days(365)));
        assert!(!o.learners);
        let o = options(t, &choices("restore", "", "", ""), Provenance::Unsigned).expect("valid");
        assert!(o.learners && o.rename.name.is_none());
        for bad in [
            choices("clone", "", "", ""),
            choices("clone", "_x", "novalue", ""),
            choices("clone", "_x", "", "soon"),
            choices("restore", "_x", "", ""),
            choices("other", "", "", ""),
        ] {
            assert!(
                options(Tr(Lang::Fr), &bad, Provenance::Unsigned).is_err(),
                "{bad:?}"
            );
        }
    }
}
