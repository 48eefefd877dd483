//! The command line: arguments, human and `--json` output, and exit codes.
//!
//! Data goes to stdout; messages go to stderr. Every command turns its arguments into plain
//! library inputs, makes its library calls, and renders what they return.

mod assets;
mod batch;
pub mod config;
mod convert;
mod demo;
mod diff;
mod history;
mod keys;
mod list;
mod preview;
mod repair;
mod restore;
mod save;
mod serve;
mod verify;

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use serde::Serialize;

use crate::i18n::Lang;
use crate::moodle::{self, Site, SiteOptions, Target, Timeouts};

pub use convert::ConvertArgs;
pub use diff::DiffArgs;
pub use history::HistoryArgs;
pub use keys::{KeysArgs, KeysCommand};
pub use list::ListArgs;
pub use preview::PreviewArgs;
pub use repair::RepairArgs;
pub use restore::{ApplyArgs, CloneArgs, RestoreArgs};
pub use save::SaveArgs;
pub use serve::ServeArgs;
pub use verify::VerifyArgs;

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

impl Exit {
    /// The `code` of `--json`'s `{"error": ...}` for a failure of this exit code, when nothing
    /// more precise is known (README "Exit codes").
    pub fn error_code(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Runtime => "runtime",
            Exit::Usage => "usage",
            Exit::FileRejected => "file-rejected",
            Exit::PrecheckRefused => "precheck-refused",
            Exit::TrainingNotFound => "training-not-found",
        }
    }
}

const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  runtime error (database, file system)
  2  usage error (unknown flag, missing argument, ambiguous name)
  3  file rejected (format, integrity, signature)
  4  precheck refused
  5  training not found

With --json, stdout always holds exactly one JSON value; a failure that has no documented
object of its own prints {\"error\": {\"code\", \"exit\", \"message\"}} (README \"Exit codes\").

Every option above, and those of `serve`, can also be set in the configuration file
/etc/attestoodle-backup/config.toml (or --config PATH): the command line wins over the
environment, which wins over the file (README \"Install on a Moodle server\").";

/// Save, restore and clone Attestoodle trainings of a Moodle site.
///
/// With neither --db nor --moodle-config, the tool works on the demo site
/// `attestoodle-demo.sqlite` in the current directory (`attestoodle-backup demo` makes it).
#[derive(Debug, Parser)]
#[command(name = "attestoodle-backup", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The configuration file [default: /etc/attestoodle-backup/config.toml, when it exists].
    #[arg(long, global = true, env = config::CONFIG_ENV, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The Moodle database: postgres://USER[:PASS]@HOST[:PORT]/DB, mysql:// or mariadb://...,
    /// or sqlite://PATH.
    #[arg(long, global = true, env = "ATTESTOODLE_DB", hide_env_values = true)]
    pub db: Option<moodle::DbUrl>,
    /// Moodle's config.php: the database, prefix, dataroot and wwwroot are read from it.
    #[arg(long, global = true, env = "MOODLE_CONFIG", value_name = "PATH")]
    pub moodle_config: Option<PathBuf>,
    /// The table prefix [default: from config.php, else mdl_].
    #[arg(long, global = true, env = "ATTESTOODLE_PREFIX", value_name = "P")]
    pub prefix: Option<String>,
    /// Moodle's data directory (for template images) [default: from config.php].
    #[arg(long, global = true, env = "ATTESTOODLE_DATAROOT", value_name = "DIR")]
    pub dataroot: Option<PathBuf>,
    /// A file holding the database password (its first line), for a config.php whose
    /// $CFG->dbpass needs PHP (getenv()); the environment variable ATTESTOODLE_DB_PASSWORD
    /// does the same. Either replaces the password of config.php and of --db.
    #[arg(long, global = true, value_name = "PATH")]
    pub db_password_file: Option<PathBuf>,
    /// Give up connecting to the database server after this many seconds.
    #[arg(
        long,
        global = true,
        env = "ATTESTOODLE_CONNECT_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = Timeouts::DEFAULT_CONNECT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub connect_timeout: u64,
    /// Give up any one database statement (waiting for another session's lock included)
    /// after this many seconds; a write is then rolled back.
    #[arg(
        long,
        global = true,
        env = "ATTESTOODLE_STATEMENT_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = Timeouts::DEFAULT_STATEMENT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub statement_timeout: u64,
    /// This site's private signing key (PKCS#8 PEM) [default: signing-key.pem in
    /// $ATTESTOODLE_KEY_DIR, else ~/.config/attestoodle-backup].
    #[arg(long, global = true, env = "ATTESTOODLE_KEY", value_name = "PATH")]
    pub key: Option<PathBuf>,
    /// The audit log every apply appends one line to (mode 0600) [default: audit.jsonl in
    /// the key directory].
    #[arg(
        long,
        global = true,
        env = "ATTESTOODLE_AUDIT_LOG",
        value_name = "PATH"
    )]
    pub audit_log: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// The language of messages [default: from LANG, else en].
    #[arg(long, global = true, env = "ATTESTOODLE_LANG", value_enum)]
    pub lang: Option<Lang>,
    /// After an error's message, show its raw detail: the words of the database driver, the
    /// server, the parser or the system.
    #[arg(long, global = true, env = "ATTESTOODLE_VERBOSE", value_parser = clap::builder::FalseyValueParser::new())]
    pub verbose: bool,
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
    /// Manage this site's signing key and the public keys it trusts.
    Keys(KeysArgs),
    /// Check a backup file: format, integrity and who signed it (exit 0 only when accepted).
    Verify(VerifyArgs),
    /// Convert a legacy file of the PHP plugin to a signed version 2 file.
    Convert(ConvertArgs),
    /// Restore a training from a backup file: recreate it, or replace the training of the
    /// same name, after a precheck.
    Restore(RestoreArgs),
    /// Clone a training from a backup file onto renamed courses (e.g. next year's copies).
    Clone(CloneArgs),
    /// Serve the web interface for the Moodle site's administrators.
    Serve(ServeArgs),
    /// Save a training to a signed backup file (format 2), or every training with --all.
    Save(SaveArgs),
    /// Show what differs between two backups, or between a backup and the live training
    /// (--site), by course, section and position, template, learner email.
    Diff(DiffArgs),
    /// Relink the milestones whose activity was deleted (or is being deleted) to the activity
    /// of the same course that carries their name, after a precheck like a restore's.
    Repair(RepairArgs),
    /// Show what was written: one entry per restore, clone, replace or repair, from the audit
    /// log.
    History(HistoryArgs),
    /// Draw a certificate template as an SVG or PNG page (A4, background, every element at
    /// its place with sample text and an outline naming its type), from a backup file or from
    /// this site (--site TEMPLATE).
    Preview(PreviewArgs),
    /// Write the man pages and the bash, zsh and fish completions into a directory (for the
    /// Debian package; README "Install on a Moodle server").
    #[command(hide = true)]
    PackageAssets(assets::AssetsArgs),
}

