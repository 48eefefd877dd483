//! What a restore reads and writes: typed look-ups by natural identifiers (courses by short
//! name, the structure of a course, users by email, templates by name, categories), and the
//! writes of one restore in a single transaction ([`RestoreTx`]).
//!
//! Names are compared byte for byte in SQL on every backend ([`super::Backend::exact_in`],
//! docs/decisions.md §2). Emails are compared case-insensitively in Rust after a wide SQL
//! pre-selection, for the same result on every backend.

use super::ids::{CategoryId, CmId, CourseId, MilestoneId, TemplateId, TrainingId, UserId};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::rows::{
    background_file_params, marks, CourseModuleRow, CourseRow, DetailRow, SectionRow, TemplateRow,
    TrainingRow, UserRow, BACKGROUND_FILES, COURSE_MODULES_FROM, COURSE_MODULE_COLUMNS,
    DETAIL_COLUMNS, SECTION_COLUMNS, TEMPLATE_COLUMNS, TRAINING_COLUMNS, USER_COLUMNS,
};
use super::rules::{pathname_hash, BACKGROUND_AREA, BACKGROUND_COMPONENT, BACKGROUND_PATH};
use super::sql::{Backend, NameLock, Param, Row, Tx};
use super::training::CategoryTree;
use super::{Error, Site, TxMode};
use crate::hex::{hex, sha1_hex};

/// At most this many values in one `IN (...)` list, well under every backend's limit on bound
/// parameters (SQLite: 32766, PostgreSQL: 65535).
const CHUNK: usize = 500;

/// At most this many values in one multi-row `INSERT` (5,000 learners): each statement costs a
/// round trip and its own parsing, which made most of the time of writing a large training
/// in statements of 500 rows. Under every backend's limit on bound parameters (SQLite: 32766,
/// PostgreSQL and MySQL: 65535); a statement of that many values is well under MariaDB's and
/// MySQL's smallest `max_allowed_packet` (4 MiB) for the rows a restore writes.
const INSERT_PARAMS: usize = 30_000;

/// At most this many emails in one look-up of accounts: a statement per 500 of them was most
/// of the time of the precheck of a large training (each one scans the user table), and this
/// stays under every backend's limit on bound parameters (SQLite: 32766, PostgreSQL and
/// MySQL: 65535).
const EMAIL_CHUNK: usize = 20_000;

/// How long a restore waits for another one holding the same name on MySQL, in seconds.
const LOCK_TIMEOUT: i64 = 60;

/// A certificate template with its details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTemplate {
    /// The template row.
    pub template: TemplateRow,
    /// `(type, data)` of every detail, in id order.
    pub details: Vec<(String, String)>,
    /// SHA-1 of the background image stored for it, when there is one.
    pub background_sha1: Option<String>,
}

/// Who uses a template: the trainings linked to it and the number of learner styles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateUsage {
    /// `(id, name)` of every training whose train_style names it.
    pub trainings: Vec<(i64, Option<String>)>,
    /// `(training id, number of learner styles)` naming it.
    pub learner_styles: Vec<(i64, i64)>,
}

/// Where template images go: Moodle's `filedir` and the system context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStore {
    /// The `filedir` directory.
    pub filedir: PathBuf,
    /// The id of the system context.
    pub system_context: i64,
}

/// The columns of a training row a restore writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingValues {
    /// The name.
    pub name: String,
    /// The category.
    pub category: CategoryId,
    /// Start date.
    pub startdate: i64,
    /// End date.
    pub enddate: Option<i64>,
    /// Duration in minutes.
    pub duration: Option<i64>,
    /// Planned launches.
    pub nbautolaunch: Option<i64>,
    /// Next launch.
    pub nextlaunch: Option<i64>,
    /// `checklearner` as carried by the file.
    pub checklearner: Option<i64>,
}

/// A milestone row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneValues {
    /// Credited minutes.
    pub creditedtime: i64,
    /// The course module id.
    pub cmid: CmId,
    /// The course id.
    pub course: CourseId,
    /// The activity's current name.
    pub name: Option<String>,
    /// `timemodified`.
    pub timemodified: i64,
}

/// A learner row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerValues {
    /// The user.
    pub userid: UserId,
    /// `predelete` as carried by the file.
    pub predelete: Option<i64>,
}

/// A learner style row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleValues {
    /// The user.
    pub userid: UserId,
    /// The template.
    pub template: TemplateId,
    /// First grouping.
    pub grpcriteria1: Option<String>,
    /// Second grouping.
    pub grpcriteria2: Option<String>,
    /// 0 excludes the learner.
    pub enablecertificate: Option<i64>,
    /// Legacy date format.
    pub withdateformat: Option<String>,
}

/// A planning row of `tool_taskattestoodle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanningValues {
    /// When the run happens.
    pub executiondate: i64,
    /// Period start.
    pub beginperiod: i64,
    /// Period end.
    pub endperiod: i64,
    /// Notification address.
    pub mailto: Option<String>,
    /// The planning operator.
    pub operatorid: UserId,
    /// Generate automatically.
    pub auto: Option<i64>,
    /// Still pending.
    pub togenerate: i64,
}

/// A milestone with what remains of its activity, for `repair`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneLink {
    /// `tool_attestoodle_milestone.id`.
    pub id: i64,
    /// The training.
    pub training: i64,
    /// `moduleid`: the course module it points to.
    pub cmid: i64,
    /// `name` as stored when the milestone was made.
    pub name: Option<String>,
    /// `course` as stored in the milestone row.
    pub milestone_course: Option<i64>,
    /// `(course_modules.course, deletioninprogress, module type found)` when the course module
    /// row exists.
    pub activity: Option<(i64, bool, bool)>,
    /// The course the milestone belongs to (the course module's, else the milestone row's)
    /// with its short name when that course row exists.
    pub course: Option<(i64, Option<String>)>,
}

