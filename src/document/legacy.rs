//! Legacy backup files: the version "2019061667" files of the PHP plugin `tool_save_attestoodle`.
//!
//! A legacy file is the PHP plugin's `json_encode` of one training's database rows (values as
//! strings or null, `posr` as a number), with an `integrity` member last. That member is the
//! SHA-1 of the PHP re-encoding of the decoded document with `integrity` set to `""`, so it is
//! checked by decoding and re-encoding as PHP does ([`crate::document::php_json`]), never by
//! hashing the file's bytes: a re-indented file still verifies, a changed value does not. The
//! checksum has no key, so it proves integrity against accidents only, not authenticity.
//!
//! [`parse`] reads and checks a file into a [`LegacyFile`]; [`verify_integrity`] only checks the
//! checksum; [`write()`] writes a file the PHP plugin would have written.
//!
//! What the reader accepts, beyond what the PHP plugin writes, and why:
//! - a `version` written as the number 2019061667 (PHP's loose comparison accepts it, and the
//!   checksum then covers the number);
//! - a UTF-8 byte order mark before the JSON text (an editor may add one; the checksum does not
//!   cover the file's bytes);
//! - members the reader does not use, at any level (they are covered by the checksum).
//!
//! Database values must be JSON strings (or `null` where the column or the plugin's join can
//! give null): a number where the plugin writes a string is refused, since the plugin never
//! writes one. Integer columns are read into `i64`.

use serde_json::{Map, Value};

use crate::document::php_json;
use crate::i18n::Lang;

/// The `version` value of every legacy file.
pub const VERSION: &str = "2019061667";

/// The same version as a number, which PHP's loose comparison accepts too.
const VERSION_NUMBER: f64 = 2_019_061_667.0;

/// Why a legacy file cannot be read. Whatever the variant, reading changed nothing.
///
/// Every message is said in English and French by [`LegacyError::localized`] (one `match`);
/// `Display` is the English one; the JSON parser's own words are in [`LegacyError::detail`].
#[derive(Debug)]
pub enum LegacyError {
    /// The bytes are not JSON as PHP's `json_decode` reads it.
    NotJson(php_json::DecodeError),
    /// The JSON text is not an object.
    NotAnObject {
        /// What the top level is.
        found: Found,
    },
    /// The `version` member is not the legacy version.
    UnknownVersion {
        /// The `version` member as found.
        found: Found,
    },
    /// The file is the PHP plugin's report of a failed export, `{"version":…,"error":…}`.
    ExportFailed(String),
    /// The stored checksum is not the one the content gives.
    IntegrityMismatch {
        /// The `integrity` member of the file.
        expected: String,
        /// The SHA-1 of the PHP re-encoding of the file's content.
        computed: String,
    },
    /// A member is missing or has a value of the wrong type.
    Field {
        /// Where, for example `milestones[3].posr`.
        path: String,
        /// What is wrong.
        problem: FieldProblem,
    },
}

/// A JSON value found in a legacy file, as a message shows it (strings cut at 60 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, quoted (and cut).
    String(String),
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Found {
    /// The value in words, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Found::Null, _) => "null".to_owned(),
            (Found::Bool(flag), _) => flag.to_string(),
            (Found::Number(number), Lang::En) => format!("the number {number}"),
            (Found::Number(number), Lang::Fr) => format!("le nombre {number}"),
            (Found::String(text), Lang::En) => format!("the string {text}"),
            (Found::String(text), Lang::Fr) => format!("la chaîne {text}"),
            (Found::Array, Lang::En) => "an array".to_owned(),
            (Found::Array, Lang::Fr) => "un tableau".to_owned(),
            (Found::Object, Lang::En) => "an object".to_owned(),
            (Found::Object, Lang::Fr) => "un objet".to_owned(),
        }
    }
}

/// What is wrong with a member of a legacy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The member is missing.
    Missing,
    /// The member has another type than the one the plugin writes.
    ShouldBe {
        /// What the plugin writes there.
        expected: Shape,
        /// What the file holds.
        found: Found,
    },
}

/// What the PHP plugin writes in a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An object.
    Object,
    /// An object or `false`.
    ObjectOrFalse,
    /// An array.
    Array,
    /// A string.
    String,
    /// A string or null.
    StringOrNull,
    /// An integer written as a string.
    IntegerString,
    /// An integer number.
    IntegerNumber,
}

impl Shape {
    /// In words, in the operator's language.
    pub fn localized(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Shape::Object, Lang::En) => "an object",
            (Shape::Object, Lang::Fr) => "un objet",
            (Shape::ObjectOrFalse, Lang::En) => "an object or false",
            (Shape::ObjectOrFalse, Lang::Fr) => "un objet ou false",
            (Shape::Array, Lang::En) => "an array",
            (Shape::Array, Lang::Fr) => "un tableau",
            (Shape::String, Lang::En) => "a string",
            (Shape::String, Lang::Fr) => "une chaîne",
            (Shape::StringOrNull, Lang::En) => "a string or null",
            (Shape::StringOrNull, Lang::Fr) => "une chaîne ou null",
            (Shape::IntegerString, Lang::En) => "an integer written as a string",
            (Shape::IntegerString, Lang::Fr) => "un entier écrit comme une chaîne",
            (Shape::IntegerNumber, Lang::En) => "an integer number",
            (Shape::IntegerNumber, Lang::Fr) => "un nombre entier",
        }
    }
}

impl std::fmt::Display for LegacyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for LegacyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LegacyError::NotJson(error) => Some(error),
            LegacyError::NotAnObject { .. }
            | LegacyError::UnknownVersion { .. }
            | LegacyError::ExportFailed(_)
            | LegacyError::IntegrityMismatch { .. }
            | LegacyError::Field { .. } => None,
        }
    }
}