/// A failure to report: the exit code and the message in the operator's language.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, where, and what to do.
    pub message: String,
    /// The stable kebab-case kind of failure of `--json`'s `{"error": {"code": ...}}`
    /// (README "Exit codes"); by default the one of the exit code ([`Exit::error_code`]).
    pub code: &'static str,
    /// The raw detail behind the message (a driver's, a parser's or the system's words),
    /// shown after it with `--verbose` only.
    pub detail: Option<String>,
}

impl Failure {
    /// A failure with its exit code and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
            code: exit.error_code(),
            detail: None,
        }
    }

    /// The same failure with the raw detail `--verbose` shows after the message.
    pub fn with_detail(mut self, detail: Option<String>) -> Failure {
        self.detail = detail;
        self
    }

    /// The same failure with a more precise `--json` error code (documented in README).
    pub fn with_code(mut self, code: &'static str) -> Failure {
        self.code = code;
        self
    }

    /// A file given on the command line cannot be read (missing, a directory, no permission):
    /// exit 1, code `file-unreadable`.
    pub fn unreadable(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Runtime, message).with_code("file-unreadable")
    }

    /// A backup file that cannot be loaded ([`load::load_file`](crate::document::load)): an
    /// unreadable path is `file-unreadable` (exit 1), anything about its content
    /// `file-rejected` (exit 3), with the message in the operator's language.
    pub fn load(error: &crate::document::load::LoadError, lang: Lang) -> Failure {
        let failure = if error.is_io() {
            Failure::unreadable(error.localized(lang))
        } else {
            Failure::new(Exit::FileRejected, error.localized(lang))
        };
        failure.with_detail(error.detail())
    }

    /// An exit code with nothing to say: what the command printed is the whole answer
    /// (`diff --exit-code` when the two differ).
    pub fn silent(exit: Exit) -> Failure {
        Failure::new(exit, String::new())
    }

    /// A database-layer error, with the exit code its kind calls for.
    pub fn database(error: moodle::Error, lang: Lang) -> Failure {
        use moodle::Error as E;
        let exit = match &error {
            E::NoDatabase { .. }
            | E::NoSqliteFile { .. }
            | E::BadUrl { .. }
            | E::BadPrefix { .. }
            | E::Config(_) => Exit::Usage,
            _ => Exit::Runtime,
        };
        Failure::new(exit, error.localized(lang))
            .with_code("database")
            .with_detail(error.detail())
    }
}

