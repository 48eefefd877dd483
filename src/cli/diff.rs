//! `diff`: what differs between two backups, or between a backup and the live training, by
//! natural identifiers ([`crate::diff`]). Each file is read and checked as `verify` does; a
//! signature that does not hold is reported beside the differences, never hidden, and does not
//! stop the comparison.
//!
//! `--json` prints one object `{a, b, identical, changes}` (README "Diff"). The exit code is 0
//! whether or not the two differ, unless `--exit-code` (1 when they differ, as
//! `git diff --exit-code`); 3 when a file is not a backup, 1 when it cannot be read, 5 when the
//! live training does not exist.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use super::keys::trust_store;
use super::save::resolve_name;
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::diff::{self, Change};
use crate::document::keys::TrustStore;
use crate::document::load::{self, Backup, LoadError};
use crate::document::migrate;
use crate::document::signature::{self, Authenticity, Integrity};
use crate::document::v2::{self, Document};
use crate::i18n::Lang;
use crate::save;

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first backup file (format 2, or a legacy file of the PHP plugin).
    pub a: PathBuf,
    /// The second backup file; with --site, the name of the live training (default: the
    /// training named as in the first file).
    pub b: Option<String>,
    /// Compare the file with the live training of this site, read as `save` would.
    #[arg(long)]
    pub site: bool,
    /// With --site: the live training by id.
    #[arg(long, value_name = "N", requires = "site", conflicts_with = "b")]
    pub id: Option<i64>,
    /// Exit 1 when the two differ (0 when identical).
    #[arg(long)]
    pub exit_code: bool,
    /// Refuse files larger than this many bytes (64 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = v2::MAX_FILE_SIZE)]
    pub max_size: u64,
}

/// One side of the comparison, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Side {
    /// `"file"` or `"site"`.
    source: &'static str,
    /// The path as given (a file).
    file: Option<String>,
    /// `"attestoodle-training-backup"` or `"legacy"` (a file).
    format: Option<&'static str>,
    /// The training's name.
    training: String,
    /// The live training's id (the site).
    training_id: Option<i64>,
    /// `"valid"`, `"invalid"` or `"unsigned"` (format 2); `"valid"` for a legacy file whose
    /// checksum is right; null for the site.
    integrity: Option<&'static str>,
    /// `"trusted"`, `"untrusted"`, `"unsigned"`, `"none"` (legacy), or null for the site.
    authenticity: Option<&'static str>,
    /// The key id written in the signature.
    key_id: Option<String>,
    /// Why the signature does not hold, when it does not.
    problem: Option<String>,
    #[serde(skip)]
    document: Document,
}

/// One change with its sentence.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    change: &'a Change,
    message: String,
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    a: &'a Side,
    b: &'a Side,
    identical: bool,
    changes: Vec<Entry<'a>>,
}

/// Runs `diff`.
pub async fn run(context: &Context, args: &DiffArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let trust = trust_store(context)?;
    let a = file_side(context, &args.a, args.max_size, &trust)?;
    let b = if args.site {
        site_side(context, args, &a).await?
    } else {
        let Some(b) = &args.b else {
            return Err(Failure::new(
                Exit::Usage,
                lang.pick(
                    "diff needs two files, or one file and --site",
                    "diff compare deux fichiers, ou un fichier et le site avec --site",
                ),
            ));
        };
        file_side(context, Path::new(b), args.max_size, &trust)?
    };
    let changes = diff::compare(&a.document, &b.document);
    let identical = changes.is_empty();
    if context.json {
        print_json(&Output {
            a: &a,
            b: &b,
            identical,
            changes: changes
                .iter()
                .map(|change| Entry {
                    change,
                    message: change.localized(lang),
                })
                .collect(),
        })?;
    } else {
        print_stdout(&text(&a, &b, &changes, lang))?;
    }
    if args.exit_code && !identical {
        return Err(Failure::silent(Exit::Runtime));
    }
    Ok(())
}

