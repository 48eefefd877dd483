//! `save`: write a training (or every training) to a signed format-2 file, or with `--format
//! legacy` to the PHP plugin's file (no signature, only a checksum anyone can recompute).
//!
//! `--json` prints on stdout one object `{"format": "2"|"legacy", "saved": [...], "failed":
//! [...], "key_created": PATH or null}`; each saved entry is `{id, training, format, file,
//! milestones, learners, templates, key_id, warnings: [{code, message}]}` (`key_id` is null for
//! a legacy file, which has `integrity`, its SHA-1 checksum, instead) and each failed one `{id,
//! training, error}`. `-o -` (the file on stdout) cannot be combined with `--json`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use time::OffsetDateTime;

use super::list::filter_by_category;
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::keys::{self, KeyError};

use crate::document::legacy::VERSION as LEGACY_VERSION;
use crate::i18n::Lang;
use crate::moodle::{Site, Snapshot};
use crate::save::legacy::LegacySaved;
use crate::save::{self, SaveError, SaveOptions, Saved};

/// Arguments of `save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The training's exact name, as `list` shows it.
    #[arg(
        value_name = "TRAINING",
        conflicts_with_all = ["id", "all"],
        required_unless_present_any = ["id", "all"]
    )]
    pub training: Option<String>,
    /// The training's id instead of its name (when two trainings share a name).
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub id: Option<i64>,
    /// Save every training, one file each, into the -o directory.
    #[arg(long)]
    pub all: bool,
    /// With --all: only the trainings in this category or below it (id, idnumber or path).
    #[arg(long, requires = "all", value_name = "ID|IDNUMBER|PATH")]
    pub category: Option<String>,
    /// Where to write: a file, or - for standard output; with --all, a directory
    /// [default: training-<name>-<YYYYMMDD>.json in the current directory].
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR|-")]
    pub output: Option<PathBuf>,
    /// Overwrite a file that already exists.
    #[arg(long)]
    pub force: bool,
    /// Refuse to save a training when one of its milestones cannot be placed.
    #[arg(long)]
    pub strict: bool,
    /// The file format: 2 (signed, the default), or legacy, the PHP plugin
    /// tool_save_attestoodle's file (version 2019061667: no signature, only a checksum)
    /// [default file name: training-<name>-<YYYYMMDD>-legacy.json].
    #[arg(long, value_enum, default_value = "2", value_name = "2|legacy")]
    pub format: Format,
    /// With --all -o DIR: then remove the files of this format that save wrote into DIR more
    /// than N days ago (recognized by their name and their first lines; nothing else is
    /// touched), when every training was saved.
    #[arg(
        long,
        value_name = "N",
        requires = "all",
        requires = "output",
        value_parser = clap::value_parser!(u32).range(1..=36_500)
    )]
    pub keep_days: Option<u32>,
}

/// The format `save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Format 2, signed.
    #[value(name = "2")]
    V2,
    /// The PHP plugin's legacy file: version "2019061667", SHA-1 checksum, no signature.
    Legacy,
}

impl Format {
    /// The name `--format` and `--json` use.
    fn name(self) -> &'static str {
        match self {
            Format::V2 => "2",
            Format::Legacy => "legacy",
        }
    }

    /// The suggested file name.
    fn file_name(self, training: &str, date: OffsetDateTime) -> String {
        match self {
            Format::V2 => save::default_file_name(training, date),
            Format::Legacy => save::legacy::default_file_name(training, date),
        }
    }
}

/// How a training is written: signed with a key, or as a legacy file.
#[derive(Clone, Copy)]
enum Mode<'a> {
    V2(&'a SigningKey),
    Legacy,
}

/// A training saved in either format, as the command reports it.
struct Written {
    text: String,
    training: String,
    format: Format,
    milestones: usize,
    learners: usize,
    templates: usize,
    key_id: Option<String>,
    integrity: Option<String>,
    warnings: Vec<save::Warning>,
}

impl From<Saved> for Written {
    fn from(saved: Saved) -> Written {
        let document = &saved.document;
        Written {
            text: saved.text(),
            training: document.training.name.clone(),
            format: Format::V2,
            milestones: document.milestones.len(),
            learners: document.learners.len(),
            templates: document.templates.len(),
            key_id: Some(
                document
                    .signature
                    .as_ref()
                    .map(|s| s.key_id.clone())
                    .unwrap_or_default(),
            ),
            integrity: None,
            warnings: saved.warnings,
        }
    }
}

