//! `package-assets DIR` (hidden): the man pages and shell completions of the Debian package,
//! generated from the clap definitions so that they always match the binary.
//!
//! It writes `DIR/man/attestoodle-backup.1` and one page per command
//! (`attestoodle-backup-save.1`, ...), and `DIR/completions/attestoodle-backup.bash`,
//! `_attestoodle-backup` (zsh) and `attestoodle-backup.fish`. `.ci/run` runs it with the release
//! binary before `cargo deb --no-build` (README "Install on a Moodle server").

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Context, Exit, Failure};
use crate::i18n::Lang;

/// Arguments of `package-assets`.
#[derive(Debug, Args)]
pub struct AssetsArgs {
    /// The directory to write `man/` and `completions/` into (created when missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// The name the binary is installed under.
const BIN: &str = "attestoodle-backup";

/// Writes the man pages and the completions.
pub fn run(context: &Context, args: &AssetsArgs) -> Result<(), Failure> {
    let dir = context.cwd.join(&args.dir);
    let lang = context.lang;
    let man = dir.join("man");
    let completions = dir.join("completions");
    for sub in [&man, &completions] {
        std::fs::create_dir_all(sub).map_err(|e| failure(sub, &e, lang))?;
    }
    clap_mangen::generate_to(Cli::command(), &man).map_err(|e| failure(&man, &e, lang))?;
    let mut command = Cli::command();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut command, BIN, &completions)
            .map_err(|e| failure(&completions, &e, lang))?;
    }
    eprintln!(
        "{}",
        match lang {
            Lang::En => format!(
                "wrote the man pages into {} and the completions into {}",
                man.display(),
                completions.display()
            ),
            Lang::Fr => format!(
                "pages de manuel écrites dans {} et complétions dans {}",
                man.display(),
                completions.display()
            ),
        }
    );
    Ok(())
}

fn failure(path: &Path, error: &std::io::Error, lang: Lang) -> Failure {
    Failure::new(
        Exit::Runtime,
        match lang {
            Lang::En => format!(
                "cannot write into {}: {}; check the directory and its permissions",
                path.display(),
                error.kind()
            ),
            Lang::Fr => format!(
                "impossible d'écrire dans {} : {} ; vérifiez le répertoire et ses droits",
                path.display(),
                error.kind()
            ),
        },
    )
}
