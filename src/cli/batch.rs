//! Several trainings at once (README "New academic year"): `restore FILE|DIR...`,
//! `clone FILE|DIR... --suffix S` and `clone --from-site [TRAINING...] [--category C]`.
//!
//! Every file is loaded and checked first (a bad one refuses the run, exit 3, unless
//! `--skip-bad-files`), every training is prechecked, then one combined report, one
//! confirmation (or `--yes --accept ...`, an accepted code counting for every training), and
//! each training is applied in its own transaction, or all in one with `--all-or-nothing`.
//! Exit 0 when every training was written, 4 when the combined precheck refuses, 1 when some
//! failed (README "Exit codes").

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use super::restore::{
    ask, codes_text, load, parse_accept, restore_failure, ApplyArgs, BatchArgs, PreviousKeeper,
};
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::v2;
use crate::i18n::Lang;
use crate::moodle::Site;
use crate::restore::batch::{self, BatchEntry, FindingGroup, Summary};
use crate::restore::{
    self, Accepted, ApplyOptions, Code, Mode, Plan, Report, RestoreError, RestoreOptions, Severity,
    TemplateAction, TrainingAction,
};

/// Where the trainings of a batch come from.
pub(super) enum Sources {
    /// Files and directories given on the command line.
    Files(Vec<PathBuf>),
    /// The site's own trainings (`clone --from-site`).
    Site {
        /// Training names.
        names: Vec<String>,
        /// Every training of this category and below.
        category: Option<String>,
        /// Where to keep their backups too (`--save-dir`).
        save_dir: Option<PathBuf>,
    },
}

/// The file of a command that names exactly one file (not a directory): the one-training
/// flow of `restore FILE`, whose output stays as documented.
pub(super) fn single_file<'a>(context: &Context, files: &'a [PathBuf]) -> Option<&'a Path> {
    match files {
        [one] if !context.cwd.join(one).is_dir() => Some(one.as_path()),
        _ => None,
    }
}

/// One training of the batch, with what the apply needs besides its plan.
struct Item {
    entry: BatchEntry,
    /// The file read, for the audit log and the way back of a replace (`None`: a live
    /// training).
    file: Option<PathBuf>,
    /// What the audit log says of the source (its SHA-256 computed once, so that the bytes
    /// are not kept: a rollover holds a thousand trainings).
    audit: crate::audit::Source,
}

/// How many trainings of a batch are prechecked together. Their documents are held until their
/// plans are made, then dropped: a rollover of 1,000 trainings holds 1,000 plans and at most
/// this many documents, not 1,000 of each (docs/decisions.md §25). What the site holds is read
/// once per slice. Half of `save --all`'s slice: a rollover holds the plans besides, and the
/// next slice is read meanwhile.
const SLICE: usize = 125;

/// An entry of the batch once prechecked: what is kept of it beside its plan.
struct Checked {
    /// As [`BatchEntry::origin`].
    origin: String,
    /// As [`Item::file`].
    file: Option<PathBuf>,
    /// As [`Item::audit`].
    audit: crate::audit::Source,
}

/// The entries of the batch prechecked so far, with their plans.
#[derive(Default)]
struct Prechecked {
    checked: Vec<Checked>,
    plans: Vec<Plan>,
}

impl Prechecked {
    /// Prechecks `items` together and keeps their plans; their documents are dropped.
    async fn add(&mut self, site: &Site, items: Vec<Item>, lang: Lang) -> Result<(), Failure> {
        let plans = {
            let entries: Vec<&BatchEntry> = items.iter().map(|i| &i.entry).collect();
            batch::precheck_each(site, &entries)
                .await
                .map_err(|e| Failure::database(e, lang))?
        };
        for (item, plan) in items.into_iter().zip(plans) {
            self.checked.push(Checked {
                origin: item.entry.origin,
                file: item.file,
                audit: item.audit,
            });
            self.plans.push(plan);
        }
        Ok(())
    }

    /// The entries and their plans, with the batch's own rule applied across all of them
    /// (`batch-duplicate`).
    fn finish(mut self) -> Prechecked {
        let origins: Vec<&str> = self.checked.iter().map(|c| c.origin.as_str()).collect();
        batch::mark_duplicates(&origins, &mut self.plans);
        self
    }
}

/// A file left out of the batch, and why.
#[derive(Debug, Serialize)]
struct BadFile {
    file: String,
    error: String,
}

/// One training in `--json`.
#[derive(Debug, Serialize)]
struct TrainingJson<'a> {
    #[serde(flatten)]
    summary: Summary,
    /// `applied`, `dry-run`, `failed`, `refused` or `not-run`.
    outcome: &'static str,
    findings: &'a [restore::Finding],
    report: Option<&'a Report>,
    error: Option<String>,
    previous: Option<String>,
}

