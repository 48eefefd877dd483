//! Saving a training: turning a [`Snapshot`] (technical ids) into a signed format-2 [`Document`]
//! (natural identifiers), with the warnings an operator must read.
//!
//! Architecture invariant: no SQL here; the database is read through [`Site::training_snapshot`]
//! and file content through [`crate::moodle::files`].
//!
//! [`legacy`] writes the same snapshot as the PHP plugin's file (`save --format legacy`).

pub mod legacy;
pub mod prune;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use time::OffsetDateTime;

use crate::document::signature;
use crate::document::v2::{self, Document, DocumentError};
use crate::i18n::Lang;
use crate::moodle::{self, files, rules, Orphan, Site, Snapshot, SnapshotSet, SNAPSHOT_SET_MAX};

/// Something the operator must know about a save: a row left out, or kept with a doubt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// A stable code, such as `milestone-orphan`.
    pub code: &'static str,
    /// Whether a milestone was left out of the file (what `--strict` refuses).
    pub milestone_left_out: bool,
    en: String,
    fr: String,
}

impl Warning {
    fn new(code: &'static str, en: String, fr: String) -> Warning {
        Warning {
            code,
            milestone_left_out: false,
            en,
            fr,
        }
    }

    fn left_out(code: &'static str, en: String, fr: String) -> Warning {
        Warning {
            milestone_left_out: true,
            ..Warning::new(code, en, fr)
        }
    }

    /// The message in the operator's language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Fr => &self.fr,
        }
    }
}

/// Why a training could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The database could not be read.
    #[error(transparent)]
    Database(#[from] moodle::Error),
    /// No training has this id.
    #[error("there is no training with id {id}: `attestoodle-backup list` shows the trainings")]
    NotFound {
        /// The id asked for.
        id: i64,
    },
    /// The training's category does not exist any more.
    #[error(
        "the category {category_id} of training “{training}” no longer exists, so the file could \
         not name it: attach the training to an existing category in Attestoodle, then save again"
    )]
    CategoryMissing {
        /// The training.
        training: String,
        /// The missing category id.
        category_id: i64,
    },
    /// Two templates the training refers to have the same name (docs/format.md, `templates[]`).
    #[error(
        "templates {ids:?} of training “{training}” are all named “{name}”, so a backup could not \
         tell them apart: rename one in Attestoodle's template page, then save again"
    )]
    DuplicateTemplateNames {
        /// The training.
        training: String,
        /// The shared name.
        name: String,
        /// The template ids.
        ids: Vec<i64>,
    },
    /// `--strict` and milestones would have been left out.
    #[error(
        "--strict: {} milestone(s) of training “{training}” cannot be placed and would be left \
         out: {}; fix or delete them in Attestoodle, or save without --strict",
        left_out.len(), left_out.join("; ")
    )]
    Strict {
        /// The training.
        training: String,
        /// The English warnings of the milestones left out.
        left_out: Vec<String>,
    },
    /// The document built breaks a rule of the format (a bug, or a value out of range).
    #[error("the backup of training “{training}” would not be a valid file: {source}")]
    Invalid {
        /// The training.
        training: String,
        /// The rule broken.
        source: DocumentError,
    },
}

impl SaveError {
    /// The message in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            SaveError::Database(e) => e.localized(lang),
            SaveError::NotFound { id } => format!(
                "aucune formation n'a l'identifiant {id} : `attestoodle-backup list` montre les \
                 formations"
            ),
            SaveError::CategoryMissing {
                training,
                category_id,
            } => format!(
                "la catégorie {category_id} de la formation « {training} » n'existe plus, le \
                 fichier ne pourrait pas la nommer : rattachez la formation à une catégorie \
                 existante dans Attestoodle, puis sauvegardez de nouveau"
            ),
            SaveError::DuplicateTemplateNames {
                training,
                name,
                ids,
            } => format!(
                "les modèles {ids:?} de la formation « {training} » s'appellent tous « {name} », \
                 une sauvegarde ne pourrait pas les distinguer : renommez-en un dans la page des \
                 modèles d'Attestoodle, puis sauvegardez de nouveau"
            ),
            SaveError::Strict { training, left_out } => format!(
                "--strict : {} jalon(s) de la formation « {training} » ne peuvent pas être placés \
                 et seraient omis : {} ; corrigez-les ou supprimez-les dans Attestoodle, ou \
                 sauvegardez sans --strict",
                left_out.len(),
                left_out.join(" ; ")
            ),
            SaveError::Invalid { training, source } => format!(
                "la sauvegarde de la formation « {training} » ne serait pas un fichier valide : \
                 {}",
                source.localized(lang)
            ),
        }
    }
}

