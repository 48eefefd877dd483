//! One row struct per Moodle table that several reads share, each with its one column list and
//! its one decoder, and the reads that several commands share, each written once: the category
//! tree, the instance names of activities, the system context and the files of template
//! backgrounds. Save's snapshot, the restore look-ups, `list` and `repair` all go through these.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::rules::{
    is_plain_name, BACKGROUND_AREA, BACKGROUND_COMPONENT, BACKGROUND_PATH, SYSTEM_CONTEXT_LEVEL,
};
use super::sql::{self, Param, Row, Tx};
use super::training::{Category, CategoryTree};
use super::{Error, Site};

/// A training row (`tool_attestoodle_training`), read with [`TRAINING_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    /// `id`.
    pub id: i64,
    /// `name`; `None` when the database holds NULL.
    pub name: Option<String>,
    /// `categoryid`.
    pub category_id: i64,
    /// `startdate`.
    pub startdate: i64,
    /// `enddate`.
    pub enddate: Option<i64>,
    /// `duration` (minutes).
    pub duration: Option<i64>,
    /// `nbautolaunch`.
    pub nbautolaunch: Option<i64>,
    /// `nextlaunch`.
    pub nextlaunch: Option<i64>,
    /// `checklearner`.
    pub checklearner: Option<i64>,
}

/// The columns of a [`TrainingRow`], for `FROM {p}tool_attestoodle_training`.
pub(super) const TRAINING_COLUMNS: &str =
    "id, name, categoryid, startdate, enddate, duration, nbautolaunch, nextlaunch, checklearner";

impl TrainingRow {
    pub(super) fn read(row: &Row) -> Result<TrainingRow, Error> {
        Ok(TrainingRow {
            id: row.int("id")?,
            name: row.opt_text("name")?,
            category_id: row.int("categoryid")?,
            startdate: row.int("startdate")?,
            enddate: row.opt_int("enddate")?,
            duration: row.opt_int("duration")?,
            nbautolaunch: row.opt_int("nbautolaunch")?,
            nextlaunch: row.opt_int("nextlaunch")?,
            checklearner: row.opt_int("checklearner")?,
        })
    }
}

/// A course (`course`), as far as a restore needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRow {
    /// `course.id`.
    pub id: i64,
    /// `shortname`, as stored.
    pub shortname: String,
    /// Whether completion tracking is enabled (`enablecompletion`).
    pub completion_enabled: bool,
}

/// A section of a course (`course_sections`), read with [`SECTION_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRow {
    /// `course_sections.id`.
    pub id: i64,
    /// `course`.
    pub course: i64,
    /// `section`: the section number (delegated sections have their own number too).
    pub section: i64,
    /// `sequence` as stored (`None` for NULL); positions are read from it by
    /// [`super::rules::sequence_items`].
    pub sequence: Option<String>,
}

/// The columns of a [`SectionRow`], for `FROM {p}course_sections s`.
pub(super) const SECTION_COLUMNS: &str = "s.id, s.course, s.section, s.sequence";

impl SectionRow {
    pub(super) fn read(row: &Row) -> Result<SectionRow, Error> {
        Ok(SectionRow {
            id: row.int("id")?,
            course: row.int("course")?,
            section: row.int("section")?,
            sequence: row.opt_text("sequence")?,
        })
    }

    /// The stored `sequence`, NULL read as empty.
    pub fn sequence(&self) -> &str {
        self.sequence.as_deref().unwrap_or("")
    }
}

/// A course module (`course_modules`) with its activity type (`modules`), its course's short
/// name and its instance name: read with [`COURSE_MODULE_COLUMNS`] from
/// [`COURSE_MODULES_FROM`], the name added by [`Site::fill_instance_names`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseModuleRow {
    /// `course_modules.id`.
    pub cmid: i64,
    /// `course_modules.course`.
    pub course: i64,
    /// The course's short name; `None` when the course row is missing.
    pub course_shortname: Option<String>,
    /// The activity type (`modules.name`); `None` when the module type row is missing.
    pub kind: Option<String>,
    /// `modules.visible`: 0 when the activity type is disabled site-wide.
    pub kind_visible: Option<i64>,
    /// `course_modules.instance`: the row of the activity's own table.
    pub instance: i64,
    /// `course_modules.section`: the id of the `course_sections` row the module is in.
    pub section_id: Option<i64>,
    /// `course_modules.idnumber` as stored (empty or NULL for none).
    pub idnumber: Option<String>,
    /// `course_modules.completion`: 0 none, 1 manual, 2 automatic.
    pub completion: i64,
    /// `course_modules.deletioninprogress`: an asynchronous deletion is pending.
    pub deletion_in_progress: bool,
    /// The instance name from the activity's own table; `None` when that row (or table) is
    /// missing.
    pub name: Option<String>,
}

