//! What differs between two training definitions, by natural identifiers (issue "`diff` and
//! `repair`"): training fields, milestones by course, section and position, templates by name
//! (each detail's `data` compared as JSON, with the changed keys named), background images by
//! size and SHA-1, learners and learner styles by email, planning rows.
//!
//! Left out on purpose, because they differ between two saves of one definition or are written
//! by a restore (README "What is written"): ids (`source_*`), `created`, the signature, the
//! source site, each milestone's `timemodified`, and the learners' `selected` and
//! `resultcriteria` (the Attestoodle page's scratch state, reset by a restore). Each planning
//! row's `togenerate` is recomputed by a restore too.
//!
//! Pure: no database, no file. The English and French texts of a [`Change`] are one `match`
//! each, so a change without both texts does not compile.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::document::keys::TrustStore;
use crate::document::load::Backup;
use crate::document::migrate::{self, MigrateError};
use crate::document::signature::{self, Authenticity, Integrity};
use crate::document::v2::{self, Document, LearnerStyle, Milestone, Planning, Template};
use crate::i18n::Lang;

/// One side of a comparison: a backup file, checked as `verify` checks it, or the live
/// training. The fields are `diff --json`'s `a` and `b` (README "Diff").
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// `"file"` or `"site"`.
    pub source: &'static str,
    /// The file's name as given (a file).
    pub file: Option<String>,
    /// `"attestoodle-training-backup"` or `"legacy"` (a file).
    pub format: Option<&'static str>,
    /// The training's name.
    pub training: String,
    /// The live training's id (the site).
    pub training_id: Option<i64>,
    /// `"valid"`, `"invalid"` or `"unsigned"` (format 2); `"valid"` for a legacy file, whose
    /// checksum the loader checked; null for the site.
    pub integrity: Option<&'static str>,
    /// `"trusted"`, `"untrusted"`, `"unsigned"`, `"none"` (legacy), or null for the site.
    pub authenticity: Option<&'static str>,
    /// The key id written in the signature.
    pub key_id: Option<String>,
    /// Why the signature does not hold, when it does not, in the operator's language.
    pub problem: Option<String>,
    /// The definition compared.
    #[serde(skip)]
    pub document: Document,
}

impl Side {
    /// A read backup named `file`: its signature checked against `trust` and kept as a fact to
    /// report (a broken one does not stop the comparison); a legacy file converted to format 2.
    ///
    /// # Errors
    ///
    /// A legacy file that cannot become a format-2 document.
    pub fn of_backup(
        file: &str,
        backup: Backup,
        trust: &TrustStore,
        lang: Lang,
    ) -> Result<Side, MigrateError> {
        match backup {
            Backup::V2(document) => {
                let verification = signature::verify(&document);
                let authenticity = signature::authenticity(&verification, trust);
                let (integrity, problem) = match &verification.integrity {
                    Integrity::Valid => ("valid", None),
                    Integrity::Invalid(reason) => ("invalid", Some(reason.text(lang).to_owned())),
                    Integrity::Unsigned => ("unsigned", None),
                };
                Ok(Side {
                    source: "file",
                    file: Some(file.to_owned()),
                    format: Some(v2::FORMAT),
                    training: document.training.name.clone(),
                    training_id: None,
                    integrity: Some(integrity),
                    authenticity: Some(match authenticity {
                        Authenticity::Trusted(_) => "trusted",
                        // As `verify --json` says it: `integrity` tells a broken signature apart.
                        Authenticity::Untrusted(_) | Authenticity::Broken(_) => "untrusted",
                        Authenticity::Unsigned => "unsigned",
                    }),
                    key_id: verification.key_id,
                    problem,
                    document,
                })
            }
            Backup::Legacy(legacy) => {
                let migrated = migrate::legacy_to_v2(&legacy)?;
                Ok(Side {
                    source: "file",
                    file: Some(file.to_owned()),
                    format: Some("legacy"),
                    training: migrated.document.training.name.clone(),
                    training_id: None,
                    integrity: Some("valid"),
                    authenticity: Some("none"),
                    key_id: None,
                    problem: None,
                    document: migrated.document,
                })
            }
        }
    }

    /// The live training `id`, read as `save` reads it.
    pub fn of_site(id: i64, document: Document) -> Side {
        Side {
            source: "site",
            file: None,
            format: None,
            training: document.training.name.clone(),
            training_id: Some(id),
            integrity: None,
            authenticity: None,
            key_id: None,
            problem: None,
            document,
        }
    }