/// A saved training: the signed document and the warnings of the save.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The signed, sorted document.
    pub document: Document,
    /// What the operator must know, in the order found.
    pub warnings: Vec<Warning>,
}

impl Saved {
    /// The text of the file (docs/format.md "Text form").
    pub fn text(&self) -> String {
        v2::to_text(&self.document)
    }
}

/// How to save.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions<'a> {
    /// The site's private signing key.
    pub key: &'a SigningKey,
    /// Refuse to leave a milestone out (`--strict`).
    pub strict: bool,
    /// The time written in `created`.
    pub created: OffsetDateTime,
}

/// Reads training `training_id` and builds its signed document.
///
/// # Errors
///
/// A [`SaveError`]: the database, no such training, a missing category, two referenced
/// templates with one name, or (with `strict`) a milestone that would be left out.
pub async fn save(
    site: &Site,
    training_id: i64,
    options: &SaveOptions<'_>,
) -> Result<Saved, SaveError> {
    let snapshot = site
        .training_snapshot(training_id)
        .await?
        .ok_or(SaveError::NotFound { id: training_id })?;
    save_read(site, &snapshot, options)
}

/// Builds and signs the document of a training already read, as [`save`] does.
///
/// # Errors
///
/// As [`save`], but never a database error.
pub fn save_read(
    site: &Site,
    snapshot: &Snapshot,
    options: &SaveOptions<'_>,
) -> Result<Saved, SaveError> {
    let (mut document, warnings) = build_on(site, snapshot, options.created)?;
    if options.strict {
        let left_out: Vec<String> = warnings
            .iter()
            .filter(|w| w.milestone_left_out)
            .map(|w| w.en.clone())
            .collect();
        if !left_out.is_empty() {
            return Err(SaveError::Strict {
                training: document.training.name.clone(),
                left_out,
            });
        }
    }
    signature::sign(&mut document, options.key);
    Ok(Saved { document, warnings })
}

/// Reads the trainings `ids` together, in a number of statements that does not depend on how
/// many they are (docs/decisions.md §21), hands each one's snapshot to `build` and collects
/// what it returns, in the order of `ids` ([`read_many`]).
///
/// # Errors
///
/// A database error.
pub async fn for_each_read<T: Send>(
    site: &Site,
    ids: &[i64],
    build: impl Fn(i64, Result<Snapshot, SaveError>) -> T + Sync,
) -> Result<Vec<T>, SaveError> {
    let mut out = Vec::with_capacity(ids.len());
    read_many(site, ids, build, |_, built| out.push(built)).await?;
    Ok(out)
}

/// Reads the trainings `ids` together (docs/decisions.md §21) and hands each one's snapshot to
/// `build` — a training that does not exist as [`SaveError::NotFound`] — on as many threads as
/// the machine has cores (at most 4), each taking the next training when it is done, so that
/// no more than one snapshot per thread is held at a time; then hands what `build` returned to
/// `record`, on this thread, in the order of `ids`. `save --all` builds, signs and writes each
/// file in `build` and reports it in `record`.
///
/// # Errors
///
/// A database error, before `build` is called for the set it stopped.
pub async fn read_many<T: Send>(
    site: &Site,
    ids: &[i64],
    build: impl Fn(i64, Result<Snapshot, SaveError>) -> T + Sync,
    mut record: impl FnMut(i64, T),
) -> Result<(), SaveError> {
    let mut reads = Prefetch::new(site, ids, READ_SLICE);
    while let Some((slice, set)) = reads.next().await {
        let set = set?;
        reads.read_ahead();
        build_each(set, &slice, &build, &mut record);
    }
    Ok(())
}

/// How many trainings [`read_many`] and `clone --from-site` read together: enough that a
/// selection of a few hundred costs one read of each table, few enough that the next slice is
/// read while this one is built (docs/decisions.md §21).
pub const READ_SLICE: usize = 250;

/// The read of one slice, on a task of its own.
type SliceRead = tokio::task::JoinHandle<Result<SnapshotSet, moodle::Error>>;