/// What `--json` prints for a batch (README "New academic year").
#[derive(Debug, Serialize)]
struct BatchJson<'a> {
    /// `applied`, `dry-run`, `partial`, `refused` or `failed`.
    outcome: &'static str,
    trainings: Vec<TrainingJson<'a>>,
    findings: Vec<FindingGroup>,
    blocking: Vec<Code>,
    to_accept: Vec<Code>,
    bad_files: Vec<BadFile>,
    error: Option<String>,
}

/// Runs a batch restore or clone.
pub(super) async fn run(
    context: &Context,
    sources: Sources,
    args: &ApplyArgs,
    batch_args: &BatchArgs,
    options: RestoreOptions,
) -> Result<(), Failure> {
    let lang = context.lang;
    let mut accepted = parse_accept(&args.accept, lang)?;
    let max_size = args.max_size.unwrap_or(v2::MAX_FILE_SIZE);
    let mut prechecked = Prechecked::default();
    let (bad_files, site) = match sources {
        Sources::Files(files) => {
            let paths = expand(context, &files, batch_args.recursive)?;
            let mut items = Vec::new();
            let mut bad = Vec::new();
            for path in paths {
                match load(context, &path, max_size) {
                    Ok((document, provenance)) => {
                        let bytes = std::fs::read(context.cwd.join(&path)).unwrap_or_default();
                        let origin = path.display().to_string();
                        let audit = restore::audit_source(&origin, &bytes, &provenance);
                        let mut options = options.clone();
                        options.provenance = provenance;
                        items.push(Item {
                            entry: BatchEntry {
                                origin,
                                document,
                                options,
                            },
                            file: Some(path),
                            audit,
                        });
                    }
                    Err(failure) => bad.push(BadFile {
                        file: path.display().to_string(),
                        error: failure.message,
                    }),
                }
            }
            refuse_bad_files(context, &bad, batch_args.skip_bad_files)?;
            let site = context.open_site().await?;
            let mut items = items.into_iter();
            loop {
                let slice: Vec<Item> = items.by_ref().take(SLICE).collect();
                if slice.is_empty() {
                    break;
                }
                if let Err(failure) = prechecked.add(&site, slice, lang).await {
                    site.close().await;
                    return Err(failure);
                }
            }
            (bad, site)
        }
        Sources::Site {
            names,
            category,
            save_dir,
        } => {
            let site = context.open_site().await?;
            let found = from_site(
                context,
                &site,
                &names,
                category.as_deref(),
                save_dir.as_deref(),
                &options,
                &mut prechecked,
            )
            .await;
            let bad = match found {
                Ok(bad) => bad,
                Err(failure) => {
                    site.close().await;
                    return Err(failure);
                }
            };
            if let Err(failure) = refuse_bad_files(context, &bad, batch_args.skip_bad_files) {
                site.close().await;
                return Err(failure);
            }
            (bad, site)
        }
    };
    let result = decide_and_apply(
        context,
        &site,
        prechecked.finish(),
        bad_files,
        args,
        batch_args,
        &mut accepted,
    )
    .await;
    site.close().await;
    result
}

