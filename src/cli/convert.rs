//! `convert`: turns a legacy file of the PHP plugin into a signed format-2 file.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::keys::own_key_or_create;
use super::save::write_file;
use super::{print_json, Context, Exit, Failure};
use crate::document::keys;
use crate::document::load::{self, Backup, LoadError};
use crate::document::migrate;
use crate::document::signature;
use crate::document::v2;
use crate::i18n::Lang;

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The legacy file (version "2019061667" of the PHP plugin tool_save_attestoodle).
    pub file: PathBuf,
    /// The format-2 file to write.
    #[arg(short, long, value_name = "NEW.json")]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Refuse files larger than this many bytes (64 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = v2::MAX_FILE_SIZE)]
    pub max_size: u64,
}

/// `convert --json`: the field names are a stable interface (README "convert").
#[derive(Debug, Serialize)]
struct ConvertJson {
    input: String,
    output: String,
    training: String,
    key_id: String,
    key_created: bool,
    milestones: usize,
    learners: usize,
    learner_styles: usize,
    notes: Vec<NoteJson>,
}

/// One note of `convert --json`.
#[derive(Debug, Serialize)]
struct NoteJson {
    code: &'static str,
    message: String,
}

/// Runs `convert`.
pub fn run(context: &Context, args: &ConvertArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let input = context.cwd.join(&args.file);
    let output = context.cwd.join(&args.output);
    if !args.force && output.exists() {
        return Err(Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "{} already exists; choose another name, or pass --force to replace it",
                    output.display()
                ),
                Lang::Fr => format!(
                    "{} existe déjà ; choisissez un autre nom, ou ajoutez --force pour le \
                     remplacer",
                    output.display()
                ),
            },
        ));
    }
    let file = match load::load_file(&input, args.max_size) {
        Ok(Backup::Legacy(file)) => file,
        Ok(Backup::V2(_)) => {
            return Err(Failure::new(
                Exit::FileRejected,
                match lang {
                    Lang::En => format!(
                        "{} is already a version 2 file: there is nothing to convert; check it \
                         with `attestoodle-backup verify`",
                        input.display()
                    ),
                    Lang::Fr => format!(
                        "{} est déjà un fichier de version 2 : il n'y a rien à convertir ; \
                         vérifiez-le avec `attestoodle-backup verify`",
                        input.display()
                    ),
                },
            ))
        }
        Err(error) if error.is_io() => return Err(Failure::load(&error, lang)),
        Err(error @ LoadError::Legacy(_)) => {
            return Err(rejected(lang, &error.localized(lang)).with_detail(error.detail()));
        }
        Err(error) => {
            let hint = lang.pick(
                "convert reads legacy files of the PHP plugin tool_save_attestoodle",
                "convert lit les anciens fichiers du plugin PHP tool_save_attestoodle",
            );
            return Err(rejected(
                lang,
                &format!("{} ({hint})", error.localized(lang)),
            ));
        }
    };
    let migrated =
        migrate::legacy_to_v2(&file).map_err(|error| rejected(lang, &error.localized(lang)))?;
    let (key, key_created) = own_key_or_create(context)?;
    let mut document = migrated.document;
    signature::sign(&mut document, &key);
    // The document was validated unsigned; check the signed one too before writing it.
    v2::validate(&document).map_err(|error| rejected(lang, &error.localized(lang)))?;
    let text = v2::to_text(&document);
    write_file(&output, &text, args.force, lang)?;
    let key_id = keys::key_id(&key.verifying_key());

    for note in &migrated.notes {
        eprintln!(
            "{} [{}]: {}",
            lang.pick("note", "remarque"),
            note.code,
            note.text(lang)
        );
    }
    eprintln!(
        "{}",
        lang.pick(
            "note: a legacy file does not record activity types; the converted file leaves them \
             unknown (null), and a restore checks each activity by its name and place",
            "remarque : un ancien fichier n'indique pas le type des activités ; le fichier \
             converti les laisse inconnus (null), et une restauration vérifie chaque activité par \
             son nom et sa place",
        )
    );
    eprintln!(
        "{}",
        match lang {
            Lang::En => format!(
                "wrote {} (training {:?}: {} milestones, {} learners, {} learner styles), signed \
                 with key {key_id}",
                output.display(),
                document.training.name,
                document.milestones.len(),
                document.learners.len(),
                document.learner_styles.len()
            ),
            Lang::Fr => format!(
                "{} écrit (formation « {} » : {} jalons, {} apprenants, {} réglages \
                 d'apprenants), signé avec la clé {key_id}",
                output.display(),
                document.training.name,
                document.milestones.len(),
                document.learners.len(),
                document.learner_styles.len()
            ),
        }
    );
    if context.json {
        print_json(&ConvertJson {
            input: args.file.display().to_string(),
            output: args.output.display().to_string(),
            training: document.training.name.clone(),
            key_id,
            key_created,
            milestones: document.milestones.len(),
            learners: document.learners.len(),
            learner_styles: document.learner_styles.len(),
            notes: migrated
                .notes
                .iter()
                .map(|note| NoteJson {
                    code: note.code,
                    message: note.text(lang).to_owned(),
                })
                .collect(),
        })?;
    }
    Ok(())
}

fn rejected(lang: Lang, message: &str) -> Failure {
    let prefix = lang.pick(
        "file rejected, nothing written",
        "fichier refusé, rien n'a été écrit",
    );
    let colon = lang.pick(":", " :");
    Failure::new(Exit::FileRejected, format!("{prefix}{colon} {message}"))
}