/// The snapshots of a selection, a slice at a time, each slice read by a task of its own on
/// another of the pool's connections while the caller works on the one before: the reads are
/// the database's work, the builds and prechecks ours (docs/decisions.md §21, §25). The caller
/// says when the next read may start ([`Prefetch::read_ahead`]): at most two slices are held,
/// the one handed out and the one being read.
pub struct Prefetch {
    site: Site,
    slices: std::collections::VecDeque<Vec<i64>>,
    pending: Option<(Vec<i64>, SliceRead)>,
}

impl Prefetch {
    /// Starts reading the first slice of `ids` (of `slice` trainings, at most
    /// [`SNAPSHOT_SET_MAX`]).
    pub fn new(site: &Site, ids: &[i64], slice: usize) -> Prefetch {
        let mut reads = Prefetch {
            site: site.clone(),
            slices: ids
                .chunks(slice.clamp(1, SNAPSHOT_SET_MAX))
                .map(<[i64]>::to_vec)
                .collect(),
            pending: None,
        };
        reads.read_ahead();
        reads
    }

    /// Starts reading the next slice, unless one is being read or none is left.
    pub fn read_ahead(&mut self) {
        if self.pending.is_some() {
            return;
        }
        self.pending = self.slices.pop_front().map(|slice| {
            let (site, ids) = (self.site.clone(), slice.clone());
            let read = tokio::spawn(async move { site.training_snapshots(&ids).await });
            (slice, read)
        });
    }

    /// The next slice's ids and snapshots, once read (its read started when asked for, if
    /// [`Prefetch::read_ahead`] did not start it). `None` when every slice was handed out.
    pub async fn next(&mut self) -> Option<(Vec<i64>, Result<SnapshotSet, moodle::Error>)> {
        self.read_ahead();
        let (slice, read) = self.pending.take()?;
        let set = match read.await {
            Ok(set) => set,
            // The read panicked: so does its reader, as if it had read on this task.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        Some((slice, set))
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // A reader that stops early (an error, a refusal) does not leave a read running.
        if let Some((_, read)) = self.pending.take() {
            read.abort();
        }
    }
}

/// The second half of [`read_many`], for a set already read: hands the snapshot of each of
/// `ids` to `build` on as many threads as the machine has cores (at most 4), then what it
/// returned to `record`, on this thread, in the order of `ids`. `clone --from-site` reads the
/// next slice while this one is prechecked (docs/decisions.md §25).
pub fn build_each<T: Send>(
    set: SnapshotSet,
    ids: &[i64],
    build: impl Fn(i64, Result<Snapshot, SaveError>) -> T + Sync,
    mut record: impl FnMut(i64, T),
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Mutex, PoisonError};

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    let set = Mutex::new(set);
    let (sender, results) = mpsc::channel();
    off_the_runtime(|| {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (sender, set, next, build) = (sender.clone(), &set, &next, &build);
                scope.spawn(move || loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&id) = ids.get(index) else {
                        break;
                    };
                    // A thread that panicked while taking leaves the set usable.
                    let snapshot = set
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take(id)
                        .ok_or(SaveError::NotFound { id });
                    if sender.send((index, build(id, snapshot))).is_err() {
                        break;
                    }
                });
            }
            drop(sender);
            // Results arrive in any order: each is recorded once those before it were.
            let mut waiting = BTreeMap::new();
            let mut due = 0;
            for (index, built) in results {
                waiting.insert(index, built);
                while let Some(built) = waiting.remove(&due) {
                    record(ids[due], built);
                    due += 1;
                }
            }
        })
    });
}