impl LegacyError {
    /// The message in the operator's language: what is wrong and what to do.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (LegacyError::NotJson(error), Lang::En) => format!(
                "{}; give a training backup file, as written by attestoodle-backup or by the \
                 PHP plugin tool_save_attestoodle",
                error.localized(lang)
            ),
            (LegacyError::NotJson(error), Lang::Fr) => format!(
                "{} ; donnez un fichier de sauvegarde de formation, écrit par \
                 attestoodle-backup ou par le plugin PHP tool_save_attestoodle",
                error.localized(lang)
            ),
            (LegacyError::NotAnObject { found }, Lang::En) => format!(
                "the file is JSON but not a training backup: its top level is {}, where a backup \
                 has an object; give a training backup file",
                found.localized(lang)
            ),
            (LegacyError::NotAnObject { found }, Lang::Fr) => format!(
                "le fichier est du JSON mais pas une sauvegarde de formation : son niveau \
                 supérieur est {}, là où une sauvegarde a un objet ; donnez un fichier de \
                 sauvegarde de formation",
                found.localized(lang)
            ),
            (LegacyError::UnknownVersion { found }, Lang::En) => format!(
                "unknown legacy backup version {}: this reader knows only version \"2019061667\" \
                 of the PHP plugin tool_save_attestoodle; check that the file is a training \
                 backup",
                found.localized(lang)
            ),
            (LegacyError::UnknownVersion { found }, Lang::Fr) => format!(
                "version d'ancienne sauvegarde inconnue ({}) : ce lecteur ne connaît que la \
                 version \"2019061667\" du plugin PHP tool_save_attestoodle ; vérifiez que le \
                 fichier est une sauvegarde de formation",
                found.localized(lang)
            ),
            (LegacyError::ExportFailed(message), Lang::En) => format!(
                "the legacy backup holds no training: the PHP plugin's export failed with \
                 {message:?}; export the training again from a site where it exists"
            ),
            (LegacyError::ExportFailed(message), Lang::Fr) => format!(
                "l'ancienne sauvegarde ne contient aucune formation : l'export du plugin PHP a \
                 échoué avec le message {message:?} ; exportez de nouveau la formation depuis un \
                 site où elle existe"
            ),
            (LegacyError::IntegrityMismatch { expected, computed }, Lang::En) => format!(
                "integrity check failed: the file's checksum is {expected} but its content gives \
                 {computed}, so the file was changed or damaged after the export; nothing was \
                 changed, use an intact copy of the backup"
            ),
            (LegacyError::IntegrityMismatch { expected, computed }, Lang::Fr) => format!(
                "contrôle d'intégrité échoué : la somme de contrôle du fichier est {expected} \
                 mais son contenu donne {computed}, le fichier a donc été modifié ou abîmé après \
                 l'export ; rien n'a été modifié, utilisez une copie intacte de la sauvegarde"
            ),
            (LegacyError::Field { path, problem }, Lang::En) => format!(
                "malformed legacy backup: `{path}` {}; nothing was changed, use the file exactly \
                 as the PHP plugin wrote it, or export the training again",
                match problem {
                    FieldProblem::Missing => "is missing".to_owned(),
                    FieldProblem::ShouldBe { expected, found } => format!(
                        "should be {} but is {}",
                        expected.localized(lang),
                        found.localized(lang)
                    ),
                }
            ),
            (LegacyError::Field { path, problem }, Lang::Fr) => format!(
                "ancienne sauvegarde mal formée : `{path}` {} ; rien n'a été modifié, utilisez \
                 le fichier tel que le plugin PHP l'a écrit, ou exportez de nouveau la formation",
                match problem {
                    FieldProblem::Missing => "manque".to_owned(),
                    FieldProblem::ShouldBe { expected, found } => format!(
                        "devrait être {} mais est {}",
                        expected.localized(lang),
                        found.localized(lang)
                    ),
                }
            ),
        }
    }

    /// The JSON parser's own words behind the message (`--verbose`), when there are some.
    pub fn detail(&self) -> Option<String> {
        match self {
            LegacyError::NotJson(error) => error.detail(),
            LegacyError::NotAnObject { .. }
            | LegacyError::UnknownVersion { .. }
            | LegacyError::ExportFailed(_)
            | LegacyError::IntegrityMismatch { .. }
            | LegacyError::Field { .. } => None,
        }
    }
}

/// The result of checking the `integrity` member of a legacy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The stored checksum is the one the content gives.
    Valid {
        /// The checksum (40 lowercase hexadecimal digits).
        sha1: String,
    },
    /// The stored checksum differs from the one the content gives.
    Mismatch {
        /// The `integrity` member of the document.
        expected: String,
        /// The SHA-1 of the PHP re-encoding of the content.
        computed: String,
    },
    /// The document is not an object, or has no `integrity` member holding a string.
    Missing,
}

/// Everything a legacy file holds, typed. Field names are the file's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyFile {
    /// The `training` row.
    pub training: Training,
    /// The `milestones` rows, in file order.
    pub milestones: Vec<Milestone>,
    /// The `relationtemplate` row (the training's template link), or `None` when the file has
    /// `false` (the training had no template link).
    pub relationtemplate: Option<RelationTemplate>,
    /// The `template` row, or `None` when the file has `false`.
    pub template: Option<Template>,
    /// The `templatedetails` rows of that template, in file order.
    pub templatedetails: Vec<TemplateDetail>,
    /// The `learners` rows, in file order.
    pub learners: Vec<Learner>,
    /// The `templateusers` rows (per-learner settings), in file order.
    pub templateusers: Vec<TemplateUser>,
    /// The `integrity` member, checked: the SHA-1 of the content.
    pub integrity: String,
    /// The whole document as decoded, in file order.
    pub value: Value,
}

/// The `training` row. Its key order differs between sites; the reader does not depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Training {
    /// The training's id on the source site.
    pub id: i64,
    /// The training's name (null on the source site when it was never set).
    pub name: Option<String>,
    /// The id of the training's course category on the source site.
    pub categoryid: i64,
    /// Start, in Unix seconds.
    pub startdate: i64,
    /// End, in Unix seconds.
    pub enddate: Option<i64>,
    /// An unused date the plugin carries along.
    pub checklearner: Option<i64>,
    /// Theoretical duration in minutes.
    pub duration: Option<i64>,
    /// Number of planned automatic certificate generations.
    pub nbautolaunch: Option<i64>,
    /// Next planned generation, in Unix seconds.
    pub nextlaunch: Option<i64>,
}

