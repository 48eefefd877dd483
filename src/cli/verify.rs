//! `verify`: says whether a backup file is intact and who signed it, without touching a site.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::keys::{own_key, trust_store};
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::keys;
use crate::document::legacy::{self, LegacyError};
use crate::document::load::{self, Backup, LoadError};
use crate::document::signature::{self, Authenticity, Integrity};
use crate::document::v2::{self, DocumentError};
use crate::i18n::Lang;

/// The shell script that checks a backup's signature with python3 and openssl alone
/// (`docs/verify-with-openssl.sh`), printed by `verify --openssl-recipe`.
pub const OPENSSL_RECIPE: &str = include_str!("../../docs/verify-with-openssl.sh");

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup file: format 2, or a legacy file of the PHP plugin tool_save_attestoodle.
    #[arg(required_unless_present = "openssl_recipe")]
    pub file: Option<PathBuf>,
    /// Print a shell script that checks a backup's signature with python3 and openssl alone,
    /// without this tool (save it, then `sh verify-with-openssl.sh FILE [PUBLIC-KEY.pem]`).
    #[arg(long, conflicts_with = "file")]
    pub openssl_recipe: bool,
    /// Refuse files larger than this many bytes (64 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = v2::MAX_FILE_SIZE)]
    pub max_size: u64,
}

/// What `verify` found. With `--json`, printed as is: the field names are a stable interface
/// (README "verify").
#[derive(Debug, Serialize)]
struct Report {
    /// The path as given.
    file: String,
    /// `"attestoodle-training-backup"`, `"legacy"`, or null when the file is not a backup.
    format: Option<&'static str>,
    /// `2`, `"2019061667"`, or null.
    version: Option<Value>,
    /// The training's name, when the file could be read.
    training: Option<String>,
    /// `"valid"`, `"invalid"`, `"unsigned"`, or null when the file could not be read.
    integrity: Option<&'static str>,
    /// Why the integrity is what it is, in words.
    integrity_detail: Option<String>,
    /// `"trusted"`, `"untrusted"`, `"unsigned"`, `"none"` (a legacy checksum proves no
    /// authenticity), or null when the file could not be read.
    authenticity: Option<&'static str>,
    /// The key id written in the signature (format 2).
    key_id: Option<String>,
    /// Why the file cannot be read as a backup, when it cannot.
    error: Option<String>,
    /// Whether the file is accepted: exit 0.
    ok: bool,
    /// Whether the signing key is this site's own (text output only).
    #[serde(skip)]
    own_key: bool,
    /// Whether the signature is broken (text output only): no key can make it valid.
    #[serde(skip)]
    broken: bool,
}

impl Report {
    fn new(file: &Path) -> Report {
        Report {
            file: file.display().to_string(),
            format: None,
            version: None,
            training: None,
            integrity: None,
            integrity_detail: None,
            authenticity: None,
            key_id: None,
            error: None,
            ok: false,
            own_key: false,
            broken: false,
        }
    }
}

