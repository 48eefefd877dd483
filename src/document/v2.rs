//! The version 2 backup document: its types, its strict reader and its text form (docs/format.md).

use std::cell::RefCell;
use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use serde_path_to_error::Segment;
use sha1::{Digest as _, Sha1};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::i18n::Lang;

/// The value of the top-level `format` key of every backup file.
pub const FORMAT: &str = "attestoodle-training-backup";

/// The format version this module reads and writes.
pub const VERSION: i64 = 2;

/// The largest file [`parse`] is meant to be given: bigger files are refused before parsing
/// (docs/decisions.md §11); `--max-size` raises the limit.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// The largest integer magnitude a document may hold, 2^53 − 1, so that every JSON tool reads
/// the same number.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// The version of the legacy files of the PHP plugin `tool_save_attestoodle`.
const LEGACY_VERSION: &str = "2019061667";

/// A whole backup file of format version 2: one training and everything it refers to.
///
/// These types are the one description of the format in Rust (the JSON Schema in `docs/` says
/// the same for other tools): every key is required, `null` only in an `Option` and a key
/// absent only where docs/format.md allows it (`#[serde(default)]`: `planning`, `signature`),
/// no unknown key. Fields are declared in the order of docs/format.md's tables, which is the
/// order the text form writes them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: i64,
    /// UTC time of the export, `YYYY-MM-DDTHH:MM:SSZ` when written (any RFC 3339 time is read).
    pub created: String,
    /// `"attestoodle-backup <crate version>"`; readers do not check it.
    pub generator: String,
    /// Where the training came from.
    pub source: Source,
    /// The training itself.
    pub training: Training,
    /// The milestones, sorted by (`course`, `section`, `position`).
    pub milestones: Vec<Milestone>,
    /// Every template the training or a learner style refers to, sorted by name.
    pub templates: Vec<Template>,
    /// The learners, sorted by `email`, then `username`.
    pub learners: Vec<Learner>,
    /// Per-learner certificate settings, sorted like `learners`.
    pub learner_styles: Vec<LearnerStyle>,
    /// The `tool_taskattestoodle` planning rows, or `None` (key absent) when the site has no
    /// such table.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub planning: Option<Vec<Planning>>,
    /// The signature, or `None` (key absent) in an unsigned document.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub signature: Option<Signature>,
}

/// Where a document came from (top-level `source`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `$CFG->wwwroot` of the source site, when the tool read `config.php`.
    #[serde(deserialize_with = "required")]
    pub wwwroot: Option<String>,
    /// The training's id on the source site, for traceability only.
    pub source_training_id: i64,
}

/// The training (top-level `training`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// The training name.
    pub name: String,
    /// The category the training belongs to.
    pub category: Category,
    /// Start date, Unix seconds.
    pub startdate: i64,
    /// End date, Unix seconds.
    #[serde(deserialize_with = "required")]
    pub enddate: Option<i64>,
    /// Duration in minutes, never negative.
    #[serde(deserialize_with = "required")]
    pub duration: Option<i64>,
    /// Number of automatic launches.
    #[serde(deserialize_with = "required")]
    pub nbautolaunch: Option<i64>,
    /// Next automatic launch, Unix seconds.
    #[serde(deserialize_with = "required")]
    pub nextlaunch: Option<i64>,
    /// `training.checklearner` as stored.
    #[serde(deserialize_with = "required")]
    pub checklearner: Option<i64>,
    /// Name of the training's template.
    #[serde(deserialize_with = "required")]
    pub template: Option<String>,
    /// `train_style.grpcriteria1` as stored.
    #[serde(deserialize_with = "required")]
    pub grpcriteria1: Option<String>,
    /// `train_style.grpcriteria2` as stored.
    #[serde(deserialize_with = "required")]
    pub grpcriteria2: Option<String>,
}

/// The category of a training (`training.category`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Category name; `None` only in a file converted from a legacy one.
    #[serde(deserialize_with = "required")]
    pub name: Option<String>,
    /// Category idnumber (`None` for Moodle's empty idnumber).
    #[serde(deserialize_with = "required")]
    pub idnumber: Option<String>,
    /// Names from the top category down to this one; empty only in a converted legacy file.
    pub path: Vec<String>,
    /// The category id on the source site.
    pub source_id: i64,
}

/// One milestone (`milestones[]`): an activity of a course, identified by its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Course short name.
    pub course: String,
    /// Section number of the module's section, never negative.
    pub section: i64,
    /// 0-based index of the module in that section's `sequence`, never negative.
    pub position: i64,
    /// Fingerprint of the activity, used to check the position on restore.
    pub activity: Activity,
    /// Credited time in minutes, never negative.
    pub creditedtime: i64,
    /// `milestone.name` as stored.
    #[serde(deserialize_with = "required")]
    pub name: Option<String>,
    /// `milestone.timemodified`, Unix seconds.
    #[serde(deserialize_with = "required")]
    pub timemodified: Option<i64>,
}

/// The fingerprint of a milestone's activity (`milestones[].activity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Module type (`modules.name`); `None` only in a file converted from a legacy one.
    #[serde(rename = "type", deserialize_with = "required")]
    pub kind: Option<String>,
    /// Instance name; `None` when the instance row is missing.
    #[serde(deserialize_with = "required")]
    pub name: Option<String>,
    /// `course_modules.idnumber` (`None` for Moodle's empty idnumber).
    #[serde(deserialize_with = "required")]
    pub idnumber: Option<String>,
    /// The course module id on the source site.
    #[serde(deserialize_with = "required")]
    pub source_cmid: Option<i64>,
}

/// A certificate template (`templates[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Template name.
    pub name: String,
    /// One entry per `tpl_detail` row, in the database's id order (never sorted).
    pub details: Vec<TemplateDetail>,
    /// The background image, when its bytes could be read.
    #[serde(deserialize_with = "required")]
    pub background: Option<Background>,
}

/// One `tpl_detail` row of a template (`templates[].details[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateDetail {
    /// The detail type (JSON key `type`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The stored text, byte for byte.
    pub data: String,
}

/// The background image of a template (`templates[].background`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    /// File name, equal to the one inside the background detail's `data`.
    pub filename: String,
    /// MIME type (`image/png` when Moodle stored none).
    pub mimetype: String,
    /// Size in bytes of the image carried in `content`.
    pub size: i64,
    /// SHA-1 of the image, 40 lowercase hex digits.
    pub sha1: String,
    /// The image bytes, base64 with the standard alphabet and padding.
    pub content: String,
}

/// One learner of the training (`learners[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learner {
    /// The email, the learner's natural identifier.
    pub email: String,
    /// Username; `None` in a file converted from a legacy one.
    #[serde(deserialize_with = "required")]
    pub username: Option<String>,
    /// User idnumber (`None` for Moodle's empty idnumber).
    #[serde(deserialize_with = "required")]
    pub idnumber: Option<String>,
    /// `learner.selected` as stored.
    #[serde(deserialize_with = "required")]
    pub selected: Option<i64>,
    /// `learner.predelete` as stored.
    #[serde(deserialize_with = "required")]
    pub predelete: Option<i64>,
    /// `learner.resultcriteria` as stored.
    #[serde(deserialize_with = "required")]
    pub resultcriteria: Option<String>,
}

/// The certificate settings of one learner (`learner_styles[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnerStyle {
    /// The learner's email.
    pub email: String,
    /// The learner's username; `None` in a file converted from a legacy one.
    #[serde(deserialize_with = "required")]
    pub username: Option<String>,
    /// Name of the learner's template.
    pub template: String,
    /// `user_style.grpcriteria1` as stored.
    #[serde(deserialize_with = "required")]
    pub grpcriteria1: Option<String>,
    /// `user_style.grpcriteria2` as stored.
    #[serde(deserialize_with = "required")]
    pub grpcriteria2: Option<String>,
    /// `user_style.enablecertificate` as stored.
    #[serde(deserialize_with = "required")]
    pub enablecertificate: Option<i64>,
    /// `user_style.withdateformat` as stored.
    #[serde(deserialize_with = "required")]
    pub withdateformat: Option<String>,
}

/// One `tool_taskattestoodle` planning row (`planning[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Planning {
    /// When the generation runs, Unix seconds.
    pub executiondate: i64,
    /// Start of the period, Unix seconds.
    pub beginperiod: i64,
    /// End of the period, Unix seconds.
    pub endperiod: i64,
    /// Where the result is mailed.
    #[serde(deserialize_with = "required")]
    pub mailto: Option<String>,
    /// The `auto` flag as stored.
    #[serde(deserialize_with = "required")]
    pub auto: Option<i64>,
    /// The `togenerate` value as stored.
    #[serde(deserialize_with = "required")]
    pub togenerate: Option<i64>,
}

/// The Ed25519 signature inside a document (top-level `signature`, JSF style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Always `"Ed25519"`.
    pub algorithm: String,
    /// Lowercase hex of the first 8 bytes of SHA-256 of the raw public key.
    pub key_id: String,
    /// The 32-byte raw public key, unpadded base64url.
    pub public_key: String,
    /// The 64-byte signature, unpadded base64url.
    pub value: String,
}

/// Deserialises an `Option` field whose key must be present (as `null` when there is no value):
/// unlike serde's default for `Option`, a missing key is an error.
fn required<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// Deserialises an `Option` field whose key may be absent (then `None`, through
/// `#[serde(default)]`) but never `null` (docs/format.md: `planning` and `signature`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Why a file is not a valid version 2 document. Every message names the place in the file.
///
/// Every message is said in English and French by [`DocumentError::localized`] (one `match`);
/// `Display` is the English one; the parser's own words are in [`DocumentError::detail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentError {
    /// The file is larger than the size limit.
    TooLarge {
        /// The size of the file in bytes.
        size: u64,
        /// The limit in force in bytes.
        limit: u64,
    },
    /// The bytes are not JSON (or not UTF-8, or hold a lone surrogate escape).
    Syntax {
        /// What kind of problem, in a person's terms.
        problem: JsonSyntax,
        /// The line of the file where the reader stopped (1-based).
        line: usize,
        /// The column of that line.
        column: usize,
        /// The JSON parser's own words, for `--verbose`.
        detail: String,
    },
    /// An object repeats a key.
    DuplicateKey {
        /// Where the object is.
        path: String,
        /// The repeated key.
        key: String,
    },
    /// A number is a float or an integer beyond ±(2^53 − 1).
    Number {
        /// Where the number is.
        path: String,
        /// The number as read.
        number: String,
    },
    /// A string (value or key) holds U+0000.
    NulCharacter {
        /// Where the string is.
        path: String,
    },
    /// The top-level `format` is missing or not [`FORMAT`].
    NotABackup {
        /// What stands where `format` should.
        found: FormatFound,
    },
    /// The file is a legacy `tool_save_attestoodle` file, which this reader does not read.
    Legacy {
        /// The legacy version as written in the file.
        version: String,
    },
    /// The `version` is not 2.
    UnknownVersion {
        /// The version found, as JSON, or `missing`.
        version: String,
        /// Why, and what to do about it.
        hint: VersionHint,
    },
    /// An object lacks a key of the format.
    MissingKey {
        /// Where the object is.
        path: String,
        /// The missing key.
        key: String,
    },
    /// An object has a key the format does not know.
    UnknownKey {
        /// Where the object is.
        path: String,
        /// The unknown key.
        key: String,
    },
    /// A value has the wrong JSON type.
    WrongType {
        /// Where the value is.
        path: String,
        /// What the format asks for.
        expected: JsonType,
        /// What the file holds.
        found: JsonType,
    },
    /// A value has the right type but breaks a rule of the format.
    InvalidValue {
        /// Where the value is.
        path: String,
        /// What is wrong.
        problem: ValueProblem,
    },
    /// Parts of the document contradict each other (docs/format.md: a background's SHA-1 and file
    /// name, unique template names, template references), even if the signature holds.
    Inconsistent {
        /// Where the contradiction is.
        path: String,
        /// What contradicts what (boxed: the error stays small).
        problem: Box<Inconsistency>,
    },
}

/// What kind of JSON syntax problem stopped the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonSyntax {
    /// The text ends before its JSON does: the file was cut short.
    CutShort,
    /// Something that is not JSON (or not UTF-8 text).
    NotJson,
}

/// What stands where the top-level `format` should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatFound {
    /// The top level is an object without `format`.
    Missing,
    /// `format` holds this JSON value.
    Value(String),
    /// The top level is not an object at all.
    TopLevel(JsonType),
}

