//! `list`: the trainings of a site with their category, counts and template.

use clap::Args;
use serde::Serialize;

use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::i18n::Lang;
use crate::moodle::{CategoryTree, InCategory, TrainingList};

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only trainings in this category or below it: an id, an idnumber, or a path of names
    /// separated by " / ".
    #[arg(long, value_name = "ID|IDNUMBER|PATH")]
    pub category: Option<String>,
}

/// Runs `list`.
pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let site = context.open_site().await?;
    let list = site.list_trainings().await;
    site.close().await;
    let list = list.map_err(|e| Failure::database(e, lang))?;
    let shown = filter_by_category(
        &list.categories,
        &list.trainings,
        args.category.as_deref(),
        lang,
    )?;
    if context.json {
        print_json(&list_json(&list, &shown))
    } else {
        print_stdout(&list_text(&list, &shown, lang))
    }
}

/// The indexes of the `trainings` to show for `--category`.
pub(super) fn filter_by_category<T: InCategory>(
    categories: &CategoryTree,
    trainings: &[T],
    spec: Option<&str>,
    lang: Lang,
) -> Result<Vec<usize>, Failure> {
    let Some(spec) = spec else {
        return Ok((0..trainings.len()).collect());
    };
    let found = categories.find(spec);
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
            let subtree = categories.subtree(found[0]);
            Ok(trainings
                .iter()
                .enumerate()
                .filter(|(_, t)| subtree.contains(&t.category_id()))
                .map(|(i, _)| i)
                .collect())
        }
        _ => {
            let names = found
                .iter()
                .map(|id| format!("{id} ({})", categories.path_text(*id)))
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
pub(super) struct ListEntry<'a> {
    id: i64,
    name: Option<&'a str>,
    category: String,
    category_id: i64,
    category_path: Vec<String>,
    milestones: i64,
    /// How many of `milestones` are orphans (their activity or its course is gone): a
    /// backup leaves them out.
    orphan_milestones: i64,
    learners: i64,
    template: Option<&'a str>,
}

pub(super) fn list_json<'a>(list: &'a TrainingList, shown: &[usize]) -> Vec<ListEntry<'a>> {
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
            orphan_milestones: t.orphan_milestones,
            learners: t.learners,
            template: t.template.as_deref(),
        })
        .collect()
}

/// `14`, or `14 (3 orphan)` when some milestones' activity no longer exists.
fn milestones_cell(milestones: i64, orphans: i64, lang: Lang) -> String {
    match (orphans, lang) {
        (0, _) => milestones.to_string(),
        (n, Lang::En) => format!("{milestones} ({n} orphan)"),
        (1, Lang::Fr) => format!("{milestones} (1 orphelin)"),
        (n, Lang::Fr) => format!("{milestones} ({n} orphelins)"),
    }
}

pub(super) fn list_text(list: &TrainingList, shown: &[usize], lang: Lang) -> String {
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
                milestones_cell(t.milestones, t.orphan_milestones, lang),
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
