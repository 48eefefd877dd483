//! Mapping a legacy file of the PHP plugin to a format-2 document (docs/format.md "Legacy files").
//!
//! [`legacy_to_v2`] is pure: it reads a [`LegacyFile`] whose checksum was checked and returns an
//! unsigned, sorted, valid [`Document`] with the [`Note`]s that tell the operator what could not
//! be carried over. Signing and writing are the caller's (`convert`).
//!
//! Choices the format leaves open, made here:
//! - `created` is the time of the conversion: a legacy file records no export time, and the
//!   converted file is a new export of what the legacy file holds. [`legacy_to_v2_at`] takes the
//!   time for tests.
//! - A training whose name is null gets the empty name, which a restore refuses as
//!   `invalid-name` and proposes `--name` for (docs/decisions.md §3).
//! - A milestone whose course short name or section is unknown cannot be placed: it is dropped,
//!   like one at `posr` −1. Milestones at the same place are written once (first wins).
//! - Learners whose email is null, empty, or Moodle's placeholder of a deleted account (the MD5
//!   of the username: 32 hex digits, no `@`) are dropped; a second row for the same user or the
//!   same email is dropped (first wins, docs/decisions.md §8); so is a second style for one user.
//! - `planning` is absent: a legacy file does not say whether the site had planning rows.

use time::OffsetDateTime;

use super::legacy::{self, LegacyFile};
use super::v2::{self, Document, DocumentError};
use crate::i18n::Lang;

/// The `generator` of converted documents.
const GENERATOR: &str = concat!("attestoodle-backup ", env!("CARGO_PKG_VERSION"));

/// The result of [`legacy_to_v2`]: the document and what the operator should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The format-2 document, sorted and valid, not signed.
    pub document: Document,
    /// What was dropped or is incomplete, in the order met.
    pub notes: Vec<Note>,
}

/// One thing the operator should know about a conversion, with a stable code: the code and
/// the texts of a [`NoteKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// A stable code, such as `legacy-position-unknown` (README lists them).
    pub code: &'static str,
    /// The note in English.
    pub en: String,
    /// The note in French.
    pub fr: String,
}

/// A milestone as a note names it: its name and its activity's id on the source site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneLabel {
    /// The milestone's name, when the file has one.
    pub name: Option<String>,
    /// The course module id on the source site.
    pub cmid: i64,
}

impl MilestoneLabel {
    fn of(milestone: &legacy::Milestone) -> MilestoneLabel {
        MilestoneLabel {
            name: milestone.name.clone(),
            cmid: milestone.moduleid,
        }
    }

    /// In the operator's language, as the subject of a sentence.
    pub fn localized(&self, lang: Lang) -> String {
        match (&self.name, lang) {
            (Some(name), Lang::En) => format!("milestone {name:?} (cmid {})", self.cmid),
            (Some(name), Lang::Fr) => format!("le jalon « {name} » (cmid {})", self.cmid),
            (None, Lang::En) => format!("the milestone of cmid {}", self.cmid),
            (None, Lang::Fr) => format!("le jalon du cmid {}", self.cmid),
        }
    }
}

/// What a conversion could not carry; its code and texts are one `match` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteKind {
    /// The training's name is null.
    NullTrainingName,
    /// No milestone can be placed.
    EmptyTraining,
    /// The training has no template.
    NoTemplate,
    /// A milestone whose course was deleted.
    CourseUnknown {
        /// The milestone.
        milestone: MilestoneLabel,
    },
    /// A milestone in no section.
    PositionUnknown {
        /// The milestone.
        milestone: MilestoneLabel,
        /// Its course.
        course: String,
    },
    /// A second milestone at the same place.
    DuplicateMilestone {
        /// The milestone.
        milestone: MilestoneLabel,
        /// Its course.
        course: String,
        /// Its section.
        section: i64,
        /// Its position.
        position: i64,
    },
    /// A milestone without a name.
    NullName {
        /// Its course.
        course: String,
        /// Its section.
        section: i64,
        /// Its position.
        position: i64,
    },
    /// A learner without an email.
    LearnerNoEmail {
        /// The user id on the source site.
        user: i64,
    },
    /// A learner whose account was deleted.
    DeletedLearner {
        /// The user id on the source site.
        user: i64,
        /// Moodle's placeholder email.
        email: String,
    },
    /// A second learner row for an email.
    DuplicateLearner {
        /// The email.
        email: String,
        /// The user id on the source site.
        user: i64,
    },
    /// Certificate settings of a user who is not a kept learner.
    StyleOrphan {
        /// The user id on the source site.
        user: i64,
    },
    /// A second row of certificate settings.
    StyleDuplicate {
        /// The learner's email.
        email: String,
    },
    /// An exclusion kept with the training's template.
    StyleExclusionKept {
        /// The learner's email.
        email: String,
        /// The template id of the legacy file.
        template_id: i64,
        /// The training's template.
        training_template: String,
    },
    /// An exclusion that cannot be kept.
    StyleExclusionDropped {
        /// The learner's email.
        email: String,
        /// The template id of the legacy file.
        template_id: i64,
    },
    /// Certificate settings with a template the file does not carry.
    StyleDropped {
        /// The learner's email.
        email: String,
        /// The template id of the legacy file.
        template_id: i64,
    },
}