/// Runs `work`, which holds this thread (it builds on threads of its own), without holding up
/// the tasks queued on this worker of the runtime — [`Prefetch`]'s read of the next slice: on
/// the multi-threaded runtime (the command line's) they move to another thread meanwhile.
fn off_the_runtime<R>(work: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Reads training `training_id` and builds its document as [`save`] would, unsigned (what
/// `diff --site` compares).
///
/// # Errors
///
/// As [`save`], but never [`SaveError::Strict`].
pub async fn read(
    site: &Site,
    training_id: i64,
    created: OffsetDateTime,
) -> Result<(Document, Vec<Warning>), SaveError> {
    let snapshot = site
        .training_snapshot(training_id)
        .await?
        .ok_or(SaveError::NotFound { id: training_id })?;
    build_on(site, &snapshot, created)
}

/// [`build`] with what `site` knows (its file store and `wwwroot`).
fn build_on(
    site: &Site,
    snapshot: &Snapshot,
    created: OffsetDateTime,
) -> Result<(Document, Vec<Warning>), SaveError> {
    let target = site.target();
    build(
        snapshot,
        &BuildContext {
            filedir: target.filedir.as_deref(),
            wwwroot: target.wwwroot.clone(),
            created,
        },
    )
}

/// The signed backup of a training already read from `site`, as [`save`] would write it: the
/// way back a replace keeps (`restore::apply_keeping_previous`).
///
/// # Errors
///
/// As [`build`].
pub fn save_snapshot(
    site: &Site,
    snapshot: &Snapshot,
    key: &SigningKey,
    created: OffsetDateTime,
) -> Result<Saved, SaveError> {
    save_read(
        site,
        snapshot,
        &SaveOptions {
            key,
            strict: false,
            created,
        },
    )
}

/// The name of the file that keeps a training as it was before a replace:
/// `training-<slug>-before-replace-<YYYYMMDD>-<HHMMSS>.json` (UTC), beside the backup restored.
pub fn before_replace_file_name(training: &str, time: OffsetDateTime) -> String {
    let time = time.to_offset(time::UtcOffset::UTC);
    format!(
        "training-{}-before-replace-{:04}{:02}{:02}-{:02}{:02}{:02}.json",
        slug(training),
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// Whether `file_name` is one of [`before_replace_file_name`]'s names (`-2`, `-3`... after
/// it included): a batch restore of a directory leaves those out.
pub fn is_before_replace_file_name(file_name: &str) -> bool {
    file_name.starts_with("training-")
        && file_name.ends_with(".json")
        && file_name.contains("-before-replace-")
}

/// What [`build`] needs besides the snapshot.
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    /// Moodle's file store, when known.
    pub filedir: Option<&'a Path>,
    /// `$CFG->wwwroot`, when read from config.php.
    pub wwwroot: Option<String>,
    /// The time written in `created`.
    pub created: OffsetDateTime,
}

/// Why today's rules refuse `name` for a new training (made before Attestoodle 1.10.6), in
/// English and French; `None` when a new training may take it. An empty name has its own
/// warning.
fn name_refused_for_new(name: &str) -> Option<(&'static str, &'static str)> {
    if name.contains('/') {
        Some((
            "contains `/`, which Attestoodle refuses for a new training since 1.10.6",
            "contient `/`, qu'Attestoodle refuse pour une nouvelle formation depuis la 1.10.6",
        ))
    } else if name.chars().count() > 255 {
        Some(("is longer than 255 characters", "dépasse 255 caractères"))
    } else {
        None
    }
}

/// Builds the unsigned, sorted and validated document of a snapshot, with its warnings.
///
/// # Errors
///
/// [`SaveError::CategoryMissing`], [`SaveError::DuplicateTemplateNames`], or
/// [`SaveError::Invalid`] when a value breaks a rule of the format.
pub fn build(
    snapshot: &Snapshot,
    context: &BuildContext<'_>,
) -> Result<(Document, Vec<Warning>), SaveError> {
    let mut warnings = Vec::new();
    let t = &snapshot.training;
    let training_name = match &t.name {
        Some(name) => name.clone(),
        None => {
            warnings.push(Warning::new(
                "training-no-name",
                format!(
                    "training {} has no name (NULL in the database); the file names it \"\"",
                    t.id
                ),
                format!(
                    "la formation {} n'a pas de nom (NULL dans la base) ; le fichier la nomme \"\"",
                    t.id
                ),
            ));
            String::new()
        }
    };
    if let Some(why) = name_refused_for_new(&training_name) {
        warnings.push(Warning::new(
            "training-name-refused",
            format!(
                "the training name `{training_name}` {}: it is saved as it is, and a restore can \
                 replace this training under it, but a new training (a restore elsewhere, a \
                 clone) will need another name (--name)",
                why.0
            ),
            format!(
                "le nom de formation `{training_name}` {} : il est sauvegardé tel quel, et une \
                 restauration peut remplacer cette formation sous ce nom, mais une nouvelle \
                 formation (restauration ailleurs, clonage) demandera un autre nom (--name)",
                why.1
            ),
        ));
    }
    let category =
        snapshot
            .categories
            .get(t.category_id)
            .ok_or_else(|| SaveError::CategoryMissing {
                training: training_name.clone(),
                category_id: t.category_id,
            })?;

    let template_names: HashMap<i64, &str> = snapshot
        .templates
        .iter()
        .map(|tpl| (tpl.id, tpl.name.as_str()))
        .collect();
    let mut referenced: HashSet<i64> = HashSet::new();

    // The training's template: the first train_style row that can be written (docs/decisions.md §8).
    let chosen = snapshot
        .train_styles
        .iter()
        .find(|s| template_names.contains_key(&s.template_id))
        .or(snapshot.train_styles.first());
    if let Some(style) = chosen {
        if template_names.contains_key(&style.template_id) {
            referenced.insert(style.template_id);
        } else {
            warnings.push(Warning::new(
                "training-template-missing",
                format!(
                    "the training's template (id {}) no longer exists; the file gives the \
                     training no template",
                    style.template_id
                ),
                format!(
                    "le modèle de la formation (id {}) n'existe plus ; le fichier n'indique aucun \
                     modèle pour la formation",
                    style.template_id
                ),
            ));
        }
        for other in snapshot.train_styles.iter().filter(|s| s.id != style.id) {
            warnings.push(Warning::new(
                "train-style-duplicate",
                format!(
                    "the training has several default-template settings; setting {} is \
                     used, setting {} is ignored",
                    style.id, other.id
                ),
                format!(
                    "la formation a plusieurs réglages de modèle par défaut ; le réglage \
                     {} est utilisé, le réglage {} est ignoré",
                    style.id, other.id
                ),
            ));
        }
    }

    let milestones = build_milestones(snapshot, &mut warnings);
    let learners = build_learners(snapshot, &mut warnings);
    let learner_styles =
        build_learner_styles(snapshot, &template_names, &mut referenced, &mut warnings);

    // Two written templates with one name cannot be told apart (docs/format.md).
    let mut by_name: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for tpl in snapshot
        .templates
        .iter()
        .filter(|tpl| referenced.contains(&tpl.id))
    {
        by_name.entry(tpl.name.as_str()).or_default().push(tpl.id);
    }
    if let Some((name, ids)) = by_name.iter().find(|(_, ids)| ids.len() > 1) {
        return Err(SaveError::DuplicateTemplateNames {
            training: training_name,
            name: (*name).to_owned(),
            ids: ids.clone(),
        });
    }
    let templates = snapshot
        .templates
        .iter()
        .filter(|tpl| referenced.contains(&tpl.id))
        .map(|tpl| build_template(snapshot, tpl, context.filedir, &mut warnings))
        .collect();

    let planning = snapshot.planning.as_ref().map(|rows| {
        rows.iter()
            .map(|p| v2::Planning {
                executiondate: p.executiondate,
                beginperiod: p.beginperiod,
                endperiod: p.endperiod,
                mailto: p.mailto.clone(),
                auto: p.auto,
                togenerate: p.togenerate,
            })
            .collect()
    });

    let mut document = Document {
        format: v2::FORMAT.to_owned(),
        version: v2::VERSION,
        created: v2::format_created(context.created),
        generator: format!("attestoodle-backup {}", env!("CARGO_PKG_VERSION")),
        source: v2::Source {
            wwwroot: context.wwwroot.clone(),
            source_training_id: t.id,
        },
        training: v2::Training {
            name: training_name.clone(),
            category: v2::Category {
                name: Some(category.name.clone()),
                idnumber: category.idnumber.clone().filter(|s| !s.is_empty()),
                path: snapshot.categories.path_names(category.id),
                source_id: category.id,
            },
            startdate: t.startdate,
            enddate: t.enddate,
            duration: t.duration,
            nbautolaunch: t.nbautolaunch,
            nextlaunch: t.nextlaunch,
            checklearner: t.checklearner,
            template: chosen
                .and_then(|s| template_names.get(&s.template_id))
                .map(|name| (*name).to_owned()),
            grpcriteria1: chosen.and_then(|s| s.grpcriteria1.clone()),
            grpcriteria2: chosen.and_then(|s| s.grpcriteria2.clone()),
        },
        milestones,
        templates,
        learners,
        learner_styles,
        planning,
        signature: None,
    };
    v2::sort(&mut document);
    v2::validate(&document).map_err(|source| SaveError::Invalid {
        training: training_name,
        source,
    })?;
    Ok((document, warnings))
}

/// A name for a milestone in messages: its stored name, else its course module id.
fn milestone_label(name: Option<&str>, cmid: i64) -> (String, String) {
    match name {
        Some(name) if !name.is_empty() => (
            format!("milestone “{name}” (course module {cmid})"),
            format!("le jalon « {name} » (module de cours {cmid})"),
        ),
        _ => (
            format!("the milestone of course module {cmid}"),
            format!("le jalon du module de cours {cmid}"),
        ),
    }
}

fn build_milestones(snapshot: &Snapshot, warnings: &mut Vec<Warning>) -> Vec<v2::Milestone> {
    // Per course: (section number, sequence items), by number.
    type Sections = Vec<(i64, Vec<Option<i64>>)>;
    let mut sections_by_course: HashMap<i64, Sections> = HashMap::new();
    for section in &snapshot.sections {
        sections_by_course
            .entry(section.course)
            .or_default()
            .push((section.section, rules::sequence_items(section.sequence())));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for m in &snapshot.milestones {
        let (en, fr) = milestone_label(m.name.as_deref(), m.cmid);
        if !seen.insert(m.cmid) {
            warnings.push(Warning::new(
                "milestone-duplicate",
                format!("{en} appears twice in the training; the first row is saved, row {} is ignored", m.id),
                format!("{fr} figure deux fois dans la formation ; la première ligne est sauvegardée, la ligne {} est ignorée", m.id),
            ));
            continue;
        }
        let (cm, course, kind) = match moodle::milestone_activity(
            snapshot.course_modules.get(&m.cmid),
        ) {
            Ok(found) => found,
            Err(orphan) => {
                let (why_en, why_fr) = match orphan {
                    Orphan::ActivityMissing => (
                        "its activity no longer exists (an orphan milestone; Attestoodle's milestone page can delete it)".to_owned(),
                        "son activité n'existe plus (jalon orphelin ; la page des jalons d'Attestoodle peut le supprimer)".to_owned(),
                    ),
                    Orphan::CourseMissing { course_id } => (
                        format!("its course (id {course_id}) no longer exists"),
                        format!("son cours (id {course_id}) n'existe plus"),
                    ),
                    Orphan::ActivityTypeMissing => (
                        "its activity type no longer exists on this site".to_owned(),
                        "son type d'activité n'existe plus sur ce site".to_owned(),
                    ),
                };
                warnings.push(Warning::left_out(
                    "milestone-orphan",
                    format!("{en} is left out: {why_en}"),
                    format!("{fr} est omis : {why_fr}"),
                ));
                continue;
            }
        };
        // A cm listed in several sections belongs to the last one (docs/format.md); the snapshot
        // gives sections by course then number.
        let place = sections_by_course
            .get(&cm.course)
            .into_iter()
            .flatten()
            .rev()
            .find_map(|(number, items)| {
                rules::position_in_items(items, cm.cmid).map(|position| (*number, position as i64))
            });
        let Some((section, position)) = place else {
            warnings.push(Warning::left_out(
                "milestone-not-in-sequence",
                format!("{en} is left out: its activity is in no section of course {course} (missing from every section's sequence)"),
                format!("{fr} est omis : son activité n'est dans aucune section du cours {course} (absente de toutes les séquences)"),
            ));
            continue;
        };
        if cm.deletion_in_progress {
            warnings.push(Warning::new(
                "activity-being-deleted",
                format!("{en} is saved, but Moodle is deleting its activity (course {course})"),
                format!("{fr} est sauvegardé, mais Moodle est en train de supprimer son activité (cours {course})"),
            ));
        }
        if cm.completion == 0 {
            warnings.push(Warning::new(
                "activity-without-completion",
                format!("{en} is saved, but its activity has completion tracking disabled (course {course})"),
                format!("{fr} est sauvegardé, mais le suivi d'achèvement de son activité est désactivé (cours {course})"),
            ));
        }
        if cm.kind_visible == Some(0) {
            warnings.push(Warning::new(
                "module-disabled",
                format!("{en} is saved, but the activity type {kind} is disabled on this site"),
                format!(
                    "{fr} est sauvegardé, mais le type d'activité {kind} est désactivé sur ce site"
                ),
            ));
        }
        if cm.name.is_none() {
            warnings.push(Warning::new(
                "activity-instance-missing",
                format!(
                    "{en} is saved without an activity name: its {kind} row {} is missing",
                    cm.instance
                ),
                format!(
                    "{fr} est sauvegardé sans nom d'activité : sa ligne {kind} {} est absente",
                    cm.instance
                ),
            ));
        }
        out.push(v2::Milestone {
            course: course.to_owned(),
            section,
            position,
            activity: v2::Activity {
                kind: Some(kind.to_owned()),
                name: cm.name.clone(),
                idnumber: cm.idnumber_set().map(str::to_owned),
                source_cmid: Some(cm.cmid),
            },
            creditedtime: m.creditedtime,
            name: m.name.clone(),
            timemodified: m.timemodified,
        });
    }
    out
}

/// The user of a learner or learner-style row when it can be written, else the warning.
/// `what` names the row in English and French; `feminine` agrees the French participle.
fn live_user<'a>(
    user: Option<&'a moodle::UserRow>,
    user_id: i64,
    what: (&str, &str),
    feminine: bool,
) -> Result<&'a moodle::UserRow, Warning> {
    let (what_en, what_fr) = what;
    let e = if feminine { "e" } else { "" };
    match user {
        None => Err(Warning::new(
            "learner-user-missing",
            format!("{what_en} of user {user_id} is left out: the account no longer exists"),
            format!("{what_fr} de l'utilisateur {user_id} est omis{e} : le compte n'existe plus"),
        )),
        Some(u) if u.deleted => Err(Warning::new(
            "learner-deleted",
            format!("{what_en} of user {user_id} is left out: the account is deleted"),
            format!("{what_fr} de l'utilisateur {user_id} est omis{e} : le compte est supprimé"),
        )),
        Some(u) => Ok(u),
    }
}

fn build_learners(snapshot: &Snapshot, warnings: &mut Vec<Warning>) -> Vec<v2::Learner> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for row in &snapshot.learners {
        let user = match live_user(
            row.user.as_deref(),
            row.user_id,
            ("the learner row", "la ligne d'apprenant"),
            true,
        ) {
            Ok(user) => user,
            Err(warning) => {
                warnings.push(warning);
                continue;
            }
        };
        if !seen.insert(row.user_id) {
            warnings.push(Warning::new(
                "learner-duplicate",
                format!(
                    "learner {} ({}) is listed twice; row {} is ignored",
                    user.username, user.email, row.id
                ),
                format!(
                    "l'apprenant {} ({}) figure deux fois ; la ligne {} est ignorée",
                    user.username, user.email, row.id
                ),
            ));
            continue;
        }
        out.push(v2::Learner {
            email: user.email.clone(),
            username: Some(user.username.clone()),
            idnumber: Some(user.idnumber.clone()).filter(|s| !s.is_empty()),
            selected: row.selected,
            predelete: row.predelete,
            resultcriteria: row.resultcriteria.clone(),
        });
    }
    out
}

fn build_learner_styles(
    snapshot: &Snapshot,
    template_names: &HashMap<i64, &str>,
    referenced: &mut HashSet<i64>,
    warnings: &mut Vec<Warning>,
) -> Vec<v2::LearnerStyle> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for row in &snapshot.user_styles {
        let user = match live_user(
            row.user.as_deref(),
            row.user_id,
            ("the certificate setting", "le réglage d'attestation"),
            false,
        ) {
            Ok(user) => user,
            Err(warning) => {
                warnings.push(warning);
                continue;
            }
        };
        let Some(template) = template_names.get(&row.template_id) else {
            warnings.push(Warning::new(
                "style-template-missing",
                format!(
                    "the certificate setting of {} ({}) is left out: its template (id {}) no longer exists",
                    user.username, user.email, row.template_id
                ),
                format!(
                    "le réglage d'attestation de {} ({}) est omis : son modèle (id {}) n'existe plus",
                    user.username, user.email, row.template_id
                ),
            ));
            continue;
        };
        if !seen.insert(row.user_id) {
            warnings.push(Warning::new(
                "style-duplicate",
                format!(
                    "{} ({}) has several certificate settings; row {} is ignored",
                    user.username, user.email, row.id
                ),
                format!(
                    "{} ({}) a plusieurs réglages d'attestation ; la ligne {} est ignorée",
                    user.username, user.email, row.id
                ),
            ));
            continue;
        }
        referenced.insert(row.template_id);
        out.push(v2::LearnerStyle {
            email: user.email.clone(),
            username: Some(user.username.clone()),
            template: (*template).to_owned(),
            grpcriteria1: row.grpcriteria1.clone(),
            grpcriteria2: row.grpcriteria2.clone(),
            enablecertificate: row.enablecertificate,
            withdateformat: row.withdateformat.clone(),
        });
    }
    out
}

