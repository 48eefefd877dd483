//! `restore` and `clone`: read and check a backup file, precheck it against the site, ask or
//! check the acceptances, apply, and report.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::keys::trust_store;
use super::{print_json, print_stdout, Context, Exit, Failure, Io};
use crate::document::load;
use crate::document::v2::{self, Document};
use crate::i18n::Lang;
use crate::restore::{
    self, parse_day, parse_shift_days, Accepted, ApplyOptions, Code, DateShift, Mode, Plan,
    Provenance, Report, RestoreError, RestoreOptions, Severity, Status, TemplateAction,
    TemplateMode, TrainingAction, MAX_SHIFT_DAYS,
};

/// Options shared by `restore` and `clone`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Run the whole write inside a transaction, then roll it back, and report what would
    /// have been written.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept findings of these codes (see the README's table of codes).
    #[arg(long, value_delimiter = ',', value_name = "CODE[,CODE...]")]
    pub accept: Vec<String>,
    /// Apply without asking (needed when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// The category of the training: an id, an idnumber, or a path of names " / ".
    #[arg(long, value_name = "ID|IDNUMBER|PATH")]
    pub category: Option<String>,
    /// A template that exists with other content: reuse it, replace it, or create the
    /// training's template under another name.
    #[arg(long, default_value = "reuse", value_name = "reuse|replace|copy:NAME")]
    pub template: String,
    /// Restore the learners and their certificate settings (default for restore).
    #[arg(long, overrides_with = "without_learners")]
    pub with_learners: bool,
    /// Leave the learners out (default for clone).
    #[arg(long, overrides_with = "with_learners")]
    pub without_learners: bool,
    /// The operator written in planning rows and as template author [default: the first
    /// site administrator].
    #[arg(long, value_name = "USERNAME")]
    pub operator: Option<String>,
    /// The largest file read, in bytes [default: 64 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Before a replace, the training as it is is saved (signed, mode 0600) beside the file
    /// restored, as training-<name>-before-replace-<date>-<time>.json: this leaves it out.
    #[arg(long)]
    pub no_keep_previous: bool,
    /// Show every milestone (file → this site, how found) and every learner (email →
    /// account) of the precheck.
    #[arg(long)]
    pub show_mapping: bool,
}

/// Arguments of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (format 2).
    pub file: PathBuf,
    /// Restore under this training name instead of the file's.
    #[arg(long, value_name = "NEW")]
    pub name: Option<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// Arguments of `clone`.
#[derive(Debug, Args)]
pub struct CloneArgs {
    /// The backup file (format 2).
    pub file: PathBuf,
    /// Appended to the training name and to every course short name.
    #[arg(long, value_name = "S")]
    pub suffix: Option<String>,
    /// The new training name (instead of name + suffix).
    #[arg(long, value_name = "NEW")]
    pub name: Option<String>,
    /// Map one course: the file's short name OLD is NEW on this site (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    pub rename_course: Vec<String>,
    /// A CSV file of course renames `old,new`, one a line.
    #[arg(long, value_name = "FILE")]
    pub course_map: Option<PathBuf>,
    /// Move every date (start, end, planning) by this many days (-36500 to 36500).
    #[arg(
        long,
        value_name = "DAYS",
        allow_hyphen_values = true,
        conflicts_with = "start"
    )]
    pub shift_dates: Option<String>,
    /// Move the start date to this day, and every other date by as many days.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// The findings of a precheck as text, one line each with its severity and code (shared by
/// `restore`, `clone` and `repair`); empty when there is none.
pub(super) fn findings_text(findings: &[crate::restore::Finding], lang: Lang) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let c = lang.pick(":", " :");
    let mut out = format!("\n{}{c}\n", lang.pick("Findings", "Constats"));
    for f in findings {
        let severity = match (f.severity, lang) {
            (Severity::Info, _) => "info",
            (Severity::NeedsAccept, Lang::En) => "NEEDS ACCEPT",
            (Severity::NeedsAccept, Lang::Fr) => "À ACCEPTER",
            (Severity::Blocking, Lang::En) => "BLOCKING",
            (Severity::Blocking, Lang::Fr) => "BLOQUANT",
        };
        out.push_str(&format!(
            "  [{severity}] {}: {}\n",
            f.code,
            lang.pick(&f.en, &f.fr)
        ));
    }
    out
}

