//! The precheck: matching the natural identifiers of a document against a site. Every outcome
//! is a finding in the plan; only a database failure is an error.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::finding::{Advice, Code, Finding, Severity};
use super::mapping::{LearnerHow, MilestoneHow};
use super::zone::SiteZone;
use super::{
    BackgroundAction, Image, Internal, Mode, Plan, PlanCategory, PlanLearner, PlanMilestone,
    PlanPlanning, PlanSource, PlanStyle, PlanTemplate, PlanTraining, PlanningRow, Provenance,
    RestoreOptions, Status, StyleFields, TemplateAction, TemplateMode, TrainingAction,
};
use crate::document::v2::{Activity, Document, Template};
use crate::i18n::Lang;
use crate::moodle::{
    self, rules, CategoryTree, CourseModuleRow, SectionRow, Site, TargetTemplate, UserRow,
};

/// The longest training name (`training.name` is char(255)), in characters.
const MAX_TRAINING_NAME: usize = 255;
/// The longest template name (`template.name` is char(35)), in characters.
const MAX_TEMPLATE_NAME: usize = 35;
/// The template Attestoodle gives every new training.
const SITE_TEMPLATE: &str = "Site";

/// Matches `document` against `site` with the operator's `options` and says, in a [`Plan`],
/// what [`super::apply`] would write and everything it found.
///
/// Reads only. Fails only when the database does; every mismatch is a [`Finding`].
pub async fn precheck(
    site: &Site,
    document: &Document,
    options: &RestoreOptions,
) -> Result<Plan, moodle::Error> {
    let mut findings = Vec::new();
    provenance(&mut findings, &options.provenance);

    let name = options.rename.training_name(&document.training.name);
    let existing = site.trainings_named(&name).await?;
    // Only a restore onto exactly one training of that name replaces it (DECISIONS 15).
    let replaces = options.mode == Mode::Restore && existing.len() == 1;
    check_training_name(&mut findings, &name, replaces);
    let subject = vec![format!("training {name}")];
    let (action, existing_id) = match (existing.as_slice(), options.mode) {
        ([], _) => (TrainingAction::Create, None),
        ([one], Mode::Restore) => {
            let what_en = format!(
                "the training `{name}` exists (id {}): its milestones, learners, learner styles, \
                 template link and planning will be replaced; it keeps its id and its \
                 certificate history",
                one.id
            );
            let what_fr = format!(
                "la formation `{name}` existe (id {}) : ses jalons, apprenants, styles \
                 d'apprenants, lien de modèle et planification seront remplacés ; elle garde son \
                 id et l'historique de ses attestations",
                one.id
            );
            findings.push(Finding::advised(
                Code::ReplaceTraining,
                Severity::NeedsAccept,
                subject,
                what_en,
                what_fr,
                vec![Advice::Accept(Code::ReplaceTraining), Advice::Name(None)],
            ));
            (TrainingAction::Replace, Some(one.id))
        }
        ([one], Mode::Clone) => {
            findings.push(Finding::advised(
                Code::TrainingExists,
                Severity::Blocking,
                subject,
                format!(
                    "a training named `{name}` already exists (id {}): a clone never replaces",
                    one.id
                ),
                format!(
                    "une formation nommée `{name}` existe déjà (id {}) : un clonage ne remplace \
                     jamais",
                    one.id
                ),
                vec![Advice::SuffixOrName],
            ));
            (TrainingAction::Create, None)
        }
        (many, _) => {
            let ids = join_ids(many.iter().map(|t| t.id));
            findings.push(Finding::advised(
                Code::AmbiguousTraining,
                Severity::Blocking,
                subject,
                format!(
                    "{} trainings are named `{name}` (ids {ids}): rename all but one in \
                     Attestoodle",
                    many.len()
                ),
                format!(
                    "{} formations s'appellent `{name}` (ids {ids}) : renommez-les toutes sauf \
                     une dans Attestoodle",
                    many.len()
                ),
                vec![Advice::Name(None)],
            ));
            (TrainingAction::Create, None)
        }
    };

    let tree = site.category_tree().await?;
    let category = find_category(&mut findings, &tree, document, options);

    let training = &document.training;
    let days = options.shift.map_or(0, |s| s.days(training.startdate));
    // Saturating: a shift is bounded by the callers (MAX_SHIFT_DAYS), a file's dates are not.
    let delta = days.saturating_mul(86_400);
    let startdate = training.startdate.saturating_add(delta);
    let enddate = training.enddate.map(|d| d.saturating_add(delta));
    let zone = SiteZone::new(site.time_zone().await?);
    check_rules(&mut findings, training, startdate, enddate, &zone);
    if options.mode == Mode::Clone && days == 0 {
        dates_kept(&mut findings, &name, enddate, options.now, &zone);
    }

    let milestones = match_milestones(site, &mut findings, document, options).await?;
    nothing_to_restore(&mut findings, &name, &milestones);

    let file_store = site.writable_file_store().await?;
    let (templates, template_names) = match_templates(
        site,
        &mut findings,
        document,
        options,
        existing_id,
        file_store.is_some(),
    )
    .await?;
    let training_template = match &training.template {
        Some(t) => template_names.get(t).cloned(),
        None => templates
            .iter()
            .find(|t| t.target_name == SITE_TEMPLATE)
            .map(|t| t.target_name.clone()),
    };

    let (learners, learner_styles) =
        match_learners(site, &mut findings, document, options, &template_names).await?;

    let planning_table = site.has_planning_table().await?;
    let operator = match &options.operator {
        Some(username) => site.user_by_username(username).await?,
        None => site.site_admin_ids().await?.first().copied(),
    };
    let planning = plan_planning(
        &mut findings,
        document,
        options,
        delta,
        planning_table,
        operator,
    );
    let nbautolaunch = planning.rows.len() as i64;
    let nextlaunch = planning
        .rows
        .iter()
        .filter(|r| r.togenerate == 1)
        .map(|r| r.executiondate)
        .min()
        .unwrap_or(0);

    Ok(Plan {
        mode: options.mode,
        source: PlanSource {
            name: training.name.clone(),
            wwwroot: document.source.wwwroot.clone(),
            source_training_id: document.source.source_training_id,
            created: document.created.clone(),
        },
        training: PlanTraining {
            name,
            action,
            existing_id,
            category,
            startdate,
            enddate,
            duration: training.duration,
            checklearner: training.checklearner,
            nbautolaunch,
            nextlaunch,
            date_shift_days: days,
            template: training_template,
            grpcriteria1: training.grpcriteria1.clone(),
            grpcriteria2: training.grpcriteria2.clone(),
        },
        milestones,
        templates,
        learners,
        learner_styles,
        planning,
        findings,
        internal: Internal {
            zone,
            now: options.now,
            planning_table,
            file_store,
            wwwroot: site.target().wwwroot.clone(),
            operator,
        },
    })
}

