//! The precheck: matching the natural identifiers of a document against a site. Every outcome
//! is a finding in the plan; only a database failure is an error.
//!
//! Two steps: [`gather`] reads, in a fixed number of look-ups, what the site holds that the
//! document names (a [`SiteView`]); [`decide`] matches the document against it without any
//! await, so that every matcher can be tested on a hand-made site.

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
    self, rules, CategoryTree, CourseModuleRow, CourseRow, FileStore, SectionRow, Site,
    TargetTemplate, TemplateUsage, TrainingRow, UserRow,
};

/// The longest training name (`training.name` is char(255)), in characters.
const MAX_TRAINING_NAME: usize = 255;
/// The longest template name (`template.name` is char(35)), in characters.
const MAX_TEMPLATE_NAME: usize = 35;
/// The template Attestoodle gives every new training.
const SITE_TEMPLATE: &str = "Site";

/// What the site holds that the precheck of one document needs, read by [`gather`]: the
/// whole input of [`decide`].
#[derive(Debug, Clone, Default)]
pub struct SiteView {
    /// The trainings named exactly as the restored training would be, in id order (with
    /// [`gather_all`], those of every document's name).
    pub trainings: Vec<TrainingRow>,
    /// Every course category.
    pub categories: CategoryTree,
    /// The site's time zone setting ([`Site::time_zone`]).
    pub time_zone: Option<String>,
    /// The courses whose short name is one the milestones go to, in id order.
    pub courses: Vec<CourseRow>,
    /// The sections of those courses.
    pub sections: Vec<SectionRow>,
    /// The course modules of those courses, with their type and instance name.
    pub modules: Vec<CourseModuleRow>,
    /// Moodle's file store, when this tool can write template images into it.
    pub file_store: Option<FileStore>,
    /// The templates named as one the restore uses (and `Site`), with their details.
    pub templates: Vec<TargetTemplate>,
    /// With `--template replace`, who uses each of those templates, by template id.
    pub template_usage: HashMap<i64, TemplateUsage>,
    /// With learners, the accounts (deleted ones aside) whose email may be one of the file's.
    pub users: Vec<UserRow>,
    /// Whether the site has the planning table of tool_taskattestoodle.
    pub planning_table: bool,
    /// The operator: the account `--operator` names, else the first site administrator.
    pub operator: Option<i64>,
    /// The site's `wwwroot`, when known.
    pub wwwroot: Option<String>,
    /// Look-ups over the rows above, made on first use and kept: a batch decides many
    /// documents on one view ([`gather_all`]).
    index: std::sync::OnceLock<ViewIndex>,
}

/// Positions in a [`SiteView`]'s rows by what the matchers look them up by.
#[derive(Debug, Clone, Default)]
struct ViewIndex {
    /// `sections` by (course, section number).
    sections: HashMap<(i64, i64), usize>,
    /// `modules` by cmid.
    modules: HashMap<i64, usize>,
    /// `modules` by course.
    modules_by_course: HashMap<i64, Vec<usize>>,
    /// `users` by lower-case email.
    users: HashMap<String, Vec<usize>>,
    /// `courses` by short name, in id order.
    courses: HashMap<String, Vec<usize>>,
}

impl SiteView {
    fn index(&self) -> &ViewIndex {
        self.index.get_or_init(|| {
            let mut index = ViewIndex::default();
            for (i, c) in self.courses.iter().enumerate() {
                index
                    .courses
                    .entry(c.shortname.clone())
                    .or_default()
                    .push(i);
            }
            for (i, s) in self.sections.iter().enumerate() {
                index.sections.insert((s.course, s.section), i);
            }
            for (i, m) in self.modules.iter().enumerate() {
                index.modules.insert(m.cmid, i);
                index.modules_by_course.entry(m.course).or_default().push(i);
            }
            for (i, u) in self.users.iter().enumerate() {
                index
                    .users
                    .entry(u.email.to_lowercase())
                    .or_default()
                    .push(i);
            }
            index
        })
    }
}

/// Matches `document` against `site` with the operator's `options` and says, in a [`Plan`],
/// what [`super::apply`] would write and everything it found: [`gather`] then [`decide`].
///
/// Reads only. Fails only when the database does; every mismatch is a [`Finding`].
pub async fn precheck(
    site: &Site,
    document: &Document,
    options: &RestoreOptions,
) -> Result<Plan, moodle::Error> {
    let view = gather(site, document, options).await?;
    Ok(decide(&view, document, options))
}

/// Reads what the site holds that the precheck of `document` needs.
pub async fn gather(
    site: &Site,
    document: &Document,
    options: &RestoreOptions,
) -> Result<SiteView, moodle::Error> {
    gather_all(site, &[(document, options)]).await
}

