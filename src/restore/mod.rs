//! Restoring and cloning a training: [`precheck`] matches the natural identifiers of a
//! [`Document`] against a site and returns a [`Plan`] whose [`Finding`]s say what matches and
//! what does not; [`apply`] writes an accepted plan in one transaction and returns a
//! [`Report`].
//!
//! A mismatch is a finding in the plan, never an error: [`precheck`] fails only when the
//! database does. The JSON forms of [`Plan`] and [`Report`] are a stable interface (README,
//! "Restore and clone").
//!
//! Architecture invariant: no SQL here; every read and write goes through `moodle::Site`.

mod apply;
pub mod batch;
mod finding;
mod mapping;
mod precheck;
pub mod rename;
mod repair;
pub mod source;
mod zone;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::audit;
use crate::i18n::Lang;
use crate::moodle;

pub use apply::{
    apply, apply_each, apply_keeping_previous, apply_together, KeepPrevious, TogetherFailure,
};
pub use finding::{shell_quote, with_advice, Advice, Code, Finding, Severity};
pub use mapping::{LearnerHow, MilestoneHow};
pub use precheck::{decide, gather, gather_all, precheck, SiteView};
pub use rename::{parse_day, parse_shift_days, DateShift, Rename, RenameError, MAX_SHIFT_DAYS};
pub use repair::{
    apply_repair, apply_repair_with, precheck_repair, repair_audit_entries, Relink, RepairPlan,
    RepairReport, RepairTarget, TrainingRepair,
};
pub use source::{prepare, prepare_signed_here, Prepared, SourceError};
pub use zone::SiteZone;

/// Restore or clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Recreate the training, or replace the training of the same name.
    Restore,
    /// A new training on renamed courses; never replaces.
    Clone,
}

/// What to do with a template of the file that exists on the site with other content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TemplateMode {
    /// Use the site's template as it is (`template-differs`).
    #[default]
    Reuse,
    /// Rewrite the site's template with the file's (`replace-shared-template`).
    Replace,
    /// Create the training's template under this name.
    Copy(String),
}

/// What is known of who made the file, from its signature or checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A valid signature by a trusted key; holds its key id.
    Trusted(String),
    /// A valid signature by a key this site does not trust; holds its key id.
    Untrusted(String),
    /// No signature.
    Unsigned,
    /// A legacy file whose checksum is right.
    LegacyChecksum,
}

/// The choices of the operator for a precheck.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Restore or clone.
    pub mode: Mode,
    /// Who made the file.
    pub provenance: Provenance,
    /// Name changes (`--name`, `--suffix`, course renames).
    pub rename: Rename,
    /// `--shift-dates` or `--start` (clone).
    pub shift: Option<DateShift>,
    /// `--category ID|IDNUMBER|PATH`.
    pub category: Option<String>,
    /// `--template`.
    pub template: TemplateMode,
    /// Whether learners and their styles are restored.
    pub learners: bool,
    /// `--operator USERNAME`: the planning operator and template author (default: the first
    /// site administrator).
    pub operator: Option<String>,
    /// The current time, Unix seconds (milestone `timemodified`, `togenerate`).
    pub now: i64,
}

impl RestoreOptions {
    /// The defaults of a mode: learners with `restore`, without them with `clone`.
    pub fn new(mode: Mode, provenance: Provenance) -> RestoreOptions {
        RestoreOptions {
            mode,
            provenance,
            rename: Rename::default(),
            shift: None,
            category: None,
            template: TemplateMode::Reuse,
            learners: mode == Mode::Restore,
            operator: None,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        }
    }
}

/// Whether the training is created or an existing one is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrainingAction {
    /// A new training.
    Create,
    /// The training of that name keeps its id and history; its content is replaced.
    Replace,
}