/// A `milestones` row: an activity credited with some minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// The milestone's id on the source site.
    pub id: i64,
    /// Credited minutes.
    pub creditedtime: i64,
    /// The course module id (cmid) on the source site.
    pub moduleid: i64,
    /// The owning training's id on the source site.
    pub trainingid: Option<i64>,
    /// Last edit time, in Unix seconds.
    pub timemodified: Option<i64>,
    /// The course id on the source site.
    pub course: Option<i64>,
    /// The activity name as stored in the milestone row.
    pub name: Option<String>,
    /// The section number of the module's section; null when the plugin found no section.
    pub section: Option<i64>,
    /// The 0-based position of the module in its section's sequence, or −1 when it is not in it.
    pub posr: i64,
    /// The course short name; null when the course was deleted.
    pub course_shortname: Option<String>,
}

/// The `relationtemplate` row: the training's default template and grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationTemplate {
    /// The row's id on the source site.
    pub id: i64,
    /// The training's id on the source site.
    pub trainingid: i64,
    /// The template's id on the source site.
    pub templateid: i64,
    /// First grouping level of the certificate's activity table.
    pub grpcriteria1: Option<String>,
    /// Second grouping level.
    pub grpcriteria2: Option<String>,
}

/// The `template` row: the training's certificate template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The template's id on the source site.
    pub id: i64,
    /// The template's name.
    pub name: String,
    /// Creation time, in Unix seconds.
    pub timecreated: i64,
    /// Id of the last editor on the source site.
    pub userid: i64,
    /// Last edit time, in Unix seconds.
    pub timemodified: Option<i64>,
}

/// A `templatedetails` row: one element of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDetail {
    /// The row's id on the source site.
    pub id: i64,
    /// The owning template's id on the source site.
    pub templateid: i64,
    /// The element type (the `type` key), for example `background` or `learnername`.
    pub kind: String,
    /// The element's settings: JSON text inside a string, kept byte for byte.
    pub data: String,
}

/// A `learners` row: a learner of the training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// The row's id on the source site.
    pub id: i64,
    /// The user's id on the source site.
    pub userid: i64,
    /// The training's id on the source site.
    pub trainingid: i64,
    /// The training's category id when the row was made.
    pub categoryid: i64,
    /// UI selection state (0 or 1).
    pub selected: Option<i64>,
    /// 1 when confirmed, null when added since the last validation.
    pub predelete: Option<i64>,
    /// Transient display column.
    pub resultcriteria: Option<String>,
    /// The user's email; null when the user row was missing at export time.
    pub email: Option<String>,
}

/// A `templateusers` row: per-learner certificate settings. It has no email; it joins to
/// [`Learner`] by `userid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateUser {
    /// The row's id on the source site.
    pub id: i64,
    /// The user's id on the source site.
    pub userid: i64,
    /// The training's id on the source site.
    pub trainingid: i64,
    /// The learner's template id on the source site (possibly not the file's template).
    pub templateid: i64,
    /// First grouping level.
    pub grpcriteria1: Option<String>,
    /// Second grouping level.
    pub grpcriteria2: Option<String>,
    /// 0 when the learner gets no certificate; 1 or null otherwise.
    pub enablecertificate: Option<i64>,
    /// A date format the plugin no longer uses.
    pub withdateformat: Option<String>,
}

/// Tells whether `value` is a legacy document: an object whose `version` is "2019061667" (as a
/// string or a number). It says nothing of the rest of the document.
pub fn is_legacy(value: &Value) -> bool {
    value.get("version").is_some_and(is_legacy_version)
}

/// Reads a legacy file from its bytes and checks its version and integrity.
///
/// # Errors
///
/// - [`LegacyError::NotJson`] or [`LegacyError::NotAnObject`] when the bytes are not a JSON
///   object;
/// - [`LegacyError::Field`] when `version` is missing, or, once the checksum is right, when a
///   member is missing or of the wrong type;
/// - [`LegacyError::UnknownVersion`] when `version` is not "2019061667";
/// - [`LegacyError::ExportFailed`] when the file reports a failed export;
/// - [`LegacyError::IntegrityMismatch`] when the checksum is wrong.
pub fn parse(bytes: &[u8]) -> Result<LegacyFile, LegacyError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value = php_json::decode(bytes).map_err(LegacyError::NotJson)?;
    from_value(value)
}

/// Reads a legacy document already decoded by [`php_json::decode`] (decode it with that
/// function, not with serde_json alone, so that the checksum sees what PHP sees). It checks the
/// version and integrity as [`parse`] does.
///
/// # Errors
///
/// The same as [`parse`], except [`LegacyError::NotJson`].
pub fn from_value(value: Value) -> Result<LegacyFile, LegacyError> {
    let top = Row::new(String::new(), &value)?;
    let version = top.get("version")?;
    if !is_legacy_version(version) {
        return Err(LegacyError::UnknownVersion {
            found: describe(version),
        });
    }
    if let Some(error) = top.members.get("error") {
        let message = match error {
            Value::String(message) => message.clone(),
            other => php_json::encode(other),
        };
        return Err(LegacyError::ExportFailed(message));
    }
    top.text("integrity")?;
    let integrity = match verify_integrity(&value) {
        Integrity::Valid { sha1 } => sha1,
        Integrity::Mismatch { expected, computed } => {
            return Err(LegacyError::IntegrityMismatch { expected, computed })
        }
        // Not reached: `integrity` was just found to be a string.
        Integrity::Missing => return Err(top.problem("integrity", FieldProblem::Missing)),
    };
    Ok(LegacyFile {
        training: read_training(&top.row("training")?)?,
        milestones: top.rows("milestones", read_milestone)?,
        relationtemplate: top.optional_row("relationtemplate", read_relation_template)?,
        template: top.optional_row("template", read_template)?,
        templatedetails: top.rows("templatedetails", read_template_detail)?,
        learners: top.rows("learners", read_learner)?,
        templateusers: top.rows("templateusers", read_template_user)?,
        integrity,
        value,
    })
}

