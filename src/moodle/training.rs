//! Reading the trainings of a site and the course categories they belong to.

use std::collections::HashMap;

use super::rows::{UserRow, USER_COLUMNS};
use super::sql::Param;
use super::{CourseModuleRow, Error, Site, TxMode};

/// Why a milestone is an orphan: its activity is gone, so a backup leaves it out
/// (`milestone-orphan`) and `list` counts it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphan {
    /// The course module row is missing.
    ActivityMissing,
    /// The course module's course row is missing.
    CourseMissing {
        /// `course_modules.course`.
        course_id: i64,
    },
    /// The course module's activity type (`modules` row) is missing.
    ActivityTypeMissing,
}

impl Orphan {
    /// The rule, in one place: a milestone is an orphan when its course module, that
    /// module's course or its activity type no longer exists. `activity` is `None` when the
    /// course module row is missing, else `(course id, course found, activity type found)`.
    pub fn check(activity: Option<(i64, bool, bool)>) -> Option<Orphan> {
        match activity {
            None => Some(Orphan::ActivityMissing),
            Some((course_id, false, _)) => Some(Orphan::CourseMissing { course_id }),
            Some((_, true, false)) => Some(Orphan::ActivityTypeMissing),
            Some((_, true, true)) => None,
        }
    }
}

/// The course module a milestone points to with its course short name and activity type,
/// or why the milestone is an [`Orphan`].
pub fn milestone_activity(
    cm: Option<&CourseModuleRow>,
) -> Result<(&CourseModuleRow, &str, &str), Orphan> {
    let Some(cm) = cm else {
        return Err(Orphan::ActivityMissing);
    };
    let facts = (cm.course, cm.course_shortname.is_some(), cm.kind.is_some());
    match (
        Orphan::check(Some(facts)),
        cm.course_shortname.as_deref(),
        cm.kind.as_deref(),
    ) {
        (None, Some(course), Some(kind)) => Ok((cm, course, kind)),
        (Some(orphan), _, _) => Err(orphan),
        // `check` finds no orphan only when both are there.
        (None, _, _) => Err(Orphan::ActivityMissing),
    }
}

/// A course category, as Moodle stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// `course_categories.id`.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The idnumber; `None` when empty (Moodle's "no idnumber").
    pub idnumber: Option<String>,
    /// The parent category id, 0 at the top.
    pub parent: i64,
}

/// Every category of a site, to name paths and find a category from what an operator types.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    by_id: HashMap<i64, Category>,
    order: Vec<i64>,
}

impl CategoryTree {
    /// Builds the tree from categories in id order.
    pub fn new(categories: Vec<Category>) -> CategoryTree {
        let order = categories.iter().map(|c| c.id).collect();
        let by_id = categories.into_iter().map(|c| (c.id, c)).collect();
        CategoryTree { by_id, order }
    }

    /// The category with this id.
    pub fn get(&self, id: i64) -> Option<&Category> {
        self.by_id.get(&id)
    }

    /// The names from the top category down to this one; empty for an unknown id.
    ///
    /// Follows `parent` rather than the stored `path`, and stops on a loop, which a damaged
    /// site can have.
    pub fn path_names(&self, id: i64) -> Vec<String> {
        let mut names = Vec::new();
        let mut seen = Vec::new();
        let mut current = self.by_id.get(&id);
        while let Some(category) = current {
            if seen.contains(&category.id) {
                break;
            }
            seen.push(category.id);
            names.push(category.name.clone());
            current = self.by_id.get(&category.parent);
        }
        names.reverse();
        names
    }

    /// The path as one line, `Top / Middle / This`.
    pub fn path_text(&self, id: i64) -> String {
        self.path_names(id).join(" / ")
    }

    /// Every category as `(id, path as one line)`, sorted by path (a list to choose from).
    pub fn by_path(&self) -> Vec<(i64, String)> {
        let mut all: Vec<(i64, String)> = self
            .order
            .iter()
            .map(|id| (*id, self.path_text(*id)))
            .collect();
        all.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        all
    }

    /// Every category id in `id` or below it.
    pub fn subtree(&self, id: i64) -> Vec<i64> {
        self.order
            .iter()
            .copied()
            .filter(|c| {
                let mut seen = Vec::new();
                let mut current = Some(*c);
                while let Some(x) = current {
                    if x == id {
                        return true;
                    }
                    if seen.contains(&x) {
                        return false;
                    }
                    seen.push(x);
                    current = self.by_id.get(&x).map(|c| c.parent);
                }
                false
            })
            .collect()
    }