    /// What the side is, in words: the file or the site, the training, and what its signature
    /// says (a broken one: that no key can make it valid).
    pub fn describe(&self, lang: Lang) -> String {
        let what = match (self.source, lang) {
            ("site", Lang::En) => format!(
                "this site, training \u{ab} {} \u{bb} (id {})",
                self.training,
                self.training_id.unwrap_or_default()
            ),
            ("site", Lang::Fr) => format!(
                "ce site, formation \u{ab} {} \u{bb} (id {})",
                self.training,
                self.training_id.unwrap_or_default()
            ),
            (_, Lang::En) => format!(
                "{}, training \u{ab} {} \u{bb}",
                self.file.as_deref().unwrap_or(""),
                self.training
            ),
            (_, Lang::Fr) => format!(
                "{}, formation \u{ab} {} \u{bb}",
                self.file.as_deref().unwrap_or(""),
                self.training
            ),
        };
        let trust = match (self.integrity, self.authenticity, lang) {
            (None, _, _) => "",
            (Some("invalid"), _, Lang::En) => {
                " — the signature does not match the content: the file was changed after it \
                 was signed, and no key can make it valid"
            }
            (Some("invalid"), _, Lang::Fr) => {
                " — la signature ne correspond pas au contenu : le fichier a été modifié après \
                 sa signature, et aucune clé ne peut la rendre valide"
            }
            (Some("unsigned"), _, Lang::En) => " — not signed",
            (Some("unsigned"), _, Lang::Fr) => " — non signé",
            (_, Some("none"), Lang::En) => " — a file of the PHP plugin, its checksum right",
            (_, Some("none"), Lang::Fr) => {
                " — un fichier du plugin PHP, sa somme de contrôle juste"
            }
            (_, Some("trusted"), Lang::En) => " — signed by a trusted key",
            (_, Some("trusted"), Lang::Fr) => " — signé par une clé de confiance",
            (_, _, Lang::En) => " — signed by a key this site does not trust",
            (_, _, Lang::Fr) => " — signé par une clé dont ce site n'a pas la confiance",
        };
        format!("{what}{trust}")
    }
}

/// The one-line answer when two sides define the same training.
pub fn identical_text(lang: Lang) -> &'static str {
    lang.pick(
        "identical: both define the same training (ids, creation time and signature aside)",
        "identiques : les deux définissent la même formation (identifiants, date de création \
         et signature mis à part)",
    )
}

/// The heading of a list of changes.
pub fn count_text(changes: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{changes} difference(s) from A to B:"),
        Lang::Fr => format!("{changes} différence(s) de A à B :"),
    }
}

/// A value of a field, as the operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Text, or absent (`null`).
    Text(Option<String>),
    /// A number, or absent.
    Number(Option<i64>),
    /// Unix seconds, shown as a date.
    Date(Option<i64>),
    /// A list of names (a category's path).
    Names(Vec<String>),
}

impl FieldValue {
    /// The value in words.
    pub fn display(&self, lang: Lang) -> String {
        let none = || lang.pick("(none)", "(aucun)").to_owned();
        match self {
            FieldValue::Text(Some(text)) => format!("\u{ab} {text} \u{bb}"),
            FieldValue::Number(Some(n)) => n.to_string(),
            FieldValue::Date(Some(t)) => date(*t),
            FieldValue::Names(names) if !names.is_empty() => names.join(" / "),
            _ => none(),
        }
    }
}

/// A date in UTC, said as such.
fn date(t: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) if t == 0 => format!("0 ({:04}-{:02}-{:02})", d.year(), d.month() as u8, d.day()),
        Ok(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute()
        ),
        Err(_) => t.to_string(),
    }
}

/// Where a milestone is: course short name, section number, position in the section.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    /// Course short name.
    pub course: String,
    /// Section number.
    pub section: i64,
    /// Position in the section's sequence.
    pub position: i64,
}

/// An activity's fingerprint (docs/format.md `activity`): type, name, idnumber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    /// Module type (`quiz`), unknown in files converted from the PHP plugin's.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Activity name.
    pub name: Option<String>,
    /// Activity idnumber.
    pub idnumber: Option<String>,
}

impl Fingerprint {
    fn of(milestone: &Milestone) -> Fingerprint {
        Fingerprint {
            kind: milestone.activity.kind.clone(),
            name: milestone.activity.name.clone(),
            idnumber: milestone.activity.idnumber.clone(),
        }
    }

    fn display(&self) -> String {
        let mut text = match (&self.kind, &self.name) {
            (Some(kind), Some(name)) => format!("{kind} \u{ab} {name} \u{bb}"),
            (None, Some(name)) => format!("\u{ab} {name} \u{bb}"),
            (Some(kind), None) => kind.clone(),
            (None, None) => "?".to_owned(),
        };
        if let Some(idnumber) = &self.idnumber {
            text.push_str(&format!(" [{idnumber}]"));
        }
        text
    }
}

/// A background image as a diff names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-1 of the content, hex.
    pub sha1: String,
}