/// Why a `version` cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionHint {
    /// A later version: a newer attestoodle-backup wrote it.
    Newer,
    /// A version no attestoodle-backup writes.
    Unknown,
    /// No `version` at all.
    Missing,
}

/// A JSON type, as the format asks for it or as a file holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number.
    Number,
    /// An integer.
    Integer,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
    /// A string or null.
    StringOrNull,
    /// An integer or null.
    IntegerOrNull,
    /// An object or null.
    ObjectOrNull,
    /// An array or null.
    ArrayOrNull,
}

impl JsonType {
    /// The type in words, in the operator's language.
    pub fn localized(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (JsonType::Null, _) => "null",
            (JsonType::Boolean, Lang::En) => "a boolean",
            (JsonType::Boolean, Lang::Fr) => "un booléen",
            (JsonType::Number, Lang::En) => "a number",
            (JsonType::Number, Lang::Fr) => "un nombre",
            (JsonType::Integer, Lang::En) => "an integer",
            (JsonType::Integer, Lang::Fr) => "un entier",
            (JsonType::String, Lang::En) => "a string",
            (JsonType::String, Lang::Fr) => "une chaîne",
            (JsonType::Array, Lang::En) => "an array",
            (JsonType::Array, Lang::Fr) => "un tableau",
            (JsonType::Object, Lang::En) => "an object",
            (JsonType::Object, Lang::Fr) => "un objet",
            (JsonType::StringOrNull, Lang::En) => "a string or null",
            (JsonType::StringOrNull, Lang::Fr) => "une chaîne ou null",
            (JsonType::IntegerOrNull, Lang::En) => "an integer or null",
            (JsonType::IntegerOrNull, Lang::Fr) => "un entier ou null",
            (JsonType::ObjectOrNull, Lang::En) => "an object or null",
            (JsonType::ObjectOrNull, Lang::Fr) => "un objet ou null",
            (JsonType::ArrayOrNull, Lang::En) => "an array or null",
            (JsonType::ArrayOrNull, Lang::Fr) => "un tableau ou null",
        }
    }
}

/// A value of the right type that breaks a rule of the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueProblem {
    /// A negative number where the format allows none.
    Negative(i64),
    /// `created` is not an RFC 3339 time (the value, quoted).
    NotATime(String),
    /// A background `sha1` that is not 40 lowercase hex digits.
    NotSha1,
    /// A background `content` that is not base64.
    NotBase64,
    /// A background `size` that is not the size of its `content`.
    WrongSize {
        /// The size written.
        said: i64,
        /// The bytes `content` holds.
        holds: usize,
    },
    /// A signature algorithm other than Ed25519 (quoted).
    Algorithm(String),
    /// A `key_id` that is not 16 lowercase hex digits (quoted).
    NotKeyId(String),
    /// A public key that is not 32 bytes of base64url.
    NotPublicKey,
    /// A signature value that is not 64 bytes of base64url.
    NotSignature,
    /// serde refused the value after the shape checks passed (its words, for `--verbose`).
    Unreadable(String),
}

/// Parts of a document that contradict each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    /// Two templates share a name.
    DuplicateTemplate {
        /// The name.
        name: String,
        /// The index of the first one.
        earlier: usize,
        /// The index of the second one.
        index: usize,
    },
    /// A background's `sha1` is not that of its `content`.
    BackgroundSha1 {
        /// The template.
        name: String,
        /// The SHA-1 written.
        written: String,
        /// The SHA-1 of the content.
        computed: String,
    },
    /// A background's `filename` is not the one its detail names.
    BackgroundFilename {
        /// The template.
        name: String,
        /// The background's `filename`.
        filename: String,
        /// The index of the background detail, when there is one.
        detail: Option<usize>,
        /// The file name that detail names, when it names one.
        named: Option<String>,
    },
    /// A template reference to a template the file does not carry.
    MissingTemplate {
        /// The name referred to.
        name: String,
    },
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for DocumentError {}

impl DocumentError {
    /// The message in the operator's language: what is wrong, where, and what to do.
    pub fn localized(&self, lang: Lang) -> String {
        const EDITED_EN: &str = "the file was edited or damaged";
        const EDITED_FR: &str = "le fichier a été modifié ou abîmé";
        use DocumentError as E;
        match (self, lang) {
            (E::TooLarge { size, limit }, Lang::En) => format!(
                "the file is {size} bytes, over the limit of {limit} bytes; a backup is much \
                 smaller, so check that this is the right file, or raise the limit with \
                 --max-size if you trust it"
            ),
            (E::TooLarge { size, limit }, Lang::Fr) => format!(
                "le fichier fait {size} octets, plus que la limite de {limit} octets ; une \
                 sauvegarde est bien plus petite : vérifiez que c'est le bon fichier, ou relevez \
                 la limite avec --max-size si vous lui faites confiance"
            ),
            (
                E::Syntax {
                    problem: JsonSyntax::CutShort,
                    line,
                    column,
                    ..
                },
                Lang::En,
            ) => format!(
                "the file ends before its JSON text does (line {line}, column {column}): it was \
                 cut short, in a copy or a download; use a complete copy of the backup"
            ),
            (
                E::Syntax {
                    problem: JsonSyntax::CutShort,
                    line,
                    column,
                    ..
                },
                Lang::Fr,
            ) => format!(
                "le fichier s'arrête avant la fin de son texte JSON (ligne {line}, colonne \
                 {column}) : il a été tronqué, lors d'une copie ou d'un téléchargement ; utilisez \
                 une copie complète de la sauvegarde"
            ),
            (
                E::Syntax {
                    problem: JsonSyntax::NotJson,
                    line,
                    column,
                    ..
                },
                Lang::En,
            ) => format!(
                "the file is not valid JSON (line {line}, column {column}): it is damaged or is \
                 not an Attestoodle backup; check that this is the right file"
            ),
            (
                E::Syntax {
                    problem: JsonSyntax::NotJson,
                    line,
                    column,
                    ..
                },
                Lang::Fr,
            ) => format!(
                "le fichier n'est pas du JSON valide (ligne {line}, colonne {column}) : il est \
                 abîmé ou n'est pas une sauvegarde Attestoodle ; vérifiez que c'est le bon \
                 fichier"
            ),
            (E::DuplicateKey { path, key }, Lang::En) => format!(
                "{path}: the key `{key}` appears twice; a backup never repeats a key, so \
                 {EDITED_EN}"
            ),
            (E::DuplicateKey { path, key }, Lang::Fr) => format!(
                "{path} : la clé `{key}` apparaît deux fois ; une sauvegarde ne répète jamais une \
                 clé, donc {EDITED_FR}"
            ),
            (E::Number { path, number }, Lang::En) => format!(
                "{path}: the number {number} is not allowed: a backup holds only integers between \
                 -9007199254740991 and 9007199254740991; {EDITED_EN}"
            ),
            (E::Number { path, number }, Lang::Fr) => format!(
                "{path} : le nombre {number} n'est pas permis : une sauvegarde ne contient que \
                 des entiers entre -9007199254740991 et 9007199254740991 ; {EDITED_FR}"
            ),
            (E::NulCharacter { path }, Lang::En) => format!(
                "{path}: the text holds the character U+0000, which a backup never contains; \
                 {EDITED_EN}"
            ),
            (E::NulCharacter { path }, Lang::Fr) => format!(
                "{path} : le texte contient le caractère U+0000, qu'une sauvegarde ne contient \
                 jamais ; {EDITED_FR}"
            ),
            (E::NotABackup { found }, Lang::En) => format!(
                "not an Attestoodle training backup: {}; check that this is the right file",
                match found {
                    FormatFound::Missing => "the key `format` is missing (expected \
                         \"attestoodle-training-backup\")"
                        .to_owned(),
                    FormatFound::Value(value) =>
                        format!("`format` is {value}, expected \"attestoodle-training-backup\""),
                    FormatFound::TopLevel(kind) => format!(
                        "the file holds {}, where a backup holds an object",
                        kind.localized(lang)
                    ),
                }
            ),
            (E::NotABackup { found }, Lang::Fr) => format!(
                "ce n'est pas une sauvegarde de formation Attestoodle : {} ; vérifiez que c'est \
                 le bon fichier",
                match found {
                    FormatFound::Missing => "la clé `format` manque \
                         (\"attestoodle-training-backup\" attendu)"
                        .to_owned(),
                    FormatFound::Value(value) =>
                        format!("`format` vaut {value}, \"attestoodle-training-backup\" attendu"),
                    FormatFound::TopLevel(kind) => format!(
                        "le fichier contient {}, là où une sauvegarde contient un objet",
                        kind.localized(lang)
                    ),
                }
            ),
            (E::Legacy { version }, Lang::En) => format!(
                "this is a legacy tool_save_attestoodle file (version {version}), not a version \
                 2 document; read it with the legacy reader"
            ),
            (E::Legacy { version }, Lang::Fr) => format!(
                "c'est un ancien fichier de tool_save_attestoodle (version {version}), pas un \
                 document de version 2 ; lisez-le avec le lecteur des anciens fichiers"
            ),
            (E::UnknownVersion { version, hint }, Lang::En) => format!(
                "backup format version {version} is unknown to this reader, which reads version \
                 2; {}",
                match hint {
                    VersionHint::Newer =>
                        "a newer attestoodle-backup wrote this file: upgrade \
                         attestoodle-backup to read it",
                    VersionHint::Unknown => {
                        "no attestoodle-backup writes this version: the file was edited or damaged"
                    }
                    VersionHint::Missing => {
                        "the `version` key is required: the file was edited or damaged"
                    }
                }
            ),
            (E::UnknownVersion { version, hint }, Lang::Fr) => {
                format!(
                "la version {version} du format de sauvegarde est inconnue de ce lecteur, qui lit \
                 la version 2 ; {}",
                match hint {
                    VersionHint::Newer => "un attestoodle-backup plus récent a écrit ce fichier : \
                         mettez attestoodle-backup à jour pour le lire",
                    VersionHint::Unknown => "aucun attestoodle-backup n'écrit cette version : le \
                         fichier a été modifié ou abîmé",
                    VersionHint::Missing => "la clé `version` est obligatoire : le fichier a été \
                         modifié ou abîmé",
                }
            )
            }
            (E::MissingKey { path, key }, Lang::En) => format!(
                "{path}: the key `{key}` is missing; every key of the format is required (null \
                 when there is no value), so {EDITED_EN}"
            ),
            (E::MissingKey { path, key }, Lang::Fr) => format!(
                "{path} : la clé `{key}` manque ; chaque clé du format est obligatoire (null \
                 quand il n'y a pas de valeur), donc {EDITED_FR}"
            ),
            (E::UnknownKey { path, key }, Lang::En) => format!(
                "{path}: unknown key `{key}`; version 2 has no such key (check for a typo, or use \
                 a newer attestoodle-backup if a newer one wrote this file)"
            ),
            (E::UnknownKey { path, key }, Lang::Fr) => format!(
                "{path} : clé inconnue `{key}` ; la version 2 n'a pas cette clé (vérifiez une \
                 faute de frappe, ou utilisez un attestoodle-backup plus récent si c'est un plus \
                 récent qui a écrit ce fichier)"
            ),
            (
                E::WrongType {
                    path,
                    expected,
                    found,
                },
                Lang::En,
            ) => format!(
                "{path}: expected {}, found {}; {EDITED_EN}",
                expected.localized(lang),
                found.localized(lang)
            ),
            (
                E::WrongType {
                    path,
                    expected,
                    found,
                },
                Lang::Fr,
            ) => format!(
                "{path} : {} attendu, {} trouvé ; {EDITED_FR}",
                expected.localized(lang),
                found.localized(lang)
            ),
            (E::InvalidValue { path, problem }, lang) => {
                let sep = lang.pick(":", " :");
                format!("{path}{sep} {}", problem.localized(lang))
            }
            (E::Inconsistent { path, problem }, lang) => {
                let sep = lang.pick(":", " :");
                format!("{path}{sep} {}", problem.localized(lang))
            }
        }
    }

