//! Issue 10, item 13: with `--json`, every command prints exactly one JSON value on stdout, also
//! when it fails: its documented object when it has one, else
//! `{"error": {"code", "exit", "message"}}` with the exit code and the sentence of stderr.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{for_each_backend, run_in, stderr, stdout, TestDb};
use serde_json::Value;

/// The one JSON value on stdout; fails on nothing, on two values, or on anything else.
fn one_json_value(output: &Output) -> Value {
    let text = stdout(output);
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(value)) => value,
        other => panic!("stdout holds no JSON value ({other:?}): {text:?}"),
    };
    assert!(
        values.next().is_none(),
        "stdout holds more than one JSON value: {text}"
    );
    first
}

/// Checks `{"error": {...}}`: its code, its exit (the process's) and its message (stderr's).
fn assert_error(output: &Output, code: &str, exit: i32) -> Value {
    assert_eq!(output.status.code(), Some(exit), "{}", stderr(output));
    let value = one_json_value(output);
    let error = &value["error"];
    assert_eq!(error["code"], code, "{value}");
    assert_eq!(error["exit"], exit, "{value}");
    let message = error["message"].as_str().expect("a message").to_owned();
    assert!(!message.is_empty());
    assert!(
        stderr(output).contains(&message),
        "the message is stderr's sentence: {message:?} / {}",
        stderr(output)
    );
    value
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args)
}

#[test]
fn list_on_a_missing_database_prints_one_error_object() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = run(
        dir.path(),
        &["--db", "sqlite://absent.sqlite", "list", "--json"],
    );
    let value = assert_error(&output, "database", 2);
    assert!(
        value["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("absent.sqlite")),
        "{value}"
    );
    // In French too, with the same shape.
    let output = run(
        dir.path(),
        &[
            "--lang",
            "fr",
            "--db",
            "sqlite://absent.sqlite",
            "list",
            "--json",
        ],
    );
    assert_error(&output, "database", 2);
}

#[tokio::test]
async fn save_of_an_unknown_training_prints_one_error_object() {
    for_each_backend(|backend| async move {
        let db = TestDb::seeded(&backend, "mdl_").await;
        let output = db.run(&["save", "No such training", "--json"]);
        let value = assert_error(&output, "training-not-found", 5);
        assert!(
            value["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("No such training")),
            "{}: {value}",
            backend.name()
        );
        db.drop_database().await;
    })
    .await;
}

#[test]
fn restore_of_a_missing_file_prints_one_error_object() {
    let dir = tempfile::tempdir().expect("a directory");
    for command in ["restore", "clone"] {
        let mut args = vec![command, "absent.json", "--json", "--yes"];
        if command == "clone" {
            args.extend(["--suffix", "_2027"]);
        }
        let output = run(dir.path(), &args);
        let value = assert_error(&output, "file-unreadable", 1);
        assert!(
            value["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("absent.json")),
            "{value}"
        );
    }
}

#[test]
fn restore_of_a_tampered_file_prints_one_error_object() {
    let dir = tempfile::tempdir().expect("a directory");
    // A file signed here, then edited.
    let legacy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/legacy-simple.json");
    fs::copy(&legacy, dir.path().join("legacy.json")).expect("copy the vector");
    let converted = run(dir.path(), &["convert", "legacy.json", "-o", "signed.json"]);
    assert_eq!(converted.status.code(), Some(0), "{}", stderr(&converted));
    let text = fs::read_to_string(dir.path().join("signed.json")).expect("read");
    let tampered = text.replacen("\"creditedtime\": 30", "\"creditedtime\": 31", 1);
    assert_ne!(tampered, text);
    fs::write(dir.path().join("tampered.json"), tampered).expect("write");
    let output = run(dir.path(), &["restore", "tampered.json", "--json", "--yes"]);
    let value = assert_error(&output, "file-rejected", 3);
    assert!(
        value["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("changed after it was signed")),
        "{value}"
    );
}

#[test]
fn keys_trust_of_a_missing_file_prints_one_error_object() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = run(dir.path(), &["keys", "trust", "absent.pem", "--json"]);
    assert_error(&output, "file-unreadable", 1);
    fs::write(dir.path().join("junk.pem"), b"\x00\x01\xff binary").expect("write");
    let output = run(dir.path(), &["keys", "trust", "junk.pem", "--json"]);
    assert_error(&output, "file-rejected", 3);
}

#[test]
fn a_command_line_mistake_with_json_prints_one_error_object() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = run(dir.path(), &["list", "--json", "--no-such-flag"]);
    assert_error(&output, "usage", 2);
    let output = run(dir.path(), &["keys", "untrust", "--json"]);
    assert_error(&output, "usage", 2);
    let output = run(dir.path(), &["--json"]);
    assert_error(&output, "usage", 2);
}

#[test]
fn a_command_with_its_own_failure_object_prints_only_that() {
    let dir = tempfile::tempdir().expect("a directory");
    // verify prints its documented report, with "ok": false, also for a file it cannot read.
    let output = run(dir.path(), &["verify", "absent.json", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = one_json_value(&output);
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["integrity"], Value::Null, "{report}");
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|m| m.contains("absent.json")),
        "{report}"
    );
    fs::write(dir.path().join("other.json"), "{\"hello\": 1}").expect("write");
    let output = run(dir.path(), &["verify", "other.json", "--json"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(one_json_value(&output)["ok"], false);
}