/// One difference between side A and side B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// A training field (`name`, `startdate`, `category`, …) differs.
    Training {
        /// The field's name in the file.
        field: &'static str,
        /// On side A.
        a: FieldValue,
        /// On side B.
        b: FieldValue,
    },
    /// A milestone only B has.
    MilestoneAdded {
        /// Where.
        place: Place,
        /// Its activity.
        activity: Fingerprint,
        /// Its minutes.
        creditedtime: i64,
    },
    /// A milestone only A has.
    MilestoneRemoved {
        /// Where.
        place: Place,
        /// Its activity.
        activity: Fingerprint,
        /// Its minutes.
        creditedtime: i64,
    },
    /// The same place credits other minutes.
    MilestoneMinutes {
        /// Where.
        place: Place,
        /// The activity (B's).
        activity: Fingerprint,
        /// Minutes on A.
        a: i64,
        /// Minutes on B.
        b: i64,
    },
    /// The same place holds another activity.
    MilestoneActivity {
        /// Where.
        place: Place,
        /// The activity on A.
        a: Fingerprint,
        /// The activity on B.
        b: Fingerprint,
    },
    /// The milestone's own stored name differs.
    MilestoneName {
        /// Where.
        place: Place,
        /// On A.
        a: Option<String>,
        /// On B.
        b: Option<String>,
    },
    /// A template only B has.
    TemplateAdded {
        /// Its name.
        template: String,
    },
    /// A template only A has.
    TemplateRemoved {
        /// Its name.
        template: String,
    },
    /// A template detail only B has (the `n`-th of its type).
    DetailAdded {
        /// The template.
        template: String,
        /// The detail's type.
        detail: String,
        /// Which one of that type, from 1.
        n: usize,
    },
    /// A template detail only A has.
    DetailRemoved {
        /// The template.
        template: String,
        /// The detail's type.
        detail: String,
        /// Which one of that type, from 1.
        n: usize,
    },
    /// A template detail whose `data` differs; `keys` are the changed JSON paths.
    DetailChanged {
        /// The template.
        template: String,
        /// The detail's type.
        detail: String,
        /// Which one of that type, from 1.
        n: usize,
        /// The changed keys (`font.size`), or `(text)` when a side is not JSON.
        keys: Vec<String>,
    },
    /// The background image differs (or is present on one side only).
    Background {
        /// The template.
        template: String,
        /// On A.
        a: Option<Image>,
        /// On B.
        b: Option<Image>,
    },
    /// A learner only B has.
    LearnerAdded {
        /// The email.
        email: String,
    },
    /// A learner only A has.
    LearnerRemoved {
        /// The email.
        email: String,
    },
    /// A learner with other settings; `fields` names them.
    LearnerChanged {
        /// The email.
        email: String,
        /// The fields that differ.
        fields: Vec<&'static str>,
    },
    /// Per-learner certificate settings only B has.
    StyleAdded {
        /// The learner's email.
        email: String,
        /// The template of the settings.
        template: String,
    },
    /// Per-learner certificate settings only A has.
    StyleRemoved {
        /// The learner's email.
        email: String,
        /// The template of the settings.
        template: String,
    },
    /// Per-learner certificate settings that differ; `fields` names them.
    StyleChanged {
        /// The learner's email.
        email: String,
        /// The fields that differ.
        fields: Vec<&'static str>,
    },
    /// A planned launch only B has.
    PlanningAdded {
        /// When it runs.
        executiondate: i64,
    },
    /// A planned launch only A has.
    PlanningRemoved {
        /// When it runs.
        executiondate: i64,
    },
}

impl Change {
    /// The change in English.
    pub fn en(&self) -> String {
        let l = Lang::En;
        match self {
            Change::Training { field, a, b } => {
                format!("training {field}: {} → {}", a.display(l), b.display(l))
            }
            Change::MilestoneAdded {
                place,
                activity,
                creditedtime,
            } => format!(
                "milestone added at {}: {}, {creditedtime} min",
                place_en(place),
                activity.display()
            ),
            Change::MilestoneRemoved {
                place,
                activity,
                creditedtime,
            } => format!(
                "milestone removed at {}: {}, {creditedtime} min",
                place_en(place),
                activity.display()
            ),
            Change::MilestoneMinutes {
                place,
                activity,
                a,
                b,
            } => format!(
                "milestone at {} ({}): {a} → {b} min",
                place_en(place),
                activity.display()
            ),
            Change::MilestoneActivity { place, a, b } => format!(
                "milestone at {}: another activity, {} → {}",
                place_en(place),
                a.display(),
                b.display()
            ),
            Change::MilestoneName { place, a, b } => format!(
                "milestone at {}: its name {} → {}",
                place_en(place),
                FieldValue::Text(a.clone()).display(l),
                FieldValue::Text(b.clone()).display(l)
            ),
            Change::TemplateAdded { template } => format!("template added: {template}"),
            Change::TemplateRemoved { template } => format!("template removed: {template}"),
            Change::DetailAdded {
                template,
                detail,
                n,
            } => format!("template {template}: detail {detail} #{n} added"),
            Change::DetailRemoved {
                template,
                detail,
                n,
            } => format!("template {template}: detail {detail} #{n} removed"),
            Change::DetailChanged {
                template,
                detail,
                n,
                keys,
            } => format!(
                "template {template}: detail {detail} #{n} changed ({})",
                keys.join(", ")
            ),
            Change::Background { template, a, b } => format!(
                "template {template}: background {} → {}",
                image(a, l),
                image(b, l)
            ),
            Change::LearnerAdded { email } => format!("learner added: {email}"),
            Change::LearnerRemoved { email } => format!("learner removed: {email}"),
            Change::LearnerChanged { email, fields } => {
                format!("learner {email}: other {}", fields.join(", "))
            }
            Change::StyleAdded { email, template } => {
                format!("certificate settings added for {email} (template {template})")
            }
            Change::StyleRemoved { email, template } => {
                format!("certificate settings removed for {email} (template {template})")
            }
            Change::StyleChanged { email, fields } => format!(
                "certificate settings of {email}: other {}",
                fields.join(", ")
            ),
            Change::PlanningAdded { executiondate } => {
                format!("planned launch added on {}", date(*executiondate))
            }
            Change::PlanningRemoved { executiondate } => {
                format!("planned launch removed on {}", date(*executiondate))
            }
        }
    }

