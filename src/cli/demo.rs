//! `demo`: create the embedded demo site and show what to try.

use super::list::{list_json, list_text};
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::demo;
use crate::i18n::Lang;
use crate::moodle::{self, Site, Target};

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
    let target = Target::sqlite_file(&database, false);
    let site = Site::open(&target)
        .await
        .map_err(|e| Failure::database(e, lang))?;
    let list = site.list_trainings().await;
    site.close().await;
    let list = list.map_err(|e| Failure::database(e, lang))?;
    let all: Vec<usize> = (0..list.trainings.len()).collect();
    if context.json {
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
    out.push_str(&match lang {
        Lang::En => format!("Web interface: `attestoodle-backup serve`, then open http://127.0.0.1:8080/ and log in as {} with the password {}\n", demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD),
        Lang::Fr => format!("Interface web : `attestoodle-backup serve`, puis ouvrez http://127.0.0.1:8080/ et connectez-vous en tant que {} avec le mot de passe {}\n", demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD),
    });
    print_stdout(&out)
}