/// The training as it will be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanTraining {
    /// The name on the target.
    pub name: String,
    /// Create or replace.
    pub action: TrainingAction,
    /// The id of the training replaced.
    pub existing_id: Option<i64>,
    /// The category: id, path of names and how it was found; `None` when none matches.
    pub category: Option<PlanCategory>,
    /// Start date after the shift.
    pub startdate: i64,
    /// End date after the shift.
    pub enddate: Option<i64>,
    /// Duration in minutes.
    pub duration: Option<i64>,
    /// `checklearner` as carried.
    pub checklearner: Option<i64>,
    /// Planned launches, as they follow from the planning rows (0 without them).
    pub nbautolaunch: i64,
    /// Next launch, as it follows from the planning rows (0 without them).
    pub nextlaunch: i64,
    /// Days added to every date.
    pub date_shift_days: i64,
    /// The template name on the target, `None` for no template link.
    pub template: Option<String>,
    /// First grouping.
    pub grpcriteria1: Option<String>,
    /// Second grouping.
    pub grpcriteria2: Option<String>,
}

/// The category of the training on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanCategory {
    /// `course_categories.id`.
    pub id: i64,
    /// Its path of names.
    pub path: String,
    /// `option`, `idnumber`, `path`, `source-id` (id and name), or `source-id-only` (a legacy
    /// file's id, with the `category-by-id` finding).
    pub matched_by: &'static str,
}

/// Whether a line of the plan is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Written.
    Write,
    /// Left out; the finding says why.
    Skip,
}

/// One milestone of the file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanMilestone {
    /// Course short name in the file.
    pub course: String,
    /// Course short name on the target.
    pub target_course: String,
    /// Section number in the file.
    pub section: i64,
    /// Position in the file.
    pub position: i64,
    /// Activity name in the file.
    pub activity: Option<String>,
    /// Activity type in the file (`quiz`, `page`...).
    pub kind: Option<String>,
    /// Credited minutes.
    pub creditedtime: i64,
    /// Write or skip.
    pub status: Status,
    /// Target course id.
    pub course_id: Option<i64>,
    /// Target course module id.
    pub cmid: Option<i64>,
    /// The target activity's current name (the milestone's `name`).
    pub name: Option<String>,
    /// The target activity's type.
    pub target_kind: Option<String>,
    /// The finding about this milestone, if any.
    pub finding: Option<Code>,
    /// How its activity was found here, or why not.
    pub how: MilestoneHow,
}

/// What happens to a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateAction {
    /// The site's template is used as it is.
    Reuse,
    /// A new template is made from the file.
    Create,
    /// The site's template is rewritten from the file.
    Replace,
}

/// What happens to a template's image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundAction {
    /// Nothing to write: no image in the file, or the template is reused.
    None,
    /// Written into the file store.
    Store,
    /// Not written (`background-skipped`).
    Skip,
}

/// One template and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanTemplate {
    /// The name in the file.
    pub name: String,
    /// The name on the target (differs with `--template copy:NAME`).
    pub target_name: String,
    /// Reuse, create or replace.
    pub action: TemplateAction,
    /// The site's template, when reused or replaced.
    pub id: Option<i64>,
    /// What happens to its image.
    pub background: BackgroundAction,
    #[serde(skip)]
    details: Vec<(String, String)>,
    #[serde(skip)]
    image: Option<Image>,
}

/// A background image to write.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Image {
    filename: String,
    mimetype: String,
    bytes: Vec<u8>,
}

/// One learner of the file and the account it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanLearner {
    /// The email in the file.
    pub email: String,
    /// The username in the file.
    pub username: Option<String>,
    /// Write or skip.
    pub status: Status,
    /// The account on the target.
    pub userid: Option<i64>,
    /// That account's username.
    pub account: Option<String>,
    /// The finding about this learner, if any.
    pub finding: Option<Code>,
    /// How its account was found here, or why not.
    pub how: LearnerHow,
    #[serde(skip)]
    predelete: Option<i64>,
}