    /// The change in French.
    pub fn fr(&self) -> String {
        let l = Lang::Fr;
        match self {
            Change::Training { field, a, b } => {
                format!("formation, {field} : {} → {}", a.display(l), b.display(l))
            }
            Change::MilestoneAdded {
                place,
                activity,
                creditedtime,
            } => format!(
                "jalon ajouté en {} : {}, {creditedtime} min",
                place_fr(place),
                activity.display()
            ),
            Change::MilestoneRemoved {
                place,
                activity,
                creditedtime,
            } => format!(
                "jalon retiré en {} : {}, {creditedtime} min",
                place_fr(place),
                activity.display()
            ),
            Change::MilestoneMinutes {
                place,
                activity,
                a,
                b,
            } => format!(
                "jalon en {} ({}) : {a} → {b} min",
                place_fr(place),
                activity.display()
            ),
            Change::MilestoneActivity { place, a, b } => format!(
                "jalon en {} : une autre activité, {} → {}",
                place_fr(place),
                a.display(),
                b.display()
            ),
            Change::MilestoneName { place, a, b } => format!(
                "jalon en {} : son nom {} → {}",
                place_fr(place),
                FieldValue::Text(a.clone()).display(l),
                FieldValue::Text(b.clone()).display(l)
            ),
            Change::TemplateAdded { template } => format!("modèle ajouté : {template}"),
            Change::TemplateRemoved { template } => format!("modèle retiré : {template}"),
            Change::DetailAdded {
                template,
                detail,
                n,
            } => format!("modèle {template} : élément {detail} n° {n} ajouté"),
            Change::DetailRemoved {
                template,
                detail,
                n,
            } => format!("modèle {template} : élément {detail} n° {n} retiré"),
            Change::DetailChanged {
                template,
                detail,
                n,
                keys,
            } => format!(
                "modèle {template} : élément {detail} n° {n} modifié ({})",
                keys.join(", ")
            ),
            Change::Background { template, a, b } => format!(
                "modèle {template} : image de fond {} → {}",
                image(a, l),
                image(b, l)
            ),
            Change::LearnerAdded { email } => format!("apprenant ajouté : {email}"),
            Change::LearnerRemoved { email } => format!("apprenant retiré : {email}"),
            Change::LearnerChanged { email, fields } => {
                format!("apprenant {email} : autre {}", fields.join(", "))
            }
            Change::StyleAdded { email, template } => {
                format!("réglages de certificat ajoutés pour {email} (modèle {template})")
            }
            Change::StyleRemoved { email, template } => {
                format!("réglages de certificat retirés pour {email} (modèle {template})")
            }
            Change::StyleChanged { email, fields } => format!(
                "réglages de certificat de {email} : autre {}",
                fields.join(", ")
            ),
            Change::PlanningAdded { executiondate } => {
                format!("lancement planifié ajouté le {}", date(*executiondate))
            }
            Change::PlanningRemoved { executiondate } => {
                format!("lancement planifié retiré le {}", date(*executiondate))
            }
        }
    }

    /// The change in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en(),
            Lang::Fr => self.fr(),
        }
    }
}

fn place_en(place: &Place) -> String {
    format!(
        "{} section {} position {}",
        place.course, place.section, place.position
    )
}

fn place_fr(place: &Place) -> String {
    format!(
        "{} section {} position {}",
        place.course, place.section, place.position
    )
}

fn image(image: &Option<Image>, lang: Lang) -> String {
    match image {
        Some(i) => format!("{} ({} B, SHA-1 {})", i.filename, i.size, i.sha1),
        None => lang.pick("(none)", "(aucune)").to_owned(),
    }
}