/// Runs `verify`.
pub fn run(context: &Context, args: &VerifyArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let file = match (&args.file, args.openssl_recipe) {
        (_, true) if context.json => {
            return Err(Failure::new(
                Exit::Usage,
                lang.pick(
                    "--openssl-recipe prints a shell script, not JSON: leave out --json",
                    "--openssl-recipe affiche un script shell, pas du JSON : retirez --json",
                ),
            ))
        }
        (_, true) => return print_stdout(OPENSSL_RECIPE),
        (Some(file), false) => file,
        (None, false) => {
            return Err(Failure::new(
                Exit::Usage,
                lang.pick(
                    "verify needs a FILE (or --openssl-recipe)",
                    "verify demande un FICHIER (ou --openssl-recipe)",
                ),
            ))
        }
    };
    let path = context.cwd.join(file);
    let mut report = Report::new(file);
    match load::load_file(&path, args.max_size) {
        Ok(Backup::V2(document)) => {
            report.format = Some(v2::FORMAT);
            report.version = Some(Value::from(document.version));
            report.training = Some(document.training.name.clone());
            let verification = signature::verify(&document);
            let store = trust_store(context)?;
            let own = own_key(context)?.map(|key| keys::key_id(&key.verifying_key()));
            report.key_id = verification.key_id.clone();
            let authenticity = signature::authenticity(&verification, &store);
            match &verification.integrity {
                Integrity::Valid => {
                    report.integrity = Some("valid");
                    report.integrity_detail = Some(
                        lang.pick(
                            "the Ed25519 signature matches the content",
                            "la signature Ed25519 correspond au contenu",
                        )
                        .to_owned(),
                    );
                }
                Integrity::Invalid(reason) => {
                    report.integrity = Some("invalid");
                    report.integrity_detail = Some(reason.text(lang).to_owned());
                }
                Integrity::Unsigned => {
                    report.integrity = Some("unsigned");
                    report.integrity_detail = Some(
                        lang.pick(
                            "the file has no signature",
                            "le fichier n'a pas de signature",
                        )
                        .to_owned(),
                    );
                }
            }
            report.authenticity = Some(match &authenticity {
                Authenticity::Trusted(_) => "trusted",
                Authenticity::Untrusted(_) => "untrusted",
                // Kept "untrusted" for the documented JSON (README "Verify"); the words say
                // that the signature is broken, never that a key is missing.
                Authenticity::Broken(_) => "untrusted",
                Authenticity::Unsigned => "unsigned",
            });
            report.ok = matches!(authenticity, Authenticity::Trusted(_));
            report.broken = matches!(authenticity, Authenticity::Broken(_));
            report.own_key = own.is_some() && own == report.key_id;
            finish(context, &report, &v2_verdict(&report, lang))
        }
        Ok(Backup::Legacy(file)) => {
            report.format = Some("legacy");
            report.version = Some(Value::from(legacy::VERSION));
            report.training = file.training.name.clone();
            report.integrity = Some("valid");
            report.integrity_detail = Some(match lang {
                Lang::En => format!("the legacy SHA-1 checksum {} is right", file.integrity),
                Lang::Fr => format!("la somme de contrôle SHA-1 {} est juste", file.integrity),
            });
            report.authenticity = Some("none");
            report.ok = true;
            finish(context, &report, "")
        }
        Err(error) if error.is_io() => {
            // The report too, so that `--json` gives its one documented object (exit 1).
            let failure = Failure::load(&error, lang);
            report.error = Some(failure.message.clone());
            if context.json {
                print_json(&report)?;
            }
            Err(failure)
        }
        Err(LoadError::Legacy(error)) => {
            report.format = Some("legacy");
            report.version = Some(Value::from(legacy::VERSION));
            if let LegacyError::IntegrityMismatch { expected, computed } = &error {
                report.integrity = Some("invalid");
                report.integrity_detail = Some(match lang {
                    Lang::En => format!(
                        "the legacy SHA-1 checksum is {expected} but the content gives {computed}"
                    ),
                    Lang::Fr => format!(
                        "la somme de contrôle SHA-1 est {expected} mais le contenu donne \
                         {computed}"
                    ),
                });
                report.authenticity = Some("none");
            } else {
                report.error = Some(error.localized(lang));
            }
            finish(context, &report, &error.localized(lang))
                .map_err(|f| f.with_detail(error.detail()))
        }
        Err(error) => {
            if let LoadError::Document(DocumentError::Inconsistent { .. }) = &error {
                // A format-2 document whose parts contradict each other.
                report.format = Some(v2::FORMAT);
                report.version = Some(Value::from(v2::VERSION));
            }
            let message = error.localized(lang);
            report.error = Some(message.clone());
            finish(context, &report, &message).map_err(|f| f.with_detail(error.detail()))
        }
    }
}

/// The message of a format-2 file that is not accepted; empty when it is.
fn v2_verdict(report: &Report, lang: Lang) -> String {
    let key = report.key_id.as_deref().unwrap_or("?");
    match (report.integrity, report.authenticity) {
        (Some("valid"), Some("trusted")) => String::new(),
        (Some("valid"), _) => match lang {
            Lang::En => format!(
                "the file is intact but signed by key {key}, which this site does not trust; if \
                 you know that key is the other site's, run `attestoodle-backup keys trust FILE` \
                 with the public key it gave you (`keys export`)"
            ),
            Lang::Fr => format!(
                "le fichier est intact mais signé par la clé {key}, à laquelle ce site ne fait \
                 pas confiance ; si cette clé est bien celle de l'autre site, lancez \
                 `attestoodle-backup keys trust FICHIER` avec la clé publique qu'il vous a donnée \
                 (`keys export`)"
            ),
        },
        (Some("unsigned"), _) => lang
            .pick(
                "the file is not signed, so nothing proves it is intact or where it comes from; \
                 ask for a signed backup (`restore` accepts it only with --accept unsigned)",
                "le fichier n'est pas signé : rien ne prouve qu'il est intact ni d'où il vient ; \
                 demandez une sauvegarde signée (`restore` ne l'accepte qu'avec --accept unsigned)",
            )
            .to_owned(),
        _ => match lang {
            Lang::En => format!(
                "integrity check failed: {}; trusting a key cannot help: use an intact copy of \
                 the backup (ask its author for it again)",
                report.integrity_detail.as_deref().unwrap_or("")
            ),
            Lang::Fr => format!(
                "contrôle d'intégrité échoué : {} ; faire confiance à une clé n'y changerait \
                 rien : utilisez une copie intacte de la sauvegarde (redemandez-la à son auteur)",
                report.integrity_detail.as_deref().unwrap_or("")
            ),
        },
    }
}