/// What the command line itself reads or writes, when it fails (the library layers' failures
/// have their own types). Each is said in English and French by [`Io::localized`]: what failed,
/// on what, and what to do; the system's own words are the [`Failure`]'s detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Io {
    /// The tool's runtime cannot start (threads, timers).
    Start,
    /// The current directory cannot be read.
    CurrentDirectory,
    /// Standard output cannot be written.
    Stdout,
    /// The answer to a question cannot be read from standard input.
    Answer,
    /// The web server stopped on an error.
    ServerStopped,
    /// A `--course-map` file cannot be read.
    CourseMap(PathBuf),
    /// The file the demo just saved cannot be read back.
    ReadBack(PathBuf),
}

impl Io {
    /// The message in the operator's language; `reason` says the system's refusal in the
    /// operator's words ([`crate::i18n::io_reason`]).
    pub fn localized(&self, reason: &str, lang: Lang) -> String {
        match (self, lang) {
            (Io::Start, Lang::En) => format!(
                "cannot start: {reason}; the machine may lack memory or threads, try again \
                 when it is less busy"
            ),
            (Io::Start, Lang::Fr) => format!(
                "démarrage impossible : {reason} ; la machine manque peut-être de mémoire ou de \
                 fils d'exécution, réessayez quand elle sera moins chargée"
            ),
            (Io::CurrentDirectory, Lang::En) => format!(
                "cannot read the current directory: {reason}; change to a directory that \
                 exists and that you may read"
            ),
            (Io::CurrentDirectory, Lang::Fr) => format!(
                "impossible de lire le dossier courant : {reason} ; placez-vous dans un \
                 dossier qui existe et que vous pouvez lire"
            ),
            (Io::Stdout, Lang::En) => format!(
                "cannot write to standard output: {reason}; check where the output is \
                 redirected"
            ),
            (Io::Stdout, Lang::Fr) => format!(
                "impossible d'écrire sur la sortie standard : {reason} ; vérifiez où la \
                 sortie est redirigée"
            ),
            (Io::Answer, Lang::En) => format!(
                "cannot read the answer from standard input: {reason}; answer on a terminal, \
                 or give --yes"
            ),
            (Io::Answer, Lang::Fr) => format!(
                "impossible de lire la réponse sur l'entrée standard : {reason} ; répondez \
                 dans un terminal, ou indiquez --yes"
            ),
            (Io::ServerStopped, Lang::En) => {
                format!("the web server stopped: {reason}; start serve again")
            }
            (Io::ServerStopped, Lang::Fr) => {
                format!("le serveur web s'est arrêté : {reason} ; relancez serve")
            }
            (Io::CourseMap(path), Lang::En) => format!(
                "cannot read the course map {} (--course-map): {reason}; check the path and \
                 its permissions",
                path.display()
            ),
            (Io::CourseMap(path), Lang::Fr) => format!(
                "impossible de lire la table de correspondance des cours {} (--course-map) : \
                 {reason} ; vérifiez le chemin et ses droits",
                path.display()
            ),
            (Io::ReadBack(path), Lang::En) => format!(
                "cannot read back {}, which the demo has just saved: {reason}; check the \
                 directory of the demo site and run demo again",
                path.display()
            ),
            (Io::ReadBack(path), Lang::Fr) => format!(
                "impossible de relire {}, que la démo vient d'enregistrer : {reason} ; \
                 vérifiez le dossier du site de démonstration et relancez demo",
                path.display()
            ),
        }
    }
}

impl Failure {
    /// The command line's own input or output failed (exit 1): the message in the operator's
    /// language, the system's words as the detail.
    pub fn io(what: Io, error: &std::io::Error, lang: Lang) -> Failure {
        let reason = crate::i18n::io_reason(error, lang);
        Failure::new(Exit::Runtime, what.localized(reason, lang))
            .with_detail(Some(error.to_string()))
    }
}

