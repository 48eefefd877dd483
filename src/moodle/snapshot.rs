//! Reading everything a save needs about one training, with its technical ids, in one read-only
//! transaction and a fixed number of statements.
//!
//! The number of statements does not grow with the number of milestones or learners: every
//! table is read once with a join or a subquery on the training id, and instance names take one
//! statement per module type (tests count them through [`Site::statement_count`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::rows::{
    background_file_params, distinct, marks, CourseModuleRow, DetailRow, SectionRow, TemplateRow,
    TrainingRow, UserRow, BACKGROUND_FILES, COURSE_MODULES_FROM, COURSE_MODULE_COLUMNS,
    DETAIL_COLUMNS, ID_CHUNK, SECTION_COLUMNS, TEMPLATE_COLUMNS, TRAINING_COLUMNS, USER_COLUMNS,
};
use super::sql::{Param, Tx};
use super::{CategoryTree, Error, Site, TxMode};

/// A `train_style` row: the training's default template and grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainStyleRow {
    /// `id`.
    pub id: i64,
    /// `templateid`.
    pub template_id: i64,
    /// `grpcriteria1`.
    pub grpcriteria1: Option<String>,
    /// `grpcriteria2`.
    pub grpcriteria2: Option<String>,
}

/// A milestone row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRow {
    /// `id`.
    pub id: i64,
    /// `moduleid`: the course module id (cmid).
    pub cmid: i64,
    /// `creditedtime` (minutes).
    pub creditedtime: i64,
    /// `name` as stored when the milestone was made.
    pub name: Option<String>,
    /// `timemodified`.
    pub timemodified: Option<i64>,
    /// `course`: the course id stored in the milestone row (the plugin's own copy).
    pub course: Option<i64>,
    /// The short name of the course `course` names; `None` when that course row is missing.
    pub course_shortname: Option<String>,
}

/// A `files` row of a template background in the system context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// `itemid`: the template id.
    pub template_id: i64,
    /// `filename`.
    pub filename: String,
    /// `contenthash`: the SHA-1 of the content, which names it in the file store.
    pub contenthash: String,
    /// `mimetype`.
    pub mimetype: Option<String>,
}

/// A learner row with its user, when the user row exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerRow {
    /// `id`.
    pub id: i64,
    /// `userid`.
    pub user_id: i64,
    /// The user row, shared with the other rows of the same account.
    pub user: Option<Arc<UserRow>>,
    /// `categoryid`: the training's category when the row was made.
    pub category_id: Option<i64>,
    /// `selected`.
    pub selected: Option<i64>,
    /// `predelete`.
    pub predelete: Option<i64>,
    /// `resultcriteria`.
    pub resultcriteria: Option<String>,
}

/// A `user_style` row with its user, when the user row exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStyleRow {
    /// `id`.
    pub id: i64,
    /// `userid`.
    pub user_id: i64,
    /// The user row, shared with the other rows of the same account.
    pub user: Option<Arc<UserRow>>,
    /// `templateid`.
    pub template_id: i64,
    /// `grpcriteria1`.
    pub grpcriteria1: Option<String>,
    /// `grpcriteria2`.
    pub grpcriteria2: Option<String>,
    /// `enablecertificate`.
    pub enablecertificate: Option<i64>,
    /// `withdateformat`.
    pub withdateformat: Option<String>,
}

/// A `tool_taskattestoodle` planning row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanningRow {
    /// `executiondate`.
    pub executiondate: i64,
    /// `beginperiod`.
    pub beginperiod: i64,
    /// `endperiod`.
    pub endperiod: i64,
    /// `mailto`.
    pub mailto: Option<String>,
    /// `auto`.
    pub auto: Option<i64>,
    /// `togenerate`.
    pub togenerate: Option<i64>,
}