/// The statement that reads the trainings named exactly `?` (docs/decisions.md §2), in id order; with
/// `locking`, a re-read inside a write transaction that waits for other writers.
fn trainings_named_sql(backend: Backend, locking: bool) -> String {
    format!(
        "SELECT {TRAINING_COLUMNS} FROM {{p}}tool_attestoodle_training WHERE {} ORDER BY id{}",
        backend.exact_eq("name"),
        if locking { backend.locking_read() } else { "" }
    )
}

/// The statement that reads the templates named exactly `?`, as [`trainings_named_sql`].
fn templates_named_sql(backend: Backend, locking: bool) -> String {
    format!(
        "SELECT id, name FROM {{p}}tool_attestoodle_template WHERE {} ORDER BY id{}",
        backend.exact_eq("name"),
        if locking { backend.locking_read() } else { "" }
    )
}

/// The columns of a training row a restore writes, in the order of [`training_params`].
const TRAINING_WRITTEN: [&str; 8] = [
    "name",
    "categoryid",
    "startdate",
    "enddate",
    "checklearner",
    "duration",
    "nbautolaunch",
    "nextlaunch",
];

/// The values of [`TRAINING_WRITTEN`].
fn training_params(t: &TrainingValues) -> Vec<Param> {
    vec![
        t.name.clone().into(),
        t.category.into(),
        t.startdate.into(),
        t.enddate.into(),
        t.checklearner.into(),
        t.duration.into(),
        t.nbautolaunch.into(),
        t.nextlaunch.into(),
    ]
}

/// `SELECT call AS c0, call AS c1, …`: `count` calls of a lock function in one statement,
/// evaluated left to right.
fn calls(call: &str, count: usize) -> String {
    let list: Vec<String> = (0..count).map(|n| format!("{call} AS c{n}")).collect();
    format!("SELECT {}", list.join(", "))
}

/// Lower-case forms an email may take in `LOWER(email)` on any backend: SQLite and a
/// PostgreSQL database in the C locale lower ASCII only, the others every letter.
fn email_keys(email: &str) -> [String; 2] {
    [email.to_lowercase(), email.to_ascii_lowercase()]
}

impl Site {
    async fn fetch_for_restore(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx.fetch_all(self.render(sql), params).await;
        tx.rollback().await?;
        rows
    }