impl NoteKind {
    /// The stable code (README).
    pub fn code(&self) -> &'static str {
        match self {
            NoteKind::NullTrainingName => "legacy-null-training-name",
            NoteKind::EmptyTraining => "legacy-empty-training",
            NoteKind::NoTemplate => "legacy-no-template",
            NoteKind::CourseUnknown { .. } => "legacy-course-unknown",
            NoteKind::PositionUnknown { .. } => "legacy-position-unknown",
            NoteKind::DuplicateMilestone { .. } => "legacy-duplicate-milestone",
            NoteKind::NullName { .. } => "legacy-null-name",
            NoteKind::LearnerNoEmail { .. } => "legacy-learner-no-email",
            NoteKind::DeletedLearner { .. } => "legacy-deleted-learner",
            NoteKind::DuplicateLearner { .. } => "legacy-duplicate-learner",
            NoteKind::StyleOrphan { .. } => "legacy-style-orphan",
            NoteKind::StyleDuplicate { .. } => "legacy-style-duplicate",
            NoteKind::StyleExclusionKept { .. } => "legacy-style-exclusion-kept",
            NoteKind::StyleExclusionDropped { .. } | NoteKind::StyleDropped { .. } => {
                "legacy-style-dropped"
            }
        }
    }

    /// The note in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (NoteKind::NullTrainingName, Lang::En) => "the training has no name (null in the \
                 legacy file): it is written with an empty name, so give one with --name when \
                 you restore it"
                .to_owned(),
            (NoteKind::NullTrainingName, Lang::Fr) => "la formation n'a pas de nom (null dans \
                 l'ancien fichier) : elle est écrite avec un nom vide, donnez-en un avec --name \
                 lors de la restauration"
                .to_owned(),
            (NoteKind::EmptyTraining, Lang::En) => "the training has no milestone that can be \
                 placed: the converted file credits no activity"
                .to_owned(),
            (NoteKind::EmptyTraining, Lang::Fr) => "la formation n'a aucun jalon localisable : \
                 le fichier converti ne crédite aucune activité"
                .to_owned(),
            (NoteKind::NoTemplate, Lang::En) => "the training has no certificate template in \
                 the legacy file (`relationtemplate` or `template` is false): it is converted \
                 without one"
                .to_owned(),
            (NoteKind::NoTemplate, Lang::Fr) => "la formation n'a pas de modèle d'attestation \
                 dans l'ancien fichier (`relationtemplate` ou `template` vaut false) : elle est \
                 convertie sans modèle"
                .to_owned(),
            (NoteKind::CourseUnknown { milestone }, Lang::En) => format!(
                "{} is dropped: its course was deleted before the export (no course short name \
                 in the legacy file)",
                milestone.localized(lang)
            ),
            (NoteKind::CourseUnknown { milestone }, Lang::Fr) => format!(
                "{} est abandonné : son cours avait été supprimé avant l'export (pas de nom \
                 abrégé de cours dans l'ancien fichier)",
                milestone.localized(lang)
            ),
            (NoteKind::PositionUnknown { milestone, course }, Lang::En) => format!(
                "{} in course {course:?} is dropped: the activity was in no section of the \
                 course when the legacy file was made, so it cannot be placed",
                milestone.localized(lang)
            ),
            (NoteKind::PositionUnknown { milestone, course }, Lang::Fr) => format!(
                "{} du cours « {course} » est abandonné : l'activité n'était dans aucune \
                 section du cours lors de l'export, elle ne peut pas être localisée",
                milestone.localized(lang)
            ),
            (
                NoteKind::DuplicateMilestone {
                    milestone,
                    course,
                    section,
                    position,
                },
                Lang::En,
            ) => format!(
                "{} is dropped: another milestone of the file is at the same place (course \
                 {course:?}, section {section}, position {position}), and the first one is kept",
                milestone.localized(lang)
            ),
            (
                NoteKind::DuplicateMilestone {
                    milestone,
                    course,
                    section,
                    position,
                },
                Lang::Fr,
            ) => format!(
                "{} est abandonné : un autre jalon du fichier est au même endroit (cours \
                 « {course} », section {section}, position {position}), le premier est gardé",
                milestone.localized(lang)
            ),
            (
                NoteKind::NullName {
                    course,
                    section,
                    position,
                },
                Lang::En,
            ) => format!(
                "the milestone at course {course:?}, section {section}, position {position} has \
                 no name in the legacy file: a restore cannot check that the activity found \
                 there is the right one"
            ),
            (
                NoteKind::NullName {
                    course,
                    section,
                    position,
                },
                Lang::Fr,
            ) => format!(
                "le jalon du cours « {course} », section {section}, position {position} n'a pas \
                 de nom dans l'ancien fichier : une restauration ne pourra pas vérifier que \
                 l'activité trouvée à cet endroit est la bonne"
            ),
            (NoteKind::LearnerNoEmail { user }, Lang::En) => format!(
                "the learner of user id {user} is dropped: the legacy file has no email for them \
                 (their account was missing at export time)"
            ),
            (NoteKind::LearnerNoEmail { user }, Lang::Fr) => format!(
                "l'apprenant d'identifiant {user} est abandonné : l'ancien fichier n'a pas son \
                 adresse e-mail (son compte manquait lors de l'export)"
            ),
            (NoteKind::DeletedLearner { user, email }, Lang::En) => format!(
                "the learner of user id {user} is dropped: their email {email:?} is Moodle's \
                 placeholder for a deleted account"
            ),
            (NoteKind::DeletedLearner { user, email }, Lang::Fr) => format!(
                "l'apprenant d'identifiant {user} est abandonné : son adresse « {email} » est \
                 celle que Moodle donne à un compte supprimé"
            ),
            (NoteKind::DuplicateLearner { email, user }, Lang::En) => format!(
                "a second learner row for {email:?} (user id {user}) is dropped; the first one \
                 is kept"
            ),
            (NoteKind::DuplicateLearner { email, user }, Lang::Fr) => format!(
                "une deuxième ligne d'apprenant pour « {email} » (identifiant {user}) est \
                 abandonnée ; la première est gardée"
            ),
            (NoteKind::StyleOrphan { user }, Lang::En) => format!(
                "the certificate settings of user id {user} are dropped: that user is not a \
                 learner kept in the file"
            ),
            (NoteKind::StyleOrphan { user }, Lang::Fr) => format!(
                "les réglages d'attestation de l'utilisateur d'identifiant {user} sont \
                 abandonnés : cet utilisateur n'est pas un apprenant gardé dans le fichier"
            ),
            (NoteKind::StyleDuplicate { email }, Lang::En) => format!(
                "a second row of certificate settings for {email:?} is dropped; the first one \
                 is kept"
            ),
            (NoteKind::StyleDuplicate { email }, Lang::Fr) => format!(
                "une deuxième ligne de réglages d'attestation pour « {email} » est abandonnée ; \
                 la première est gardée"
            ),
            (
                NoteKind::StyleExclusionKept {
                    email,
                    template_id,
                    training_template,
                },
                Lang::En,
            ) => format!(
                "{email:?} is excluded from certificates with template id {template_id}, which \
                 is not in the legacy file: the exclusion is kept with the training's template \
                 {training_template:?}"
            ),
            (
                NoteKind::StyleExclusionKept {
                    email,
                    template_id,
                    training_template,
                },
                Lang::Fr,
            ) => format!(
                "« {email} » est exclu des attestations avec le modèle d'identifiant \
                 {template_id}, absent de l'ancien fichier : l'exclusion est gardée avec le \
                 modèle de la formation « {training_template} »"
            ),
            (NoteKind::StyleExclusionDropped { email, template_id }, Lang::En) => format!(
                "the exclusion of {email:?} from certificates is dropped: it uses template id \
                 {template_id}, which is not in the legacy file, and the training has no \
                 template to keep it with; exclude the learner again after the restore"
            ),
            (NoteKind::StyleExclusionDropped { email, template_id }, Lang::Fr) => format!(
                "l'exclusion de « {email} » des attestations est abandonnée : elle utilise le \
                 modèle d'identifiant {template_id}, absent de l'ancien fichier, et la formation \
                 n'a pas de modèle pour la garder ; excluez de nouveau l'apprenant après la \
                 restauration"
            ),
            (NoteKind::StyleDropped { email, template_id }, Lang::En) => format!(
                "the certificate settings of {email:?} are dropped: they use template id \
                 {template_id}, which is not in the legacy file; the learner gets the training's \
                 template"
            ),
            (NoteKind::StyleDropped { email, template_id }, Lang::Fr) => format!(
                "les réglages d'attestation de « {email} » sont abandonnés : ils utilisent le \
                 modèle d'identifiant {template_id}, absent de l'ancien fichier ; l'apprenant \
                 aura le modèle de la formation"
            ),
        }
    }
}

