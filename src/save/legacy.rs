//! Saving a training as a legacy file: the version "2019061667" file the PHP plugin
//! `tool_save_attestoodle` writes and accepts (docs/format.md "Legacy files",
//! docs/moodle-tables.md §10).
//!
//! [`build`] turns a [`Snapshot`] into the plugin's document, member by member and in the
//! plugin's key order: every database value as a JSON string (integers in decimal) or `null`,
//! `posr` as a number, `relationtemplate` and `template` as `false` when absent; then
//! [`crate::document::legacy::write`] adds the checksum exactly as the plugin computes it. The file
//! has **no signature**: anyone can edit it and recompute its checksum.
//!
//! What the plugin would write for the same database, and where this file differs:
//! - like the plugin: every milestone row is written, including the ones it cannot place (no
//!   section row: `section` null and `posr` −1; the module missing from its section's `sequence`:
//!   `posr` −1; a deleted course: `course_shortname` null); `section` is the number of the section
//!   whose id is `course_modules.section`; `posr` is the index of the first item of that section's
//!   `sequence` (split on commas, nothing trimmed or dropped) equal to the cmid written in
//!   decimal, as the plugin's `search()` does; `course_shortname` is the short name of the
//!   milestone's own `course` column; the one template is the training's `train_style` template
//!   with all its detail rows (the background row, not the image); every learner row gets the
//!   `email` of its user, null when the user row is missing; every learner style row is written;
//! - the `training` keys are always in the fresh-install column order (id, name, categoryid,
//!   startdate, enddate, checklearner, duration, nbautolaunch, nextlaunch); on a site upgraded
//!   from an older Attestoodle, the plugin follows the physical order, with `checklearner` last.
//!   The plugin's reader does not depend on it;
//! - rows are in id order; the plugin reads without `ORDER BY` and writes what the database
//!   returns (id order in practice); with several `train_style` rows the first by id is the
//!   template link (the plugin takes the first the database returns);
//! - a training that does not exist is an error ([`SaveError::NotFound`]), where the plugin
//!   writes a `{"version": …, "error": …}` file.
//!
//! Like the plugin, and unlike the format-2 save, a category that no longer exists does not stop
//! the save: the file knows its category by id only. A test (`tests/save_legacy.rs`, opt-in with
//! `ATTESTOODLE_PLUGIN_LIB`) runs the plugin's own export over the same database and compares
//! the bytes.
//!
//! Architecture invariant: no SQL here.

use std::collections::HashMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{slug, SaveError, Warning};
use crate::document::legacy;
use crate::moodle::{Site, Snapshot};

/// A training saved as a legacy file.
#[derive(Debug, Clone)]
pub struct LegacySaved {
    /// The file's text: compact, as the plugin writes it (no final newline).
    pub text: String,
    /// The checksum written in `integrity` (40 lowercase hexadecimal digits).
    pub integrity: String,
    /// The training's name (empty when the database holds NULL).
    pub training: String,
    /// The number of milestone rows written.
    pub milestones: usize,
    /// The number of learner rows written.
    pub learners: usize,
    /// The number of templates written: 1, or 0 when the training has no template link.
    pub templates: usize,
    /// What the operator must know, in the order found.
    pub warnings: Vec<Warning>,
}

/// Reads training `training_id` and writes it as a legacy file.
///
/// With `strict`, a milestone that a restore could not place (`posr` −1) makes the save fail.
///
/// # Errors
///
/// A [`SaveError`]: the database, no such training, or (with `strict`) a milestone that a
/// restore could not place.
pub async fn save(site: &Site, training_id: i64, strict: bool) -> Result<LegacySaved, SaveError> {
    let snapshot = site
        .training_snapshot(training_id)
        .await?
        .ok_or(SaveError::NotFound { id: training_id })?;
    save_read(&snapshot, strict)
}