impl From<LegacySaved> for Written {
    fn from(saved: LegacySaved) -> Written {
        Written {
            text: saved.text,
            training: saved.training,
            format: Format::Legacy,
            milestones: saved.milestones,
            learners: saved.learners,
            templates: saved.templates,
            key_id: None,
            integrity: Some(saved.integrity),
            warnings: saved.warnings,
        }
    }
}

/// Saves one training in the chosen mode.
async fn write_training(
    site: &Site,
    id: i64,
    mode: Mode<'_>,
    strict: bool,
    now: OffsetDateTime,
) -> Result<Written, SaveError> {
    let snapshot = site
        .training_snapshot(id)
        .await?
        .ok_or(SaveError::NotFound { id })?;
    build_training(site, &snapshot, mode, strict, now)
}

/// Builds the file of a training already read, in the chosen mode.
fn build_training(
    site: &Site,
    snapshot: &Snapshot,
    mode: Mode<'_>,
    strict: bool,
    now: OffsetDateTime,
) -> Result<Written, SaveError> {
    match mode {
        Mode::V2(key) => {
            let options = SaveOptions {
                key,
                strict,
                created: now,
            };
            save::save_read(site, snapshot, &options).map(Written::from)
        }
        Mode::Legacy => save::legacy::save_read(snapshot, strict).map(Written::from),
    }
}

/// The notice printed on stderr for every legacy save.
fn no_signature_notice(lang: Lang) -> &'static str {
    lang.pick(
        "note: the legacy format has no signature, only a SHA-1 checksum that anyone can \
         recompute after editing the file: it detects accidental damage, not tampering \
         (save without --format legacy for a signed file)",
        "remarque : le format ancien n'a pas de signature, seulement une somme de contrôle \
         SHA-1 que n'importe qui peut recalculer après avoir modifié le fichier : elle détecte \
         une altération accidentelle, pas une falsification (sauvegardez sans --format legacy \
         pour un fichier signé)",
    )
}

/// One saved training in the `--json` summary.
#[derive(Debug, Serialize)]
struct SavedEntry {
    id: i64,
    training: String,
    format: &'static str,
    file: Option<PathBuf>,
    milestones: usize,
    learners: usize,
    templates: usize,
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrity: Option<String>,
    warnings: Vec<WarningEntry>,
}

#[derive(Debug, Serialize)]
struct WarningEntry {
    code: &'static str,
    message: String,
}

/// One training that could not be saved in the `--json` summary.
#[derive(Debug, Serialize)]
struct FailedEntry {
    id: i64,
    training: Option<String>,
    error: String,
}

#[derive(Debug, Serialize)]
struct Summary {
    format: &'static str,
    saved: Vec<SavedEntry>,
    failed: Vec<FailedEntry>,
    key_created: Option<PathBuf>,
    /// With `--keep-days`: the old files removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pruned: Option<Vec<PathBuf>>,
}

/// Runs `save`.
pub async fn run(context: &Context, args: &SaveArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if to_stdout && (args.all || context.json) {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "-o - writes the file on standard output: it cannot be combined with --all or --json",
                "-o - écrit le fichier sur la sortie standard : il ne se combine pas avec --all ni --json",
            ),
        ));
    }
    // The key comes first: an unusable key must stop the save before anything is written. A
    // legacy file is not signed and needs none.
    let (key, key_created) = match args.format {
        Format::V2 => {
            let (key, created) = signing_key(context)?;
            (Some(key), created)
        }
        Format::Legacy => (None, None),
    };
    let mode = key.as_ref().map_or(Mode::Legacy, Mode::V2);
    let site = context.open_site().await?;
    let result = if args.all {
        save_all(context, args, &site, mode, key_created).await
    } else {
        save_one(context, args, &site, mode, key_created, to_stdout).await
    };
    site.close().await;
    result
}