/// Checks the `integrity` member of a legacy document as the PHP plugin does: with `integrity`
/// set to `""` in its place, the lowercase hex SHA-1 of the PHP `json_encode` of the document
/// must equal the stored value, byte for byte.
///
/// The document must come from [`php_json::decode`] (see [`from_value`]). Nothing else is
/// checked: not the version, not the content.
pub fn verify_integrity(value: &Value) -> Integrity {
    let Some(Value::String(expected)) = value.get("integrity") else {
        return Integrity::Missing;
    };
    let mut blanked = value.clone();
    if let Some(integrity) = blanked.get_mut("integrity") {
        *integrity = Value::String(String::new());
    }
    let computed = php_json::sha1_hex(php_json::encode(&blanked).as_bytes());
    if computed == *expected {
        Integrity::Valid { sha1: computed }
    } else {
        Integrity::Mismatch {
            expected: expected.clone(),
            computed,
        }
    }
}

/// Writes a legacy file exactly as the PHP plugin does, from the document's members in the
/// plugin's key order.
///
/// The `integrity` member is set to `""` (in its place, or appended last when absent, as PHP
/// does), the document is encoded with [`php_json::encode`], and the SHA-1 of those bytes
/// becomes the `integrity` value of the returned compact text (no final newline). The text
/// verifies with [`verify_integrity`] once decoded. The caller is responsible for the members:
/// database values as strings or null, `posr` as a number, `version` first.
pub fn write(doc: &Map<String, Value>) -> String {
    let mut doc = Value::Object(doc.clone());
    if let Value::Object(members) = &mut doc {
        members.insert("integrity".to_owned(), Value::String(String::new()));
    }
    let digest = php_json::sha1_hex(php_json::encode(&doc).as_bytes());
    if let Value::Object(members) = &mut doc {
        members.insert("integrity".to_owned(), Value::String(digest));
    }
    php_json::encode(&doc)
}

fn is_legacy_version(version: &Value) -> bool {
    match version {
        Value::String(text) => text == VERSION,
        Value::Number(number) => number.as_f64() == Some(VERSION_NUMBER),
        _ => false,
    }
}

fn read_training(row: &Row<'_>) -> Result<Training, LegacyError> {
    Ok(Training {
        id: row.int("id")?,
        name: row.optional_text("name")?,
        categoryid: row.int("categoryid")?,
        startdate: row.int("startdate")?,
        enddate: row.optional_int("enddate")?,
        checklearner: row.optional_int("checklearner")?,
        duration: row.optional_int("duration")?,
        nbautolaunch: row.optional_int("nbautolaunch")?,
        nextlaunch: row.optional_int("nextlaunch")?,
    })
}

fn read_milestone(row: &Row<'_>) -> Result<Milestone, LegacyError> {
    Ok(Milestone {
        id: row.int("id")?,
        creditedtime: row.int("creditedtime")?,
        moduleid: row.int("moduleid")?,
        trainingid: row.optional_int("trainingid")?,
        timemodified: row.optional_int("timemodified")?,
        course: row.optional_int("course")?,
        name: row.optional_text("name")?,
        section: row.optional_int("section")?,
        posr: row.number("posr")?,
        course_shortname: row.optional_text("course_shortname")?,
    })
}

fn read_relation_template(row: &Row<'_>) -> Result<RelationTemplate, LegacyError> {
    Ok(RelationTemplate {
        id: row.int("id")?,
        trainingid: row.int("trainingid")?,
        templateid: row.int("templateid")?,
        grpcriteria1: row.optional_text("grpcriteria1")?,
        grpcriteria2: row.optional_text("grpcriteria2")?,
    })
}

fn read_template(row: &Row<'_>) -> Result<Template, LegacyError> {
    Ok(Template {
        id: row.int("id")?,
        name: row.text("name")?,
        timecreated: row.int("timecreated")?,
        userid: row.int("userid")?,
        timemodified: row.optional_int("timemodified")?,
    })
}

fn read_template_detail(row: &Row<'_>) -> Result<TemplateDetail, LegacyError> {
    Ok(TemplateDetail {
        id: row.int("id")?,
        templateid: row.int("templateid")?,
        kind: row.text("type")?,
        data: row.text("data")?,
    })
}

fn read_learner(row: &Row<'_>) -> Result<Learner, LegacyError> {
    Ok(Learner {
        id: row.int("id")?,
        userid: row.int("userid")?,
        trainingid: row.int("trainingid")?,
        categoryid: row.int("categoryid")?,
        selected: row.optional_int("selected")?,
        predelete: row.optional_int("predelete")?,
        resultcriteria: row.optional_text("resultcriteria")?,
        email: row.optional_text("email")?,
    })
}

fn read_template_user(row: &Row<'_>) -> Result<TemplateUser, LegacyError> {
    Ok(TemplateUser {
        id: row.int("id")?,
        userid: row.int("userid")?,
        trainingid: row.int("trainingid")?,
        templateid: row.int("templateid")?,
        grpcriteria1: row.optional_text("grpcriteria1")?,
        grpcriteria2: row.optional_text("grpcriteria2")?,
        enablecertificate: row.optional_int("enablecertificate")?,
        withdateformat: row.optional_text("withdateformat")?,
    })
}

