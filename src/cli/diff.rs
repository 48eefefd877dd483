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
use crate::diff::{self, Change, Side};
use crate::document::keys::TrustStore;
use crate::document::load::{self, LoadError};
use crate::document::v2;
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
    let rejected = |reason: String| {
        Failure::new(
            Exit::FileRejected,
            match lang {
                Lang::En => format!("{shown}: {reason}"),
                Lang::Fr => format!("{shown} : {reason}"),
            },
        )
    };
    let backup = load::load_file(&context.cwd.join(path), max_size).map_err(|e| match e {
        LoadError::Read { .. } => Failure::load(&e, lang),
        other => rejected(other.localized(lang)),
    })?;
    Side::of_backup(&shown, backup, trust, lang).map_err(|e| rejected(e.localized(lang)))
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
    Ok(Side::of_site(id, document))
}

fn text(a: &Side, b: &Side, changes: &[Change], lang: Lang) -> String {
    let mut out = format!("A: {}\nB: {}\n", a.describe(lang), b.describe(lang));
    if changes.is_empty() {
        out.push_str(diff::identical_text(lang));
        out.push('\n');
        return out;
    }
    out.push_str(&diff::count_text(changes.len(), lang));
    out.push('\n');
    for change in changes {
        out.push_str(&format!("  - {}\n", change.localized(lang)));
    }
    out
}