async fn save_one(
    context: &Context,
    args: &SaveArgs,
    site: &Site,
    mode: Mode<'_>,
    key_created: Option<PathBuf>,
    to_stdout: bool,
) -> Result<(), Failure> {
    let lang = context.lang;
    let id = match (args.id, &args.training) {
        (Some(id), _) => id,
        (None, Some(name)) => resolve_name(site, name, lang).await?,
        (None, None) => {
            return Err(Failure::new(
                Exit::Usage,
                lang.pick(
                    "name the training to save, or pass --id N or --all",
                    "indiquez la formation à sauvegarder, ou --id N ou --all",
                ),
            ))
        }
    };
    let now = OffsetDateTime::now_utc();
    let saved = write_training(site, id, mode, args.strict, now)
        .await
        .map_err(|e| save_failure(e, lang))?;
    let file = if to_stdout {
        None
    } else {
        let path = match &args.output {
            Some(path) => context.cwd.join(path),
            None => context
                .cwd
                .join(args.format.file_name(&saved.training, now)),
        };
        Some(path)
    };
    for warning in &saved.warnings {
        eprintln!(
            "{}: {}",
            lang.pick("warning", "avertissement"),
            warning.message(lang)
        );
    }
    match &file {
        None => print_stdout(&saved.text)?,
        Some(path) => write_file(path, &saved.text, args.force, lang)?,
    }
    if args.format == Format::Legacy {
        eprintln!("{}", no_signature_notice(lang));
    }
    let entry = entry(id, &saved, file.clone(), lang);
    if context.json {
        return print_json(&Summary {
            format: args.format.name(),
            saved: vec![entry],
            failed: vec![],
            key_created,
            pruned: None,
        });
    }
    let place = file.map_or_else(
        || {
            lang.pick("standard output", "la sortie standard")
                .to_owned()
        },
        |p| p.display().to_string(),
    );
    eprintln!("{}", saved_line(&entry, &place, lang));
    Ok(())
}

async fn save_all(
    context: &Context,
    args: &SaveArgs,
    site: &Site,
    mode: Mode<'_>,
    key_created: Option<PathBuf>,
) -> Result<(), Failure> {
    let lang = context.lang;
    let list = site
        .training_names()
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let shown = filter_by_category(
        &list.categories,
        &list.trainings,
        args.category.as_deref(),
        lang,
    )?;
    let dir = args
        .output
        .as_ref()
        .map_or_else(|| context.cwd.clone(), |d| context.cwd.join(d));
    std::fs::create_dir_all(&dir).map_err(|e| {
        let e = crate::i18n::io_reason(&e, lang);
        Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "cannot create the directory {}: {e}; check -o",
                    dir.display()
                ),
                Lang::Fr => format!(
                    "impossible de créer le répertoire {} : {e} ; vérifiez -o",
                    dir.display()
                ),
            },
        )
    })?;
    let bar = super::progress_bar(context, shown.len());
    let now = OffsetDateTime::now_utc();
    let mut summary = Summary {
        format: args.format.name(),
        saved: vec![],
        failed: vec![],
        key_created,
        pruned: None,
    };
    let trainings: Vec<_> = shown
        .iter()
        .filter_map(|i| list.trainings.get(*i))
        .collect();
    // Each training's file, named before any is written: two trainings with one name (or one
    // slug) each get their own file.
    let mut used_names = std::collections::HashSet::new();
    let mut places = HashMap::new();
    for training in &trainings {
        let mut file_name = args
            .format
            .file_name(training.name.as_deref().unwrap_or(""), now);
        if !used_names.insert(file_name.clone()) {
            let slug = save::slug(training.name.as_deref().unwrap_or(""));
            file_name = args
                .format
                .file_name(&format!("{slug}-{}", training.id), now);
            used_names.insert(file_name.clone());
        }
        places.insert(training.id, (training, dir.join(file_name)));
    }
    let ids: Vec<i64> = trainings.iter().map(|t| t.id).collect();
    // Every training is read together, then built and written on every core, one file per
    // training held at a time (docs/decisions.md §21).
    save::read_many(
        site,
        &ids,
        |id, snapshot| {
            let path = places
                .get(&id)
                .map(|(_, path)| path.clone())
                .unwrap_or_default();
            match snapshot
                .and_then(|snapshot| build_training(site, &snapshot, mode, args.strict, now))
            {
                Ok(saved) => write_file(&path, &saved.text, args.force, lang)
                    .map(|()| entry(id, &saved, Some(path), lang)),
                Err(e) => Err(save_failure(e, lang)),
            }
        },
        |id, result| {
            let Some((training, _)) = places.get(&id) else {
                return;
            };
            let label = training
                .name
                .clone()
                .unwrap_or_else(|| format!("#{}", training.id));
            bar.set_message(label.clone());
            match result {
                Ok(saved) => {
                    bar.suspend(|| {
                        for warning in &saved.warnings {
                            eprintln!(
                                "{} ({label}): {}",
                                lang.pick("warning", "avertissement"),
                                warning.message
                            );
                        }
                    });
                    summary.saved.push(saved);
                }
                Err(failure) => {
                    bar.suspend(|| {
                        eprintln!(
                            "{} ({label}): {}",
                            lang.pick("error", "erreur"),
                            failure.message
                        )
                    });
                    summary.failed.push(FailedEntry {
                        id: training.id,
                        training: training.name.clone(),
                        error: failure.message,
                    });
                }
            }
            bar.inc(1);
        },
    )
    .await
    .map_err(|e| save_failure(e, lang))?;
    bar.finish_and_clear();
    if args.format == Format::Legacy && !summary.saved.is_empty() {
        eprintln!("{}", no_signature_notice(lang));
    }
    let mut prune_failure = None;
    if let Some(days) = args.keep_days {
        match prune_old(&dir, args.format, days, now, &summary, lang) {
            Ok(removed) => summary.pruned = Some(removed),
            Err(failure) => {
                summary.pruned = Some(vec![]);
                prune_failure = Some(failure);
            }
        }
    }
    if context.json {
        print_json(&summary)?;
    } else {
        for entry in &summary.saved {
            let place = entry
                .file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            eprintln!("{}", saved_line(entry, &place, lang));
        }
        let warnings: usize = summary.saved.iter().map(|e| e.warnings.len()).sum();
        eprintln!(
            "{}",
            match lang {
                Lang::En => format!(
                    "saved {} of {} trainings into {}, {warnings} warning(s), {} failed",
                    summary.saved.len(),
                    shown.len(),
                    dir.display(),
                    summary.failed.len()
                ),
                Lang::Fr => format!(
                    "{} formation(s) sur {} sauvegardée(s) dans {}, {warnings} avertissement(s), {} en échec",
                    summary.saved.len(),
                    shown.len(),
                    dir.display(),
                    summary.failed.len()
                ),
            }
        );
    }
    if let Some(failure) = prune_failure {
        return Err(failure);
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "{} training(s) could not be saved (the others were): see the messages above",
                    summary.failed.len()
                ),
                Lang::Fr => format!(
                    "{} formation(s) n'ont pas pu être sauvegardées (les autres l'ont été) : voir les messages ci-dessus",
                    summary.failed.len()
                ),
            },
        ))
    }
}