/// The columns of a [`CourseModuleRow`], from [`COURSE_MODULES_FROM`].
pub(super) const COURSE_MODULE_COLUMNS: &str =
    "cm.id, cm.course, cm.instance, cm.section, cm.idnumber, cm.completion, \
     cm.deletioninprogress, md.name AS kind, md.visible AS kindvisible, \
     c.shortname AS courseshortname";

/// The tables of [`COURSE_MODULE_COLUMNS`].
pub(super) const COURSE_MODULES_FROM: &str = "{p}course_modules cm \
     LEFT JOIN {p}modules md ON md.id = cm.module LEFT JOIN {p}course c ON c.id = cm.course";

impl CourseModuleRow {
    pub(super) fn read(row: &Row) -> Result<CourseModuleRow, Error> {
        Ok(CourseModuleRow {
            cmid: row.int("id")?,
            course: row.int("course")?,
            course_shortname: row.opt_text("courseshortname")?,
            kind: row.opt_text("kind")?,
            kind_visible: row.opt_int("kindvisible")?,
            instance: row.int("instance")?,
            section_id: row.opt_int("section")?,
            idnumber: row.opt_text("idnumber")?,
            completion: row.opt_int("completion")?.unwrap_or(0),
            deletion_in_progress: row.opt_int("deletioninprogress")?.unwrap_or(0) != 0,
            name: None,
        })
    }

    /// The idnumber when it is set (Moodle stores "none" as empty).
    pub fn idnumber_set(&self) -> Option<&str> {
        self.idnumber.as_deref().filter(|s| !s.is_empty())
    }

    /// Whether the activity type is enabled on the site.
    pub fn kind_enabled(&self) -> bool {
        self.kind_visible.unwrap_or(0) != 0
    }
}

/// A user account (`user`), read with [`USER_COLUMNS`] (alias `u`, columns named `u_*` so
/// that it can be joined to another table's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// `user.id`.
    pub id: i64,
    /// `username`.
    pub username: String,
    /// `email`, as stored.
    pub email: String,
    /// `idnumber` (empty for none).
    pub idnumber: String,
    /// `deleted`.
    pub deleted: bool,
    /// `suspended`.
    pub suspended: bool,
    /// `firstname`, as the training page shows it.
    pub firstname: String,
    /// `lastname`.
    pub lastname: String,
}

/// The columns of a [`UserRow`], for `{p}user u`.
pub(super) const USER_COLUMNS: &str =
    "u.id AS u_id, u.username AS u_username, u.email AS u_email, u.idnumber AS u_idnumber, \
     u.deleted AS u_deleted, u.suspended AS u_suspended, u.firstname AS u_firstname, \
     u.lastname AS u_lastname";

impl UserRow {
    /// The user of a row read with [`USER_COLUMNS`]; `None` when a left join found none.
    pub(super) fn read(row: &Row) -> Result<Option<UserRow>, Error> {
        let Some(id) = row.opt_int("u_id")? else {
            return Ok(None);
        };
        Ok(Some(UserRow {
            id,
            username: row.opt_text("u_username")?.unwrap_or_default(),
            email: row.opt_text("u_email")?.unwrap_or_default(),
            idnumber: row.opt_text("u_idnumber")?.unwrap_or_default(),
            deleted: row.opt_int("u_deleted")?.unwrap_or(0) != 0,
            suspended: row.opt_int("u_suspended")?.unwrap_or(0) != 0,
            firstname: row.opt_text("u_firstname")?.unwrap_or_default(),
            lastname: row.opt_text("u_lastname")?.unwrap_or_default(),
        }))
    }
}

