//! `demo`: create the embedded demo site and show what to try.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::list::{list_json, list_text};
use super::restore::{plan_text, report_text};
use super::save::{signing_key, write_file};
use super::{print_json, print_stdout, Context, Exit, Failure, Io};
use crate::demo;
use crate::document::signature::{self, Integrity};
use crate::document::v2::{self, Document};
use crate::i18n::Lang;
use crate::moodle::{self, Site, Target};
use crate::restore::{
    self, Accepted, ApplyOptions, DateShift, Mode, Plan, Provenance, Report, RestoreError,
    RestoreOptions,
};
use crate::save::{self, SaveOptions};

/// The demo training that `demo` saves, verifies and clones.
const DEMO_SAVED_TRAINING: &str = "Licence Chimie S1 2026";

/// The file `demo` saves that training to, next to the database: a name of its own, so that
/// the README's `save` examples never find it in their way.
const DEMO_SAVE_FILE: &str = "attestoodle-demo-licence-chimie-s1-2026.json";

/// The suffix of next year's course copies in the demo, and of the clone.
const DEMO_CLONE_SUFFIX: &str = "_2027";

/// The clone's dates move by a year (2026-09-01 → 2027-09-01).
const DEMO_CLONE_SHIFT_DAYS: i64 = 365;

/// Runs `demo`.
pub async fn run(context: &Context) -> Result<(), Failure> {
    let (options, cwd, lang) = (&context.options, &context.cwd, context.lang);
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
    let mut target = Target::sqlite_file(&database, false);
    // The demo's file store holds the template images the save reads.
    target.filedir = Some(made.dataroot.join("filedir"));
    let site = Site::open(&target)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    // The main job end to end: save a training, verify the file, precheck its clone onto the
    // `_2027` courses, apply it, then list.
    let job = async {
        let saved = save_demo_training(context, &site, &database).await?;
        let cloned = match &saved {
            Some(save) => {
                Some(clone_demo_training(context, &site, &save.document, &save.key_id).await?)
            }
            None => None,
        };
        let list = site
            .list_trainings()
            .await
            .map_err(|e| Failure::database(e, lang))?;
        let moodle_session = demo::moodle_session(&site)
            .await
            .map_err(|e| Failure::database(e, lang))?;
        Ok::<_, Failure>((saved, cloned, list, moodle_session))
    }
    .await;
    site.close().await;
    let (saved, cloned, list, moodle_session) = job?;
    let (saved_file, key_id, kept) = saved
        .map(|save| (Some(save.file), save.key_id, save.kept))
        .unwrap_or_default();
    let all: Vec<usize> = (0..list.trainings.len()).collect();
    if context.json {
        return print_json(&serde_json::json!({
            "database": made.database,
            "dataroot": made.dataroot,
            "created": made.created,
            "trainings": list_json(&list, &all),
            "saved": saved_file,
            "saved_verified": !key_id.is_empty(),
            "saved_kept": kept,
            "key_id": key_id,
            "moodle_session": moodle_session,
            "clone": cloned.as_ref().map(|(plan, report)| serde_json::json!({
                "plan": plan,
                "report": report,
            })),
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
    if let Some(file) = &saved_file {
        // The commands name the file as the operator can type it from this directory.
        let shown = file
            .strip_prefix(cwd)
            .map_or_else(|_| file.display().to_string(), |f| f.display().to_string());
        out.push_str(&match (kept, lang) {
            (false, Lang::En) => format!(
                "Saved “{DEMO_SAVED_TRAINING}” to {shown}\n  signed with key {key_id}, and verified: the signature is valid\n"
            ),
            (false, Lang::Fr) => format!(
                "« {DEMO_SAVED_TRAINING} » sauvegardée dans {shown}\n  signée avec la clé {key_id}, et vérifiée : la signature est valide\n"
            ),
            (true, Lang::En) => format!(
                "The backup of “{DEMO_SAVED_TRAINING}” {shown} is there from an earlier run: kept as it is (delete it to save the training again)\n  signed with key {key_id}, and verified: the signature is valid\n"
            ),
            (true, Lang::Fr) => format!(
                "La sauvegarde de « {DEMO_SAVED_TRAINING} » {shown} existe depuis une exécution précédente : gardée telle quelle (supprimez-la pour sauvegarder de nouveau la formation)\n  signée avec la clé {key_id}, et vérifiée : la signature est valide\n"
            ),
        });
        out.push_str(&match lang {
            Lang::En => format!(
                "  check it again: attestoodle-backup verify {shown}\n  try a restore of it: attestoodle-backup restore {shown} --dry-run\n\n"
            ),
            Lang::Fr => format!(
                "  pour la vérifier de nouveau : attestoodle-backup verify {shown}\n  pour essayer de la restaurer : attestoodle-backup restore {shown} --dry-run\n\n"
            ),
        });
    }
    if let Some((plan, report)) = &cloned {
        out.push_str(&match lang {
            Lang::En => format!(
                "Clone of “{DEMO_SAVED_TRAINING}” onto the {DEMO_CLONE_SUFFIX} courses, a year later — the precheck:\n\n"
            ),
            Lang::Fr => format!(
                "Clonage de « {DEMO_SAVED_TRAINING} » sur les cours {DEMO_CLONE_SUFFIX}, un an plus tard — la vérification :\n\n"
            ),
        });
        out.push_str(&plan_text(plan, lang));
        match report {
            Some(report) => out.push_str(&report_text(report, &[], lang)),
            None => out.push_str(lang.pick(
                "The clone was not applied (see the findings above): it is already there from an earlier run.\n",
                "Le clonage n'a pas été appliqué (voir les constats ci-dessus) : il existe déjà depuis une exécution précédente.\n",
            )),
        }
        out.push('\n');
    }
    out.push_str(&list_text(&list, &all, lang));
    out.push('\n');
    out.push_str(lang.pick(
        "Try next:\n  attestoodle-backup list\n  attestoodle-backup list --category UDEMO --json\n  attestoodle-backup save \"Sécurité & Hygiène 2026\"\n  attestoodle-backup save --all -o backups\n  attestoodle-backup verify --openssl-recipe > verify-with-openssl.sh\n  sh verify-with-openssl.sh FILE    (check a file without this tool)\n  attestoodle-backup --lang fr list\nOn a real site (read-only commands change nothing):\n  attestoodle-backup --moodle-config /var/www/moodle/config.php list\n",
        "Essayez ensuite :\n  attestoodle-backup list\n  attestoodle-backup list --category UDEMO --json\n  attestoodle-backup save \"Sécurité & Hygiène 2026\"\n  attestoodle-backup save --all -o sauvegardes\n  attestoodle-backup verify --openssl-recipe > verify-with-openssl.sh\n  sh verify-with-openssl.sh FICHIER    (vérifier un fichier sans cet outil)\n  attestoodle-backup --lang en list\nSur un vrai site (les commandes de lecture ne modifient rien) :\n  attestoodle-backup --moodle-config /var/www/moodle/config.php list\n",
    ));
    out.push_str(&match lang {
        Lang::En => format!("Web interface: `attestoodle-backup serve`, then open http://127.0.0.1:8080/ and log in as {} with the password {}\n", demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD),
        Lang::Fr => format!("Interface web : `attestoodle-backup serve`, puis ouvrez http://127.0.0.1:8080/ et connectez-vous en tant que {} avec le mot de passe {}\n", demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD),
    });
    if let Some(moodle_session) = &moodle_session {
        out.push_str(&match lang {
        Lang::En => format!("Moodle-session login (as for CAS or Shibboleth accounts): `attestoodle-backup serve --moodle-session`, then send the cookie of the Moodle session of {} this run wrote (8 hours), e.g. `curl -b MoodleSession={moodle_session} http://127.0.0.1:8080/`\n", demo::DEMO_ADMIN_USERNAME),
        Lang::Fr => format!("Connexion par la session Moodle (comme pour les comptes CAS ou Shibboleth) : `attestoodle-backup serve --moodle-session`, puis envoyez le cookie de la session Moodle de {} écrite par cette exécution (8 heures), par exemple `curl -b MoodleSession={moodle_session} http://127.0.0.1:8080/`\n", demo::DEMO_ADMIN_USERNAME),
    });
    }
    print_stdout(&out)
}

/// The demo's backup file.
struct DemoSave {
    /// Where it is.
    file: PathBuf,
    /// True when an earlier run wrote it, and it was kept as it is.
    kept: bool,
    /// The key id of its signature.
    key_id: String,
    /// The document read back from the file.
    document: Document,
}

/// Saves the demo training next to the database (unless an earlier run did) and verifies the
/// file with the library. `None` when the demo has no such training any more.
async fn save_demo_training(
    context: &Context,
    site: &Site,
    database: &Path,
) -> Result<Option<DemoSave>, Failure> {
    let lang = context.lang;
    let ids = site
        .find_trainings_by_name(DEMO_SAVED_TRAINING)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let Some(id) = ids.first() else {
        return Ok(None);
    };
    let (key, _) = signing_key(context)?;
    let now = OffsetDateTime::now_utc();
    let saved = save::save(
        site,
        *id,
        &SaveOptions {
            key: &key,
            strict: false,
            created: now,
        },
    )
    .await
    .map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?;
    let file = database.with_file_name(DEMO_SAVE_FILE);
    // A later run keeps the file of the first one (and says so): it never rewrites a file.
    let kept = file.exists();
    if !kept {
        write_file(&file, &saved.text(), false, lang)?;
    }
    let bytes =
        std::fs::read(&file).map_err(|e| Failure::io(Io::ReadBack(file.clone()), &e, lang))?;
    let unusable = |why: String| {
        Failure::new(
            Exit::FileRejected,
            format!(
                "{}: {why}; {}",
                file.display(),
                lang.pick(
                    "delete it and run demo again to save a new one",
                    "supprimez-le et relancez demo pour en sauvegarder un nouveau"
                )
            ),
        )
    };
    let document = v2::parse(&bytes).map_err(|e| unusable(e.localized(lang)))?;
    let verification = signature::verify(&document);
    if verification.integrity != Integrity::Valid {
        return Err(unusable(
            lang.pick(
                "the demo's backup does not verify",
                "la sauvegarde de la démonstration ne se vérifie pas",
            )
            .to_owned(),
        ));
    }
    Ok(Some(DemoSave {
        file,
        kept,
        key_id: verification.key_id.unwrap_or_default(),
        document,
    }))
}

/// Prechecks the clone of the saved training onto the `_2027` courses, a year later, and
/// applies it when nothing blocks it or needs accepting (a second run finds it made already).
async fn clone_demo_training(
    context: &Context,
    site: &Site,
    document: &Document,
    key_id: &str,
) -> Result<(Plan, Option<Report>), Failure> {
    let lang = context.lang;
    let mut options = RestoreOptions::new(Mode::Clone, Provenance::Trusted(key_id.to_owned()));
    options.rename.suffix = Some(DEMO_CLONE_SUFFIX.to_owned());
    options.shift = Some(DateShift::Days(DEMO_CLONE_SHIFT_DAYS));
    let plan = restore::precheck(site, document, &options)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    if !plan.blocking().is_empty() || !plan.needs_accept().is_empty() {
        return Ok((plan, None));
    }
    let report = restore::apply(site, &plan, &Accepted::default(), &ApplyOptions::default())
        .await
        .map_err(|e| match e {
            RestoreError::Database(e) => Failure::database(e, lang),
            other => Failure::new(Exit::PrecheckRefused, other.localized(lang)),
        })?;
    Ok((plan, Some(report)))
}