/// The operator's language, for the few messages said where no [`Context`] is at hand
/// (writing on stdout); [`main`] sets it once.
static FRENCH: AtomicBool = AtomicBool::new(false);

/// The operator's language as [`main`] set it.
fn operator_lang() -> Lang {
    if FRENCH.load(Ordering::Relaxed) {
        Lang::Fr
    } else {
        Lang::En
    }
}

/// The progress bar of a command that works through `len` trainings (`save --all`, a batch
/// restore or clone): on a terminal, and never with `--json`; hidden otherwise.
pub(crate) fn progress_bar(context: &Context, len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || context.json {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

/// Whether a JSON value was printed on stdout by this process (see [`print_json`]): a failing
/// command that printed its own documented object gets no `{"error": ...}` after it.
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

/// `{"error": {"code", "exit", "message"}}`, what `--json` prints for a failure.
#[derive(Debug, Serialize)]
struct ErrorJson<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    exit: u8,
    message: &'a str,
}

/// Prints `{"error": ...}` on stdout unless a JSON value was printed already, so that `--json`
/// always gives exactly one value.
fn print_json_error(code: &str, exit: u8, message: &str) {
    if JSON_PRINTED.load(Ordering::SeqCst) {
        return;
    }
    let _ = print_json(&ErrorJson {
        error: ErrorDetail {
            code,
            exit,
            message,
        },
    });
}

/// Whether the raw command line asks for `--json` (for errors found before it is parsed).
fn asks_for_json() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json")
}

/// A command line clap refused (or `--help`, `--version`): clap's message, and with `--json`
/// the error object, then clap's exit code.
fn clap_exit(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let exit = error.exit_code();
    // `--help` and `--version` print on stdout and succeed; anything else is a mistake.
    let shown = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if !shown && asks_for_json() {
        let text = error.render().to_string();
        let mut message = text.lines().next().unwrap_or_default().to_owned();
        if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            // clap shows the help, which is not one sentence.
            message = "no command given; `attestoodle-backup --help` lists them".to_owned();
            eprintln!("attestoodle-backup: error: {message}");
        }
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        print_json_error(
            Exit::Usage.error_code(),
            u8::try_from(exit).unwrap_or(Exit::Usage as u8),
            message,
        );
    }
    let _ = error.print();
    ExitCode::from(u8::try_from(exit).unwrap_or(Exit::Usage as u8))
}

/// Prints a failure (stderr, and with `--json` the error object) and gives its exit code.
fn report(failure: &Failure, lang: Lang, json: bool, verbose: bool) -> ExitCode {
    if !failure.message.is_empty() {
        let prefix = lang.pick("error", "erreur");
        eprintln!("attestoodle-backup: {prefix}: {}", failure.message);
    }
    if let (true, Some(detail)) = (verbose, &failure.detail) {
        let label = lang.pick("detail", "détail");
        eprintln!("attestoodle-backup: {label}: {detail}");
    }
    if json {
        print_json_error(failure.code, failure.exit as u8, &failure.message);
    }
    ExitCode::from(failure.exit as u8)
}

/// The command line with the configuration file applied: what neither the command line nor
/// the environment gave is taken from the file ([`config`]). Gives the key directory of the
/// file too.
fn parse_with_config() -> Result<(Cli, Option<PathBuf>), ExitCode> {
    let matches = Cli::command()
        .try_get_matches()
        .map_err(|e| clap_exit(&e))?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| clap_exit(&e))?;
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    let (path, explicit) = config::locate(&matches);
    match config::load(&path, explicit, lang) {
        Ok(Some(loaded)) => {
            let key_dir = config::apply(&loaded.file, &matches, &mut cli);
            Ok((cli, key_dir))
        }
        Ok(None) => Ok((cli, None)),
        Err(failure) => Err(report(&failure, lang, cli.json, cli.verbose)),
    }
}

/// Parses the command line, reads the configuration file, runs the command and gives the exit
/// code.
pub fn main() -> ExitCode {
    let (cli, key_dir) = match parse_with_config() {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    FRENCH.store(lang == Lang::Fr, Ordering::Relaxed);
    let json = cli.json;
    let verbose = cli.verbose;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::io(Io::Start, &e, lang), lang, json, verbose),
    };
    match runtime.block_on(run(cli, key_dir, lang)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure, lang, json, verbose),
    }
}