impl From<NoteKind> for Note {
    fn from(kind: NoteKind) -> Note {
        Note {
            code: kind.code(),
            en: kind.localized(Lang::En),
            fr: kind.localized(Lang::Fr),
        }
    }
}

impl Note {
    /// The note in the operator's language.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.fr)
    }
}

/// Why a legacy file cannot be converted, although its checksum is right.
///
/// Every message is said in English and French by [`MigrateError::localized`] (one `match`);
/// `Display` is the English one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateError {
    /// A value that must not be negative is (docs/decisions.md §12).
    Negative {
        /// Where, for example `milestones[2].creditedtime`.
        path: String,
        /// The value found.
        value: i64,
    },
    /// The converted document breaks a rule of format 2 (for example text holding U+0000, or an
    /// integer beyond 2^53 − 1).
    Invalid(DocumentError),
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for MigrateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MigrateError::Negative { .. } => None,
            MigrateError::Invalid(error) => Some(error),
        }
    }
}

impl MigrateError {
    /// The message in the operator's language: what cannot be converted and what to do.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (MigrateError::Negative { path, value }, Lang::En) => format!(
                "the legacy file's `{path}` is {value}, but it cannot be negative; the file was \
                 made by a damaged site or edited: export the training again"
            ),
            (MigrateError::Negative { path, value }, Lang::Fr) => format!(
                "`{path}` vaut {value} dans l'ancien fichier, mais ne peut pas être négatif ; le \
                 fichier vient d'un site abîmé ou a été modifié : exportez de nouveau la formation"
            ),
            (MigrateError::Invalid(error), Lang::En) => format!(
                "the legacy file cannot become a version 2 document: {}",
                error.localized(lang)
            ),
            (MigrateError::Invalid(error), Lang::Fr) => format!(
                "l'ancien fichier ne peut pas devenir un document de version 2 : {}",
                error.localized(lang)
            ),
        }
    }
}