/// An object of the document and its path, for reading typed members with errors that say
/// where.
struct Row<'a> {
    path: String,
    members: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    /// Takes `value` as an object found at `path` (empty for the top level).
    fn new(path: String, value: &'a Value) -> Result<Self, LegacyError> {
        match value {
            Value::Object(members) => Ok(Row { path, members }),
            other if path.is_empty() => Err(LegacyError::NotAnObject {
                found: describe(other),
            }),
            other => Err(LegacyError::Field {
                problem: should_be(Shape::Object, other),
                path,
            }),
        }
    }

    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn problem(&self, key: &str, problem: FieldProblem) -> LegacyError {
        LegacyError::Field {
            path: self.path_of(key),
            problem,
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value, LegacyError> {
        self.members
            .get(key)
            .ok_or_else(|| self.problem(key, FieldProblem::Missing))
    }

    /// A member that must be an object.
    fn row(&self, key: &str) -> Result<Row<'a>, LegacyError> {
        Row::new(self.path_of(key), self.get(key)?)
    }

    /// A member that must be an object or `false`.
    fn optional_row<T>(
        &self,
        key: &str,
        read: fn(&Row<'_>) -> Result<T, LegacyError>,
    ) -> Result<Option<T>, LegacyError> {
        match self.get(key)? {
            Value::Bool(false) => Ok(None),
            value @ Value::Object(_) => read(&Row::new(self.path_of(key), value)?).map(Some),
            other => Err(self.problem(key, should_be(Shape::ObjectOrFalse, other))),
        }
    }

    /// A member that must be an array of objects.
    fn rows<T>(
        &self,
        key: &str,
        read: fn(&Row<'_>) -> Result<T, LegacyError>,
    ) -> Result<Vec<T>, LegacyError> {
        let Value::Array(items) = self.get(key)? else {
            return Err(self.problem(key, should_be(Shape::Array, self.get(key)?)));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| read(&Row::new(format!("{}[{index}]", self.path_of(key)), item)?))
            .collect()
    }

    /// A member that must be a string.
    fn text(&self, key: &str) -> Result<String, LegacyError> {
        match self.get(key)? {
            Value::String(text) => Ok(text.clone()),
            other => Err(self.problem(key, should_be(Shape::String, other))),
        }
    }

    /// A member that must be a string or null.
    fn optional_text(&self, key: &str) -> Result<Option<String>, LegacyError> {
        match self.get(key)? {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text.clone())),
            other => Err(self.problem(key, should_be(Shape::StringOrNull, other))),
        }
    }

    /// A database integer, which the plugin writes as a string of decimal digits.
    fn int(&self, key: &str) -> Result<i64, LegacyError> {
        match self.get(key)? {
            value @ Value::String(text) => parse_database_integer(text)
                .ok_or_else(|| self.problem(key, should_be(Shape::IntegerString, value))),
            other => Err(self.problem(key, should_be(Shape::IntegerString, other))),
        }
    }

    /// A nullable database integer: a string of decimal digits, or null.
    fn optional_int(&self, key: &str) -> Result<Option<i64>, LegacyError> {
        match self.get(key)? {
            Value::Null => Ok(None),
            _ => self.int(key).map(Some),
        }
    }

    /// A JSON integer number (the plugin's computed `posr`).
    fn number(&self, key: &str) -> Result<i64, LegacyError> {
        let value = self.get(key)?;
        value
            .as_i64()
            .ok_or_else(|| self.problem(key, should_be(Shape::IntegerNumber, value)))
    }
}

/// Reads a database integer as Moodle returns it: an optional minus sign and decimal digits.
fn parse_database_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Describes a JSON value in a few words, for error messages.
fn describe(value: &Value) -> Found {
    const LONGEST: usize = 60;
    match value {
        Value::Null => Found::Null,
        Value::Bool(flag) => Found::Bool(*flag),
        Value::Number(number) => Found::Number(number.to_string()),
        Value::String(text) if text.chars().count() > LONGEST => {
            let start: String = text.chars().take(LONGEST).collect();
            Found::String(format!("{start:?}…"))
        }
        Value::String(text) => Found::String(format!("{text:?}")),
        Value::Array(_) => Found::Array,
        Value::Object(_) => Found::Object,
    }
}