/// Every difference from `a` to `b`, in the order: training, milestones, templates, learners,
/// learner styles, planning. Empty when the two define the same training.
pub fn compare(a: &Document, b: &Document) -> Vec<Change> {
    let mut changes = Vec::new();
    training(a, b, &mut changes);
    milestones(&a.milestones, &b.milestones, &mut changes);
    templates(&a.templates, &b.templates, &mut changes);
    learners(a, b, &mut changes);
    styles(&a.learner_styles, &b.learner_styles, &mut changes);
    planning(
        a.planning.as_deref().unwrap_or(&[]),
        b.planning.as_deref().unwrap_or(&[]),
        &mut changes,
    );
    changes
}

fn training(a: &Document, b: &Document, changes: &mut Vec<Change>) {
    let (ta, tb) = (&a.training, &b.training);
    let text = |v: &Option<String>| FieldValue::Text(v.clone());
    let fields = [
        (
            "name",
            FieldValue::Text(Some(ta.name.clone())),
            FieldValue::Text(Some(tb.name.clone())),
        ),
        (
            "category",
            FieldValue::Names(ta.category.path.clone()),
            FieldValue::Names(tb.category.path.clone()),
        ),
        (
            "category.idnumber",
            text(&ta.category.idnumber),
            text(&tb.category.idnumber),
        ),
        (
            "startdate",
            FieldValue::Date(Some(ta.startdate)),
            FieldValue::Date(Some(tb.startdate)),
        ),
        (
            "enddate",
            FieldValue::Date(ta.enddate),
            FieldValue::Date(tb.enddate),
        ),
        (
            "duration",
            FieldValue::Number(ta.duration),
            FieldValue::Number(tb.duration),
        ),
        (
            "nbautolaunch",
            FieldValue::Number(ta.nbautolaunch),
            FieldValue::Number(tb.nbautolaunch),
        ),
        (
            "nextlaunch",
            FieldValue::Date(ta.nextlaunch),
            FieldValue::Date(tb.nextlaunch),
        ),
        (
            "checklearner",
            FieldValue::Number(ta.checklearner),
            FieldValue::Number(tb.checklearner),
        ),
        ("template", text(&ta.template), text(&tb.template)),
        (
            "grpcriteria1",
            text(&ta.grpcriteria1),
            text(&tb.grpcriteria1),
        ),
        (
            "grpcriteria2",
            text(&ta.grpcriteria2),
            text(&tb.grpcriteria2),
        ),
    ];
    for (field, va, vb) in fields {
        if va != vb {
            changes.push(Change::Training {
                field,
                a: va,
                b: vb,
            });
        }
    }
}

fn place(milestone: &Milestone) -> Place {
    Place {
        course: milestone.course.clone(),
        section: milestone.section,
        position: milestone.position,
    }
}

fn milestones(a: &[Milestone], b: &[Milestone], changes: &mut Vec<Change>) {
    let by_place = |list: &[Milestone]| -> BTreeMap<Place, Milestone> {
        list.iter().map(|m| (place(m), m.clone())).collect()
    };
    let (a, b) = (by_place(a), by_place(b));
    for (at, ma) in &a {
        match b.get(at) {
            None => changes.push(Change::MilestoneRemoved {
                place: at.clone(),
                activity: Fingerprint::of(ma),
                creditedtime: ma.creditedtime,
            }),
            Some(mb) => {
                let (fa, fb) = (Fingerprint::of(ma), Fingerprint::of(mb));
                if fa != fb {
                    changes.push(Change::MilestoneActivity {
                        place: at.clone(),
                        a: fa,
                        b: fb.clone(),
                    });
                }
                if ma.creditedtime != mb.creditedtime {
                    changes.push(Change::MilestoneMinutes {
                        place: at.clone(),
                        activity: fb,
                        a: ma.creditedtime,
                        b: mb.creditedtime,
                    });
                }
                if ma.name != mb.name {
                    changes.push(Change::MilestoneName {
                        place: at.clone(),
                        a: ma.name.clone(),
                        b: mb.name.clone(),
                    });
                }
            }
        }
    }
    for (at, mb) in &b {
        if !a.contains_key(at) {
            changes.push(Change::MilestoneAdded {
                place: at.clone(),
                activity: Fingerprint::of(mb),
                creditedtime: mb.creditedtime,
            });
        }
    }
    // One order whatever the side: by place.
    changes.sort_by(|x, y| milestone_place(x).cmp(&milestone_place(y)));
}

fn milestone_place(change: &Change) -> Option<&Place> {
    match change {
        Change::MilestoneAdded { place, .. }
        | Change::MilestoneRemoved { place, .. }
        | Change::MilestoneMinutes { place, .. }
        | Change::MilestoneActivity { place, .. }
        | Change::MilestoneName { place, .. } => Some(place),
        _ => None,
    }
}