/// One learner style of the file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanStyle {
    /// The email in the file.
    pub email: String,
    /// The username in the file.
    pub username: Option<String>,
    /// The template name on the target.
    pub template: String,
    /// Write or skip.
    pub status: Status,
    /// The account on the target.
    pub userid: Option<i64>,
    /// The finding about this style, if any.
    pub finding: Option<Code>,
    #[serde(skip)]
    values: StyleFields,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct StyleFields {
    grpcriteria1: Option<String>,
    grpcriteria2: Option<String>,
    enablecertificate: Option<i64>,
    withdateformat: Option<String>,
}

/// The planning rows (tool_taskattestoodle) of the training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanPlanning {
    /// `restore` (rows written), `reset` (no rows: nbautolaunch and nextlaunch are 0).
    pub action: &'static str,
    /// The rows, dates shifted, `togenerate` recomputed.
    pub rows: Vec<PlanningRow>,
    /// The operator written in the rows.
    pub operator_id: Option<i64>,
}

/// One planning row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningRow {
    /// When the run happens.
    pub executiondate: i64,
    /// Period start.
    pub beginperiod: i64,
    /// Period end.
    pub endperiod: i64,
    /// Notification address.
    pub mailto: Option<String>,
    /// Generate automatically.
    pub auto: Option<i64>,
    /// 1 while the run is in the future.
    pub togenerate: i64,
}

/// Where the file came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanSource {
    /// The training name in the file.
    pub name: String,
    /// The source site.
    pub wwwroot: Option<String>,
    /// The training id on the source site.
    pub source_training_id: i64,
    /// When the file was made.
    pub created: String,
}

/// The outcome of [`precheck`]: everything [`apply`] will write, and the findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Restore or clone.
    pub mode: Mode,
    /// Where the file came from.
    pub source: PlanSource,
    /// The training.
    pub training: PlanTraining,
    /// The milestones, in file order.
    pub milestones: Vec<PlanMilestone>,
    /// The templates the training and its learner styles use.
    pub templates: Vec<PlanTemplate>,
    /// The learners (empty when they are left out).
    pub learners: Vec<PlanLearner>,
    /// The learner styles (empty when learners are left out).
    pub learner_styles: Vec<PlanStyle>,
    /// The planning rows.
    pub planning: PlanPlanning,
    /// Everything found, in the order of the checks.
    pub findings: Vec<Finding>,
    #[serde(skip)]
    internal: Internal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Internal {
    zone: SiteZone,
    now: i64,
    planning_table: bool,
    file_store: Option<moodle::FileStore>,
    wwwroot: Option<String>,
    operator: Option<i64>,
}

impl Plan {
    /// The operator of the apply: written in planning rows and as template author.
    pub fn operator_id(&self) -> Option<i64> {
        self.internal.operator
    }

    /// The site's time zone, in which dates are shown to the operator.
    pub fn zone(&self) -> &SiteZone {
        &self.internal.zone
    }

    /// The codes of the blocking findings.
    pub fn blocking(&self) -> BTreeSet<Code> {
        self.codes(Severity::Blocking)
    }

    /// The codes the operator must accept.
    pub fn needs_accept(&self) -> BTreeSet<Code> {
        self.codes(Severity::NeedsAccept)
    }

    fn codes(&self, severity: Severity) -> BTreeSet<Code> {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.code)
            .collect()
    }

    /// The `needs-accept` codes not in `accepted`.
    pub fn unaccepted(&self, accepted: &Accepted) -> BTreeSet<Code> {
        self.needs_accept()
            .into_iter()
            .filter(|c| !accepted.codes.contains(c))
            .collect()
    }
}

/// The codes the operator accepted (`--accept`, prompts, checkboxes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// The codes.
    pub codes: BTreeSet<Code>,
}

impl Accepted {
    /// Accepts these codes.
    pub fn new(codes: impl IntoIterator<Item = Code>) -> Accepted {
        Accepted {
            codes: codes.into_iter().collect(),
        }
    }
}