/// Builds the legacy file of a training already read, as [`save`] does.
///
/// # Errors
///
/// With `strict`, a milestone that a restore could not place.
pub fn save_read(snapshot: &Snapshot, strict: bool) -> Result<LegacySaved, SaveError> {
    let saved = build(snapshot);
    if strict {
        let left_out: Vec<String> = saved
            .warnings
            .iter()
            .filter(|w| w.milestone_left_out)
            .map(|w| w.en.clone())
            .collect();
        if !left_out.is_empty() {
            return Err(SaveError::Strict {
                training: saved.training,
                left_out,
            });
        }
    }
    Ok(saved)
}

/// Builds the legacy file of a snapshot, with its warnings. It never fails: whatever the
/// database holds, the plugin would have written something, and so does this.
pub fn build(snapshot: &Snapshot) -> LegacySaved {
    let (document, warnings) = document(snapshot);
    let text = legacy::write(&document);
    let integrity = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("integrity")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let count = |key: &str| {
        document
            .get(key)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    LegacySaved {
        integrity,
        training: snapshot.training.name.clone().unwrap_or_default(),
        milestones: count("milestones"),
        learners: count("learners"),
        templates: usize::from(document.get("template").is_some_and(Value::is_object)),
        warnings,
        text,
    }
}

/// The suggested file name of a legacy backup: `training-<slug>-<YYYYMMDD>-legacy.json`.
pub fn default_file_name(training: &str, date: OffsetDateTime) -> String {
    format!(
        "training-{}-{:04}{:02}{:02}-legacy.json",
        slug(training),
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// An integer column as the plugin writes it: a decimal string.
fn int(value: i64) -> Value {
    Value::String(value.to_string())
}

/// A nullable integer column.
fn opt_int(value: Option<i64>) -> Value {
    value.map_or(Value::Null, int)
}

/// A nullable text column.
fn opt_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// An object from its members, in the order given.
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// The plugin's `search()`: the index of the first item of `sequence` (split on commas, as
/// stored) equal to `cmid` in decimal, or −1.
fn search(cmid: i64, sequence: Option<&str>) -> i64 {
    let wanted = cmid.to_string();
    sequence
        .unwrap_or("")
        .split(',')
        .position(|item| item == wanted)
        .and_then(|p| i64::try_from(p).ok())
        .unwrap_or(-1)
}

/// The document members in the plugin's order, `integrity` not included.
fn document(snapshot: &Snapshot) -> (Map<String, Value>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let t = &snapshot.training;
    let training_id = int(t.id);
    let mut doc = Map::new();
    doc.insert(
        "version".to_owned(),
        Value::String(legacy::VERSION.to_owned()),
    );
    doc.insert(
        "training".to_owned(),
        object([
            ("id", int(t.id)),
            ("name", opt_text(t.name.as_deref())),
            ("categoryid", int(t.category_id)),
            ("startdate", int(t.startdate)),
            ("enddate", opt_int(t.enddate)),
            ("checklearner", opt_int(t.checklearner)),
            ("duration", opt_int(t.duration)),
            ("nbautolaunch", opt_int(t.nbautolaunch)),
            ("nextlaunch", opt_int(t.nextlaunch)),
        ]),
    );

    let sections: HashMap<i64, &crate::moodle::SectionRow> =
        snapshot.sections.iter().map(|s| (s.id, s)).collect();
    let mut milestones = Vec::new();
    for m in &snapshot.milestones {
        let cm = snapshot.course_modules.get(&m.cmid);
        let section = cm
            .and_then(|cm| cm.section_id)
            .and_then(|id| sections.get(&id));
        let posr = search(m.cmid, section.map(|s| s.sequence()));
        if posr < 0 {
            let (en, fr) = super::milestone_label(m.name.as_deref(), m.cmid);
            let (why_en, why_fr) = match (cm, section) {
                (None, _) => (
                    "its activity no longer exists",
                    "son activité n'existe plus",
                ),
                (Some(_), None) => (
                    "its activity's section no longer exists",
                    "la section de son activité n'existe plus",
                ),
                (Some(_), Some(_)) => (
                    "its activity is missing from its section's sequence",
                    "son activité est absente de la séquence de sa section",
                ),
            };
            warnings.push(Warning::left_out(
                "milestone-not-in-sequence",
                format!("{en} is written with posr -1 ({why_en}): a restore will leave it out"),
                format!("{fr} est écrit avec posr -1 ({why_fr}) : une restauration l'omettra"),
            ));
        } else if m.course_shortname.is_none() {
            let (en, fr) = super::milestone_label(m.name.as_deref(), m.cmid);
            warnings.push(Warning::left_out(
                "milestone-orphan",
                format!(
                    "{en} is written without a course short name (its course no longer exists): \
                     a restore will leave it out"
                ),
                format!(
                    "{fr} est écrit sans nom abrégé de cours (son cours n'existe plus) : une \
                     restauration l'omettra"
                ),
            ));
        }
        milestones.push(object([
            ("id", int(m.id)),
            ("creditedtime", int(m.creditedtime)),
            ("moduleid", int(m.cmid)),
            ("trainingid", training_id.clone()),
            ("timemodified", opt_int(m.timemodified)),
            ("course", opt_int(m.course)),
            ("name", opt_text(m.name.as_deref())),
            ("section", section.map_or(Value::Null, |s| int(s.section))),
            ("posr", Value::from(posr)),
            ("course_shortname", opt_text(m.course_shortname.as_deref())),
        ]));
    }
    doc.insert("milestones".to_owned(), Value::Array(milestones));

    let style = snapshot.train_styles.first();
    if snapshot.train_styles.len() > 1 {
        let ids: Vec<String> = snapshot
            .train_styles
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        warnings.push(Warning::new(
            "train-style-duplicate",
            format!(
                "the training has {} template links (train_style rows {}); the file keeps the \
                 first",
                ids.len(),
                ids.join(", ")
            ),
            format!(
                "la formation a {} liens de modèle (lignes train_style {}) ; le fichier garde le \
                 premier",
                ids.len(),
                ids.join(", ")
            ),
        ));
    }
    let template = style.and_then(|s| snapshot.templates.iter().find(|t| t.id == s.template_id));
    match (style, template) {
        (None, _) => warnings.push(Warning::new(
            "training-no-template",
            "the training has no template link: the file says false, and the PHP plugin cannot \
             restore such a file (attestoodle-backup can)"
                .to_owned(),
            "la formation n'a pas de lien de modèle : le fichier indique false, et le plugin PHP \
             ne peut pas restaurer un tel fichier (attestoodle-backup le peut)"
                .to_owned(),
        )),
        (Some(s), None) => warnings.push(Warning::new(
            "template-missing",
            format!(
                "the training's template {} no longer exists: the file says false",
                s.template_id
            ),
            format!(
                "le modèle {} de la formation n'existe plus : le fichier indique false",
                s.template_id
            ),
        )),
        (Some(_), Some(_)) => {}
    }
    doc.insert(
        "relationtemplate".to_owned(),
        style.map_or(Value::Bool(false), |s| {
            object([
                ("id", int(s.id)),
                ("trainingid", training_id.clone()),
                ("templateid", int(s.template_id)),
                ("grpcriteria1", opt_text(s.grpcriteria1.as_deref())),
                ("grpcriteria2", opt_text(s.grpcriteria2.as_deref())),
            ])
        }),
    );
    doc.insert(
        "template".to_owned(),
        template.map_or(Value::Bool(false), |t| {
            object([
                ("id", int(t.id)),
                ("name", Value::String(t.name.clone())),
                ("timecreated", opt_int(t.timecreated)),
                ("userid", opt_int(t.user_id)),
                ("timemodified", opt_int(t.timemodified)),
            ])
        }),
    );
    // The plugin reads the details by the link's template id, whether the template row exists
    // or not.
    let details = style.map_or_else(Vec::new, |s| {
        snapshot
            .details
            .iter()
            .filter(|d| d.template_id == s.template_id)
            .map(|d| {
                object([
                    ("id", int(d.id)),
                    ("templateid", int(d.template_id)),
                    ("type", Value::String(d.kind.clone())),
                    ("data", Value::String(d.data.clone())),
                ])
            })
            .collect()
    });
    doc.insert("templatedetails".to_owned(), Value::Array(details));

    let mut learners = Vec::new();
    for l in &snapshot.learners {
        if l.user.is_none() {
            warnings.push(Warning::new(
                "learner-user-missing",
                format!(
                    "learner row {} points to user {}, who no longer exists: it is written with \
                     a null email, and a restore will leave it out",
                    l.id, l.user_id
                ),
                format!(
                    "la ligne d'apprenant {} désigne l'utilisateur {}, qui n'existe plus : elle \
                     est écrite avec une adresse nulle, et une restauration l'omettra",
                    l.id, l.user_id
                ),
            ));
        }
        learners.push(object([
            ("id", int(l.id)),
            ("userid", int(l.user_id)),
            ("trainingid", training_id.clone()),
            ("categoryid", opt_int(l.category_id)),
            ("selected", opt_int(l.selected)),
            ("predelete", opt_int(l.predelete)),
            ("resultcriteria", opt_text(l.resultcriteria.as_deref())),
            ("email", opt_text(l.user.as_ref().map(|u| u.email.as_str()))),
        ]));
    }
    doc.insert("learners".to_owned(), Value::Array(learners));

    let training_template = style.map(|s| s.template_id);
    let mut styles = Vec::new();
    for s in &snapshot.user_styles {
        if Some(s.template_id) != training_template && s.enablecertificate != Some(0) {
            let who = s
                .user
                .as_ref()
                .map_or_else(|| format!("user {}", s.user_id), |u| u.email.clone());
            let template = snapshot
                .templates
                .iter()
                .find(|t| t.id == s.template_id)
                .map_or_else(|| s.template_id.to_string(), |t| format!("“{}”", t.name));
            warnings.push(Warning::new(
                "learner-style-personal-template",
                format!(
                    "the learner style of {who} uses template {template}, which a legacy file \
                     cannot carry: a restore will drop this style (the format-2 file keeps it)"
                ),
                format!(
                    "le réglage de l'apprenant {who} utilise le modèle {template}, qu'un fichier \
                     ancien ne peut pas transporter : une restauration l'abandonnera (le fichier \
                     au format 2 le garde)"
                ),
            ));
        }
        styles.push(object([
            ("id", int(s.id)),
            ("userid", int(s.user_id)),
            ("trainingid", training_id.clone()),
            ("templateid", int(s.template_id)),
            ("grpcriteria1", opt_text(s.grpcriteria1.as_deref())),
            ("grpcriteria2", opt_text(s.grpcriteria2.as_deref())),
            ("enablecertificate", opt_int(s.enablecertificate)),
            ("withdateformat", opt_text(s.withdateformat.as_deref())),
        ]));
    }
    doc.insert("templateusers".to_owned(), Value::Array(styles));
    (doc, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_is_the_plugins() {
        assert_eq!(search(7, Some("5,5,7")), 2);
        assert_eq!(search(5, Some("5,5,7")), 0);
        assert_eq!(search(7, Some("5, 7")), -1);
        assert_eq!(search(7, Some("5,,7")), 2);
        assert_eq!(search(7, Some("")), -1);
        assert_eq!(search(7, None), -1);
        assert_eq!(search(17, Some("1,7,170")), -1);
    }

    #[test]
    fn values_are_strings_or_null() {
        assert_eq!(int(-3), Value::String("-3".to_owned()));
        assert_eq!(opt_int(None), Value::Null);
        assert_eq!(opt_text(Some("a")), Value::String("a".to_owned()));
    }

    #[test]
    fn default_file_name_ends_in_legacy() {
        let date = OffsetDateTime::from_unix_timestamp(1_780_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert!(default_file_name("Sécurité & Hygiène", date).ends_with("-legacy.json"));
        assert!(
            default_file_name("Sécurité & Hygiène", date).starts_with("training-securite-hygiene-")
        );
    }
}
