//! Issue 9, items 1 and 2: what the operator reads when something goes wrong with a file, a key,
//! config.php or the database is one sentence in the chosen language — French from its first
//! word to its last with `--lang fr`, names and paths aside — with no driver, parser or system
//! words; `--verbose` adds them after the message.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{run_in, stderr};

/// What no default message may show: a source line of ours or a driver's, a Rust module path,
/// a wire protocol's byte count, the system's error text, SQLite's result code.
const RAW: [&str; 7] = [
    " at line ",
    "sqlx",
    "::",
    "CopyData",
    "expected to read",
    "os error",
    "(code: ",
];

/// English words that a French sentence never holds (checked word by word, outside names,
/// paths, quoted values, backticked commands and flags).
const ENGLISH: [&str; 28] = [
    "the", "is", "not", "cannot", "check", "file", "was", "with", "and", "of", "use", "give",
    "this", "that", "which", "to", "has", "error", "failed", "found", "expected", "missing",
    "nothing", "written", "run", "again", "its", "instead",
];

/// The message lines of stderr (`attestoodle-backup: erreur: …`), without the prefix.
fn messages(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter_map(|line| line.strip_prefix("attestoodle-backup: "))
        .filter(|line| !line.starts_with("détail") && !line.starts_with("detail"))
        .map(str::to_owned)
        .collect()
}

/// The text of a message once names, paths, quoted values, backticked commands and flags are
/// taken out.
fn words_of(message: &str, names: &[&str]) -> Vec<String> {
    let mut text = message.to_owned();
    for name in names {
        text = text.replace(name, " ");
    }
    // Quoted values ("…", « … ») and backticked commands are names too.
    for (open, close) in [('"', '"'), ('«', '»'), ('`', '`')] {
        while let Some(start) = text.find(open) {
            let after = start + open.len_utf8();
            let Some(end) = text[after..].find(close) else {
                break;
            };
            text.replace_range(start..after + end + close.len_utf8(), " ");
        }
    }
    text.split_whitespace()
        .filter(|chunk| !chunk.starts_with('-') && !chunk.contains('/') && !chunk.contains('$'))
        .flat_map(|chunk| {
            chunk
                .split(|c: char| !c.is_alphabetic() && c != '\'')
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|word| !word.is_empty())
        .collect()
}

/// Checks that a failure says, in French only, each of `expected`, with no raw detail.
fn assert_french(output: &Output, names: &[&str], expected: &[&str], case: &str) {
    assert!(!output.status.success(), "{case}: it fails");
    let lines = messages(output);
    assert!(!lines.is_empty(), "{case}: a message: {}", stderr(output));
    let all = lines.join("\n");
    for line in &lines {
        assert!(
            line.starts_with("erreur : ") || line.starts_with("erreur: "),
            "{case}: {line}"
        );
        for raw in RAW {
            assert!(!line.contains(raw), "{case}: `{raw}` in {line}");
        }
        for word in words_of(line, names) {
            assert!(
                !ENGLISH.contains(&word.as_str()),
                "{case}: the English word `{word}` in {line}"
            );
        }
    }
    for french in expected {
        assert!(all.contains(french), "{case}: `{french}` not in {all}");
    }
}

/// Checks that the English message has no raw detail either.
fn assert_plain_english(output: &Output, case: &str) {
    let lines = messages(output);
    assert!(!lines.is_empty(), "{case}: a message");
    for line in &lines {
        for raw in RAW {
            assert!(!line.contains(raw), "{case}: `{raw}` in {line}");
        }
    }
}

/// Runs `args` in French and in English; checks both, and gives the French output.
fn check(dir: &Path, args: &[&str], names: &[&str], expected: &[&str], case: &str) -> Output {
    let mut english = vec!["--lang", "en"];
    english.extend_from_slice(args);
    assert_plain_english(&run_in(dir, &english), case);
    let mut french = vec!["--lang", "fr"];
    french.extend_from_slice(args);
    let output = run_in(dir, &french);
    assert_french(&output, names, expected, case);
    output
}

/// The raw detail `--verbose` prints after the message.
fn verbose_detail(dir: &Path, args: &[&str]) -> String {
    let mut full = vec!["--lang", "fr", "--verbose"];
    full.extend_from_slice(args);
    let output = run_in(dir, &full);
    stderr(&output)
        .lines()
        .find_map(|line| line.strip_prefix("attestoodle-backup: détail: "))
        .unwrap_or_default()
        .to_owned()
}

fn vector(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name)
}