fn build_template(
    snapshot: &Snapshot,
    template: &moodle::TemplateRow,
    filedir: Option<&Path>,
    warnings: &mut Vec<Warning>,
) -> v2::Template {
    let details: Vec<&moodle::DetailRow> = snapshot
        .details
        .iter()
        .filter(|d| d.template_id == template.id)
        .collect();
    let backgrounds: Vec<&&moodle::DetailRow> =
        details.iter().filter(|d| d.kind == "background").collect();
    let name = &template.name;
    // docs/decisions.md §9: the first background detail is the one described; the others are reported.
    for extra in backgrounds.iter().skip(1) {
        warnings.push(Warning::new(
            "background-extra",
            format!("template “{name}” has several background details; detail {} is kept in the file but has no image", extra.id),
            format!("le modèle « {name} » a plusieurs détails background ; le détail {} est gardé dans le fichier mais sans image", extra.id),
        ));
    }
    let background = backgrounds.first().and_then(|detail| {
        match read_background(snapshot, template, &detail.data, filedir) {
            Ok(background) => Some(background),
            Err((en, fr)) => {
                warnings.push(Warning::new(
                    "background-unreadable",
                    format!("template “{name}” is saved without its background image: {en}"),
                    format!("le modèle « {name} » est sauvegardé sans son image de fond : {fr}"),
                ));
                None
            }
        }
    });
    v2::Template {
        name: name.clone(),
        details: details
            .iter()
            .map(|d| v2::TemplateDetail {
                kind: d.kind.clone(),
                data: d.data.clone(),
            })
            .collect(),
        background,
    }
}

