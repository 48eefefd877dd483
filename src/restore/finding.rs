//! Findings: what the precheck found, each with a stable code, a severity, the objects it
//! concerns, and a message in English and in French.

use std::fmt;

use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Said for the record; nothing to do.
    Info,
    /// The restore goes on only if the operator accepts the code (`--accept CODE`).
    NeedsAccept,
    /// The restore cannot go on until the cause is fixed (an option, the site, the file).
    Blocking,
}

impl Severity {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::NeedsAccept => "needs-accept",
            Severity::Blocking => "blocking",
        }
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// The stable code of a finding: scripts and `--accept` use it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Code {
            $($(#[doc = $doc])* #[serde(rename = $text)] $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in output and in `--accept`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The code named `text`, if there is one.
            pub fn parse(text: &str) -> Option<Code> {
                match text {
                    $($text => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// The file has no signature.
    Unsigned = "unsigned",
    /// The file is signed, by a key this site does not trust.
    UntrustedSigner = "untrusted-signer",
    /// The file is signed by a key this site trusts.
    TrustedSigner = "trusted-signer",
    /// A legacy file: its checksum proves integrity against accidents only.
    LegacyChecksum = "legacy-checksum",
    /// `restore` onto a training of the same name, which is replaced.
    ReplaceTraining = "replace-training",
    /// `clone` onto a name a training already has.
    TrainingExists = "training-exists",
    /// Several trainings have the target name.
    AmbiguousTraining = "ambiguous-training",
    /// A training or template name the rules refuse.
    InvalidName = "invalid-name",
    /// The existing training replaced has a name today's rules would refuse for a new one
    /// (made before Attestoodle 1.10.6): it keeps its name.
    NameKept = "name-kept",
    /// How the category was found.
    CategoryMatched = "category-matched",
    /// A file converted from a legacy one knows its category by id alone, and that id exists
    /// here: the category it designates on this site is used once the operator accepts.
    CategoryById = "category-by-id",
    /// No category matches.
    CategoryMissing = "category-missing",
    /// Several categories match.
    AmbiguousCategory = "ambiguous-category",
    /// No course has the short name.
    MissingCourse = "missing-course",
    /// The course has completion tracking disabled.
    CourseNoCompletion = "course-no-completion",
    /// Several courses have the short name.
    AmbiguousCourse = "ambiguous-course",
    /// The activity was found elsewhere in its course by its fingerprint.
    ActivityMoved = "activity-moved",
    /// Another activity sits at the milestone's place.
    ActivityMismatch = "activity-mismatch",
    /// No activity at the milestone's place, and none with its fingerprint.
    MissingActivity = "missing-activity",
    /// The activity has completion disabled or is being deleted.
    ActivityNoCompletion = "activity-no-completion",
    /// Two milestones of the file lead to one activity.
    DuplicateMilestone = "duplicate-milestone",
    /// The file has milestones, and none of them would be written.
    NothingToRestore = "nothing-to-restore",
    /// The file has no milestones: the training is written without any.
    NoMilestones = "no-milestones",
    /// No account has the learner's email.
    MissingLearner = "missing-learner",
    /// Several accounts have the learner's email, and the username does not pick one.
    AmbiguousLearner = "ambiguous-learner",
    /// The learner's account is suspended.
    SuspendedLearner = "suspended-learner",
    /// Two learners of the file lead to one account.
    DuplicateLearner = "duplicate-learner",
    /// Learners are left out (`clone` without `--with-learners`, or `--without-learners`).
    LearnersLeftOut = "learners-left-out",
    /// A template of that name exists with other content; it is reused as it is.
    TemplateDiffers = "template-differs",
    /// `--template replace` rewrites a template that others may use.
    ReplaceSharedTemplate = "replace-shared-template",
    /// `--template copy:NAME` names a template that exists with other content.
    TemplateNameTaken = "template-name-taken",
    /// Several templates have the name.
    AmbiguousTemplate = "ambiguous-template",
    /// The file refers to a template it does not carry and the site does not have.
    MissingTemplate = "missing-template",
    /// The file names no template for the training.
    NoTemplate = "no-template",
    /// The template's image cannot be written: no writable Moodle file store.
    BackgroundSkipped = "background-skipped",
    /// The file carries no image for a template that has a background.
    BackgroundNotInFile = "background-not-in-file",
    /// `grpcriteria1` equals `grpcriteria2`.
    SameGrouping = "same-grouping",
    /// The start date is after the end date.
    DatesReversed = "dates-reversed",
    /// A clone keeps the file's dates (no shift), and its end date is in the past.
    DatesKept = "dates-kept",
    /// The planning rows cannot be restored: the site has no tool_taskattestoodle.
    PlanningSkipped = "planning-skipped",
    /// No operator for the planning rows.
    MissingOperator = "missing-operator",
    /// `repair`: no activity of the milestone's course carries its fingerprint (or the only
    /// one has completion disabled or is already a milestone of the training).
    RepairNoMatch = "repair-no-match",
    /// `repair`: several activities of the milestone's course carry its fingerprint.
    RepairAmbiguous = "repair-ambiguous",
    /// `repair`: the milestone's course no longer exists; restore the training instead.
    RepairCourseMissing = "repair-course-missing",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the precheck found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// How much it matters.
    pub severity: Severity,
    /// The objects concerned, each named by its natural identifier (`course CHIM101`,
    /// `learner a@b.fr`, ...).
    pub subjects: Vec<String>,
    /// The message in English.
    pub en: String,
    /// The message in French.
    pub fr: String,
    /// The messages for the web pages, in English and French, when they differ: the web
    /// names its form fields where the command line names its flags.
    #[serde(skip)]
    pub web: Option<(String, String)>,
}

impl Finding {
    /// A finding.
    pub fn new(
        code: Code,
        severity: Severity,
        subjects: Vec<String>,
        en: impl Into<String>,
        fr: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity,
            subjects,
            en: en.into(),
            fr: fr.into(),
            web: None,
        }
    }

    /// The same finding, with other messages for the web pages.
    pub fn on_web(mut self, en: impl Into<String>, fr: impl Into<String>) -> Finding {
        self.web = Some((en.into(), fr.into()));
        self
    }

    /// The message of the web pages in English and French.
    pub fn web_text(&self) -> (&str, &str) {
        match &self.web {
            Some((en, fr)) => (en, fr),
            None => (&self.en, &self.fr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_text() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str()))
            );
        }
        assert_eq!(Code::parse("nope"), None);
    }
}