/// Runs `restore`.
pub async fn run_restore(context: &Context, args: &RestoreArgs) -> Result<(), Failure> {
    let mut options = base_options(context, Mode::Restore, &args.apply)?;
    options.rename.name = args.name.clone();
    run(context, &args.file, &args.apply, options).await
}

/// Runs `clone`.
pub async fn run_clone(context: &Context, args: &CloneArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let mut options = base_options(context, Mode::Clone, &args.apply)?;
    if args.suffix.is_none()
        && args.name.is_none()
        && args.rename_course.is_empty()
        && args.course_map.is_none()
    {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "clone needs a new name: give --suffix S (e.g. --suffix _2027), or --name NEW with --rename-course OLD=NEW or --course-map FILE",
                "le clonage demande un nouveau nom : indiquez --suffix S (par ex. --suffix _2027), ou --name NOUVEAU avec --rename-course ANCIEN=NOUVEAU ou --course-map FICHIER",
            ),
        ));
    }
    options.rename.name = args.name.clone();
    options.rename.suffix = args.suffix.clone();
    for spec in &args.rename_course {
        options
            .rename
            .add_course_rename(spec)
            .map_err(|e| Failure::new(Exit::Usage, e.localized(lang)))?;
    }
    if let Some(path) = &args.course_map {
        let path = context.cwd.join(path);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::io(Io::CourseMap(path.clone()), &e, lang))?;
        options.rename.add_course_map(&text).map_err(|e| {
            let e = e.localized(lang);
            Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!(
                        "the course map {} (--course-map) is not valid: {e}; write one course \
                         a line as OLD,NEW",
                        path.display()
                    ),
                    Lang::Fr => format!(
                        "la table de correspondance des cours {} (--course-map) n'est pas \
                         valide : {e} ; écrivez un cours par ligne sous la forme ANCIEN,NOUVEAU",
                        path.display()
                    ),
                },
            )
        })?;
    }
    options.shift = match (&args.shift_dates, &args.start) {
        (Some(days), _) => Some(DateShift::Days(parse_shift_days(days).ok_or_else(|| {
            Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!(
                        "--shift-dates `{days}` is not a number of days from -{MAX_SHIFT_DAYS} to {MAX_SHIFT_DAYS}: give e.g. --shift-dates 365, or --start YYYY-MM-DD"
                    ),
                    Lang::Fr => format!(
                        "--shift-dates `{days}` n'est pas un nombre de jours de -{MAX_SHIFT_DAYS} à {MAX_SHIFT_DAYS} : indiquez par ex. --shift-dates 365, ou --start AAAA-MM-JJ"
                    ),
                },
            )
        })?)),
        (None, Some(day)) => Some(DateShift::Start(
            parse_day(day).map_err(|e| Failure::new(Exit::Usage, e.localized(lang)))?,
        )),
        (None, None) => None,
    };
    run(context, &args.file, &args.apply, options).await
}

fn base_options(
    context: &Context,
    mode: Mode,
    args: &ApplyArgs,
) -> Result<RestoreOptions, Failure> {
    let mut options = RestoreOptions::new(mode, Provenance::Unsigned);
    options.category = args.category.clone();
    options.operator = args.operator.clone();
    options.template = match args.template.as_str() {
        "reuse" => TemplateMode::Reuse,
        "replace" => TemplateMode::Replace,
        other => match other.strip_prefix("copy:") {
            Some(name) if !name.is_empty() => TemplateMode::Copy(name.to_owned()),
            _ => {
                return Err(Failure::new(
                    Exit::Usage,
                    match context.lang {
                        Lang::En => format!(
                            "--template `{other}` is not known: use reuse, replace or copy:NAME"
                        ),
                        Lang::Fr => format!(
                        "--template `{other}` est inconnu : utilisez reuse, replace ou copy:NOM"
                    ),
                    },
                ))
            }
        },
    };
    if args.with_learners {
        options.learners = true;
    }
    if args.without_learners {
        options.learners = false;
    }
    Ok(options)
}