/// A certificate template (`tool_attestoodle_template`), read with [`TEMPLATE_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// `id`.
    pub id: i64,
    /// `name`.
    pub name: String,
    /// `timecreated`.
    pub timecreated: Option<i64>,
    /// `userid`: the last editor.
    pub user_id: Option<i64>,
    /// `timemodified`.
    pub timemodified: Option<i64>,
}

/// The columns of a [`TemplateRow`], for `{p}tool_attestoodle_template t`.
pub(super) const TEMPLATE_COLUMNS: &str = "t.id, t.name, t.timecreated, t.userid, t.timemodified";

impl TemplateRow {
    pub(super) fn read(row: &Row) -> Result<TemplateRow, Error> {
        Ok(TemplateRow {
            id: row.int("id")?,
            name: row.text("name")?,
            timecreated: row.opt_int("timecreated")?,
            user_id: row.opt_int("userid")?,
            timemodified: row.opt_int("timemodified")?,
        })
    }
}

/// A template detail (`tool_attestoodle_tpl_detail`), read with [`DETAIL_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRow {
    /// `id`.
    pub id: i64,
    /// `templateid`.
    pub template_id: i64,
    /// `type`.
    pub kind: String,
    /// `data`, byte for byte.
    pub data: String,
}

/// The columns of a [`DetailRow`], for `{p}tool_attestoodle_tpl_detail d`.
pub(super) const DETAIL_COLUMNS: &str = "d.id, d.templateid, d.type, d.data";

impl DetailRow {
    pub(super) fn read(row: &Row) -> Result<DetailRow, Error> {
        Ok(DetailRow {
            id: row.int("id")?,
            template_id: row.int("templateid")?,
            kind: row.text("type")?,
            data: row.text("data")?,
        })
    }
}

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

/// At most this many ids in one `IN (...)` list of ids already read (course modules, instance
/// ids, courses, sections): well under every backend's limit on bound parameters (SQLite:
/// 32766, PostgreSQL and MySQL: 65535), so that a read of many trainings looks its rows up
/// by primary key or indexed column in a few statements instead of scanning Attestoodle's
/// tables again, which have no index on `trainingid` (docs/decisions.md §21).
pub(super) const ID_CHUNK: usize = 10_000;

/// `?, ?, …`: `n` placeholders for an `IN (...)` list.
pub(super) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The distinct values of `ids`, sorted: what an `IN (...)` list binds.
pub(super) fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
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

    /// Fills the instance name of `modules`: each type's names live in the activity's own
    /// table `{p}<type>` (docs/moodle-tables.md §3), read by the instances' ids, one statement
    /// per type (per [`ID_CHUNK`] ids). A type that is not a plain name ([`is_plain_name`]) or
    /// whose table is not in `tables` (full names, with the prefix) is not read; its modules,
    /// and those whose instance row is missing or has a NULL name, keep `None`.
    pub(super) async fn fill_instance_names(
        &self,
        tx: &mut Tx,
        tables: &BTreeSet<String>,
        modules: Vec<&mut CourseModuleRow>,
    ) -> Result<(), Error> {
        let mut instances: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for module in &modules {
            if let Some(kind) = module.kind.as_deref() {
                instances.entry(kind).or_default().push(module.instance);
            }
        }
        // Instance names by module type, then instance id: a rollover reads tens of thousands.
        let mut names: HashMap<String, HashMap<i64, Option<String>>> = HashMap::new();
        for (kind, ids) in instances {
            if !is_plain_name(kind) || !tables.contains(&format!("{}{kind}", self.prefix())) {
                continue;
            }
            let of_kind = names.entry(kind.to_owned()).or_default();
            for (among, params) in self.backend().among("i.id", &distinct(ids), ID_CHUNK) {
                let statement = format!("SELECT i.id, i.name FROM {{p}}{kind} i WHERE {among}");
                for row in tx.fetch_all(self.render(&statement), params).await? {
                    of_kind.insert(row.int("id")?, row.opt_text("name")?);
                }
            }
        }
        for module in modules {
            if let Some(kind) = &module.kind {
                module.name = names
                    .get(kind.as_str())
                    .and_then(|of_kind| of_kind.get(&module.instance))
                    .cloned()
                    .flatten();
            }
        }
        Ok(())
    }
}