    /// Every course category of the site.
    pub async fn category_tree(&self) -> Result<CategoryTree, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let tree = self.read_category_tree(&mut tx).await;
        tx.rollback().await?;
        tree
    }

    /// The trainings named exactly `name` (byte for byte on every backend, docs/decisions.md §2), in
    /// id order.
    pub async fn trainings_named(&self, name: &str) -> Result<Vec<TrainingRow>, Error> {
        self.fetch_for_restore(
            &trainings_named_sql(self.backend(), false),
            vec![name.into()],
        )
        .await?
        .iter()
        .map(TrainingRow::read)
        .collect()
    }

    /// The trainings named exactly one of `names` (byte for byte, as [`Site::trainings_named`]),
    /// in id order: the look-up of a batch, in one statement per [`CHUNK`] names.
    pub async fn trainings_named_in(&self, names: &[String]) -> Result<Vec<TrainingRow>, Error> {
        let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let list: Vec<&str> = wanted.iter().copied().collect();
        let mut out = Vec::new();
        for chunk in list.chunks(CHUNK) {
            let sql = format!(
                "SELECT {TRAINING_COLUMNS} FROM {{p}}tool_attestoodle_training WHERE {} ORDER BY id",
                self.backend().exact_in("name", chunk.len())
            );
            for row in &self
                .fetch_for_restore(&sql, chunk.iter().map(|s| (*s).into()).collect())
                .await?
            {
                out.push(TrainingRow::read(row)?);
            }
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    /// The courses whose short name is exactly one of `shortnames`, in id order (the site
    /// course aside).
    pub async fn courses_by_shortname(
        &self,
        shortnames: &[String],
    ) -> Result<Vec<CourseRow>, Error> {
        let wanted: BTreeSet<&str> = shortnames.iter().map(String::as_str).collect();
        let list: Vec<&str> = wanted.iter().copied().collect();
        let mut out = Vec::new();
        for chunk in list.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, shortname, enablecompletion FROM {{p}}course \
                 WHERE category <> 0 AND {} ORDER BY id",
                self.backend().exact_in("shortname", chunk.len())
            );
            let rows = self
                .fetch_for_restore(&sql, chunk.iter().map(|s| (*s).into()).collect())
                .await?;
            for row in &rows {
                out.push(CourseRow {
                    id: row.int("id")?,
                    shortname: row.text("shortname")?,
                    completion_enabled: row.int("enablecompletion")? != 0,
                });
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// The sections and course modules of some courses, with each module's type and instance
    /// name, in one read-only transaction.
    pub async fn course_structure(
        &self,
        courses: &[i64],
    ) -> Result<(Vec<SectionRow>, Vec<CourseModuleRow>), Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let result = self.read_course_structure(&mut tx, courses).await;
        tx.rollback().await?;
        result
    }

    async fn read_course_structure(
        &self,
        tx: &mut Tx,
        courses: &[i64],
    ) -> Result<(Vec<SectionRow>, Vec<CourseModuleRow>), Error> {
        let tables = self.read_table_names(tx).await?;
        let mut sections = Vec::new();
        let mut modules = Vec::new();
        for chunk in courses.chunks(CHUNK) {
            let params: Vec<Param> = chunk.iter().map(|c| (*c).into()).collect();
            let sql = format!(
                "SELECT {SECTION_COLUMNS} FROM {{p}}course_sections s \
                 WHERE s.course IN ({}) ORDER BY s.id",
                marks(chunk.len())
            );
            for row in &tx.fetch_all(self.render(&sql), params.clone()).await? {
                sections.push(SectionRow::read(row)?);
            }
            let sql = format!(
                "SELECT {COURSE_MODULE_COLUMNS} FROM {COURSE_MODULES_FROM} \
                 WHERE cm.course IN ({}) ORDER BY cm.id",
                marks(chunk.len())
            );
            let first = modules.len();
            for row in &tx.fetch_all(self.render(&sql), params).await? {
                modules.push(CourseModuleRow::read(row)?);
            }
            let new = modules[first..].iter_mut().collect();
            self.fill_instance_names(tx, &tables, new).await?;
        }
        Ok((sections, modules))
    }

    /// Every milestone of these trainings with what remains of its activity and course, in
    /// id order (`repair`).
    pub async fn milestone_links(&self, trainings: &[i64]) -> Result<Vec<MilestoneLink>, Error> {
        let mut out = Vec::new();
        for chunk in trainings.chunks(CHUNK) {
            let sql = format!(
                "SELECT m.id, m.trainingid, m.moduleid, m.name, m.course AS mcourse, \
                 cm.id AS cmid, cm.course AS cmcourse, cm.deletioninprogress, md.id AS mdid, \
                 c.id AS cid, c.shortname AS cshort, c2.id AS c2id, c2.shortname AS c2short \
                 FROM {{p}}tool_attestoodle_milestone m \
                 LEFT JOIN {{p}}course_modules cm ON cm.id = m.moduleid \
                 LEFT JOIN {{p}}course c ON c.id = cm.course \
                 LEFT JOIN {{p}}modules md ON md.id = cm.module \
                 LEFT JOIN {{p}}course c2 ON c2.id = m.course \
                 WHERE m.trainingid IN ({}) ORDER BY m.id",
                marks(chunk.len())
            );
            let rows = self
                .fetch_for_restore(&sql, chunk.iter().map(|t| (*t).into()).collect())
                .await?;
            for row in &rows {
                let milestone_course = row.opt_int("mcourse")?;
                let (activity, course) = match row.opt_int("cmid")? {
                    Some(_) => {
                        let course = row.int("cmcourse")?;
                        let found = row.opt_int("cid")?.is_some();
                        (
                            Some((
                                course,
                                row.opt_int("deletioninprogress")?.unwrap_or(0) != 0,
                                row.opt_int("mdid")?.is_some(),
                            )),
                            Some((
                                course,
                                found.then(|| row.opt_text("cshort")).transpose()?.flatten(),
                            )),
                        )
                    }
                    None => (
                        None,
                        match milestone_course {
                            Some(course) => Some((course, row.opt_text("c2short")?)),
                            None => None,
                        },
                    ),
                };
                out.push(MilestoneLink {
                    id: row.int("id")?,
                    training: row.int("trainingid")?,
                    cmid: row.int("moduleid")?,
                    name: row.opt_text("name")?,
                    milestone_course,
                    activity,
                    course,
                });
            }
        }
        Ok(out)
    }

    /// Accounts that are not deleted and whose email may equal one of `emails` ignoring
    /// case: a superset, to be compared in Rust.
    pub async fn users_by_email(&self, emails: &[String]) -> Result<Vec<UserRow>, Error> {
        let keys: BTreeSet<String> = emails
            .iter()
            .filter(|e| !e.is_empty())
            .flat_map(|e| email_keys(e))
            .collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut out: Vec<UserRow> = Vec::new();
        let mut seen = BTreeSet::new();
        for chunk in keys.chunks(EMAIL_CHUNK) {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM {{p}}user u \
                 WHERE u.deleted = 0 AND LOWER(u.email) IN ({}) ORDER BY u.id",
                marks(chunk.len())
            );
            let rows = self
                .fetch_for_restore(&sql, chunk.iter().map(|s| s.clone().into()).collect())
                .await?;
            for row in &rows {
                if let Some(user) = UserRow::read(row)? {
                    if seen.insert(user.id) {
                        out.push(user);
                    }
                }
            }
        }
        out.sort_by_key(|u| u.id);
        Ok(out)
    }

    /// The user with this username (not deleted), for `--operator`.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<i64>, Error> {
        let rows = self
            .fetch_for_restore(
                &format!(
                    "SELECT id FROM {{p}}user WHERE deleted = 0 AND {} ORDER BY id",
                    self.backend().exact_eq("username")
                ),
                vec![username.into()],
            )
            .await?;
        rows.first().map(|row| row.int("id")).transpose()
    }

    /// The templates named exactly one of `names`, with their details and background hash.
    pub async fn templates_by_name(&self, names: &[String]) -> Result<Vec<TargetTemplate>, Error> {
        let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let list: Vec<&str> = wanted.iter().copied().collect();
        let mut out = Vec::new();
        for chunk in list.chunks(CHUNK) {
            let sql = format!(
                "SELECT {TEMPLATE_COLUMNS} FROM {{p}}tool_attestoodle_template t WHERE {} \
                 ORDER BY t.id",
                self.backend().exact_in("t.name", chunk.len())
            );
            for row in &self
                .fetch_for_restore(&sql, chunk.iter().map(|s| (*s).into()).collect())
                .await?
            {
                out.push(TargetTemplate {
                    template: TemplateRow::read(row)?,
                    details: Vec::new(),
                    background_sha1: None,
                });
            }
        }
        for template in &mut out {
            let rows = self
                .fetch_for_restore(
                    &format!(
                        "SELECT {DETAIL_COLUMNS} FROM {{p}}tool_attestoodle_tpl_detail d \
                         WHERE d.templateid = ? ORDER BY d.id"
                    ),
                    vec![template.template.id.into()],
                )
                .await?;
            for row in &rows {
                let detail = DetailRow::read(row)?;
                template.details.push((detail.kind, detail.data));
            }
            let mut params = background_file_params();
            params.push(template.template.id.into());
            let files = self
                .fetch_for_restore(
                    &format!(
                        "SELECT f.contenthash {BACKGROUND_FILES} AND f.itemid = ? ORDER BY f.id"
                    ),
                    params,
                )
                .await?;
            template.background_sha1 = files.first().map(|r| r.text("contenthash")).transpose()?;
        }
        Ok(out)
    }

    /// The trainings and learner styles that use a template.
    pub async fn template_usage(&self, template: i64) -> Result<TemplateUsage, Error> {
        let mut usage = TemplateUsage::default();
        for row in &self
            .fetch_for_restore(
                "SELECT t.id, t.name FROM {p}tool_attestoodle_train_style s \
                 JOIN {p}tool_attestoodle_training t ON t.id = s.trainingid \
                 WHERE s.templateid = ? ORDER BY t.id",
                vec![template.into()],
            )
            .await?
        {
            usage
                .trainings
                .push((row.int("id")?, row.opt_text("name")?));
        }
        for row in &self
            .fetch_for_restore(
                "SELECT trainingid, COUNT(*) AS n FROM {p}tool_attestoodle_user_style \
                 WHERE templateid = ? GROUP BY trainingid ORDER BY trainingid",
                vec![template.into()],
            )
            .await?
        {
            usage
                .learner_styles
                .push((row.int("trainingid")?, row.int("n")?));
        }
        Ok(usage)
    }

    /// The name of the site's time zone as docs/decisions.md §17 says: `forcetimezone` of the config
    /// table when it is set and not `99` (Moodle's "not forced"), else `timezone` when it is
    /// set and not `99` (Moodle's "server's zone"); `None` when neither is (dates are then
    /// shown in UTC). The name is as stored, not checked against a zone database.
    pub async fn time_zone(&self) -> Result<Option<String>, Error> {
        let rows = self
            .fetch_for_restore(
                "SELECT name, value FROM {p}config WHERE name IN (?, ?)",
                vec!["forcetimezone".into(), "timezone".into()],
            )
            .await?;
        let mut settings: HashMap<String, String> = HashMap::new();
        for row in &rows {
            if let Some(value) = row.opt_text("value")? {
                settings.insert(row.text("name")?, value);
            }
        }
        Ok(["forcetimezone", "timezone"].iter().find_map(|name| {
            settings
                .get(*name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty() && *v != "99")
                .map(str::to_owned)
        }))
    }

    /// Whether the planning table of tool_taskattestoodle exists on this site.
    pub async fn has_planning_table(&self) -> Result<bool, Error> {
        let table = format!("{}tool_taskattestoodle", self.prefix());
        Ok(self.table_names().await?.contains(&table))
    }

    /// Moodle's file store, when the site has one this tool can write to: a known `filedir`
    /// that exists and is writable, and a system context.
    pub async fn writable_file_store(&self) -> Result<Option<FileStore>, Error> {
        let Some(filedir) = self.target().filedir.clone() else {
            return Ok(None);
        };
        let writable = std::fs::metadata(&filedir)
            .map(|m| m.is_dir() && !m.permissions().readonly())
            .unwrap_or(false);
        if !writable {
            return Ok(None);
        }
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let system_context = self.system_context(&mut tx).await;
        tx.rollback().await?;
        Ok(system_context?.map(|system_context| FileStore {
            filedir,
            system_context,
        }))
    }

    /// Opens the one write transaction of a restore.
    pub async fn begin_restore(&self) -> Result<RestoreTx<'_>, Error> {
        Ok(RestoreTx {
            site: self,
            tx: Some(self.begin(TxMode::ReadWrite).await?),
            session_locks: Vec::new(),
            writes: 0,
            fail: None,
        })
    }
}