fn join_ids(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn provenance(findings: &mut Vec<Finding>, provenance: &Provenance) {
    findings.push(match provenance {
        Provenance::Trusted(key) => Finding::new(
            Code::TrustedSigner,
            Severity::Info,
            vec![format!("key {key}")],
            format!("the file is signed by the trusted key {key}"),
            format!("le fichier est signé par la clé de confiance {key}"),
        ),
        Provenance::Untrusted(key) => Finding::advised(
            Code::UntrustedSigner,
            Severity::NeedsAccept,
            vec![format!("key {key}")],
            format!(
                "the file is intact but signed by the key {key}, which this site does not trust"
            ),
            format!(
                "le fichier est intact mais signé par la clé {key}, à laquelle ce site ne fait \
                 pas confiance"
            ),
            vec![Advice::TrustKey, Advice::Accept(Code::UntrustedSigner)],
        ),
        Provenance::Unsigned => Finding::advised(
            Code::Unsigned,
            Severity::NeedsAccept,
            vec!["file".to_owned()],
            "the file is not signed: nothing proves who made it or that it is unchanged",
            "le fichier n'est pas signé : rien ne prouve qui l'a produit ni qu'il est intact",
            vec![Advice::Accept(Code::Unsigned)],
        ),
        Provenance::LegacyChecksum => Finding::advised(
            Code::LegacyChecksum,
            Severity::NeedsAccept,
            vec!["file".to_owned()],
            "a legacy tool_save_attestoodle file: its checksum is right, but anyone can \
             recompute it, so it proves no author",
            "un ancien fichier tool_save_attestoodle : sa somme de contrôle est juste, mais \
             n'importe qui peut la recalculer, elle ne prouve donc pas l'auteur",
            vec![Advice::Accept(Code::LegacyChecksum)],
        ),
    });
}

/// Refuses a name Attestoodle refuses for a new training (DECISIONS 3, 11), proposing a
/// corrected one; when the existing training of exactly that name is replaced, the name is
/// kept and only said (DECISIONS 15).
fn check_training_name(findings: &mut Vec<Finding>, name: &str, replaces: bool) {
    let length = name.chars().count();
    let problem = if name.is_empty() {
        Some(("it is empty", "il est vide"))
    } else if name.contains('/') {
        Some((
            "it contains `/`, which Attestoodle refuses in a new training's name",
            "il contient `/`, qu'Attestoodle refuse dans le nom d'une nouvelle formation",
        ))
    } else if length > MAX_TRAINING_NAME {
        Some((
            "it is longer than 255 characters",
            "il dépasse 255 caractères",
        ))
    } else {
        None
    };
    let Some((en, fr)) = problem else { return };
    let subject = vec![format!("training {name}")];
    if replaces && !name.is_empty() {
        findings.push(Finding::new(
            Code::NameKept,
            Severity::Info,
            subject,
            format!(
                "the training `{name}` keeps its name, made before today's rules: a new \
                 training could not take it ({en})"
            ),
            format!(
                "la formation `{name}` garde son nom, antérieur aux règles actuelles : une \
                 nouvelle formation ne pourrait pas le prendre ({fr})"
            ),
        ));
        return;
    }
    let proposal = corrected_name(name);
    findings.push(Finding::advised(
        Code::InvalidName,
        Severity::Blocking,
        subject,
        format!("the training name `{name}` cannot be used for a new training: {en}"),
        format!("le nom `{name}` est refusé pour une nouvelle formation : {fr}"),
        vec![Advice::Name(Some(proposal))],
    ));
}

/// A name Attestoodle accepts for a new training, close to `name`: every `/` becomes ` - `
/// with one space on each side (DECISIONS 3), at most 255 characters; `NAME` for an empty one.
pub fn corrected_name(name: &str) -> String {
    if name.is_empty() {
        return "NAME".to_owned();
    }
    let pieces: Vec<&str> = name.split('/').collect();
    let last = pieces.len() - 1;
    let mut out = String::with_capacity(name.len() + 2 * last);
    for (index, piece) in pieces.iter().enumerate() {
        let mut piece = *piece;
        if index > 0 {
            out.push_str(" - ");
            piece = piece.trim_start();
        }
        if index < last {
            piece = piece.trim_end();
        }
        out.push_str(piece);
    }
    out.chars().take(MAX_TRAINING_NAME).collect()
}

fn find_category(
    findings: &mut Vec<Finding>,
    tree: &CategoryTree,
    document: &Document,
    options: &RestoreOptions,
) -> Option<PlanCategory> {
    let wanted = &document.training.category;
    let described = if wanted.path.is_empty() {
        format!("id {}", wanted.source_id)
    } else {
        wanted.path.join(" / ")
    };
    let found = |id: i64, by: &'static str, findings: &mut Vec<Finding>| {
        let path = tree.path_text(id);
        let (en, fr) = match by {
            "option" => ("as chosen", "comme choisie"),
            "idnumber" => (
                "found by its idnumber",
                "trouvée par son numéro d'identification",
            ),
            "path" => (
                "found by its path of names",
                "trouvée par son chemin de noms",
            ),
            _ => (
                "found by its id on the source site, whose name matches",
                "trouvée par son id sur le site d'origine, dont le nom correspond",
            ),
        };
        findings.push(Finding::new(
            Code::CategoryMatched,
            Severity::Info,
            vec![format!("category {path}")],
            format!("category `{path}` (id {id}) {en}"),
            format!("catégorie `{path}` (id {id}) {fr}"),
        ));
        Some(PlanCategory {
            id,
            path,
            matched_by: by,
        })
    };
    let ambiguous = |ids: &[i64], what: &str, findings: &mut Vec<Finding>| {
        let list = ids
            .iter()
            .map(|id| format!("{id} ({})", tree.path_text(*id)))
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(Finding::advised(
            Code::AmbiguousCategory,
            Severity::Blocking,
            vec![format!("category {what}")],
            format!("several categories match `{what}`: {list}"),
            format!("plusieurs catégories correspondent à `{what}` : {list}"),
            vec![Advice::Category],
        ));
        None
    };
    if let Some(spec) = &options.category {
        let ids = tree.find(spec);
        return match ids.as_slice() {
            [id] => found(*id, "option", findings),
            [] => {
                findings.push(Finding::advised(
                    Code::CategoryMissing,
                    Severity::Blocking,
                    vec![format!("category {spec}")],
                    format!(
                        "no category of this site is `{spec}` (an id, an idnumber, or a path of \
                         names such as `Top / Sub`)"
                    ),
                    format!(
                        "aucune catégorie de ce site n'est `{spec}` (un id, un numéro \
                         d'identification ou un chemin de noms comme `Haut / Sous`)"
                    ),
                    vec![Advice::Category],
                ));
                None
            }
            many => ambiguous(many, spec, findings),
        };
    }
    if let Some(idnumber) = wanted.idnumber.as_deref().filter(|s| !s.is_empty()) {
        let ids = tree.find_by_idnumber(idnumber);
        match ids.as_slice() {
            [id] => return found(*id, "idnumber", findings),
            [] => {}
            many => return ambiguous(many, idnumber, findings),
        }
    }
    if !wanted.path.is_empty() {
        let ids = tree.find_by_path(&wanted.path);
        match ids.as_slice() {
            [id] => return found(*id, "path", findings),
            [] => {}
            many => return ambiguous(many, &described, findings),
        }
    }
    if let (Some(category), Some(name)) = (tree.get(wanted.source_id), &wanted.name) {
        if category.name == *name {
            return found(wanted.source_id, "source-id", findings);
        }
    }
    // A legacy file names its category by id only (FORMAT.md "Legacy files"): an id means
    // nothing across sites, so the operator must accept the category it designates here.
    if wanted.name.is_none() && wanted.path.is_empty() && tree.get(wanted.source_id).is_some() {
        let id = wanted.source_id;
        let path = tree.path_text(id);
        findings.push(Finding::advised(
            Code::CategoryById,
            Severity::NeedsAccept,
            vec![format!("category {path}")],
            format!(
                "the file knows its category by id alone (a legacy file): id {id} is `{path}` on \
                 this site"
            ),
            format!(
                "le fichier ne connaît sa catégorie que par son id (fichier ancien) : l'id {id} \
                 est `{path}` sur ce site"
            ),
            vec![Advice::Accept(Code::CategoryById), Advice::Category],
        ));
        return Some(PlanCategory {
            id,
            path,
            matched_by: "source-id-only",
        });
    }
    findings.push(Finding::advised(
        Code::CategoryMissing,
        Severity::Blocking,
        vec![format!("category {described}")],
        format!(
            "the category `{described}` is not on this site (neither its idnumber, nor its path \
             of names, nor its id with the same name)"
        ),
        format!(
            "la catégorie `{described}` n'existe pas sur ce site (ni son numéro \
             d'identification, ni son chemin de noms, ni son id avec le même nom)"
        ),
        vec![Advice::Category],
    ));
    None
}

