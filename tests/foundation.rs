//! The foundation (issue 2): the demo site, `list`, the database layer on every backend, the
//! table prefix, and the refusals a newcomer meets first.

mod common;

use attestoodle_backup::moodle::{fixture, Error, Site};
use common::{for_each_backend, run_in, stderr, stdout, TestBackend, TestDb};
use serde_json::Value;

/// The demo trainings as `list` must show them: name, category path, milestones, learners,
/// template.
const DEMO_TRAININGS: [(&str, &str, i64, i64, &str); 3] = [
    (
        "Licence Chimie S1 2026",
        "Université Démo / Faculté des Sciences / Licence Chimie",
        9,
        12,
        "Site",
    ),
    (
        "Sécurité & Hygiène 2026",
        "Formation continue / Sécurité et hygiène",
        6,
        8,
        "Attestation FC",
    ),
    (
        "Anglais B2 – session d'automne",
        "Université Démo / Langues",
        4,
        7,
        "Site",
    ),
];

fn assert_demo_list(json: &Value, context: &str) {
    let entries = json
        .as_array()
        .unwrap_or_else(|| panic!("{context}: not an array: {json}"));
    assert_eq!(entries.len(), 3, "{context}: {json}");
    for (entry, (name, category, milestones, learners, template)) in
        entries.iter().zip(DEMO_TRAININGS)
    {
        assert_eq!(entry["name"], name, "{context}");
        assert_eq!(entry["category"], category, "{context}");
        assert_eq!(entry["milestones"], milestones, "{context}: {name}");
        assert_eq!(entry["learners"], learners, "{context}: {name}");
        assert_eq!(entry["template"], template, "{context}: {name}");
        assert!(entry["id"].as_i64().is_some(), "{context}: id");
    }
}

#[tokio::test]
async fn list_reads_the_demo_trainings_on_every_backend_and_prefix() {
    for_each_backend(|backend| async move {
        // A non-default prefix proves that the prefix reaches every statement.
        for prefix in ["mdl_", "m2_"] {
            let db = TestDb::seeded(&backend, prefix).await;
            let site = Site::open(&db.target())
                .await
                .expect("open the seeded site");
            let list = site.list_trainings().await.expect("list");
            site.close().await;
            assert_eq!(list.trainings.len(), 3, "{}", backend.name());

            let output = db.run(&["list", "--json"]);
            assert!(
                output.status.success(),
                "{}: {}",
                backend.name(),
                stderr(&output)
            );
            let json: Value = serde_json::from_str(&stdout(&output)).expect("list --json is JSON");
            assert_demo_list(&json, &format!("{} {prefix}", backend.name()));
            db.drop_database().await;
        }
    })
    .await;
}

