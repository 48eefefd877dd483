//! The reads that several commands share, each written once: the category tree, the
//! instance names of activities, the system context and the files of template backgrounds.
//! Save's snapshot, the restore look-ups, `list` and `repair` all go through these.

use std::collections::{BTreeSet, HashMap};

use super::rules::{
    is_plain_name, BACKGROUND_AREA, BACKGROUND_COMPONENT, BACKGROUND_PATH, SYSTEM_CONTEXT_LEVEL,
};
use super::sql::{self, Param, Tx};
use super::training::{Category, CategoryTree};
use super::{Error, Site};

/// The `FROM … WHERE` of the `files` rows (alias `f`) that are template backgrounds: in the
/// system context, Attestoodle's component and area, path `/`, not the `.` directory row;
/// followed by a condition on `f.itemid`. Its parameters are [`background_file_params`].
pub(super) const BACKGROUND_FILES: &str =
    "FROM {p}files f JOIN {p}context x ON x.id = f.contextid \
     WHERE x.contextlevel = ? AND f.component = ? AND f.filearea = ? AND f.filepath = ? \
     AND f.filename <> ?";

/// The parameters of [`BACKGROUND_FILES`], before those of the condition on `f.itemid`.
pub(super) fn background_file_params() -> Vec<Param> {
    vec![
        Param::Int(SYSTEM_CONTEXT_LEVEL),
        BACKGROUND_COMPONENT.into(),
        BACKGROUND_AREA.into(),
        BACKGROUND_PATH.into(),
        ".".into(),
    ]
}

/// Which course modules [`Site::instance_names`] reads the names of.
pub(super) enum ModuleScope<'a> {
    /// The course modules of a training's milestones.
    Milestones(i64),
    /// Every course module of these courses (at most a chunk of them).
    Courses(&'a [i64]),
}

impl Site {
    /// The names of the database's tables (with their prefix).
    pub(super) async fn read_table_names(&self, tx: &mut Tx) -> Result<BTreeSet<String>, Error> {
        tx.fetch_all(sql::list_tables_sql(self.backend()).to_owned(), vec![])
            .await?
            .iter()
            .map(|r| r.text("name"))
            .collect()
    }

    /// Every course category of the site, in id order (one statement).
    pub(super) async fn read_category_tree(&self, tx: &mut Tx) -> Result<CategoryTree, Error> {
        let rows = tx
            .fetch_all(
                self.render(
                    "SELECT id, name, idnumber, parent FROM {p}course_categories ORDER BY id",
                ),
                vec![],
            )
            .await?;
        let mut categories = Vec::with_capacity(rows.len());
        for row in &rows {
            categories.push(Category {
                id: row.int("id")?,
                name: row.text("name")?,
                idnumber: row.opt_text("idnumber")?.filter(|s| !s.is_empty()),
                parent: row.int("parent")?,
            });
        }
        Ok(CategoryTree::new(categories))
    }

    /// The id of the system context (the first in id order), `None` when the site has none.
    pub(super) async fn system_context(&self, tx: &mut Tx) -> Result<Option<i64>, Error> {
        let rows = tx
            .fetch_all(
                self.render("SELECT id FROM {p}context WHERE contextlevel = ? ORDER BY id"),
                vec![Param::Int(SYSTEM_CONTEXT_LEVEL)],
            )
            .await?;
        rows.first().map(|r| r.int("id")).transpose()
    }

    /// The names of activity instances, by (module type, instance id): each type's name lives
    /// in the activity's own table `{p}<type>` (moodle-core.md §4), read with one statement
    /// per type. A type that is not a plain name ([`is_plain_name`]) or whose table is not in
    /// `tables` (full names, with the prefix) is not read; a row whose `name` is NULL gives
    /// `None`.
    pub(super) async fn instance_names(
        &self,
        tx: &mut Tx,
        tables: &BTreeSet<String>,
        kinds: &BTreeSet<String>,
        scope: ModuleScope<'_>,
    ) -> Result<HashMap<(String, i64), Option<String>>, Error> {
        let mut names = HashMap::new();
        for kind in kinds {
            if !is_plain_name(kind) || !tables.contains(&format!("{}{kind}", self.prefix())) {
                continue;
            }
            let (condition, mut params) = match &scope {
                ModuleScope::Milestones(training) => (
                    "cm.id IN (SELECT moduleid FROM {p}tool_attestoodle_milestone \
                     WHERE trainingid = ?)"
                        .to_owned(),
                    vec![Param::Int(*training)],
                ),
                ModuleScope::Courses(courses) => (
                    format!("cm.course IN ({})", vec!["?"; courses.len()].join(", ")),
                    courses.iter().map(|c| Param::Int(*c)).collect(),
                ),
            };
            params.insert(0, kind.as_str().into());
            let statement = format!(
                "SELECT i.id, i.name FROM {{p}}{kind} i WHERE i.id IN (\
                 SELECT cm.instance FROM {{p}}course_modules cm \
                 JOIN {{p}}modules md ON md.id = cm.module \
                 WHERE md.name = ? AND {condition})"
            );
            for row in tx.fetch_all(self.render(&statement), params).await? {
                names.insert((kind.clone(), row.int("id")?), row.opt_text("name")?);
            }
        }
        Ok(names)
    }
}
