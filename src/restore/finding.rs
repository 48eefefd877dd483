//! Findings: what the precheck found, each with a stable code, a severity, the objects it
//! concerns, and a message in English and in French.

use std::fmt;

use serde::Serialize;

use crate::i18n::Lang;

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
    /// A batch (several files, a directory, `clone --from-site`): two of its entries would
    /// write the same training.
    BatchDuplicate = "batch-duplicate",
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
    /// What was found, without the advice, in English and French: the web says it with the
    /// advice of its form ([`Finding::advice`]); `en` and `fr` say it with the command line's.
    #[serde(skip)]
    pub what: (String, String),
    /// What the operator can do, as choices.
    #[serde(skip)]
    pub advice: Vec<Advice>,
}

/// What the operator can do about a finding. The command line says it with its flags
/// ([`Advice::cli`]); the web pages with their form fields, in the web's own catalogue (issue
/// "web": every finding's advice names the field to change, never a flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// Accept the finding (`--accept CODE`, a tick box).
    Accept(Code),
    /// Trust the signer's public key (`keys trust`, the *Keys* page).
    TrustKey,
    /// Restore under another training name (`--name`), with a proposal for a refused one.
    Name(Option<String>),
    /// Clone under another suffix or name.
    SuffixOrName,
    /// Choose the category (`--category`).
    Category,
    /// Move the dates (`--shift-dates`, `--start`).
    Dates,
    /// Map the file's course of this short name to another one (`--rename-course`).
    RenameCourse(String),
    /// Give Moodle's file store (`--dataroot`, `--moodle-config`).
    FileStore,
    /// Create the template under another name (`--template copy:NAME`), with a proposal.
    TemplateCopyName(Option<String>),
    /// Rewrite the site's template from the file (`--template replace`).
    TemplateReplace,
    /// Restore the learners too (`--with-learners`).
    WithLearners,
}

impl Advice {
    /// The advice on the command line.
    pub fn cli(&self, lang: Lang) -> String {
        match (self, lang) {
            (Advice::Accept(code), Lang::En) => format!("accept with --accept {code}"),
            (Advice::Accept(code), Lang::Fr) => format!("acceptez avec --accept {code}"),
            (Advice::TrustKey, Lang::En) => {
                "import the signer's public key with `keys trust`".to_owned()
            }
            (Advice::TrustKey, Lang::Fr) => {
                "importez la clé publique du signataire avec `keys trust`".to_owned()
            }
            (Advice::Name(None), Lang::En) => "choose another name with --name".to_owned(),
            (Advice::Name(None), Lang::Fr) => "choisissez un autre nom avec --name".to_owned(),
            (Advice::Name(Some(p)), Lang::En) => {
                format!("give another with --name {}", shell_quote(p))
            }
            (Advice::Name(Some(p)), Lang::Fr) => {
                format!("donnez-en un autre avec --name {}", shell_quote(p))
            }
            (Advice::SuffixOrName, Lang::En) => "choose another --suffix or --name".to_owned(),
            (Advice::SuffixOrName, Lang::Fr) => "choisissez un autre --suffix ou --name".to_owned(),
            (Advice::Category, Lang::En) => {
                "choose one with --category ID|IDNUMBER|PATH".to_owned()
            }
            (Advice::Category, Lang::Fr) => {
                "choisissez-en une avec --category ID|IDNUMBER|CHEMIN".to_owned()
            }
            (Advice::Dates, Lang::En) => {
                "move them with --shift-dates DAYS or --start YYYY-MM-DD".to_owned()
            }
            (Advice::Dates, Lang::Fr) => {
                "décalez-les avec --shift-dates JOURS ou --start AAAA-MM-JJ".to_owned()
            }
            (Advice::RenameCourse(course), Lang::En) => {
                format!("map this course with --rename-course {course}=SHORTNAME")
            }
            (Advice::RenameCourse(course), Lang::Fr) => {
                format!("associez ce cours avec --rename-course {course}=NOMABRÉGÉ")
            }
            (Advice::FileStore, Lang::En) => "give --dataroot or --moodle-config".to_owned(),
            (Advice::FileStore, Lang::Fr) => "indiquez --dataroot ou --moodle-config".to_owned(),
            (Advice::TemplateCopyName(None), Lang::En) => {
                "create it under another name with --template copy:NAME".to_owned()
            }
            (Advice::TemplateCopyName(None), Lang::Fr) => {
                "créez-le sous un autre nom avec --template copy:NOM".to_owned()
            }
            (Advice::TemplateCopyName(Some(name)), Lang::En) => format!(
                "give another with --template {}",
                shell_quote(&format!("copy:{name}"))
            ),
            (Advice::TemplateCopyName(Some(name)), Lang::Fr) => format!(
                "donnez-en un autre avec --template {}",
                shell_quote(&format!("copy:{name}"))
            ),
            (Advice::TemplateReplace, Lang::En) => {
                "rewrite it from the file with --template replace".to_owned()
            }
            (Advice::TemplateReplace, Lang::Fr) => {
                "réécrivez-le depuis le fichier avec --template replace".to_owned()
            }
            (Advice::WithLearners, Lang::En) => "add --with-learners to restore them".to_owned(),
            (Advice::WithLearners, Lang::Fr) => {
                "ajoutez --with-learners pour les restaurer".to_owned()
            }
        }
    }
}