/// Maps a legacy file to a format-2 document, with `created` set to now; see
/// [`legacy_to_v2_at`].
///
/// # Errors
///
/// As [`legacy_to_v2_at`].
pub fn legacy_to_v2(file: &LegacyFile) -> Result<Migrated, MigrateError> {
    legacy_to_v2_at(file, OffsetDateTime::now_utc())
}

/// Maps a legacy file to a format-2 document as docs/format.md "Legacy files" and
/// docs/decisions.md §6 say, with `created` set to `created`. The document is sorted and valid,
/// and not signed.
///
/// # Errors
///
/// [`MigrateError::Negative`] for a negative section, position (other than −1), credited time or
/// duration, naming the field; [`MigrateError::Invalid`] when the result breaks another rule of
/// format 2.
pub fn legacy_to_v2_at(
    file: &LegacyFile,
    created: OffsetDateTime,
) -> Result<Migrated, MigrateError> {
    let mut notes = Vec::new();
    let training = &file.training;
    if let Some(duration) = training.duration {
        not_negative("training.duration", duration)?;
    }
    let name = match &training.name {
        Some(name) => name.clone(),
        None => {
            notes.push(NoteKind::NullTrainingName.into());
            String::new()
        }
    };
    let milestones = milestones(file, &mut notes)?;
    if milestones.is_empty() {
        notes.push(NoteKind::EmptyTraining.into());
    }
    let template = file.template.as_ref();
    let training_template = match (&file.relationtemplate, template) {
        (Some(_), Some(template)) => Some(template.name.clone()),
        _ => {
            notes.push(NoteKind::NoTemplate.into());
            None
        }
    };
    let (learners, emails) = learners(file, &mut notes);
    let learner_styles = learner_styles(file, &emails, training_template.as_deref(), &mut notes);
    let template_used = template.filter(|template| {
        training_template.as_deref() == Some(template.name.as_str())
            || learner_styles
                .iter()
                .any(|style| style.template == template.name)
    });
    let templates = template_used
        .map(|template| v2::Template {
            name: template.name.clone(),
            details: file
                .templatedetails
                .iter()
                .map(|detail| v2::TemplateDetail {
                    kind: detail.kind.clone(),
                    data: detail.data.clone(),
                })
                .collect(),
            background: None,
        })
        .into_iter()
        .collect();
    let relation = file.relationtemplate.as_ref();
    let mut document = Document {
        format: v2::FORMAT.to_owned(),
        version: v2::VERSION,
        created: v2::format_created(created),
        generator: GENERATOR.to_owned(),
        source: v2::Source {
            wwwroot: None,
            source_training_id: training.id,
        },
        training: v2::Training {
            name,
            category: v2::Category {
                name: None,
                idnumber: None,
                path: Vec::new(),
                source_id: training.categoryid,
            },
            startdate: training.startdate,
            enddate: training.enddate,
            duration: training.duration,
            nbautolaunch: training.nbautolaunch,
            nextlaunch: training.nextlaunch,
            checklearner: training.checklearner,
            template: training_template,
            grpcriteria1: relation.and_then(|relation| relation.grpcriteria1.clone()),
            grpcriteria2: relation.and_then(|relation| relation.grpcriteria2.clone()),
        },
        milestones,
        templates,
        learners,
        learner_styles,
        planning: None,
        signature: None,
    };
    v2::sort(&mut document);
    v2::validate(&document).map_err(MigrateError::Invalid)?;
    Ok(Migrated { document, notes })
}

fn not_negative(path: impl Into<String>, value: i64) -> Result<(), MigrateError> {
    if value < 0 {
        return Err(MigrateError::Negative {
            path: path.into(),
            value,
        });
    }
    Ok(())
}

fn milestones(
    file: &LegacyFile,
    notes: &mut Vec<Note>,
) -> Result<Vec<v2::Milestone>, MigrateError> {
    let mut out: Vec<v2::Milestone> = Vec::new();
    for (i, milestone) in file.milestones.iter().enumerate() {
        not_negative(
            format!("milestones[{i}].creditedtime"),
            milestone.creditedtime,
        )?;
        if let Some(section) = milestone.section {
            not_negative(format!("milestones[{i}].section"), section)?;
        }
        if milestone.posr < -1 {
            not_negative(format!("milestones[{i}].posr"), milestone.posr)?;
        }
        let Some(course) = &milestone.course_shortname else {
            notes.push(
                NoteKind::CourseUnknown {
                    milestone: MilestoneLabel::of(milestone),
                }
                .into(),
            );
            continue;
        };
        let (Some(section), 0..) = (milestone.section, milestone.posr) else {
            notes.push(
                NoteKind::PositionUnknown {
                    milestone: MilestoneLabel::of(milestone),
                    course: course.clone(),
                }
                .into(),
            );
            continue;
        };
        let position = milestone.posr;
        if out
            .iter()
            .any(|m| m.course == *course && m.section == section && m.position == position)
        {
            notes.push(
                NoteKind::DuplicateMilestone {
                    milestone: MilestoneLabel::of(milestone),
                    course: course.clone(),
                    section,
                    position,
                }
                .into(),
            );
            continue;
        }
        if milestone.name.is_none() {
            notes.push(
                NoteKind::NullName {
                    course: course.clone(),
                    section,
                    position,
                }
                .into(),
            );
        }
        out.push(v2::Milestone {
            course: course.clone(),
            section,
            position,
            activity: v2::Activity {
                kind: None,
                name: milestone.name.clone(),
                idnumber: None,
                source_cmid: Some(milestone.moduleid),
            },
            creditedtime: milestone.creditedtime,
            name: milestone.name.clone(),
            timemodified: milestone.timemodified,
        });
    }
    Ok(out)
}