    /// The JSON parser's own words behind the message (`--verbose`), when there are some.
    pub fn detail(&self) -> Option<String> {
        match self {
            DocumentError::Syntax { detail, .. } => Some(detail.clone()),
            DocumentError::InvalidValue {
                problem: ValueProblem::Unreadable(detail),
                ..
            } => Some(detail.clone()),
            DocumentError::TooLarge { .. }
            | DocumentError::DuplicateKey { .. }
            | DocumentError::Number { .. }
            | DocumentError::NulCharacter { .. }
            | DocumentError::NotABackup { .. }
            | DocumentError::Legacy { .. }
            | DocumentError::UnknownVersion { .. }
            | DocumentError::MissingKey { .. }
            | DocumentError::UnknownKey { .. }
            | DocumentError::WrongType { .. }
            | DocumentError::InvalidValue { .. }
            | DocumentError::Inconsistent { .. } => None,
        }
    }
}

impl ValueProblem {
    /// What is wrong with the value and what to do, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        const EDITED_EN: &str = "the file was edited or damaged";
        const EDITED_FR: &str = "le fichier a été modifié ou abîmé";
        match (self, lang) {
            (ValueProblem::Negative(value), Lang::En) => {
                format!("{value} is negative, which the format does not allow; {EDITED_EN}")
            }
            (ValueProblem::Negative(value), Lang::Fr) => {
                format!("{value} est négatif, ce que le format ne permet pas ; {EDITED_FR}")
            }
            (ValueProblem::NotATime(value), Lang::En) => {
                format!("{value} is not an RFC 3339 time such as 2026-11-28T12:00:00Z; {EDITED_EN}")
            }
            (ValueProblem::NotATime(value), Lang::Fr) => format!(
                "{value} n'est pas une date RFC 3339 comme 2026-11-28T12:00:00Z ; {EDITED_FR}"
            ),
            (ValueProblem::NotSha1, Lang::En) => {
                format!("is not 40 lowercase hex digits (a SHA-1); {EDITED_EN}")
            }
            (ValueProblem::NotSha1, Lang::Fr) => format!(
                "n'est pas fait de 40 chiffres hexadécimaux en minuscules (un SHA-1) ; {EDITED_FR}"
            ),
            (ValueProblem::NotBase64, Lang::En) => {
                format!("is not base64 (standard alphabet, padded); {EDITED_EN}")
            }
            (ValueProblem::NotBase64, Lang::Fr) => {
                format!("n'est pas du base64 (alphabet standard, avec remplissage) ; {EDITED_FR}")
            }
            (ValueProblem::WrongSize { said, holds }, Lang::En) => {
                format!("says {said} bytes but `content` holds {holds} bytes; {EDITED_EN}")
            }
            (ValueProblem::WrongSize { said, holds }, Lang::Fr) => {
                format!("indique {said} octets mais `content` en contient {holds} ; {EDITED_FR}")
            }
            (ValueProblem::Algorithm(value), Lang::En) => {
                format!("{value} is not supported: version 2 files are signed with \"Ed25519\"")
            }
            (ValueProblem::Algorithm(value), Lang::Fr) => format!(
                "{value} n'est pas pris en charge : les fichiers de version 2 sont signés avec \
                 \"Ed25519\""
            ),
            (ValueProblem::NotKeyId(value), Lang::En) => {
                format!("{value} is not 16 lowercase hex digits; {EDITED_EN}")
            }
            (ValueProblem::NotKeyId(value), Lang::Fr) => format!(
                "{value} n'est pas fait de 16 chiffres hexadécimaux en minuscules ; {EDITED_FR}"
            ),
            (ValueProblem::NotPublicKey, Lang::En) => {
                format!("is not 32 bytes in canonical unpadded base64url; {EDITED_EN}")
            }
            (ValueProblem::NotPublicKey, Lang::Fr) => format!(
                "n'est pas fait de 32 octets en base64url canonique sans remplissage ; \
                 {EDITED_FR}"
            ),
            (ValueProblem::NotSignature, Lang::En) => {
                format!("is not 64 bytes in canonical unpadded base64url; {EDITED_EN}")
            }
            (ValueProblem::NotSignature, Lang::Fr) => format!(
                "n'est pas fait de 64 octets en base64url canonique sans remplissage ; \
                 {EDITED_FR}"
            ),
            (ValueProblem::Unreadable(_), Lang::En) => format!(
                "a value cannot be read although its type is right; {EDITED_EN} (--verbose \
                 shows the reader's words)"
            ),
            (ValueProblem::Unreadable(_), Lang::Fr) => format!(
                "une valeur ne peut pas être lue bien que son type soit le bon ; {EDITED_FR} \
                 (--verbose montre les mots du lecteur)"
            ),
        }
    }
}

impl Inconsistency {
    /// What contradicts what and what to do, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        const EDITED_EN: &str = "the file was edited or damaged; use an intact copy of the backup";
        const EDITED_FR: &str =
            "le fichier a été modifié ou abîmé ; utilisez une copie intacte de la sauvegarde";
        match (self, lang) {
            (
                Inconsistency::DuplicateTemplate {
                    name,
                    earlier,
                    index,
                },
                Lang::En,
            ) => format!(
                "two templates are named “{name}” (templates[{earlier}] and templates[{index}]); \
                 a backup carries each template once, so a restore could not tell them apart; \
                 {EDITED_EN}"
            ),
            (
                Inconsistency::DuplicateTemplate {
                    name,
                    earlier,
                    index,
                },
                Lang::Fr,
            ) => format!(
                "deux modèles s'appellent « {name} » (templates[{earlier}] et templates[{index}]) \
                 ; une sauvegarde porte chaque modèle une fois, une restauration ne pourrait pas \
                 les distinguer ; {EDITED_FR}"
            ),
            (
                Inconsistency::BackgroundSha1 {
                    name,
                    written,
                    computed,
                },
                Lang::En,
            ) => format!(
                "template “{name}”: the background image's SHA-1 is written {written} but its \
                 `content` gives {computed}; {EDITED_EN}"
            ),
            (
                Inconsistency::BackgroundSha1 {
                    name,
                    written,
                    computed,
                },
                Lang::Fr,
            ) => format!(
                "modèle « {name} » : le SHA-1 de l'image de fond est écrit {written} mais son \
                 `content` donne {computed} ; {EDITED_FR}"
            ),
            (
                Inconsistency::BackgroundFilename {
                    name,
                    filename,
                    detail,
                    named,
                },
                Lang::En,
            ) => format!(
                "template “{name}”: the background image is {} but {} (Attestoodle links the two \
                 by that name); {EDITED_EN}",
                quote(filename),
                match (detail, named) {
                    (None, _) => "it has no `background` detail in `details`".to_owned(),
                    (Some(d), None) => format!(
                        "its background detail details[{d}] names no `filename` in its `data`"
                    ),
                    (Some(d), Some(named)) => format!(
                        "its background detail details[{d}] names the file {}",
                        quote(named)
                    ),
                }
            ),
            (
                Inconsistency::BackgroundFilename {
                    name,
                    filename,
                    detail,
                    named,
                },
                Lang::Fr,
            ) => format!(
                "modèle « {name} » : l'image de fond est {} mais {} (Attestoodle relie les deux \
                 par ce nom) ; {EDITED_FR}",
                quote(filename),
                match (detail, named) {
                    (None, _) => "il n'a aucun détail `background` dans `details`".to_owned(),
                    (Some(d), None) => format!(
                        "son détail background details[{d}] ne nomme aucun `filename` dans ses \
                         `data`"
                    ),
                    (Some(d), Some(named)) => format!(
                        "son détail background details[{d}] nomme le fichier {}",
                        quote(named)
                    ),
                }
            ),
            (Inconsistency::MissingTemplate { name }, Lang::En) => format!(
                "names the template “{name}”, which is not in `templates`; a backup carries every \
                 template it refers to; {EDITED_EN}"
            ),
            (Inconsistency::MissingTemplate { name }, Lang::Fr) => format!(
                "nomme le modèle « {name} », qui n'est pas dans `templates` ; une sauvegarde \
                 porte chaque modèle auquel elle fait référence ; {EDITED_FR}"
            ),
        }
    }
}

/// Refuses a file larger than `limit` bytes before it is read (docs/decisions.md §11); pass
/// [`MAX_FILE_SIZE`] unless the operator raised the limit with `--max-size`.
///
/// # Errors
///
/// [`DocumentError::TooLarge`] when `size` exceeds `limit`.
pub fn check_size(size: u64, limit: u64) -> Result<(), DocumentError> {
    if size > limit {
        return Err(DocumentError::TooLarge { size, limit });
    }
    Ok(())
}

/// Reads a version 2 document from the bytes of a file, strictly, with the default size limit
/// [`MAX_FILE_SIZE`]: see [`parse_with_limit`].
///
/// # Errors
///
/// A [`DocumentError`] naming the first problem found and where it is.
pub fn parse(bytes: &[u8]) -> Result<Document, DocumentError> {
    parse_with_limit(bytes, MAX_FILE_SIZE)
}

/// Reads a version 2 document from the bytes of a file, strictly.
///
/// In order: the size limit `max_size` (pass [`MAX_FILE_SIZE`] unless the operator raised it
/// with `--max-size`; to avoid reading a huge file at all, call [`check_size`] on its length
/// first); the raw JSON (valid UTF-8 after an optional byte order mark, no duplicate key, no float, no integer beyond
/// ±(2^53 − 1), no U+0000, no lone surrogate); `format` and `version`; every key present with
/// its type and no unknown key; the value rules (no negative `section`, `position`,
/// `creditedtime`, `duration` or background `size`; a well-formed `created` time, background and
/// signature). It does not verify the signature: see
/// [`signature::verify`](super::signature::verify).
///
/// # Errors
///
/// A [`DocumentError`] naming the first problem found and where it is.
pub fn parse_with_limit(bytes: &[u8], max_size: u64) -> Result<Document, DocumentError> {
    check_size(bytes.len() as u64, max_size)?;
    // A byte order mark is not JSON, but an editor may add one; the signature does not cover it.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(document) = read_typed(bytes) {
        return Ok(document);
    }
    // Else the steps below, which say what the first problem is and where.
    let value = read_checked_json(bytes)?;
    check_format_and_version(&value)?;
    let document = read_shape(value)?;
    check_values(&document)?;
    Ok(document)
}

/// The usual case of [`parse_with_limit`]: a valid file read straight into the serde types,
/// without the `Value` tree of the steps that name a problem (most of the time and memory of
/// loading a large file). `None` for any file those steps could refuse, which they then read
/// again to say why.
///
/// It accepts exactly the documents the steps accept. The derived types refuse unknown keys
/// (and so any key holding U+0000), duplicate keys, floats (every number is an `i64`),
/// integers beyond `i64` and a wrong JSON type, but take an array for an object (serde reads a
/// struct from a sequence of its fields), which [`arrays_only_where_the_format_has_them`]
/// rules out first; serde_json refuses invalid UTF-8, lone surrogates and trailing bytes; what
/// remains — integers beyond ±(2^53 − 1), U+0000 in a string, `format` and `version`, the
/// value rules — is checked here.
fn read_typed(bytes: &[u8]) -> Option<Document> {
    if !arrays_only_where_the_format_has_them(bytes) {
        return None;
    }
    let document: Document = serde_json::from_slice(bytes).ok()?;
    let fits = super::canonical::scalars_ok(&document)
        && document.format == FORMAT
        && document.version == VERSION
        && check_values(&document).is_ok();
    fits.then_some(document)
}

/// Whether every `[` of a JSON text opens the value of one of the keys whose value is an array
/// in the format, written without escapes: never the top level, an array item or another key.
/// A `false` only sends the file to the slower steps.
fn arrays_only_where_the_format_has_them(bytes: &[u8]) -> bool {
    const ARRAYS: [&[u8]; 7] = [
        b"milestones",
        b"templates",
        b"learners",
        b"learner_styles",
        b"planning",
        b"path",
        b"details",
    ];
    let mut last_string: &[u8] = &[];
    let mut key: &[u8] = &[];
    let mut previous = 0u8;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                let start = at + 1;
                let mut end = start;
                while let Some(&b) = bytes.get(end) {
                    match b {
                        b'"' => break,
                        b'\\' => end += 2,
                        _ => end += 1,
                    }
                }
                last_string = bytes.get(start..end).unwrap_or_default();
                at = end + 1;
                previous = b'"';
                continue;
            }
            b':' => {
                key = if previous == b'"' { last_string } else { &[] };
                previous = b':';
            }
            b'[' => {
                if previous != b':' || !ARRAYS.contains(&key) {
                    return false;
                }
                previous = b'[';
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            other => previous = other,
        }
        at += 1;
    }
    true
}