/// Writes the bytes of a file into Moodle's file store at `filedir/xx/yy/<sha1>`, unless that
/// content is already there. Written to a temporary name, then renamed, so that a reader never
/// sees half a file.
pub fn store_file_content(filedir: &Path, bytes: &[u8]) -> Result<String, Error> {
    let hash = sha1_hex(bytes);
    let dir = filedir.join(&hash[..2]).join(&hash[2..4]);
    let path = dir.join(&hash);
    if path.is_file() {
        return Ok(hash);
    }
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::FileStore { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(error(&dir))?;
    let temporary = dir.join(format!(".{hash}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(error(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(error(&path))?;
    Ok(hash)
}

/// The writes of one restore, in one transaction. Commit with [`RestoreTx::commit`]; any
/// other end ([`RestoreTx::rollback`], or dropping it) leaves the database as it was.
pub struct RestoreTx<'a> {
    site: &'a Site,
    tx: Option<Tx>,
    session_locks: Vec<String>,
    writes: usize,
    fail: Option<InjectedFailure>,
}

/// A failure a test makes a restore meet ([`RestoreTx::inject_failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedFailure {
    /// The write statement after this many fails.
    pub after: usize,
    /// The server first ends the connection, as a network failure would (PostgreSQL and
    /// MySQL; SQLite has no server and only fails).
    pub drop_connection: bool,
}

impl RestoreTx<'_> {
    fn tx(&mut self) -> Result<&mut Tx, Error> {
        self.tx.as_mut().ok_or_else(|| Error::Decode {
            column: "transaction".to_owned(),
            problem: "used after its end".to_owned(),
        })
    }

    /// A test hook: makes a later write fail, to prove that nothing is left behind.
    pub fn inject_failure(&mut self, failure: Option<InjectedFailure>) {
        self.fail = failure;
    }

    /// Counts a write, or meets the injected failure.
    async fn write(&mut self) -> Result<(), Error> {
        if let Some(fail) = self.fail.filter(|f| f.after == self.writes) {
            if let (true, Some(sql)) = (fail.drop_connection, self.site.backend().end_own_session())
            {
                // The statement itself fails once the server has ended the session.
                let _ = self.tx()?.execute(sql.to_owned(), vec![]).await;
                self.session_locks.clear();
            }
            return Err(Error::InjectedFailure { after: self.writes });
        }
        self.writes += 1;
        Ok(())
    }

    fn render(&self, sql: &str) -> String {
        self.site.render(sql)
    }

    async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, Error> {
        self.write().await?;
        let sql = self.render(sql);
        self.tx()?.execute(sql, params).await
    }

    async fn insert(&mut self, sql: &str, params: Vec<Param>) -> Result<i64, Error> {
        self.write().await?;
        let sql = self.render(sql);
        self.tx()?.insert(sql, params).await
    }

    async fn fetch(&mut self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, Error> {
        let sql = self.render(sql);
        self.tx()?.fetch_all(sql, params).await
    }

    /// Inserts rows in multi-row statements of at most [`INSERT_PARAMS`] values, or, on
    /// PostgreSQL, in one statement of one array per column ([`Backend::inserts_arrays`]).
    async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Param>>,
    ) -> Result<(), Error> {
        if rows.is_empty() {
            return Ok(());
        }
        if self.site.backend().inserts_arrays() {
            self.write().await?;
            let table = self.render(&format!("{{p}}{table}"));
            self.tx()?.insert_arrays(&table, columns, rows).await?;
            return Ok(());
        }
        let one = format!("({})", marks(columns.len()));
        let per_statement = (INSERT_PARAMS / columns.len().max(1)).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Param>> = rows.by_ref().take(per_statement).collect();
            let sql = format!(
                "INSERT INTO {{p}}{table} ({}) VALUES {}",
                columns.join(", "),
                vec![one.as_str(); chunk.len()].join(", ")
            );
            self.execute(&sql, chunk.into_iter().flatten().collect())
                .await?;
        }
        Ok(())
    }

    /// Reads training `id` as `save` reads it ([`Site::training_snapshot`]), inside this
    /// transaction: what a replace keeps as the way back (issue "web": *A way back from a
    /// replace*), read after the name lock so that no other restore changes it meanwhile.
    pub async fn training_snapshot(
        &mut self,
        id: i64,
    ) -> Result<Option<super::snapshot::Snapshot>, Error> {
        let site = self.site;
        site.read_snapshot(self.tx()?, id).await
    }

    /// Takes the lock of a name (`kind` is `training` or `template`) until the transaction
    /// ends, waiting for another restore that holds it.
    pub async fn lock_name(&mut self, kind: &str, name: &str) -> Result<(), Error> {
        self.lock_names(kind, &[name]).await
    }

    /// Takes the locks of `names`, in their order, in one statement per [`CHUNK`] names (a
    /// batch written together, [`RestoreTx::insert_trainings`]); give them sorted, so that two
    /// writers never wait for each other in a circle.
    pub async fn lock_names(&mut self, kind: &str, names: &[&str]) -> Result<(), Error> {
        let key = |name: &str| Sha256::digest(format!("attestoodle-backup/{kind}/{name}"));
        for chunk in names.chunks(CHUNK) {
            match self.site.backend().name_lock() {
                NameLock::Advisory(call) => {
                    let keys = chunk.iter().map(|name| {
                        let mut first = [0u8; 8];
                        first.copy_from_slice(&key(name)[..8]);
                        Param::Int(i64::from_be_bytes(first))
                    });
                    let sql = self.render(&calls(call, chunk.len()));
                    self.tx()?.execute(sql, keys.collect()).await?;
                }
                NameLock::Session { acquire, .. } => {
                    // MySQL lock names are at most 64 characters.
                    let locks: Vec<String> = chunk
                        .iter()
                        .map(|name| format!("attestoodle:{}", &hex(&key(name))[..40]))
                        .collect();
                    let params = locks
                        .iter()
                        .flat_map(|lock| [lock.clone().into(), LOCK_TIMEOUT.into()])
                        .collect();
                    let sql = self.render(&calls(acquire, chunk.len()));
                    let rows = self.tx()?.fetch_all(sql, params).await?;
                    // Every lock taken is kept for the release, also when another was not.
                    let mut busy = None;
                    for (n, (lock, name)) in locks.into_iter().zip(chunk).enumerate() {
                        let got = rows
                            .first()
                            .map(|r| r.opt_int(&format!("c{n}")))
                            .transpose()?
                            .flatten();
                        if got == Some(1) {
                            self.session_locks.push(lock);
                        } else {
                            busy.get_or_insert(*name);
                        }
                    }
                    if let Some(name) = busy {
                        return Err(Error::Busy {
                            name: name.to_owned(),
                            seconds: LOCK_TIMEOUT,
                        });
                    }
                }
                NameLock::Writer => {}
            }
        }
        Ok(())
    }

    async fn release_session_locks(&mut self) -> Result<(), Error> {
        if let NameLock::Session { release, .. } = self.site.backend().name_lock() {
            let locks = std::mem::take(&mut self.session_locks);
            for chunk in locks.chunks(CHUNK) {
                let sql = self.render(&calls(release, chunk.len()));
                let params = chunk.iter().map(|lock| lock.clone().into()).collect();
                self.tx()?.fetch_all(sql, params).await?;
            }
        }
        Ok(())
    }

    /// The ids of the trainings named exactly `name`, read again inside the transaction
    /// (after [`RestoreTx::lock_name`]), seeing what other writers committed.
    pub async fn training_ids_named(&mut self, name: &str) -> Result<Vec<i64>, Error> {
        let sql = trainings_named_sql(self.site.backend(), true);
        let rows = self.fetch(&sql, vec![name.into()]).await?;
        rows.iter().map(|row| row.int("id")).collect()
    }

    /// The ids of the templates named exactly `name`, read again inside the transaction.
    pub async fn template_ids_named(&mut self, name: &str) -> Result<Vec<i64>, Error> {
        let sql = templates_named_sql(self.site.backend(), true);
        let rows = self.fetch(&sql, vec![name.into()]).await?;
        rows.iter().map(|row| row.int("id")).collect()
    }

    /// Inserts a training and gives its id.
    pub async fn insert_training(&mut self, t: &TrainingValues) -> Result<TrainingId, Error> {
        let sql = format!(
            "INSERT INTO {{p}}tool_attestoodle_training ({}) VALUES ({})",
            TRAINING_WRITTEN.join(", "),
            marks(TRAINING_WRITTEN.len())
        );
        self.insert(&sql, training_params(t)).await.map(TrainingId)
    }

    /// Inserts trainings in multi-row statements and gives their ids, in the order of
    /// `trainings`. Their names must be locked ([`RestoreTx::lock_name`]) and free (no other
    /// training of that name, read after the lock), and distinct: the ids are read back by
    /// name, which then names these rows only, on every backend (MySQL has no `RETURNING`).
    pub async fn insert_trainings(
        &mut self,
        trainings: &[TrainingValues],
    ) -> Result<Vec<TrainingId>, Error> {
        self.insert_rows(
            "tool_attestoodle_training",
            &TRAINING_WRITTEN,
            trainings.iter().map(training_params).collect(),
        )
        .await?;
        let names: Vec<String> = trainings.iter().map(|t| t.name.clone()).collect();
        let mut ids: HashMap<String, i64> = HashMap::new();
        for (id, name) in self.trainings_named_in(&names).await? {
            ids.insert(name, id);
        }
        trainings
            .iter()
            .map(|t| {
                ids.get(&t.name)
                    .copied()
                    .map(TrainingId)
                    .ok_or_else(|| Error::Decode {
                        column: "tool_attestoodle_training.name".to_owned(),
                        problem: format!("the training `{}` just inserted is not there", t.name),
                    })
            })
            .collect()
    }

    /// The trainings named exactly one of `names` (id, name), read again inside the
    /// transaction as [`RestoreTx::training_ids_named`] reads one name, in statements of at
    /// most [`CHUNK`] names.
    pub async fn trainings_named_in(
        &mut self,
        names: &[String],
    ) -> Result<Vec<(i64, String)>, Error> {
        let backend = self.site.backend();
        let mut out = Vec::new();
        for chunk in names.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, name FROM {{p}}tool_attestoodle_training WHERE {} ORDER BY id{}",
                backend.exact_in("name", chunk.len()),
                backend.locking_read()
            );
            for row in self
                .fetch(&sql, chunk.iter().map(|n| n.clone().into()).collect())
                .await?
            {
                out.push((row.int("id")?, row.text("name")?));
            }
        }
        Ok(out)
    }

    /// Rewrites a training row in place (it keeps its id).
    pub async fn update_training(
        &mut self,
        id: TrainingId,
        t: &TrainingValues,
    ) -> Result<(), Error> {
        let set: Vec<String> = TRAINING_WRITTEN
            .iter()
            .map(|c| format!("{c} = ?"))
            .collect();
        let sql = format!(
            "UPDATE {{p}}tool_attestoodle_training SET {} WHERE id = ?",
            set.join(", ")
        );
        let mut params = training_params(t);
        params.push(id.into());
        self.execute(&sql, params).await?;
        Ok(())
    }

    /// Deletes what a restore replaces: milestones, learners, learner styles, the template
    /// link and, when the table exists, the planning rows. History (logs) stays.
    pub async fn clear_training(&mut self, id: TrainingId, planning: bool) -> Result<(), Error> {
        let mut tables = vec![
            "tool_attestoodle_milestone",
            "tool_attestoodle_learner",
            "tool_attestoodle_user_style",
            "tool_attestoodle_train_style",
        ];
        if planning {
            tables.push("tool_taskattestoodle");
        }
        for table in tables {
            let sql = format!("DELETE FROM {{p}}{table} WHERE trainingid = ?");
            self.execute(&sql, vec![id.into()]).await?;
        }
        Ok(())
    }

    /// Links a training to its template.
    pub async fn insert_train_style(
        &mut self,
        training: TrainingId,
        template: TemplateId,
        grpcriteria1: Option<&str>,
        grpcriteria2: Option<&str>,
    ) -> Result<(), Error> {
        self.insert_train_styles(&[(training, template, grpcriteria1, grpcriteria2)])
            .await
    }

    /// Links trainings to their templates (training, template, grpcriteria1, grpcriteria2), in
    /// multi-row statements.
    pub async fn insert_train_styles(
        &mut self,
        links: &[(TrainingId, TemplateId, Option<&str>, Option<&str>)],
    ) -> Result<(), Error> {
        self.insert_rows(
            "tool_attestoodle_train_style",
            &["trainingid", "templateid", "grpcriteria1", "grpcriteria2"],
            links
                .iter()
                .map(|(training, template, grpcriteria1, grpcriteria2)| {
                    vec![
                        (*training).into(),
                        (*template).into(),
                        (*grpcriteria1).into(),
                        (*grpcriteria2).into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// Creates a template (without details) and gives its id.
    pub async fn insert_template(
        &mut self,
        name: &str,
        userid: UserId,
        now: i64,
    ) -> Result<TemplateId, Error> {
        self.insert(
            "INSERT INTO {p}tool_attestoodle_template (name, timecreated, userid, timemodified) \
             VALUES (?, ?, ?, ?)",
            vec![name.into(), now.into(), userid.into(), now.into()],
        )
        .await
        .map(TemplateId)
    }

    /// Replaces every detail of a template, and marks it modified by `userid` now.
    pub async fn set_template_details(
        &mut self,
        template: TemplateId,
        details: &[(String, String)],
        userid: UserId,
        now: i64,
    ) -> Result<(), Error> {
        self.execute(
            "DELETE FROM {p}tool_attestoodle_tpl_detail WHERE templateid = ?",
            vec![template.into()],
        )
        .await?;
        self.insert_rows(
            "tool_attestoodle_tpl_detail",
            &["templateid", "type", "data"],
            details
                .iter()
                .map(|(kind, data)| vec![template.into(), kind.into(), data.into()])
                .collect(),
        )
        .await?;
        self.execute(
            "UPDATE {p}tool_attestoodle_template SET userid = ?, timemodified = ? WHERE id = ?",
            vec![userid.into(), now.into(), template.into()],
        )
        .await?;
        Ok(())
    }

    /// Records a template's background image as Moodle's file API does: the file row and its
    /// `.` directory row (docs/moodle-tables.md §4), replacing the rows the template had. The content
    /// must already be in the store ([`store_file_content`]).
    #[allow(clippy::too_many_arguments)] // One `files` row: each argument is a column.
    pub async fn set_background_rows(
        &mut self,
        store: &FileStore,
        template: TemplateId,
        filename: &str,
        mimetype: &str,
        size: i64,
        contenthash: &str,
        userid: UserId,
        now: i64,
    ) -> Result<(), Error> {
        let context = store.system_context;
        self.execute(
            "DELETE FROM {p}files WHERE contextid = ? AND component = ? AND filearea = ? \
             AND itemid = ?",
            vec![
                context.into(),
                BACKGROUND_COMPONENT.into(),
                BACKGROUND_AREA.into(),
                template.into(),
            ],
        )
        .await?;
        let empty = sha1_hex(b"");
        let rows = [
            (".", empty.as_str(), 0, None),
            (filename, contenthash, size, Some(mimetype)),
        ];
        let mut values = Vec::new();
        for (name, hash, size, mimetype) in rows {
            let pathnamehash = pathname_hash(
                context,
                BACKGROUND_COMPONENT,
                BACKGROUND_AREA,
                template.get(),
                BACKGROUND_PATH,
                name,
            );
            values.push(vec![
                hash.into(),
                pathnamehash.into(),
                context.into(),
                BACKGROUND_COMPONENT.into(),
                BACKGROUND_AREA.into(),
                template.into(),
                BACKGROUND_PATH.into(),
                name.into(),
                userid.into(),
                size.into(),
                mimetype.into(),
                now.into(),
                now.into(),
            ]);
        }
        self.insert_rows(
            "files",
            &[
                "contenthash",
                "pathnamehash",
                "contextid",
                "component",
                "filearea",
                "itemid",
                "filepath",
                "filename",
                "userid",
                "filesize",
                "mimetype",
                "timecreated",
                "timemodified",
            ],
            values,
        )
        .await
    }

    /// Inserts milestones of a training.
    pub async fn insert_milestones(
        &mut self,
        training: TrainingId,
        rows: &[MilestoneValues],
    ) -> Result<(), Error> {
        self.insert_milestones_of(&[(training, rows)]).await
    }

    /// Inserts the milestones of several trainings, in multi-row statements.
    pub async fn insert_milestones_of(
        &mut self,
        trainings: &[(TrainingId, &[MilestoneValues])],
    ) -> Result<(), Error> {
        self.insert_rows(
            "tool_attestoodle_milestone",
            &[
                "creditedtime",
                "moduleid",
                "trainingid",
                "timemodified",
                "course",
                "name",
            ],
            trainings
                .iter()
                .flat_map(|(training, rows)| rows.iter().map(move |m| (*training, m)))
                .map(|(training, m)| {
                    vec![
                        m.creditedtime.into(),
                        m.cmid.into(),
                        training.into(),
                        m.timemodified.into(),
                        m.course.into(),
                        m.name.clone().into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// Points a milestone at another course module of its course (`repair`): writes only
    /// `moduleid` and `course`, and only while the milestone still points at `old_cmid` and
    /// the new course module exists and is not being deleted; gives whether it did.
    pub async fn relink_milestone(
        &mut self,
        milestone: MilestoneId,
        training: TrainingId,
        old_cmid: CmId,
        new_cmid: CmId,
        course: CourseId,
    ) -> Result<bool, Error> {
        let sql = format!(
            "SELECT id FROM {{p}}course_modules WHERE id = ? AND course = ? \
             AND deletioninprogress = 0{}",
            self.site.backend().locking_read()
        );
        if self
            .fetch(&sql, vec![new_cmid.into(), course.into()])
            .await?
            .is_empty()
        {
            return Ok(false);
        }
        let changed = self
            .execute(
                "UPDATE {p}tool_attestoodle_milestone SET moduleid = ?, course = ? \
                 WHERE id = ? AND trainingid = ? AND moduleid = ?",
                vec![
                    new_cmid.into(),
                    course.into(),
                    milestone.into(),
                    training.into(),
                    old_cmid.into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Inserts learners of a training in its category; `selected` 0 and `resultcriteria` ''
    /// (the UI's resting state).
    pub async fn insert_learners(
        &mut self,
        training: TrainingId,
        category: CategoryId,
        rows: &[LearnerValues],
    ) -> Result<(), Error> {
        self.insert_learners_of(&[(training, category, rows)]).await
    }

    /// Inserts the learners of several trainings, each in its category, in multi-row
    /// statements.
    pub async fn insert_learners_of(
        &mut self,
        trainings: &[(TrainingId, CategoryId, &[LearnerValues])],
    ) -> Result<(), Error> {
        self.insert_rows(
            "tool_attestoodle_learner",
            &[
                "userid",
                "trainingid",
                "categoryid",
                "selected",
                "predelete",
                "resultcriteria",
            ],
            trainings
                .iter()
                .flat_map(|(training, category, rows)| {
                    rows.iter().map(move |l| (*training, *category, l))
                })
                .map(|(training, category, l)| {
                    vec![
                        l.userid.into(),
                        training.into(),
                        category.into(),
                        0.into(),
                        l.predelete.into(),
                        "".into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// Inserts learner styles of a training.
    pub async fn insert_styles(
        &mut self,
        training: TrainingId,
        rows: &[StyleValues],
    ) -> Result<(), Error> {
        self.insert_styles_of(&[(training, rows)]).await
    }

    /// Inserts the learner styles of several trainings, in multi-row statements.
    pub async fn insert_styles_of(
        &mut self,
        trainings: &[(TrainingId, &[StyleValues])],
    ) -> Result<(), Error> {
        self.insert_rows(
            "tool_attestoodle_user_style",
            &[
                "userid",
                "trainingid",
                "templateid",
                "grpcriteria1",
                "grpcriteria2",
                "enablecertificate",
                "withdateformat",
            ],
            trainings
                .iter()
                .flat_map(|(training, rows)| rows.iter().map(move |s| (*training, s)))
                .map(|(training, s)| {
                    vec![
                        s.userid.into(),
                        training.into(),
                        s.template.into(),
                        s.grpcriteria1.clone().into(),
                        s.grpcriteria2.clone().into(),
                        s.enablecertificate.into(),
                        s.withdateformat.clone().into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// Inserts planning rows of a training.
    pub async fn insert_planning(
        &mut self,
        training: TrainingId,
        rows: &[PlanningValues],
    ) -> Result<(), Error> {
        self.insert_planning_of(&[(training, rows)]).await
    }

    /// Inserts the planning rows of several trainings, in multi-row statements.
    pub async fn insert_planning_of(
        &mut self,
        trainings: &[(TrainingId, &[PlanningValues])],
    ) -> Result<(), Error> {
        self.insert_rows(
            "tool_taskattestoodle",
            &[
                "trainingid",
                "executiondate",
                "beginperiod",
                "endperiod",
                "mailto",
                "operatorid",
                "auto",
                "togenerate",
            ],
            trainings
                .iter()
                .flat_map(|(training, rows)| rows.iter().map(move |p| (*training, p)))
                .map(|(training, p)| {
                    vec![
                        training.into(),
                        p.executiondate.into(),
                        p.beginperiod.into(),
                        p.endperiod.into(),
                        p.mailto.clone().into(),
                        p.operatorid.into(),
                        p.auto.into(),
                        p.togenerate.into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// The number of write statements run so far.
    pub fn writes(&self) -> usize {
        self.writes
    }

    /// Makes every write permanent.
    pub async fn commit(mut self) -> Result<(), Error> {
        self.release_session_locks().await?;
        match self.tx.take() {
            Some(tx) => tx.commit().await,
            None => Ok(()),
        }
    }

    /// Undoes every write (a dry run, or after a failure).
    pub async fn rollback(mut self) -> Result<(), Error> {
        // Release first: MySQL keeps a named lock with the session, not the transaction. A
        // connection that dropped has lost its locks already.
        let released = self.release_session_locks().await;
        let rolled = match self.tx.take() {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        };
        released.and(rolled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_keys_cover_ascii_only_and_unicode_lowering() {
        assert_eq!(
            email_keys("Émile.Dupont@Exemple.FR"),
            [
                "émile.dupont@exemple.fr".to_owned(),
                "Émile.dupont@exemple.fr".to_owned()
            ]
        );
    }

    #[test]
    fn file_content_is_stored_under_its_hash() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let hash = store_file_content(dir.path(), b"abc").expect("stored");
        assert_eq!(hash, "a9993e364706816aba3e25717850c26c9cd0d89d");
        let path = dir.path().join("a9").join("99").join(&hash);
        assert_eq!(std::fs::read(path).expect("read back"), b"abc");
        assert_eq!(store_file_content(dir.path(), b"abc").expect("again"), hash);
    }
}