pub(super) fn parse_accept(values: &[String], lang: Lang) -> Result<Accepted, Failure> {
    let mut codes = BTreeSet::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match Code::parse(value) {
            Some(code) => {
                codes.insert(code);
            }
            None => {
                let known = Code::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Failure::new(
                    Exit::Usage,
                    match lang {
                        Lang::En => format!("--accept `{value}` is not a finding code; the codes are: {known}"),
                        Lang::Fr => format!("--accept `{value}` n'est pas un code de constat ; les codes sont : {known}"),
                    },
                ));
            }
        }
    }
    Ok(Accepted { codes })
}

/// Reads and checks the file ([`load::load_file`], as `verify` does): anything wrong with its
/// content, a broken signature or checksum included, is exit 3; a legacy file is mapped to
/// format 2 ([`restore::prepare`]) and its notes are said on stderr.
pub(super) fn load(
    context: &Context,
    path: &Path,
    max_size: u64,
) -> Result<(Document, Provenance), Failure> {
    let lang = context.lang;
    let path = context.cwd.join(path);
    // French puts a space before the colon and the semicolon.
    let (colon, semicolon) = (lang.pick(":", " :"), lang.pick(";", " ;"));
    let rejected = |message: String| {
        Failure::new(
            Exit::FileRejected,
            format!("{}{colon} {message}", path.display()),
        )
    };
    let backup = load::load_file(&path, max_size).map_err(|e| {
        if e.is_io() {
            Failure::load(&e, lang)
        } else {
            rejected(format!(
                "{}{semicolon} {}",
                e.localized(lang),
                lang.pick("nothing was restored", "rien n'a été restauré")
            ))
            .with_detail(e.detail())
        }
    })?;
    let trust = trust_store(context)?;
    let prepared = restore::prepare(backup, &trust).map_err(|e| rejected(e.localized(lang)))?;
    for note in &prepared.notes {
        eprintln!("attestoodle-backup: {}: {}", note.code, note.text(lang));
    }
    Ok((prepared.document, prepared.provenance))
}

/// The JSON printed by `restore --json` and `clone --json` (README, "Restore and clone").
#[derive(Debug, Serialize)]
struct Output<'a> {
    outcome: &'static str,
    plan: &'a Plan,
    report: Option<&'a Report>,
    blocking: Vec<Code>,
    to_accept: Vec<Code>,
    error: Option<String>,
    /// The file that keeps the replaced training as it was (`null` when nothing was replaced
    /// or with `--no-keep-previous`).
    previous: Option<String>,
}

async fn run(
    context: &Context,
    file: &Path,
    args: &ApplyArgs,
    mut options: RestoreOptions,
) -> Result<(), Failure> {
    let lang = context.lang;
    let mut accepted = parse_accept(&args.accept, lang)?;
    let (document, provenance) = load(context, file, args.max_size.unwrap_or(v2::MAX_FILE_SIZE))?;
    options.provenance = provenance;

    let site = context.open_site().await?;
    let result = decide_and_apply(
        context,
        &site,
        &document,
        &options,
        args,
        &mut accepted,
        file,
    )
    .await;
    site.close().await;
    result
}