/// `what; advice, or advice`, each advice said by `say` (the advice last, so that a value it
/// quotes for the shell ends the line).
pub fn with_advice(
    what: &str,
    advice: &[Advice],
    lang: Lang,
    say: impl Fn(&Advice) -> String,
) -> String {
    if advice.is_empty() {
        return what.to_owned();
    }
    let or = lang.pick(", or ", ", ou ");
    let said: Vec<String> = advice.iter().map(say).collect();
    format!("{what}{} {}", lang.pick(";", " ;"), said.join(or))
}

/// A value as one POSIX shell word, in single quotes (names hold spaces and accents).
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
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
        let (en, fr) = (en.into(), fr.into());
        Finding {
            code,
            severity,
            subjects,
            what: (en.clone(), fr.clone()),
            en,
            fr,
            advice: Vec::new(),
        }
    }

    /// A finding with what the operator can do: `en` and `fr` say what was found, the
    /// command line and the web add the advice each in its own words.
    pub fn advised(
        code: Code,
        severity: Severity,
        subjects: Vec<String>,
        what_en: impl Into<String>,
        what_fr: impl Into<String>,
        advice: Vec<Advice>,
    ) -> Finding {
        let (what_en, what_fr) = (what_en.into(), what_fr.into());
        Finding {
            code,
            severity,
            subjects,
            en: with_advice(&what_en, &advice, Lang::En, |a| a.cli(Lang::En)),
            fr: with_advice(&what_fr, &advice, Lang::Fr, |a| a.cli(Lang::Fr)),
            what: (what_en, what_fr),
            advice,
        }
    }

    /// What was found, without the advice, in the operator's language.
    pub fn what(&self, lang: Lang) -> &str {
        lang.pick(&self.what.0, &self.what.1)
    }

    /// The subjects in the operator's language, joined with commas: each subject is a kind
    /// word (`training`, `course`, `milestone COURSE section S position P`, `learner`,
    /// `template`, `category`, `key`, `file`) then its natural identifier, which stays as it
    /// is; only the kind words are translated.
    pub fn subjects_text(&self, lang: Lang) -> String {
        self.subjects
            .iter()
            .map(|s| subject_text(s, lang))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One subject in the operator's language (see [`Finding::subjects_text`]).
fn subject_text(subject: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return subject.to_owned();
    }
    // `section S position P` are the same words in French.
    const KINDS: [(&str, &str); 7] = [
        ("milestone ", "jalon "),
        ("training ", "formation "),
        ("course ", "cours "),
        ("learner ", "apprenant "),
        ("template ", "modèle "),
        ("category ", "catégorie "),
        ("key ", "clé "),
    ];
    if subject == "file" {
        return "fichier".to_owned();
    }
    for (en, fr) in KINDS {
        if let Some(rest) = subject.strip_prefix(en) {
            return format!("{fr}{rest}");
        }
    }
    subject.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_said_in_french_with_their_identifiers_unchanged() {
        let f = Finding::new(
            Code::MissingActivity,
            Severity::NeedsAccept,
            vec![
                "milestone CHIM 101 section 2 position 0".to_owned(),
                "learner a@b.fr".to_owned(),
                "training Licence training".to_owned(),
                "file".to_owned(),
            ],
            "",
            "",
        );
        assert_eq!(
            f.subjects_text(Lang::Fr),
            "jalon CHIM 101 section 2 position 0, apprenant a@b.fr, formation Licence training, \
             fichier"
        );
        assert_eq!(
            f.subjects_text(Lang::En),
            "milestone CHIM 101 section 2 position 0, learner a@b.fr, training Licence training, \
             file"
        );
    }

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