fn templates(a: &[Template], b: &[Template], changes: &mut Vec<Change>) {
    let by_name = |list: &[Template]| -> BTreeMap<String, Template> {
        list.iter().map(|t| (t.name.clone(), t.clone())).collect()
    };
    let (a, b) = (by_name(a), by_name(b));
    for (name, ta) in &a {
        let Some(tb) = b.get(name) else {
            changes.push(Change::TemplateRemoved {
                template: name.clone(),
            });
            continue;
        };
        details(name, ta, tb, changes);
        let image = |t: &Template| {
            t.background.as_ref().map(|bg| Image {
                filename: bg.filename.clone(),
                size: bg.size,
                sha1: bg.sha1.clone(),
            })
        };
        let (ia, ib) = (image(ta), image(tb));
        if ia != ib {
            changes.push(Change::Background {
                template: name.clone(),
                a: ia,
                b: ib,
            });
        }
    }
    for name in b.keys() {
        if !a.contains_key(name) {
            changes.push(Change::TemplateAdded {
                template: name.clone(),
            });
        }
    }
}

/// Details compared as the `n`-th detail of each type, in the file's order.
fn details(name: &str, a: &Template, b: &Template, changes: &mut Vec<Change>) {
    let numbered = |t: &Template| -> BTreeMap<(String, usize), String> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        t.details
            .iter()
            .map(|d| {
                let n = seen.entry(d.kind.clone()).or_insert(0);
                *n += 1;
                ((d.kind.clone(), *n), d.data.clone())
            })
            .collect()
    };
    let (a, b) = (numbered(a), numbered(b));
    for ((kind, n), data_a) in &a {
        match b.get(&(kind.clone(), *n)) {
            None => changes.push(Change::DetailRemoved {
                template: name.to_owned(),
                detail: kind.clone(),
                n: *n,
            }),
            Some(data_b) if data_a != data_b => {
                let keys = changed_keys(data_a, data_b);
                if !keys.is_empty() {
                    changes.push(Change::DetailChanged {
                        template: name.to_owned(),
                        detail: kind.clone(),
                        n: *n,
                        keys,
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (kind, n) in b.keys() {
        if !a.contains_key(&(kind.clone(), *n)) {
            changes.push(Change::DetailAdded {
                template: name.to_owned(),
                detail: kind.clone(),
                n: *n,
            });
        }
    }
}

/// The JSON paths whose values differ between two `data` texts; none when they differ only in
/// spacing. `(text)` when a side is not JSON.
pub fn changed_keys(a: &str, b: &str) -> Vec<String> {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(va), Ok(vb)) => {
            let mut keys = Vec::new();
            walk("", &va, &vb, &mut keys);
            keys
        }
        _ => vec!["(text)".to_owned()],
    }
}

fn walk(path: &str, a: &Value, b: &Value, keys: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            let mut names: Vec<&String> = ma.keys().chain(mb.keys()).collect();
            names.sort();
            names.dedup();
            for key in names {
                match (ma.get(key), mb.get(key)) {
                    (Some(x), Some(y)) => walk(&join(key), x, y, keys),
                    _ => keys.push(join(key)),
                }
            }
        }
        _ if a != b => keys.push(if path.is_empty() {
            "(value)".to_owned()
        } else {
            path.to_owned()
        }),
        _ => {}
    }
}

fn learners(a: &Document, b: &Document, changes: &mut Vec<Change>) {
    let by_email = |d: &Document| -> BTreeMap<String, crate::document::v2::Learner> {
        d.learners
            .iter()
            .map(|l| (l.email.to_lowercase(), l.clone()))
            .collect()
    };
    let (a, b) = (by_email(a), by_email(b));
    for (email, la) in &a {
        let Some(lb) = b.get(email) else {
            changes.push(Change::LearnerRemoved {
                email: la.email.clone(),
            });
            continue;
        };
        let mut fields = Vec::new();
        if la.username != lb.username {
            fields.push("username");
        }
        if la.idnumber != lb.idnumber {
            fields.push("idnumber");
        }
        if la.predelete != lb.predelete {
            fields.push("predelete");
        }
        if !fields.is_empty() {
            changes.push(Change::LearnerChanged {
                email: lb.email.clone(),
                fields,
            });
        }
    }
    for (email, lb) in &b {
        if !a.contains_key(email) {
            changes.push(Change::LearnerAdded {
                email: lb.email.clone(),
            });
        }
    }
}

fn styles(a: &[LearnerStyle], b: &[LearnerStyle], changes: &mut Vec<Change>) {
    let by_email = |list: &[LearnerStyle]| -> BTreeMap<String, LearnerStyle> {
        list.iter()
            .map(|s| (s.email.to_lowercase(), s.clone()))
            .collect()
    };
    let (a, b) = (by_email(a), by_email(b));
    for (email, sa) in &a {
        let Some(sb) = b.get(email) else {
            changes.push(Change::StyleRemoved {
                email: sa.email.clone(),
                template: sa.template.clone(),
            });
            continue;
        };
        let mut fields = Vec::new();
        if sa.template != sb.template {
            fields.push("template");
        }
        if sa.grpcriteria1 != sb.grpcriteria1 {
            fields.push("grpcriteria1");
        }
        if sa.grpcriteria2 != sb.grpcriteria2 {
            fields.push("grpcriteria2");
        }
        if sa.enablecertificate != sb.enablecertificate {
            fields.push("enablecertificate");
        }
        if sa.withdateformat != sb.withdateformat {
            fields.push("withdateformat");
        }
        if !fields.is_empty() {
            changes.push(Change::StyleChanged {
                email: sb.email.clone(),
                fields,
            });
        }
    }
    for (email, sb) in &b {
        if !a.contains_key(email) {
            changes.push(Change::StyleAdded {
                email: sb.email.clone(),
                template: sb.template.clone(),
            });
        }
    }
}

/// Planning rows compared whole, `togenerate` aside (a restore recomputes it).
fn planning(a: &[Planning], b: &[Planning], changes: &mut Vec<Change>) {
    let key = |p: &Planning| {
        (
            p.executiondate,
            p.beginperiod,
            p.endperiod,
            p.mailto.clone(),
            p.auto,
        )
    };
    let (ka, kb): (Vec<_>, Vec<_>) = (a.iter().map(key).collect(), b.iter().map(key).collect());
    for row in &ka {
        if !kb.contains(row) {
            changes.push(Change::PlanningRemoved {
                executiondate: row.0,
            });
        }
    }
    for row in &kb {
        if !ka.contains(row) {
            changes.push(Change::PlanningAdded {
                executiondate: row.0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::v2;

    /// A small document: one training, two milestones, one template, two learners.
    fn document() -> Document {
        let text = r#"{
  "format": "attestoodle-training-backup",
  "version": 2,
  "created": "2026-11-28T10:00:00Z",
  "generator": "test",
  "source": {"wwwroot": null, "source_training_id": 3},
  "training": {
    "name": "Licence", "category": {"name": "L1", "idnumber": null, "path": ["U", "L1"], "source_id": 4},
    "startdate": 1788217200, "enddate": 1801353600, "duration": null, "nbautolaunch": 0,
    "nextlaunch": 0, "checklearner": null, "template": "Site", "grpcriteria1": "coursename",
    "grpcriteria2": null
  },
  "milestones": [
    {"course": "CHIM", "section": 1, "position": 0,
     "activity": {"type": "page", "name": "Atomes", "idnumber": null, "source_cmid": 49},
     "creditedtime": 90, "name": "Atomes", "timemodified": 1},
    {"course": "CHIM", "section": 1, "position": 2,
     "activity": {"type": "quiz", "name": "Quiz", "idnumber": null, "source_cmid": 51},
     "creditedtime": 45, "name": "Quiz", "timemodified": 1}
  ],
  "templates": [
    {"name": "Site", "details": [
      {"type": "learnername", "data": "{\"font\": {\"size\": \"14\"}, \"location\": {\"x\": \"66\", \"y\": \"33\"}}"},
      {"type": "text", "data": "{\"text\": \"a\"}"},
      {"type": "text", "data": "{\"text\": \"b\"}"}
    ], "background": null}
  ],
  "learners": [
    {"email": "a@x.fr", "username": "a", "idnumber": null, "selected": 0, "predelete": 0, "resultcriteria": ""},
    {"email": "b@x.fr", "username": "b", "idnumber": null, "selected": 0, "predelete": 0, "resultcriteria": ""}
  ],
  "learner_styles": []
}"#;
        v2::parse(text.as_bytes()).expect("a valid test document")
    }

    #[test]
    fn the_same_definition_has_no_change_whatever_its_ids_and_dates_of_saving() {
        let a = document();
        let mut b = document();
        b.created = "2027-01-01T00:00:00Z".to_owned();
        b.source.source_training_id = 99;
        b.training.category.source_id = 77;
        for m in &mut b.milestones {
            m.activity.source_cmid = Some(1000);
            m.timemodified = Some(5);
        }
        b.learners[0].selected = Some(1);
        b.learners[0].resultcriteria = Some("x".to_owned());
        b.learners[1].email = "B@X.FR".to_owned();
        assert_eq!(compare(&a, &b), vec![]);
    }

    #[test]
    fn minutes_a_removed_learner_and_an_edited_detail_are_named_and_nothing_else() {
        let a = document();
        let mut b = document();
        b.milestones[1].creditedtime = 60;
        b.learners.remove(0);
        b.templates[0].details[0].data =
            r#"{"font": {"size": "16"}, "location": {"x": "66", "y": "33"}}"#.to_owned();
        let changes = compare(&a, &b);
        assert_eq!(
            changes,
            vec![
                Change::MilestoneMinutes {
                    place: Place {
                        course: "CHIM".into(),
                        section: 1,
                        position: 2
                    },
                    activity: Fingerprint {
                        kind: Some("quiz".into()),
                        name: Some("Quiz".into()),
                        idnumber: None
                    },
                    a: 45,
                    b: 60
                },
                Change::DetailChanged {
                    template: "Site".into(),
                    detail: "learnername".into(),
                    n: 1,
                    keys: vec!["font.size".into()]
                },
                Change::LearnerRemoved {
                    email: "a@x.fr".into()
                },
            ]
        );
        assert_eq!(
            changes[0].en(),
            "milestone at CHIM section 1 position 2 (quiz « Quiz »): 45 → 60 min"
        );
        assert_eq!(
            changes[0].fr(),
            "jalon en CHIM section 1 position 2 (quiz « Quiz ») : 45 → 60 min"
        );
    }

    #[test]
    fn another_activity_at_the_same_place_is_said_so() {
        let a = document();
        let mut b = document();
        b.milestones[0].activity.name = Some("Molécules".to_owned());
        let changes = compare(&a, &b);
        assert!(matches!(
            changes.as_slice(),
            [Change::MilestoneActivity { .. }]
        ));
        assert!(changes[0].en().contains("another activity"));
    }

    #[test]
    fn added_and_removed_milestones_templates_and_details() {
        let a = document();
        let mut b = document();
        b.milestones[0].position = 5;
        b.templates[0].details.pop();
        b.templates[0].name = "Autre".to_owned();
        b.training.template = Some("Autre".to_owned());
        b.training.startdate += 86_400;
        let kinds: Vec<&str> = compare(&a, &b)
            .iter()
            .map(|c| match c {
                Change::Training { field, .. } => field,
                Change::MilestoneAdded { .. } => "milestone-added",
                Change::MilestoneRemoved { .. } => "milestone-removed",
                Change::TemplateAdded { .. } => "template-added",
                Change::TemplateRemoved { .. } => "template-removed",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "startdate",
                "template",
                "milestone-removed",
                "milestone-added",
                "template-removed",
                "template-added"
            ]
        );
    }

    #[test]
    fn details_that_differ_only_in_spacing_are_the_same() {
        assert!(changed_keys(r#"{"a": 1, "b": {"c": 2}}"#, r#"{"b":{"c":2},"a":1}"#).is_empty());
        assert_eq!(changed_keys(r#"{"a": 1}"#, r#"{"a": 1, "z": 0}"#), ["z"]);
        assert_eq!(changed_keys("not json", "{}"), ["(text)"]);
    }

    #[test]
    fn every_change_reads_differently_in_french() {
        let place = Place {
            course: "C".into(),
            section: 0,
            position: 0,
        };
        let fp = Fingerprint {
            kind: None,
            name: Some("n".into()),
            idnumber: None,
        };
        let all = [
            Change::Training {
                field: "startdate",
                a: FieldValue::Date(Some(0)),
                b: FieldValue::Date(None),
            },
            Change::MilestoneAdded {
                place: place.clone(),
                activity: fp.clone(),
                creditedtime: 1,
            },
            Change::MilestoneRemoved {
                place: place.clone(),
                activity: fp.clone(),
                creditedtime: 1,
            },
            Change::MilestoneMinutes {
                place: place.clone(),
                activity: fp.clone(),
                a: 1,
                b: 2,
            },
            Change::MilestoneActivity {
                place: place.clone(),
                a: fp.clone(),
                b: fp.clone(),
            },
            Change::MilestoneName {
                place,
                a: None,
                b: Some("x".into()),
            },
            Change::TemplateAdded {
                template: "T".into(),
            },
            Change::TemplateRemoved {
                template: "T".into(),
            },
            Change::DetailAdded {
                template: "T".into(),
                detail: "text".into(),
                n: 1,
            },
            Change::DetailRemoved {
                template: "T".into(),
                detail: "text".into(),
                n: 1,
            },
            Change::DetailChanged {
                template: "T".into(),
                detail: "text".into(),
                n: 1,
                keys: vec!["text".into()],
            },
            Change::Background {
                template: "T".into(),
                a: None,
                b: None,
            },
            Change::LearnerAdded { email: "e".into() },
            Change::LearnerRemoved { email: "e".into() },
            Change::LearnerChanged {
                email: "e".into(),
                fields: vec!["username"],
            },
            Change::StyleAdded {
                email: "e".into(),
                template: "T".into(),
            },
            Change::StyleRemoved {
                email: "e".into(),
                template: "T".into(),
            },
            Change::StyleChanged {
                email: "e".into(),
                fields: vec!["template"],
            },
            Change::PlanningAdded { executiondate: 0 },
            Change::PlanningRemoved { executiondate: 0 },
        ];
        for change in all {
            let (en, fr) = (change.en(), change.fr());
            assert!(!en.is_empty() && !fr.is_empty());
            assert_ne!(en, fr, "{change:?}");
        }
    }
}