/// How [`apply`] runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Write everything inside the transaction, then roll back (and write no file content).
    pub dry_run: bool,
    /// For tests only: make the write statement after this many fail, to prove that nothing
    /// is left behind. Never set by the command line.
    pub fail_after_statements: Option<usize>,
    /// For tests only: with `fail_after_statements`, the server ends the connection first, as
    /// a network failure would.
    pub drop_connection: bool,
}

impl ApplyOptions {
    /// The failure the test hooks ask a write transaction to meet, if any.
    pub(crate) fn injected_failure(&self) -> Option<moodle::InjectedFailure> {
        self.fail_after_statements
            .map(|after| moodle::InjectedFailure {
                after,
                drop_connection: self.drop_connection,
            })
    }
}

/// Why [`apply`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The plan has blocking findings, or findings the operator did not accept.
    #[error(
        "the precheck refused the restore: {}",
        refusal_text(blocking, unaccepted, Lang::En)
    )]
    Refused {
        /// Blocking codes.
        blocking: Vec<Code>,
        /// `needs-accept` codes not accepted.
        unaccepted: Vec<Code>,
    },
    /// The site changed between the precheck and the write (another restore, an edit).
    #[error("{en}")]
    Conflict {
        /// What changed, in English.
        en: String,
        /// The same in French.
        fr: String,
    },
    /// The training a replace would overwrite could not be kept as the way back (its backup
    /// could not be built, signed or written): nothing was written.
    #[error("{en}")]
    PreviousNotKept {
        /// Why, in English.
        en: String,
        /// The same in French.
        fr: String,
    },
    /// The database or the file store failed; the transaction was rolled back.
    #[error(transparent)]
    Database(#[from] moodle::Error),
    /// `--all-or-nothing`: nothing of this training stays written, because another training
    /// of the batch failed ([`apply_together`]).
    #[error("not written: the trainings were written all or nothing, and `{failed}` failed")]
    BatchRolledBack {
        /// The training that failed.
        failed: String,
    },
}

impl RestoreError {
    /// The message in the operator's language (the command line's words).
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (RestoreError::Refused { .. }, Lang::En) => self.to_string(),
            (
                RestoreError::Refused {
                    blocking,
                    unaccepted,
                },
                Lang::Fr,
            ) => format!(
                "la vérification a refusé la restauration : {}",
                refusal_text(blocking, unaccepted, lang)
            ),
            (RestoreError::Conflict { en, fr } | RestoreError::PreviousNotKept { en, fr }, _) => {
                lang.pick(en, fr).to_owned()
            }
            (RestoreError::Database(e), _) => e.localized(lang),
            (RestoreError::BatchRolledBack { .. }, Lang::En) => self.to_string(),
            (RestoreError::BatchRolledBack { failed }, Lang::Fr) => format!(
                "rien n'est écrit : les formations étaient écrites toutes ou aucune, et \
                 « {failed} » a échoué"
            ),
        }
    }
}

/// Where a restored backup came from, for the audit log: its name, the SHA-256 of its bytes
/// and its signer.
pub fn audit_source(name: &str, bytes: &[u8], provenance: &Provenance) -> audit::Source {
    let mut source = audit::Source::file(name, bytes);
    match provenance {
        Provenance::Trusted(key) => {
            source.key_id = Some(key.clone());
            source.trusted = true;
        }
        Provenance::Untrusted(key) => source.key_id = Some(key.clone()),
        Provenance::Unsigned | Provenance::LegacyChecksum => {}
    }
    source
}