/// Prints the report and turns a refusal into exit 3 with `refusal` as its message.
fn finish(context: &Context, report: &Report, refusal: &str) -> Result<(), Failure> {
    if context.json {
        print_json(report)?;
    } else {
        print_stdout(&report_text(context, report))?;
    }
    if report.ok {
        Ok(())
    } else {
        // French puts a space before the colon.
        let prefix = context.lang.pick("file rejected: ", "fichier refusé : ");
        Err(Failure::new(
            Exit::FileRejected,
            format!("{prefix}{refusal}"),
        ))
    }
}

fn report_text(context: &Context, report: &Report) -> String {
    let lang = context.lang;
    let mut lines: Vec<(&str, String)> = vec![(lang.pick("file", "fichier"), report.file.clone())];
    let format = match (report.format, &report.version) {
        (Some("legacy"), _) => lang
            .pick(
                "legacy file of the PHP plugin tool_save_attestoodle, version 2019061667",
                "ancien fichier du plugin PHP tool_save_attestoodle, version 2019061667",
            )
            .to_owned(),
        (Some(format), Some(version)) => format!("{format}, version {version}"),
        _ => lang
            .pick("not a training backup", "pas une sauvegarde de formation")
            .to_owned(),
    };
    lines.push(("format", format));
    if let Some(training) = &report.training {
        lines.push((lang.pick("training", "formation"), training.clone()));
    }
    if let Some(integrity) = report.integrity {
        let word = match integrity {
            "valid" => lang.pick("valid", "valide"),
            "invalid" => lang.pick("INVALID", "INVALIDE"),
            _ => lang.pick("none (unsigned)", "aucune (non signé)"),
        };
        let detail = report.integrity_detail.as_deref().unwrap_or("");
        lines.push((
            lang.pick("integrity", "intégrité"),
            format!("{word} — {detail}"),
        ));
    }
    if let Some(authenticity) = report.authenticity {
        let key = report.key_id.as_deref().unwrap_or("?");
        let text = match (authenticity, lang) {
            (_, Lang::En) if report.broken => "NONE — the signature is broken: the file was \
                                               changed after it was signed, and no key can make \
                                               it valid"
                .to_owned(),
            (_, Lang::Fr) if report.broken => "AUCUNE — la signature est cassée : le fichier a \
                                               été modifié après avoir été signé, et aucune clé \
                                               ne peut la rendre valide"
                .to_owned(),
            ("trusted", Lang::En) if report.own_key => {
                format!("trusted — signed by key {key}, this site's own key")
            }
            ("trusted", Lang::Fr) if report.own_key => {
                format!("de confiance — signé par la clé {key}, la clé de ce site")
            }
            ("trusted", Lang::En) => {
                format!("trusted — signed by key {key}, imported into this site's trusted keys")
            }
            ("trusted", Lang::Fr) => {
                format!("de confiance — signé par la clé {key}, importée dans les clés de confiance du site")
            }
            ("untrusted", Lang::En) => {
                format!("UNTRUSTED — key {key} is not trusted by this site")
            }
            ("untrusted", Lang::Fr) => {
                format!("PAS DE CONFIANCE — ce site ne fait pas confiance à la clé {key}")
            }
            ("unsigned", _) => lang
                .pick("none (unsigned)", "aucune (non signé)")
                .to_owned(),
            (_, Lang::En) => "none — integrity only: a legacy checksum proves the file is not \
                              damaged, not who made it (anyone can recompute it)"
                .to_owned(),
            (_, Lang::Fr) => "aucune — intégrité seulement : une somme de contrôle ancienne \
                              prouve que le fichier n'est pas abîmé, pas qui l'a fait \
                              (n'importe qui peut la recalculer)"
                .to_owned(),
        };
        lines.push((lang.pick("authenticity", "authenticité"), text));
    }
    if let Some(error) = &report.error {
        lines.push((lang.pick("error", "erreur"), error.clone()));
    }
    let width = lines
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value) in lines {
        let pad = width - label.chars().count();
        let pad = " ".repeat(pad);
        // French puts a space before a colon.
        out.push_str(&match lang {
            Lang::En => format!("{label}:{pad} {value}\n"),
            Lang::Fr => format!("{label}{pad} : {value}\n"),
        });
    }
    out
}
