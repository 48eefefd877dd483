//! A Moodle-shaped schema for the demo site and the tests: the core tables the tool touches and
//! every Attestoodle table, with Moodle's real column names, types and nullability per backend
//! (`docs/moodle-tables.md` §1, §2 and §6).
//!
//! Architecture invariant: the tool never creates tables on a real site. [`create_schema`]
//! refuses a database that already has a Moodle table under the prefix.

use super::sql::{Param, Sql, Tx};
use super::{Backend, Error, Site, Target, TxMode};

/// The kind of an XMLDB column.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `int(N)`: the number of digits decides the SQL type.
    Int(u8),
    /// `char(N)`.
    Char(u16),
    /// `text`.
    Text,
}

/// An XMLDB column: kind, NOT NULL, default.
#[derive(Debug, Clone, Copy)]
struct Column {
    name: &'static str,
    kind: Kind,
    not_null: bool,
    default: Option<Default>,
}

#[derive(Debug, Clone, Copy)]
enum Default {
    Int(i64),
    Text(&'static str),
}

const fn int(name: &'static str, digits: u8) -> Column {
    Column {
        name,
        kind: Kind::Int(digits),
        not_null: false,
        default: None,
    }
}

const fn char(name: &'static str, len: u16) -> Column {
    Column {
        name,
        kind: Kind::Char(len),
        not_null: false,
        default: None,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        not_null: false,
        default: None,
    }
}

impl Column {
    const fn nn(mut self) -> Column {
        self.not_null = true;
        self
    }

    const fn d(mut self, value: i64) -> Column {
        self.default = Some(Default::Int(value));
        self
    }