/// What every command needs besides its own arguments.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where the site is, as the operator said.
    pub options: SiteOptions,
    /// The current directory.
    pub cwd: PathBuf,
    /// `--key PATH`: this site's private signing key, when given.
    pub key: Option<PathBuf>,
    /// The key directory of the configuration file (`key_dir`), when `ATTESTOODLE_KEY_DIR`
    /// does not set one; else the documented default ([`keys::default_key_dir`]).
    ///
    /// [`keys::default_key_dir`]: crate::document::keys::default_key_dir
    pub key_dir: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// The operator's language.
    pub lang: Lang,
    /// `--audit-log PATH` (`ATTESTOODLE_AUDIT_LOG`, `audit_log` of the configuration file),
    /// when given.
    pub audit_log: Option<PathBuf>,
}

impl Context {
    /// Resolves the site options and connects, checking the Attestoodle tables.
    pub async fn open_site(&self) -> Result<Site, Failure> {
        let target = Target::resolve(&self.options, &self.cwd)
            .map_err(|e| Failure::database(e, self.lang))?;
        Site::open(&target)
            .await
            .map_err(|e| Failure::database(e, self.lang))
    }
}

impl Context {
    /// The audit log: `--audit-log`, else `audit.jsonl` in the key directory.
    pub fn audit_log_path(&self) -> PathBuf {
        match &self.audit_log {
            Some(path) => self.cwd.join(path),
            None => self.key_dir().join(crate::audit::FILE_NAME),
        }
    }

    /// Opens the audit log before a write; a log that cannot be opened refuses the write
    /// (exit 1) before anything is written.
    pub fn open_audit_log(&self) -> Result<crate::audit::AuditLog, Failure> {
        crate::audit::AuditLog::open(&self.audit_log_path())
            .map_err(|e| Failure::new(Exit::Runtime, e.localized(self.lang)))
    }

    /// The key directory: `ATTESTOODLE_KEY_DIR`, else `key_dir` of the configuration file,
    /// else the XDG default.
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir
            .clone()
            .unwrap_or_else(crate::document::keys::default_key_dir)
    }

    /// The private key file to use: `--key`, else `signing-key.pem` in the key directory.
    pub fn key_path(&self) -> PathBuf {
        match &self.key {
            Some(path) => self.cwd.join(path),
            None => self.key_dir().join(crate::document::keys::PRIVATE_KEY_FILE),
        }
    }

    /// The trust store's directory: `trusted/` in the key directory.
    pub fn trust_dir(&self) -> PathBuf {
        self.key_dir().join(crate::document::keys::TRUSTED_DIR)
    }
}

/// Runs a parsed command line; `key_dir` is the key directory of the configuration file
/// ([`Context::key_dir`]).
pub async fn run(cli: Cli, key_dir: Option<PathBuf>, lang: Lang) -> Result<(), Failure> {
    let cwd = std::env::current_dir().map_err(|e| Failure::io(Io::CurrentDirectory, &e, lang))?;
    let db_password = db_password(cli.db_password_file.as_deref(), &cwd, lang)?;
    let context = Context {
        options: SiteOptions {
            db: cli.db.clone(),
            moodle_config: cli.moodle_config.clone(),
            prefix: cli.prefix.clone(),
            dataroot: cli.dataroot.clone(),
            timeouts: Timeouts {
                connect: std::time::Duration::from_secs(cli.connect_timeout),
                statement: std::time::Duration::from_secs(cli.statement_timeout),
            },
            db_password,
        },
        cwd,
        key: cli.key.clone(),
        key_dir,
        audit_log: cli.audit_log.clone(),
        json: cli.json,
        lang,
    };
    match &cli.command {
        Command::Demo => demo::run(&context).await,
        Command::List(args) => list::run(&context, args).await,
        Command::Keys(args) => keys::run(&context, args),
        Command::Verify(args) => verify::run(&context, args),
        Command::Convert(args) => convert::run(&context, args),
        Command::Restore(args) => restore::run_restore(&context, args).await,
        Command::Clone(args) => restore::run_clone(&context, args).await,
        Command::Serve(args) => serve::run(&context, args).await,
        Command::Save(args) => save::run(&context, args).await,
        Command::Diff(args) => diff::run(&context, args).await,
        Command::Repair(args) => repair::run(&context, args).await,
        Command::History(args) => history::run(&context, args),
        Command::Preview(args) => preview::run(&context, args).await,
        Command::PackageAssets(args) => assets::run(&context, args),
    }
}