/// The files of the command line, every directory replaced by its `*.json` files (by name;
/// with `--recursive`, those of its sub-directories too). The training a replace kept as the
/// way back (`training-...-before-replace-...json`) is left out of a directory, and said so:
/// restoring it would undo the batch.
fn expand(context: &Context, files: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>, Failure> {
    let lang = context.lang;
    let mut out = Vec::new();
    for given in files {
        let full = context.cwd.join(given);
        if !full.is_dir() {
            out.push(given.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![given.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(context.cwd.join(&dir)).map_err(|e| {
                Failure::unreadable(match lang {
                    Lang::En => format!(
                        "{}: the directory cannot be read ({}); check its permissions",
                        dir.display(),
                        crate::i18n::io_reason(&e, lang)
                    ),
                    Lang::Fr => format!(
                        "{} : le dossier ne peut pas être lu ({}) ; vérifiez ses droits",
                        dir.display(),
                        crate::i18n::io_reason(&e, lang)
                    ),
                })
                .with_detail(Some(e.to_string()))
            })?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                let path = dir.join(&name);
                let is_dir = context.cwd.join(&path).is_dir();
                if is_dir {
                    if recursive {
                        stack.push(path);
                    }
                } else if name.to_string_lossy().ends_with(".json") {
                    if crate::save::is_before_replace_file_name(&name.to_string_lossy()) {
                        eprintln!(
                            "attestoodle-backup: {}",
                            match lang {
                                Lang::En => format!(
                                    "{} left out: it keeps a training as it was before a replace \
                                     (give it by name to restore it)",
                                    path.display()
                                ),
                                Lang::Fr => format!(
                                    "{} laissé de côté : il garde une formation telle qu'elle \
                                     était avant un remplacement (donnez-le nommément pour le \
                                     restaurer)",
                                    path.display()
                                ),
                            }
                        );
                        continue;
                    }
                    found.push(path);
                }
            }
        }
        if found.is_empty() {
            return Err(Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!(
                        "{}: the directory holds no backup file (*.json){}",
                        given.display(),
                        if recursive {
                            ""
                        } else {
                            "; add --recursive to look in its sub-directories"
                        }
                    ),
                    Lang::Fr => format!(
                        "{} : le dossier ne contient aucun fichier de sauvegarde (*.json){}",
                        given.display(),
                        if recursive {
                            ""
                        } else {
                            " ; ajoutez --recursive pour chercher dans ses sous-dossiers"
                        }
                    ),
                },
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// A bad file refuses the whole run before anything is written (exit 3), unless
/// `--skip-bad-files`, which names them and goes on.
fn refuse_bad_files(context: &Context, bad: &[BadFile], skip: bool) -> Result<(), Failure> {
    let lang = context.lang;
    for file in bad {
        let prefix = if skip {
            lang.pick("left out: ", "laissé de côté : ")
        } else {
            ""
        };
        eprintln!("attestoodle-backup: {prefix}{}", file.error);
    }
    if bad.is_empty() || skip {
        return Ok(());
    }
    let list = bad
        .iter()
        .map(|b| b.file.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let message = match (bad.len(), lang) {
        (1, Lang::En) => format!(
            "the file {list} cannot be restored: nothing was written; fix or remove it, or run \
             again with --skip-bad-files to leave it out"
        ),
        (1, Lang::Fr) => format!(
            "le fichier {list} ne peut pas être restauré : rien n'a été écrit ; corrigez-le ou \
             retirez-le, ou relancez avec --skip-bad-files pour le laisser de côté"
        ),
        (n, Lang::En) => format!(
            "{n} files cannot be restored ({list}): nothing was written; fix or remove them, or \
             run again with --skip-bad-files to leave them out"
        ),
        (n, Lang::Fr) => format!(
            "{n} fichiers ne peuvent pas être restaurés ({list}) : rien n'a été écrit ; \
             corrigez-les ou retirez-les, ou relancez avec --skip-bad-files pour les laisser de \
             côté"
        ),
    };
    if context.json {
        print_json(&BatchJson {
            outcome: "refused",
            trainings: Vec::new(),
            findings: Vec::new(),
            blocking: Vec::new(),
            to_accept: Vec::new(),
            bad_files: bad
                .iter()
                .map(|b| BadFile {
                    file: b.file.clone(),
                    error: b.error.clone(),
                })
                .collect(),
            error: Some(message.clone()),
        })?;
    }
    Err(Failure::new(Exit::FileRejected, message))
}

/// `clone --from-site`: the trainings named and those of the category, each saved in memory
/// exactly as `save` writes it (signed with this site's key), and kept in `save_dir` when
/// given. A training that cannot be saved is a bad entry, as a bad file is.
async fn from_site(
    context: &Context,
    site: &Site,
    names: &[String],
    category: Option<&str>,
    save_dir: Option<&Path>,
    options: &RestoreOptions,
    prechecked: &mut Prechecked,
) -> Result<Vec<BadFile>, Failure> {
    let lang = context.lang;
    if names.is_empty() && category.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "--from-site needs the trainings to clone: name them, or give --category ID|IDNUMBER|PATH for every training of a category",
                "--from-site demande les formations à cloner : nommez-les, ou indiquez --category ID|IDNUMBER|CHEMIN pour toutes les formations d'une catégorie",
            ),
        ));
    }
    let mut ids = Vec::new();
    for name in names {
        ids.push(super::save::resolve_name(site, name, lang).await?);
    }
    if let Some(spec) = category {
        let list = site
            .training_names()
            .await
            .map_err(|e| Failure::database(e, lang))?;
        let chosen =
            super::list::filter_by_category(&list.categories, &list.trainings, Some(spec), lang)?;
        ids.extend(
            chosen
                .iter()
                .filter_map(|i| list.trainings.get(*i))
                .map(|t| t.id),
        );
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() {
        return Err(Failure::new(
            Exit::TrainingNotFound,
            match lang {
                Lang::En => format!(
                    "the category `{}` holds no training: `attestoodle-backup list` shows where they are",
                    category.unwrap_or_default()
                ),
                Lang::Fr => format!(
                    "la catégorie `{}` ne contient aucune formation : `attestoodle-backup list` montre où elles sont",
                    category.unwrap_or_default()
                ),
            },
        ));
    }
    let (key, _) = super::save::signing_key(context)?;
    let trust = super::keys::trust_store(context)?;
    if let Some(dir) = save_dir {
        std::fs::create_dir_all(context.cwd.join(dir))
            .map_err(|e| save_dir_failure(dir, None, &e, lang))?;
    }
    let now = OffsetDateTime::now_utc();
    let mut bad = Vec::new();
    let save_options = crate::save::SaveOptions {
        key: &key,
        strict: false,
        created: now,
    };
    // A slice of trainings at a time, each read together (docs/decisions.md §21, §25); the
    // next slice is read by a task of its own, on another connection and another core, while
    // this one is prechecked.
    let database = |e: crate::moodle::Error| Failure::database(e, lang);
    let mut reads = crate::save::Prefetch::new(site, &ids, SLICE);
    while let Some((slice, set)) = reads.next().await {
        let set = set.map_err(database)?;
        let slice = slice.as_slice();
        let mut items = Vec::new();
        let mut saves = Vec::with_capacity(slice.len());
        crate::save::build_each(
            set,
            slice,
            |_, snapshot| snapshot.and_then(|s| crate::save::save_read(site, &s, &save_options)),
            |id, saved| saves.push((id, saved)),
        );
        for (id, saved) in saves {
            let saved = match saved {
                Ok(saved) => saved,
                Err(crate::save::SaveError::Database(e)) => return Err(Failure::database(e, lang)),
                Err(e) => {
                    bad.push(BadFile {
                        file: format!("{} {id}", lang.pick("training", "formation")),
                        error: e.localized(lang),
                    });
                    continue;
                }
            };
            let name = saved.document.training.name.clone();
            for warning in &saved.warnings {
                eprintln!(
                    "{} ({name}){} {}",
                    lang.pick("warning", "avertissement"),
                    lang.pick(":", " :"),
                    warning.message(lang)
                );
            }
            let text = saved.text();
            let mut origin = format!("{} « {name} »", lang.pick("site:", "site :"));
            if let Some(dir) = save_dir {
                let file = crate::save::default_file_name(&name, now);
                let path = write_numbered(&context.cwd.join(dir), &file, text.as_bytes())
                    .map_err(|e| save_dir_failure(dir, Some(&name), &e, lang))?;
                origin = path
                    .strip_prefix(&context.cwd)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
            }
            // Signed here a moment ago with this site's key: trusted as the trust store says,
            // without checking the signature again (restore::prepare_signed_here).
            let prepared = restore::prepare_signed_here(saved.document, &key, &trust);
            let audit = crate::audit::Source {
                live_training: Some(id),
                ..restore::audit_source(&origin, text.as_bytes(), &prepared.provenance)
            };
            drop(text);
            let mut options = options.clone();
            options.provenance = prepared.provenance;
            items.push(Item {
                entry: BatchEntry {
                    origin,
                    document: prepared.document,
                    options,
                },
                file: None,
                audit,
            });
        }
        reads.read_ahead();
        prechecked.add(site, items, lang).await?;
    }
    Ok(bad)
}

/// `--save-dir DIR` cannot be made, or the backup of `training` cannot be written there: exit 1,
/// before anything is written to the site.
fn save_dir_failure(dir: &Path, training: Option<&str>, e: &std::io::Error, lang: Lang) -> Failure {
    let reason = crate::i18n::io_reason(e, lang);
    let dir = dir.display();
    let message = match (training, lang) {
        (None, Lang::En) => format!(
            "--save-dir {dir}: the directory cannot be made ({reason}): nothing was written"
        ),
        (None, Lang::Fr) => format!(
            "--save-dir {dir} : le dossier ne peut pas être créé ({reason}) : rien n'a été écrit"
        ),
        (Some(name), Lang::En) => format!(
            "--save-dir {dir}: the backup of “{name}” cannot be written ({reason}): nothing was written"
        ),
        (Some(name), Lang::Fr) => format!(
            "--save-dir {dir} : la sauvegarde de « {name} » ne peut pas être écrite ({reason}) : rien n'a été écrit"
        ),
    };
    Failure::new(Exit::Runtime, message).with_detail(Some(e.to_string()))
}

/// Writes `bytes` as `name` in `dir` (mode 0600, never over a file): `-2`, `-3`... when the
/// name is taken.
fn write_numbered(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let mut path = dir.join(name);
    let mut written = crate::safe_file::write_private(&path, bytes, false);
    for n in 2..1000 {
        match &written {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                path = dir.join(name.replace(".json", &format!("-{n}.json")));
                written = crate::safe_file::write_private(&path, bytes, false);
            }
            _ => break,
        }
    }
    written.map(|()| path)
}

/// Prechecks, reports, asks or checks the acceptances, applies and reports again.
async fn decide_and_apply(
    context: &Context,
    site: &Site,
    prechecked: Prechecked,
    bad_files: Vec<BadFile>,
    args: &ApplyArgs,
    batch_args: &BatchArgs,
    accepted: &mut Accepted,
) -> Result<(), Failure> {
    let lang = context.lang;
    let Prechecked {
        checked: items,
        plans,
    } = prechecked;
    if items.is_empty() {
        return Err(Failure::new(
            Exit::FileRejected,
            lang.pick(
                "no training is left to restore: nothing was written",
                "il ne reste aucune formation à restaurer : rien n'a été écrit",
            ),
        ));
    }
    let summaries: Vec<Summary> = items
        .iter()
        .zip(&plans)
        .map(|(item, plan)| batch::summary(&item.origin, plan))
        .collect();
    let groups = batch::group_findings(&plans);
    if !context.json {
        print_stdout(&combined_text(&plans, &summaries, &groups, lang))?;
    }
    let json = |outcome: &'static str,
                results: &[Outcome],
                to_accept: Vec<Code>,
                error: Option<String>|
     -> Result<(), Failure> {
        print_json(&BatchJson {
            outcome,
            trainings: summaries
                .iter()
                .zip(&plans)
                .enumerate()
                .map(|(i, (summary, plan))| {
                    let result = results.get(i);
                    TrainingJson {
                        summary: summary.clone(),
                        outcome: result.map_or("refused", Outcome::name),
                        findings: &plan.findings,
                        report: result.and_then(Outcome::report),
                        error: result.and_then(|r| r.error(lang)),
                        previous: result.and_then(|r| r.previous.clone()),
                    }
                })
                .collect(),
            findings: groups.clone(),
            blocking: batch::blocking(&plans).into_iter().collect(),
            to_accept,
            bad_files: bad_files
                .iter()
                .map(|b| BadFile {
                    file: b.file.clone(),
                    error: b.error.clone(),
                })
                .collect(),
            error,
        })
    };
    let refuse = |to_accept: Vec<Code>, message: String| -> Result<(), Failure> {
        if context.json {
            json("refused", &[], to_accept, Some(message.clone()))?;
        }
        Err(Failure::new(Exit::PrecheckRefused, message))
    };

    let blocking: Vec<Code> = batch::blocking(&plans).into_iter().collect();
    if !blocking.is_empty() {
        let list = codes_text(&blocking);
        return refuse(
            batch::unaccepted(&plans, accepted).into_iter().collect(),
            match lang {
                Lang::En => format!("the precheck found blocking problems ({list}): nothing was written; fix them as the findings say"),
                Lang::Fr => format!("la vérification a trouvé des problèmes bloquants ({list}) : rien n'a été écrit ; corrigez-les comme l'indiquent les constats"),
            },
        );
    }
    let interactive = !args.yes
        && !context.json
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let unaccepted: Vec<Code> = batch::unaccepted(&plans, accepted).into_iter().collect();
    let mut trial = accepted.clone();
    if args.dry_run {
        trial.codes.extend(batch::needs_accept(&plans));
    } else if interactive {
        for code in &unaccepted {
            let group = groups.iter().find(|g| g.code == *code);
            let (count, trainings) = group.map_or((0, 0), |g| (g.count, g.trainings.len()));
            let question = match lang {
                Lang::En => format!(
                    "Accept `{code}` ({count} finding(s) in {trainings} training(s) above)? [y/N] "
                ),
                Lang::Fr => format!(
                    "Accepter `{code}` ({count} constat(s) dans {trainings} formation(s) ci-dessus) ? [o/N] "
                ),
            };
            if !ask(&question)? {
                return refuse(
                    unaccepted.clone(),
                    match lang {
                        Lang::En => format!("`{code}` was not accepted: nothing was written"),
                        Lang::Fr => format!("`{code}` n'a pas été accepté : rien n'a été écrit"),
                    },
                );
            }
            accepted.codes.insert(*code);
        }
        trial = accepted.clone();
        let n = plans.len();
        let question = match lang {
            Lang::En => format!("Write these {n} trainings now? [y/N] "),
            Lang::Fr => format!("Écrire ces {n} formations maintenant ? [o/N] "),
        };
        if !ask(&question)? {
            return refuse(
                Vec::new(),
                lang.pick(
                    "cancelled: nothing was written",
                    "annulé : rien n'a été écrit",
                )
                .to_owned(),
            );
        }
    } else if !unaccepted.is_empty() || !args.yes {
        let needed: Vec<Code> = batch::needs_accept(&plans).into_iter().collect();
        let accept = if needed.is_empty() {
            String::new()
        } else {
            format!(" --accept {}", codes_text(&needed))
        };
        let which = codes_text(&unaccepted);
        return refuse(
            unaccepted.clone(),
            match lang {
                Lang::En => format!(
                    "nothing was written: {}to apply without a terminal, run again with --yes{accept} (an accepted code counts for every training)",
                    if unaccepted.is_empty() { String::new() } else { format!("these findings need acceptance: {which}; ") }
                ),
                Lang::Fr => format!(
                    "rien n'a été écrit : {}pour appliquer sans terminal, relancez avec --yes{accept} (un code accepté vaut pour toutes les formations)",
                    if unaccepted.is_empty() { String::new() } else { format!("ces constats demandent une acceptation : {which} ; ") }
                ),
            },
        );
    }

    // Every real write is logged: a log that cannot be opened refuses it before anything.
    let audit = if args.dry_run {
        None
    } else {
        Some(context.open_audit_log()?)
    };
    let replaces = plans
        .iter()
        .any(|p| p.training.action == TrainingAction::Replace);
    let keeps_previous = replaces && !args.dry_run && !args.no_keep_previous;
    let key = if keeps_previous {
        Some(super::save::signing_key(context)?.0)
    } else {
        None
    };
    let keepers: Vec<PreviousKeeper<'_>> = items
        .iter()
        .map(|item| {
            let directory = item
                .file
                .as_deref()
                .and_then(Path::parent)
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| context.cwd.clone(), |d| context.cwd.join(d));
            PreviousKeeper::new(site, key.as_ref(), directory)
        })
        .collect();
    let keep_fns: Vec<_> = keepers
        .iter()
        .map(|k| move |s: &crate::moodle::Snapshot| k.keep(s))
        .collect();
    let keeps: Vec<Option<restore::KeepPrevious<'_>>> = plans
        .iter()
        .zip(&keep_fns)
        .map(|(plan, keep)| {
            (keeps_previous && plan.training.action == TrainingAction::Replace)
                .then_some(keep as restore::KeepPrevious<'_>)
        })
        .collect();
    let apply_options = ApplyOptions {
        dry_run: args.dry_run,
        ..ApplyOptions::default()
    };

    let mut results: Vec<Outcome> = Vec::with_capacity(plans.len());
    if batch_args.all_or_nothing {
        let refs: Vec<&Plan> = plans.iter().collect();
        match restore::apply_together(site, &refs, &trial, &apply_options, &keeps, None).await {
            Ok(reports) => results.extend(reports.into_iter().map(|r| Outcome::of(Ok(r)))),
            Err(failure) => {
                let failed = plans
                    .get(failure.index)
                    .map(|p| p.training.name.clone())
                    .unwrap_or_default();
                let mut error = Some(failure.error);
                for i in 0..plans.len() {
                    let outcome = if i == failure.index {
                        match error.take() {
                            Some(e) => Err(e),
                            None => Err(RestoreError::BatchRolledBack {
                                failed: failed.clone(),
                            }),
                        }
                    } else {
                        Err(RestoreError::BatchRolledBack {
                            failed: failed.clone(),
                        })
                    };
                    results.push(Outcome::of(outcome));
                }
            }
        }
        for keeper in &keepers {
            if let Some(path) = keeper.taken() {
                if results.iter().any(|r| r.result.is_err()) {
                    // Nothing was replaced: the copy would only mislead.
                    let _ = std::fs::remove_file(path);
                } else if let Some(r) = results
                    .iter_mut()
                    .find(|r| r.previous.is_none() && r.is_replace())
                {
                    r.previous = Some(path.display().to_string());
                }
            }
        }
    } else {
        // Each training in its own transaction, as far as the outcome goes: a rollover's
        // clones are written many at a time (restore::apply_each).
        let bar = super::progress_bar(context, plans.len());
        let refs: Vec<&Plan> = plans.iter().collect();
        let applied =
            restore::apply_each(site, &refs, &trial, &apply_options, &keeps, |_| bar.inc(1)).await;
        bar.finish_and_clear();
        for (i, applied) in applied.into_iter().enumerate() {
            let mut outcome = Outcome::of(applied);
            if let Some(keeper) = keepers.get(i) {
                if let Some(path) = keeper.taken() {
                    if outcome.result.is_ok() {
                        outcome.previous = Some(path.display().to_string());
                    } else {
                        let _ = std::fs::remove_file(path);
                    }
                }
            }
            results.push(outcome);
        }
    }

    if let Some(log) = &audit {
        // The operator is looked up once per account, and the log synced once.
        let mut usernames: std::collections::HashMap<i64, Option<String>> = Default::default();
        let mut entries = Vec::with_capacity(items.len());
        for ((item, plan), outcome) in items.iter().zip(&plans).zip(&results) {
            let operator = match plan.operator_id() {
                Some(id) => {
                    let username = match usernames.get(&id) {
                        Some(known) => known.clone(),
                        None => {
                            let found = site.username_of(id).await.ok().flatten();
                            usernames.insert(id, found.clone());
                            found
                        }
                    };
                    crate::audit::Operator {
                        username,
                        id: Some(id),
                        client: None,
                    }
                }
                None => crate::audit::Operator::default(),
            };
            let via = match plan.mode {
                Mode::Restore => "restore",
                Mode::Clone => "clone",
            };
            entries.push(restore::audit_entry(
                via,
                operator,
                item.audit.clone(),
                plan,
                &outcome.result,
            ));
        }
        log.append_all(&entries)
            .map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?;
    }

    let failed: Vec<&str> = plans
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.result.is_err())
        .map(|(p, _)| p.training.name.as_str())
        .collect();
    let still_needed: Vec<Code> = batch::unaccepted(&plans, accepted).into_iter().collect();
    let outcome = match (failed.len(), args.dry_run) {
        (0, true) => "dry-run",
        (0, false) => "applied",
        (n, _) if n == plans.len() => "failed",
        _ => "partial",
    };
    let message = (!failed.is_empty()).then(|| {
        let list = failed
            .iter()
            .map(|n| format!("“{n}”"))
            .collect::<Vec<_>>()
            .join(", ");
        let written = plans.len() - failed.len();
        match lang {
            Lang::En => format!(
                "{} of {} trainings could not be written ({list}); {written} were written: run the command again for the others once the cause is fixed",
                failed.len(),
                plans.len()
            ),
            Lang::Fr => format!(
                "{} formations sur {} n'ont pas pu être écrites ({list}) ; {written} l'ont été : relancez la commande pour les autres une fois la cause corrigée",
                failed.len(),
                plans.len()
            ),
        }
    });
    if context.json {
        json(outcome, &results, still_needed, message.clone())?;
    } else {
        print_stdout(&results_text(&plans, &results, args.dry_run, lang))?;
    }
    match message {
        None => Ok(()),
        Some(message) => {
            // A refusal inside the apply (a conflict) is the precheck's exit; else exit 1.
            let exit = if failed.len() == plans.len() {
                results
                    .iter()
                    .filter_map(|r| r.result.as_ref().err())
                    .find(|e| !matches!(e, RestoreError::BatchRolledBack { .. }))
                    .map_or(Exit::Runtime, |e| restore_failure(e, lang).0)
            } else {
                Exit::Runtime
            };
            Err(Failure::new(exit, message))
        }
    }
}

/// What became of one training of the batch.
struct Outcome {
    result: Result<Report, RestoreError>,
    /// The way back kept for a replace.
    previous: Option<String>,
}

impl Outcome {
    fn of(result: Result<Report, RestoreError>) -> Outcome {
        Outcome {
            result,
            previous: None,
        }
    }

    fn name(&self) -> &'static str {
        match &self.result {
            Ok(report) if report.dry_run => "dry-run",
            Ok(_) => "applied",
            Err(RestoreError::BatchRolledBack { .. }) => "not-run",
            Err(RestoreError::Refused { .. } | RestoreError::Conflict { .. }) => "refused",
            Err(_) => "failed",
        }
    }

    fn report(&self) -> Option<&Report> {
        self.result.as_ref().ok()
    }

    fn error(&self, lang: Lang) -> Option<String> {
        self.result.as_ref().err().map(|e| e.localized(lang))
    }

    fn is_replace(&self) -> bool {
        matches!(&self.result, Ok(report) if report.action == "replaced")
    }
}