/// A signed format-2 file in `dir`, converted from a vector of the PHP plugin.
fn signed_file(dir: &Path) -> String {
    fs::copy(vector("legacy-simple.json"), dir.join("legacy.json")).expect("copy the vector");
    let converted = run_in(dir, &["convert", "legacy.json", "-o", "signed.json"]);
    assert_eq!(converted.status.code(), Some(0), "{}", stderr(&converted));
    fs::read_to_string(dir.join("signed.json")).expect("read the signed file")
}

#[test]
fn a_tampered_file_is_refused_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let text = signed_file(dir.path());
    let tampered = text.replacen("\"creditedtime\": 30", "\"creditedtime\": 31", 1);
    assert_ne!(tampered, text);
    fs::write(dir.path().join("tampered.json"), tampered).expect("write");
    let path = dir.path().display().to_string();
    for command in ["verify", "restore"] {
        check(
            dir.path(),
            &[command, "tampered.json"],
            &[&path, "tampered.json"],
            &["modifié après avoir été signé"],
            &format!("{command} of a tampered file"),
        );
    }
}

#[test]
fn a_truncated_file_is_said_cut_short_and_verbose_gives_the_parsers_words() {
    let dir = tempfile::tempdir().expect("a directory");
    let text = signed_file(dir.path());
    fs::write(dir.path().join("cut.json"), &text[..text.len() / 2]).expect("write");
    let path = dir.path().display().to_string();
    for command in ["verify", "restore"] {
        check(
            dir.path(),
            &[command, "cut.json"],
            &[&path, "cut.json"],
            &["tronqué"],
            &format!("{command} of a truncated file"),
        );
    }
    let detail = verbose_detail(dir.path(), &["verify", "cut.json"]);
    assert!(
        detail.contains("EOF while parsing"),
        "--verbose: {detail:?}"
    );
    // Without --verbose, no detail line.
    let output = run_in(dir.path(), &["--lang", "fr", "verify", "cut.json"]);
    assert!(!stderr(&output).contains("détail"), "{}", stderr(&output));
}

#[test]
fn a_missing_file_and_a_file_that_is_not_a_backup_are_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().display().to_string();
    for command in ["verify", "restore", "convert"] {
        let mut args = vec![command, "absent.json"];
        if command == "convert" {
            args.extend(["-o", "out.json"]);
        }
        check(
            dir.path(),
            &args,
            &[&path, "absent.json"],
            &["ce fichier n'existe pas"],
            &format!("{command} of a missing file"),
        );
    }
    fs::write(dir.path().join("other.json"), "{\"hello\": 1}\n").expect("write");
    for command in ["verify", "restore"] {
        check(
            dir.path(),
            &[command, "other.json"],
            &[&path, "other.json"],
            &["pas une sauvegarde de formation"],
            &format!("{command} of a file that is not a backup"),
        );
    }
}

#[test]
fn a_legacy_file_with_a_wrong_checksum_or_a_failed_export_is_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    for name in ["legacy-tampered.json", "legacy-error-notfound.json"] {
        fs::copy(vector(name), dir.path().join(name)).expect("copy the vector");
    }
    let path = dir.path().display().to_string();
    for command in ["verify", "restore", "convert"] {
        let mut args = vec![command, "legacy-tampered.json"];
        if command == "convert" {
            args.extend(["-o", "out.json"]);
        }
        check(
            dir.path(),
            &args,
            &[&path, "legacy-tampered.json"],
            &["contrôle d'intégrité échoué"],
            &format!("{command} of a legacy file with a wrong checksum"),
        );
        let mut args = vec![command, "legacy-error-notfound.json"];
        if command == "convert" {
            args.extend(["-o", "out.json"]);
        }
        check(
            dir.path(),
            &args,
            &[&path, "legacy-error-notfound.json"],
            &["l'export du plugin PHP a échoué"],
            &format!("{command} of a failed legacy export"),
        );
    }
}