fn check_rules(
    findings: &mut Vec<Finding>,
    training: &crate::document::v2::Training,
    startdate: i64,
    enddate: Option<i64>,
    zone: &SiteZone,
) {
    if let (Some(a), Some(b)) = (&training.grpcriteria1, &training.grpcriteria2) {
        if a == b && !a.is_empty() {
            findings.push(Finding::new(
                Code::SameGrouping,
                Severity::Blocking,
                vec![format!("training {}", training.name)],
                format!(
                    "the two groupings of the certificate are both `{a}`; Attestoodle requires \
                     them to differ: fix the file's source training, then save it again"
                ),
                format!(
                    "les deux regroupements de l'attestation valent `{a}` ; Attestoodle exige \
                     qu'ils diffèrent : corrigez la formation d'origine, puis sauvegardez-la à \
                     nouveau"
                ),
            ));
        }
    }
    if let Some(end) = enddate.filter(|end| startdate > *end) {
        let (start_day, end_day) = (zone.day(startdate), zone.day(end));
        let (zone_en, zone_fr) = (zone.label(Lang::En), zone.label(Lang::Fr));
        findings.push(Finding::new(
            Code::DatesReversed,
            Severity::Blocking,
            vec![format!("training {}", training.name)],
            format!(
                "the start date ({start_day}) is after the end date ({end_day}, {zone_en}); \
                 Attestoodle requires start ≤ end: fix the source training, then save it again"
            ),
            format!(
                "la date de début ({start_day}) est après la date de fin ({end_day}, {zone_fr}) ; \
                 Attestoodle exige début ≤ fin : corrigez la formation d'origine, puis \
                 sauvegardez-la à nouveau"
            ),
        ));
    }
}

/// A clone that keeps the file's dates while its end date is past: said, with the options
/// that move them.
fn dates_kept(
    findings: &mut Vec<Finding>,
    name: &str,
    enddate: Option<i64>,
    now: i64,
    zone: &SiteZone,
) {
    let Some(end) = enddate.filter(|end| *end > 0 && *end < now) else {
        return;
    };
    let day = zone.day(end);
    let (zone_en, zone_fr) = (zone.label(Lang::En), zone.label(Lang::Fr));
    findings.push(Finding::advised(
        Code::DatesKept,
        Severity::Info,
        vec![format!("training {name}")],
        format!(
            "the clone keeps the file's dates, and its end date ({day}, {zone_en}) is in the past"
        ),
        format!(
            "le clone garde les dates du fichier, et sa date de fin ({day}, {zone_fr}) est passée"
        ),
        vec![Advice::Dates],
    ));
}