async fn decide_and_apply(
    context: &Context,
    site: &crate::moodle::Site,
    document: &Document,
    options: &RestoreOptions,
    args: &ApplyArgs,
    accepted: &mut Accepted,
    file: &Path,
) -> Result<(), Failure> {
    let lang = context.lang;
    let plan = restore::precheck(site, document, options)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let blocking: Vec<Code> = plan.blocking().into_iter().collect();
    if !context.json {
        print_stdout(&plan_text(&plan, lang))?;
        if args.show_mapping {
            print_stdout(&mapping_text(&plan, lang))?;
        }
    }
    let refuse = |plan: &Plan, to_accept: Vec<Code>, message: String| -> Result<(), Failure> {
        if context.json {
            print_json(&Output {
                outcome: "refused",
                plan,
                report: None,
                blocking: plan.blocking().into_iter().collect(),
                to_accept,
                error: Some(message.clone()),
                previous: None,
            })?;
        }
        Err(Failure::new(Exit::PrecheckRefused, message))
    };
    if !blocking.is_empty() {
        let list = codes_text(&blocking);
        return refuse(
            &plan,
            plan.unaccepted(accepted).into_iter().collect(),
            match lang {
                Lang::En => format!("the precheck found blocking problems ({list}): nothing was written; fix them as the findings say"),
                Lang::Fr => format!("la vérification a trouvé des problèmes bloquants ({list}) : rien n'a été écrit ; corrigez-les comme l'indiquent les constats"),
            },
        );
    }
    // With --json the findings are not shown before the end: never ask then.
    let interactive = !args.yes
        && !context.json
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let unaccepted: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
    let mut trial = accepted.clone();
    if args.dry_run {
        // A dry run tries everything that is not blocking, and says what a real run needs.
        trial.codes.extend(plan.needs_accept());
    } else if interactive {
        for code in &unaccepted {
            let count = plan.findings.iter().filter(|f| f.code == *code).count();
            let question = match lang {
                Lang::En => format!("Accept `{code}` ({count} finding(s) above)? [y/N] "),
                Lang::Fr => format!("Accepter `{code}` ({count} constat(s) ci-dessus) ? [o/N] "),
            };
            if !ask(&question)? {
                return refuse(
                    &plan,
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
        let question = match (lang, plan.training.action) {
            (Lang::En, TrainingAction::Replace) => {
                format!("Replace the training `{}` now? [y/N] ", plan.training.name)
            }
            (Lang::En, TrainingAction::Create) => {
                format!("Create the training `{}` now? [y/N] ", plan.training.name)
            }
            (Lang::Fr, TrainingAction::Replace) => format!(
                "Remplacer la formation `{}` maintenant ? [o/N] ",
                plan.training.name
            ),
            (Lang::Fr, TrainingAction::Create) => format!(
                "Créer la formation `{}` maintenant ? [o/N] ",
                plan.training.name
            ),
        };
        if !ask(&question)? {
            return refuse(
                &plan,
                Vec::new(),
                lang.pick(
                    "cancelled: nothing was written",
                    "annulé : rien n'a été écrit",
                )
                .to_owned(),
            );
        }
    } else if !unaccepted.is_empty() || !args.yes {
        let mut needed: Vec<Code> = plan.needs_accept().into_iter().collect();
        needed.sort();
        let accept = if needed.is_empty() {
            String::new()
        } else {
            format!(" --accept {}", codes_text(&needed))
        };
        return refuse(
            &plan,
            unaccepted.clone(),
            match lang {
                Lang::En => format!(
                    "nothing was written: {}to apply without a terminal, run again with --yes{accept}",
                    if unaccepted.is_empty() { String::new() } else { format!("these findings need acceptance: {}; ", codes_text(&unaccepted)) }
                ),
                Lang::Fr => format!(
                    "rien n'a été écrit : {}pour appliquer sans terminal, relancez avec --yes{accept}",
                    if unaccepted.is_empty() { String::new() } else { format!("ces constats demandent une acceptation : {} ; ", codes_text(&unaccepted)) }
                ),
            },
        );
    }

    let apply_options = ApplyOptions {
        dry_run: args.dry_run,
        ..ApplyOptions::default()
    };
    // The way back from a replace: the key is read before anything is written.
    let keeps_previous =
        plan.training.action == TrainingAction::Replace && !args.dry_run && !args.no_keep_previous;
    let key = if keeps_previous {
        Some(super::save::signing_key(context)?.0)
    } else {
        None
    };
    let directory = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| context.cwd.clone(), |d| context.cwd.join(d));
    let kept: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
    let keep = |snapshot: &crate::moodle::Snapshot| -> Result<(), (String, String)> {
        let Some(key) = &key else { return Ok(()) };
        let now = time::OffsetDateTime::now_utc();
        let saved = crate::save::save_snapshot(site, snapshot, key, now).map_err(|e| {
            (
                format!(
                    "the training as it is cannot be saved before it is replaced ({}): nothing \
                     was written; run again with --no-keep-previous to replace it without \
                     keeping it",
                    e.localized(Lang::En)
                ),
                format!(
                    "la formation telle qu'elle est ne peut pas être sauvegardée avant d'être \
                     remplacée ({}) : rien n'a été écrit ; relancez avec --no-keep-previous pour \
                     la remplacer sans la garder",
                    e.localized(Lang::Fr)
                ),
            )
        })?;
        let name = crate::save::before_replace_file_name(&saved.document.training.name, now);
        let text = saved.text();
        // Two replaces in the same second: `-2`, `-3`... rather than refusing the second.
        let mut path = directory.join(&name);
        let mut written = crate::safe_file::write_private(&path, text.as_bytes(), false);
        for n in 2..100 {
            match &written {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let numbered = name.replace(".json", &format!("-{n}.json"));
                    path = directory.join(numbered);
                    written = crate::safe_file::write_private(&path, text.as_bytes(), false);
                }
                _ => break,
            }
        }
        written.map_err(|e| {
            (
                format!(
                    "cannot write {}, which keeps the training as it is before the replace \
                     ({}): nothing was written; free some space or make the directory writable, \
                     or run again with --no-keep-previous",
                    path.display(),
                    write_reason(&e, Lang::En)
                ),
                format!(
                    "impossible d'écrire {}, qui garde la formation telle qu'elle est avant le \
                     remplacement ({}) : rien n'a été écrit ; libérez de la place ou rendez le \
                     dossier accessible en écriture, ou relancez avec --no-keep-previous",
                    path.display(),
                    write_reason(&e, Lang::Fr)
                ),
            )
        })?;
        if let Ok(mut kept) = kept.lock() {
            *kept = Some(path);
        }
        Ok(())
    };
    // Every real write is logged: a log that cannot be opened refuses it before anything.
    let audit = if args.dry_run {
        None
    } else {
        Some(context.open_audit_log()?)
    };
    let applied = restore::apply_keeping_previous(
        site,
        &plan,
        &trial,
        &apply_options,
        keeps_previous.then_some(&keep as restore::KeepPrevious<'_>),
    )
    .await;
    if let Some(log) = &audit {
        let operator = match plan.operator_id() {
            Some(id) => crate::audit::Operator {
                username: site.username_of(id).await.ok().flatten(),
                id: Some(id),
                client: None,
            },
            None => crate::audit::Operator::default(),
        };
        let bytes = std::fs::read(context.cwd.join(file)).unwrap_or_default();
        let source =
            restore::audit_source(&file.display().to_string(), &bytes, &options.provenance);
        let via = match plan.mode {
            Mode::Restore => "restore",
            Mode::Clone => "clone",
        };
        let entry = restore::audit_entry(via, operator, source, &plan, &applied);
        log.append(&entry)
            .map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?;
    }
    let mut previous = kept.lock().ok().and_then(|mut k| k.take());
    if applied.is_err() {
        // Nothing was replaced: the copy would only mislead.
        if let Some(path) = previous.take() {
            let _ = std::fs::remove_file(path);
        }
    }
    match applied {
        Ok(report) => {
            let still_needed: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
            if context.json {
                print_json(&Output {
                    outcome: if report.dry_run { "dry-run" } else { "applied" },
                    plan: &plan,
                    report: Some(&report),
                    blocking: Vec::new(),
                    to_accept: still_needed,
                    error: None,
                    previous: previous.as_ref().map(|p| p.display().to_string()),
                })
            } else {
                let mut text = report_text(&report, &still_needed, lang);
                if let Some(path) = &previous {
                    text.push_str(&match lang {
                        Lang::En => format!(
                            "The training as it was before the replace is kept in {} (restore \
                     it to go back).\n",
                            path.display()
                        ),
                        Lang::Fr => format!(
                            "La formation telle qu'elle était avant le remplacement est gardée \
                     dans {} (restaurez-la pour revenir en arrière).\n",
                            path.display()
                        ),
                    });
                }
                print_stdout(&text)
            }
        }
        Err(error) => {
            let (exit, message) = restore_failure(&error, lang);
            if context.json {
                print_json(&Output {
                    outcome: "failed",
                    plan: &plan,
                    report: None,
                    blocking: Vec::new(),
                    to_accept: Vec::new(),
                    error: Some(message.clone()),
                    previous: None,
                })?;
            }
            Err(Failure::new(exit, message))
        }
    }
}

/// The exit code and message of a failed apply (restore, clone, repair).
pub(super) fn restore_failure(error: &RestoreError, lang: Lang) -> (Exit, String) {
    let exit = match error {
        RestoreError::Refused { .. } | RestoreError::Conflict { .. } => Exit::PrecheckRefused,
        RestoreError::PreviousNotKept { .. } | RestoreError::Database(_) => Exit::Runtime,
    };
    (exit, error.localized(lang))
}

/// Why a file cannot be written, in the operator's words.
fn write_reason(error: &std::io::Error, lang: Lang) -> String {
    use std::io::ErrorKind;
    let text = |en: &str, fr: &str| lang.pick(en, fr).to_owned();
    match error.kind() {
        ErrorKind::StorageFull => text("the disk is full", "le disque est plein"),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => text(
            "writing there is not permitted",
            "l'écriture n'y est pas permise",
        ),
        ErrorKind::AlreadyExists => {
            text("a file of that name exists", "un fichier de ce nom existe")
        }
        ErrorKind::NotFound => text("the directory does not exist", "le dossier n'existe pas"),
        kind => match lang {
            Lang::En => format!("the system reports: {kind}"),
            Lang::Fr => format!("erreur du système ({kind})"),
        },
    }
}

pub(super) fn codes_text(codes: &[Code]) -> String {
    codes
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Asks a yes/no question on stderr and reads the answer from stdin.
pub(super) fn ask(question: &str) -> Result<bool, Failure> {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(question.as_bytes());
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::io(Io::Answer, &e, super::operator_lang()))?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "o" | "oui"
    ))
}

