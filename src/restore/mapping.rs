//! How each milestone and learner of a plan was matched on this site, as one word for
//! `--json` and a phrase for the operator: the one source of the precheck page's *What goes
//! where* tables and of `--show-mapping` (issue "web": *The mapping in view*).

use serde::Serialize;

use super::finding::Code;
use super::Status;
use crate::i18n::Lang;

/// How a milestone of the file found its activity here (`how` in the plan's `--json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MilestoneHow {
    /// The activity at the file's section and position carries its fingerprint.
    AtPlace,
    /// Found elsewhere in the course by its fingerprint (type and name).
    Moved,
    /// The same activity as another milestone: written once.
    Duplicate,
    /// No course here has its short name.
    CourseMissing,
    /// Several courses here have its short name.
    CourseAmbiguous,
    /// Another activity is at its place, and no single one carries its fingerprint.
    Mismatch,
    /// Not at its place, nor anywhere else in the course.
    NotFound,
    /// Found, but without completion, disabled or being deleted.
    NoCompletion,
    /// Left out for another reason.
    Skipped,
}

impl MilestoneHow {
    /// The case of a milestone that is written or skipped with this finding.
    pub fn of(status: Status, finding: Option<Code>) -> MilestoneHow {
        match (status, finding) {
            (Status::Write, Some(Code::ActivityMoved)) => MilestoneHow::Moved,
            (Status::Write, _) => MilestoneHow::AtPlace,
            (_, Some(Code::DuplicateMilestone)) => MilestoneHow::Duplicate,
            (_, Some(Code::MissingCourse)) => MilestoneHow::CourseMissing,
            (_, Some(Code::AmbiguousCourse)) => MilestoneHow::CourseAmbiguous,
            (_, Some(Code::ActivityMismatch)) => MilestoneHow::Mismatch,
            (_, Some(Code::MissingActivity)) => MilestoneHow::NotFound,
            (_, Some(Code::ActivityNoCompletion)) => MilestoneHow::NoCompletion,
            (Status::Skip, _) => MilestoneHow::Skipped,
        }
    }

    /// In the operator's words.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, fr) = match self {
            MilestoneHow::AtPlace => ("at its place", "à sa place"),
            MilestoneHow::Moved => (
                "moved: found elsewhere in the course by its type and name",
                "déplacée : trouvée ailleurs dans le cours par son type et son nom",
            ),
            MilestoneHow::Duplicate => (
                "the same activity as another milestone: written once",
                "la même activité qu'un autre jalon : écrite une fois",
            ),
            MilestoneHow::CourseMissing => ("course missing: skipped", "cours absent : ignoré"),
            MilestoneHow::CourseAmbiguous => (
                "several courses have this short name: skipped",
                "plusieurs cours ont ce nom abrégé : ignoré",
            ),
            MilestoneHow::Mismatch => (
                "another activity at its place: skipped",
                "une autre activité à sa place : ignoré",
            ),
            MilestoneHow::NotFound => ("not found: skipped", "introuvable : ignoré"),
            MilestoneHow::NoCompletion => (
                "completion off or being deleted: skipped",
                "achèvement désactivé ou suppression en cours : ignoré",
            ),
            MilestoneHow::Skipped => ("skipped", "ignoré"),
        };
        lang.pick(en, fr)
    }
}

/// How a learner of the file found an account here (`how` in the plan's `--json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearnerHow {
    /// One account has the email (or the file's username chose among several).
    Found,
    /// Found, and the account is suspended: restored anyway.
    Suspended,
    /// The same account as another learner of the file: written once.
    Duplicate,
    /// No account (deleted ones aside) has the email.
    Missing,
    /// Several accounts have the email and the file's username names none.
    Ambiguous,
    /// Left out for another reason.
    LeftOut,
}

impl LearnerHow {
    /// The case of a learner that is written or skipped with this finding.
    pub fn of(status: Status, finding: Option<Code>) -> LearnerHow {
        match (status, finding) {
            (Status::Write, Some(Code::SuspendedLearner)) => LearnerHow::Suspended,
            (Status::Write, _) => LearnerHow::Found,
            (_, Some(Code::DuplicateLearner)) => LearnerHow::Duplicate,
            (_, Some(Code::MissingLearner)) => LearnerHow::Missing,
            (_, Some(Code::AmbiguousLearner)) => LearnerHow::Ambiguous,
            (Status::Skip, _) => LearnerHow::LeftOut,
        }
    }

    /// In the operator's words.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, fr) = match self {
            LearnerHow::Found => ("found by email", "trouvé par son adresse"),
            LearnerHow::Suspended => (
                "found, suspended (restored anyway)",
                "trouvé, suspendu (restauré quand même)",
            ),
            LearnerHow::Duplicate => (
                "the same account as another learner: written once",
                "le même compte qu'un autre apprenant : écrit une fois",
            ),
            LearnerHow::Missing => (
                "no account with this email: skipped",
                "aucun compte avec cette adresse : ignoré",
            ),
            LearnerHow::Ambiguous => (
                "several accounts, none chosen: skipped",
                "plusieurs comptes, aucun choisi : ignoré",
            ),
            LearnerHow::LeftOut => ("left out", "laissé de côté"),
        };
        lang.pick(en, fr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_line_is_never_said_to_be_at_its_place() {
        for code in Code::ALL.iter().copied().map(Some).chain([None]) {
            assert_ne!(MilestoneHow::of(Status::Skip, code), MilestoneHow::AtPlace);
            assert_ne!(MilestoneHow::of(Status::Skip, code), MilestoneHow::Moved);
            assert_ne!(LearnerHow::of(Status::Skip, code), LearnerHow::Found);
            assert_ne!(LearnerHow::of(Status::Skip, code), LearnerHow::Suspended);
        }
        assert_eq!(
            MilestoneHow::of(Status::Write, Some(Code::ActivityMoved)),
            MilestoneHow::Moved
        );
        assert_eq!(
            MilestoneHow::of(Status::Skip, Some(Code::MissingCourse)),
            MilestoneHow::CourseMissing
        );
        assert_eq!(
            LearnerHow::of(Status::Skip, Some(Code::AmbiguousLearner)),
            LearnerHow::Ambiguous
        );
    }
}