/// Reads the image a background detail names, or says why not (English, French).
fn read_background(
    snapshot: &Snapshot,
    template: &moodle::TemplateRow,
    data: &str,
    filedir: Option<&Path>,
) -> Result<v2::Background, (String, String)> {
    let filename = serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("filename").and_then(|f| f.as_str()).map(str::to_owned))
        .ok_or_else(|| {
            (
                "its background detail names no file (no \"filename\" in its data)".to_owned(),
                "son détail background ne nomme aucun fichier (pas de \"filename\" dans ses données)".to_owned(),
            )
        })?;
    let stored = snapshot
        .files
        .iter()
        .find(|f| f.template_id == template.id && f.filename == filename)
        .ok_or_else(|| {
            if snapshot.has_system_context {
                (
                    format!("Moodle's file storage lists no {filename} for this template (id {}) in the system context", template.id),
                    format!("le stockage de fichiers de Moodle ne liste aucun {filename} pour ce modèle (id {}) dans le contexte système", template.id),
                )
            } else {
                (
                    "the site has no system context (contextlevel 10), where Moodle keeps template images".to_owned(),
                    "le site n'a pas de contexte système (contextlevel 10), où Moodle range les images des modèles".to_owned(),
                )
            }
        })?;
    let filedir = filedir.ok_or_else(|| {
        (
            "Moodle's data directory is not known: pass --dataroot DIR or --moodle-config".to_owned(),
            "le répertoire de données de Moodle n'est pas connu : indiquez --dataroot RÉP ou --moodle-config".to_owned(),
        )
    })?;
    let bytes = files::read_content(filedir, &stored.contenthash)
        .map_err(|e| (e.to_string(), e.localized(crate::i18n::Lang::Fr)))?;
    Ok(v2::Background {
        filename,
        mimetype: stored
            .mimetype
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "image/png".to_owned()),
        size: bytes.len() as i64,
        sha1: files::sha1_hex(&bytes),
        content: STANDARD.encode(&bytes),
    })
}

/// The suggested file name of a backup: `training-<slug>-<YYYYMMDD>.json` (docs/format.md).
pub fn default_file_name(training: &str, date: OffsetDateTime) -> String {
    format!(
        "training-{}-{:04}{:02}{:02}.json",
        slug(training),
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A file-name-safe form of a name: lower-case ASCII letters and digits separated by `-`,
/// French accents folded; `training` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        out.push_str(folded);
    }
    let parts: Vec<&str> = out.split('-').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        "training".to_owned()
    } else {
        parts.join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("Licence Chimie S1 2026"), "licence-chimie-s1-2026");
        assert_eq!(slug("Sécurité & Hygiène 2026"), "securite-hygiene-2026");
        assert_eq!(
            slug("Anglais B2 – session d'automne"),
            "anglais-b2-session-d-automne"
        );
        assert_eq!(slug("///"), "training");
        let date = time::macros::datetime!(2026-11-28 12:00 UTC);
        assert_eq!(
            default_file_name("Œuvre", date),
            "training-oeuvre-20261128.json"
        );
    }
}