/// The combined report: one line per training, then the findings grouped by code.
fn combined_text(
    plans: &[Plan],
    summaries: &[Summary],
    groups: &[FindingGroup],
    lang: Lang,
) -> String {
    let c = lang.pick(":", " :");
    let mode = match (plans.first().map(|p| p.mode), lang) {
        (Some(Mode::Clone), Lang::En) => "Clone",
        (Some(Mode::Clone), Lang::Fr) => "Clonage",
        (_, Lang::En) => "Restore",
        (_, Lang::Fr) => "Restauration",
    };
    let mut out = match lang {
        Lang::En => format!("{mode} of {} training(s){c}\n", plans.len()),
        Lang::Fr => format!("{mode} de {} formation(s){c}\n", plans.len()),
    };
    let header = [
        lang.pick("source", "source"),
        lang.pick("training → here", "formation → ici"),
        lang.pick("action", "action"),
        lang.pick("milestones", "jalons"),
        lang.pick("learners", "apprenants"),
        lang.pick("template", "modèle"),
    ];
    let counts = |c: batch::Counts| match lang {
        Lang::En => format!("{} written, {} skipped", c.written, c.skipped),
        Lang::Fr => format!("{} écrits, {} omis", c.written, c.skipped),
    };
    let rows: Vec<[String; 6]> = summaries
        .iter()
        .map(|s| {
            let action = match (s.action, lang) {
                (TrainingAction::Create, Lang::En) => "create",
                (TrainingAction::Create, Lang::Fr) => "création",
                (TrainingAction::Replace, Lang::En) => "replace",
                (TrainingAction::Replace, Lang::Fr) => "remplacement",
            };
            let template = match &s.template {
                None => lang.pick("none", "aucun").to_owned(),
                Some(t) => {
                    let action = match (t.action, lang) {
                        (TemplateAction::Reuse, Lang::En) => "reused",
                        (TemplateAction::Reuse, Lang::Fr) => "réutilisé",
                        (TemplateAction::Create, Lang::En) => "created",
                        (TemplateAction::Create, Lang::Fr) => "créé",
                        (TemplateAction::Replace, Lang::En) => "replaced",
                        (TemplateAction::Replace, Lang::Fr) => "remplacé",
                    };
                    format!("{} ({action})", t.name)
                }
            };
            let trainings = if s.training == s.target {
                s.training.clone()
            } else {
                format!("{} → {}", s.training, s.target)
            };
            [
                s.origin.clone(),
                trainings,
                action.to_owned(),
                counts(s.milestones),
                counts(s.learners),
                template,
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            text.push(' ');
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(w - cell.chars().count() + 1));
            }
        }
        text.push('\n');
        text
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    if groups.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "\n{}{c}\n",
        lang.pick("Findings by code", "Constats par code")
    ));
    for group in groups {
        let severity = match (group.severity, lang) {
            (Severity::Info, _) => "info",
            (Severity::NeedsAccept, Lang::En) => "NEEDS ACCEPT",
            (Severity::NeedsAccept, Lang::Fr) => "À ACCEPTER",
            (Severity::Blocking, Lang::En) => "BLOCKING",
            (Severity::Blocking, Lang::Fr) => "BLOQUANT",
        };
        let in_trainings = match lang {
            Lang::En => format!("in {} training(s)", group.trainings.len()),
            Lang::Fr => format!("dans {} formation(s)", group.trainings.len()),
        };
        out.push_str(&format!(
            "  [{severity}] {} ×{} {in_trainings}\n",
            group.code, group.count
        ));
        // A few examples of each code; the rest are counted (all of them are in --json).
        const EXAMPLES: usize = 3;
        let mut shown = 0;
        for plan in plans {
            for finding in plan.findings.iter().filter(|f| f.code == group.code) {
                if shown < EXAMPLES {
                    out.push_str(&format!(
                        "      {}{c} {}\n",
                        plan.training.name,
                        lang.pick(&finding.en, &finding.fr)
                    ));
                }
                shown += 1;
            }
        }
        if shown > EXAMPLES {
            out.push_str(&match lang {
                Lang::En => format!("      … and {} more\n", shown - EXAMPLES),
                Lang::Fr => format!("      … et {} de plus\n", shown - EXAMPLES),
            });
        }
    }
    out
}