/// Blocks a restore whose file has milestones none of which would be written, naming why; says
/// so (info) when the file itself has none.
fn nothing_to_restore(findings: &mut Vec<Finding>, name: &str, milestones: &[PlanMilestone]) {
    let subject = vec![format!("training {name}")];
    if milestones.is_empty() {
        findings.push(Finding::new(
            Code::NoMilestones,
            Severity::Info,
            subject,
            format!("the file has no milestones: the training `{name}` is written without any"),
            format!("le fichier n'a aucun jalon : la formation `{name}` est écrite sans jalon"),
        ));
        return;
    }
    if milestones.iter().any(|m| m.status == Status::Write) {
        return;
    }
    let count = milestones.len();
    let missing: BTreeSet<&str> = milestones
        .iter()
        .filter(|m| m.finding == Some(Code::MissingCourse))
        .map(|m| m.target_course.as_str())
        .collect();
    let (en, fr) = if milestones
        .iter()
        .all(|m| m.finding == Some(Code::MissingCourse))
    {
        let list = missing.iter().copied().collect::<Vec<_>>().join(", ");
        (
            format!(
                "no course of the file is on this site ({list}): restore or clone the courses \
                 first with Moodle's course backup, or check the suffix and the course renames"
            ),
            format!(
                "aucun cours du fichier n'existe sur ce site ({list}) : restaurez ou clonez \
                 d'abord les cours avec la sauvegarde de cours de Moodle, ou vérifiez le suffixe \
                 et les renommages de cours"
            ),
        )
    } else {
        let mut reasons: BTreeMap<Code, usize> = BTreeMap::new();
        for m in milestones {
            if let Some(code) = m.finding {
                *reasons.entry(code).or_default() += 1;
            }
        }
        let list = reasons
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!(
                "no activity of the file is matched on this site ({list}): see the findings \
                 above"
            ),
            format!(
                "aucune activité du fichier ne correspond sur ce site ({list}) : voyez les \
                 constats ci-dessus"
            ),
        )
    };
    findings.push(Finding::new(
        Code::NothingToRestore,
        Severity::Blocking,
        subject,
        format!(
            "none of the file's {count} milestone(s) would be written, and a training without \
             milestones certifies nothing: {en}"
        ),
        format!(
            "aucun des {count} jalon(s) du fichier ne serait écrit, et une formation sans jalon \
             n'atteste rien : {fr}"
        ),
    ));
}

/// Whether a module carries the fingerprint of a file's activity: the same type and name, and
/// the same idnumber when the file has one. A legacy file has no type: the name alone counts.
fn fingerprint_matches(activity: &Activity, module: &CourseModuleRow) -> bool {
    let kind = activity
        .kind
        .as_ref()
        .is_none_or(|k| module.kind.as_ref() == Some(k));
    let name = activity
        .name
        .as_ref()
        .is_none_or(|n| module.name.as_ref() == Some(n));
    let idnumber = activity
        .idnumber
        .as_ref()
        .is_none_or(|i| module.idnumber_set() == Some(i.as_str()));
    kind && name && idnumber
}

enum CourseMatch {
    Found { id: i64 },
    Missing,
    Ambiguous,
}