/// The environment variable that holds the database password.
pub const DB_PASSWORD_ENV: &str = "ATTESTOODLE_DB_PASSWORD";

/// The database password given apart from config.php: `--db-password-file` (its first
/// line, without the line end), else `ATTESTOODLE_DB_PASSWORD` when set and not empty.
fn db_password(
    file: Option<&std::path::Path>,
    cwd: &std::path::Path,
    lang: Lang,
) -> Result<Option<moodle::config_php::Secret>, Failure> {
    if let Some(file) = file {
        let path = cwd.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let e = crate::i18n::io_reason(&e, lang);
            Failure::new(
                Exit::Runtime,
                match lang {
                    Lang::En => format!(
                        "cannot read the database password file {} (--db-password-file): {e}; \
                         check the path and its permissions",
                        path.display()
                    ),
                    Lang::Fr => format!(
                        "impossible de lire le fichier du mot de passe de la base {} \
                         (--db-password-file) : {e} ; vérifiez le chemin et ses droits",
                        path.display()
                    ),
                },
            )
        })?;
        let line = text.lines().next().unwrap_or("");
        return Ok(Some(moodle::config_php::Secret::new(line)));
    }
    match std::env::var(DB_PASSWORD_ENV) {
        Ok(value) if !value.is_empty() => Ok(Some(moodle::config_php::Secret::new(value))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::new(
            Exit::Usage,
            match lang {
                Lang::En => format!(
                    "the environment variable {DB_PASSWORD_ENV} is not valid UTF-8; write the \
                     password into a file and pass --db-password-file PATH instead"
                ),
                Lang::Fr => format!(
                    "la variable d'environnement {DB_PASSWORD_ENV} n'est pas en UTF-8 valide ; \
                     écrivez le mot de passe dans un fichier et passez --db-password-file CHEMIN"
                ),
            },
        )),
    }
}

/// Writes text on stdout; a closed pipe is not an error.
pub fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(Io::Stdout, &e, operator_lang())),
    }
}

/// Writes a value as pretty JSON on stdout. A command prints at most one value with `--json`;
/// a failure after it adds nothing on stdout (see [`main`]).
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::io(Io::Stdout, &std::io::Error::from(e), operator_lang()))?;
    text.push('\n');
    JSON_PRINTED.store(true, Ordering::SeqCst);
    print_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::{every_variant, two_texts};

    fn io_variant(what: &Io) -> usize {
        match what {
            Io::Start => 0,
            Io::CurrentDirectory => 1,
            Io::Stdout => 2,
            Io::Answer => 3,
            Io::ServerStopped => 4,
            Io::CourseMap(_) => 5,
            Io::ReadBack(_) => 6,
        }
    }

    // Issue 9, items 1 and 2: the command line's own failures are said in English and French,
    // the system's words only as the detail.
    #[test]
    fn every_io_failure_is_said_in_english_and_in_french() {
        let all = [
            Io::Start,
            Io::CurrentDirectory,
            Io::Stdout,
            Io::Answer,
            Io::ServerStopped,
            Io::CourseMap(PathBuf::from("map.csv")),
            Io::ReadBack(PathBuf::from("demo-training.json")),
        ];
        every_variant(all.iter().map(io_variant), 7);
        let error = std::io::Error::from_raw_os_error(13);
        for what in all {
            let (en, fr) = (
                Failure::io(what.clone(), &error, Lang::En),
                Failure::io(what, &error, Lang::Fr),
            );
            for failure in [&en, &fr] {
                assert!(!failure.message.contains("os error"), "{}", failure.message);
                assert!(failure
                    .detail
                    .as_deref()
                    .is_some_and(|d| d.contains("os error 13")));
            }
            assert_eq!(en.exit, Exit::Runtime);
            two_texts(en.message, fr.message);
        }
    }

    // Issue 9, item 6: the parsed command line prints the password of `--db` as `***`.
    #[test]
    fn the_command_line_prints_no_password() {
        let cli = Cli::try_parse_from([
            "attestoodle-backup",
            "--db",
            "postgres://moodle:Very-Secret-42@db.example.org/moodle",
            "list",
        ])
        .expect("a command line");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("Very-Secret-42"), "{shown}");
        assert!(
            shown.contains("postgres://moodle:***@db.example.org/moodle"),
            "{shown}"
        );
    }
}