/// Everything a save reads about one training, with technical ids. Rows are in id order.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The training.
    pub training: TrainingRow,
    /// Every category of the site, to name the training's category and its path (shared by
    /// the snapshots of a set: a site may have 10,000 categories).
    pub categories: Arc<CategoryTree>,
    /// The `train_style` rows of the training.
    pub train_styles: Vec<TrainStyleRow>,
    /// The milestones.
    pub milestones: Vec<MilestoneRow>,
    /// The course modules the milestones point to, by cmid (missing ones are absent).
    pub course_modules: HashMap<i64, CourseModuleRow>,
    /// The sections of the courses of those modules, and the sections those modules name in
    /// `course_modules.section`, by course then section number.
    pub sections: Vec<SectionRow>,
    /// The templates the training or a learner style refers to (existing ones only).
    pub templates: Vec<TemplateRow>,
    /// The details of those templates.
    pub details: Vec<DetailRow>,
    /// The background files of those templates in the system context.
    pub files: Vec<StoredFile>,
    /// Whether the site has a system context (contextlevel 10) at all.
    pub has_system_context: bool,
    /// The learner rows.
    pub learners: Vec<LearnerRow>,
    /// The learner style rows.
    pub user_styles: Vec<UserStyleRow>,
    /// The planning rows, or `None` when the site has no `tool_taskattestoodle` table.
    pub planning: Option<Vec<PlanningRow>>,
}

impl Site {
    /// The ids of the trainings whose name is exactly `name`, byte for byte on every backend
    /// (docs/decisions.md §2), in id order.
    pub async fn find_trainings_by_name(&self, name: &str) -> Result<Vec<i64>, Error> {
        Ok(self
            .trainings_named(name)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// Reads everything a save needs about training `id` in one read-only transaction, with a
    /// number of statements that depends on the number of module types only. `Ok(None)` when
    /// there is no such training.
    pub async fn training_snapshot(&self, id: i64) -> Result<Option<Snapshot>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let result = self.read_snapshot(&mut tx, id).await;
        tx.rollback().await?;
        result
    }

    /// The baseline of the save benchmark: plain `SELECT`s of the rows a save of training `id`
    /// reads (its milestones and their course modules, learners and their users, learner
    /// styles) with the columns a save reads, decoded but not interpreted; gives the number of
    /// rows.
    pub async fn select_training_rows(&self, id: i64) -> Result<usize, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let mut rows = 0;
        // The rows and columns a save reads, without its joins or any work on the rows.
        for statement in [
            "SELECT id, moduleid, creditedtime, name, timemodified \
             FROM {p}tool_attestoodle_milestone WHERE trainingid = ?",
            "SELECT id, course, module, instance, idnumber, completion, deletioninprogress \
             FROM {p}course_modules WHERE id IN \
             (SELECT moduleid FROM {p}tool_attestoodle_milestone WHERE trainingid = ?)",
            "SELECT id, userid, selected, predelete, resultcriteria \
             FROM {p}tool_attestoodle_learner WHERE trainingid = ?",
            "SELECT id, username, email, idnumber, deleted, firstname, lastname FROM {p}user WHERE id IN \
             (SELECT userid FROM {p}tool_attestoodle_learner WHERE trainingid = ?)",
            "SELECT id, userid, templateid, grpcriteria1, grpcriteria2, enablecertificate, \
             withdateformat FROM {p}tool_attestoodle_user_style WHERE trainingid = ?",
        ] {
            rows += tx
                .fetch_all(self.render(statement), vec![id.into()])
                .await?
                .len();
        }
        tx.rollback().await?;
        Ok(rows)
    }

    /// Reads training `id` as [`Site::read_snapshots`] reads a set of one.
    pub(super) async fn read_snapshot(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<Option<Snapshot>, Error> {
        Ok(self.read_snapshots(tx, &[id], Parts::Whole).await?.take(id))
    }

    /// Training `id` as [`Site::training_snapshot`] reads it, but without its learner rows
    /// (`learners` is empty; learner styles and their accounts are read): what the web's
    /// training page builds its milestones, templates and notes from, while it lists the
    /// learners a page at a time ([`Site::learner_page`]). A training of 10,000 learners then
    /// costs its page what its milestones cost (issue 16, the web server under load).
    pub async fn training_outline(&self, id: i64) -> Result<Option<Snapshot>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let result = self.read_snapshots(&mut tx, &[id], Parts::Outline).await;
        tx.rollback().await?;
        Ok(result?.take(id))
    }

