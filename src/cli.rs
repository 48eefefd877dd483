//! The command line: arguments, human and `--json` output, and exit codes.
//!
//! Data goes to stdout; messages go to stderr. Every command turns its arguments into plain
//! library inputs, makes its library calls, and renders what they return.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::demo;
use crate::i18n::Lang;
use crate::moodle::{self, Site, SiteOptions, Target, TrainingList};

/// The exit codes, the same for every command (README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything went well.
    Ok = 0,
    /// A runtime error: database, file system.
    Runtime = 1,
    /// A command-line mistake: unknown flag, missing argument, ambiguous name.
    Usage = 2,
    /// A backup file was rejected: format, integrity, signature.
    FileRejected = 3,
    /// The precheck refused the restore.
    PrecheckRefused = 4,
    /// The training named does not exist.
    TrainingNotFound = 5,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  runtime error (database, file system)
  2  usage error (unknown flag, missing argument, ambiguous name)
  3  file rejected (format, integrity, signature)
  4  precheck refused
  5  training not found";

/// Save, restore and clone Attestoodle trainings of a Moodle site.
///
/// With neither --db nor --moodle-config, the tool works on the demo site
/// `attestoodle-demo.sqlite` in the current directory (`attestoodle-backup demo` makes it).
#[derive(Debug, Parser)]
#[command(name = "attestoodle-backup", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The Moodle database: postgres://USER[:PASS]@HOST[:PORT]/DB, mysql:// or mariadb://...,
    /// or sqlite://PATH.
    #[arg(long, global = true, env = "ATTESTOODLE_DB", hide_env_values = true)]
    pub db: Option<String>,
    /// Moodle's config.php: the database, prefix, dataroot and wwwroot are read from it.
    #[arg(long, global = true, env = "MOODLE_CONFIG", value_name = "PATH")]
    pub moodle_config: Option<PathBuf>,
    /// The table prefix [default: from config.php, else mdl_].
    #[arg(long, global = true, env = "ATTESTOODLE_PREFIX", value_name = "P")]
    pub prefix: Option<String>,
    /// Moodle's data directory (for template images) [default: from config.php].
    #[arg(long, global = true, env = "ATTESTOODLE_DATAROOT", value_name = "DIR")]
    pub dataroot: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// The language of messages [default: from LANG, else en].
    #[arg(long, global = true, env = "ATTESTOODLE_LANG", value_enum)]
    pub lang: Option<Lang>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the demo site (attestoodle-demo.sqlite) if absent, and show what to try.
    Demo,
    /// List the trainings with their category, milestones, learners and template.
    List(ListArgs),
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only trainings in this category or below it: an id, an idnumber, or a path of names
    /// separated by " / ".
    #[arg(long, value_name = "ID|IDNUMBER|PATH")]
    pub category: Option<String>,
}

/// A failure to report: the exit code and the message in the operator's language.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, where, and what to do.
    pub message: String,
}

impl Failure {
    fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    fn database(error: moodle::Error, lang: Lang) -> Failure {
        use moodle::Error as E;
        let exit = match &error {
            E::NoDatabase { .. }
            | E::NoSqliteFile { .. }
            | E::BadUrl { .. }
            | E::BadPrefix { .. }
            | E::Config(_) => Exit::Usage,
            _ => Exit::Runtime,
        };
        let mut message = error.localized(lang);
        if let E::Config(config) = &error {
            // The reason an I/O error gives (missing file, permission) is in its source.
            let mut source = std::error::Error::source(config);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
        }
        Failure::new(exit, message)
    }
}