/// `--keep-days`: removes the files of `format` that an earlier save wrote into `dir` more than
/// `days` days ago, only when every training of this run was saved (a failing run keeps the
/// older backups). Says on stderr what was removed; a file that cannot be removed is a failure
/// (exit 1) after the others were looked at.
fn prune_old(
    dir: &Path,
    format: Format,
    days: u32,
    now: OffsetDateTime,
    summary: &Summary,
    lang: Lang,
) -> Result<Vec<PathBuf>, Failure> {
    if !summary.failed.is_empty() {
        eprintln!(
            "{}",
            lang.pick(
                "--keep-days: no old file was removed, since a training could not be saved",
                "--keep-days : aucun ancien fichier n'a été supprimé, car une formation n'a pas pu être sauvegardée",
            )
        );
        return Ok(vec![]);
    }
    let kind = match format {
        Format::V2 => save::prune::Kind::V2,
        Format::Legacy => save::prune::Kind::Legacy,
    };
    let written: Vec<PathBuf> = summary
        .saved
        .iter()
        .filter_map(|e| e.file.clone())
        .collect();
    let pruned = save::prune::prune(dir, kind, days, now, &written).map_err(|e| {
        Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "--keep-days: cannot list {}: {}; nothing was removed",
                    dir.display(),
                    e.kind()
                ),
                Lang::Fr => format!(
                    "--keep-days : impossible de lister {} : {} ; rien n'a été supprimé",
                    dir.display(),
                    e.kind()
                ),
            },
        )
    })?;
    for path in &pruned.removed {
        eprintln!(
            "{}",
            match lang {
                Lang::En => format!("removed {} (older than {days} days)", path.display()),
                Lang::Fr => format!("{} supprimé (plus ancien que {days} jours)", path.display()),
            }
        );
    }
    if let Some((path, error)) = pruned.failed.first() {
        return Err(Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "--keep-days: cannot remove {} ({}; {} file(s) in all): check the \
                     directory's permissions",
                    path.display(),
                    error.kind(),
                    pruned.failed.len()
                ),
                Lang::Fr => format!(
                    "--keep-days : impossible de supprimer {} ({} ; {} fichier(s) en tout) : \
                     vérifiez les droits du répertoire",
                    path.display(),
                    error.kind(),
                    pruned.failed.len()
                ),
            },
        ));
    }
    Ok(pruned.removed)
}