    /// Reads everything a save needs about the trainings `ids` (at most [`SNAPSHOT_SET_MAX`])
    /// in one read-only transaction, each table once for the whole set: the number of
    /// statements depends on the number of module types only, not on the number of trainings
    /// (docs/decisions.md §21). The trainings that do not exist are absent from the set.
    pub async fn training_snapshots(&self, ids: &[i64]) -> Result<SnapshotSet, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let result = self.read_snapshots(&mut tx, ids, Parts::Whole).await;
        tx.rollback().await?;
        result
    }

    async fn read_snapshots(
        &self,
        tx: &mut Tx,
        ids: &[i64],
        parts: Parts,
    ) -> Result<SnapshotSet, Error> {
        let ids = &ids[..ids.len().min(SNAPSHOT_SET_MAX)];
        let mut set = SnapshotSet::default();
        if ids.is_empty() {
            return Ok(set);
        }
        // `{ids}` stands for the set's ids, bound one parameter each (`once`).
        let list = vec!["?"; ids.len()].join(", ");
        let render = |sql: &str| self.render(&sql.replace("{ids}", &list));
        let once = || ids.iter().map(|id| Param::Int(*id)).collect::<Vec<_>>();

        for row in tx
            .fetch_all(
                render(&format!(
                    "SELECT {TRAINING_COLUMNS} FROM {{p}}tool_attestoodle_training \
                     WHERE id IN ({{ids}}) ORDER BY id"
                )),
                once(),
            )
            .await?
        {
            let training = TrainingRow::read(&row)?;
            set.trainings.insert(training.id, training);
        }
        if set.trainings.is_empty() {
            return Ok(set);
        }

        let tables = self.read_table_names(tx).await?;
        set.categories = Arc::new(self.read_category_tree(tx).await?);

        let train_styles = &mut set.train_styles;
        tx.fetch_each(
            render(
                "SELECT trainingid, id, templateid, grpcriteria1, grpcriteria2 \
                 FROM {p}tool_attestoodle_train_style WHERE trainingid IN ({ids}) ORDER BY id",
            ),
            once(),
            |row| {
                train_styles
                    .entry(row.int("trainingid")?)
                    .or_default()
                    .push(TrainStyleRow {
                        id: row.int("id")?,
                        template_id: row.int("templateid")?,
                        grpcriteria1: row.opt_text("grpcriteria1")?,
                        grpcriteria2: row.opt_text("grpcriteria2")?,
                    });
                Ok(())
            },
        )
        .await?;

        let milestones = &mut set.milestones;
        tx.fetch_each(
            render(
                "SELECT m.trainingid, m.id, m.moduleid, m.creditedtime, m.name, \
                 m.timemodified, m.course, c.shortname AS course_shortname \
                 FROM {p}tool_attestoodle_milestone m \
                 LEFT JOIN {p}course c ON c.id = m.course \
                 WHERE m.trainingid IN ({ids})",
            ),
            once(),
            |row| {
                milestones
                    .entry(row.int("trainingid")?)
                    .or_default()
                    .push(MilestoneRow {
                        id: row.int("id")?,
                        cmid: row.int("moduleid")?,
                        creditedtime: row.int("creditedtime")?,
                        name: row.opt_text("name")?,
                        timemodified: row.opt_int("timemodified")?,
                        course: row.opt_int("course")?,
                        course_shortname: row.opt_text("course_shortname")?,
                    });
                Ok(())
            },
        )
        .await?;

        in_id_order(&mut set.milestones, |m| m.id);

        // The course modules, their instance names and their courses' sections, looked up by
        // the ids just read: the milestone table is scanned once (docs/decisions.md §21).
        let cmids = distinct(set.milestones.values().flatten().map(|m| m.cmid));
        for (among, params) in self.backend().among("cm.id", &cmids, ID_CHUNK) {
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT {COURSE_MODULE_COLUMNS} FROM {COURSE_MODULES_FROM} WHERE {among}"
                    )),
                    params,
                )
                .await?
            {
                let cm = CourseModuleRow::read(&row)?;
                set.course_modules.insert(cm.cmid, cm);
            }
        }

        // Instance names: one statement per module type, on the activity's own table.
        let modules = set.course_modules.values_mut().collect();
        self.fill_instance_names(tx, &tables, modules).await?;

        // Every section of the modules' courses, and the section each module names when it is
        // not one of those (a module whose section row says another course).
        let courses = distinct(set.course_modules.values().map(|cm| cm.course));
        for (among, params) in self.backend().among("s.course", &courses, ID_CHUNK) {
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT {SECTION_COLUMNS} FROM {{p}}course_sections s WHERE {among}"
                    )),
                    params,
                )
                .await?
            {
                set.sections.push(SectionRow::read(&row)?);
            }
        }
        let read: HashSet<i64> = set.sections.iter().map(|s| s.id).collect();
        let elsewhere = distinct(
            set.course_modules
                .values()
                .filter_map(|cm| cm.section_id)
                .filter(|id| !read.contains(id)),
        );
        for (among, params) in self.backend().among("s.id", &elsewhere, ID_CHUNK) {
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT {SECTION_COLUMNS} FROM {{p}}course_sections s WHERE {among}"
                    )),
                    params,
                )
                .await?
            {
                set.sections.push(SectionRow::read(&row)?);
            }
        }
        set.sections
            .sort_unstable_by_key(|s| (s.course, s.section, s.id));

        // Learners and learner styles name their account by id; the accounts, often shared
        // by several trainings, are read once and joined in `take`.
        let learners = &mut set.learners;
        if parts == Parts::Whole {
            tx.fetch_each(
                render(
                    "SELECT trainingid, id, userid, categoryid, selected, predelete, resultcriteria \
                     FROM {p}tool_attestoodle_learner WHERE trainingid IN ({ids})",
                ),
                once(),
                |row| {
                    learners
                        .entry(row.int("trainingid")?)
                        .or_default()
                        .push(LearnerRow {
                            id: row.int("id")?,
                            user_id: row.int("userid")?,
                            user: None,
                            category_id: row.opt_int("categoryid")?,
                            selected: row.opt_int("selected")?,
                            predelete: row.opt_int("predelete")?,
                            resultcriteria: row.opt_text("resultcriteria")?,
                        });
                    Ok(())
                },
            )
            .await?;
        }

        in_id_order(&mut set.learners, |l| l.id);

        let user_styles = &mut set.user_styles;
        tx.fetch_each(
            render(
                "SELECT trainingid, id, userid, templateid, grpcriteria1, grpcriteria2, \
                 enablecertificate, withdateformat \
                 FROM {p}tool_attestoodle_user_style WHERE trainingid IN ({ids})",
            ),
            once(),
            |row| {
                user_styles
                    .entry(row.int("trainingid")?)
                    .or_default()
                    .push(UserStyleRow {
                        id: row.int("id")?,
                        user_id: row.int("userid")?,
                        user: None,
                        template_id: row.int("templateid")?,
                        grpcriteria1: row.opt_text("grpcriteria1")?,
                        grpcriteria2: row.opt_text("grpcriteria2")?,
                        enablecertificate: row.opt_int("enablecertificate")?,
                        withdateformat: row.opt_text("withdateformat")?,
                    });
                Ok(())
            },
        )
        .await?;

        in_id_order(&mut set.user_styles, |s| s.id);

        // The accounts, often shared by several trainings, read once. Where a list of ids is
        // one array (PostgreSQL), by the ids just read; elsewhere by the subquery: a list of
        // a big training's 10,000 bound ids cost more there than a second read of its learner
        // rows (docs/decisions.md §21).
        let users = &mut set.users;
        let twice = || {
            let mut params = once();
            params.extend(once());
            params
        };
        let by_ids = self.backend().binds_id_arrays().then(|| {
            let ids = distinct(
                set.learners
                    .values()
                    .flatten()
                    .map(|l| l.user_id)
                    .chain(set.user_styles.values().flatten().map(|s| s.user_id)),
            );
            self.backend().among("u.id", &ids, ID_CHUNK)
        });
        let statements = match (by_ids, parts) {
            (Some(among), _) => among
                .into_iter()
                .map(|(among, params)| {
                    (
                        self.render(&format!(
                            "SELECT {USER_COLUMNS} FROM {{p}}user u WHERE {among}"
                        )),
                        params,
                    )
                })
                .collect(),
            (None, Parts::Whole) => vec![(
                render(&format!(
                    "SELECT {USER_COLUMNS} FROM {{p}}user u \
                     WHERE u.id IN (SELECT userid FROM {{p}}tool_attestoodle_learner \
                     WHERE trainingid IN ({{ids}})) \
                     OR u.id IN (SELECT userid FROM {{p}}tool_attestoodle_user_style \
                     WHERE trainingid IN ({{ids}}))"
                )),
                twice(),
            )],
            (None, Parts::Outline) => vec![(
                render(&format!(
                    "SELECT {USER_COLUMNS} FROM {{p}}user u \
                     WHERE u.id IN (SELECT userid FROM {{p}}tool_attestoodle_user_style \
                     WHERE trainingid IN ({{ids}}))"
                )),
                once(),
            )],
        };
        for (statement, params) in statements {
            tx.fetch_each(statement, params, |row| {
                if let Some(user) = UserRow::read(&row)? {
                    users.insert(user.id, Arc::new(user));
                }
                Ok(())
            })
            .await?;
        }

        // The templates, looked up by the ids just read (§21 above).
        let templates = distinct(
            set.train_styles
                .values()
                .flatten()
                .map(|s| s.template_id)
                .chain(set.user_styles.values().flatten().map(|s| s.template_id)),
        );
        for chunk in templates.chunks(ID_CHUNK) {
            let ids = || chunk.iter().map(|id| Param::Int(*id)).collect::<Vec<_>>();
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT {TEMPLATE_COLUMNS} FROM {{p}}tool_attestoodle_template t \
                         WHERE t.id IN ({})",
                        marks(chunk.len())
                    )),
                    ids(),
                )
                .await?
            {
                set.templates.push(TemplateRow::read(&row)?);
            }
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT {DETAIL_COLUMNS} FROM {{p}}tool_attestoodle_tpl_detail d \
                         WHERE d.templateid IN ({})",
                        marks(chunk.len())
                    )),
                    ids(),
                )
                .await?
            {
                set.details.push(DetailRow::read(&row)?);
            }
        }
        set.templates.sort_unstable_by_key(|t| t.id);
        set.details.sort_unstable_by_key(|d| d.id);

        // The system context is looked up, never assumed to be id 1 (docs/moodle-tables.md §1).
        set.has_system_context = self.system_context(tx).await?.is_some();
        for chunk in templates.chunks(ID_CHUNK) {
            let mut params = background_file_params();
            params.extend(chunk.iter().map(|id| Param::Int(*id)));
            for row in tx
                .fetch_all(
                    self.render(&format!(
                        "SELECT f.itemid, f.filename, f.contenthash, f.mimetype \
                         {BACKGROUND_FILES} AND f.itemid IN ({}) ORDER BY f.id",
                        marks(chunk.len())
                    )),
                    params,
                )
                .await?
            {
                set.files.push(StoredFile {
                    template_id: row.int("itemid")?,
                    filename: row.text("filename")?,
                    contenthash: row.text("contenthash")?,
                    mimetype: row.opt_text("mimetype")?,
                });
            }
        }

        if tables.contains(&format!("{}tool_taskattestoodle", self.prefix)) {
            let mut planning: HashMap<i64, Vec<PlanningRow>> = HashMap::new();
            tx.fetch_each(
                render(
                    "SELECT trainingid, executiondate, beginperiod, endperiod, mailto, auto, \
                     togenerate FROM {p}tool_taskattestoodle WHERE trainingid IN ({ids}) \
                     ORDER BY id",
                ),
                once(),
                |row| {
                    planning
                        .entry(row.int("trainingid")?)
                        .or_default()
                        .push(PlanningRow {
                            executiondate: row.int("executiondate")?,
                            beginperiod: row.int("beginperiod")?,
                            endperiod: row.int("endperiod")?,
                            mailto: row.opt_text("mailto")?,
                            auto: row.opt_int("auto")?,
                            togenerate: row.opt_int("togenerate")?,
                        });
                    Ok(())
                },
            )
            .await?;
            set.planning = Some(planning);
        }
        Ok(set)
    }
}