/// What the apply did, one line per training, then the count.
fn results_text(plans: &[Plan], results: &[Outcome], dry_run: bool, lang: Lang) -> String {
    let c = lang.pick(":", " :");
    let mut out = String::from("\n");
    let mut written = 0;
    for (plan, outcome) in plans.iter().zip(results) {
        let name = &plan.training.name;
        match &outcome.result {
            Ok(report) => {
                written += 1;
                let what = match (report.action, dry_run, lang) {
                    (_, true, Lang::En) => "tried (rolled back)",
                    (_, true, Lang::Fr) => "essayée (annulée)",
                    ("replaced", false, Lang::En) => "replaced",
                    ("replaced", false, Lang::Fr) => "remplacée",
                    (_, false, Lang::En) => "created",
                    (_, false, Lang::Fr) => "créée",
                };
                out.push_str(&match lang {
                    Lang::En => format!(
                        "  ✓ “{name}” {what}{}: {} milestones, {} learners\n",
                        report
                            .training_id
                            .map(|id| format!(" (id {id})"))
                            .unwrap_or_default(),
                        report.written.milestones,
                        report.written.learners
                    ),
                    Lang::Fr => format!(
                        "  ✓ « {name} » {what}{} : {} jalons, {} apprenants\n",
                        report
                            .training_id
                            .map(|id| format!(" (id {id})"))
                            .unwrap_or_default(),
                        report.written.milestones,
                        report.written.learners
                    ),
                });
                if let Some(previous) = &outcome.previous {
                    out.push_str(&match lang {
                        Lang::En => format!("      as it was before: {previous}\n"),
                        Lang::Fr => format!("      telle qu'elle était avant : {previous}\n"),
                    });
                }
            }
            Err(error) => out.push_str(&format!(
                "  ✗ {}{c} {}\n",
                lang.pick(&format!("“{name}”"), &format!("« {name} »")),
                error.localized(lang)
            )),
        }
    }
    let total = plans.len();
    out.push_str(&match (dry_run, lang) {
        (true, Lang::En) => {
            format!("{written} of {total} trainings tried; nothing was written (dry run)\n")
        }
        (true, Lang::Fr) => {
            format!("{written} formations sur {total} essayées ; rien n'a été écrit (essai)\n")
        }
        (false, Lang::En) => format!("{written} of {total} trainings written\n"),
        (false, Lang::Fr) => format!("{written} formations sur {total} écrites\n"),
    });
    out
}