/// Checks that a document built in memory follows every rule [`parse`] enforces, so that a
/// document that passes can be written, signed and read back.
///
/// # Errors
///
/// A [`DocumentError`] naming the first problem found and where it is.
pub fn validate(document: &Document) -> Result<(), DocumentError> {
    // The usual case, checked on the typed document: a save validates every document it
    // writes, and a `Value` tree of a large one costs more than the rest of the checks.
    if super::canonical::scalars_ok(document)
        && document.format == FORMAT
        && document.version == VERSION
    {
        return check_values(document);
    }
    // Else the checks on the tree, which say where the first problem is.
    let value = to_value(document);
    check_scalars(&value, Loc::Root)?;
    check_format_and_version(&value)?;
    check_values(document)
}

/// Writes the text form of a document: keys in the order of docs/format.md, two-space indentation,
/// raw UTF-8 (only `"`, `\` and C0 controls escaped) and a final newline. It does not sort the
/// arrays: call [`sort`] first.
pub fn to_text(document: &Document) -> String {
    // Serialising plain derived structs with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(document).expect("a document always serialises");
    text.push('\n');
    text
}

/// Sorts the arrays of a document as docs/format.md says, with stable sorts (ties keep their order)
/// and code-point order for strings (`null` first): milestones by (`course`, `section`,
/// `position`), templates by name, learners and learner styles by `email` then `username`,
/// planning rows by `executiondate` then `beginperiod`. Template details and category paths keep
/// their order.
pub fn sort(document: &mut Document) {
    document.milestones.sort_by(|a, b| {
        (&a.course, a.section, a.position).cmp(&(&b.course, b.section, b.position))
    });
    document.templates.sort_by(|a, b| a.name.cmp(&b.name));
    document
        .learners
        .sort_by(|a, b| (&a.email, &a.username).cmp(&(&b.email, &b.username)));
    document
        .learner_styles
        .sort_by(|a, b| (&a.email, &a.username).cmp(&(&b.email, &b.username)));
    if let Some(planning) = &mut document.planning {
        planning.sort_by_key(|row| (row.executiondate, row.beginperiod));
    }
}

/// Formats a time as the `created` value of a document: UTC, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_created(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    // The format has only numeric components of a valid date: formatting cannot fail.
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("a UTC time always formats")
}

/// Converts a document to a `serde_json` value, keys in declaration order.
pub(crate) fn to_value(document: &Document) -> Value {
    // Plain derived structs with string keys and integers always convert.
    serde_json::to_value(document).expect("a document always converts to a JSON value")
}

// ---------------------------------------------------------------------------------------------
// Locations in the file, rendered as `milestones[2].position`.

/// A place in the JSON tree, kept as a chain of borrowed steps and rendered only on error.
#[derive(Clone, Copy)]
enum Loc<'a> {
    Root,
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_into(&mut out);
        if out.is_empty() {
            out.push_str(TOP_LEVEL);
        }
        f.write_str(&out)
    }
}

impl Loc<'_> {
    fn write_into(&self, out: &mut String) {
        match self {
            Loc::Root => {}
            Loc::Key(parent, key) => {
                parent.write_into(out);
                push_key(out, key);
            }
            Loc::Index(parent, index) => {
                parent.write_into(out);
                push_index(out, *index);
            }
        }
    }
}

/// How a message names the whole document.
const TOP_LEVEL: &str = "top level";

/// Appends an object key to a place: `.key` (no dot first), or `["odd key"]`.
fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plain {
        out.push_str(&format!("[{}]", quote(key)));
        return;
    }
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
}

/// Appends an array index to a place: `[3]`.
fn push_index(out: &mut String, index: usize) {
    out.push_str(&format!("[{index}]"));
}

/// Quotes a key as JSON for an error message.
fn quote(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"))
}

// ---------------------------------------------------------------------------------------------
// Step 1: the raw JSON, read into a `Value` while refusing what serde_json would let through.

/// Reads JSON into a value, refusing duplicate keys, floats, unsafe integers and U+0000.
fn read_checked_json(bytes: &[u8]) -> Result<Value, DocumentError> {
    let problem = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let seed = Checked {
        at: Loc::Root,
        problem: &problem,
    };
    let result = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (result, problem.into_inner()) {
        (_, Some(found)) => Err(found),
        (Ok(value), None) => Ok(value),
        (Err(error), None) => Err(DocumentError::Syntax {
            problem: if error.is_eof() {
                JsonSyntax::CutShort
            } else {
                JsonSyntax::NotJson
            },
            line: error.line(),
            column: error.column(),
            detail: error.to_string(),
        }),
    }
}

/// A deserialisation seed that builds a `Value` and records the first rule it sees broken.
struct Checked<'a, 'p> {
    at: Loc<'a>,
    problem: &'p RefCell<Option<DocumentError>>,
}

impl Checked<'_, '_> {
    /// Records a problem and returns the error that stops serde_json.
    fn fail<E: de::Error>(&self, found: DocumentError) -> E {
        let mut slot = self.problem.borrow_mut();
        if slot.is_none() {
            *slot = Some(found);
        }
        E::custom("refused")
    }

    fn string<E: de::Error>(&self, text: String) -> Result<Value, E> {
        if text.contains('\0') {
            return Err(self.fail(DocumentError::NulCharacter {
                path: self.at.to_string(),
            }));
        }
        Ok(Value::String(text))
    }