#[test]
fn a_getenv_in_config_php_is_said_in_french_for_any_key() {
    let dir = tempfile::tempdir().expect("a directory");
    let config = |line: &str| {
        format!(
            "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n\
             $CFG->dbtype = 'pgsql';\n$CFG->dbhost = '127.0.0.1';\n$CFG->dbname = 'moodle';\n\
             $CFG->dbuser = 'moodle';\n$CFG->dbpass = 'x';\n{line}\n\
             $CFG->wwwroot = 'https://moodle.example.org';\n\
             require_once(__DIR__ . '/lib/setup.php');\n"
        )
    };
    for (line, flag) in [
        (
            "$CFG->dbpass = getenv('MOODLE_DB_PASS');",
            "ATTESTOODLE_DB_PASSWORD",
        ),
        ("$CFG->prefix = getenv('MOODLE_PREFIX');", "--prefix"),
        (
            "$CFG->dataroot = getenv('HOME') . '/moodledata';",
            "--dataroot",
        ),
    ] {
        fs::write(dir.path().join("config.php"), config(line)).expect("write config.php");
        let output = check(
            dir.path(),
            &["--moodle-config", "config.php", "list"],
            &["config.php"],
            &["ligne 10", "un appel à `getenv()`", "demande PHP", flag],
            line,
        );
        assert_eq!(output.status.code(), Some(2), "{line}");
    }
    check(
        dir.path(),
        &["--moodle-config", "absent.php", "list"],
        &["absent.php"],
        &["ce fichier n'existe pas"],
        "a missing config.php",
    );
}

#[test]
fn an_unknown_training_is_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let demo = run_in(dir.path(), &["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let output = check(
        dir.path(),
        &["save", "Formation inexistante"],
        &["Formation inexistante"],
        &["aucune formation"],
        "save of an unknown training",
    );
    assert_eq!(output.status.code(), Some(5));
}