/// Reads what the site holds that the prechecks of several documents need, together: each
/// look-up once for all of them (trainings by name, courses by short name, their sections and
/// modules, templates, users by email), so that the number of statements does not grow with
/// the number of documents (chunked `IN` lists aside). [`decide`] takes from the view what
/// concerns its document; the operator is the first `options`'.
pub async fn gather_all(
    site: &Site,
    items: &[(&Document, &RestoreOptions)],
) -> Result<SiteView, moodle::Error> {
    let names: Vec<String> = items
        .iter()
        .map(|(document, options)| options.rename.training_name(&document.training.name))
        .collect();
    let trainings = site.trainings_named_in(&names).await?;
    let categories = site.category_tree().await?;
    let time_zone = site.time_zone().await?;
    let wanted: Vec<String> = items
        .iter()
        .flat_map(|(document, options)| course_targets(document, options).into_values())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let courses = site.courses_by_shortname(&wanted).await?;
    let course_ids: Vec<i64> = courses.iter().map(|c| c.id).collect();
    let (sections, modules) = site.course_structure(&course_ids).await?;
    let file_store = site.writable_file_store().await?;
    let template_names: Vec<String> = items
        .iter()
        .flat_map(|(document, options)| template_targets(document, options).2)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let templates = site.templates_by_name(&template_names).await?;
    let mut template_usage = HashMap::new();
    if items
        .iter()
        .any(|(_, options)| options.template == TemplateMode::Replace)
    {
        for template in &templates {
            let id = template.template.id;
            template_usage.insert(id, site.template_usage(id).await?);
        }
    }
    let emails: Vec<String> = items
        .iter()
        .filter(|(_, options)| options.learners)
        .flat_map(|(document, _)| learner_emails(document))
        .collect();
    let users = if emails.is_empty() {
        Vec::new()
    } else {
        site.users_by_email(&emails).await?
    };
    let planning_table = site.has_planning_table().await?;
    let operator = match items
        .first()
        .and_then(|(_, options)| options.operator.as_ref())
    {
        Some(username) => site.user_by_username(username).await?,
        None => site.site_admin_ids().await?.first().copied(),
    };
    Ok(SiteView {
        trainings,
        categories,
        time_zone,
        courses,
        sections,
        modules,
        file_store,
        templates,
        template_usage,
        users,
        planning_table,
        operator,
        wwwroot: site.target().wwwroot.clone(),
        index: std::sync::OnceLock::new(),
    })
}

/// The file's course short names, each with the short name it has on this site (renames and
/// suffix applied).
fn course_targets(document: &Document, options: &RestoreOptions) -> BTreeMap<String, String> {
    let mut targets = BTreeMap::new();
    for m in &document.milestones {
        targets
            .entry(m.course.clone())
            .or_insert_with(|| options.rename.course(&m.course));
    }
    targets
}

/// The templates the restore uses: the file's names in order of use (the training's, then,
/// with learners, those of the learner styles), the name each gets on this site, and the
/// names to look up (with `Site` when the file names no template for the training).
fn template_targets(
    document: &Document,
    options: &RestoreOptions,
) -> (Vec<String>, HashMap<String, String>, Vec<String>) {
    let training_template = &document.training.template;
    let mut referenced: Vec<String> = Vec::new();
    if let Some(t) = training_template {
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
        let target = match (&options.template, training_template) {
            (TemplateMode::Copy(copy), Some(t)) if t == name => copy.clone(),
            _ => name.clone(),
        };
        names.insert(name.clone(), target);
    }
    let mut lookup: Vec<String> = names.values().cloned().collect();
    if training_template.is_none() {
        lookup.push(SITE_TEMPLATE.to_owned());
    }
    (referenced, names, lookup)
}

/// Every email of the file's learners and learner styles.
fn learner_emails(document: &Document) -> Vec<String> {
    document
        .learners
        .iter()
        .map(|l| l.email.clone())
        .chain(document.learner_styles.iter().map(|s| s.email.clone()))
        .collect()
}