/// What [`Site::read_snapshots`] reads of each training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// Everything a save needs.
    Whole,
    /// Everything but the learner rows (and the accounts only they name).
    Outline,
}

/// The most trainings one [`SnapshotSet`] reads: a statement binds the set's ids once, or at
/// most `ID_CHUNK` ids it read, which keeps it under SQLite's 32,766 bound parameters (and far
/// under PostgreSQL's and MySQL's 65,535). A larger selection is read in successive sets.
pub const SNAPSHOT_SET_MAX: usize = 5_000;

/// Puts each training's rows in id order. The statements that read a set's milestones,
/// learners and learner styles have no `ORDER BY`: the server's sort of a slice's 50,000
/// learner rows was a third of that statement's time (44 ms against 28), where each training's
/// few hundred rows, read in nearly that order already, sort here at once (docs/decisions.md
/// §21).
fn in_id_order<T>(rows: &mut HashMap<i64, Vec<T>>, id: impl Fn(&T) -> i64) {
    for of_training in rows.values_mut() {
        of_training.sort_by_key(&id);
    }
}

/// What a save reads about several trainings, read together ([`Site::training_snapshots`]):
/// the rows of each training, and the rows they share (categories, course modules, sections,
/// templates) once. [`SnapshotSet::take`] hands out one training's [`Snapshot`] at a time, so
/// that a caller that writes each before taking the next holds one document at a time.
#[derive(Debug, Default)]
pub struct SnapshotSet {
    trainings: BTreeMap<i64, TrainingRow>,
    categories: Arc<CategoryTree>,
    has_system_context: bool,
    train_styles: HashMap<i64, Vec<TrainStyleRow>>,
    milestones: HashMap<i64, Vec<MilestoneRow>>,
    course_modules: HashMap<i64, CourseModuleRow>,
    sections: Vec<SectionRow>,
    templates: Vec<TemplateRow>,
    details: Vec<DetailRow>,
    files: Vec<StoredFile>,
    learners: HashMap<i64, Vec<LearnerRow>>,
    user_styles: HashMap<i64, Vec<UserStyleRow>>,
    /// The accounts of the learners and learner styles, by id.
    users: HashMap<i64, Arc<UserRow>>,
    /// `None` when the site has no `tool_taskattestoodle` table.
    planning: Option<HashMap<i64, Vec<PlanningRow>>>,
}