/// Whether an email is Moodle's placeholder for a deleted account: the MD5 of the username.
fn is_deleted_placeholder(email: &str) -> bool {
    email.len() == 32 && email.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The learners to write, and the email of each kept user id.
fn learners(file: &LegacyFile, notes: &mut Vec<Note>) -> (Vec<v2::Learner>, Vec<(i64, String)>) {
    let mut out: Vec<v2::Learner> = Vec::new();
    let mut emails: Vec<(i64, String)> = Vec::new();
    for learner in &file.learners {
        let user = learner.userid;
        let email = match learner.email.as_deref() {
            None | Some("") => {
                notes.push(NoteKind::LearnerNoEmail { user }.into());
                continue;
            }
            Some(email) if is_deleted_placeholder(email) => {
                notes.push(
                    NoteKind::DeletedLearner {
                        user,
                        email: email.to_owned(),
                    }
                    .into(),
                );
                continue;
            }
            Some(email) => email,
        };
        if emails
            .iter()
            .any(|(id, known)| *id == user || known == email)
        {
            notes.push(
                NoteKind::DuplicateLearner {
                    email: email.to_owned(),
                    user,
                }
                .into(),
            );
            continue;
        }
        emails.push((user, email.to_owned()));
        out.push(v2::Learner {
            email: email.to_owned(),
            username: None,
            idnumber: None,
            selected: learner.selected,
            predelete: learner.predelete,
            resultcriteria: learner.resultcriteria.clone(),
        });
    }
    (out, emails)
}

fn learner_styles(
    file: &LegacyFile,
    emails: &[(i64, String)],
    training_template: Option<&str>,
    notes: &mut Vec<Note>,
) -> Vec<v2::LearnerStyle> {
    let mut out: Vec<v2::LearnerStyle> = Vec::new();
    let mut done: Vec<i64> = Vec::new();
    for style in &file.templateusers {
        let user = style.userid;
        let Some((_, email)) = emails.iter().find(|(id, _)| *id == user) else {
            notes.push(NoteKind::StyleOrphan { user }.into());
            continue;
        };
        if done.contains(&user) {
            notes.push(
                NoteKind::StyleDuplicate {
                    email: email.clone(),
                }
                .into(),
            );
            continue;
        }
        let file_template = file
            .template
            .as_ref()
            .filter(|template| template.id == style.templateid);
        let template = match (file_template, style.enablecertificate, training_template) {
            (Some(template), _, _) => template.name.clone(),
            (None, Some(0), Some(training_template)) => {
                notes.push(
                    NoteKind::StyleExclusionKept {
                        email: email.clone(),
                        template_id: style.templateid,
                        training_template: training_template.to_owned(),
                    }
                    .into(),
                );
                training_template.to_owned()
            }
            (None, excluded, _) => {
                let id = style.templateid;
                let kind = if excluded == Some(0) {
                    NoteKind::StyleExclusionDropped {
                        email: email.clone(),
                        template_id: id,
                    }
                } else {
                    NoteKind::StyleDropped {
                        email: email.clone(),
                        template_id: id,
                    }
                };
                notes.push(kind.into());
                continue;
            }
        };
        done.push(user);
        out.push(v2::LearnerStyle {
            email: email.clone(),
            username: None,
            template,
            grpcriteria1: style.grpcriteria1.clone(),
            grpcriteria2: style.grpcriteria2.clone(),
            enablecertificate: style.enablecertificate,
            withdateformat: style.withdateformat.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::i18n::testing::two_texts;
    use serde_json::Value;
    use time::macros::datetime;

    use super::*;

    // Issue 9, item 1: every conversion error and note exists in English and French.
    #[test]
    fn every_migrate_error_and_note_is_said_in_english_and_in_french() {
        let errors = [
            MigrateError::Negative {
                path: "milestones[0].creditedtime".to_owned(),
                value: -5,
            },
            MigrateError::Invalid(DocumentError::NulCharacter {
                path: "training.name".to_owned(),
            }),
        ];
        for error in &errors {
            match error {
                MigrateError::Negative { .. } | MigrateError::Invalid(_) => {}
            }
            two_texts(error.localized(Lang::En), error.localized(Lang::Fr));
        }
        let milestone = || MilestoneLabel {
            name: Some("Quiz".to_owned()),
            cmid: 4,
        };
        let course = || "CHIM101".to_owned();
        let email = || "a@example.org".to_owned();
        let kinds = [
            NoteKind::NullTrainingName,
            NoteKind::EmptyTraining,
            NoteKind::NoTemplate,
            NoteKind::CourseUnknown {
                milestone: MilestoneLabel {
                    name: None,
                    cmid: 4,
                },
            },
            NoteKind::PositionUnknown {
                milestone: milestone(),
                course: course(),
            },
            NoteKind::DuplicateMilestone {
                milestone: milestone(),
                course: course(),
                section: 1,
                position: 2,
            },
            NoteKind::NullName {
                course: course(),
                section: 1,
                position: 2,
            },
            NoteKind::LearnerNoEmail { user: 7 },
            NoteKind::DeletedLearner {
                user: 7,
                email: "0123456789abcdef0123456789abcdef".to_owned(),
            },
            NoteKind::DuplicateLearner {
                email: email(),
                user: 7,
            },
            NoteKind::StyleOrphan { user: 7 },
            NoteKind::StyleDuplicate { email: email() },
            NoteKind::StyleExclusionKept {
                email: email(),
                template_id: 3,
                training_template: "T".to_owned(),
            },
            NoteKind::StyleExclusionDropped {
                email: email(),
                template_id: 3,
            },
            NoteKind::StyleDropped {
                email: email(),
                template_id: 3,
            },
        ];
        let mut codes: Vec<&str> = kinds.iter().map(NoteKind::code).collect();
        codes.dedup();
        assert_eq!(codes.len(), 14, "two kinds share legacy-style-dropped");
        for kind in kinds {
            let note = Note::from(kind);
            assert!(note.code.starts_with("legacy-"));
            two_texts(note.en, note.fr);
        }
    }
    use crate::document::php_json;

    const SIMPLE: &[u8] = include_bytes!("../../tests/vectors/legacy-simple.json");
    const POSITIONS: &[u8] = include_bytes!("../../tests/vectors/legacy-positions.json");

    const AT: OffsetDateTime = datetime!(2026-11-28 12:00:00 UTC);

    fn migrate(bytes: &[u8]) -> Migrated {
        let file = legacy::parse(bytes).expect("the vector reads");
        legacy_to_v2_at(&file, AT).expect("the vector converts")
    }

    /// The vector changed by `change`, with its checksum recomputed.
    fn changed(bytes: &[u8], change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Migrated {
        let Ok(Value::Object(mut members)) = php_json::decode(bytes) else {
            panic!("the vector is a JSON object");
        };
        change(&mut members);
        migrate(legacy::write(&members).as_bytes())
    }

    fn codes(migrated: &Migrated) -> Vec<&'static str> {
        migrated.notes.iter().map(|note| note.code).collect()
    }

    fn row<'a>(
        doc: &'a mut serde_json::Map<String, Value>,
        key: &str,
        index: usize,
    ) -> &'a mut serde_json::Map<String, Value> {
        match doc.get_mut(key).and_then(|rows| rows.get_mut(index)) {
            Some(Value::Object(row)) => row,
            _ => panic!("no {key}[{index}]"),
        }
    }

    #[test]
    fn simple_vector_maps_to_what_expected_md_says() {
        let migrated = migrate(SIMPLE);
        assert_eq!(codes(&migrated), Vec::<&str>::new());
        let doc = &migrated.document;
        assert_eq!(doc.format, "attestoodle-training-backup");
        assert_eq!(doc.version, 2);
        assert_eq!(doc.created, "2026-11-28T12:00:00Z");
        assert!(doc.generator.starts_with("attestoodle-backup "));
        assert_eq!(doc.source.wwwroot, None);
        assert_eq!(doc.source.source_training_id, 1);
        assert_eq!(doc.training.name, "Sécurité & Hygiène 2019");
        assert_eq!(
            doc.training.category,
            v2::Category {
                name: None,
                idnumber: None,
                path: Vec::new(),
                source_id: 3
            }
        );
        assert_eq!(doc.training.startdate, 1_546_300_800);
        assert_eq!(doc.training.enddate, Some(1_577_750_400));
        assert_eq!(doc.training.checklearner, Some(1_560_124_800));
        assert_eq!(doc.training.duration, Some(600));
        assert_eq!(doc.training.nbautolaunch, None);
        assert_eq!(doc.training.template.as_deref(), Some("Site"));
        assert_eq!(doc.training.grpcriteria1.as_deref(), Some("coursename"));
        assert_eq!(doc.training.grpcriteria2, None);

        let places: Vec<(&str, i64, i64, i64)> = doc
            .milestones
            .iter()
            .map(|m| (m.course.as_str(), m.section, m.position, m.creditedtime))
            .collect();
        // Sorted by course short name: "HACCP/2019" < "SEC-INC-101".
        assert_eq!(
            places,
            [
                ("HACCP/2019", 1, 0, 60),
                ("HACCP/2019", 1, 1, 90),
                ("SEC-INC-101", 1, 0, 30),
                ("SEC-INC-101", 1, 1, 45),
                ("SEC-INC-101", 2, 0, 120),
            ]
        );
        let first = &doc.milestones[0];
        assert_eq!(
            first.activity,
            v2::Activity {
                kind: None,
                name: Some("Les 7 principes HACCP".to_owned()),
                idnumber: None,
                source_cmid: Some(8),
            }
        );
        assert_eq!(first.name.as_deref(), Some("Les 7 principes HACCP"));
        assert_eq!(first.timemodified, Some(1_546_304_600));

        assert_eq!(doc.templates.len(), 1);
        let template = &doc.templates[0];
        assert_eq!(template.name, "Site");
        assert_eq!(template.background, None);
        let kinds: Vec<&str> = template.details.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "background",
                "learnername",
                "trainingname",
                "period",
                "totalminutes",
                "activities",
                "text"
            ]
        );
        assert_eq!(
            template.details[0].data,
            "{ \"filename\": \"attest_background.png\" } "
        );
        let file = legacy::parse(SIMPLE).expect("the vector reads");
        for (detail, legacy) in template.details.iter().zip(&file.templatedetails) {
            assert_eq!(detail.data, legacy.data, "byte for byte");
        }

        let emails: Vec<&str> = doc.learners.iter().map(|l| l.email.as_str()).collect();
        // Code-point order: upper case first.
        assert_eq!(
            emails,
            [
                "Francois.Oster@Example.COM",
                "elodie.lefevre@univ-lemans.fr",
                "zoe.obrien+attest@example.org"
            ]
        );
        assert!(doc
            .learners
            .iter()
            .all(|l| l.username.is_none() && l.idnumber.is_none()));
        assert_eq!(doc.learners[1].resultcriteria.as_deref(), Some("2/2"));
        assert_eq!(doc.learners[2].selected, Some(0));
        assert!(doc.learner_styles.is_empty());
        assert_eq!(doc.planning, None);
        assert_eq!(doc.signature, None);
    }

    #[test]
    fn positions_vector_maps_to_what_expected_md_says() {
        let migrated = migrate(POSITIONS);
        let doc = &migrated.document;
        assert_eq!(doc.training.name, "Premiers secours – PSC1");
        assert_eq!(doc.training.enddate, None);
        assert_eq!(doc.training.nbautolaunch, Some(0));
        assert_eq!(doc.training.grpcriteria1.as_deref(), Some("name"));
        let places: Vec<(&str, i64, i64, Option<&str>)> = doc
            .milestones
            .iter()
            .map(|m| {
                (
                    m.course.as_str(),
                    m.section,
                    m.position,
                    m.activity.name.as_deref(),
                )
            })
            .collect();
        let course = "PSC1 <Été 2019>";
        assert_eq!(
            places,
            [
                (course, 0, 1, Some("Programme de la formation")),
                (course, 1, 0, Some("Alerter les secours (15/18/112)")),
                (course, 1, 2, Some("Quiz : massage cardiaque")),
                (course, 3, 0, Some("Mise en situation")),
                (course, 3, 1, None),
            ]
        );
        assert_eq!(doc.milestones[4].name, None);
        assert_eq!(doc.milestones[4].timemodified, None);
        assert_eq!(doc.milestones[4].activity.source_cmid, Some(25));
        assert_eq!(doc.learners.len(), 3);
        // The style of user 5 points at template 2, not in the file, and does not exclude.
        assert!(doc.learner_styles.is_empty());
        assert_eq!(doc.templates.len(), 1);
        assert_eq!(
            codes(&migrated),
            ["legacy-null-name", "legacy-style-dropped"]
        );
        let dropped = &migrated.notes[1];
        assert!(
            dropped.en.contains("zoe.obrien+attest@example.org"),
            "{}",
            dropped.en
        );
        assert!(dropped.en.contains("template id 2"), "{}", dropped.en);
        assert!(dropped.text(Lang::Fr).contains("modèle d'identifiant 2"));
    }

    #[test]
    fn an_exclusion_with_another_template_is_kept_with_the_trainings_template() {
        let migrated = changed(POSITIONS, |doc| {
            row(doc, "templateusers", 0).insert("enablecertificate".to_owned(), Value::from("0"));
        });
        assert_eq!(
            codes(&migrated),
            ["legacy-null-name", "legacy-style-exclusion-kept"]
        );
        let styles = &migrated.document.learner_styles;
        assert_eq!(styles.len(), 1);
        assert_eq!(styles[0].email, "zoe.obrien+attest@example.org");
        assert_eq!(styles[0].template, "Site");
        assert_eq!(styles[0].enablecertificate, Some(0));
        assert_eq!(styles[0].grpcriteria1.as_deref(), Some("name"));
    }

    #[test]
    fn an_exclusion_is_dropped_when_the_training_has_no_template() {
        let migrated = changed(POSITIONS, |doc| {
            row(doc, "templateusers", 0).insert("enablecertificate".to_owned(), Value::from("0"));
            doc.insert("relationtemplate".to_owned(), Value::from(false));
        });
        assert_eq!(
            codes(&migrated),
            [
                "legacy-null-name",
                "legacy-no-template",
                "legacy-style-dropped"
            ]
        );
        assert!(
            migrated.notes[2].en.contains("exclusion"),
            "{}",
            migrated.notes[2].en
        );
        assert!(migrated.document.learner_styles.is_empty());
        // Nothing refers to the file's template any more.
        assert!(migrated.document.templates.is_empty());
    }

    #[test]
    fn a_style_with_the_files_template_is_kept() {
        let migrated = changed(POSITIONS, |doc| {
            row(doc, "templateusers", 0).insert("templateid".to_owned(), Value::from("1"));
        });
        assert_eq!(codes(&migrated), ["legacy-null-name"]);
        assert_eq!(migrated.document.learner_styles[0].template, "Site");
        assert_eq!(
            migrated.document.learner_styles[0].enablecertificate,
            Some(1)
        );
    }

    #[test]
    fn a_style_without_its_learner_is_dropped() {
        let migrated = changed(POSITIONS, |doc| {
            row(doc, "templateusers", 0).insert("userid".to_owned(), Value::from("99"));
            row(doc, "templateusers", 0).insert("templateid".to_owned(), Value::from("1"));
        });
        assert_eq!(
            codes(&migrated),
            ["legacy-null-name", "legacy-style-orphan"]
        );
        assert!(migrated.document.learner_styles.is_empty());
    }

    #[test]
    fn unplaced_milestones_are_dropped_with_a_note() {
        let migrated = changed(SIMPLE, |doc| {
            row(doc, "milestones", 0).insert("posr".to_owned(), Value::from(-1));
            row(doc, "milestones", 1).insert("section".to_owned(), Value::Null);
            row(doc, "milestones", 2).insert("course_shortname".to_owned(), Value::Null);
        });
        assert_eq!(
            codes(&migrated),
            [
                "legacy-position-unknown",
                "legacy-position-unknown",
                "legacy-course-unknown"
            ]
        );
        assert!(migrated.notes[0].en.contains("Consignes générales"));
        assert_eq!(migrated.document.milestones.len(), 2);
    }

    #[test]
    fn milestones_at_the_same_place_are_written_once() {
        let migrated = changed(SIMPLE, |doc| {
            row(doc, "milestones", 1).insert("posr".to_owned(), Value::from(0));
        });
        assert_eq!(codes(&migrated), ["legacy-duplicate-milestone"]);
        assert_eq!(migrated.document.milestones.len(), 4);
    }

    #[test]
    fn an_empty_training_is_noted() {
        let migrated = changed(SIMPLE, |doc| {
            doc.insert("milestones".to_owned(), Value::Array(Vec::new()));
        });
        assert_eq!(codes(&migrated), ["legacy-empty-training"]);
        assert!(migrated.document.milestones.is_empty());
    }

    #[test]
    fn no_template_is_noted_and_nothing_refers_to_one() {
        let migrated = changed(SIMPLE, |doc| {
            doc.insert("relationtemplate".to_owned(), Value::from(false));
            doc.insert("template".to_owned(), Value::from(false));
            doc.insert("templatedetails".to_owned(), Value::Array(Vec::new()));
        });
        assert_eq!(codes(&migrated), ["legacy-no-template"]);
        assert_eq!(migrated.document.training.template, None);
        assert_eq!(migrated.document.training.grpcriteria1, None);
        assert!(migrated.document.templates.is_empty());
    }

    #[test]
    fn deleted_missing_and_duplicate_learners_are_dropped() {
        let migrated = changed(SIMPLE, |doc| {
            row(doc, "learners", 0).insert(
                "email".to_owned(),
                Value::from("5f4dcc3b5aa765d61d8327deb882cf99"),
            );
            row(doc, "learners", 1).insert("email".to_owned(), Value::Null);
            row(doc, "learners", 2).insert("email".to_owned(), Value::from("a@example.org"));
            let mut copy = row(doc, "learners", 2).clone();
            copy.insert("userid".to_owned(), Value::from("77"));
            if let Some(Value::Array(rows)) = doc.get_mut("learners") {
                rows.push(Value::Object(copy));
            }
        });
        assert_eq!(
            codes(&migrated),
            [
                "legacy-deleted-learner",
                "legacy-learner-no-email",
                "legacy-duplicate-learner"
            ]
        );
        let emails: Vec<&str> = migrated
            .document
            .learners
            .iter()
            .map(|l| l.email.as_str())
            .collect();
        assert_eq!(emails, ["a@example.org"]);
    }

    #[test]
    fn a_null_training_name_becomes_empty_with_a_note() {
        let migrated = changed(SIMPLE, |doc| {
            if let Some(Value::Object(training)) = doc.get_mut("training") {
                training.insert("name".to_owned(), Value::Null);
            }
        });
        assert_eq!(codes(&migrated), ["legacy-null-training-name"]);
        assert_eq!(migrated.document.training.name, "");
    }

    #[test]
    fn negative_values_are_refused_naming_the_field() {
        let cases: [(&str, Value, &str); 3] = [
            (
                "creditedtime",
                Value::from("-5"),
                "milestones[3].creditedtime",
            ),
            ("section", Value::from("-1"), "milestones[3].section"),
            ("posr", Value::from(-2), "milestones[3].posr"),
        ];
        for (key, value, path) in cases {
            let Ok(Value::Object(mut members)) = php_json::decode(SIMPLE) else {
                panic!("the vector is a JSON object");
            };
            row(&mut members, "milestones", 3).insert(key.to_owned(), value);
            let file = legacy::parse(legacy::write(&members).as_bytes()).expect("reads");
            let error = legacy_to_v2_at(&file, AT).expect_err("negative");
            assert_eq!(
                error,
                MigrateError::Negative {
                    path: path.to_owned(),
                    value: if key == "posr" {
                        -2
                    } else if key == "section" {
                        -1
                    } else {
                        -5
                    }
                }
            );
            assert!(error.to_string().contains(path), "{error}");
        }
    }

    #[test]
    fn text_holding_nul_is_refused_by_the_format_2_rules() {
        let Ok(Value::Object(mut members)) = php_json::decode(SIMPLE) else {
            panic!("the vector is a JSON object");
        };
        row(&mut members, "milestones", 0).insert("name".to_owned(), Value::from("a\u{0}b"));
        let file = legacy::parse(legacy::write(&members).as_bytes()).expect("reads");
        let error = legacy_to_v2_at(&file, AT).expect_err("NUL");
        assert!(matches!(error, MigrateError::Invalid(_)), "{error:?}");
    }

    #[test]
    fn the_converted_document_signs_and_reads_back() {
        let mut document = migrate(POSITIONS).document;
        let key = crate::document::keys::generate();
        crate::document::signature::sign(&mut document, &key);
        let text = v2::to_text(&document);
        let read = v2::parse(text.as_bytes()).expect("the converted file reads");
        assert_eq!(read, document);
        assert_eq!(
            crate::document::signature::verify(&read).integrity,
            crate::document::signature::Integrity::Valid
        );
    }
}