/// Reads a backup file as `verify` does, keeping a broken signature as a problem to report.
fn file_side(
    context: &Context,
    path: &Path,
    max_size: u64,
    trust: &TrustStore,
) -> Result<Side, Failure> {
    let lang = context.lang;
    let shown = path.display().to_string();
    let backup = load::load_file(&context.cwd.join(path), max_size).map_err(|e| match e {
        LoadError::Read { .. } => Failure::new(Exit::Runtime, e.to_string()),
        other => Failure::new(
            Exit::FileRejected,
            match lang {
                Lang::En => format!("{shown}: {other}"),
                Lang::Fr => format!("{shown} : {other}"),
            },
        ),
    })?;
    match backup {
        Backup::V2(document) => {
            let verification = signature::verify(&document);
            let authenticity = signature::authenticity(&verification, trust);
            let (integrity, problem) = match &verification.integrity {
                Integrity::Valid => ("valid", None),
                Integrity::Invalid(reason) => ("invalid", Some(reason.clone())),
                Integrity::Unsigned => ("unsigned", None),
            };
            Ok(Side {
                source: "file",
                file: Some(shown),
                format: Some(v2::FORMAT),
                training: document.training.name.clone(),
                training_id: None,
                integrity: Some(integrity),
                authenticity: Some(match authenticity {
                    Authenticity::Trusted(_) => "trusted",
                    Authenticity::Untrusted(_) => "untrusted",
                    Authenticity::Unsigned => "unsigned",
                }),
                key_id: verification.key_id,
                problem,
                document,
            })
        }
        Backup::Legacy(file) => {
            let migrated = migrate::legacy_to_v2(&file).map_err(|e| {
                Failure::new(
                    Exit::FileRejected,
                    match lang {
                        Lang::En => format!("{shown}: {e}"),
                        Lang::Fr => format!("{shown} : {e}"),
                    },
                )
            })?;
            Ok(Side {
                source: "file",
                file: Some(shown),
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

/// Reads the live training as `save` would: the one named, the one with `--id`, or the one
/// named as in the file.
async fn site_side(context: &Context, args: &DiffArgs, file: &Side) -> Result<Side, Failure> {
    let lang = context.lang;
    let site = context.open_site().await?;
    let id = match (args.id, &args.b) {
        (Some(id), _) => id,
        (None, Some(name)) => resolve_name(&site, name, lang).await?,
        (None, None) => resolve_name(&site, &file.training, lang).await?,
    };
    let read = save::read(&site, id, OffsetDateTime::now_utc()).await;
    site.close().await;
    let (document, _warnings) = read.map_err(|e| match e {
        save::SaveError::Database(e) => Failure::database(e, lang),
        save::SaveError::NotFound { .. } => Failure::new(Exit::TrainingNotFound, e.localized(lang)),
        other => Failure::new(Exit::Runtime, other.localized(lang)),
    })?;
    Ok(Side {
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
    })
}

fn side_line(label: &str, side: &Side, lang: Lang) -> String {
    let what = match (side.source, lang) {
        ("site", Lang::En) => format!(
            "this site, training \u{ab} {} \u{bb} (id {})",
            side.training,
            side.training_id.unwrap_or_default()
        ),
        ("site", Lang::Fr) => format!(
            "ce site, formation \u{ab} {} \u{bb} (id {})",
            side.training,
            side.training_id.unwrap_or_default()
        ),
        (_, Lang::En) => format!(
            "{}, training \u{ab} {} \u{bb}",
            side.file.as_deref().unwrap_or(""),
            side.training
        ),
        (_, Lang::Fr) => format!(
            "{}, formation \u{ab} {} \u{bb}",
            side.file.as_deref().unwrap_or(""),
            side.training
        ),
    };
    let trust = match (side.integrity, side.authenticity, lang) {
        (None, _, _) => String::new(),
        (Some("invalid"), _, Lang::En) => {
            " — the signature does not match the content: the file was changed after it was \
             signed, no key can make it valid"
                .to_owned()
        }
        (Some("invalid"), _, Lang::Fr) => {
            " — la signature ne correspond pas au contenu : le fichier a été modifié après sa \
             signature, aucune clé ne peut la rendre valide"
                .to_owned()
        }
        (Some("unsigned"), _, Lang::En) => " — not signed".to_owned(),
        (Some("unsigned"), _, Lang::Fr) => " — non signé".to_owned(),
        (_, Some("none"), Lang::En) => " — legacy file, checksum right".to_owned(),
        (_, Some("none"), Lang::Fr) => {
            " — fichier de l'ancien plugin, somme de contrôle juste".to_owned()
        }
        (_, Some("trusted"), Lang::En) => " — signed by a trusted key".to_owned(),
        (_, Some("trusted"), Lang::Fr) => " — signé par une clé de confiance".to_owned(),
        (_, _, Lang::En) => " — signed by a key this site does not trust".to_owned(),
        (_, _, Lang::Fr) => " — signé par une clé que ce site ne connaît pas".to_owned(),
    };
    format!("{label}: {what}{trust}\n")
}

fn text(a: &Side, b: &Side, changes: &[Change], lang: Lang) -> String {
    let mut out = side_line("A", a, lang);
    out.push_str(&side_line("B", b, lang));
    if changes.is_empty() {
        out.push_str(lang.pick(
            "identical: both define the same training (ids, creation time and signature aside)\n",
            "identiques : les deux définissent la même formation (identifiants, date de \
             création et signature mis à part)\n",
        ));
        return out;
    }
    out.push_str(&match lang {
        Lang::En => format!("{} difference(s) from A to B:\n", changes.len()),
        Lang::Fr => format!("{} différence(s) de A à B :\n", changes.len()),
    });
    for change in changes {
        out.push_str(&format!("  - {}\n", change.localized(lang)));
    }
    out
}