    /// The categories whose idnumber is exactly `idnumber`, in id order.
    pub fn find_by_idnumber(&self, idnumber: &str) -> Vec<i64> {
        self.order
            .iter()
            .copied()
            .filter(|id| self.by_id[id].idnumber.as_deref() == Some(idnumber))
            .collect()
    }

    /// The categories whose path of names is exactly `path`, in id order.
    pub fn find_by_path(&self, path: &[String]) -> Vec<i64> {
        self.order
            .iter()
            .copied()
            .filter(|id| self.path_names(*id) == path)
            .collect()
    }

    /// Finds the categories an operator means by `spec`: an id, an idnumber, or a path of names
    /// separated by ` / ` (a single name is a path of one). Names match exactly.
    pub fn find(&self, spec: &str) -> Vec<i64> {
        if let Ok(id) = spec.trim().parse::<i64>() {
            if self.by_id.contains_key(&id) {
                return vec![id];
            }
        }
        let by_idnumber: Vec<i64> = self
            .order
            .iter()
            .copied()
            .filter(|id| self.by_id[id].idnumber.as_deref() == Some(spec))
            .collect();
        if !by_idnumber.is_empty() {
            return by_idnumber;
        }
        let wanted: Vec<&str> = spec.split(" / ").collect();
        let full: Vec<i64> = self
            .order
            .iter()
            .copied()
            .filter(|id| self.path_names(*id) == wanted)
            .collect();
        if !full.is_empty() || wanted.len() > 1 {
            return full;
        }
        self.order
            .iter()
            .copied()
            .filter(|id| self.by_id[id].name == spec)
            .collect()
    }
}

/// One line of `list`: a training with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingSummary {
    /// `tool_attestoodle_training.id`.
    pub id: i64,
    /// The name (`None` when the database holds NULL).
    pub name: Option<String>,
    /// The category id.
    pub category_id: i64,
    /// Number of milestones, orphans included.
    pub milestones: i64,
    /// How many of them are orphans ([`Orphan`]): a backup leaves them out.
    pub orphan_milestones: i64,
    /// Number of distinct learners.
    pub learners: i64,
    /// The training's template name, when it has one.
    pub template: Option<String>,
}

/// The trainings of a site with the category tree to name their categories.
#[derive(Debug, Clone)]
pub struct TrainingList {
    /// Every category.
    pub categories: CategoryTree,
    /// Every training, in id order.
    pub trainings: Vec<TrainingSummary>,
}

/// A training's name and category, without its counts: what choosing trainings by name or
/// category needs (`save --all`, `clone --from-site`), read without the counting statements,
/// which scan the milestone and learner tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingName {
    /// `tool_attestoodle_training.id`.
    pub id: i64,
    /// The name (`None` when the database holds NULL).
    pub name: Option<String>,
    /// The category id.
    pub category_id: i64,
}

/// The trainings of a site, named, with the category tree to choose them by category.
#[derive(Debug, Clone)]
pub struct TrainingNames {
    /// Every category.
    pub categories: CategoryTree,
    /// Every training, in id order.
    pub trainings: Vec<TrainingName>,
}

/// What is in a category: a training, listed or named.
pub trait InCategory {
    /// The training's category id.
    fn category_id(&self) -> i64;
}

impl InCategory for TrainingSummary {
    fn category_id(&self) -> i64 {
        self.category_id
    }
}

impl InCategory for TrainingName {
    fn category_id(&self) -> i64 {
        self.category_id
    }
}