/// Parses the command line, runs the command and gives the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("attestoodle-backup: cannot start: {e}");
            return ExitCode::from(Exit::Runtime as u8);
        }
    };
    match runtime.block_on(run(cli, lang)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let prefix = lang.pick("error", "erreur");
            eprintln!("attestoodle-backup: {prefix}: {}", failure.message);
            ExitCode::from(failure.exit as u8)
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli, lang: Lang) -> Result<(), Failure> {
    let cwd = std::env::current_dir().map_err(|e| {
        Failure::new(
            Exit::Runtime,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    let options = SiteOptions {
        db: cli.db.clone(),
        moodle_config: cli.moodle_config.clone(),
        prefix: cli.prefix.clone(),
        dataroot: cli.dataroot.clone(),
    };
    match &cli.command {
        Command::Demo => run_demo(&cli, &options, &cwd, lang).await,
        Command::List(args) => {
            let target = Target::resolve(&options, &cwd).map_err(|e| Failure::database(e, lang))?;
            let site = Site::open(&target)
                .await
                .map_err(|e| Failure::database(e, lang))?;
            let list = site.list_trainings().await;
            site.close().await;
            let list = list.map_err(|e| Failure::database(e, lang))?;
            let shown = filter_by_category(&list, args.category.as_deref(), lang)?;
            if cli.json {
                print_json(&list_json(&list, &shown))
            } else {
                print_stdout(&list_text(&list, &shown, lang))
            }
        }
    }
}

async fn run_demo(cli: &Cli, options: &SiteOptions, cwd: &Path, lang: Lang) -> Result<(), Failure> {
    let database = match &options.db {
        None => cwd.join(moodle::DEMO_DATABASE),
        Some(url) => match url.strip_prefix("sqlite://") {
            Some(path) => cwd.join(path),
            None => {
                return Err(Failure::new(
                    Exit::Usage,
                    lang.pick(
                        "the demo site is a SQLite file: give no --db, or --db sqlite://PATH",
                        "le site de démonstration est un fichier SQLite : n'indiquez pas --db, ou --db sqlite://CHEMIN",
                    ),
                ))
            }
        },
    };
    if options.moodle_config.is_some() {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "the demo never touches a real Moodle site: remove --moodle-config",
                "la démonstration ne touche jamais un vrai site Moodle : retirez --moodle-config",
            ),
        ));
    }
    let made = demo::create_or_open(&database)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let target = Target::sqlite_file(&database, false);
    let site = Site::open(&target)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let list = site.list_trainings().await;
    site.close().await;
    let list = list.map_err(|e| Failure::database(e, lang))?;
    let all: Vec<usize> = (0..list.trainings.len()).collect();
    if cli.json {
        return print_json(&serde_json::json!({
            "database": made.database,
            "dataroot": made.dataroot,
            "created": made.created,
            "trainings": list_json(&list, &all),
        }));
    }
    let mut out = String::new();
    if made.created {
        let c = made.counts;
        out.push_str(&match lang {
            Lang::En => format!(
                "Created the demo site {}\n  {} categories, {} courses, {} activities, {} users, {} trainings, {} certificate templates\n  template images in {}\n\n",
                made.database.display(), c.categories, c.courses, c.activities, c.users, c.trainings, c.templates, made.dataroot.display()
            ),
            Lang::Fr => format!(
                "Site de démonstration créé : {}\n  {} catégories, {} cours, {} activités, {} utilisateurs, {} formations, {} modèles d'attestation\n  images des modèles dans {}\n\n",
                made.database.display(), c.categories, c.courses, c.activities, c.users, c.trainings, c.templates, made.dataroot.display()
            ),
        });
    } else {
        out.push_str(&match lang {
            Lang::En => format!(
                "The demo site {} already exists; it was left as it is.\n\n",
                made.database.display()
            ),
            Lang::Fr => format!(
                "Le site de démonstration {} existe déjà ; il n'a pas été modifié.\n\n",
                made.database.display()
            ),
        });
    }
    out.push_str(&list_text(&list, &all, lang));
    out.push('\n');
    out.push_str(lang.pick(
        "Try next:\n  attestoodle-backup list\n  attestoodle-backup list --category UDEMO --json\n  attestoodle-backup --lang fr list\nOn a real site (read-only commands change nothing):\n  attestoodle-backup --moodle-config /var/www/moodle/config.php list\n",
        "Essayez ensuite :\n  attestoodle-backup list\n  attestoodle-backup list --category UDEMO --json\n  attestoodle-backup --lang en list\nSur un vrai site (les commandes de lecture ne modifient rien) :\n  attestoodle-backup --moodle-config /var/www/moodle/config.php list\n",
    ));
    print_stdout(&out)
}