fn entry(id: i64, saved: &Written, file: Option<PathBuf>, lang: Lang) -> SavedEntry {
    SavedEntry {
        id,
        training: saved.training.clone(),
        format: saved.format.name(),
        file,
        milestones: saved.milestones,
        learners: saved.learners,
        templates: saved.templates,
        key_id: saved.key_id.clone(),
        integrity: saved.integrity.clone(),
        warnings: saved
            .warnings
            .iter()
            .map(|w| WarningEntry {
                code: w.code,
                message: w.message(lang).to_owned(),
            })
            .collect(),
    }
}

fn saved_line(entry: &SavedEntry, place: &str, lang: Lang) -> String {
    if let Some(integrity) = &entry.integrity {
        return match lang {
            Lang::En => format!(
                "saved “{}” to {place} in the legacy format (version {}): {} milestone(s), {} learner(s), {} template(s), SHA-1 checksum {integrity}, no signature",
                entry.training, LEGACY_VERSION, entry.milestones, entry.learners, entry.templates
            ),
            Lang::Fr => format!(
                "« {} » sauvegardée dans {place} au format ancien (version {}) : {} jalon(s), {} apprenant(s), {} modèle(s), somme de contrôle SHA-1 {integrity}, sans signature",
                entry.training, LEGACY_VERSION, entry.milestones, entry.learners, entry.templates
            ),
        };
    }
    let key_id = entry.key_id.as_deref().unwrap_or_default();
    match lang {
        Lang::En => format!(
            "saved “{}” to {place}: {} milestone(s), {} learner(s), {} template(s), signed with key {}",
            entry.training, entry.milestones, entry.learners, entry.templates, key_id
        ),
        Lang::Fr => format!(
            "« {} » sauvegardée dans {place} : {} jalon(s), {} apprenant(s), {} modèle(s), signée avec la clé {}",
            entry.training, entry.milestones, entry.learners, entry.templates, key_id
        ),
    }
}

fn save_failure(error: SaveError, lang: Lang) -> Failure {
    match error {
        SaveError::Database(e) => Failure::database(e, lang),
        SaveError::NotFound { .. } => Failure::new(Exit::TrainingNotFound, error.localized(lang)),
        other => Failure::new(Exit::Runtime, other.localized(lang)),
    }
}

/// Finds the one training named exactly `name`: exit 5 with the closest names when there is
/// none, exit 2 with the ids when several share it.
pub(super) async fn resolve_name(site: &Site, name: &str, lang: Lang) -> Result<i64, Failure> {
    let ids = site
        .find_trainings_by_name(name)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => {
            let list = site
                .training_names()
                .await
                .map_err(|e| Failure::database(e, lang))?;
            let names: Vec<&str> = list
                .trainings
                .iter()
                .filter_map(|t| t.name.as_deref())
                .collect();
            let close = closest_names(name, &names);
            let message = match (lang, close.is_empty()) {
                (Lang::En, true) => format!(
                    "no training is named “{name}” (names match exactly): `attestoodle-backup list` shows them"
                ),
                (Lang::En, false) => format!(
                    "no training is named “{name}” (names match exactly); the closest: {}",
                    quoted(&close)
                ),
                (Lang::Fr, true) => format!(
                    "aucune formation ne s'appelle « {name} » (le nom doit être exact) : `attestoodle-backup list` les montre"
                ),
                (Lang::Fr, false) => format!(
                    "aucune formation ne s'appelle « {name} » (le nom doit être exact) ; les plus proches : {}",
                    quoted(&close)
                ),
            };
            Err(Failure::new(Exit::TrainingNotFound, message))
        }
        several => {
            let list = several
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Err(Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!(
                        "{} trainings are named “{name}” (ids {list}): choose one with --id N",
                        several.len()
                    ),
                    Lang::Fr => format!(
                        "{} formations s'appellent « {name} » (identifiants {list}) : choisissez-en une avec --id N",
                        several.len()
                    ),
                },
            ))
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("“{n}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names closest to `wanted`, best first, at most three: the ones that contain it or are
/// contained in it, and the ones within a few edits of it, ignoring case, accents and
/// punctuation (compared as file-name slugs).
fn closest_names<'a>(wanted: &str, names: &[&'a str]) -> Vec<&'a str> {
    let wanted_slug = save::slug(wanted);
    let limit = (wanted_slug.chars().count() / 3).max(3);
    let mut scored: Vec<(usize, &str)> = names
        .iter()
        .filter_map(|name| {
            let slug = save::slug(name);
            let distance = edit_distance(&wanted_slug, &slug);
            let contains = slug.contains(&wanted_slug) || wanted_slug.contains(&slug);
            (distance <= limit || contains).then_some((distance, *name))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, name)| name).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The site's signing key: `--key`/`ATTESTOODLE_KEY` when given (it must exist: a mistyped path