#[test]
fn a_file_that_is_not_sqlite_is_said_in_french_and_verbose_gives_sqlites_words() {
    let dir = tempfile::tempdir().expect("a directory");
    fs::write(dir.path().join("notes.sqlite"), "hello world\n".repeat(200)).expect("write");
    let path = dir.path().display().to_string();
    check(
        dir.path(),
        &["--db", "sqlite://notes.sqlite", "list"],
        &[&path, "notes.sqlite"],
        &["n'est pas une base SQLite"],
        "a text file given as sqlite://",
    );
    let detail = verbose_detail(dir.path(), &["--db", "sqlite://notes.sqlite", "list"]);
    assert!(
        detail.contains("file is not a database"),
        "--verbose: {detail:?}"
    );
    // The variable does what the flag does.
    let output = common::tool_command(common::binary(), dir.path(), &dir.path().join("keys"))
        .env("ATTESTOODLE_VERBOSE", "1")
        .args(["--db", "sqlite://notes.sqlite", "list"])
        .output()
        .expect("run attestoodle-backup");
    assert!(
        stderr(&output).contains("detail: ") && stderr(&output).contains("not a database"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_port_where_nothing_listens_is_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = "postgres://nobody@127.0.0.1:1/moodle";
    check(
        dir.path(),
        &["--db", url, "list"],
        &[url, "127.0.0.1:1"],
        &["rien ne répond à 127.0.0.1:1"],
        "an unreachable port",
    );
}

/// `host:port` of a server URL from the environment.
fn server_address(variable: &str) -> Option<String> {
    let url = std::env::var(variable).ok().filter(|u| !u.is_empty())?;
    let authority = url.split_once("://")?.1.split('/').next()?.to_owned();
    Some(authority.rsplit('@').next()?.to_owned())
}

#[test]
fn a_wrong_password_a_wrong_scheme_and_no_such_database_are_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut cases: Vec<(String, &str)> = Vec::new();
    if let Some(address) = server_address("ATTESTOODLE_TEST_MARIADB_URL") {
        cases.push((
            format!("mysql://nobody:wrong@{address}/test"),
            "refuse l'utilisateur ou le mot de passe",
        ));
        // A postgres:// URL pointed at the MariaDB port.
        cases.push((
            format!("postgres://postgres@{address}/postgres"),
            "n'est pas un serveur PostgreSQL",
        ));
    }
    if let Some(address) = server_address("ATTESTOODLE_TEST_POSTGRES_URL") {
        cases.push((
            format!("postgres://nobody-here:wrong@{address}/postgres"),
            "refuse l'utilisateur ou le mot de passe",
        ));
        // PostgreSQL's own words end with "at line 948" of its source: never shown by default.
        cases.push((
            format!("postgres://postgres@{address}/no_such_database_here"),
            "n'a pas de base de ce nom",
        ));
    }
    for (url, expected) in &cases {
        let shown = url.replace(":wrong@", ":***@");
        let address = url
            .rsplit('@')
            .next()
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let output = check(
            dir.path(),
            &["--db", url, "list"],
            &[&shown, &address],
            &[expected],
            url,
        );
        assert!(!stderr(&output).contains("wrong"), "the password is hidden");
        // The server's own words (English) wait for --verbose.
        let detail = verbose_detail(dir.path(), &["--db", url, "list"]);
        assert!(
            !detail.is_empty(),
            "{url}: --verbose gives the driver's words"
        );
        assert!(
            !detail.contains("wrong"),
            "the password is hidden in the detail too"
        );
    }
}

#[test]
fn a_bad_key_file_is_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    signed_file(dir.path());
    let path = dir.path().display().to_string();
    // A text file with no NUL byte, then a PEM of the wrong kind, as the signing key.
    fs::write(dir.path().join("notes.txt"), "hello world\n").expect("write");
    let public = dir.path().join("keys/signing-key.pub.pem");
    assert!(public.exists(), "convert wrote the public key");
    for (key, expected) in [
        ("notes.txt", "aucun bloc PEM"),
        ("keys/signing-key.pub.pem", "c'est une clé publique"),
    ] {
        let output = check(
            dir.path(),
            &["--key", key, "convert", "legacy.json", "-o", "again.json"],
            &[&path, key],
            &["n'est pas une clé privée Ed25519", expected],
            key,
        );
        assert!(!stderr(&output).contains("NUL byte"), "{}", stderr(&output));
        assert!(!dir.path().join("again.json").exists(), "nothing written");
    }
    let detail = verbose_detail(
        dir.path(),
        &[
            "--key",
            "notes.txt",
            "convert",
            "legacy.json",
            "-o",
            "again.json",
        ],
    );
    assert!(detail.contains("PEM"), "--verbose: {detail:?}");
    // The same files given to `keys trust`, and a private key there.
    for (file, expected) in [
        ("notes.txt", "aucun bloc PEM"),
        ("keys/signing-key.pem", "c'est une clé privée"),
    ] {
        check(
            dir.path(),
            &["keys", "trust", file],
            &[&path, file],
            &["pas une clé publique Ed25519", expected],
            file,
        );
    }
}

// Issue 9, item 1: a course map that cannot be read, or whose line is not `old,new`, is said in
// French (it used to end with the system's or the parser's English words).
#[test]
fn a_course_map_that_cannot_be_used_is_said_in_french() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().display().to_string();
    let missing = [
        "clone",
        "backup.json",
        "--suffix",
        "_2027",
        "--course-map",
        "absent.csv",
    ];
    let output = check(
        dir.path(),
        &missing,
        &[&path, "absent.csv"],
        &["ce fichier n'existe pas", "table de correspondance"],
        "a missing course map",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(verbose_detail(dir.path(), &missing).contains("os error"));
    fs::write(dir.path().join("map.csv"), "old,new\nCHIM101,A,B\n").expect("write");
    let output = check(
        dir.path(),
        &["clone", "backup.json", "--course-map", "map.csv"],
        &[&path, "map.csv", "ANCIEN,NOUVEAU"],
        &["ligne 2 : deux champs non vides"],
        "a course map line of three fields",
    );
    assert_eq!(output.status.code(), Some(2));
}
