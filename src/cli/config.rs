//! The configuration file read by every command: `/etc/attestoodle-backup/config.toml`, or the
//! one `--config PATH` / `ATTESTOODLE_CONFIG` names.
//!
//! It holds the global options and a `[serve]` table. A value counts only where neither the
//! command line nor the environment gave one (command line > environment > file > defaults,
//! decided with clap's `ArgMatches::value_source`). An unknown key, a value of the wrong type
//! or out of range is a usage error (exit 2) naming the key and the file; the default file may
//! be missing, a file named explicitly may not (exit 1). Paths in the file are relative to the
//! file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Deserialize;

use super::{Cli, Command, Exit, Failure, DB_PASSWORD_ENV};
use crate::i18n::Lang;

/// The file read when neither `--config` nor `ATTESTOODLE_CONFIG` names one.
pub const DEFAULT_PATH: &str = "/etc/attestoodle-backup/config.toml";

/// The environment variable that names the configuration file.
pub const CONFIG_ENV: &str = "ATTESTOODLE_CONFIG";

/// The environment variable of the key directory (see `document::keys::default_key_dir`).
const KEY_DIR_ENV: &str = "ATTESTOODLE_KEY_DIR";

/// The global options of the file, each the same as the option of its name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `--moodle-config`.
    pub moodle_config: Option<PathBuf>,
    /// `--db` (`Debug` hides its password).
    pub db: Option<crate::moodle::DbUrl>,
    /// `--prefix`.
    pub prefix: Option<String>,
    /// `--dataroot`.
    pub dataroot: Option<PathBuf>,
    /// `--db-password-file` (used when neither it nor `ATTESTOODLE_DB_PASSWORD` is given).
    pub db_password_file: Option<PathBuf>,
    /// `--key`.
    pub key: Option<PathBuf>,
    /// The key directory (`ATTESTOODLE_KEY_DIR`, which wins over it).
    pub key_dir: Option<PathBuf>,
    /// `--lang`: `en` or `fr`.
    pub lang: Option<String>,
    /// `--connect-timeout`, seconds.
    pub connect_timeout: Option<i64>,
    /// `--statement-timeout`, seconds.
    pub statement_timeout: Option<i64>,
    /// `--audit-log`.
    pub audit_log: Option<PathBuf>,
    /// The options of `serve`.
    pub serve: Option<ServeFile>,
}

/// The `[serve]` table: the options of `serve`, each the same as the flag of its name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--base-path`.
    pub base_path: Option<String>,
    /// `--https`.
    pub https: Option<bool>,
    /// `--behind-proxy`.
    pub behind_proxy: Option<bool>,
    /// `--moodle-session`.
    pub moodle_session: Option<bool>,
    /// `--max-upload`, MiB.
    pub max_upload: Option<i64>,
    /// `--idle-timeout`, minutes.
    pub idle_timeout: Option<i64>,
}

/// The global keys of the file, for the message about an unknown one.
const GLOBAL_KEYS: &str = "moodle_config, db, prefix, dataroot, db_password_file, key, key_dir, \
                           lang, connect_timeout, statement_timeout, audit_log, [serve]";

/// The keys of `[serve]`, for the message about an unknown one.
const SERVE_KEYS: &str =
    "listen, base_path, https, behind_proxy, moodle_session, max_upload, idle_timeout";

/// A configuration file that was read.
#[derive(Debug)]
pub struct Loaded {
    /// Where it was read.
    pub path: PathBuf,
    /// What it holds, paths made relative to its directory.
    pub file: ConfigFile,
}

/// Which file to read: `--config`/`ATTESTOODLE_CONFIG` (it must exist), else the default one
/// (it may be missing). Gives the path and whether it was named explicitly.
pub fn locate(matches: &ArgMatches) -> (PathBuf, bool) {
    match matches.get_one::<PathBuf>("config") {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_PATH), false),
    }
}