/// The indexes of the trainings to show for `--category`.
fn filter_by_category(
    list: &TrainingList,
    spec: Option<&str>,
    lang: Lang,
) -> Result<Vec<usize>, Failure> {
    let Some(spec) = spec else {
        return Ok((0..list.trainings.len()).collect());
    };
    let found = list.categories.find(spec);
    match found.len() {
        0 => Err(Failure::new(
            Exit::Usage,
            match lang {
                Lang::En => format!(
                    "no category matches `{spec}`: give a category id, an idnumber, or a path of names such as `Top / Sub`"
                ),
                Lang::Fr => format!(
                    "aucune catégorie ne correspond à `{spec}` : indiquez un identifiant, un numéro d'identification (idnumber) ou un chemin de noms comme `Haut / Sous-catégorie`"
                ),
            },
        )),
        1 => {
            let subtree = list.categories.subtree(found[0]);
            Ok(list
                .trainings
                .iter()
                .enumerate()
                .filter(|(_, t)| subtree.contains(&t.category_id))
                .map(|(i, _)| i)
                .collect())
        }
        _ => {
            let names = found
                .iter()
                .map(|id| format!("{id} ({})", list.categories.path_text(*id)))
                .collect::<Vec<_>>()
                .join(", ");
            Err(Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!(
                        "`{spec}` names several categories: {names}; give the id or the full path"
                    ),
                    Lang::Fr => format!(
                        "`{spec}` désigne plusieurs catégories : {names} ; indiquez l'identifiant ou le chemin complet"
                    ),
                },
            ))
        }
    }
}

/// One training in `list --json`. The field names are a stable interface.
#[derive(Debug, Serialize)]
struct ListEntry<'a> {
    id: i64,
    name: Option<&'a str>,
    category: String,
    category_id: i64,
    category_path: Vec<String>,
    milestones: i64,
    learners: i64,
    template: Option<&'a str>,
}

fn list_json<'a>(list: &'a TrainingList, shown: &[usize]) -> Vec<ListEntry<'a>> {
    shown
        .iter()
        .filter_map(|i| list.trainings.get(*i))
        .map(|t| ListEntry {
            id: t.id,
            name: t.name.as_deref(),
            category: list.categories.path_text(t.category_id),
            category_id: t.category_id,
            category_path: list.categories.path_names(t.category_id),
            milestones: t.milestones,
            learners: t.learners,
            template: t.template.as_deref(),
        })
        .collect()
}

fn list_text(list: &TrainingList, shown: &[usize], lang: Lang) -> String {
    if shown.is_empty() {
        return format!("{}\n", lang.pick("No training.", "Aucune formation."));
    }
    let header = [
        lang.pick("ID", "ID"),
        lang.pick("Training", "Formation"),
        lang.pick("Category", "Catégorie"),
        lang.pick("Milestones", "Jalons"),
        lang.pick("Learners", "Apprenants"),
        lang.pick("Template", "Modèle"),
    ];
    let missing_category = lang.pick("(category missing)", "(catégorie absente)");
    let rows: Vec<[String; 6]> = shown
        .iter()
        .filter_map(|i| list.trainings.get(*i))
        .map(|t| {
            let category = list.categories.path_text(t.category_id);
            [
                t.id.to_string(),
                t.name
                    .clone()
                    .unwrap_or_else(|| lang.pick("(no name)", "(sans nom)").to_owned()),
                if category.is_empty() {
                    format!("{missing_category} #{}", t.category_id)
                } else {
                    category
                },
                t.milestones.to_string(),
                t.learners.to_string(),
                t.template.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            // Numbers are right-aligned, text left-aligned.
            if matches!(i, 0 | 3 | 4) {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i < 5 {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i < 5 {
                s.push_str("  ");
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line([
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
        ]));
    }
    out
}

fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            Exit::Runtime,
            format!("cannot write to standard output: {e}"),
        )),
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(Exit::Runtime, format!("cannot write JSON output: {e}")))?;
    text.push('\n');
    print_stdout(&text)
}