#[tokio::test]
async fn every_integer_width_decodes_on_every_backend() {
    // int(1) is TINYINT on MariaDB and SMALLINT on PostgreSQL; int(5) is MEDIUMINT on MariaDB.
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        let completion = fixture::int_column(&site, "course_modules", "completion")
            .await
            .expect("int(1)");
        assert!(
            completion.contains(&Some(0))
                && completion.contains(&Some(1))
                && completion.contains(&Some(2)),
            "{}",
            backend.name()
        );
        let indent = fixture::int_column(&site, "course_modules", "indent")
            .await
            .expect("int(5)");
        assert!(indent.iter().all(|v| *v == Some(0)), "{}", backend.name());
        let nbautolaunch = fixture::int_column(&site, "tool_attestoodle_training", "nbautolaunch")
            .await
            .expect("int(4)");
        assert_eq!(
            nbautolaunch,
            vec![Some(0), Some(2), Some(0)],
            "{}",
            backend.name()
        );
        let checklearner = fixture::int_column(&site, "tool_attestoodle_training", "checklearner")
            .await
            .expect("NULL int(10)");
        assert_eq!(checklearner, vec![None, None, None], "{}", backend.name());
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn a_database_without_attestoodle_names_the_missing_tables_and_the_prefix() {
    for_each_backend(|backend| async move {
        let db = TestDb::new(&backend, "mdl_").await;
        let error = Site::open(&db.target())
            .await
            .expect_err("an empty database is refused");
        match &error {
            Error::MissingTables {
                prefix,
                missing,
                no_moodle,
                ..
            } => {
                assert_eq!(prefix, "mdl_");
                assert_eq!(missing.len(), 7, "{}", backend.name());
                assert!(no_moodle);
            }
            other => panic!("{}: unexpected error {other}", backend.name()),
        }
        let output = db.run(&["list"]);
        assert_eq!(output.status.code(), Some(1), "{}", backend.name());
        let message = stderr(&output);
        assert!(
            message.contains("mdl_tool_attestoodle_training"),
            "{message}"
        );
        assert!(message.contains("--prefix"), "{message}");
        db.drop_database().await;

        // The right database with the wrong prefix.
        let db = TestDb::seeded(&backend, "mdl_").await;
        let output = run_in(
            db.dir.path(),
            &["--db", &db.url, "--prefix", "moodle_", "list"],
        );
        assert_eq!(output.status.code(), Some(1), "{}", backend.name());
        assert!(
            stderr(&output).contains("moodle_tool_attestoodle_training"),
            "{}",
            stderr(&output)
        );
        db.drop_database().await;
    })
    .await;
}

#[test]
fn demo_creates_the_site_then_list_shows_its_trainings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["demo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Licence Chimie S1 2026"), "{text}");
    assert!(
        text.contains("attestoodle-backup list"),
        "the demo says what to try next: {text}"
    );
    assert!(dir.path().join("attestoodle-demo.sqlite").is_file());

    // Template images are stored as Moodle stores files: filedir/xx/yy/<sha1>.
    let filedir = dir.path().join("attestoodle-demo-moodledata/filedir");
    let mut stored = 0;
    for entry in walk(&filedir) {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&entry).expect("read a stored file");
        let hash = sha1_hex(&bytes);
        assert_eq!(name, hash, "content is stored under its sha1");
        let parent = entry.parent().expect("parent");
        assert_eq!(
            parent.file_name().map(|n| n.to_string_lossy().into_owned()),
            Some(hash[2..4].to_owned())
        );
        stored += 1;
    }
    assert_eq!(stored, 3, "two backgrounds and the empty directory content");

    let output = run_in(dir.path(), &["list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    // The demo runs the main job end to end: its fourth training is the clone of the first
    // onto the `_2027` courses, without learners.
    let entries = json.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 4, "{json}");
    assert_demo_list(&Value::Array(entries[..3].to_vec()), "demo");
    assert_eq!(entries[3]["name"], "Licence Chimie S1 2026_2027");
    assert_eq!(
        (&entries[3]["milestones"], &entries[3]["learners"]),
        (&Value::from(9), &Value::from(0))
    );

    // A second run keeps the site as it is.
    let output = run_in(dir.path(), &["demo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("already exists"),
        "{}",
        stdout(&output)
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn list_filters_by_category_id_idnumber_or_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(run_in(dir.path(), &["demo"]).status.success());
    let names = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["list", "--json"];
        full.extend_from_slice(args);
        let output = run_in(dir.path(), &full);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        json.as_array()
            .into_iter()
            .flatten()
            .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // UDEMO holds the chemistry training (two levels down) and the English one.
    assert_eq!(
        names(&["--category", "UDEMO"]),
        [
            "Licence Chimie S1 2026",
            "Anglais B2 – session d'automne",
            "Licence Chimie S1 2026_2027"
        ]
    );
    assert_eq!(
        names(&["--category", "Formation continue / Sécurité et hygiène"]),
        ["Sécurité & Hygiène 2026"]
    );
    assert_eq!(
        names(&["--category", "Langues"]),
        ["Anglais B2 – session d'automne"]
    );
    assert!(names(&["--category", "Divers"]).is_empty());

    let output = run_in(dir.path(), &["list", "--category", "Nowhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no category matches `Nowhere`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn without_a_database_the_tool_says_how_to_make_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["list"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("attestoodle-backup demo"), "{message}");
    assert!(message.contains("--moodle-config"), "{message}");
    assert!(
        !dir.path().join("attestoodle-demo.sqlite").exists(),
        "nothing is created"
    );

    let output = run_in(dir.path(), &["--lang", "fr", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("aucune base de données"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bad_database_url_is_a_usage_error_that_hides_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(
        dir.path(),
        &["--db", "oracle://scott:Tiger42@db/orcl", "list"],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("postgres://"),
        "the accepted forms are listed: {message}"
    );
    assert!(
        !message.contains("Tiger42"),
        "the password is never printed: {message}"
    );

    let output = run_in(dir.path(), &["--db", "sqlite://missing.sqlite", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !dir.path().join("missing.sqlite").exists(),
        "a missing SQLite file is not created"
    );
}

#[test]
fn an_unreachable_server_is_a_runtime_error_without_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Port 9 (discard) on loopback: nothing listens there.
    let output = run_in(
        dir.path(),
        &[
            "--db",
            "postgres://moodle:Secr3tPw@127.0.0.1:9/moodle",
            "list",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("cannot connect"), "{message}");
    assert!(!message.contains("Secr3tPw"), "{message}");
}

#[test]
fn demo_refuses_a_file_it_did_not_make() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("attestoodle-demo.sqlite");
    std::fs::write(&path, b"").expect("an empty file, as another program would leave");
    let output = run_in(dir.path(), &["demo"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a demo site"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"",
        "the file is untouched"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for line in [
        "0  ok",
        "2  usage error",
        "3  file rejected",
        "4  precheck refused",
        "5  training not found",
    ] {
        assert!(help.contains(line), "{line} in {help}");
    }
    let output = run_in(dir.path(), &["list", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn moodle_config_php_is_enough_to_reach_a_server_site() {
    // Needs a server: config.php never names a SQLite database.
    for_each_backend(|backend| async move {
        let (TestBackend::Postgres(_) | TestBackend::MariaDb(_)) = backend else {
            return;
        };
        let db = TestDb::seeded(&backend, "cfg_").await;
        let (scheme, rest) = db.url.split_once("://").expect("URL");
        let (authority, name) = rest.split_once('/').expect("db name");
        let (user, hostport) = authority.split_once('@').expect("user@host");
        let (host, port) = hostport.split_once(':').expect("host:port");
        let dbtype = if scheme == "postgres" {
            "pgsql"
        } else {
            "mariadb"
        };
        let config = format!(
            "<?php  // Moodle configuration file\n\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\n\
             $CFG->dbtype    = '{dbtype}';\n$CFG->dblibrary = 'native';\n$CFG->dbhost    = '{host}';\n\
             $CFG->dbname    = '{name}';\n$CFG->dbuser    = '{user}';\n$CFG->dbpass    = '';\n\
             $CFG->prefix    = 'cfg_';\n$CFG->dboptions = array (\n  'dbpersist' => 0,\n  'dbport' => {port},\n  'dbsocket' => '',\n);\n\n\
             $CFG->wwwroot   = 'https://moodle.univ-demo.fr';\n$CFG->dataroot  = '/var/moodledata';\n$CFG->admin     = 'admin';\n\n\
             $CFG->directorypermissions = 0777;\n\nrequire_once(__DIR__ . '/lib/setup.php');\n"
        );
        let path = db.dir.path().join("config.php");
        std::fs::write(&path, config).expect("write config.php");
        let output = run_in(
            db.dir.path(),
            &[
                "--moodle-config",
                path.to_str().unwrap_or_default(),
                "list",
                "--json",
            ],
        );
        assert!(
            output.status.success(),
            "{}: {}",
            backend.name(),
            stderr(&output)
        );
        let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        assert_demo_list(&json, backend.name());
        db.drop_database().await;
    })
    .await;
}

/// A server that accepts TCP connections and never says a word (a wrong port behind a proxy,
/// a stuck server): the port of a listener whose connections are held open.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

// Issue 10, item 1: "No connection or statement timeout": a server that never answers makes
// every command hang with no message.
#[test]
fn a_server_that_never_answers_times_out_naming_host_and_port() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = silent_server();
    let address = format!("127.0.0.1:{port}");
    for scheme in ["postgres", "mysql", "mariadb"] {
        let url = format!("{scheme}://moodle:Secr3tPw@{address}/moodle");
        for (lang, timed_out) in [("en", "timed out"), ("fr", "délai de connexion dépassé")] {
            let started = std::time::Instant::now();
            let output = run_in(
                dir.path(),
                &[
                    "--lang",
                    lang,
                    "--db",
                    &url,
                    "--connect-timeout",
                    "1",
                    "list",
                ],
            );
            let elapsed = started.elapsed();
            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{scheme} {lang}: {message}");
            assert!(
                elapsed < std::time::Duration::from_secs(8),
                "{scheme} {lang}: gave up after {elapsed:?}"
            );
            assert!(message.contains(&address), "{scheme} {lang}: {message}");
            assert!(message.contains(timed_out), "{scheme} {lang}: {message}");
            assert!(
                message.contains("--connect-timeout"),
                "{scheme} {lang}: {message}"
            );
            assert!(!message.contains("Secr3tPw"), "{scheme} {lang}: {message}");
            assert_eq!(message.trim().lines().count(), 1, "one sentence: {message}");
        }
    }
    // The environment variable sets it too; the default is documented in --help.
    let started = std::time::Instant::now();
    let output = common::tool_command(common::binary(), dir.path(), &dir.path().join("keys"))
        .args([
            "--db",
            &format!("postgres://moodle@{address}/moodle"),
            "list",
        ])
        .env("ATTESTOODLE_CONNECT_TIMEOUT", "1")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let help = stdout(&run_in(dir.path(), &["--help"]));
    for text in [
        "--connect-timeout <SECONDS>",
        "ATTESTOODLE_CONNECT_TIMEOUT",
        "default: 10",
        "--statement-timeout <SECONDS>",
        "ATTESTOODLE_STATEMENT_TIMEOUT",
        "default: 60",
        "--db-password-file <PATH>",
    ] {
        assert!(help.contains(text), "{text} in {help}");
    }
}

// Issue 10, item 1: a statement that waits for another session's lock gives up after
// --statement-timeout, says so in one sentence, and writes nothing (every backend: on SQLite
// the other session holds the one write lock).
#[tokio::test]
async fn a_restore_blocked_by_another_sessions_lock_times_out_and_writes_nothing() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let output = db.run(&["save", "Licence Chimie S1 2026", "-o", "chimie.json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let site = db.connect().await;
        let ids_before = fixture::int_column(&site, "tool_attestoodle_milestone", "id")
            .await
            .expect("milestone ids");
        let list_before = stdout(&db.run(&["list", "--json"]));

        // Another session holds the training row, as an administrator editing it would.
        let training = site
            .find_trainings_by_name("Licence Chimie S1 2026")
            .await
            .expect("find")[0];
        let mut holder = fixture::Writer::begin(&site).await.expect("begin");
        holder
            .update(
                "tool_attestoodle_training",
                training,
                "name",
                "Licence Chimie S1 2026".into(),
            )
            .await
            .expect("lock the training row");

        for (lang, said) in [
            ("en", "did not answer in time"),
            ("fr", "n'a pas répondu à temps"),
        ] {
            let started = std::time::Instant::now();
            let output = db.run(&[
                "--lang",
                lang,
                "--statement-timeout",
                "1",
                "restore",
                "chimie.json",
                "--yes",
                "--accept",
                "replace-training",
            ]);
            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{name} {lang}: {message}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "{name} {lang}: {:?}",
                started.elapsed()
            );
            assert!(message.contains(said), "{name} {lang}: {message}");
            assert!(
                message.contains("--statement-timeout"),
                "{name} {lang}: {message}"
            );
            // host:port of a server; the file of a SQLite database (one writer at a time:
            // the other session's write transaction holds it).
            let address = match db.url.split_once('@') {
                Some((_, rest)) => rest.split('/').next().expect("host:port").to_owned(),
                None => db.url.trim_start_matches("sqlite://").to_owned(),
            };
            assert!(message.contains(&address), "{name} {lang}: {message}");
        }
        drop(holder); // rolled back
        let ids_after = fixture::int_column(&site, "tool_attestoodle_milestone", "id")
            .await
            .expect("milestone ids");
        assert_eq!(ids_after, ids_before, "{name}: nothing written");
        assert_eq!(stdout(&db.run(&["list", "--json"])), list_before, "{name}");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

// Issue 10, item 9: "`list` counts milestones whose activity no longer exists".
#[tokio::test]
async fn list_counts_orphan_milestones_apart() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        // The demo's "Sécurité & Hygiène 2026" has one orphan already; deleting the modules
        // of Anglais B2's course makes all of its milestones orphans.
        let output = db.run(&["list", "--json"]);
        let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        let entry = |json: &Value, training: &str| -> Value {
            json.as_array()
                .and_then(|a| a.iter().find(|e| e["name"] == training))
                .cloned()
                .unwrap_or_else(|| panic!("{training} in {json}"))
        };
        let anglais = entry(&json, "Anglais B2 – session d'automne");
        assert_eq!(anglais["milestones"], 4, "{name}");
        assert_eq!(anglais["orphan_milestones"], 0, "{name}");
        let chimie = entry(&json, "Licence Chimie S1 2026");
        assert_eq!(chimie["orphan_milestones"], 0, "{name}");

        let course = course_id_of_anglais(&site).await;
        let mut w = fixture::Writer::begin(&site).await.expect("begin");
        w.delete_where("course_modules", "course", course.into())
            .await
            .expect("delete the course's modules");
        w.commit().await.expect("commit");

        let output = db.run(&["list", "--json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        let anglais = entry(&json, "Anglais B2 – session d'automne");
        assert_eq!(anglais["milestones"], 4, "{name}: {anglais}");
        assert_eq!(anglais["orphan_milestones"], 4, "{name}: {anglais}");
        let securite = entry(&json, "Sécurité & Hygiène 2026");
        let saved = db.run(&["--json", "save", "Sécurité & Hygiène 2026", "-o", "s.json"]);
        let saved: Value = serde_json::from_str(&stdout(&saved)).expect("save --json");
        let left_out = saved["saved"][0]["warnings"]
            .as_array()
            .map(|w| w.iter().filter(|w| w["code"] == "milestone-orphan").count())
            .unwrap_or_default();
        assert_eq!(
            securite["orphan_milestones"], left_out,
            "{name}: list counts what save leaves out: {securite}"
        );

        let text = stdout(&db.run(&["list"]));
        assert!(text.contains("4 (4 orphan)"), "{name}: {text}");
        let text = stdout(&db.run(&["--lang", "fr", "list"]));
        assert!(text.contains("4 (4 orphelins)"), "{name}: {text}");
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// The course id of the demo's English course, read from a save of the training.
async fn course_id_of_anglais(site: &Site) -> i64 {
    let id = site
        .find_trainings_by_name("Anglais B2 – session d'automne")
        .await
        .expect("find")[0];
    let snapshot = site
        .training_snapshot(id)
        .await
        .expect("snapshot")
        .expect("the training exists");
    let courses: std::collections::BTreeSet<i64> = snapshot
        .course_modules
        .values()
        .map(|cm| cm.course)
        .collect();
    assert_eq!(courses.len(), 1, "{courses:?}");
    courses.into_iter().next().expect("one course")
}

// Issue 10, item 15: a config.php whose `dbpass` is computed with getenv() is read for the
// rest, with the password given by ATTESTOODLE_DB_PASSWORD or --db-password-file.
// PostgreSQL's test server trusts every local login, so the password is tested on MariaDB.
#[tokio::test]
async fn a_getenv_password_is_given_separately_and_config_php_still_read() {
    for_each_backend(|backend| async move {
        let TestBackend::MariaDb(server) = &backend else {
            return;
        };
        let db = TestDb::seeded(&backend, "cfg_").await;
        let (_, rest) = db.url.split_once("://").expect("URL");
        let (authority, database) = rest.split_once('/').expect("db name");
        let (_, hostport) = authority.split_once('@').expect("user@host");
        let (host, port) = hostport.split_once(':').expect("host:port");
        let user = format!("att_pw_{}", std::process::id());
        let password = "Pw-for-config.php 42";
        let admin = sqlx::MySqlPool::connect(server)
            .await
            .expect("connect as admin");
        for from in ["%", "localhost", "127.0.0.1"] {
            for statement in [
                format!("DROP USER IF EXISTS '{user}'@'{from}'"),
                format!("CREATE USER '{user}'@'{from}' IDENTIFIED BY '{password}'"),
                format!("GRANT ALL PRIVILEGES ON {database}.* TO '{user}'@'{from}'"),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&admin)
                    .await
                    .expect("create the user");
            }
        }
        let config = format!(
            "<?php  // Moodle configuration file\n\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\n\
             $CFG->dbtype    = 'mariadb';\n$CFG->dblibrary = 'native';\n$CFG->dbhost    = '{host}';\n\
             $CFG->dbname    = '{database}';\n$CFG->dbuser    = '{user}';\n\
             $CFG->dbpass    = getenv('MOODLE_DB_PASS');\n\
             $CFG->prefix    = 'cfg_';\n$CFG->dboptions = array (\n  'dbpersist' => 0,\n  'dbport' => {port},\n  'dbsocket' => '',\n);\n\n\
             $CFG->wwwroot   = 'https://moodle.univ-demo.fr';\n$CFG->dataroot  = '/var/moodledata';\n\
             $CFG->passwordpeppers = [1 => 'pepper-one'];\n\n\
             require_once(__DIR__ . '/lib/setup.php');\n"
        );
        let dir = db.dir.path();
        std::fs::write(dir.join("config.php"), config).expect("write config.php");
        std::fs::write(dir.join("db-pass"), format!("{password}\n")).expect("password file");
        std::fs::write(dir.join("wrong-pass"), "not it\n").expect("password file");
        let run = |env: Option<&str>, args: &[&str]| {
            let mut command = common::tool_command(common::binary(), dir, &dir.join("keys"));
            command
                .args(["--moodle-config", "config.php"])
                .args(args)
                .env("MOODLE_DB_PASS", password);
            if let Some(value) = env {
                command.env("ATTESTOODLE_DB_PASSWORD", value);
            }
            command.output().expect("run attestoodle-backup")
        };
        let leaks = |output: &std::process::Output| {
            stdout(output).contains(password) || stderr(output).contains(password)
        };

        // Without the password: the error says both ways to give it.
        let output = run(None, &["list", "--json"]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("`$CFG->dbpass`"), "{message}");
        assert!(message.contains("getenv()"), "{message}");
        assert!(message.contains("ATTESTOODLE_DB_PASSWORD"), "{message}");
        assert!(message.contains("--db-password-file"), "{message}");
        let output = run(None, &["--lang", "fr", "list"]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("demande PHP"), "{message}");
        assert!(message.contains("ATTESTOODLE_DB_PASSWORD"), "{message}");
        assert!(message.contains("--db-password-file CHEMIN"), "{message}");

        // With the variable, and with the file: config.php gives the rest (the prefix here).
        for (env, args) in [
            (Some(password), vec!["list", "--json"]),
            (
                None,
                vec!["--db-password-file", "db-pass", "list", "--json"],
            ),
            (
                Some("wrong"),
                vec!["--db-password-file", "db-pass", "list", "--json"],
            ),
        ] {
            let output = run(env, &args);
            assert!(output.status.success(), "{args:?}: {}", stderr(&output));
            let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
            assert_demo_list(&json, "mariadb, password given separately");
            assert!(!leaks(&output), "{args:?}");
        }

        // A wrong password is refused by the server, without showing either password.
        let output = run(None, &["--db-password-file", "wrong-pass", "list"]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(!leaks(&output) && !stderr(&output).contains("not it"));
        // A missing password file names itself.
        let output = run(None, &["--db-password-file", "missing-pass", "list"]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("missing-pass"),
            "{}",
            stderr(&output)
        );

        for from in ["%", "localhost", "127.0.0.1"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP USER IF EXISTS '{user}'@'{from}'"
            )))
            .execute(&admin)
            .await
            .expect("drop the user");
        }
        admin.close().await;
        db.drop_database().await;
    })
    .await;
}

/// What no default message may show: a driver's protocol details or a Rust path of ours.
const DRIVER_TEXT: [&str; 6] = [
    "sqlx",
    "CopyData",
    "os error",
    "establish",
    "error communicating",
    "::",
];

// Issue 9, item 2: a connection that fails says what to check, in the operator's language,
// without the driver's text.
#[test]
fn a_connection_failure_says_what_to_check_without_the_drivers_words() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut cases = vec![(
        "postgres://nobody@127.0.0.1:1/x".to_owned(),
        (
            "nothing answers at 127.0.0.1:1",
            "rien ne répond à 127.0.0.1:1",
        ),
    )];
    // A postgres:// URL pointed at the MariaDB server's port.
    if let Some(mariadb) = std::env::var("ATTESTOODLE_TEST_MARIADB_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let authority = mariadb
            .split_once("://")
            .map(|(_, r)| r.split('/').next().unwrap_or(r))
            .unwrap_or_default();
        let hostport = authority.rsplit('@').next().unwrap_or(authority).to_owned();
        cases.push((
            format!("postgres://postgres@{hostport}/x"),
            (
                "is not a PostgreSQL server",
                "n'est pas un serveur PostgreSQL",
            ),
        ));
        cases.push((
            format!("mysql://nobody:wrong@{hostport}/test"),
            (
                "refused the user or the password",
                "refuse l'utilisateur ou le mot de passe",
            ),
        ));
    }
    for (url, (en, fr)) in cases {
        for (lang, expected) in [("en", en), ("fr", fr)] {
            let output = run_in(dir.path(), &["--lang", lang, "--db", &url, "list"]);
            assert_eq!(output.status.code(), Some(1), "{url}");
            let message = stderr(&output);
            assert!(message.contains(expected), "{lang} {url}: {message}");
            for text in DRIVER_TEXT {
                assert!(!message.contains(text), "{url}: `{text}` in {message}");
            }
            assert!(
                !message.contains("wrong"),
                "the password is hidden: {message}"
            );
        }
    }
}

// Issue 16 (the web server under load): a training's page reads that training only, and its
// learners a page at a time, with what a backup would leave out of them counted.
#[tokio::test]
async fn one_training_and_a_page_of_its_learners_read_as_the_list_and_the_save_see_them() {
    for_each_backend(|backend| async move {
        let name = backend.name();
        let db = TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        let list = site.list_trainings().await.expect("list");
        for training in &list.trainings {
            let one = site.list_training(training.id).await.expect("one");
            assert_eq!(one.trainings, vec![training.clone()], "{name}");
            assert_eq!(
                one.categories.by_path(),
                list.categories.by_path(),
                "{name}"
            );
        }
        let none = site.list_training(999_999).await.expect("none");
        assert!(none.trainings.is_empty(), "{name}");

        let chimie = site
            .find_trainings_by_name("Licence Chimie S1 2026")
            .await
            .expect("find")[0];
        let all = site.learner_page(chimie, None).await.expect("all");
        assert_eq!((all.rows, all.gone, all.repeated), (12, 0, 0), "{name}");
        assert_eq!(all.learners.len(), 12, "{name}");
        let five = site.learner_page(chimie, Some(5)).await.expect("five");
        assert_eq!(five.learners, all.learners[..5].to_vec(), "{name}");
        assert_eq!(five.rows, 12, "{name}");

        // A deleted account, an account that no longer exists and a learner listed twice:
        // what a save leaves out, counted; the missing account listed last.
        let (repeated_user, _) = all.learners[3].clone();
        let mut w = fixture::Writer::begin(&site).await.expect("begin");
        let deleted = w
            .insert_user(&[
                ("username", "parti".into()),
                ("email", "parti@demo.example".into()),
                ("firstname", "Aaron".into()),
                ("lastname", "Parti".into()),
                ("deleted", 1.into()),
            ])
            .await
            .expect("a deleted user");
        for userid in [deleted, 987_654, repeated_user] {
            w.insert(
                "tool_attestoodle_learner",
                &[
                    ("trainingid", chimie.into()),
                    ("userid", userid.into()),
                    ("categoryid", 1.into()),
                    ("selected", 1.into()),
                    ("predelete", 0.into()),
                ],
            )
            .await
            .expect("a learner row");
        }
        w.commit().await.expect("commit");
        let page = site.learner_page(chimie, None).await.expect("page");
        assert_eq!((page.rows, page.gone, page.repeated), (15, 2, 1), "{name}");
        assert_eq!(page.learners.last(), Some(&(987_654, None)), "{name}");
        let aaron = page
            .learners
            .iter()
            .find(|(id, _)| *id == deleted)
            .and_then(|(_, user)| user.as_ref())
            .expect("the deleted account is listed");
        assert!(aaron.deleted, "{name}");
        let saved = db.run(&["--json", "save", "Licence Chimie S1 2026", "-o", "c.json"]);
        let saved: Value = serde_json::from_str(&stdout(&saved)).expect("save --json");
        let codes: Vec<&str> = saved["saved"][0]["warnings"]
            .as_array()
            .map(|w| w.iter().filter_map(|w| w["code"].as_str()).collect())
            .unwrap_or_default();
        let left_out = codes
            .iter()
            .filter(|c| ["learner-deleted", "learner-user-missing"].contains(c))
            .count();
        assert_eq!(
            i64::try_from(left_out).ok(),
            Some(page.gone),
            "{name}: {codes:?}"
        );
        let twice = codes.iter().filter(|c| **c == "learner-duplicate").count();
        assert_eq!(
            i64::try_from(twice).ok(),
            Some(page.repeated),
            "{name}: {codes:?}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}