/// must not sign with a new key), else the default key, created on first use as `keys` does.
/// Gives the path when it was just created.
pub(super) fn signing_key(context: &Context) -> Result<(SigningKey, Option<PathBuf>), Failure> {
    if context.key.is_none() {
        let (key, created) = super::keys::own_key_or_create(context)?;
        return Ok((key, created.then(|| context.key_path())));
    }
    let key =
        keys::read_private_key(&context.key_path()).map_err(|e| key_failure(&e, context.lang))?;
    Ok((key, None))
}

/// An unusable `--key` (missing, unreadable, not a key) as a failure, in the operator's language.
fn key_failure(error: &KeyError, lang: Lang) -> Failure {
    let nothing = lang.pick("nothing was written", "rien n'a été écrit");
    let sep = lang.pick(";", " ;");
    Failure::new(
        Exit::Runtime,
        format!("{}{sep} {nothing}", error.localized(lang)),
    )
    .with_detail(error.detail())
}

/// Writes a backup file (mode 0600, through a temporary file renamed into place: it names
/// learners by their email); never replaces an existing file unless `force`.
pub(super) fn write_file(path: &Path, text: &str, force: bool, lang: Lang) -> Result<(), Failure> {
    write_bytes(path, text.as_bytes(), force, lang)
}

/// Writes an output file of any command as [`write_file`] does (mode 0600, never over an
/// existing file unless `force`), with the same messages.
pub(super) fn write_bytes(
    path: &Path,
    bytes: &[u8],
    force: bool,
    lang: Lang,
) -> Result<(), Failure> {
    match crate::safe_file::write_private(path, bytes, force) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "{} already exists: pass --force to replace it, or -o another file",
                    path.display()
                ),
                Lang::Fr => format!(
                    "{} existe déjà : ajoutez --force pour le remplacer, ou -o un autre fichier",
                    path.display()
                ),
            },
        )),
        Err(e) => {
            // A full disk leaves nothing: the temporary file is removed and an older file
            // stays whole (`safe_file`).
            let full = e.kind() == std::io::ErrorKind::StorageFull;
            let (path, reason) = (path.display(), crate::i18n::io_reason(&e, lang));
            let message = match (lang, full) {
                (Lang::En, true) => format!(
                    "cannot write {path}: {reason}; nothing was left there: free some space, \
                     or choose another place with -o"
                ),
                (Lang::En, false) => format!(
                    "cannot write {path}: {reason}; check -o and the directory's permissions"
                ),
                (Lang::Fr, true) => format!(
                    "impossible d'écrire {path} : {reason} ; rien n'y a été laissé : libérez \
                     de la place, ou choisissez un autre endroit avec -o"
                ),
                (Lang::Fr, false) => format!(
                    "impossible d'écrire {path} : {reason} ; vérifiez -o et les droits du \
                     répertoire"
                ),
            };
            Err(Failure::new(Exit::Runtime, message).with_detail(Some(e.to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        let names = [
            "Licence Chimie S1 2026",
            "Sécurité & Hygiène 2026",
            "Anglais B2 – session d'automne",
        ];
        assert_eq!(
            closest_names("Licence Chimie S1 2025", &names),
            ["Licence Chimie S1 2026"]
        );
        assert_eq!(
            closest_names("anglais", &names),
            ["Anglais B2 – session d'automne"]
        );
        assert_eq!(
            closest_names("Securite", &names),
            ["Sécurité & Hygiène 2026"]
        );
        assert!(closest_names("Physique quantique avancée", &names).is_empty());
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("é", "e"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