impl SnapshotSet {
    /// The ids of the trainings read and not yet taken, in id order.
    pub fn ids(&self) -> Vec<i64> {
        self.trainings.keys().copied().collect()
    }

    /// Takes training `id` out of the set, as [`Site::training_snapshot`] would read it
    /// alone; `None` when it was not read (it does not exist) or was already taken.
    pub fn take(&mut self, id: i64) -> Option<Snapshot> {
        let training = self.trainings.remove(&id)?;
        let train_styles = self.train_styles.remove(&id).unwrap_or_default();
        let milestones = self.milestones.remove(&id).unwrap_or_default();
        let mut learners = self.learners.remove(&id).unwrap_or_default();
        for learner in &mut learners {
            learner.user = self.users.get(&learner.user_id).cloned();
        }
        let mut user_styles = self.user_styles.remove(&id).unwrap_or_default();
        for style in &mut user_styles {
            style.user = self.users.get(&style.user_id).cloned();
        }
        let planning = self
            .planning
            .as_mut()
            .map(|p| p.remove(&id).unwrap_or_default());

        let course_modules: HashMap<i64, CourseModuleRow> = milestones
            .iter()
            .filter_map(|m| self.course_modules.get(&m.cmid))
            .map(|cm| (cm.cmid, cm.clone()))
            .collect();
        let courses: HashSet<i64> = course_modules.values().map(|cm| cm.course).collect();
        let section_ids: HashSet<i64> = course_modules
            .values()
            .filter_map(|cm| cm.section_id)
            .collect();
        let sections = self
            .sections
            .iter()
            .filter(|s| courses.contains(&s.course) || section_ids.contains(&s.id))
            .cloned()
            .collect();
        let template_ids: HashSet<i64> = train_styles
            .iter()
            .map(|s| s.template_id)
            .chain(user_styles.iter().map(|s| s.template_id))
            .collect();
        let templates = self
            .templates
            .iter()
            .filter(|t| template_ids.contains(&t.id))
            .cloned()
            .collect();
        let details = self
            .details
            .iter()
            .filter(|d| template_ids.contains(&d.template_id))
            .cloned()
            .collect();
        let files = self
            .files
            .iter()
            .filter(|f| template_ids.contains(&f.template_id))
            .cloned()
            .collect();
        Some(Snapshot {
            training,
            categories: Arc::clone(&self.categories),
            train_styles,
            milestones,
            course_modules,
            sections,
            templates,
            details,
            files,
            has_system_context: self.has_system_context,
            learners,
            user_styles,
            planning,
        })
    }
}