async fn match_milestones(
    site: &Site,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
) -> Result<Vec<PlanMilestone>, moodle::Error> {
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    for m in &document.milestones {
        targets
            .entry(m.course.clone())
            .or_insert_with(|| options.rename.course(&m.course));
    }
    let wanted: Vec<String> = targets
        .values()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = site.courses_by_shortname(&wanted).await?;
    let mut courses: HashMap<String, CourseMatch> = HashMap::new();
    for (original, target) in &targets {
        let found: Vec<_> = rows.iter().filter(|c| c.shortname == *target).collect();
        let renamed = if original == target {
            String::new()
        } else {
            format!(" (`{original}` in the file)")
        };
        let renamed_fr = if original == target {
            String::new()
        } else {
            format!(" (`{original}` dans le fichier)")
        };
        let count = document
            .milestones
            .iter()
            .filter(|m| m.course == *original)
            .count();
        let subject = vec![format!("course {target}")];
        let state = match found.as_slice() {
            [] => {
                findings.push(Finding::advised(
                    Code::MissingCourse,
                    Severity::NeedsAccept,
                    subject,
                    format!(
                        "no course has the short name `{target}`{renamed}: its {count} \
                         milestone(s) will be skipped; restore the course first with Moodle's \
                         course backup"
                    ),
                    format!(
                        "aucun cours n'a le nom abrégé `{target}`{renamed_fr} : ses {count} \
                         jalon(s) seront ignorés ; restaurez d'abord le cours avec la sauvegarde \
                         de cours de Moodle"
                    ),
                    vec![Advice::Accept(Code::MissingCourse)],
                ));
                CourseMatch::Missing
            }
            [course] => {
                if !course.completion_enabled {
                    findings.push(Finding::advised(
                        Code::CourseNoCompletion,
                        Severity::NeedsAccept,
                        subject,
                        format!(
                            "the course `{target}` (id {}) has completion tracking disabled: its \
                             milestones are linked but count for no learner until it is enabled",
                            course.id
                        ),
                        format!(
                            "le cours `{target}` (id {}) n'a pas le suivi d'achèvement activé : \
                             ses jalons sont liés mais ne comptent pour aucun apprenant tant \
                             qu'il n'est pas activé",
                            course.id
                        ),
                        vec![Advice::Accept(Code::CourseNoCompletion)],
                    ));
                }
                CourseMatch::Found { id: course.id }
            }
            many => {
                let ids = join_ids(many.iter().map(|c| c.id));
                findings.push(Finding::advised(
                    Code::AmbiguousCourse,
                    Severity::Blocking,
                    subject,
                    format!(
                        "{} courses have the short name `{target}` (ids {ids}): Moodle expects \
                         it unique; rename the extra ones",
                        many.len()
                    ),
                    format!(
                        "{} cours ont le nom abrégé `{target}` (ids {ids}) : Moodle le veut \
                         unique ; renommez les autres",
                        many.len()
                    ),
                    vec![Advice::RenameCourse(original.clone())],
                ));
                CourseMatch::Ambiguous
            }
        };
        courses.insert(original.clone(), state);
    }
    let course_ids: Vec<i64> = courses
        .values()
        .filter_map(|c| match c {
            CourseMatch::Found { id } => Some(*id),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (sections, modules) = site.course_structure(&course_ids).await?;
    let sections: HashMap<(i64, i64), &SectionRow> = sections
        .iter()
        .map(|s| ((s.course, s.section), s))
        .collect();
    let by_cmid: HashMap<i64, &CourseModuleRow> = modules.iter().map(|m| (m.cmid, m)).collect();

    let mut used = BTreeSet::new();
    let mut out = Vec::with_capacity(document.milestones.len());
    for m in &document.milestones {
        let target = targets
            .get(&m.course)
            .cloned()
            .unwrap_or_else(|| m.course.clone());
        let place = format!("{target} section {} position {}", m.section, m.position);
        let shown = m
            .activity
            .name
            .clone()
            .unwrap_or_else(|| "(no name)".to_owned());
        let mut line = PlanMilestone {
            course: m.course.clone(),
            target_course: target.clone(),
            section: m.section,
            position: m.position,
            activity: m.activity.name.clone(),
            kind: m.activity.kind.clone(),
            creditedtime: m.creditedtime,
            status: Status::Skip,
            course_id: None,
            cmid: None,
            name: None,
            target_kind: None,
            finding: None,
            how: MilestoneHow::Skipped,
        };
        let course = match courses.get(&m.course) {
            Some(CourseMatch::Found { id }) => *id,
            Some(CourseMatch::Ambiguous) => {
                line.finding = Some(Code::AmbiguousCourse);
                out.push(line);
                continue;
            }
            _ => {
                line.finding = Some(Code::MissingCourse);
                out.push(line);
                continue;
            }
        };
        line.course_id = Some(course);
        let at_place = sections
            .get(&(course, m.section))
            .and_then(|s| rules::cmid_at_position(s.sequence(), m.position))
            .and_then(|cmid| by_cmid.get(&cmid).copied())
            .filter(|cm| cm.course == course);
        let chosen = match at_place {
            Some(cm) if fingerprint_matches(&m.activity, cm) => Some(cm),
            _ => {
                let candidates: Vec<&CourseModuleRow> = modules
                    .iter()
                    .filter(|cm| {
                        cm.course == course
                            && !cm.deletion_in_progress
                            && fingerprint_matches(&m.activity, cm)
                    })
                    .collect();
                if let [cm] = candidates.as_slice() {
                    findings.push(Finding::new(
                        Code::ActivityMoved,
                        Severity::Info,
                        vec![format!("milestone {place}")],
                        format!(
                            "`{shown}` is no longer at section {} position {} of `{target}`; it \
                             was found elsewhere in the course by its type and name (cm {}) and \
                             is used",
                            m.section, m.position, cm.cmid
                        ),
                        format!(
                            "`{shown}` n'est plus en section {} position {} de `{target}` ; elle \
                             a été trouvée ailleurs dans le cours par son type et son nom (cm {}) \
                             et est utilisée",
                            m.section, m.position, cm.cmid
                        ),
                    ));
                    line.finding = Some(Code::ActivityMoved);
                    Some(*cm)
                } else {
                    let (code, en, fr) = match at_place {
                        Some(cm) => (
                            Code::ActivityMismatch,
                            format!(
                                "at section {} position {} of `{target}` is `{}` ({}), not \
                                 `{shown}`, and no single activity of the course carries its \
                                 fingerprint: the milestone will be skipped",
                                m.section,
                                m.position,
                                cm.name.as_deref().unwrap_or("?"),
                                cm.kind.as_deref().unwrap_or("?")
                            ),
                            format!(
                                "en section {} position {} de `{target}` se trouve `{}` ({}), pas \
                                 `{shown}`, et aucune activité unique du cours ne porte son \
                                 empreinte : le jalon sera ignoré",
                                m.section,
                                m.position,
                                cm.name.as_deref().unwrap_or("?"),
                                cm.kind.as_deref().unwrap_or("?")
                            ),
                        ),
                        None => (
                            Code::MissingActivity,
                            format!(
                                "`{shown}` is neither at section {} position {} of `{target}` nor \
                                 anywhere else in the course: the milestone will be skipped",
                                m.section, m.position
                            ),
                            format!(
                                "`{shown}` n'est ni en section {} position {} de `{target}` ni \
                                 ailleurs dans le cours : le jalon sera ignoré",
                                m.section, m.position
                            ),
                        ),
                    };
                    findings.push(Finding::advised(
                        code,
                        Severity::NeedsAccept,
                        vec![format!("milestone {place}")],
                        en,
                        fr,
                        vec![Advice::Accept(code)],
                    ));
                    line.finding = Some(code);
                    None
                }
            }
        };
        let Some(cm) = chosen else {
            out.push(line);
            continue;
        };
        line.cmid = Some(cm.cmid);
        line.name = cm.name.clone();
        line.target_kind = cm.kind.clone();
        if cm.completion == 0 || cm.deletion_in_progress || !cm.kind_enabled() {
            let (en_why, fr_why) = if cm.deletion_in_progress {
                ("is being deleted", "est en cours de suppression")
            } else if !cm.kind_enabled() {
                (
                    "is of an activity type disabled on this site",
                    "est d'un type d'activité désactivé sur ce site",
                )
            } else {
                ("has completion disabled", "n'a pas d'achèvement activé")
            };
            findings.push(Finding::advised(
                Code::ActivityNoCompletion,
                Severity::NeedsAccept,
                vec![format!("milestone {place}")],
                format!(
                    "`{shown}` (cm {}) {en_why}: the milestone will be skipped",
                    cm.cmid
                ),
                format!("`{shown}` (cm {}) {fr_why} : le jalon sera ignoré", cm.cmid),
                vec![Advice::Accept(Code::ActivityNoCompletion)],
            ));
            line.finding = Some(Code::ActivityNoCompletion);
            out.push(line);
            continue;
        }
        if !used.insert(cm.cmid) {
            findings.push(Finding::new(
                Code::DuplicateMilestone,
                Severity::Info,
                vec![format!("milestone {place}")],
                format!(
                    "`{shown}` leads to the activity cm {} that another milestone of the file \
                     already uses: it is written once",
                    cm.cmid
                ),
                format!(
                    "`{shown}` mène à l'activité cm {} qu'un autre jalon du fichier utilise déjà : \
                     elle n'est écrite qu'une fois",
                    cm.cmid
                ),
            ));
            line.finding = Some(Code::DuplicateMilestone);
            out.push(line);
            continue;
        }
        line.status = Status::Write;
        out.push(line);
    }
    for line in &mut out {
        line.how = MilestoneHow::of(line.status, line.finding);
    }
    Ok(out)
}

fn image_of(template: &Template) -> Option<Image> {
    let background = template.background.as_ref()?;
    let bytes = STANDARD.decode(&background.content).ok()?;
    Some(Image {
        filename: background.filename.clone(),
        mimetype: background.mimetype.clone(),
        bytes,
    })
}

fn identical(template: &Template, site: &TargetTemplate) -> bool {
    let details: Vec<(String, String)> = template
        .details
        .iter()
        .map(|d| (d.kind.clone(), d.data.clone()))
        .collect();
    details == site.details
        && template
            .background
            .as_ref()
            .is_none_or(|b| site.background_sha1.as_deref() == Some(b.sha1.as_str()))
}

/// Decides what happens to every template the training and its learner styles use; gives the
/// plan's templates and the target name of each file template.
async fn match_templates(
    site: &Site,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
    existing_training: Option<i64>,
    file_store: bool,
) -> Result<(Vec<PlanTemplate>, HashMap<String, String>), moodle::Error> {
    let training_template = document.training.template.clone();
    let mut referenced: Vec<String> = Vec::new();
    if let Some(t) = &training_template {
        referenced.push(t.clone());
    }
    if options.learners {
        for style in &document.learner_styles {
            if !referenced.contains(&style.template) {
                referenced.push(style.template.clone());
            }
        }
    }
    let mut names: HashMap<String, String> = HashMap::new();
    for name in &referenced {
        let target = match (&options.template, &training_template) {
            (TemplateMode::Copy(copy), Some(t)) if t == name => copy.clone(),
            _ => name.clone(),
        };
        names.insert(name.clone(), target);
    }
    let mut lookup: Vec<String> = names.values().cloned().collect();
    if training_template.is_none() {
        lookup.push(SITE_TEMPLATE.to_owned());
    }
    let on_site = site.templates_by_name(&lookup).await?;

    let mut out = Vec::new();
    if training_template.is_none() {
        let site_template = on_site.iter().find(|t| t.template.name == SITE_TEMPLATE);
        let (en, fr) = match site_template {
            Some(_) => (
                "the file names no template for the training: it gets the site's template `Site`, as Attestoodle gives every new training",
                "le fichier n'indique aucun modèle pour la formation : elle reçoit le modèle `Site` du site, comme Attestoodle pour toute nouvelle formation",
            ),
            None => (
                "the file names no template for the training, and this site has no template `Site`: the training gets no template link",
                "le fichier n'indique aucun modèle pour la formation, et ce site n'a pas de modèle `Site` : la formation n'aura pas de lien de modèle",
            ),
        };
        findings.push(Finding::new(
            Code::NoTemplate,
            Severity::Info,
            vec![format!("training {}", document.training.name)],
            en,
            fr,
        ));
        if let Some(t) = site_template.filter(|_| !names.contains_key(SITE_TEMPLATE)) {
            out.push(PlanTemplate {
                name: SITE_TEMPLATE.to_owned(),
                target_name: SITE_TEMPLATE.to_owned(),
                action: TemplateAction::Reuse,
                id: Some(t.template.id),
                background: BackgroundAction::None,
                details: Vec::new(),
                image: None,
            });
        }
    }
    for name in &referenced {
        let target = names.get(name).cloned().unwrap_or_else(|| name.clone());
        let subject = vec![format!("template {target}")];
        let from_file = document.templates.iter().find(|t| t.name == *name);
        let matches: Vec<&TargetTemplate> = on_site
            .iter()
            .filter(|t| t.template.name == target)
            .collect();
        let is_copy = matches!(options.template, TemplateMode::Copy(_))
            && training_template.as_ref() == Some(name);
        let mut line = PlanTemplate {
            name: name.clone(),
            target_name: target.clone(),
            action: TemplateAction::Reuse,
            id: None,
            background: BackgroundAction::None,
            details: from_file
                .map(|t| {
                    t.details
                        .iter()
                        .map(|d| (d.kind.clone(), d.data.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            image: from_file.and_then(image_of),
        };
        if matches.len() > 1 {
            let ids = join_ids(matches.iter().map(|t| t.template.id));
            findings.push(Finding::new(
                Code::AmbiguousTemplate,
                Severity::Blocking,
                subject,
                format!(
                    "{} templates are named `{target}` (ids {ids}): rename the extra ones in \
                     Attestoodle",
                    matches.len()
                ),
                format!(
                    "{} modèles s'appellent `{target}` (ids {ids}) : renommez les autres dans \
                     Attestoodle",
                    matches.len()
                ),
            ));
            out.push(line);
            continue;
        }
        let background = |line: &mut PlanTemplate, findings: &mut Vec<Finding>| match (
            &line.image,
            file_store,
        ) {
            (Some(_), true) => line.background = BackgroundAction::Store,
            (Some(image), false) => {
                line.background = BackgroundAction::Skip;
                findings.push(Finding::advised(
                    Code::BackgroundSkipped,
                    Severity::NeedsAccept,
                    vec![format!("template {}", line.target_name)],
                    format!(
                        "the image `{}` of template `{}` cannot be written: no writable \
                         Moodle file store; the template is written without it",
                        image.filename, line.target_name
                    ),
                    format!(
                        "l'image `{}` du modèle `{}` ne peut être écrite : pas de stockage de \
                         fichiers Moodle accessible en écriture ; le modèle est écrit sans elle",
                        image.filename, line.target_name
                    ),
                    vec![Advice::FileStore, Advice::Accept(Code::BackgroundSkipped)],
                ));
            }
            (None, _) => {
                if line.details.iter().any(|(kind, _)| kind == "background") {
                    findings.push(Finding::new(
                        Code::BackgroundNotInFile,
                        Severity::Info,
                        vec![format!("template {}", line.target_name)],
                        format!(
                            "the file carries no image for the background of template `{}`: \
                                 add one in Attestoodle after the restore",
                            line.target_name
                        ),
                        format!(
                            "le fichier ne contient pas l'image de fond du modèle `{}` : \
                                 ajoutez-la dans Attestoodle après la restauration",
                            line.target_name
                        ),
                    ));
                }
            }
        };
        match (from_file, matches.first()) {
            (None, Some(existing)) => line.id = Some(existing.template.id),
            (None, None) => {
                findings.push(Finding::new(
                    Code::MissingTemplate,
                    Severity::Blocking,
                    subject,
                    format!(
                        "the file refers to the template `{target}` without carrying it, and this \
                         site has none of that name: create it in Attestoodle first"
                    ),
                    format!(
                        "le fichier mentionne le modèle `{target}` sans le contenir, et ce site \
                         n'en a aucun de ce nom : créez-le d'abord dans Attestoodle"
                    ),
                ));
            }
            (Some(_), None) => {
                line.action = TemplateAction::Create;
                if target.is_empty() || target.chars().count() > MAX_TEMPLATE_NAME {
                    let proposal: String = target.chars().take(MAX_TEMPLATE_NAME).collect();
                    findings.push(Finding::advised(
                        Code::InvalidName,
                        Severity::Blocking,
                        subject,
                        format!(
                            "the template name `{target}` cannot be used: a template name has 1 \
                             to 35 characters"
                        ),
                        format!(
                            "le nom de modèle `{target}` est refusé : un nom de modèle a de 1 à \
                             35 caractères"
                        ),
                        vec![Advice::TemplateCopyName(
                            (!proposal.is_empty()).then_some(proposal),
                        )],
                    ));
                }
                background(&mut line, findings);
            }
            (Some(file), Some(existing)) => {
                line.id = Some(existing.template.id);
                if identical(file, existing) {
                    // Same content: nothing to write.
                } else if is_copy {
                    findings.push(Finding::advised(
                        Code::TemplateNameTaken,
                        Severity::Blocking,
                        subject,
                        format!("a template named `{target}` already exists with other content"),
                        format!("un modèle nommé `{target}` existe déjà avec un autre contenu"),
                        vec![Advice::TemplateCopyName(None)],
                    ));
                } else if options.template == TemplateMode::Replace {
                    line.action = TemplateAction::Replace;
                    let usage = site.template_usage(existing.template.id).await?;
                    let others: Vec<String> = usage
                        .trainings
                        .iter()
                        .filter(|(id, _)| Some(*id) != existing_training)
                        .map(|(id, name)| format!("`{}` (id {id})", name.as_deref().unwrap_or("?")))
                        .collect();
                    let styles: i64 = usage
                        .learner_styles
                        .iter()
                        .filter(|(id, _)| Some(*id) != existing_training)
                        .map(|(_, n)| n)
                        .sum();
                    let mut subjects = subject.clone();
                    subjects.extend(others.iter().map(|o| format!("training {o}")));
                    let (others_en, others_fr) = if others.is_empty() {
                        (
                            "no other training".to_owned(),
                            "aucune autre formation".to_owned(),
                        )
                    } else {
                        (
                            format!("the trainings {}", others.join(", ")),
                            format!("les formations {}", others.join(", ")),
                        )
                    };
                    findings.push(Finding::advised(
                        Code::ReplaceSharedTemplate,
                        Severity::NeedsAccept,
                        subjects,
                        format!(
                            "rewriting the template `{target}` from the file changes it for \
                             {others_en} and {styles} learner style(s) of other trainings too: \
                             their certificates change"
                        ),
                        format!(
                            "réécrire le modèle `{target}` depuis le fichier le change aussi pour \
                             {others_fr} et {styles} style(s) d'apprenants d'autres formations : \
                             leurs attestations changent"
                        ),
                        vec![
                            Advice::Accept(Code::ReplaceSharedTemplate),
                            Advice::TemplateCopyName(None),
                        ],
                    ));
                    background(&mut line, findings);
                } else {
                    findings.push(Finding::advised(
                        Code::TemplateDiffers,
                        Severity::Info,
                        subject,
                        format!(
                            "the template `{target}` exists with other content than in the file: \
                             the site's template is used as it is"
                        ),
                        format!(
                            "le modèle `{target}` existe avec un autre contenu que dans le \
                             fichier : celui du site est utilisé tel quel"
                        ),
                        vec![Advice::TemplateReplace, Advice::TemplateCopyName(None)],
                    ));
                }
            }
        }
        out.push(line);
    }
    Ok((out, names))
}

/// Finds the account of an email, with the username to choose among several.
fn resolve<'a>(
    users: &HashMap<String, Vec<&'a UserRow>>,
    email: &str,
    username: Option<&str>,
) -> Result<&'a UserRow, Code> {
    if email.is_empty() {
        return Err(Code::MissingLearner);
    }
    let candidates = users
        .get(&email.to_lowercase())
        .map(Vec::as_slice)
        .unwrap_or_default();
    match candidates {
        [] => Err(Code::MissingLearner),
        [one] => Ok(one),
        many => {
            let picked: Vec<&&UserRow> = many
                .iter()
                .filter(|u| Some(u.username.as_str()) == username)
                .collect();
            match picked.as_slice() {
                [one] => Ok(one),
                _ => Err(Code::AmbiguousLearner),
            }
        }
    }
}

fn learner_finding(code: Code, email: &str, count: usize) -> Finding {
    let subject = vec![format!("learner {email}")];
    match code {
        Code::AmbiguousLearner => Finding::advised(
            code,
            Severity::NeedsAccept,
            subject,
            format!(
                "{count} accounts have the email `{email}` and the file's username picks none of \
                 them: the learner will be skipped"
            ),
            format!(
                "{count} comptes ont l'adresse `{email}` et le nom d'utilisateur du fichier n'en \
                 désigne aucun : l'apprenant sera ignoré"
            ),
            vec![Advice::Accept(code)],
        ),
        _ => Finding::advised(
            Code::MissingLearner,
            Severity::NeedsAccept,
            subject,
            format!(
                "no account (deleted ones aside) has the email `{email}`: the learner will be \
                 skipped"
            ),
            format!(
                "aucun compte (hors comptes supprimés) n'a l'adresse `{email}` : l'apprenant \
                 sera ignoré"
            ),
            vec![Advice::Accept(Code::MissingLearner)],
        ),
    }
}

async fn match_learners(
    site: &Site,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
    template_names: &HashMap<String, String>,
) -> Result<(Vec<PlanLearner>, Vec<PlanStyle>), moodle::Error> {
    if !options.learners {
        let (learners, styles) = (document.learners.len(), document.learner_styles.len());
        if learners + styles > 0 {
            findings.push(Finding::advised(
                Code::LearnersLeftOut,
                Severity::Info,
                vec![format!("training {}", document.training.name)],
                format!(
                    "the file's {learners} learner(s) and {styles} learner style(s) are left out"
                ),
                format!(
                    "les {learners} apprenant(s) et {styles} style(s) d'apprenants du fichier ne \
                     sont pas repris"
                ),
                vec![Advice::WithLearners],
            ));
        }
        return Ok((Vec::new(), Vec::new()));
    }
    let emails: Vec<String> = document
        .learners
        .iter()
        .map(|l| l.email.clone())
        .chain(document.learner_styles.iter().map(|s| s.email.clone()))
        .collect();
    let rows = site.users_by_email(&emails).await?;
    let mut users: HashMap<String, Vec<&UserRow>> = HashMap::new();
    for user in &rows {
        users
            .entry(user.email.to_lowercase())
            .or_default()
            .push(user);
    }
    let count = |email: &str| users.get(&email.to_lowercase()).map_or(0, Vec::len);

    let mut seen = BTreeSet::new();
    let mut learners = Vec::with_capacity(document.learners.len());
    for learner in &document.learners {
        let mut line = PlanLearner {
            email: learner.email.clone(),
            username: learner.username.clone(),
            status: Status::Skip,
            userid: None,
            account: None,
            finding: None,
            how: LearnerHow::LeftOut,
            predelete: learner.predelete,
        };
        match resolve(&users, &learner.email, learner.username.as_deref()) {
            Err(code) => {
                findings.push(learner_finding(code, &learner.email, count(&learner.email)));
                line.finding = Some(code);
            }
            Ok(user) => {
                line.userid = Some(user.id);
                line.account = Some(user.username.clone());
                if !seen.insert(user.id) {
                    findings.push(Finding::new(
                        Code::DuplicateLearner,
                        Severity::Info,
                        vec![format!("learner {}", learner.email)],
                        format!(
                            "`{}` leads to the account `{}` (id {}) that another learner of the \
                             file already uses: it is written once",
                            learner.email, user.username, user.id
                        ),
                        format!(
                            "`{}` mène au compte `{}` (id {}) qu'un autre apprenant du fichier \
                             utilise déjà : il n'est écrit qu'une fois",
                            learner.email, user.username, user.id
                        ),
                    ));
                    line.finding = Some(Code::DuplicateLearner);
                } else {
                    line.status = Status::Write;
                    if user.suspended {
                        findings.push(Finding::new(
                            Code::SuspendedLearner,
                            Severity::Info,
                            vec![format!("learner {}", learner.email)],
                            format!(
                                "the account `{}` of `{}` is suspended; the learner is restored",
                                user.username, learner.email
                            ),
                            format!(
                                "le compte `{}` de `{}` est suspendu ; l'apprenant est restauré",
                                user.username, learner.email
                            ),
                        ));
                        line.finding = Some(Code::SuspendedLearner);
                    }
                }
            }
        }
        line.how = LearnerHow::of(line.status, line.finding);
        learners.push(line);
    }

    let mut styled = BTreeSet::new();
    let mut styles = Vec::with_capacity(document.learner_styles.len());
    for style in &document.learner_styles {
        let template = template_names
            .get(&style.template)
            .cloned()
            .unwrap_or_else(|| style.template.clone());
        let mut line = PlanStyle {
            email: style.email.clone(),
            username: style.username.clone(),
            template,
            status: Status::Skip,
            userid: None,
            finding: None,
            values: StyleFields {
                grpcriteria1: style.grpcriteria1.clone(),
                grpcriteria2: style.grpcriteria2.clone(),
                enablecertificate: style.enablecertificate,
                withdateformat: style.withdateformat.clone(),
            },
        };
        match resolve(&users, &style.email, style.username.as_deref()) {
            Err(code) => {
                let reported = document
                    .learners
                    .iter()
                    .any(|l| l.email.to_lowercase() == style.email.to_lowercase());
                if !reported {
                    findings.push(learner_finding(code, &style.email, count(&style.email)));
                }
                line.finding = Some(code);
            }
            Ok(user) => {
                line.userid = Some(user.id);
                if styled.insert(user.id) {
                    line.status = Status::Write;
                } else {
                    line.finding = Some(Code::DuplicateLearner);
                }
            }
        }
        styles.push(line);
    }
    Ok((learners, styles))
}

fn plan_planning(
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
    delta: i64,
    planning_table: bool,
    operator: Option<i64>,
) -> PlanPlanning {
    let rows = document.planning.clone().unwrap_or_default();
    let reset = PlanPlanning {
        action: "reset",
        rows: Vec::new(),
        operator_id: None,
    };
    if rows.is_empty() {
        return reset;
    }
    let subject = vec![format!("training {}", document.training.name)];
    if !planning_table {
        findings.push(Finding::new(
            Code::PlanningSkipped,
            Severity::Info,
            subject,
            format!(
                "the file's {} planning row(s) are left out: this site has no \
                 tool_taskattestoodle; the training's planned launches are reset",
                rows.len()
            ),
            format!(
                "les {} ligne(s) de planification du fichier ne sont pas reprises : ce site n'a \
                 pas tool_taskattestoodle ; les lancements prévus de la formation sont remis à \
                 zéro",
                rows.len()
            ),
        ));
        return reset;
    }
    let Some(operator) = operator else {
        let who = options.operator.clone().unwrap_or_default();
        let (en, fr) = if who.is_empty() {
            (
                "the planning rows need an operator, and this site names no administrator in `siteadmins`: give one with --operator USERNAME".to_owned(),
                "les lignes de planification demandent un opérateur, et ce site n'indique aucun administrateur dans `siteadmins` : indiquez-en un avec --operator NOMUTILISATEUR".to_owned(),
            )
        } else {
            (
                format!("no account has the username `{who}` given with --operator: check it"),
                format!("aucun compte n'a le nom d'utilisateur `{who}` indiqué avec --operator : vérifiez-le"),
            )
        };
        findings.push(Finding::new(
            Code::MissingOperator,
            Severity::Blocking,
            subject,
            en,
            fr,
        ));
        return reset;
    };
    let now = options.now;
    PlanPlanning {
        action: "restore",
        rows: rows
            .iter()
            .map(|p| {
                let executiondate = p.executiondate + delta;
                PlanningRow {
                    executiondate,
                    beginperiod: p.beginperiod + delta,
                    endperiod: p.endperiod + delta,
                    mailto: p.mailto.clone(),
                    auto: p.auto,
                    togenerate: i64::from(executiondate > now),
                }
            })
            .collect(),
        operator_id: Some(operator),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_fingerprint_matches_by_name_alone() {
        let module = CourseModuleRow {
            cmid: 1,
            course: 1,
            course_shortname: Some("C1".to_owned()),
            kind: Some("quiz".to_owned()),
            kind_visible: Some(1),
            instance: 1,
            section_id: Some(1),
            name: Some("Quiz 1".to_owned()),
            idnumber: Some("Q1".to_owned()),
            completion: 2,
            deletion_in_progress: false,
        };
        let activity = |kind: Option<&str>, name: &str, idnumber: Option<&str>| Activity {
            kind: kind.map(str::to_owned),
            name: Some(name.to_owned()),
            idnumber: idnumber.map(str::to_owned),
            source_cmid: None,
        };
        assert!(fingerprint_matches(
            &activity(Some("quiz"), "Quiz 1", None),
            &module
        ));
        assert!(fingerprint_matches(
            &activity(None, "Quiz 1", None),
            &module
        ));
        assert!(!fingerprint_matches(
            &activity(Some("page"), "Quiz 1", None),
            &module
        ));
        assert!(!fingerprint_matches(
            &activity(Some("quiz"), "Quiz 1", Some("Q2")),
            &module
        ));
        assert!(!fingerprint_matches(
            &activity(Some("quiz"), "quiz 1", None),
            &module
        ));
    }
}