/// `--show-mapping`: every milestone (the file's course, section, position, activity and
/// type, minutes → this site's course, activity and type, how found) and every learner
/// (email → account, how found), as the precheck page's *What goes where* shows them.
pub fn mapping_text(plan: &Plan, lang: Lang) -> String {
    let c = lang.pick(":", " :");
    let mut out = format!(
        "\n{}{c}\n",
        lang.pick("What goes where (milestones)", "Ce qui va où (jalons)")
    );
    if plan.milestones.is_empty() {
        out.push_str(lang.pick("  (none)\n", "  (aucun)\n"));
    }
    let kind = |k: &Option<String>| k.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
    for m in &plan.milestones {
        let here = match (&m.name, m.cmid) {
            (Some(name), _) => format!("`{name}`{}", kind(&m.target_kind)),
            (None, Some(cmid)) => format!("cm {cmid}"),
            (None, None) => "—".to_owned(),
        };
        out.push_str(&format!(
            "  {} section {} position {} `{}`{}, {} min → {}{c} {here} — {}\n",
            m.course,
            m.section,
            m.position,
            m.activity.as_deref().unwrap_or("?"),
            kind(&m.kind),
            m.creditedtime,
            m.target_course,
            m.how.text(lang)
        ));
    }
    if !plan.learners.is_empty() {
        out.push_str(&format!("\n{}{c}\n", lang.pick("Learners", "Apprenants")));
        for l in &plan.learners {
            let account = match (&l.account, l.userid) {
                (Some(account), Some(id)) => format!("{account} (id {id})"),
                _ => "—".to_owned(),
            };
            out.push_str(&format!(
                "  {} → {account} — {}\n",
                l.email,
                l.how.text(lang)
            ));
        }
    }
    out
}