/// Reads and checks the file at `path`; `Ok(None)` when it is the default file and absent.
///
/// # Errors
///
/// A missing (when `explicit`) or unreadable file is exit 1; invalid TOML, an unknown key, a
/// value of the wrong type or out of range is exit 2; the message names the file and the key.
pub fn load(path: &Path, explicit: bool, lang: Lang) -> Result<Option<Loaded>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(e) => return Err(unreadable(path, &e, lang)),
    };
    let mut file = parse(&text).map_err(|problem| {
        Failure::new(Exit::Usage, problem.message(path, lang)).with_code("config")
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    for value in [
        &mut file.moodle_config,
        &mut file.dataroot,
        &mut file.db_password_file,
        &mut file.key,
        &mut file.key_dir,
        &mut file.audit_log,
    ]
    .into_iter()
    .flatten()
    {
        if value.is_relative() {
            *value = dir.join(&*value);
        }
    }
    Ok(Some(Loaded {
        path: path.to_owned(),
        file,
    }))
}

/// What is wrong in a file's text.
#[derive(Debug, PartialEq)]
enum Problem {
    /// A key the file may not hold, in `[serve]` or at the top.
    UnknownKey {
        key: String,
        serve: bool,
        line: Option<usize>,
    },
    /// A value that is not what its key takes.
    BadValue {
        key: String,
        wanted: Wanted,
        line: Option<usize>,
    },
    /// Not TOML, or a value of the wrong type (the `toml` crate's sentence).
    Invalid {
        key: Option<String>,
        detail: String,
        line: Option<usize>,
    },
}

/// What a key takes, for [`Problem::BadValue`].
#[derive(Debug, PartialEq, Clone, Copy)]
enum Wanted {
    Lang,
    Seconds,
    AtLeastOne,
    Address,
    Switch,
    Text,
}

impl Wanted {
    /// What a key of the file takes, by its name.
    fn of(key: &str) -> Option<Wanted> {
        Some(match key {
            "lang" => Wanted::Lang,
            "connect_timeout" | "statement_timeout" => Wanted::Seconds,
            "max_upload" | "idle_timeout" => Wanted::AtLeastOne,
            "listen" => Wanted::Address,
            "https" | "behind_proxy" | "moodle_session" => Wanted::Switch,
            "moodle_config" | "db" | "prefix" | "dataroot" | "db_password_file" | "key"
            | "key_dir" | "audit_log" | "base_path" => Wanted::Text,
            _ => return None,
        })
    }
}

impl Problem {
    fn message(&self, path: &Path, lang: Lang) -> String {
        let file = path.display();
        let at = |line: &Option<usize>| match (line, lang) {
            (Some(n), Lang::En) => format!(", line {n}"),
            (Some(n), Lang::Fr) => format!(", ligne {n}"),
            (None, _) => String::new(),
        };
        match (self, lang) {
            (Self::UnknownKey { key, serve, line }, Lang::En) => {
                format!(
                "unknown key `{key}` {} of the configuration file {file}{}; the keys there are: \
                 {}; correct or remove it",
                if *serve { "in [serve]" } else { "at the top level" },
                at(line),
                if *serve { SERVE_KEYS } else { GLOBAL_KEYS }
            )
            }
            (Self::UnknownKey { key, serve, line }, Lang::Fr) => format!(
                "clé inconnue `{key}` {} du fichier de configuration {file}{} ; les clés \
                 possibles : {} ; corrigez-la ou supprimez-la",
                if *serve {
                    "dans [serve]"
                } else {
                    "au premier niveau"
                },
                at(line),
                if *serve { SERVE_KEYS } else { GLOBAL_KEYS }
            ),
            (Self::BadValue { key, wanted, line }, Lang::En) => format!(
                "`{key}` of the configuration file {file}{} must be {}",
                at(line),
                match wanted {
                    Wanted::Lang => "\"en\" or \"fr\"",
                    Wanted::Seconds => "a number of seconds from 1 to 86400",
                    Wanted::AtLeastOne => "a whole number of at least 1",
                    Wanted::Address => "an address and port such as \"127.0.0.1:8080\"",
                    Wanted::Switch => "true or false",
                    Wanted::Text => "a string in double quotes",
                }
            ),
            (Self::BadValue { key, wanted, line }, Lang::Fr) => format!(
                "`{key}` du fichier de configuration {file}{} doit être {}",
                at(line),
                match wanted {
                    Wanted::Lang => "\"en\" ou \"fr\"",
                    Wanted::Seconds => "un nombre de secondes de 1 à 86400",
                    Wanted::AtLeastOne => "un nombre entier d'au moins 1",
                    Wanted::Address => "une adresse et un port comme \"127.0.0.1:8080\"",
                    Wanted::Switch => "true ou false",
                    Wanted::Text => "une chaîne entre guillemets doubles",
                }
            ),
            (Self::Invalid { key, detail, line }, Lang::En) => format!(
                "the configuration file {file}{} is not valid{}: {detail}; correct it (TOML: \
                 key = value, strings in double quotes)",
                at(line),
                key.as_ref()
                    .map(|k| format!(" at `{k}`"))
                    .unwrap_or_default()
            ),
            (Self::Invalid { key, detail, line }, Lang::Fr) => format!(
                "le fichier de configuration {file}{} n'est pas valide{} : {detail} ; \
                 corrigez-le (TOML : clé = valeur, chaînes entre guillemets doubles)",
                at(line),
                key.as_ref()
                    .map(|k| format!(" pour `{k}`"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// Parses a file's text and checks its values.
fn parse(text: &str) -> Result<ConfigFile, Problem> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| toml_problem(text, &e))?;
    let line_of = |key: &str| key_line(text, key);
    let bad = |key: &str, wanted| Problem::BadValue {
        key: key.to_owned(),
        wanted,
        line: line_of(key),
    };
    if let Some(lang) = &file.lang {
        if lang != "en" && lang != "fr" {
            return Err(bad("lang", Wanted::Lang));
        }
    }
    for (key, value) in [
        ("connect_timeout", file.connect_timeout),
        ("statement_timeout", file.statement_timeout),
    ] {
        if value.is_some_and(|v| !(1..=86_400).contains(&v)) {
            return Err(bad(key, Wanted::Seconds));
        }
    }
    if let Some(serve) = &file.serve {
        if let Some(listen) = &serve.listen {
            if listen.parse::<SocketAddr>().is_err() {
                return Err(bad("listen", Wanted::Address));
            }
        }
        for (key, value) in [
            ("max_upload", serve.max_upload),
            ("idle_timeout", serve.idle_timeout),
        ] {
            if value.is_some_and(|v| v < 1) {
                return Err(bad(key, Wanted::AtLeastOne));
            }
        }
    }
    Ok(file)
}

/// A `toml` error as a [`Problem`]: serde's "unknown field `x`" becomes an unknown key, with
/// the table it stands in; the line comes from the error's span.
fn toml_problem(text: &str, error: &toml::de::Error) -> Problem {
    let start = error.span().map(|span| span.start);
    let line = start.map(|at| line_number(text, at));
    let message = error.message();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default().to_owned();
        let serve = start.is_some_and(|at| table_at(text, at) == Some("serve"));
        return Problem::UnknownKey { key, serve, line };
    }
    // The key is what stands before `=` on the line of the error.
    let key = start.and_then(|at| {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_text = text[line_start..].lines().next()?;
        let (key, _) = line_text.split_once('=')?;
        let key = key.trim();
        (!key.is_empty()).then(|| key.to_owned())
    });
    if let Some(wanted) = key.as_deref().and_then(Wanted::of) {
        return Problem::BadValue {
            key: key.unwrap_or_default(),
            wanted,
            line,
        };
    }
    Problem::Invalid {
        key,
        detail: message
            .trim()
            .replace("expected i64", "expected a whole number"),
        line,
    }
}

/// The 1-based line of a byte offset.
fn line_number(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The name of the `[table]` whose header comes last before a byte offset.
fn table_at(text: &str, at: usize) -> Option<&str> {
    text[..at.min(text.len())]
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with('['))
        .map(|line| {
            line.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
        })
}

/// The line where `key = ...` is written, for a value found wrong after parsing.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn unreadable(path: &Path, error: &std::io::Error, lang: Lang) -> Failure {
    let reason = match (error.kind(), lang) {
        (std::io::ErrorKind::NotFound, Lang::En) => "no such file".to_owned(),
        (std::io::ErrorKind::NotFound, Lang::Fr) => "ce fichier n'existe pas".to_owned(),
        (std::io::ErrorKind::PermissionDenied, Lang::En) => "permission denied".to_owned(),
        (std::io::ErrorKind::PermissionDenied, Lang::Fr) => "accès refusé".to_owned(),
        (std::io::ErrorKind::IsADirectory, Lang::En) => "it is a directory".to_owned(),
        (std::io::ErrorKind::IsADirectory, Lang::Fr) => "c'est un répertoire".to_owned(),
        (std::io::ErrorKind::InvalidData, Lang::En) => "it is not UTF-8 text".to_owned(),
        (std::io::ErrorKind::InvalidData, Lang::Fr) => "ce n'est pas du texte UTF-8".to_owned(),
        (_, _) => error.kind().to_string(),
    };
    Failure::unreadable(match lang {
        Lang::En => format!(
            "cannot read the configuration file {} (--config or {CONFIG_ENV}): {reason}; check \
             the path and its permissions",
            path.display()
        ),
        Lang::Fr => format!(
            "impossible de lire le fichier de configuration {} (--config ou {CONFIG_ENV}) : \
             {reason} ; vérifiez le chemin et ses droits",
            path.display()
        ),
    })
}

/// Whether the command line or the environment gave the argument `id`.
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Fills the options of `cli` that neither the command line nor the environment gave from
/// the file. Gives the key directory of the file, when `ATTESTOODLE_KEY_DIR` does not set one.
pub fn apply(file: &ConfigFile, matches: &ArgMatches, cli: &mut Cli) -> Option<PathBuf> {
    let fill = |id: &str, slot: &mut Option<PathBuf>, value: &Option<PathBuf>| {
        if !given(matches, id) && value.is_some() {
            slot.clone_from(value);
        }
    };
    fill("moodle_config", &mut cli.moodle_config, &file.moodle_config);
    fill("dataroot", &mut cli.dataroot, &file.dataroot);
    fill("key", &mut cli.key, &file.key);
    fill("audit_log", &mut cli.audit_log, &file.audit_log);
    if !given(matches, "db") && file.db.is_some() {
        cli.db.clone_from(&file.db);
    }
    if !given(matches, "prefix") && file.prefix.is_some() {
        cli.prefix.clone_from(&file.prefix);
    }
    // The password variable is the environment's word for the same thing.
    let password_in_env = std::env::var_os(DB_PASSWORD_ENV).is_some_and(|v| !v.is_empty());
    if !given(matches, "db_password_file") && !password_in_env {
        fill(
            "db_password_file",
            &mut cli.db_password_file,
            &file.db_password_file,
        );
    }
    if !given(matches, "lang") {
        match file.lang.as_deref() {
            Some("en") => cli.lang = Some(Lang::En),
            Some("fr") => cli.lang = Some(Lang::Fr),
            _ => {}
        }
    }
    // `parse` checked the ranges: the conversions cannot fail.
    if let (false, Some(seconds)) = (given(matches, "connect_timeout"), file.connect_timeout) {
        cli.connect_timeout = u64::try_from(seconds).unwrap_or(cli.connect_timeout);
    }
    if let (false, Some(seconds)) = (given(matches, "statement_timeout"), file.statement_timeout) {
        cli.statement_timeout = u64::try_from(seconds).unwrap_or(cli.statement_timeout);
    }
    if let (Command::Serve(args), Some(serve), Some(("serve", sub))) =
        (&mut cli.command, &file.serve, matches.subcommand())
    {
        if let (false, Some(listen)) = (given(sub, "listen"), &serve.listen) {
            if let Ok(address) = listen.parse() {
                args.listen = address;
            }
        }
        if !given(sub, "base_path") && serve.base_path.is_some() {
            args.base_path.clone_from(&serve.base_path);
        }
        for (id, slot, value) in [
            ("https", &mut args.https, serve.https),
            ("behind_proxy", &mut args.behind_proxy, serve.behind_proxy),
            (
                "moodle_session",
                &mut args.moodle_session,
                serve.moodle_session,
            ),
        ] {
            if let (false, Some(value)) = (given(sub, id), value) {
                *slot = value;
            }
        }
        if let (false, Some(mib)) = (given(sub, "max_upload"), serve.max_upload) {
            args.max_upload = usize::try_from(mib).unwrap_or(args.max_upload);
        }
        if let (false, Some(minutes)) = (given(sub, "idle_timeout"), serve.idle_timeout) {
            args.idle_timeout = u64::try_from(minutes).unwrap_or(args.idle_timeout);
        }
    }
    let key_dir_in_env = std::env::var_os(KEY_DIR_ENV).is_some_and(|v| !v.is_empty());
    file.key_dir.clone().filter(|_| !key_dir_in_env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_named_with_its_table_and_line() {
        let problem = parse("db = \"sqlite://x\"\n[serve]\nlisten = \"127.0.0.1:1\"\nlistn = 1\n");
        assert_eq!(
            problem.err(),
            Some(Problem::UnknownKey {
                key: "listn".into(),
                serve: true,
                line: Some(4)
            })
        );
        let problem = parse("dbb = \"x\"\n");
        assert_eq!(
            problem.err(),
            Some(Problem::UnknownKey {
                key: "dbb".into(),
                serve: false,
                line: Some(1)
            })
        );
    }

    #[test]
    fn a_wrong_value_names_its_key() {
        let Err(problem) = parse("lang = \"de\"\n") else {
            panic!("lang = de was accepted");
        };
        let message = problem.message(Path::new("/etc/x.toml"), Lang::En);
        assert!(message.contains("`lang`") && message.contains("/etc/x.toml, line 1"));
        let Err(problem) = parse("\n\nconnect_timeout = \"ten\"\n") else {
            panic!("a string timeout was accepted");
        };
        let message = problem.message(Path::new("c.toml"), Lang::Fr);
        assert!(
            message.contains("c.toml, ligne 3") && message.contains("`connect_timeout`"),
            "{message}"
        );
        assert_eq!(
            parse("[serve]\nhttps = \"yes\"\n").err(),
            Some(Problem::BadValue {
                key: "https".into(),
                wanted: Wanted::Switch,
                line: Some(2)
            })
        );
        let Err(problem) = parse("db = sqlite://x\n") else {
            panic!("an unquoted string was accepted");
        };
        let message = problem.message(Path::new("c.toml"), Lang::En);
        assert!(
            message.contains("`db`") && message.contains("double quotes"),
            "{message}"
        );
        let Err(problem) = parse("[serve\n") else {
            panic!("a broken table header was accepted");
        };
        let message = problem.message(Path::new("c.toml"), Lang::En);
        assert!(
            message.starts_with("the configuration file c.toml, line 1 is not valid"),
            "{message}"
        );
        assert!(parse("[serve]\nmax_upload = 0\n").is_err());
        assert!(parse("[serve]\nlisten = \"localhost\"\n").is_err());
        assert!(parse("statement_timeout = 86401\n").is_err());
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        let file = parse("# nothing\n").map_err(|p| format!("{p:?}"));
        assert!(file.is_ok_and(|f| f.db.is_none() && f.serve.is_none()));
    }
}