/// The audit log's line of an apply of `plan`, from its outcome (the reason in English: the log
/// is one language).
pub fn audit_entry(
    via: &str,
    operator: audit::Operator,
    source: audit::Source,
    plan: &Plan,
    outcome: &Result<Report, RestoreError>,
) -> audit::Entry {
    let action = match plan.training.action {
        TrainingAction::Create => "create",
        TrainingAction::Replace => "replace",
    };
    let mut entry = audit::Entry::now(
        via,
        operator,
        source,
        audit::Training {
            id: plan.training.existing_id,
            name: plan.training.name.clone(),
            action: action.to_owned(),
        },
    );
    match outcome {
        Ok(report) => {
            entry.training.id = report.training_id;
            entry.written = audit::Counts {
                milestones: report.written.milestones,
                learners: report.written.learners,
                learner_styles: report.written.learner_styles,
                planning: report.written.planning,
            };
            entry.skipped = report.skipped.len();
            entry.accepted = report
                .accepted
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect();
        }
        Err(error) => {
            entry.outcome = match error {
                RestoreError::Database(_) => audit::Outcome::Failed,
                _ => audit::Outcome::RolledBack,
            };
            entry.reason = Some(error.localized(Lang::En));
            entry.reason_fr = Some(error.localized(Lang::Fr));
        }
    }
    entry
}

fn refusal_text(blocking: &[Code], unaccepted: &[Code], lang: Lang) -> String {
    let list = |codes: &[Code]| {
        codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    match (blocking.is_empty(), unaccepted.is_empty(), lang) {
        (false, _, Lang::En) => format!("blocking findings {}; fix them first", list(blocking)),
        (false, _, Lang::Fr) => {
            format!(
                "constats bloquants {} ; corrigez-les d'abord",
                list(blocking)
            )
        }
        (true, false, Lang::En) => format!("accept with --accept {}", list(unaccepted)),
        (true, false, Lang::Fr) => format!("acceptez avec --accept {}", list(unaccepted)),
        (true, true, Lang::En) => "nothing to refuse".to_owned(),
        (true, true, Lang::Fr) => "rien à refuser".to_owned(),
    }
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// True when everything was rolled back (`--dry-run`).
    pub dry_run: bool,
    /// `created` or `replaced`.
    pub action: &'static str,
    /// The training id; `None` in a dry run that creates a training (the id used inside the
    /// rolled-back transaction is not the one a real run gets).
    pub training_id: Option<i64>,
    /// The training name.
    pub training_name: String,
    /// The category id.
    pub category_id: i64,
    /// The Attestoodle page of the training, from the site root; `None` with `training_id`.
    pub page: Option<String>,
    /// The full address of that page, when the site's `wwwroot` is known.
    pub url: Option<String>,
    /// How many rows of each kind were written.
    pub written: Written,
    /// Templates by what happened to them.
    pub templates: ReportTemplates,
    /// What was left out, and why.
    pub skipped: Vec<Skipped>,
    /// The accepted codes.
    pub accepted: Vec<Code>,
    /// The number of write statements.
    pub statements: usize,
}

/// Row counts of a [`Report`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Written {
    /// Milestones.
    pub milestones: usize,
    /// Learners.
    pub learners: usize,
    /// Learner styles.
    pub learner_styles: usize,
    /// Planning rows.
    pub planning: usize,
}

/// Template names by outcome in a [`Report`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportTemplates {
    /// Created.
    pub created: Vec<String>,
    /// Rewritten.
    pub replaced: Vec<String>,
    /// Used as they were.
    pub reused: Vec<String>,
    /// Whose image was written.
    pub backgrounds_stored: Vec<String>,
}

/// One thing left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `milestone`, `learner`, `learner-style`, `background` or `planning`.
    pub kind: &'static str,
    /// What, by natural identifier.
    pub subject: String,
    /// Why.
    pub code: Option<Code>,
}

/// The Attestoodle page of a training, from the site root.
pub fn training_page(category: i64, training: i64) -> String {
    format!(
        "/admin/tool/attestoodle/index.php?typepage=trainingmanagement&categoryid={category}&trainingid={training}"
    )
}