/// The precheck as an operator reads it.
pub fn plan_text(plan: &Plan, lang: Lang) -> String {
    let t = &plan.training;
    // French puts a space before a colon.
    let c = lang.pick(":", " :");
    let mut out = String::new();
    let mode = match (plan.mode, lang) {
        (Mode::Restore, Lang::En) => "Restore",
        (Mode::Restore, Lang::Fr) => "Restauration",
        (Mode::Clone, Lang::En) => "Clone",
        (Mode::Clone, Lang::Fr) => "Clonage",
    };
    out.push_str(&format!(
        "{mode} {} `{}` ({} {})\n",
        lang.pick("of", "de"),
        plan.source.name,
        lang.pick("file made", "fichier du"),
        plan.source.created
    ));
    let action = match (t.action, t.existing_id) {
        (TrainingAction::Replace, Some(id)) => {
            format!(
                "{} {id}",
                lang.pick("replace the training id", "remplacer la formation id")
            )
        }
        _ => lang.pick("create", "créer").to_owned(),
    };
    out.push_str(&format!(
        "  {}{c} `{}` — {action}\n",
        lang.pick("Training", "Formation"),
        t.name
    ));
    out.push_str(&format!(
        "  {}{c} {}\n",
        lang.pick("Category", "Catégorie"),
        t.category.as_ref().map_or_else(
            || lang
                .pick("(none matches)", "(aucune ne correspond)")
                .to_owned(),
            |c| format!("{} (id {})", c.path, c.id)
        )
    ));
    out.push_str(&format!(
        "  {}{c} {}{}\n",
        lang.pick("Dates", "Dates"),
        plan.zone().dates(t.startdate, t.enddate, lang),
        if t.date_shift_days != 0 {
            format!(" ({:+} {})", t.date_shift_days, lang.pick("days", "jours"))
        } else {
            String::new()
        }
    ));
    let written = |statuses: &mut dyn Iterator<Item = Status>| {
        let (mut w, mut s) = (0, 0);
        for status in statuses {
            match status {
                Status::Write => w += 1,
                Status::Skip => s += 1,
            }
        }
        (w, s)
    };
    let (w, s) = written(&mut plan.milestones.iter().map(|m| m.status));
    out.push_str(&format!(
        "  {}{c} {w} {}, {s} {}\n",
        lang.pick("Milestones", "Jalons"),
        lang.pick("to write", "à écrire"),
        lang.pick("skipped", "ignorés")
    ));
    for template in &plan.templates {
        let action = match template.action {
            TemplateAction::Reuse => lang.pick("reuse", "réutiliser"),
            TemplateAction::Create => lang.pick("create", "créer"),
            TemplateAction::Replace => lang.pick("replace", "remplacer"),
        };
        out.push_str(&format!(
            "  {}{c} `{}` — {action}\n",
            lang.pick("Template", "Modèle"),
            template.target_name
        ));
    }
    let (w, s) = written(&mut plan.learners.iter().map(|l| l.status));
    out.push_str(&format!(
        "  {}{c} {w} {}, {s} {}\n",
        lang.pick("Learners", "Apprenants"),
        lang.pick("to write", "à écrire"),
        lang.pick("skipped", "ignorés")
    ));
    out.push_str(&format!(
        "  {}{c} {}\n",
        lang.pick("Planning", "Planification"),
        if plan.planning.action == "restore" {
            format!(
                "{} {}",
                plan.planning.rows.len(),
                lang.pick("row(s)", "ligne(s)")
            )
        } else {
            lang.pick("none (launches reset)", "aucune (lancements remis à zéro)")
                .to_owned()
        }
    ));
    out.push_str(&findings_text(&plan.findings, lang));
    out.push('\n');
    out
}