/// Decides the [`Plan`] of `document` on the site `view` describes, with the operator's
/// `options`: pure, every outcome a [`Finding`].
pub fn decide(view: &SiteView, document: &Document, options: &RestoreOptions) -> Plan {
    let mut findings = Vec::new();
    provenance(&mut findings, &options.provenance);

    let name = options.rename.training_name(&document.training.name);
    // A view read for a batch holds the trainings of every name in it (gather_all).
    let existing: Vec<TrainingRow> = view
        .trainings
        .iter()
        .filter(|t| t.name.as_deref() == Some(name.as_str()))
        .cloned()
        .collect();
    // Only a restore onto exactly one training of that name replaces it (docs/decisions.md §15).
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

    let category = find_category(&mut findings, &view.categories, document, options);

    let training = &document.training;
    let days = options.shift.map_or(0, |s| s.days(training.startdate));
    // Saturating: a shift is bounded by the callers (MAX_SHIFT_DAYS), a file's dates are not.
    let delta = days.saturating_mul(86_400);
    let startdate = training.startdate.saturating_add(delta);
    let enddate = training.enddate.map(|d| d.saturating_add(delta));
    let zone = SiteZone::new(view.time_zone.clone());
    check_rules(&mut findings, training, startdate, enddate, &zone);
    if options.mode == Mode::Clone && days == 0 {
        dates_kept(&mut findings, &name, enddate, options.now, &zone);
    }

    let milestones = match_milestones(view, &mut findings, document, options);
    nothing_to_restore(&mut findings, &name, &milestones);

    let (templates, template_names) =
        match_templates(view, &mut findings, document, options, existing_id);
    let training_template = match &training.template {
        Some(t) => template_names.get(t).cloned(),
        None => templates
            .iter()
            .find(|t| t.target_name == SITE_TEMPLATE)
            .map(|t| t.target_name.clone()),
    };

    let (learners, learner_styles) =
        match_learners(view, &mut findings, document, options, &template_names);

    let planning = plan_planning(
        &mut findings,
        document,
        options,
        delta,
        view.planning_table,
        view.operator,
    );
    let nbautolaunch = planning.rows.len() as i64;
    let nextlaunch = planning
        .rows
        .iter()
        .filter(|r| r.togenerate == 1)
        .map(|r| r.executiondate)
        .min()
        .unwrap_or(0);

    Plan {
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
            planning_table: view.planning_table,
            file_store: view.file_store.clone(),
            wwwroot: view.wwwroot.clone(),
            operator: view.operator,
        },
    }
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

/// Refuses a name Attestoodle refuses for a new training (docs/decisions.md §3 and §11), proposing a
/// corrected one; when the existing training of exactly that name is replaced, the name is
/// kept and only said (docs/decisions.md §15).
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
/// with one space on each side (docs/decisions.md §3), at most 255 characters; `NAME` for an empty one.
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
    // A legacy file names its category by id only (docs/format.md "Legacy files"): an id means
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