/// The problem of a member that holds `found` where the plugin writes `expected`.
fn should_be(expected: Shape, found: &Value) -> FieldProblem {
    FieldProblem::ShouldBe {
        expected,
        found: describe(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::two_texts;

    fn legacy_variant(error: &LegacyError) -> usize {
        match error {
            LegacyError::NotJson(_) => 0,
            LegacyError::NotAnObject { .. } => 1,
            LegacyError::UnknownVersion { .. } => 2,
            LegacyError::ExportFailed(_) => 3,
            LegacyError::IntegrityMismatch { .. } => 4,
            LegacyError::Field { .. } => 5,
        }
    }

    // Issue 9, item 1: every reason a legacy file is refused exists in English and French.
    #[test]
    fn every_legacy_error_is_said_in_english_and_in_french() {
        let mut errors = vec![
            LegacyError::NotJson(php_json::decode(b"{\"a\": ").expect_err("cut short")),
            LegacyError::NotJson(php_json::decode(b"nope").expect_err("not JSON")),
            LegacyError::NotJson(php_json::DecodeError::NulKey {
                key: "\u{0}a".to_owned(),
            }),
            LegacyError::ExportFailed("training not exist !".to_owned()),
            LegacyError::IntegrityMismatch {
                expected: "00".to_owned(),
                computed: "11".to_owned(),
            },
            LegacyError::Field {
                path: "milestones[0].posr".to_owned(),
                problem: FieldProblem::Missing,
            },
        ];
        let found = [
            Found::Null,
            Found::Bool(true),
            Found::Number("3".to_owned()),
            Found::String("\"x\"".to_owned()),
            Found::Array,
            Found::Object,
        ];
        for found in &found {
            errors.push(LegacyError::NotAnObject {
                found: found.clone(),
            });
            errors.push(LegacyError::UnknownVersion {
                found: found.clone(),
            });
        }
        for expected in [
            Shape::Object,
            Shape::ObjectOrFalse,
            Shape::Array,
            Shape::String,
            Shape::StringOrNull,
            Shape::IntegerString,
            Shape::IntegerNumber,
        ] {
            errors.push(LegacyError::Field {
                path: "training.id".to_owned(),
                problem: FieldProblem::ShouldBe {
                    expected,
                    found: Found::Null,
                },
            });
        }
        crate::i18n::testing::every_variant(errors.iter().map(legacy_variant), 6);
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

    const SIMPLE: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-simple.json"
    ));
    const POSITIONS: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-positions.json"
    ));
    const TAMPERED: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-tampered.json"
    ));
    const ERROR_NOTFOUND: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/legacy-error-notfound.json"
    ));

    fn parse_ok(bytes: &[u8]) -> LegacyFile {
        match parse(bytes) {
            Ok(file) => file,
            Err(error) => panic!("the file should be read: {error}"),
        }
    }

    fn parse_err(bytes: &[u8]) -> LegacyError {
        match parse(bytes) {
            Ok(file) => panic!("the file should be refused, got {file:?}"),
            Err(error) => error,
        }
    }

    /// `legacy-simple.json` after `change`, written back with a correct checksum.
    fn simple_changed(change: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
        let Ok(Value::Object(mut members)) = php_json::decode(SIMPLE) else {
            panic!("the vector is a JSON object");
        };
        change(&mut members);
        write(&members).into_bytes()
    }

    fn assert_field_error(error: LegacyError, expected_path: &str) {
        match &error {
            LegacyError::Field { path, .. } => assert_eq!(path, expected_path, "{error}"),
            other => panic!("expected a field error at {expected_path}, got {other:?}"),
        }
        assert!(error.to_string().contains(expected_path), "{error}");
    }

    #[test]
    fn simple_vector_verifies() {
        let file = parse_ok(SIMPLE);
        assert!(file.integrity.starts_with("93a4d398"), "{}", file.integrity);
        assert_eq!(file.integrity, "93a4d3986e0c2ed3d19af9365190c165a1e5578f");
        assert_eq!(
            verify_integrity(&file.value),
            Integrity::Valid {
                sha1: file.integrity.clone()
            }
        );
    }

    #[test]
    fn simple_vector_holds_its_training() {
        let file = parse_ok(SIMPLE);
        assert_eq!(
            file.training.name.as_deref(),
            Some("Sécurité & Hygiène 2019")
        );
        assert_eq!(file.training.id, 1);
        assert_eq!(file.training.categoryid, 3);
        assert_eq!(file.training.startdate, 1_546_300_800);
        assert_eq!(file.training.duration, Some(600));
        assert_eq!(file.training.nbautolaunch, None);
    }

    #[test]
    fn simple_vector_holds_five_milestones_in_two_courses() {
        let file = parse_ok(SIMPLE);
        assert_eq!(file.milestones.len(), 5);
        let courses: Vec<&str> = file
            .milestones
            .iter()
            .map(|milestone| milestone.course_shortname.as_deref().unwrap_or("<null>"))
            .collect();
        assert_eq!(
            courses,
            [
                "SEC-INC-101",
                "SEC-INC-101",
                "SEC-INC-101",
                "HACCP/2019",
                "HACCP/2019"
            ]
        );
        assert_eq!(file.milestones[0].creditedtime, 30);
        assert_eq!(
            file.milestones[4].name.as_deref(),
            Some("Évaluation finale « HACCP »")
        );
    }

    #[test]
    fn simple_vector_holds_the_site_template_with_seven_details() {
        let file = parse_ok(SIMPLE);
        let template = file
            .template
            .as_ref()
            .map(|template| template.name.as_str());
        assert_eq!(template, Some("Site"));
        assert_eq!(
            file.relationtemplate.as_ref().map(|link| link.templateid),
            Some(1)
        );
        let kinds: Vec<&str> = file
            .templatedetails
            .iter()
            .map(|detail| detail.kind.as_str())
            .collect();
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
    }

    #[test]
    fn simple_vector_keeps_detail_data_byte_for_byte() {
        let file = parse_ok(SIMPLE);
        assert_eq!(
            file.templatedetails[0].data,
            "{ \"filename\": \"attest_background.png\" } "
        );
        let text = &file.templatedetails[6].data;
        assert!(
            text.contains(r"<strong>Universit\u00e9 du Mans<\/strong>"),
            "{text}"
        );
        assert!(text.contains(r"\ud83c\udf93"), "{text}");
        let inner: Value = serde_json::from_str(text).expect("the text detail holds JSON");
        let html = inner["lib"].as_str().unwrap_or_default();
        assert!(
            html.starts_with("<p><strong>Université du Mans</strong>"),
            "{html}"
        );
        assert!(html.ends_with('🎓'), "{html}");
    }

    #[test]
    fn simple_vector_holds_three_learners_and_no_learner_styles() {
        let file = parse_ok(SIMPLE);
        let emails: Vec<&str> = file
            .learners
            .iter()
            .map(|learner| learner.email.as_deref().unwrap_or("<null>"))
            .collect();
        assert_eq!(
            emails,
            [
                "elodie.lefevre@univ-lemans.fr",
                "Francois.Oster@Example.COM",
                "zoe.obrien+attest@example.org"
            ]
        );
        assert!(emails
            .iter()
            .any(|email| email.chars().any(char::is_uppercase)));
        assert_eq!(file.learners[0].resultcriteria.as_deref(), Some("2/2"));
        assert_eq!(file.learners[2].selected, Some(0));
        assert_eq!(file.learners[2].predelete, None);
        assert!(file.templateusers.is_empty());
    }

    #[test]
    fn positions_vector_verifies() {
        let file = parse_ok(POSITIONS);
        assert_eq!(file.integrity, "d0d9bfb3ce52527aebb19c7ab4907fb58e98f296");
        assert_eq!(
            file.training.name.as_deref(),
            Some("Premiers secours – PSC1")
        );
    }

    #[test]
    fn positions_vector_holds_sections_and_positions() {
        let file = parse_ok(POSITIONS);
        let places: Vec<(Option<&str>, Option<i64>, i64)> = file
            .milestones
            .iter()
            .map(|milestone| {
                (
                    milestone.course_shortname.as_deref(),
                    milestone.section,
                    milestone.posr,
                )
            })
            .collect();
        let course = Some("PSC1 <Été 2019>");
        assert_eq!(
            places,
            [
                (course, Some(1), 0),
                (course, Some(1), 2),
                (course, Some(3), 0),
                (course, Some(3), 1),
                (course, Some(0), 1),
            ]
        );
    }

    #[test]
    fn positions_vector_has_one_milestone_without_name() {
        let file = parse_ok(POSITIONS);
        let unnamed: Vec<i64> = file
            .milestones
            .iter()
            .filter(|milestone| milestone.name.is_none())
            .map(|milestone| milestone.id)
            .collect();
        assert_eq!(unnamed, [14]);
        assert_eq!(file.milestones[3].timemodified, None);
    }

    #[test]
    fn positions_vector_holds_three_learners_and_one_learner_style() {
        let file = parse_ok(POSITIONS);
        assert_eq!(file.learners.len(), 3);
        assert_eq!(file.templateusers.len(), 1);
        let style = &file.templateusers[0];
        assert_eq!(style.userid, 5);
        assert_eq!(style.enablecertificate, Some(1));
        assert_eq!(style.templateid, 2);
        assert_eq!(style.grpcriteria1.as_deref(), Some("name"));
        assert_eq!(style.withdateformat, None);
        // The learner style's template is not the file's template.
        assert_eq!(file.template.as_ref().map(|template| template.id), Some(1));
        let learner = file.learners.iter().find(|learner| learner.userid == 5);
        assert_eq!(
            learner.and_then(|learner| learner.email.as_deref()),
            Some("zoe.obrien+attest@example.org")
        );
    }

    #[test]
    fn tampered_vector_fails_the_integrity_check() {
        let error = parse_err(TAMPERED);
        match &error {
            LegacyError::IntegrityMismatch { expected, computed } => {
                assert_eq!(expected, "93a4d3986e0c2ed3d19af9365190c165a1e5578f");
                assert_eq!(computed, "7172a18141f6adbc60cc91aa175166c7ce29a6b0");
            }
            other => panic!("expected an integrity mismatch, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.starts_with("integrity check failed"), "{message}");
        assert!(message.contains("nothing was changed"), "{message}");
    }

    #[test]
    fn verify_integrity_reports_the_tampered_vector_as_mismatch() {
        let value = php_json::decode(TAMPERED).expect("the vector is JSON");
        assert!(matches!(
            verify_integrity(&value),
            Integrity::Mismatch { .. }
        ));
    }

    #[test]
    fn error_vector_is_a_failed_export() {
        match parse_err(ERROR_NOTFOUND) {
            LegacyError::ExportFailed(message) => assert_eq!(message, "training not exist !"),
            other => panic!("expected a failed export, got {other:?}"),
        }
    }

    #[test]
    fn pretty_printed_copy_still_verifies() {
        let value = php_json::decode(SIMPLE).expect("the vector is JSON");
        let pretty = serde_json::to_string_pretty(&value).expect("a Value serialises");
        assert_ne!(pretty.as_bytes(), SIMPLE);
        assert!(pretty.contains("\"HACCP/2019\""), "raw slash and raw UTF-8");
        let file = parse_ok(pretty.as_bytes());
        assert_eq!(file.integrity, "93a4d3986e0c2ed3d19af9365190c165a1e5578f");
        let four_spaces = pretty.replace("\n ", "\n    ").replace('\n', "\r\n");
        parse_ok(four_spaces.as_bytes());
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(SIMPLE);
        parse_ok(&bytes);
    }

    #[test]
    fn write_reproduces_the_plugins_files() {
        for vector in [SIMPLE, POSITIONS] {
            let Ok(Value::Object(members)) = php_json::decode(vector) else {
                panic!("the vector is a JSON object");
            };
            let mut blanked = members.clone();
            blanked.insert("integrity".to_owned(), Value::String(String::new()));
            let written = write(&blanked);
            assert_eq!(written.as_bytes(), vector);
            let reread = parse_ok(written.as_bytes());
            assert_eq!(
                Some(&Value::String(reread.integrity)),
                members.get("integrity")
            );
        }
    }

    #[test]
    fn write_appends_a_missing_integrity_last() {
        let mut members = Map::new();
        members.insert("version".to_owned(), Value::from(VERSION));
        members.insert("error".to_owned(), Value::from("x/y"));
        let written = write(&members);
        let expected_hash =
            php_json::sha1_hex(br#"{"version":"2019061667","error":"x\/y","integrity":""}"#);
        assert_eq!(
            written,
            format!(r#"{{"version":"2019061667","error":"x\/y","integrity":"{expected_hash}"}}"#)
        );
    }

    #[test]
    fn numeric_version_is_accepted_and_covered_by_the_checksum() {
        let bytes = simple_changed(|doc| {
            doc.insert("version".to_owned(), Value::from(2_019_061_667_u64));
        });
        assert!(bytes.starts_with(b"{\"version\":2019061667,"));
        let file = parse_ok(&bytes);
        assert_ne!(file.integrity, "93a4d3986e0c2ed3d19af9365190c165a1e5578f");
        // Changing only the type of the version breaks the checksum.
        let text = String::from_utf8(bytes).expect("ASCII");
        let as_string = text.replacen("2019061667", "\"2019061667\"", 1);
        assert!(matches!(
            parse_err(as_string.as_bytes()),
            LegacyError::IntegrityMismatch { .. }
        ));
    }

    #[test]
    fn other_versions_are_refused_by_name() {
        for (version, shown) in [
            (Value::from("2019061668"), "\"2019061668\""),
            (Value::from(2), "2"),
            (Value::Null, "null"),
        ] {
            let bytes = simple_changed(|doc| {
                doc.insert("version".to_owned(), version);
            });
            let error = parse_err(&bytes);
            assert!(
                matches!(error, LegacyError::UnknownVersion { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains(shown), "{error}");
        }
    }

    #[test]
    fn missing_version_is_refused() {
        let bytes = simple_changed(|doc| {
            doc.shift_remove("version");
        });
        assert_field_error(parse_err(&bytes), "version");
    }

    #[test]
    fn missing_integrity_is_refused() {
        let text = String::from_utf8(SIMPLE.to_vec()).expect("ASCII");
        let without = text.replace(
            ",\"integrity\":\"93a4d3986e0c2ed3d19af9365190c165a1e5578f\"",
            "",
        );
        assert_field_error(parse_err(without.as_bytes()), "integrity");
        let value = php_json::decode(without.as_bytes()).expect("still JSON");
        assert_eq!(verify_integrity(&value), Integrity::Missing);
    }

    #[test]
    fn non_json_is_refused() {
        let error = parse_err(b"{\"version\":");
        assert!(matches!(error, LegacyError::NotJson(_)), "{error:?}");
        assert!(
            error.to_string().starts_with("the file is not valid JSON"),
            "{error}"
        );
        let error = parse_err(&SIMPLE[..SIMPLE.len() - 1]);
        assert!(matches!(error, LegacyError::NotJson(_)), "{error:?}");
    }

    #[test]
    fn non_object_is_refused() {
        for text in ["[]", "\"2019061667\"", "null", "2019061667"] {
            let error = parse_err(text.as_bytes());
            assert!(
                matches!(error, LegacyError::NotAnObject { .. }),
                "{text}: {error:?}"
            );
        }
        assert_eq!(
            verify_integrity(&Value::Array(Vec::new())),
            Integrity::Missing
        );
    }

    #[test]
    fn missing_member_is_refused_with_its_path() {
        let bytes = simple_changed(|doc| {
            if let Some(Value::Object(milestone)) =
                doc.get_mut("milestones").and_then(|m| m.get_mut(3))
            {
                milestone.shift_remove("posr");
            }
        });
        assert_field_error(parse_err(&bytes), "milestones[3].posr");
    }

    #[test]
    fn wrong_types_are_refused_with_their_paths() {
        let cases: [(&str, &str, usize, &str, Value); 6] = [
            (
                "milestones",
                "posr",
                1,
                "milestones[1].posr",
                Value::from("1"),
            ),
            (
                "milestones",
                "creditedtime",
                0,
                "milestones[0].creditedtime",
                Value::from(30),
            ),
            (
                "milestones",
                "section",
                2,
                "milestones[2].section",
                Value::from("two"),
            ),
            (
                "learners",
                "email",
                1,
                "learners[1].email",
                Value::from(false),
            ),
            (
                "templatedetails",
                "data",
                6,
                "templatedetails[6].data",
                Value::Null,
            ),
            (
                "learners",
                "selected",
                0,
                "learners[0].selected",
                Value::from("+1"),
            ),
        ];
        for (array, key, index, path, replacement) in cases {
            let bytes = simple_changed(|doc| {
                if let Some(Value::Object(row)) =
                    doc.get_mut(array).and_then(|rows| rows.get_mut(index))
                {
                    row.insert(key.to_owned(), replacement);
                }
            });
            assert_field_error(parse_err(&bytes), path);
        }
    }

    #[test]
    fn wrong_top_level_shapes_are_refused_with_their_paths() {
        let cases = [
            ("training", Value::from(false), "training"),
            ("milestones", Value::Object(Map::new()), "milestones"),
            ("template", Value::Null, "template"),
            ("templateusers", Value::from("none"), "templateusers"),
        ];
        for (key, replacement, path) in cases {
            let bytes = simple_changed(|doc| {
                doc.insert(key.to_owned(), replacement);
            });
            assert_field_error(parse_err(&bytes), path);
        }
        let bytes = simple_changed(|doc| {
            doc.insert("learners".to_owned(), Value::Array(vec![Value::from("x")]));
        });
        assert_field_error(parse_err(&bytes), "learners[0]");
    }

    #[test]
    fn false_template_link_and_template_read_as_none() {
        let bytes = simple_changed(|doc| {
            doc.insert("relationtemplate".to_owned(), Value::from(false));
            doc.insert("template".to_owned(), Value::from(false));
            doc.insert("templatedetails".to_owned(), Value::Array(Vec::new()));
        });
        let file = parse_ok(&bytes);
        assert_eq!(file.relationtemplate, None);
        assert_eq!(file.template, None);
        assert!(file.templatedetails.is_empty());
    }

    #[test]
    fn unplaced_milestone_and_deleted_course_are_read() {
        let bytes = simple_changed(|doc| {
            if let Some(Value::Object(row)) =
                doc.get_mut("milestones").and_then(|rows| rows.get_mut(0))
            {
                row.insert("posr".to_owned(), Value::from(-1));
                row.insert("section".to_owned(), Value::Null);
                row.insert("course_shortname".to_owned(), Value::Null);
            }
        });
        let file = parse_ok(&bytes);
        assert_eq!(file.milestones[0].posr, -1);
        assert_eq!(file.milestones[0].section, None);
        assert_eq!(file.milestones[0].course_shortname, None);
    }

    #[test]
    fn field_error_message_says_what_to_do() {
        let bytes = simple_changed(|doc| {
            doc.shift_remove("learners");
        });
        let message = parse_err(&bytes).to_string();
        assert!(
            message.starts_with("malformed legacy backup: `learners` is missing"),
            "{message}"
        );
        assert!(message.contains("export the training again"), "{message}");
    }

    #[test]
    fn is_legacy_recognises_both_version_spellings() {
        assert!(is_legacy(&serde_json::json!({"version": "2019061667"})));
        assert!(is_legacy(&serde_json::json!({"version": 2_019_061_667})));
        assert!(!is_legacy(
            &serde_json::json!({"format": "attestoodle-training-backup", "version": 2})
        ));
        assert!(!is_legacy(&serde_json::json!(["2019061667"])));
    }

    #[test]
    fn parse_database_integer_accepts_only_plain_decimals() {
        assert_eq!(parse_database_integer("0"), Some(0));
        assert_eq!(parse_database_integer("-1"), Some(-1));
        assert_eq!(parse_database_integer("1546300800"), Some(1_546_300_800));
        for text in [
            "",
            "-",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_database_integer(text), None, "{text:?}");
        }
    }
}