    fn number<E: de::Error>(&self, number: String) -> E {
        self.fail(DocumentError::Number {
            path: self.at.to_string(),
            number,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Checked<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        if v > MAX_SAFE_INTEGER as u64 {
            return Err(self.number(v.to_string()));
        }
        Ok(Value::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        if !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&v) {
            return Err(self.number(v.to_string()));
        }
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Err(self.number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.string(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = Loc::Index(&self.at, items.len());
            let seed = Checked {
                at,
                problem: self.problem,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Loc::Key(&self.at, &key);
            if key.contains('\0') {
                return Err(self.fail(DocumentError::NulCharacter {
                    path: at.to_string(),
                }));
            }
            if object.contains_key(&key) {
                return Err(self.fail(DocumentError::DuplicateKey {
                    path: self.at.to_string(),
                    key,
                }));
            }
            let value = map.next_value_seed(Checked {
                at,
                problem: self.problem,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// The checks of [`read_checked_json`] on a value built in memory: integers within ±(2^53 − 1)
/// and no U+0000.
fn check_scalars(value: &Value, at: Loc<'_>) -> Result<(), DocumentError> {
    match value {
        Value::Null | Value::Bool(_) => Ok(()),
        Value::Number(number) => match number.as_i64() {
            Some(n) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n) => Ok(()),
            _ => Err(DocumentError::Number {
                path: at.to_string(),
                number: number.to_string(),
            }),
        },
        Value::String(text) if text.contains('\0') => Err(DocumentError::NulCharacter {
            path: at.to_string(),
        }),
        Value::String(_) => Ok(()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_scalars(item, Loc::Index(&at, index))),
        Value::Object(object) => object
            .iter()
            .try_for_each(|(key, item)| check_scalars(item, Loc::Key(&at, key))),
    }
}

// ---------------------------------------------------------------------------------------------
// Step 2: `format` and `version`.

fn check_format_and_version(value: &Value) -> Result<(), DocumentError> {
    let Value::Object(top) = value else {
        return Err(DocumentError::NotABackup {
            found: FormatFound::TopLevel(kind_name(value)),
        });
    };
    let version = top.get("version");
    match top.get("format") {
        Some(Value::String(format)) if format == FORMAT => {}
        found => {
            let legacy = match version {
                Some(Value::String(v)) if v == LEGACY_VERSION => true,
                Some(Value::Number(n)) => n.to_string() == LEGACY_VERSION,
                _ => false,
            };
            if found.is_none() && legacy {
                return Err(DocumentError::Legacy {
                    version: LEGACY_VERSION.to_owned(),
                });
            }
            return Err(DocumentError::NotABackup {
                found: found.map_or(FormatFound::Missing, |value| {
                    FormatFound::Value(value.to_string())
                }),
            });
        }
    }
    match version {
        Some(Value::Number(n)) if n.as_i64() == Some(VERSION) => Ok(()),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v > VERSION) => {
            Err(DocumentError::UnknownVersion {
                version: n.to_string(),
                hint: VersionHint::Newer,
            })
        }
        Some(other) => Err(DocumentError::UnknownVersion {
            version: other.to_string(),
            hint: VersionHint::Unknown,
        }),
        None => Err(DocumentError::UnknownVersion {
            version: "missing".to_owned(),
            hint: VersionHint::Missing,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Step 3: the shape — every key present, no unknown key, every value of its type. The serde
// types above are the only description of it: serde reads the checked tree through `Tree`, a
// deserializer whose errors are typed (`Refusal`), and serde_path_to_error says where.

/// Reads the checked tree into a [`Document`], naming the place of the first key or value the
/// serde types refuse.
fn read_shape(value: Value) -> Result<Document, DocumentError> {
    serde_path_to_error::deserialize(Tree(value)).map_err(|error| {
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        match error.into_inner() {
            Refusal::MissingKey(key) => DocumentError::MissingKey {
                path: place(&segments),
                key: key.to_owned(),
            },
            Refusal::UnknownKey(key) => {
                // The path ends with the unknown key itself; the message names its object.
                let object = match segments.split_last() {
                    Some((Segment::Map { key: last }, object)) if *last == key => object,
                    _ => &segments[..],
                };
                DocumentError::UnknownKey {
                    path: place(object),
                    key,
                }
            }
            Refusal::WrongType {
                expected, found, ..
            } => DocumentError::WrongType {
                path: place(&segments),
                expected,
                found,
            },
            Refusal::Other(words) => DocumentError::InvalidValue {
                path: place(&segments),
                problem: ValueProblem::Unreadable(words),
            },
        }
    })
}

/// A place named by serde_path_to_error, written as [`Loc`] writes it.
fn place(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => push_index(&mut out, *index),
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            Segment::Unknown => out.push_str("[?]"),
        }
    }
    if out.is_empty() {
        out.push_str(TOP_LEVEL);
    }
    out
}

/// Why the serde types refused a value of the checked tree; the path is added around it.
#[derive(Debug)]
enum Refusal {
    /// A key the type requires is absent.
    MissingKey(&'static str),
    /// A key the type does not have (`deny_unknown_fields`).
    UnknownKey(String),
    /// A value of another JSON type than the one asked for.
    WrongType {
        /// What the type asks for.
        expected: JsonType,
        /// What the tree holds.
        found: JsonType,
        /// Whether the value is inside the one handed to the deserializer that reports it (an
        /// optional value says "… or null" only of itself, not of what it contains).
        nested: bool,
    },
    /// Anything else serde says (not expected after the checks of step 1).
    Other(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::MissingKey(key) => write!(f, "missing key `{key}`"),
            Refusal::UnknownKey(key) => write!(f, "unknown key `{key}`"),
            Refusal::WrongType {
                expected, found, ..
            } => write!(
                f,
                "expected {}, found {}",
                expected.localized(Lang::En),
                found.localized(Lang::En)
            ),
            Refusal::Other(words) => f.write_str(words),
        }
    }
}

impl std::error::Error for Refusal {}

impl de::Error for Refusal {
    fn custom<T: fmt::Display>(words: T) -> Self {
        Refusal::Other(words.to_string())
    }

    fn missing_field(key: &'static str) -> Self {
        Refusal::MissingKey(key)
    }

    fn unknown_field(key: &str, _expected: &'static [&'static str]) -> Self {
        Refusal::UnknownKey(key.to_owned())
    }
}

impl Refusal {
    /// Marks a wrong type as found inside the value at hand.
    fn nested(self) -> Self {
        match self {
            Refusal::WrongType {
                expected, found, ..
            } => Refusal::WrongType {
                expected,
                found,
                nested: true,
            },
            other => other,
        }
    }

    /// Says "… or null" of a wrong type found in an optional value itself.
    fn or_null(self) -> Self {
        match self {
            Refusal::WrongType {
                expected,
                found,
                nested: false,
            } => Refusal::WrongType {
                expected: match expected {
                    JsonType::String => JsonType::StringOrNull,
                    JsonType::Integer => JsonType::IntegerOrNull,
                    JsonType::Object => JsonType::ObjectOrNull,
                    JsonType::Array => JsonType::ArrayOrNull,
                    other => other,
                },
                found,
                nested: false,
            },
            other => other,
        }
    }
}

/// A value of the checked tree, handed to the serde types: each `deserialize_*` the derived code
/// calls accepts exactly one JSON type (integers are `i64`, step 1 refused every other number).
struct Tree(Value);

impl Tree {
    /// Hands the value to the visitor when it has the JSON type asked for.
    fn only<'de, V: Visitor<'de>>(
        self,
        expected: JsonType,
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        let found = kind_name(&self.0);
        let fits = match &self.0 {
            Value::Number(number) => expected == JsonType::Integer && number.is_i64(),
            _ => found == expected,
        };
        if !fits {
            return Err(Refusal::WrongType {
                expected,
                found,
                nested: false,
            });
        }
        self.deserialize_any(visitor)
    }
}

impl<'de> Deserializer<'de> for Tree {
    type Error = Refusal;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(value) => visitor.visit_bool(value),
            Value::Number(number) => match number.as_i64() {
                Some(value) => visitor.visit_i64(value),
                None => Err(Refusal::Other(format!("the number {number} is not an i64"))),
            },
            Value::String(text) => visitor.visit_string(text),
            Value::Array(items) => visitor
                .visit_seq(Items(items.into_iter()))
                .map_err(Refusal::nested),
            Value::Object(entries) => visitor
                .visit_map(Entries {
                    entries: entries.into_iter(),
                    value: None,
                })
                .map_err(Refusal::nested),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.only(JsonType::Integer, visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.only(JsonType::String, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.only(JsonType::Array, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.only(JsonType::Object, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        self.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self).map_err(Refusal::or_null),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        newtype_struct tuple tuple_struct enum ignored_any
    }
}

/// The items of an array of the checked tree.
struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Refusal;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Refusal> {
        self.0
            .next()
            .map(|item| seed.deserialize(Tree(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of an object of the checked tree, in the file's order.
struct Entries {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Refusal;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Refusal> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Refusal> {
        match self.value.take() {
            Some(value) => seed.deserialize(Tree(value)),
            None => Err(Refusal::Other(
                "a value asked for before its key".to_owned(),
            )),
        }
    }
}

fn kind_name(value: &Value) -> JsonType {
    match value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(_) => JsonType::Number,
        Value::String(_) => JsonType::String,
        Value::Array(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    }
}

// ---------------------------------------------------------------------------------------------
// Step 4: the value rules.

fn invalid(path: impl Into<String>, problem: ValueProblem) -> DocumentError {
    DocumentError::InvalidValue {
        path: path.into(),
        problem,
    }
}

fn not_negative(path: impl FnOnce() -> String, value: i64) -> Result<(), DocumentError> {
    if value < 0 {
        return Err(invalid(path(), ValueProblem::Negative(value)));
    }
    Ok(())
}

/// Checks that `text` is the canonical unpadded base64url form of exactly `len` bytes.
pub(crate) fn decode_base64url(text: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    (bytes.len() == len && URL_SAFE_NO_PAD.encode(&bytes) == text).then_some(bytes)
}

/// Whether `text` is exactly `len` lowercase hex digits.
fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_values(document: &Document) -> Result<(), DocumentError> {
    if OffsetDateTime::parse(&document.created, &Rfc3339).is_err() {
        return Err(invalid(
            "created",
            ValueProblem::NotATime(quote(&document.created)),
        ));
    }
    if let Some(duration) = document.training.duration {
        not_negative(|| "training.duration".to_owned(), duration)?;
    }
    for (i, milestone) in document.milestones.iter().enumerate() {
        not_negative(|| format!("milestones[{i}].section"), milestone.section)?;
        not_negative(|| format!("milestones[{i}].position"), milestone.position)?;
        not_negative(
            || format!("milestones[{i}].creditedtime"),
            milestone.creditedtime,
        )?;
    }
    for (i, template) in document.templates.iter().enumerate() {
        if let Some(background) = &template.background {
            check_background(background, i)?;
        }
    }
    if let Some(signature) = &document.signature {
        check_signature_form(signature)?;
    }
    check_consistency(document)
}

/// The rules that tie parts of a document together (docs/format.md `templates[]`): a background's
/// `sha1` is that of its `content` and its `filename` the one its detail's `data` names; no
/// two templates share a name; `training.template` and every `learner_styles[].template` name
/// a template of `templates`.
fn check_consistency(document: &Document) -> Result<(), DocumentError> {
    let inconsistent = |path: String, problem: Inconsistency| DocumentError::Inconsistent {
        path,
        problem: Box::new(problem),
    };
    for (i, template) in document.templates.iter().enumerate() {
        let name = &template.name;
        if let Some(earlier) = document.templates[..i].iter().position(|t| t.name == *name) {
            return Err(inconsistent(
                format!("templates[{i}].name"),
                Inconsistency::DuplicateTemplate {
                    name: name.clone(),
                    earlier,
                    index: i,
                },
            ));
        }
        let Some(background) = &template.background else {
            continue;
        };
        // check_background has checked that the content is base64 of `size` bytes.
        let content = STANDARD.decode(&background.content).unwrap_or_default();
        let sha1: String = Sha1::digest(&content)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        if sha1 != background.sha1 {
            return Err(inconsistent(
                format!("templates[{i}].background.sha1"),
                Inconsistency::BackgroundSha1 {
                    name: name.clone(),
                    written: background.sha1.clone(),
                    computed: sha1,
                },
            ));
        }
        // docs/decisions.md §9: the first background detail is the one `background` describes.
        let detail = template
            .details
            .iter()
            .position(|detail| detail.kind == "background");
        let named = detail.and_then(|d| {
            serde_json::from_str::<Value>(&template.details[d].data)
                .ok()
                .and_then(|data| {
                    data.get("filename")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
        });
        if named.as_deref() != Some(background.filename.as_str()) {
            return Err(inconsistent(
                format!("templates[{i}].background.filename"),
                Inconsistency::BackgroundFilename {
                    name: name.clone(),
                    filename: background.filename.clone(),
                    detail,
                    named,
                },
            ));
        }
    }
    let carried = |name: &str| document.templates.iter().any(|t| t.name == name);
    let missing = |path: String, name: &str| {
        inconsistent(
            path,
            Inconsistency::MissingTemplate {
                name: name.to_owned(),
            },
        )
    };
    if let Some(name) = &document.training.template {
        if !carried(name) {
            return Err(missing("training.template".to_owned(), name));
        }
    }
    for (i, style) in document.learner_styles.iter().enumerate() {
        if !carried(&style.template) {
            return Err(missing(
                format!("learner_styles[{i}].template"),
                &style.template,
            ));
        }
    }
    Ok(())
}

fn check_background(background: &Background, template: usize) -> Result<(), DocumentError> {
    let at = |key: &str| format!("templates[{template}].background.{key}");
    not_negative(|| at("size"), background.size)?;
    if !is_lower_hex(&background.sha1, 40) {
        return Err(invalid(at("sha1"), ValueProblem::NotSha1));
    }
    let Ok(content) = STANDARD.decode(&background.content) else {
        return Err(invalid(at("content"), ValueProblem::NotBase64));
    };
    if content.len() as u64 != background.size.unsigned_abs() {
        return Err(invalid(
            at("size"),
            ValueProblem::WrongSize {
                said: background.size,
                holds: content.len(),
            },
        ));
    }
    Ok(())
}

fn check_signature_form(signature: &Signature) -> Result<(), DocumentError> {
    if signature.algorithm != "Ed25519" {
        return Err(invalid(
            "signature.algorithm",
            ValueProblem::Algorithm(quote(&signature.algorithm)),
        ));
    }
    if !is_lower_hex(&signature.key_id, 16) {
        return Err(invalid(
            "signature.key_id",
            ValueProblem::NotKeyId(quote(&signature.key_id)),
        ));
    }
    if decode_base64url(&signature.public_key, 32).is_none() {
        return Err(invalid("signature.public_key", ValueProblem::NotPublicKey));
    }
    if decode_base64url(&signature.value, 64).is_none() {
        return Err(invalid("signature.value", ValueProblem::NotSignature));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::i18n::testing::two_texts;

    /// The steps that name a problem, without the typed reading that [`parse`] tries first.
    fn parse_by_steps(bytes: &[u8]) -> Result<Document, DocumentError> {
        let value = read_checked_json(bytes)?;
        check_format_and_version(&value)?;
        let document = read_shape(value)?;
        check_values(&document)?;
        Ok(document)
    }

    #[test]
    fn typed_reading_gives_what_the_steps_give() {
        let text = to_text(&demo());
        assert_eq!(read_typed(text.as_bytes()), Some(demo()));
        assert_eq!(parse_by_steps(text.as_bytes()), Ok(demo()));
        let compact = serde_json::to_string(&demo()).unwrap_or_default();
        assert_eq!(read_typed(compact.as_bytes()), Some(demo()));
    }

    #[test]
    fn an_object_written_as_an_array_is_refused_as_the_steps_refuse_it() {
        let text = to_text(&demo());
        let mut value: Value = serde_json::from_str(&text).unwrap_or_default();
        value["source"] = serde_json::json!([null, 5]);
        let bytes = value.to_string().into_bytes();
        // serde alone would read the struct from the sequence of its fields.
        assert!(serde_json::from_slice::<Document>(&bytes).is_ok());
        assert_eq!(read_typed(&bytes), None);
        assert!(parse(&bytes).is_err());
        assert_eq!(parse(&bytes), parse_by_steps(&bytes));
    }

    #[test]
    fn arrays_are_only_the_format_s_arrays() {
        for (text, ok) in [
            (
                r#"{"milestones": [], "training": {"category": {"path": ["a[", "]"]}}}"#,
                true,
            ),
            (r#"{"templates":[{"details":[]}]}"#, true),
            (r#"[]"#, false),
            (r#"{"source": []}"#, false),
            (r#"{"milestones": [[]]}"#, false),
            (r#"{"learners": [{}, []]}"#, false),
            (r#"{"le\u0061rners": []}"#, false),
            (r#"{"x": "\"milestones\":[", "y": []}"#, false),
        ] {
            assert_eq!(
                arrays_only_where_the_format_has_them(text.as_bytes()),
                ok,
                "{text}"
            );
        }
    }

    fn document_variant(error: &DocumentError) -> usize {
        match error {
            DocumentError::TooLarge { .. } => 0,
            DocumentError::Syntax { .. } => 1,
            DocumentError::DuplicateKey { .. } => 2,
            DocumentError::Number { .. } => 3,
            DocumentError::NulCharacter { .. } => 4,
            DocumentError::NotABackup { .. } => 5,
            DocumentError::Legacy { .. } => 6,
            DocumentError::UnknownVersion { .. } => 7,
            DocumentError::MissingKey { .. } => 8,
            DocumentError::UnknownKey { .. } => 9,
            DocumentError::WrongType { .. } => 10,
            DocumentError::InvalidValue { .. } => 11,
            DocumentError::Inconsistent { .. } => 12,
        }
    }

    // Issue 9, items 1 and 2: every reason a file is refused exists in English and French, and
    // none shows the JSON parser's words.
    #[test]
    fn every_document_error_is_said_in_english_and_in_french() {
        let path = || "milestones[0].position".to_owned();
        let mut errors = vec![
            DocumentError::TooLarge { size: 9, limit: 1 },
            DocumentError::DuplicateKey {
                path: path(),
                key: "name".to_owned(),
            },
            DocumentError::Number {
                path: path(),
                number: "1.5".to_owned(),
            },
            DocumentError::NulCharacter { path: path() },
            DocumentError::Legacy {
                version: LEGACY_VERSION.to_owned(),
            },
            DocumentError::MissingKey {
                path: path(),
                key: "name".to_owned(),
            },
            DocumentError::UnknownKey {
                path: path(),
                key: "nme".to_owned(),
            },
        ];
        for problem in [JsonSyntax::CutShort, JsonSyntax::NotJson] {
            errors.push(DocumentError::Syntax {
                problem,
                line: 13,
                column: 9,
                detail: "EOF while parsing a string at line 13 column 9".to_owned(),
            });
        }
        for found in [
            FormatFound::Missing,
            FormatFound::Value("\"x\"".to_owned()),
            FormatFound::TopLevel(JsonType::Array),
        ] {
            errors.push(DocumentError::NotABackup { found });
        }
        for hint in [
            VersionHint::Newer,
            VersionHint::Unknown,
            VersionHint::Missing,
        ] {
            errors.push(DocumentError::UnknownVersion {
                version: "3".to_owned(),
                hint,
            });
        }
        for found in [
            JsonType::Null,
            JsonType::Boolean,
            JsonType::Number,
            JsonType::Integer,
            JsonType::String,
            JsonType::Array,
            JsonType::Object,
            JsonType::StringOrNull,
            JsonType::IntegerOrNull,
            JsonType::ObjectOrNull,
            JsonType::ArrayOrNull,
        ] {
            errors.push(DocumentError::WrongType {
                path: path(),
                expected: JsonType::Integer,
                found,
            });
        }
        for problem in [
            ValueProblem::Negative(-1),
            ValueProblem::NotATime("\"x\"".to_owned()),
            ValueProblem::NotSha1,
            ValueProblem::NotBase64,
            ValueProblem::WrongSize { said: 3, holds: 4 },
            ValueProblem::Algorithm("\"RSA\"".to_owned()),
            ValueProblem::NotKeyId("\"x\"".to_owned()),
            ValueProblem::NotPublicKey,
            ValueProblem::NotSignature,
            ValueProblem::Unreadable("invalid type: string".to_owned()),
        ] {
            errors.push(DocumentError::InvalidValue {
                path: path(),
                problem,
            });
        }
        for problem in [
            Inconsistency::DuplicateTemplate {
                name: "A".to_owned(),
                earlier: 0,
                index: 1,
            },
            Inconsistency::BackgroundSha1 {
                name: "A".to_owned(),
                written: "00".to_owned(),
                computed: "11".to_owned(),
            },
            Inconsistency::BackgroundFilename {
                name: "A".to_owned(),
                filename: "a.png".to_owned(),
                detail: None,
                named: None,
            },
            Inconsistency::BackgroundFilename {
                name: "A".to_owned(),
                filename: "a.png".to_owned(),
                detail: Some(1),
                named: None,
            },
            Inconsistency::BackgroundFilename {
                name: "A".to_owned(),
                filename: "a.png".to_owned(),
                detail: Some(1),
                named: Some("b.png".to_owned()),
            },
            Inconsistency::MissingTemplate {
                name: "A".to_owned(),
            },
        ] {
            errors.push(DocumentError::Inconsistent {
                path: "training.template".to_owned(),
                problem: Box::new(problem),
            });
        }
        crate::i18n::testing::every_variant(errors.iter().map(document_variant), 13);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            for text in [&en, &fr] {
                assert!(
                    !text.contains(" at line ") && !text.contains("EOF"),
                    "{text}"
                );
            }
            two_texts(en, fr);
        }
    }

    // Issue 9, item 2: a truncated file is said as cut short, its parser's words kept for
    // --verbose.
    #[test]
    fn a_truncated_file_is_cut_short_with_the_parsers_words_in_the_detail() {
        let text = to_text(&demo());
        let error = parse(&text.as_bytes()[..text.len() / 2]);
        let Err(error @ DocumentError::Syntax { .. }) = error else {
            panic!("a truncated file is a syntax error: {error:?}");
        };
        assert!(matches!(
            error,
            DocumentError::Syntax {
                problem: JsonSyntax::CutShort,
                ..
            }
        ));
        assert!(error.localized(Lang::Fr).contains("tronqué"));
        assert!(error.detail().is_some_and(|d| d.contains("EOF")));
    }

    /// A small document shaped like the demo site's, with every kind of value.
    pub(crate) fn demo() -> Document {
        let logo = b"\x89PNG\r\n\x1a\n not really a png";
        Document {
            format: FORMAT.to_owned(),
            version: VERSION,
            created: "2026-11-28T11:00:00Z".to_owned(),
            generator: "attestoodle-backup 0.1.0".to_owned(),
            source: Source {
                wwwroot: Some("https://moodle.example.org".to_owned()),
                source_training_id: 7,
            },
            training: Training {
                name: "Formation sécurité « incendie » 2026".to_owned(),
                category: Category {
                    name: Some("Santé".to_owned()),
                    idnumber: None,
                    path: vec!["Formations".to_owned(), "Santé".to_owned()],
                    source_id: 3,
                },
                startdate: 1_767_225_600,
                enddate: Some(1_798_761_600),
                duration: Some(600),
                nbautolaunch: None,
                nextlaunch: None,
                checklearner: Some(1),
                template: Some("Modèle A".to_owned()),
                grpcriteria1: Some("coursename".to_owned()),
                grpcriteria2: None,
            },
            milestones: vec![
                Milestone {
                    course: "SEC101".to_owned(),
                    section: 1,
                    position: 0,
                    activity: Activity {
                        kind: Some("quiz".to_owned()),
                        name: Some("Quiz \"final\"\n(tab\there)".to_owned()),
                        idnumber: None,
                        source_cmid: Some(42),
                    },
                    creditedtime: 30,
                    name: None,
                    timemodified: Some(1_767_300_000),
                },
                Milestone {
                    course: "SEC101".to_owned(),
                    section: 2,
                    position: 3,
                    activity: Activity {
                        kind: Some("page".to_owned()),
                        name: Some("Évacuation 🔥 \\ done".to_owned()),
                        idnumber: Some("EVAC".to_owned()),
                        source_cmid: Some(43),
                    },
                    creditedtime: 0,
                    name: Some("Évacuation".to_owned()),
                    timemodified: None,
                },
            ],
            templates: vec![Template {
                name: "Modèle A".to_owned(),
                details: vec![
                    TemplateDetail {
                        kind: "background".to_owned(),
                        data: "{\"filename\":\"logo.png\"}".to_owned(),
                    },
                    TemplateDetail {
                        kind: "text".to_owned(),
                        data: "{\"text\" : \"Certificat\\u00e9\", \"size\":12}".to_owned(),
                    },
                ],
                background: Some(Background {
                    filename: "logo.png".to_owned(),
                    mimetype: "image/png".to_owned(),
                    size: logo.len() as i64,
                    sha1: "17e8db4105f06a1ef09a650a77c0311a82856a25".to_owned(),
                    content: STANDARD.encode(logo),
                }),
            }],
            learners: vec![
                Learner {
                    email: "alice@example.org".to_owned(),
                    username: Some("alice".to_owned()),
                    idnumber: None,
                    selected: Some(1),
                    predelete: Some(0),
                    resultcriteria: None,
                },
                Learner {
                    email: "bob@example.org".to_owned(),
                    username: None,
                    idnumber: Some("B-7".to_owned()),
                    selected: None,
                    predelete: None,
                    resultcriteria: Some("passed".to_owned()),
                },
            ],
            learner_styles: vec![LearnerStyle {
                email: "alice@example.org".to_owned(),
                username: Some("alice".to_owned()),
                template: "Modèle A".to_owned(),
                grpcriteria1: None,
                grpcriteria2: None,
                enablecertificate: Some(0),
                withdateformat: Some("%d/%m/%Y".to_owned()),
            }],
            planning: Some(vec![Planning {
                executiondate: 1_770_000_000,
                beginperiod: 1_767_225_600,
                endperiod: 1_769_904_000,
                mailto: Some("admin@example.org".to_owned()),
                auto: Some(1),
                togenerate: None,
            }]),
            signature: None,
        }
    }

    /// A signature of the right form (not a valid one: nothing here verifies it).
    fn well_formed_signature() -> Signature {
        Signature {
            algorithm: "Ed25519".to_owned(),
            key_id: "0123456789abcdef".to_owned(),
            public_key: URL_SAFE_NO_PAD.encode([7u8; 32]),
            value: URL_SAFE_NO_PAD.encode([9u8; 64]),
        }
    }

    /// Parses the demo document with `edit` applied to its JSON value.
    fn parse_edited(edit: impl FnOnce(&mut Value)) -> Result<Document, DocumentError> {
        let mut value = to_value(&demo());
        edit(&mut value);
        parse(value.to_string().as_bytes())
    }

    fn error_text(result: Result<Document, DocumentError>) -> String {
        match result {
            Ok(_) => panic!("the document was accepted"),
            Err(error) => error.to_string(),
        }
    }

    /// Parses the demo document with `edit` applied, expecting an inconsistency at `path`;
    /// gives the English and French messages.
    fn inconsistent_at(edit: impl FnOnce(&mut Value), path: &str) -> (String, String) {
        match parse_edited(edit) {
            Err(error @ DocumentError::Inconsistent { .. }) => {
                let en = error.localized(crate::i18n::Lang::En);
                let fr = error.localized(crate::i18n::Lang::Fr);
                assert!(en.starts_with(&format!("{path}: ")), "{en}");
                assert!(fr.starts_with(&format!("{path} : ")), "{fr}");
                (en, fr)
            }
            other => panic!("expected an inconsistency at {path}, got {other:?}"),
        }
    }

    #[test]
    fn read_errors_speak_french() {
        let fr = crate::i18n::Lang::Fr;
        let missing = parse_edited(|v| {
            if let Some(training) = v["training"].as_object_mut() {
                training.remove("duration");
            }
        })
        .expect_err("a missing key");
        assert!(
            missing
                .localized(fr)
                .starts_with("training : la clé `duration` manque"),
            "{}",
            missing.localized(fr)
        );
        let large = parse_with_limit(b"{}", 1).expect_err("too large");
        assert!(large.localized(fr).contains("limite de 1 octets"));
        assert_eq!(large.localized(crate::i18n::Lang::En), large.to_string());
    }

    #[test]
    fn the_demo_document_is_consistent() {
        assert_eq!(parse(to_text(&demo()).as_bytes()), Ok(demo()));
    }

    #[test]
    fn a_background_whose_sha1_is_not_its_contents_is_refused() {
        let (en, fr) = inconsistent_at(
            |v| v["templates"][0]["background"]["sha1"] = "0".repeat(40).into(),
            "templates[0].background.sha1",
        );
        assert!(en.contains("template “Modèle A”"), "{en}");
        assert!(
            en.contains("17e8db4105f06a1ef09a650a77c0311a82856a25"),
            "{en}"
        );
        assert!(fr.contains("modèle « Modèle A »"), "{fr}");
    }

    #[test]
    fn a_background_whose_filename_is_not_its_details_is_refused() {
        let (en, fr) = inconsistent_at(
            |v| v["templates"][0]["background"]["filename"] = "other.png".into(),
            "templates[0].background.filename",
        );
        assert!(
            en.contains("\"other.png\"") && en.contains("\"logo.png\""),
            "{en}"
        );
        assert!(fr.contains("nomme le fichier \"logo.png\""), "{fr}");
        let (en, _) = inconsistent_at(
            |v| v["templates"][0]["details"][0]["data"] = "{\"name\":\"logo.png\"}".into(),
            "templates[0].background.filename",
        );
        assert!(en.contains("names no `filename`"), "{en}");
        let (en, _) = inconsistent_at(
            |v| v["templates"][0]["details"][0]["type"] = "text".into(),
            "templates[0].background.filename",
        );
        assert!(en.contains("no `background` detail"), "{en}");
        // Odd spacing in the detail's data is kept byte for byte and still names the file.
        let spaced = parse_edited(|v| {
            v["templates"][0]["details"][0]["data"] = "{ \"filename\" : \"logo.png\" }".into();
        });
        assert!(spaced.is_ok(), "{spaced:?}");
    }

    #[test]
    fn two_templates_with_one_name_are_refused() {
        let (en, fr) = inconsistent_at(
            |v| {
                let copy = v["templates"][0].clone();
                if let Some(templates) = v["templates"].as_array_mut() {
                    templates.push(copy);
                }
            },
            "templates[1].name",
        );
        assert!(en.contains("two templates are named “Modèle A”"), "{en}");
        assert!(fr.contains("deux modèles s'appellent « Modèle A »"), "{fr}");
    }

    #[test]
    fn a_template_reference_must_name_a_carried_template() {
        let (en, fr) = inconsistent_at(
            |v| v["training"]["template"] = "Absent".into(),
            "training.template",
        );
        assert!(
            en.contains("the template “Absent”, which is not in `templates`"),
            "{en}"
        );
        assert!(fr.contains("le modèle « Absent »"), "{fr}");
        inconsistent_at(
            |v| v["learner_styles"][0]["template"] = "Modèle B".into(),
            "learner_styles[0].template",
        );
        // No template at all is fine.
        let none = parse_edited(|v| v["training"]["template"] = Value::Null);
        assert!(none.is_ok(), "{none:?}");
    }

    #[test]
    fn validate_applies_the_same_consistency_rules() {
        let mut document = demo();
        document.learner_styles[0].template = "Modèle B".to_owned();
        assert!(matches!(
            validate(&document),
            Err(DocumentError::Inconsistent { path, .. }) if path == "learner_styles[0].template"
        ));
    }

    #[test]
    fn text_form_round_trips() {
        let document = demo();
        let text = to_text(&document);
        assert!(text.ends_with("}\n"));
        assert!(text
            .starts_with("{\n  \"format\": \"attestoodle-training-backup\",\n  \"version\": 2,\n"));
        assert!(
            text.contains("Évacuation 🔥"),
            "non-ASCII text is written raw"
        );
        assert_eq!(parse(text.as_bytes()), Ok(document));
    }

    #[test]
    fn text_form_keeps_table_order_with_signature_last() {
        let mut document = demo();
        document.signature = Some(well_formed_signature());
        let text = to_text(&document);
        let top: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("  \"") && !line.starts_with("   "))
            .map(|line| line.trim_start().split('"').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(
            top,
            [
                "format",
                "version",
                "created",
                "generator",
                "source",
                "training",
                "milestones",
                "templates",
                "learners",
                "learner_styles",
                "planning",
                "signature"
            ]
        );
        let activity = text.find("\"type\": \"quiz\"").unwrap_or(usize::MAX);
        assert!(activity < text.find("\"source_cmid\": 42").unwrap_or(0));
    }

    #[test]
    fn absent_planning_is_not_written_and_reads_back_absent() {
        let mut document = demo();
        document.planning = None;
        let text = to_text(&document);
        assert!(!text.contains("planning"));
        assert_eq!(parse(text.as_bytes()).map(|d| d.planning), Ok(None));
    }

    #[test]
    fn empty_planning_is_written_as_empty_array() {
        let mut document = demo();
        document.planning = Some(Vec::new());
        let text = to_text(&document);
        assert!(text.contains("\"planning\": []"));
        assert_eq!(
            parse(text.as_bytes()).map(|d| d.planning),
            Ok(Some(Vec::new()))
        );
    }

    #[test]
    fn parse_refuses_duplicate_keys_at_any_level() {
        let text = to_text(&demo()).replacen(
            "\"creditedtime\": 30,",
            "\"creditedtime\": 30,\n      \"creditedtime\": 31,",
            1,
        );
        assert_eq!(
            parse(text.as_bytes()),
            Err(DocumentError::DuplicateKey {
                path: "milestones[0]".to_owned(),
                key: "creditedtime".to_owned()
            })
        );
        let top = to_text(&demo()).replacen("{\n", "{\n  \"version\": 2,\n", 1);
        assert!(matches!(
            parse(top.as_bytes()),
            Err(DocumentError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn parse_refuses_floats_and_unsafe_integers() {
        for (number, expected) in [
            ("30.0", "30"),
            ("3e1", "30"),
            ("-0", "-0"),
            ("9007199254740992", "9007199254740992"),
            ("-9007199254740992", "-9007199254740992"),
            ("18446744073709551616", "18446744073709552000"),
        ] {
            let text = to_text(&demo()).replacen(
                "\"creditedtime\": 30",
                &format!("\"creditedtime\": {number}"),
                1,
            );
            let error = parse(text.as_bytes());
            assert!(
                matches!(&error, Err(DocumentError::Number { path, number })
                    if path == "milestones[0].creditedtime" && number == expected),
                "{number}: {error:?}"
            );
        }
        let edge = to_text(&demo()).replacen(
            "\"startdate\": 1767225600",
            "\"startdate\": -9007199254740991",
            1,
        );
        assert!(parse(edge.as_bytes()).is_ok());
    }

    #[test]
    fn parse_refuses_nul_and_lone_surrogates() {
        let nul = to_text(&demo()).replacen("\"alice\"", "\"ali\\u0000ce\"", 1);
        assert_eq!(
            parse(nul.as_bytes()),
            Err(DocumentError::NulCharacter {
                path: "learners[0].username".to_owned()
            })
        );
        for escape in ["\\ud800", "\\udc00", "\\ud800x", "\\ud800\\u0041"] {
            let text = to_text(&demo()).replacen("\"alice\"", &format!("\"ali{escape}ce\""), 1);
            assert!(
                matches!(parse(text.as_bytes()), Err(DocumentError::Syntax { .. })),
                "{escape}"
            );
        }
        let pair = to_text(&demo()).replacen("\"alice\"", "\"ali\\ud83d\\ude00ce\"", 1);
        assert!(
            parse(pair.as_bytes()).is_ok(),
            "a surrogate pair is a character"
        );
    }

    #[test]
    fn parse_accepts_a_byte_order_mark() {
        let text = format!("\u{feff}{}", to_text(&demo()));
        assert_eq!(parse(text.as_bytes()), Ok(demo()));
    }

    #[test]
    fn parse_refuses_invalid_utf8_and_trailing_data() {
        let mut bytes = to_text(&demo()).into_bytes();
        bytes.extend_from_slice(b"{}");
        assert!(matches!(parse(&bytes), Err(DocumentError::Syntax { .. })));
        let latin1 = to_text(&demo())
            .replacen("Santé", "Sant\u{1}", 1)
            .replacen('\u{1}', "\\u0001", 1);
        assert!(parse(latin1.as_bytes()).is_ok());
        let mut broken = to_text(&demo()).into_bytes();
        let at = broken.iter().position(|&b| b == 0xc3).unwrap_or(0);
        broken[at] = 0xff;
        assert!(matches!(parse(&broken), Err(DocumentError::Syntax { .. })));
    }

    #[test]
    fn parse_names_the_missing_key_even_for_optional_values() {
        let error = parse_edited(|v| {
            v["milestones"][1]["activity"]
                .as_object_mut()
                .map(|o| o.remove("idnumber"));
        });
        assert_eq!(
            error,
            Err(DocumentError::MissingKey {
                path: "milestones[1].activity".to_owned(),
                key: "idnumber".to_owned()
            })
        );
        assert!(
            error_text(error).starts_with("milestones[1].activity: the key `idnumber` is missing")
        );
    }

    #[test]
    fn serde_alone_refuses_a_missing_optional_key() {
        let mut value = to_value(&demo());
        value["training"]
            .as_object_mut()
            .map(|o| o.remove("enddate"));
        let error = serde_json::from_value::<Document>(value)
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("missing field `enddate`")));
    }

    #[test]
    fn parse_refuses_unknown_keys_at_every_level() {
        for (pointer, path) in [
            ("", "top level"),
            ("/training/category", "training.category"),
            ("/templates/0/details/1", "templates[0].details[1]"),
            ("/planning/0", "planning[0]"),
        ] {
            let error = parse_edited(|v| {
                if let Some(Value::Object(o)) = v.pointer_mut(pointer) {
                    o.insert("extra".to_owned(), Value::Null);
                }
            });
            assert!(
                matches!(&error, Err(DocumentError::UnknownKey { key, path: p }) if key == "extra" && p == path),
                "{pointer}: {error:?}"
            );
        }
    }

    #[test]
    fn parse_refuses_null_planning_and_null_signature() {
        for key in ["planning", "signature"] {
            let error = parse_edited(|v| {
                v[key] = Value::Null;
            });
            assert!(
                matches!(&error, Err(DocumentError::WrongType { path, found: JsonType::Null, .. }) if path == key),
                "{error:?}"
            );
        }
    }

    #[test]
    fn parse_refuses_wrong_types_naming_the_path() {
        let error = parse_edited(|v| v["milestones"][0]["section"] = Value::from("1"));
        assert_eq!(
            error,
            Err(DocumentError::WrongType {
                path: "milestones[0].section".to_owned(),
                expected: JsonType::Integer,
                found: JsonType::String
            })
        );
        let error = parse_edited(|v| v["training"]["enddate"] = Value::from(true));
        assert_eq!(
            error_text(error),
            "training.enddate: expected an integer or null, found a boolean; the file was edited or damaged"
        );
        let error = parse_edited(|v| v["training"]["category"]["path"][1] = Value::Null);
        assert!(
            matches!(error, Err(DocumentError::WrongType { path, .. }) if path == "training.category.path[1]")
        );
    }

    // Issue 9, item 5: the serde types say which values may be null, and a wrong type says so
    // only of the value itself, not of what an optional value holds.
    #[test]
    fn a_wrong_type_says_or_null_only_where_null_is_allowed() {
        let cases: [(&str, Value, &str, JsonType, JsonType); 6] = [
            (
                "/templates/0/background",
                Value::from("x"),
                "templates[0].background",
                JsonType::ObjectOrNull,
                JsonType::String,
            ),
            (
                "/templates/0/background/size",
                Value::from("3"),
                "templates[0].background.size",
                JsonType::Integer,
                JsonType::String,
            ),
            (
                "/planning",
                Value::from(Map::new()),
                "planning",
                JsonType::Array,
                JsonType::Object,
            ),
            (
                "/planning/0/auto",
                Value::from("1"),
                "planning[0].auto",
                JsonType::IntegerOrNull,
                JsonType::String,
            ),
            (
                "/source/wwwroot",
                Value::from(Vec::<Value>::new()),
                "source.wwwroot",
                JsonType::StringOrNull,
                JsonType::Array,
            ),
            (
                "/milestones/1/activity",
                Value::Null,
                "milestones[1].activity",
                JsonType::Object,
                JsonType::Null,
            ),
        ];
        for (pointer, value, path, expected, found) in cases {
            let error = parse_edited(|v| {
                if let Some(slot) = v.pointer_mut(pointer) {
                    *slot = value;
                }
            });
            assert_eq!(
                error,
                Err(DocumentError::WrongType {
                    path: path.to_owned(),
                    expected,
                    found
                }),
                "{pointer}"
            );
        }
        let error = parse_edited(|v| v["milestones"][0]["activity"]["type"] = Value::from(1));
        let Err(error) = error else {
            panic!("a number where a type name is");
        };
        assert_eq!(
            error.localized(Lang::Fr),
            "milestones[0].activity.type : une chaîne ou null attendu, un nombre trouvé ; le \
             fichier a été modifié ou abîmé"
        );
    }

    /// A schema node without its `null` alternative, and whether it allows `null`.
    fn without_null(node: &Value) -> (&Value, bool) {
        if let Some(alternatives) = node.get("oneOf").and_then(Value::as_array) {
            let null = |n: &&Value| n.get("type") == Some(&Value::from("null"));
            let other = alternatives.iter().find(|n| !null(n)).unwrap_or(node);
            return (other, alternatives.iter().any(|n| null(&n)));
        }
        let nullable = match node.get("type") {
            Some(Value::Array(types)) => types.contains(&Value::from("null")),
            _ => false,
        };
        (node, nullable)
    }

    /// Every key the schema describes, as (JSON pointer, nullable, required), checking on the
    /// way that each object of `value` has exactly the keys of its schema.
    fn schema_keys(
        schema: &Value,
        value: &Value,
        pointer: &str,
        out: &mut Vec<(String, bool, bool)>,
    ) {
        let (node, _) = without_null(schema);
        match value {
            Value::Object(object) => {
                let properties = node["properties"].as_object().expect("properties");
                let mut keys: Vec<&String> = object.keys().collect();
                let mut described: Vec<&String> = properties.keys().collect();
                keys.sort();
                described.sort();
                assert_eq!(keys, described, "the keys of {pointer}");
                let required = node["required"].as_array().expect("required");
                for (key, child) in properties {
                    let at = format!("{pointer}/{key}");
                    let nullable = without_null(child).1;
                    out.push((
                        at.clone(),
                        nullable,
                        required.contains(&Value::from(key.as_str())),
                    ));
                    schema_keys(child, &object[key], &at, out);
                }
            }
            Value::Array(items) => {
                if let Some(first) = items.first() {
                    schema_keys(&node["items"], first, &format!("{pointer}/0"), out);
                }
            }
            _ => {}
        }
    }

    /// The place a message names for a JSON pointer: `/milestones/0/name` → `milestones[0].name`.
    fn pointer_place(pointer: &str) -> String {
        let mut out = String::new();
        for step in pointer.split('/').skip(1) {
            match step.parse::<usize>() {
                Ok(index) => push_index(&mut out, index),
                Err(_) => push_key(&mut out, step),
            }
        }
        out
    }

    // Issue 9, item 5: the JSON Schema in docs/ and the serde types describe the same keys —
    // the same keys in every object, the same required ones, null where the serde type has an
    // `Option` — so the two descriptions cannot drift apart.
    #[test]
    fn the_json_schema_and_the_serde_types_describe_the_same_keys() {
        let schema: Value =
            serde_json::from_str(include_str!("../../docs/backup-format-2.schema.json"))
                .expect("the schema is JSON");
        let mut document = demo();
        document.signature = Some(well_formed_signature());
        let full = to_value(&document);
        let mut keys = Vec::new();
        schema_keys(&schema, &full, "", &mut keys);
        assert!(keys.len() > 60, "{keys:?}");
        let parse_changed = |change: &dyn Fn(&mut Value)| {
            let mut value = full.clone();
            change(&mut value);
            parse(value.to_string().as_bytes()).map(|_| ())
        };
        for (pointer, nullable, required) in keys {
            if matches!(pointer.as_str(), "/format" | "/version") {
                continue; // read before the serde types, with their own messages
            }
            let path = pointer_place(&pointer);
            let null = parse_changed(&|v| {
                if let Some(slot) = v.pointer_mut(&pointer) {
                    *slot = Value::Null;
                }
            });
            let refused_as_null = matches!(&null,
                Err(DocumentError::WrongType { path: p, found: JsonType::Null, .. }) if *p == path);
            assert_eq!(refused_as_null, !nullable, "null at {path}: {null:?}");
            let (parent, key) = pointer.rsplit_once('/').unwrap_or_default();
            let absent = parse_changed(&|v| {
                if let Some(Value::Object(object)) = v.pointer_mut(parent) {
                    object.remove(key);
                }
            });
            let refused_as_missing = matches!(&absent,
                Err(DocumentError::MissingKey { key: k, .. }) if k == key);
            assert_eq!(refused_as_missing, required, "{path} absent: {absent:?}");
            if !required {
                assert!(absent.is_ok(), "{path} absent: {absent:?}");
            }
        }
    }

    #[test]
    fn a_missing_key_is_named_with_its_object_at_every_level() {
        for (pointer, key, path) in [
            ("", "generator", "top level"),
            ("/training/category", "path", "training.category"),
            ("/templates/0/details/1", "data", "templates[0].details[1]"),
            ("/learner_styles/0", "withdateformat", "learner_styles[0]"),
        ] {
            let error = parse_edited(|v| {
                if let Some(Value::Object(object)) = v.pointer_mut(pointer) {
                    object.remove(key);
                }
            });
            assert_eq!(
                error,
                Err(DocumentError::MissingKey {
                    path: path.to_owned(),
                    key: key.to_owned()
                }),
                "{pointer}"
            );
        }
    }

    #[test]
    fn parse_checks_format_and_names_unknown_versions() {
        let error = parse_edited(|v| v["format"] = Value::from("something-else"));
        assert!(
            matches!(error, Err(DocumentError::NotABackup { found: FormatFound::Value(found) }) if found == "\"something-else\"")
        );
        for (version, shown, newer) in [
            (Value::from(3), "3", true),
            (Value::from(1), "1", false),
            (Value::from("2"), "\"2\"", false),
        ] {
            let error = parse_edited(|v| v["version"] = version);
            let text = error_text(error);
            assert!(
                text.starts_with(&format!("backup format version {shown} is unknown")),
                "{text}"
            );
            assert_eq!(text.contains("upgrade attestoodle-backup"), newer, "{text}");
        }
    }

    #[test]
    fn parse_recognises_a_legacy_file() {
        let legacy = br#"{"version":"2019061667","training":{},"integrity":""}"#;
        assert!(matches!(parse(legacy), Err(DocumentError::Legacy { .. })));
        let numeric = br#"{"version":2019061667,"training":{}}"#;
        assert!(matches!(parse(numeric), Err(DocumentError::Legacy { .. })));
        assert!(matches!(
            parse(b"[]"),
            Err(DocumentError::NotABackup { .. })
        ));
    }

    #[test]
    fn parse_refuses_negative_values() {
        for (pointer, path) in [
            ("/milestones/1/section", "milestones[1].section"),
            ("/milestones/0/position", "milestones[0].position"),
            ("/milestones/1/creditedtime", "milestones[1].creditedtime"),
            ("/training/duration", "training.duration"),
            (
                "/templates/0/background/size",
                "templates[0].background.size",
            ),
        ] {
            let error = parse_edited(|v| {
                if let Some(slot) = v.pointer_mut(pointer) {
                    *slot = Value::from(-1);
                }
            });
            assert!(
                matches!(&error, Err(DocumentError::InvalidValue { path: p, .. }) if p == path),
                "{pointer}: {error:?}"
            );
        }
        let zero = parse_edited(|v| v["milestones"][0]["creditedtime"] = Value::from(0));
        assert!(zero.is_ok());
    }

    #[test]
    fn parse_checks_the_signature_form() {
        let good = well_formed_signature();
        let with = |edit: fn(&mut Signature)| {
            let mut document = demo();
            let mut signature = good.clone();
            edit(&mut signature);
            document.signature = Some(signature);
            parse(to_text(&document).as_bytes()).err().map(|e| match e {
                DocumentError::InvalidValue { path, .. } => path,
                other => other.to_string(),
            })
        };
        assert_eq!(with(|_| {}), None);
        assert_eq!(
            with(|s| s.algorithm = "EdDSA".to_owned()).as_deref(),
            Some("signature.algorithm")
        );
        assert_eq!(
            with(|s| s.key_id = "0123456789ABCDEF".to_owned()).as_deref(),
            Some("signature.key_id")
        );
        assert_eq!(
            with(|s| s.key_id = "0123456789abcde".to_owned()).as_deref(),
            Some("signature.key_id")
        );
        // Padded, standard alphabet, stray bits in the last character, wrong length.
        assert_eq!(
            with(|s| s.public_key.push('=')).as_deref(),
            Some("signature.public_key")
        );
        assert_eq!(
            with(|s| s.public_key = STANDARD
                .encode([0xfbu8; 32])
                .trim_end_matches('=')
                .to_owned())
            .as_deref(),
            Some("signature.public_key")
        );
        assert_eq!(
            with(|s| s.public_key = format!("{}x", &s.public_key[..42])).as_deref(),
            Some("signature.public_key")
        );
        assert_eq!(
            with(|s| s.value = URL_SAFE_NO_PAD.encode([9u8; 63])).as_deref(),
            Some("signature.value")
        );
    }

    #[test]
    fn parse_checks_created_and_background() {
        let error = parse_edited(|v| v["created"] = Value::from("28/11/2026"));
        assert!(
            matches!(error, Err(DocumentError::InvalidValue { path, .. }) if path == "created")
        );
        let offset = parse_edited(|v| v["created"] = Value::from("2026-11-28T12:00:00.5+01:00"));
        assert!(offset.is_ok(), "any RFC 3339 time is accepted");
        let error = parse_edited(|v| {
            v["templates"][0]["background"]["content"] = Value::from("not base64!")
        });
        assert!(
            matches!(error, Err(DocumentError::InvalidValue { path, .. }) if path == "templates[0].background.content")
        );
        let error = parse_edited(|v| v["templates"][0]["background"]["size"] = Value::from(3));
        assert!(
            matches!(error, Err(DocumentError::InvalidValue { path, .. }) if path == "templates[0].background.size")
        );
        let error = parse_edited(|v| v["templates"][0]["background"]["sha1"] = Value::from("ABC"));
        assert!(
            matches!(error, Err(DocumentError::InvalidValue { path, .. }) if path == "templates[0].background.sha1")
        );
    }

    #[test]
    fn size_limit_is_checked_before_parsing() {
        assert_eq!(check_size(MAX_FILE_SIZE, MAX_FILE_SIZE), Ok(()));
        let error = check_size(MAX_FILE_SIZE + 1, MAX_FILE_SIZE);
        assert!(error_text(error.map(|()| demo())).contains("67108864 bytes"));
        let text = to_text(&demo());
        let small = text.len() as u64 - 1;
        assert!(matches!(
            parse_with_limit(text.as_bytes(), small),
            Err(DocumentError::TooLarge { limit, .. }) if limit == small
        ));
        assert!(parse_with_limit(text.as_bytes(), small + 1).is_ok());
    }

    #[test]
    fn validate_checks_a_document_built_in_memory() {
        assert_eq!(validate(&demo()), Ok(()));
        let mut document = demo();
        document.training.startdate = MAX_SAFE_INTEGER + 1;
        assert!(
            matches!(validate(&document), Err(DocumentError::Number { path, .. }) if path == "training.startdate")
        );
        let mut document = demo();
        document.learners[1].email = "a\0b".to_owned();
        assert!(
            matches!(validate(&document), Err(DocumentError::NulCharacter { path }) if path == "learners[1].email")
        );
        let mut document = demo();
        document.milestones[0].position = -2;
        assert!(validate(&document).is_err());
    }

    #[test]
    fn sort_orders_arrays_by_code_point_with_null_first_and_is_stable() {
        let mut document = demo();
        let base = document.milestones[0].clone();
        let milestone = |course: &str, section, position, name: &str| Milestone {
            course: course.to_owned(),
            section,
            position,
            name: Some(name.to_owned()),
            ..base.clone()
        };
        document.milestones = vec![
            milestone("b", 0, 0, "1"),
            milestone("B", 2, 0, "2"),
            milestone("a", 1, 5, "3"),
            milestone("a", 1, 2, "4"),
            milestone("a", 0, 9, "5"),
            milestone("é", 0, 0, "6"),
            milestone("a", 1, 2, "7"),
        ];
        let learner = |email: &str, username: Option<&str>, idnumber: &str| Learner {
            email: email.to_owned(),
            username: username.map(str::to_owned),
            idnumber: Some(idnumber.to_owned()),
            selected: None,
            predelete: None,
            resultcriteria: None,
        };
        document.learners = vec![
            learner("x@e", Some("b"), "1"),
            learner("x@e", None, "2"),
            learner("X@e", Some("z"), "3"),
            learner("x@e", Some("a"), "4"),
            learner("x@e", None, "5"),
        ];
        document.planning = Some(vec![
            Planning {
                executiondate: 2,
                beginperiod: 1,
                endperiod: 1,
                mailto: None,
                auto: None,
                togenerate: None,
            },
            Planning {
                executiondate: 1,
                beginperiod: 5,
                endperiod: 2,
                mailto: None,
                auto: None,
                togenerate: None,
            },
            Planning {
                executiondate: 1,
                beginperiod: 4,
                endperiod: 3,
                mailto: None,
                auto: None,
                togenerate: None,
            },
        ]);
        let mut second = document.templates[0].clone();
        second.name = "Modèle 2".to_owned();
        document.templates.push(second);
        sort(&mut document);
        let names: Vec<_> = document
            .milestones
            .iter()
            .filter_map(|m| m.name.as_deref())
            .collect();
        assert_eq!(names, ["2", "5", "4", "7", "3", "1", "6"]);
        let ids: Vec<_> = document
            .learners
            .iter()
            .filter_map(|l| l.idnumber.as_deref())
            .collect();
        assert_eq!(ids, ["3", "2", "5", "4", "1"]);
        let ends: Vec<_> = document
            .planning
            .iter()
            .flatten()
            .map(|p| p.endperiod)
            .collect();
        assert_eq!(ends, [3, 2, 1]);
        let templates: Vec<_> = document.templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(templates, ["Modèle 2", "Modèle A"]);
    }

    #[test]
    fn format_created_writes_utc_seconds() {
        let at = time::macros::datetime!(2026-11-28 13:04:05.9 +01:00);
        assert_eq!(format_created(at), "2026-11-28T12:04:05Z");
    }

    #[test]
    fn paths_quote_unusual_keys() {
        let error = parse(br#"{"format":"attestoodle-training-backup","version":2,"a b":1}"#);
        assert!(matches!(error, Err(DocumentError::UnknownKey { key, .. }) if key == "a b"));
        let root = Loc::Root;
        let odd = Loc::Key(&root, "a.b");
        let inner = Loc::Index(&odd, 3);
        assert_eq!(Loc::Key(&inner, "k").to_string(), "[\"a.b\"][3].k");
    }
}