fn match_milestones(
    view: &SiteView,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
) -> Vec<PlanMilestone> {
    let targets = course_targets(document, options);
    let mut courses: HashMap<String, CourseMatch> = HashMap::new();
    for (original, target) in &targets {
        // A batch decides many documents on one view: by the index, not a scan of every course.
        let found: Vec<&CourseRow> = view
            .index()
            .courses
            .get(target)
            .into_iter()
            .flatten()
            .filter_map(|i| view.courses.get(*i))
            .collect();
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
    let index = view.index();
    let section_at = |place: &(i64, i64)| -> Option<&SectionRow> {
        index
            .sections
            .get(place)
            .and_then(|i| view.sections.get(*i))
    };
    let module = |cmid: &i64| -> Option<&CourseModuleRow> {
        index.modules.get(cmid).and_then(|i| view.modules.get(*i))
    };
    let course_modules = |course: i64| {
        index
            .modules_by_course
            .get(&course)
            .into_iter()
            .flatten()
            .filter_map(|i| view.modules.get(*i))
    };

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
        let at_place = section_at(&(course, m.section))
            .and_then(|s| rules::cmid_at_position(s.sequence(), m.position))
            .and_then(|cmid| module(&cmid))
            .filter(|cm| cm.course == course);
        let chosen = match at_place {
            Some(cm) if fingerprint_matches(&m.activity, cm) => Some(cm),
            _ => {
                let candidates: Vec<&CourseModuleRow> = course_modules(course)
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
    out
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
fn match_templates(
    view: &SiteView,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
    existing_training: Option<i64>,
) -> (Vec<PlanTemplate>, HashMap<String, String>) {
    let training_template = document.training.template.clone();
    let (referenced, names, _) = template_targets(document, options);
    let on_site = &view.templates;
    let file_store = view.file_store.is_some();

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
                    let usage = view
                        .template_usage
                        .get(&existing.template.id)
                        .cloned()
                        .unwrap_or_default();
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
    (out, names)
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

fn match_learners(
    view: &SiteView,
    findings: &mut Vec<Finding>,
    document: &Document,
    options: &RestoreOptions,
    template_names: &HashMap<String, String>,
) -> (Vec<PlanLearner>, Vec<PlanStyle>) {
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
        return (Vec::new(), Vec::new());
    }
    // The accounts of this document's emails only: a batch's view holds every document's.
    let index = view.index();
    let mut users: HashMap<String, Vec<&UserRow>> = HashMap::new();
    for email in learner_emails(document) {
        let key = email.to_lowercase();
        if users.contains_key(&key) {
            continue;
        }
        let found = index
            .users
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|i| view.users.get(*i))
            .collect();
        users.insert(key, found);
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
    (learners, styles)
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
    use crate::document::v2::{
        self, Category, Learner, LearnerStyle, Milestone, Source, TemplateDetail, Training,
    };
    use crate::moodle::{Category as SiteCategory, TemplateRow};

    /// A hand-made site, a few lines per course, module, template, account or category.
    struct View(SiteView);

    fn site() -> View {
        View(SiteView {
            categories: CategoryTree::new(vec![SiteCategory {
                id: 1,
                name: "Top".to_owned(),
                idnumber: None,
                parent: 0,
            }]),
            planning_table: true,
            operator: Some(2),
            ..SiteView::default()
        })
    }

    impl View {
        /// A course with completion enabled and one section per `sequences` item, numbered
        /// from 0 (section id: course id × 100 + number).
        fn course(mut self, id: i64, shortname: &str, sequences: &[&str]) -> View {
            self.0.courses.push(CourseRow {
                id,
                shortname: shortname.to_owned(),
                completion_enabled: true,
            });
            for (number, sequence) in sequences.iter().enumerate() {
                let number = number as i64;
                self.0.sections.push(SectionRow {
                    id: id * 100 + number,
                    course: id,
                    section: number,
                    sequence: Some((*sequence).to_owned()),
                });
            }
            self
        }

        /// A course module with completion, of an enabled type.
        fn module(mut self, cmid: i64, course: i64, kind: &str, name: &str) -> View {
            self.0.modules.push(CourseModuleRow {
                cmid,
                course,
                course_shortname: None,
                kind: Some(kind.to_owned()),
                kind_visible: Some(1),
                instance: cmid,
                section_id: None,
                idnumber: None,
                completion: 2,
                deletion_in_progress: false,
                name: Some(name.to_owned()),
            });
            self
        }

        fn category(mut self, id: i64, name: &str, idnumber: Option<&str>, parent: i64) -> View {
            let mut all: Vec<SiteCategory> = self
                .0
                .categories
                .by_path()
                .iter()
                .filter_map(|(id, _)| self.0.categories.get(*id).cloned())
                .collect();
            all.push(SiteCategory {
                id,
                name: name.to_owned(),
                idnumber: idnumber.map(str::to_owned),
                parent,
            });
            all.sort_by_key(|c| c.id);
            self.0.categories = CategoryTree::new(all);
            self
        }

        fn template(mut self, id: i64, name: &str, details: &[(&str, &str)]) -> View {
            self.0.templates.push(TargetTemplate {
                template: TemplateRow {
                    id,
                    name: name.to_owned(),
                    timecreated: None,
                    user_id: None,
                    timemodified: None,
                },
                details: details
                    .iter()
                    .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
                    .collect(),
                background_sha1: None,
            });
            self
        }

        fn user(mut self, id: i64, email: &str, username: &str) -> View {
            self.0.users.push(UserRow {
                id,
                username: username.to_owned(),
                email: email.to_owned(),
                idnumber: String::new(),
                deleted: false,
                suspended: false,
                firstname: String::new(),
                lastname: String::new(),
            });
            self
        }

        fn with(mut self, change: impl FnOnce(&mut SiteView)) -> View {
            change(&mut self.0);
            self
        }

        fn decide(&self, document: &Document, options: &RestoreOptions) -> Plan {
            decide(&self.0, document, options)
        }
    }

    fn milestone(course: &str, section: i64, position: i64, kind: &str, name: &str) -> Milestone {
        Milestone {
            course: course.to_owned(),
            section,
            position,
            activity: Activity {
                kind: Some(kind.to_owned()),
                name: Some(name.to_owned()),
                idnumber: None,
                source_cmid: Some(1),
            },
            creditedtime: 60,
            name: Some(name.to_owned()),
            timemodified: Some(0),
        }
    }

    /// A training `T` in category `Top` (id 1 on the source site) with these milestones, the
    /// template `Attestation` (one detail) and no learners.
    fn document(milestones: Vec<Milestone>) -> Document {
        Document {
            format: v2::FORMAT.to_owned(),
            version: v2::VERSION,
            created: "2026-11-28T10:00:00Z".to_owned(),
            generator: "test".to_owned(),
            source: Source {
                wwwroot: None,
                source_training_id: 1,
            },
            training: Training {
                name: "T".to_owned(),
                category: Category {
                    name: Some("Top".to_owned()),
                    idnumber: None,
                    path: vec!["Top".to_owned()],
                    source_id: 1,
                },
                startdate: 0,
                enddate: None,
                duration: None,
                nbautolaunch: None,
                nextlaunch: None,
                checklearner: None,
                template: Some("Attestation".to_owned()),
                grpcriteria1: None,
                grpcriteria2: None,
            },
            milestones,
            templates: vec![Template {
                name: "Attestation".to_owned(),
                details: vec![TemplateDetail {
                    kind: "text".to_owned(),
                    data: "{}".to_owned(),
                }],
                background: None,
            }],
            learners: Vec::new(),
            learner_styles: Vec::new(),
            planning: None,
            signature: None,
        }
    }

    fn options() -> RestoreOptions {
        let mut options = RestoreOptions::new(Mode::Restore, Provenance::Unsigned);
        options.now = 0;
        options
    }

    fn codes(plan: &Plan) -> Vec<Code> {
        plan.findings.iter().map(|f| f.code).collect()
    }

    /// (what the case is, the site, the milestone of the file, and the expected
    /// (status, course module, finding) of its plan line).
    type MilestoneCase = (
        &'static str,
        View,
        Milestone,
        (Status, Option<i64>, Option<Code>),
    );

    #[test]
    fn milestones_are_matched_at_their_place_then_by_fingerprint() {
        let quiz = || milestone("C1", 1, 1, "quiz", "Quiz");
        let cases: Vec<MilestoneCase> = vec![
            (
                "at its place",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(5, 10, "page", "Page")
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Write, Some(7), None),
            ),
            (
                "after an item too large for an id, which counts (docs/decisions.md §7)",
                site()
                    .course(10, "C1", &["", "99999999999999999999,7"])
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Write, Some(7), None),
            ),
            (
                "after a stale id and an empty item, which counts and does not",
                site()
                    .course(10, "C1", &["", " 404 ,, 7"])
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Write, Some(7), None),
            ),
            (
                "moved to another section",
                site()
                    .course(10, "C1", &["", "5", "7"])
                    .module(5, 10, "page", "Page")
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Write, Some(7), Some(Code::ActivityMoved)),
            ),
            (
                "another activity at its place, none elsewhere",
                site()
                    .course(10, "C1", &["", "5,8"])
                    .module(5, 10, "page", "Page")
                    .module(8, 10, "quiz", "Other"),
                quiz(),
                (Status::Skip, None, Some(Code::ActivityMismatch)),
            ),
            (
                "another type of the same name at its place",
                site()
                    .course(10, "C1", &["", "5,8"])
                    .module(5, 10, "page", "Page")
                    .module(8, 10, "page", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::ActivityMismatch)),
            ),
            (
                "nowhere in the course",
                site()
                    .course(10, "C1", &["", "5"])
                    .module(5, 10, "page", "Page"),
                quiz(),
                (Status::Skip, None, Some(Code::MissingActivity)),
            ),
            (
                "moved, and two activities carry its fingerprint",
                site()
                    .course(10, "C1", &["", "5", "7,8"])
                    .module(5, 10, "page", "Page")
                    .module(7, 10, "quiz", "Quiz")
                    .module(8, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::MissingActivity)),
            ),
            (
                "the module at its place belongs to another course",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .course(20, "C2", &[])
                    .module(5, 10, "page", "Page")
                    .module(7, 20, "quiz", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::MissingActivity)),
            ),
            (
                "completion disabled",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz")
                    .with(|v| v.modules[0].completion = 0),
                quiz(),
                (Status::Skip, Some(7), Some(Code::ActivityNoCompletion)),
            ),
            (
                "being deleted",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz")
                    .with(|v| v.modules[0].deletion_in_progress = true),
                quiz(),
                (Status::Skip, Some(7), Some(Code::ActivityNoCompletion)),
            ),
            (
                "its type disabled on the site",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz")
                    .with(|v| v.modules[0].kind_visible = Some(0)),
                quiz(),
                (Status::Skip, Some(7), Some(Code::ActivityNoCompletion)),
            ),
            (
                "a legacy file's activity has no type: the name alone counts",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz"),
                Milestone {
                    activity: Activity {
                        kind: None,
                        ..quiz().activity
                    },
                    ..quiz()
                },
                (Status::Write, Some(7), None),
            ),
            (
                "an idnumber in the file must match",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz")
                    .with(|v| v.modules[0].idnumber = Some("Q2".to_owned())),
                Milestone {
                    activity: Activity {
                        idnumber: Some("Q1".to_owned()),
                        ..quiz().activity
                    },
                    ..quiz()
                },
                (Status::Skip, None, Some(Code::ActivityMismatch)),
            ),
            (
                "no course of that short name",
                site()
                    .course(10, "C9", &["", "7"])
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::MissingCourse)),
            ),
            (
                "two courses of that short name",
                site()
                    .course(10, "C1", &["", "5,7"])
                    .course(11, "C1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::AmbiguousCourse)),
            ),
            (
                "a short name that differs only in case is another course",
                site()
                    .course(10, "c1", &["", "5,7"])
                    .module(7, 10, "quiz", "Quiz"),
                quiz(),
                (Status::Skip, None, Some(Code::MissingCourse)),
            ),
        ];
        for (case, view, milestone, expected) in cases {
            let plan = view.decide(&document(vec![milestone]), &options());
            let line = &plan.milestones[0];
            assert_eq!((line.status, line.cmid, line.finding), expected, "{case}");
            if let Some(code) = expected.2 {
                assert!(codes(&plan).contains(&code), "{case}: {:?}", codes(&plan));
            }
        }
    }

    #[test]
    fn two_milestones_on_one_activity_write_it_once() {
        let view = site()
            .course(10, "C1", &["", "7"])
            .module(7, 10, "quiz", "Quiz");
        let plan = view.decide(
            &document(vec![
                milestone("C1", 1, 0, "quiz", "Quiz"),
                milestone("C1", 1, 0, "quiz", "Quiz"),
            ]),
            &options(),
        );
        let lines: Vec<_> = plan
            .milestones
            .iter()
            .map(|m| (m.status, m.finding))
            .collect();
        assert_eq!(
            lines,
            vec![
                (Status::Write, None),
                (Status::Skip, Some(Code::DuplicateMilestone))
            ]
        );
    }

    #[test]
    fn a_course_without_completion_needs_accepting() {
        let view = site()
            .course(10, "C1", &["", "7"])
            .module(7, 10, "quiz", "Quiz")
            .with(|v| v.courses[0].completion_enabled = false);
        let plan = view.decide(
            &document(vec![milestone("C1", 1, 0, "quiz", "Quiz")]),
            &options(),
        );
        assert_eq!(plan.milestones[0].status, Status::Write);
        assert!(plan.needs_accept().contains(&Code::CourseNoCompletion));
    }

    #[test]
    fn course_renames_and_suffixes_choose_the_course() {
        let view = site()
            .course(10, "C1", &["", "7"])
            .course(20, "C1_2027", &["", "8"])
            .module(7, 10, "quiz", "Quiz")
            .module(8, 20, "quiz", "Quiz");
        let mut options = options();
        options.rename.suffix = Some("_2027".to_owned());
        let plan = view.decide(
            &document(vec![milestone("C1", 1, 0, "quiz", "Quiz")]),
            &options,
        );
        let line = &plan.milestones[0];
        assert_eq!(
            (line.target_course.as_str(), line.cmid),
            ("C1_2027", Some(8))
        );
    }

    fn template_plan(view: View, mode: TemplateMode) -> Plan {
        let mut options = options();
        options.template = mode;
        view.decide(&document(Vec::new()), &options)
    }

    /// (what the case is, the site, `--template`, and the expected action, site template and
    /// finding of the training's template).
    type TemplateCase = (
        &'static str,
        View,
        TemplateMode,
        TemplateAction,
        Option<i64>,
        Option<Code>,
    );

    #[test]
    fn templates_are_reused_created_replaced_or_refused() {
        let same = [("text", "{}")];
        let other = [("text", "{\"x\":1}")];
        let cases: Vec<TemplateCase> = vec![
            (
                "the same content on the site",
                site().template(3, "Attestation", &same),
                TemplateMode::Reuse,
                TemplateAction::Reuse,
                Some(3),
                None,
            ),
            (
                "not on the site",
                site(),
                TemplateMode::Reuse,
                TemplateAction::Create,
                None,
                None,
            ),
            (
                "a name that differs only in case is another template",
                site().template(3, "attestation", &same),
                TemplateMode::Reuse,
                TemplateAction::Create,
                None,
                None,
            ),
            (
                "other content, reused",
                site().template(3, "Attestation", &other),
                TemplateMode::Reuse,
                TemplateAction::Reuse,
                Some(3),
                Some(Code::TemplateDiffers),
            ),
            (
                "other content, replaced",
                site().template(3, "Attestation", &other),
                TemplateMode::Replace,
                TemplateAction::Replace,
                Some(3),
                Some(Code::ReplaceSharedTemplate),
            ),
            (
                "two of that name",
                site()
                    .template(3, "Attestation", &same)
                    .template(4, "Attestation", &same),
                TemplateMode::Reuse,
                TemplateAction::Reuse,
                None,
                Some(Code::AmbiguousTemplate),
            ),
            (
                "a copy under a name that is taken",
                site().template(5, "Copie", &other),
                TemplateMode::Copy("Copie".to_owned()),
                TemplateAction::Reuse,
                Some(5),
                Some(Code::TemplateNameTaken),
            ),
            (
                "a copy under a free name",
                site().template(3, "Attestation", &same),
                TemplateMode::Copy("Copie".to_owned()),
                TemplateAction::Create,
                None,
                None,
            ),
            (
                "a copy under a name too long",
                site(),
                TemplateMode::Copy("x".repeat(36)),
                TemplateAction::Create,
                None,
                Some(Code::InvalidName),
            ),
        ];
        for (case, view, mode, action, id, code) in cases {
            let plan = template_plan(view, mode);
            let line = &plan.templates[0];
            assert_eq!((line.action, line.id), (action, id), "{case}");
            let found: Vec<Code> = codes(&plan)
                .into_iter()
                .filter(|c| {
                    !matches!(
                        c,
                        Code::Unsigned | Code::CategoryMatched | Code::NoMilestones
                    )
                })
                .collect();
            assert_eq!(found, code.into_iter().collect::<Vec<_>>(), "{case}");
        }
    }

    #[test]
    fn replacing_a_template_names_the_other_trainings_that_use_it() {
        let view = site()
            .template(3, "Attestation", &[("text", "{\"x\":1}")])
            .with(|v| {
                v.template_usage.insert(
                    3,
                    TemplateUsage {
                        trainings: vec![(8, Some("Autre".to_owned()))],
                        learner_styles: vec![(8, 2)],
                    },
                );
            });
        let plan = template_plan(view, TemplateMode::Replace);
        let finding = plan
            .findings
            .iter()
            .find(|f| f.code == Code::ReplaceSharedTemplate)
            .expect("the finding");
        assert!(
            finding.what(Lang::En).contains("`Autre` (id 8)"),
            "{}",
            finding.what(Lang::En)
        );
        assert!(finding.what(Lang::En).contains("2 learner style(s)"));
    }

    #[test]
    fn a_file_without_a_template_gets_the_sites_one() {
        let mut without = document(Vec::new());
        without.training.template = None;
        without.templates.clear();
        let plan = site().template(9, "Site", &[]).decide(&without, &options());
        assert_eq!(plan.training.template.as_deref(), Some("Site"));
        assert_eq!(plan.templates[0].id, Some(9));
        assert!(codes(&plan).contains(&Code::NoTemplate));
        let plan = site().decide(&without, &options());
        assert_eq!(plan.training.template, None);
        assert!(plan.templates.is_empty());
    }

    fn with_learners(learners: &[(&str, Option<&str>)]) -> Document {
        let mut document = document(Vec::new());
        document.learners = learners
            .iter()
            .map(|(email, username)| Learner {
                email: (*email).to_owned(),
                username: username.map(str::to_owned),
                idnumber: None,
                selected: None,
                predelete: None,
                resultcriteria: None,
            })
            .collect();
        document
    }

    /// (what the case is, the file's email and username, and the expected (status, account,
    /// finding) of the learner).
    type LearnerCase = (
        &'static str,
        &'static str,
        Option<&'static str>,
        (Status, Option<i64>, Option<Code>),
    );

    #[test]
    fn learners_are_matched_by_email_ignoring_case_then_by_username() {
        let view = || {
            site()
                .user(21, "Anne@Exemple.fr", "anne")
                .user(22, "bob@exemple.fr", "bob")
                .user(23, "bob@exemple.fr", "bob2")
                .user(24, "carl@exemple.fr", "carl")
                .with(|v| v.users[3].suspended = true)
        };
        let cases: Vec<LearnerCase> = vec![
            (
                "the same email in other case",
                "anne@exemple.FR",
                None,
                (Status::Write, Some(21), None),
            ),
            (
                "no account",
                "zoe@exemple.fr",
                Some("zoe"),
                (Status::Skip, None, Some(Code::MissingLearner)),
            ),
            (
                "an empty email",
                "",
                Some("anne"),
                (Status::Skip, None, Some(Code::MissingLearner)),
            ),
            (
                "two accounts, the username picks one",
                "bob@exemple.fr",
                Some("bob2"),
                (Status::Write, Some(23), None),
            ),
            (
                "two accounts, the username picks none",
                "bob@exemple.fr",
                Some("robert"),
                (Status::Skip, None, Some(Code::AmbiguousLearner)),
            ),
            (
                "two accounts, no username",
                "bob@exemple.fr",
                None,
                (Status::Skip, None, Some(Code::AmbiguousLearner)),
            ),
            (
                "a suspended account",
                "carl@exemple.fr",
                None,
                (Status::Write, Some(24), Some(Code::SuspendedLearner)),
            ),
        ];
        for (case, email, username, expected) in cases {
            let plan = view().decide(&with_learners(&[(email, username)]), &options());
            let line = &plan.learners[0];
            assert_eq!((line.status, line.userid, line.finding), expected, "{case}");
        }
        let plan = view().decide(
            &with_learners(&[("anne@exemple.fr", None), ("ANNE@exemple.fr", None)]),
            &options(),
        );
        let lines: Vec<_> = plan
            .learners
            .iter()
            .map(|l| (l.status, l.finding))
            .collect();
        assert_eq!(
            lines,
            vec![
                (Status::Write, None),
                (Status::Skip, Some(Code::DuplicateLearner))
            ]
        );
    }

    #[test]
    fn learner_styles_follow_their_account_and_a_clone_leaves_learners_out() {
        let mut document = with_learners(&[("anne@exemple.fr", None)]);
        document.learner_styles = vec![LearnerStyle {
            email: "ANNE@exemple.fr".to_owned(),
            username: None,
            template: "Attestation".to_owned(),
            grpcriteria1: None,
            grpcriteria2: None,
            enablecertificate: Some(0),
            withdateformat: None,
        }];
        let view = site().user(21, "anne@exemple.fr", "anne");
        let plan = view.decide(&document, &options());
        assert_eq!(
            (plan.learner_styles[0].status, plan.learner_styles[0].userid),
            (Status::Write, Some(21))
        );
        let mut clone = options();
        clone.mode = Mode::Clone;
        clone.learners = false;
        let plan = view.decide(&document, &clone);
        assert!(plan.learners.is_empty() && plan.learner_styles.is_empty());
        assert!(codes(&plan).contains(&Code::LearnersLeftOut));
    }

    fn category_of(
        view: View,
        category: Category,
        chosen: Option<&str>,
    ) -> (Option<(i64, &'static str)>, Vec<Code>) {
        let mut document = document(Vec::new());
        document.training.category = category;
        let mut options = options();
        options.category = chosen.map(str::to_owned);
        let plan = view.decide(&document, &options);
        (
            plan.training
                .category
                .as_ref()
                .map(|c| (c.id, c.matched_by)),
            codes(&plan)
                .into_iter()
                .filter(|c| {
                    matches!(
                        c,
                        Code::CategoryMatched
                            | Code::CategoryById
                            | Code::CategoryMissing
                            | Code::AmbiguousCategory
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn categories_are_found_by_idnumber_path_or_source_id() {
        let tree = || {
            site()
                .category(2, "Sciences", Some("SCI"), 1)
                .category(3, "Chimie", None, 2)
                .category(4, "Chimie", None, 1)
                .category(5, "Lettres", None, 1)
                .category(6, "Lettres", None, 1)
        };
        let wanted = |name: &str, idnumber: Option<&str>, path: &[&str], source_id| Category {
            name: Some(name.to_owned()),
            idnumber: idnumber.map(str::to_owned),
            path: path.iter().map(|p| (*p).to_owned()).collect(),
            source_id,
        };
        let matched = vec![Code::CategoryMatched];
        let cases = vec![
            (
                "by idnumber, whatever the path",
                wanted("Sciences", Some("SCI"), &["Ailleurs"], 99),
                None,
                (Some((2, "idnumber")), matched.clone()),
            ),
            (
                "by path of names",
                wanted("Chimie", None, &["Top", "Sciences", "Chimie"], 99),
                None,
                (Some((3, "path")), matched.clone()),
            ),
            (
                "by source id with the same name",
                wanted("Chimie", None, &["Autre", "Chimie"], 4),
                None,
                (Some((4, "source-id")), matched.clone()),
            ),
            (
                "a source id whose name differs",
                wanted("Physique", None, &["Autre", "Physique"], 4),
                None,
                (None, vec![Code::CategoryMissing]),
            ),
            (
                "a path of two categories",
                wanted("Lettres", None, &["Top", "Lettres"], 99),
                None,
                (None, vec![Code::AmbiguousCategory]),
            ),
            (
                "a legacy file's id alone",
                Category {
                    name: None,
                    idnumber: None,
                    path: Vec::new(),
                    source_id: 3,
                },
                None,
                (Some((3, "source-id-only")), vec![Code::CategoryById]),
            ),
            (
                "a legacy file's unknown id",
                Category {
                    name: None,
                    idnumber: None,
                    path: Vec::new(),
                    source_id: 77,
                },
                None,
                (None, vec![Code::CategoryMissing]),
            ),
            (
                "chosen by path",
                wanted("Chimie", None, &["Top", "Sciences", "Chimie"], 3),
                Some("Top / Chimie"),
                (Some((4, "option")), matched.clone()),
            ),
            (
                "chosen by id",
                wanted("Chimie", None, &[], 3),
                Some("5"),
                (Some((5, "option")), matched.clone()),
            ),
            (
                "chosen by a bare name of two",
                wanted("Chimie", None, &[], 3),
                Some("Lettres"),
                (None, vec![Code::AmbiguousCategory]),
            ),
            (
                "chosen but absent",
                wanted("Chimie", None, &[], 3),
                Some("Nulle part"),
                (None, vec![Code::CategoryMissing]),
            ),
        ];
        for (case, category, chosen, expected) in cases {
            assert_eq!(category_of(tree(), category, chosen), expected, "{case}");
        }
    }

    #[test]
    fn the_training_is_created_replaced_or_refused_by_its_exact_name() {
        let training = |id| TrainingRow {
            id,
            name: Some("T".to_owned()),
            category_id: 1,
            startdate: 0,
            enddate: None,
            duration: None,
            nbautolaunch: None,
            nextlaunch: None,
            checklearner: None,
        };
        let plan = site().decide(&document(Vec::new()), &options());
        assert_eq!(
            (plan.training.action, plan.training.existing_id),
            (TrainingAction::Create, None)
        );
        let plan = site()
            .with(|v| v.trainings = vec![training(4)])
            .decide(&document(Vec::new()), &options());
        assert_eq!(
            (plan.training.action, plan.training.existing_id),
            (TrainingAction::Replace, Some(4))
        );
        assert!(plan.needs_accept().contains(&Code::ReplaceTraining));
        let mut clone = options();
        clone.mode = Mode::Clone;
        let plan = site()
            .with(|v| v.trainings = vec![training(4)])
            .decide(&document(Vec::new()), &clone);
        assert!(plan.blocking().contains(&Code::TrainingExists));
        let plan = site()
            .with(|v| v.trainings = vec![training(4), training(5)])
            .decide(&document(Vec::new()), &options());
        assert!(plan.blocking().contains(&Code::AmbiguousTraining));
    }

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