impl Site {
    /// Reads every training's name and category (no counts), in one read-only transaction and
    /// two statements.
    pub async fn training_names(&self) -> Result<TrainingNames, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let categories = self.read_category_tree(&mut tx).await;
        let rows = tx
            .fetch_all(
                self.render(
                    "SELECT id, name, categoryid FROM {p}tool_attestoodle_training ORDER BY id",
                ),
                Vec::new(),
            )
            .await;
        tx.rollback().await?;
        let (categories, rows) = (categories?, rows?);
        let mut trainings = Vec::with_capacity(rows.len());
        for row in &rows {
            trainings.push(TrainingName {
                id: row.int("id")?,
                name: row.opt_text("name")?,
                category_id: row.int("categoryid")?,
            });
        }
        Ok(TrainingNames {
            categories,
            trainings,
        })
    }

    /// Reads every training with its counts, in one read-only transaction and a fixed number
    /// of statements whatever the number of trainings.
    pub async fn list_trainings(&self) -> Result<TrainingList, Error> {
        self.read_training_list(None).await
    }

    /// Reads training `id` with its counts as [`Site::list_trainings`] gives them (a list of
    /// one, or of none when it does not exist), reading that training's rows only: a
    /// training's page must not cost what the whole site's list costs.
    pub async fn list_training(&self, id: i64) -> Result<TrainingList, Error> {
        self.read_training_list(Some(id)).await
    }

    async fn read_training_list(&self, only: Option<i64>) -> Result<TrainingList, Error> {
        // `only` adds `WHERE <column> = ?` to each statement, the column naming the training.
        let only_where = |column: &str| match only {
            Some(_) => format!(" WHERE {column} = ?"),
            None => String::new(),
        };
        let params = || only.map(Param::Int).into_iter().collect::<Vec<_>>();
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let categories = self.read_category_tree(&mut tx).await?;
        let training_rows = tx
            .fetch_all(
                self.render(&format!(
                    "SELECT id, name, categoryid FROM {{p}}tool_attestoodle_training{} ORDER BY id",
                    only_where("id")
                )),
                params(),
            )
            .await?;
        // Per training, the milestones counted by what still exists of their activity, so
        // that [`Orphan::check`] decides which are orphans.
        let milestone_rows = tx
            .fetch_all(
                self.render(&format!(
                    "SELECT m.trainingid, \
                     CASE WHEN cm.id IS NULL THEN 0 ELSE 1 END AS has_activity, \
                     CASE WHEN c.id IS NULL THEN 0 ELSE 1 END AS has_course, \
                     CASE WHEN md.id IS NULL THEN 0 ELSE 1 END AS has_type, \
                     COUNT(*) AS n \
                     FROM {{p}}tool_attestoodle_milestone m \
                     LEFT JOIN {{p}}course_modules cm ON cm.id = m.moduleid \
                     LEFT JOIN {{p}}course c ON c.id = cm.course \
                     LEFT JOIN {{p}}modules md ON md.id = cm.module{} \
                     GROUP BY m.trainingid, \
                     CASE WHEN cm.id IS NULL THEN 0 ELSE 1 END, \
                     CASE WHEN c.id IS NULL THEN 0 ELSE 1 END, \
                     CASE WHEN md.id IS NULL THEN 0 ELSE 1 END",
                    only_where("m.trainingid")
                )),
                params(),
            )
            .await?;
        let learner_rows = tx
            .fetch_all(
                self.render(&format!(
                    "SELECT trainingid, COUNT(DISTINCT userid) AS n \
                     FROM {{p}}tool_attestoodle_learner{} GROUP BY trainingid",
                    only_where("trainingid")
                )),
                params(),
            )
            .await?;
        let template_rows = tx
            .fetch_all(
                self.render(&format!(
                    "SELECT s.trainingid, t.name FROM {{p}}tool_attestoodle_train_style s \
                     JOIN {{p}}tool_attestoodle_template t ON t.id = s.templateid{} \
                     ORDER BY s.id",
                    only_where("s.trainingid")
                )),
                params(),
            )
            .await?;
        tx.rollback().await?;

        let counts = |rows: &[super::Row]| -> Result<HashMap<i64, i64>, Error> {
            let mut map = HashMap::new();
            for row in rows {
                if let Some(training) = row.opt_int("trainingid")? {
                    map.insert(training, row.int("n")?);
                }
            }
            Ok(map)
        };
        let mut milestones: HashMap<i64, i64> = HashMap::new();
        let mut orphans: HashMap<i64, i64> = HashMap::new();
        for row in &milestone_rows {
            let Some(training) = row.opt_int("trainingid")? else {
                continue;
            };
            let n = row.int("n")?;
            *milestones.entry(training).or_default() += n;
            let activity = (row.int("has_activity")? != 0).then_some(());
            let facts = match activity {
                None => None,
                // The course id only names the course in a save's warning.
                Some(()) => Some((0, row.int("has_course")? != 0, row.int("has_type")? != 0)),
            };
            if Orphan::check(facts).is_some() {
                *orphans.entry(training).or_default() += n;
            }
        }
        let learners = counts(&learner_rows)?;
        let mut templates: HashMap<i64, String> = HashMap::new();
        for row in &template_rows {
            // The first train_style row in id order wins (docs/decisions.md §8).
            templates
                .entry(row.int("trainingid")?)
                .or_insert(row.text("name")?);
        }
        let mut trainings = Vec::with_capacity(training_rows.len());
        for row in &training_rows {
            let id = row.int("id")?;
            trainings.push(TrainingSummary {
                id,
                name: row.opt_text("name")?,
                category_id: row.int("categoryid")?,
                milestones: milestones.get(&id).copied().unwrap_or(0),
                orphan_milestones: orphans.get(&id).copied().unwrap_or(0),
                learners: learners.get(&id).copied().unwrap_or(0),
                template: templates.get(&id).cloned(),
            });
        }
        Ok(TrainingList {
            categories,
            trainings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> CategoryTree {
        let c = |id, name: &str, idnumber: Option<&str>, parent| Category {
            id,
            name: name.to_owned(),
            idnumber: idnumber.map(str::to_owned),
            parent,
        };
        CategoryTree::new(vec![
            c(1, "Université", Some("U"), 0),
            c(2, "Sciences", Some("U-SCI"), 1),
            c(3, "Chimie", None, 2),
            c(4, "Formation continue", None, 0),
            c(5, "Chimie", None, 4),
        ])
    }

    #[test]
    fn category_paths_are_named_from_the_top() {
        assert_eq!(tree().path_text(3), "Université / Sciences / Chimie");
        assert!(tree().path_names(99).is_empty());
    }

    #[test]
    fn a_category_is_found_by_id_idnumber_or_path() {
        let t = tree();
        assert_eq!(t.find("2"), vec![2]);
        assert_eq!(t.find("U-SCI"), vec![2]);
        assert_eq!(t.find("Université / Sciences / Chimie"), vec![3]);
        assert_eq!(t.find("Chimie"), vec![3, 5], "a bare name can be ambiguous");
        assert!(t.find("chimie").is_empty(), "names match exactly");
    }

    #[test]
    fn a_subtree_holds_the_category_and_its_descendants() {
        assert_eq!(tree().subtree(1), vec![1, 2, 3]);
        assert_eq!(tree().subtree(4), vec![4, 5]);
    }
}

/// The learners of one training as its web page lists them ([`Site::learner_page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerPage {
    /// The learner rows shown, by name; each with its account, `None` when the account no
    /// longer exists.
    pub learners: Vec<(i64, Option<UserRow>)>,
    /// How many learner rows the training has.
    pub rows: i64,
    /// How many of them a backup leaves out because the account is deleted or gone.
    pub gone: i64,
    /// How many of them repeat a learner already listed (a backup keeps one).
    pub repeated: i64,
}

impl Site {
    /// The learners of training `id`, by name (first name, last name, email, in the
    /// database's own order: the site's collation), at most `limit` of them, accounts that
    /// no longer exist last; with the counts the page says. Two statements whatever the
    /// number of learners, and only `limit` rows read: a training's page must not read its
    /// 10,000 learners to list 100 (issue 16, the web server under load).
    pub async fn learner_page(&self, id: i64, limit: Option<usize>) -> Result<LearnerPage, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let counts = tx
            .fetch_all(
                self.render(
                    "SELECT COUNT(*) AS n, COUNT(DISTINCT l.userid) AS users, \
                     COUNT(CASE WHEN u.id IS NULL OR u.deleted <> 0 THEN 1 END) AS gone \
                     FROM {p}tool_attestoodle_learner l \
                     LEFT JOIN {p}user u ON u.id = l.userid WHERE l.trainingid = ?",
                ),
                vec![Param::Int(id)],
            )
            .await?;
        let mut params = vec![Param::Int(id)];
        let limit_clause = match limit {
            Some(n) => {
                params.push(Param::Int(i64::try_from(n).unwrap_or(i64::MAX)));
                " LIMIT ?"
            }
            None => "",
        };
        let mut learners = Vec::new();
        tx.fetch_each(
            self.render(&format!(
                "SELECT l.userid, {USER_COLUMNS} FROM {{p}}tool_attestoodle_learner l \
                 LEFT JOIN {{p}}user u ON u.id = l.userid WHERE l.trainingid = ? \
                 ORDER BY CASE WHEN u.id IS NULL THEN 1 ELSE 0 END, \
                 u.firstname, u.lastname, u.email, l.id{limit_clause}"
            )),
            params,
            |row| {
                learners.push((row.int("userid")?, UserRow::read(&row)?));
                Ok(())
            },
        )
        .await?;
        tx.rollback().await?;
        let (rows, users, gone) = match counts.first() {
            Some(row) => (row.int("n")?, row.int("users")?, row.int("gone")?),
            None => (0, 0, 0),
        };
        Ok(LearnerPage {
            learners,
            rows,
            gone,
            repeated: rows - users,
        })
    }
}