    const fn ds(mut self, value: &'static str) -> Column {
        self.default = Some(Default::Text(value));
        self
    }
}

struct Table {
    name: &'static str,
    columns: &'static [Column],
    unique: &'static [&'static [&'static str]],
}

/// The tables, each with its columns in the order of a fresh install.
const TABLES: &[Table] = &[
    Table {
        name: "config",
        columns: &[char("name", 255).nn(), text("value").nn()],
        unique: &[&["name"]],
    },
    Table {
        name: "config_plugins",
        columns: &[
            char("plugin", 100).nn().ds("core"),
            char("name", 100).nn(),
            text("value").nn(),
        ],
        unique: &[&["plugin", "name"]],
    },
    Table {
        name: "course_categories",
        columns: &[
            char("name", 255).nn(),
            char("idnumber", 100),
            text("description"),
            int("descriptionformat", 2).nn().d(0),
            int("parent", 10).nn().d(0),
            int("sortorder", 10).nn().d(0),
            int("coursecount", 10).nn().d(0),
            int("visible", 1).nn().d(1),
            int("visibleold", 1).nn().d(1),
            int("timemodified", 10).nn().d(0),
            int("depth", 10).nn().d(0),
            char("path", 255).nn(),
            char("theme", 50),
        ],
        unique: &[],
    },
    Table {
        name: "course",
        columns: &[
            int("category", 10).nn().d(0),
            int("sortorder", 10).nn().d(0),
            char("fullname", 254).nn(),
            char("shortname", 255).nn(),
            char("idnumber", 100).nn(),
            text("summary"),
            int("summaryformat", 2).nn().d(0),
            char("format", 21).nn().ds("topics"),
            int("showgrades", 2).nn().d(1),
            int("newsitems", 5).nn().d(1),
            int("startdate", 10).nn().d(0),
            int("enddate", 10).nn().d(0),
            int("relativedatesmode", 1).nn().d(0),
            int("marker", 10).nn().d(0),
            int("maxbytes", 10).nn().d(0),
            int("legacyfiles", 4).nn().d(0),
            int("showreports", 4).nn().d(0),
            int("visible", 1).nn().d(1),
            int("visibleold", 1).nn().d(1),
            int("downloadcontent", 1),
            int("groupmode", 4).nn().d(0),
            int("groupmodeforce", 4).nn().d(0),
            int("defaultgroupingid", 10).nn().d(0),
            char("lang", 30).nn(),
            char("calendartype", 30).nn(),
            char("theme", 50).nn(),
            int("timecreated", 10).nn().d(0),
            int("timemodified", 10).nn().d(0),
            int("requested", 1).nn().d(0),
            int("enablecompletion", 1).nn().d(0),
            int("completionnotify", 1).nn().d(0),
            int("cacherev", 10).nn().d(0),
            int("originalcourseid", 10),
            int("showactivitydates", 1).nn().d(0),
            int("showcompletionconditions", 1),
            char("pdfexportfont", 50),
        ],
        unique: &[],
    },
    Table {
        name: "course_sections",
        columns: &[
            int("course", 10).nn().d(0),
            int("section", 10).nn().d(0),
            char("name", 255),
            text("summary"),
            int("summaryformat", 2).nn().d(0),
            text("sequence"),
            int("visible", 1).nn().d(1),
            text("availability"),
            int("timemodified", 10).nn().d(0),
            char("component", 100),
            int("itemid", 10),
        ],
        unique: &[&["course", "section"]],
    },
    Table {
        name: "modules",
        columns: &[
            char("name", 20).nn(),
            int("cron", 10).nn().d(0),
            int("lastcron", 10).nn().d(0),
            char("search", 255).nn(),
            int("visible", 1).nn().d(1),
        ],
        unique: &[],
    },
    Table {
        name: "course_modules",
        columns: &[
            int("course", 10).nn().d(0),
            int("module", 10).nn().d(0),
            int("instance", 10).nn().d(0),
            int("section", 10).nn().d(0),
            char("idnumber", 100),
            int("added", 10).nn().d(0),
            int("score", 4).nn().d(0),
            int("indent", 5).nn().d(0),
            int("visible", 1).nn().d(1),
            int("visibleoncoursepage", 1).nn().d(1),
            int("visibleold", 1).nn().d(1),
            int("groupmode", 4).nn().d(0),
            int("groupingid", 10).nn().d(0),
            int("completion", 1).nn().d(0),
            int("completiongradeitemnumber", 10),
            int("completionview", 1).nn().d(0),
            int("completionexpected", 10).nn().d(0),
            int("completionpassgrade", 1).nn().d(0),
            int("showdescription", 1).nn().d(0),
            text("availability"),
            int("deletioninprogress", 1).nn().d(0),
            int("downloadcontent", 1).d(1),
            char("lang", 30),
        ],
        unique: &[],
    },
    Table {
        name: "page",
        columns: &[
            int("course", 10).nn().d(0),
            char("name", 255).nn(),
            text("intro"),
            int("introformat", 4).nn().d(0),
            text("content"),
            int("contentformat", 4).nn().d(0),
            int("revision", 10).nn().d(0),
            int("timemodified", 10).nn().d(0),
        ],
        unique: &[],
    },
    Table {
        name: "quiz",
        columns: &[
            int("course", 10).nn().d(0),
            char("name", 255).nn(),
            text("intro").nn(),
            int("introformat", 4).nn().d(0),
            int("timeopen", 10).nn().d(0),
            int("timeclose", 10).nn().d(0),
            int("timelimit", 10).nn().d(0),
            int("attempts", 6).nn().d(0),
            int("timecreated", 10).nn().d(0),
            int("timemodified", 10).nn().d(0),
        ],
        unique: &[],
    },
    Table {
        name: "assign",
        columns: &[
            int("course", 10).nn().d(0),
            char("name", 255).nn(),
            text("intro").nn(),
            int("introformat", 4).nn().d(0),
            int("duedate", 10).nn().d(0),
            int("allowsubmissionsfromdate", 10).nn().d(0),
            int("grade", 10).nn().d(0),
            int("timemodified", 10).nn().d(0),
        ],
        unique: &[],
    },
    Table {
        name: "url",
        columns: &[
            int("course", 10).nn().d(0),
            char("name", 255).nn(),
            text("intro"),
            int("introformat", 4).nn().d(0),
            text("externalurl").nn(),
            int("display", 4).nn().d(0),
            int("timemodified", 10).nn().d(0),
        ],
        unique: &[],
    },
    Table {
        name: "subsection",
        columns: &[
            int("course", 10).nn(),
            char("name", 255).nn(),
            int("timemodified", 10).nn(),
        ],
        unique: &[],
    },
    // Moodle 5.1's sessions table, as the real site's dump has it (tests/real-moodle/).
    Table {
        name: "sessions",
        columns: &[
            int("state", 10).nn().d(0),
            char("sid", 128).nn().ds(""),
            int("userid", 10).nn(),
            text("sessdata"),
            int("timecreated", 10).nn(),
            int("timemodified", 10).nn(),
            char("firstip", 45),
            char("lastip", 45),
        ],
        unique: &[&["sid"]],
    },
    Table {
        name: "user",
        columns: &[
            char("auth", 20).nn().ds("manual"),
            int("confirmed", 1).nn().d(0),
            int("policyagreed", 1).nn().d(0),
            int("deleted", 1).nn().d(0),
            int("suspended", 1).nn().d(0),
            int("mnethostid", 10).nn().d(0),
            char("username", 100).nn(),
            char("password", 255).nn(),
            char("idnumber", 255).nn(),
            char("firstname", 100).nn(),
            char("lastname", 100).nn(),
            char("email", 100).nn(),
            int("emailstop", 1).nn().d(0),
            char("phone1", 20).nn(),
            char("phone2", 20).nn(),
            char("institution", 255).nn(),
            char("department", 255).nn(),
            char("address", 255).nn(),
            char("city", 120).nn(),
            char("country", 2).nn(),
            char("lang", 30).nn().ds("en"),
            char("calendartype", 30).nn().ds("gregorian"),
            char("theme", 50).nn(),
            char("timezone", 100).nn().ds("99"),
            int("firstaccess", 10).nn().d(0),
            int("lastaccess", 10).nn().d(0),
            int("lastlogin", 10).nn().d(0),
            int("currentlogin", 10).nn().d(0),
            char("lastip", 45).nn(),
            char("secret", 15).nn(),
            int("picture", 10).nn().d(0),
            text("description"),
            int("descriptionformat", 2).nn().d(1),
            int("mailformat", 1).nn().d(1),
            int("maildigest", 1).nn().d(0),
            int("maildisplay", 2).nn().d(2),
            int("autosubscribe", 1).nn().d(1),
            int("trackforums", 1).nn().d(0),
            int("timecreated", 10).nn().d(0),
            int("timemodified", 10).nn().d(0),
            int("trustbitmask", 10).nn().d(0),
            char("imagealt", 255),
            char("lastnamephonetic", 255),
            char("firstnamephonetic", 255),
            char("middlename", 255),
            char("alternatename", 255),
            char("moodlenetprofile", 255),
        ],
        unique: &[&["mnethostid", "username"]],
    },
    Table {
        name: "context",
        columns: &[
            int("contextlevel", 10).nn().d(0),
            int("instanceid", 10).nn().d(0),
            char("path", 255),
            int("depth", 2).nn().d(0),
            int("locked", 2).nn().d(0),
        ],
        unique: &[&["contextlevel", "instanceid"]],
    },
    Table {
        name: "files",
        columns: &[
            char("contenthash", 40).nn(),
            char("pathnamehash", 40).nn(),
            int("contextid", 10).nn(),
            char("component", 100).nn(),
            char("filearea", 50).nn(),
            int("itemid", 10).nn(),
            char("filepath", 255).nn(),
            char("filename", 255).nn(),
            int("userid", 10),
            int("filesize", 10).nn(),
            char("mimetype", 100),
            int("status", 10).nn().d(0),
            text("source"),
            char("author", 255),
            char("license", 255),
            int("timecreated", 10).nn(),
            int("timemodified", 10).nn(),
            int("sortorder", 10).nn().d(0),
            int("referencefileid", 10),
        ],
        unique: &[&["pathnamehash"]],
    },
    // Attestoodle (docs/moodle-tables.md §6), fresh-install column order.
    Table {
        name: "tool_attestoodle_training",
        columns: &[
            char("name", 255),
            int("categoryid", 10).nn(),
            int("startdate", 10).nn(),
            int("enddate", 10),
            int("checklearner", 10),
            int("duration", 10),
            int("nbautolaunch", 4),
            int("nextlaunch", 10),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_milestone",
        columns: &[
            int("creditedtime", 10).nn(),
            int("moduleid", 10).nn(),
            int("trainingid", 10),
            int("timemodified", 10),
            int("course", 10),
            char("name", 255),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_train_style",
        columns: &[
            int("trainingid", 10).nn(),
            int("templateid", 10).nn(),
            char("grpcriteria1", 35),
            char("grpcriteria2", 35),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_template",
        columns: &[
            char("name", 35).nn(),
            int("timecreated", 10).nn(),
            int("userid", 10).nn(),
            int("timemodified", 10),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_tpl_detail",
        columns: &[
            int("templateid", 10).nn(),
            char("type", 35).nn(),
            text("data").nn(),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_learner",
        columns: &[
            int("userid", 10).nn(),
            int("trainingid", 10).nn(),
            int("categoryid", 10).nn(),
            int("selected", 1),
            int("predelete", 1),
            char("resultcriteria", 127),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_user_style",
        columns: &[
            int("userid", 10).nn(),
            int("trainingid", 10).nn(),
            int("templateid", 10).nn(),
            char("grpcriteria1", 35),
            char("grpcriteria2", 35),
            int("enablecertificate", 1),
            char("withdateformat", 127),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_launch_log",
        columns: &[
            int("timegenerated", 10).nn(),
            char("begindate", 10).nn(),
            char("enddate", 10).nn(),
            text("comment"),
            int("operatorid", 10).nn(),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_certif_log",
        columns: &[
            char("status", 11).nn(),
            char("filename", 255),
            int("trainingid", 10).nn(),
            int("learnerid", 10).nn(),
            int("launchid", 10).nn(),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_value_log",
        columns: &[
            int("creditedtime", 10).nn(),
            int("certificateid", 10).nn(),
            int("moduleid", 10).nn(),
        ],
        unique: &[],
    },
    Table {
        name: "tool_attestoodle_tmp",
        columns: &[
            int("trainingid", 10).nn(),
            text("fileinfo").nn(),
            text("pdfinfo").nn(),
            int("learnerid", 10),
        ],
        unique: &[],
    },
    Table {
        name: "tool_taskattestoodle",
        columns: &[
            int("trainingid", 10),
            int("executiondate", 10).nn(),
            int("beginperiod", 10).nn(),
            int("endperiod", 10).nn(),
            char("mailto", 255),
            int("operatorid", 10).nn().d(0),
            int("auto", 1),
            int("togenerate", 1),
        ],
        unique: &[],
    },
];

/// The SQL type of a column, by Moodle's XMLDB generators (`docs/moodle-tables.md` §2).
fn sql_type(backend: Backend, kind: Kind) -> String {
    match (backend, kind) {
        (Backend::Postgres, Kind::Int(n)) if n > 9 => "BIGINT".to_owned(),
        (Backend::Postgres, Kind::Int(n)) if n >= 5 => "INTEGER".to_owned(),
        (Backend::Postgres, Kind::Int(_)) => "SMALLINT".to_owned(),
        (Backend::MySql, Kind::Int(n)) if n > 9 => format!("BIGINT({n})"),
        (Backend::MySql, Kind::Int(n)) if n >= 7 => format!("INT({n})"),
        (Backend::MySql, Kind::Int(n)) if n >= 5 => format!("MEDIUMINT({n})"),
        (Backend::MySql, Kind::Int(n)) if n >= 3 => format!("SMALLINT({n})"),
        (Backend::MySql, Kind::Int(n)) => format!("TINYINT({n})"),
        (Backend::Sqlite, Kind::Int(_)) => "INTEGER".to_owned(),
        (_, Kind::Char(n)) => format!("VARCHAR({n})"),
        (Backend::MySql, Kind::Text) => "LONGTEXT".to_owned(),
        (_, Kind::Text) => "TEXT".to_owned(),
    }
}

/// Moodle's own indexes (not unique) on what the tool looks up, as a Moodle 5.1 site has them
/// (its schema: `../shared/real-moodle`; docs/moodle-tables.md): without them the generated
/// sites of the tests and benches would scan tables a real site reads by index — course
/// modules by course, accounts by email.
const INDEXES: &[(&str, &[&str])] = &[
    ("course_categories", &["parent"]),
    ("course", &["category"]),
    ("course", &["shortname"]),
    ("course", &["idnumber"]),
    ("modules", &["name"]),
    ("course_modules", &["course"]),
    ("course_modules", &["instance"]),
    ("course_modules", &["module"]),
    ("page", &["course"]),
    ("quiz", &["course"]),
    ("assign", &["course"]),
    ("subsection", &["course"]),
    ("sessions", &["userid"]),
    ("user", &["deleted"]),
    ("user", &["email"]),
    ("context", &["instanceid"]),
    ("files", &["component", "filearea", "contextid", "itemid"]),
    ("files", &["contenthash"]),
    ("tool_attestoodle_training", &["categoryid"]),
    ("tool_attestoodle_milestone", &["moduleid"]),
];

/// The `CREATE TABLE` and `CREATE INDEX` statements of the schema for a backend and prefix.
pub fn schema_statements(backend: Backend, prefix: &str) -> Vec<String> {
    let mut statements = Vec::new();
    for table in TABLES {
        let mut columns = vec![match backend {
            Backend::Postgres => "id BIGSERIAL PRIMARY KEY".to_owned(),
            Backend::MySql => "id BIGINT(10) NOT NULL AUTO_INCREMENT".to_owned(),
            Backend::Sqlite => "id INTEGER PRIMARY KEY AUTOINCREMENT".to_owned(),
        }];
        for column in table.columns {
            let mut definition = format!("{} {}", column.name, sql_type(backend, column.kind));
            if column.not_null {
                definition.push_str(" NOT NULL");
            }
            // Moodle's generators give NOT NULL char columns without a default a '' default.
            let default = match (column.default, column.kind, column.not_null) {
                (Some(Default::Int(v)), _, _) => Some(v.to_string()),
                (Some(Default::Text(v)), _, _) => Some(format!("'{v}'")),
                (None, Kind::Char(_), true) => Some("''".to_owned()),
                _ => None,
            };
            if let Some(default) = default {
                definition.push_str(" DEFAULT ");
                definition.push_str(&default);
            }
            columns.push(definition);
        }
        if backend == Backend::MySql {
            columns.push("PRIMARY KEY (id)".to_owned());
        }
        let options = if backend == Backend::MySql {
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC"
        } else {
            ""
        };
        statements.push(format!(
            "CREATE TABLE {prefix}{} ({}){options}",
            table.name,
            columns.join(", ")
        ));
        for (i, unique) in table.unique.iter().enumerate() {
            statements.push(format!(
                "CREATE UNIQUE INDEX {prefix}{}_uix{i} ON {prefix}{} ({})",
                table.name,
                table.name,
                unique.join(", ")
            ));
        }
        let indexes = INDEXES.iter().filter(|(name, _)| *name == table.name);
        for (i, (_, columns)) in indexes.enumerate() {
            statements.push(format!(
                "CREATE INDEX {prefix}{}_ix{i} ON {prefix}{} ({})",
                table.name,
                table.name,
                columns.join(", ")
            ));
        }
    }
    statements
}

/// Creates the Moodle-shaped schema in an empty database, in one transaction where the
/// database allows it.
///
/// Refuses when a `course` or `config` table already exists under the prefix: this is for the
/// demo and for tests, never for a real site.
pub async fn create_schema(site: &Site) -> Result<(), Error> {
    let tables = site.table_names().await?;
    let prefix = site.prefix().to_owned();
    if tables
        .iter()
        .any(|t| *t == format!("{prefix}course") || *t == format!("{prefix}config"))
    {
        return Err(Error::NotADemoSite {
            path: site.target().description.clone().into(),
        });
    }
    let mut tx = site.begin(TxMode::ReadWrite).await?;
    for statement in schema_statements(site.backend(), &prefix) {
        tx.execute(statement, vec![]).await?;
    }
    tx.commit().await
}

/// Writes rows into a fixture site, in one transaction.
pub struct Writer<'a> {
    site: &'a Site,
    tx: Tx,
}

impl<'a> Writer<'a> {
    /// Opens the write transaction.
    pub async fn begin(site: &'a Site) -> Result<Writer<'a>, Error> {
        Ok(Writer {
            site,
            tx: site.begin(TxMode::ReadWrite).await?,
        })
    }

    /// Inserts a row into a table of the schema and gives its id.
    ///
    /// Table and column names come from this crate's own code, never from input; an unknown
    /// table or column is refused before any SQL is built.
    pub async fn insert(&mut self, table: &str, values: &[(&str, Param)]) -> Result<i64, Error> {
        let known = TABLES
            .iter()
            .find(|t| t.name == table)
            .ok_or_else(|| Error::Decode {
                column: table.to_owned(),
                problem: "not a table of the fixture schema".to_owned(),
            })?;
        for (column, _) in values {
            if !known.columns.iter().any(|c| c.name == *column) {
                return Err(Error::Decode {
                    column: format!("{table}.{column}"),
                    problem: "not a column of the fixture schema".to_owned(),
                });
            }
        }
        let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
        let marks = vec!["?"; values.len()].join(", ");
        let sql = format!(
            "INSERT INTO {{p}}{table} ({}) VALUES ({marks})",
            columns.join(", ")
        );
        let rendered = Sql(&sql).render(self.site.backend(), self.site.prefix());
        let params = values.iter().map(|(_, p)| p.clone()).collect();
        self.tx.insert(rendered, params).await
    }

    /// Sets one column of one row (to fill sequences once the modules exist).
    pub async fn update(
        &mut self,
        table: &str,
        id: i64,
        column: &str,
        value: Param,
    ) -> Result<(), Error> {
        let known = TABLES
            .iter()
            .find(|t| t.name == table)
            .is_some_and(|t| t.columns.iter().any(|c| c.name == column));
        if !known {
            return Err(Error::Decode {
                column: format!("{table}.{column}"),
                problem: "not a column of the fixture schema".to_owned(),
            });
        }
        let sql = format!("UPDATE {{p}}{table} SET {column} = ? WHERE id = ?");
        let rendered = Sql(&sql).render(self.site.backend(), self.site.prefix());
        self.tx
            .execute(rendered, vec![value, Param::Int(id)])
            .await?;
        Ok(())
    }

    /// Deletes the rows of a table whose `column` equals `value` (tests that delete a course,
    /// its sections and modules, as Moodle would).
    pub async fn delete_where(
        &mut self,
        table: &str,
        column: &str,
        value: Param,
    ) -> Result<u64, Error> {
        let known = TABLES
            .iter()
            .find(|t| t.name == table)
            .is_some_and(|t| column == "id" || t.columns.iter().any(|c| c.name == column));
        if !known {
            return Err(Error::Decode {
                column: format!("{table}.{column}"),
                problem: "not a column of the fixture schema".to_owned(),
            });
        }
        let sql = format!("DELETE FROM {{p}}{table} WHERE {column} = ?");
        let rendered = Sql(&sql).render(self.site.backend(), self.site.prefix());
        self.tx.execute(rendered, vec![value]).await
    }

    /// Commits every row written.
    pub async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await
    }
}

/// The Moodle core rows of the demo site, one function per table: the demo (`src/demo.rs`)
/// says what it writes and this module says where, so that no module outside `moodle` names a
/// Moodle table (`tests/tidy.rs`). The Attestoodle rows go through
/// [`RestoreTx`](super::RestoreTx), as a restore writes them.
impl Writer<'_> {
    /// A `config` setting.
    pub async fn insert_config(&mut self, name: &str, value: &str) -> Result<i64, Error> {
        self.insert("config", &[("name", name.into()), ("value", value.into())])
            .await
    }

    /// The installed version of a plugin (`config_plugins`).
    pub async fn insert_plugin_version(
        &mut self,
        plugin: &str,
        version: &str,
    ) -> Result<i64, Error> {
        self.insert(
            "config_plugins",
            &[
                ("plugin", plugin.into()),
                ("name", "version".into()),
                ("value", version.into()),
            ],
        )
        .await
    }

    /// A `context` row.
    pub async fn insert_context(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("context", values).await
    }

    /// Sets the `path` of a context (its id is known only once it is written).
    pub async fn set_context_path(&mut self, id: i64, path: &str) -> Result<(), Error> {
        self.update("context", id, "path", path.into()).await
    }

    /// A course category (`course_categories`).
    pub async fn insert_category(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("course_categories", values).await
    }

    /// Sets the `path` of ids of a category.
    pub async fn set_category_path(&mut self, id: i64, path: &str) -> Result<(), Error> {
        self.update("course_categories", id, "path", path.into())
            .await
    }

    /// A `course` row.
    pub async fn insert_course(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("course", values).await
    }

    /// An activity type (`modules`).
    pub async fn insert_module_type(&mut self, name: &str) -> Result<i64, Error> {
        self.insert("modules", &[("name", name.into()), ("search", "".into())])
            .await
    }

    /// A course section (`course_sections`).
    pub async fn insert_section(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("course_sections", values).await
    }

    /// Sets a section's `sequence`: its course modules, in order, separated by commas.
    pub async fn set_section_sequence(&mut self, id: i64, cms: &[i64]) -> Result<(), Error> {
        let sequence = cms.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        self.update("course_sections", id, "sequence", sequence.into())
            .await
    }

    /// An activity instance in the table of its type (`page`, `quiz`, `subsection`...).
    pub async fn insert_activity(
        &mut self,
        kind: &str,
        values: &[(&str, Param)],
    ) -> Result<i64, Error> {
        self.insert(kind, values).await
    }

    /// A course module (`course_modules`).
    pub async fn insert_course_module(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("course_modules", values).await
    }

    /// A `user` row.
    pub async fn insert_user(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("user", values).await
    }

    /// A Moodle session (`sessions`).
    pub async fn insert_session(&mut self, values: &[(&str, Param)]) -> Result<i64, Error> {
        self.insert("sessions", values).await
    }
}

/// Whether the site has Moodle's `sessions` table (a demo site made by an older version has
/// none).
pub async fn has_sessions_table(site: &Site) -> Result<bool, Error> {
    let sessions = format!("{}sessions", site.prefix());
    Ok(site.table_names().await?.contains(&sessions))
}

/// Creates an empty database `name` on the server of `server_url` (tests and benchmarks) and
/// gives the URL of the new database.
///
/// `name` must be lower-case letters, digits and `_`: it is written into the statement, which
/// cannot bind a database name.
pub async fn create_database(server_url: &str, name: &str) -> Result<String, Error> {
    let (connect, url) = server_statement_target(server_url, name)?;
    let statement = match connect.backend() {
        Backend::Postgres => format!("CREATE DATABASE {name} ENCODING 'UTF8'"),
        Backend::MySql => format!(
            "CREATE DATABASE {name} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ),
        Backend::Sqlite => return Ok(url),
    };
    run_on_server(&connect, server_url, statement).await?;
    Ok(url)
}

/// Drops a database made by [`create_database`].
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), Error> {
    let (connect, _) = server_statement_target(server_url, name)?;
    let statement = match connect.backend() {
        Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        Backend::MySql => {
            end_other_sessions(&connect, name).await?;
            format!("DROP DATABASE IF EXISTS {name}")
        }
        Backend::Sqlite => return Ok(()),
    };
    run_on_server(&connect, server_url, statement).await
}

/// Ends the MySQL sessions still using database `name`, as PostgreSQL's `WITH (FORCE)` does: a
/// test that failed may leave a transaction open on it, whose locks the drop would wait for.
async fn end_other_sessions(server: &Target, name: &str) -> Result<(), Error> {
    let site = Site::connect(server).await?;
    let result = async {
        let mut tx = site.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                "SELECT id FROM information_schema.PROCESSLIST \
                 WHERE db = ? AND id <> CONNECTION_ID()"
                    .to_owned(),
                vec![name.into()],
            )
            .await?;
        tx.rollback().await?;
        for row in rows {
            // An id the server gave, not input; a session that ended meanwhile is no error.
            let id = row.int("id")?;
            let _ = site.execute_outside_transaction(format!("KILL {id}")).await;
        }
        Ok(())
    }
    .await;
    site.close().await;
    result
}

fn server_statement_target(server_url: &str, name: &str) -> Result<(Target, String), Error> {
    let valid = super::rules::is_plain_name(name);
    let bad = || Error::BadUrl {
        url: super::redact_url(server_url),
    };
    if !valid {
        return Err(bad());
    }
    let (scheme, rest) = server_url.split_once("://").ok_or_else(bad)?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{scheme}://{authority}/{name}{query}");
    let target = Target::url(server_url, super::DEFAULT_PREFIX, std::path::Path::new("."))?;
    Ok((target, url))
}

async fn run_on_server(target: &Target, server_url: &str, statement: String) -> Result<(), Error> {
    let site = Site::connect(target).await?;
    // CREATE/DROP DATABASE cannot run inside a transaction on PostgreSQL.
    let result = site.execute_outside_transaction(statement).await;
    site.close().await;
    result.map_err(|e| match e {
        Error::Query {
            statement, source, ..
        } => Error::Query {
            address: super::redact_url(server_url),
            statement,
            source,
        },
        other => other,
    })
}

/// The values of an integer column of a fixture table, in id order (tests check that every
/// integer width decodes on every backend).
pub async fn int_column(site: &Site, table: &str, column: &str) -> Result<Vec<Option<i64>>, Error> {
    let known = TABLES
        .iter()
        .find(|t| t.name == table)
        .is_some_and(|t| column == "id" || t.columns.iter().any(|c| c.name == column));
    if !known {
        return Err(Error::Decode {
            column: format!("{table}.{column}"),
            problem: "not a column of the fixture schema".to_owned(),
        });
    }
    let sql = format!("SELECT {column} AS v FROM {{p}}{table} ORDER BY id");
    let mut tx = site.begin(TxMode::ReadOnly).await?;
    let rows = tx
        .fetch_all(Sql(&sql).render(site.backend(), site.prefix()), vec![])
        .await?;
    tx.rollback().await?;
    rows.iter().map(|r| r.opt_int("v")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_widths_follow_moodles_generators() {
        assert_eq!(sql_type(Backend::MySql, Kind::Int(1)), "TINYINT(1)");
        assert_eq!(sql_type(Backend::MySql, Kind::Int(5)), "MEDIUMINT(5)");
        assert_eq!(sql_type(Backend::MySql, Kind::Int(10)), "BIGINT(10)");
        assert_eq!(sql_type(Backend::Postgres, Kind::Int(1)), "SMALLINT");
        assert_eq!(sql_type(Backend::Postgres, Kind::Int(6)), "INTEGER");
        assert_eq!(sql_type(Backend::Postgres, Kind::Int(10)), "BIGINT");
    }

    #[test]
    fn not_null_char_columns_get_an_empty_default() {
        let ddl = schema_statements(Backend::Postgres, "mdl_");
        let course = ddl
            .iter()
            .find(|s| s.starts_with("CREATE TABLE mdl_course ("))
            .map(String::as_str)
            .unwrap_or_default();
        assert!(course.contains("idnumber VARCHAR(100) NOT NULL DEFAULT ''"));
        assert!(course.contains("format VARCHAR(21) NOT NULL DEFAULT 'topics'"));
        assert!(course.contains("summary TEXT,"));
    }
}