/// The report as an operator reads it; `still_needed` are the codes a real run needs after a
/// dry run.
pub fn report_text(report: &Report, still_needed: &[Code], lang: Lang) -> String {
    let c = lang.pick(":", " :");
    let mut out = String::new();
    let head = match (report.dry_run, report.action, lang) {
        (true, _, Lang::En) => {
            "Dry run: everything below was written, then rolled back; nothing changed."
        }
        (true, _, Lang::Fr) => {
            "Essai : tout ce qui suit a été écrit puis annulé ; rien n'a changé."
        }
        (false, "replaced", Lang::En) => "Training replaced.",
        (false, "replaced", Lang::Fr) => "Formation remplacée.",
        (false, _, Lang::En) => "Training created.",
        (false, _, Lang::Fr) => "Formation créée.",
    };
    out.push_str(head);
    out.push('\n');
    let which = match report.training_id {
        Some(id) => format!("id {id}"),
        // A dry run of a creation: the id a real run gets is not known yet.
        None => lang
            .pick(
                "a new training (its id is given by the real run)",
                "une nouvelle formation (son id sera attribué par la vraie exécution)",
            )
            .to_owned(),
    };
    out.push_str(&format!(
        "  `{}` — {which} ({} {})\n",
        report.training_name,
        lang.pick("category", "catégorie"),
        report.category_id
    ));
    let w = &report.written;
    out.push_str(&format!(
        "  {}{c} {} {}, {} {}, {} {}, {} {}\n",
        lang.pick("Written", "Écrit"),
        w.milestones,
        lang.pick("milestone(s)", "jalon(s)"),
        w.learners,
        lang.pick("learner(s)", "apprenant(s)"),
        w.learner_styles,
        lang.pick("learner style(s)", "style(s) d'apprenant"),
        w.planning,
        lang.pick("planning row(s)", "ligne(s) de planification")
    ));
    let t = &report.templates;
    for (label, names) in [
        (lang.pick("Templates created", "Modèles créés"), &t.created),
        (
            lang.pick("Templates replaced", "Modèles remplacés"),
            &t.replaced,
        ),
        (
            lang.pick("Templates reused", "Modèles réutilisés"),
            &t.reused,
        ),
        (
            lang.pick("Images stored", "Images enregistrées"),
            &t.backgrounds_stored,
        ),
    ] {
        if !names.is_empty() {
            out.push_str(&format!("  {label}{c} {}\n", names.join(", ")));
        }
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!("  {}{c}\n", lang.pick("Skipped", "Ignorés")));
        for s in &report.skipped {
            out.push_str(&format!(
                "    {} {} ({})\n",
                s.kind,
                s.subject,
                s.code.map_or("-", |c| c.as_str())
            ));
        }
    }
    if let Some(page) = report.url.as_ref().or(report.page.as_ref()) {
        out.push_str(&format!("  {}{c} {page}\n", lang.pick("Open", "Ouvrir")));
    }
    if report.dry_run && !still_needed.is_empty() {
        out.push_str(&match lang {
            Lang::En => format!("  A real run needs --accept {}\n", codes_text(still_needed)),
            Lang::Fr => format!(
                "  Une vraie exécution demande --accept {}\n",
                codes_text(still_needed)
            ),
        });
    }
    out
}
