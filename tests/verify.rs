//! `keys`, `verify` and `convert` through the built binary (issue 5): the vectors give what
//! `EXPECTED.md` says, keys round-trip through the trust store, and converted files verify here
//! and with the third-party openssl recipe.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use attestoodle_backup::document::{keys, legacy, migrate, signature, v2};
use base64::Engine as _;
use common::{binary, stderr, stdout};
use serde_json::Value;

/// One site's view: a working directory and its own key directory (`ATTESTOODLE_KEY_DIR`).
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn key_dir(&self) -> PathBuf {
        self.path("keys")
    }

    /// Runs the binary in the site's directory with its key directory and nothing else of the
    /// tool's environment.
    fn run(&self, args: &[&str]) -> Output {
        common::tool_command(binary(), self.dir.path(), &self.key_dir())
            .args(args)
            .output()
            .expect("run attestoodle-backup")
    }

    /// Copies a vector into the site's directory and returns its name.
    fn vector(&self, name: &str) -> String {
        fs::copy(vector_path(name), self.path(name)).expect("copy the vector");
        name.to_owned()
    }

    /// Converts a vector with this site's key and returns the new file's name.
    fn converted(&self, vector: &str) -> String {
        let input = self.vector(vector);
        let output = format!("v2-{vector}");
        let run = self.run(&["convert", &input, "-o", &output]);
        assert_eq!(code(&run), 0, "convert {vector}: {}", stderr(&run));
        output
    }
}

fn vector_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name)
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("an exit code")
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

/// `verify FILE --json`, checked against the expected exit code.
fn verify_json(site: &Site, file: &str, expected_code: i32) -> Value {
    let output = site.run(&["verify", file, "--json"]);
    assert_eq!(code(&output), expected_code, "{file}: {}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["ok"], expected_code == 0, "{report}");
    report
}

#[test]
fn vectors_verify_as_expected_md_says() {
    let site = Site::new();
    // legacy-simple: integrity valid, no authenticity.
    let file = site.vector("legacy-simple.json");
    let report = verify_json(&site, &file, 0);
    assert_eq!(report["format"], "legacy");
    assert_eq!(report["version"], "2019061667");
    assert_eq!(report["training"], "Sécurité & Hygiène 2019");
    assert_eq!(report["integrity"], "valid");
    assert_eq!(report["authenticity"], "none");
    assert!(report["integrity_detail"]
        .as_str()
        .is_some_and(|d| d.contains("93a4d398")));
    assert_eq!(report["error"], Value::Null);
    let text = site.run(&["verify", &file]);
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    let out = stdout(&text);
    assert!(out.contains("integrity:"), "{out}");
    assert!(out.contains("valid"), "{out}");
    assert!(out.contains("not who"), "{out}");

    // legacy-positions: integrity valid.
    let file = site.vector("legacy-positions.json");
    let report = verify_json(&site, &file, 0);
    assert_eq!(report["training"], "Premiers secours – PSC1");
    assert_eq!(report["integrity"], "valid");

    // legacy-tampered: integrity invalid, named.
    let file = site.vector("legacy-tampered.json");
    let report = verify_json(&site, &file, 3);
    assert_eq!(report["format"], "legacy");
    assert_eq!(report["integrity"], "invalid");
    assert_eq!(report["authenticity"], "none");
    let text = site.run(&["verify", &file]);
    assert_eq!(code(&text), 3);
    assert!(stdout(&text).contains("INVALID"), "{}", stdout(&text));
    assert!(
        stderr(&text).contains("integrity check failed"),
        "{}",
        stderr(&text)
    );

    // legacy-error-notfound: the export's error.
    let file = site.vector("legacy-error-notfound.json");
    let report = verify_json(&site, &file, 3);
    assert_eq!(report["format"], "legacy");
    assert_eq!(report["integrity"], Value::Null);
    assert!(report["error"]
        .as_str()
        .is_some_and(|e| e.contains("training not exist !")));
    let text = site.run(&["verify", &file]);
    assert_eq!(code(&text), 3);
    assert!(
        stderr(&text).contains("training not exist !"),
        "{}",
        stderr(&text)
    );
}

#[test]
fn reindented_legacy_file_still_verifies() {
    let site = Site::new();
    let bytes = fs::read(vector_path("legacy-simple.json")).expect("read the vector");
    let value: Value = serde_json::from_slice(&bytes).expect("JSON");
    let pretty = serde_json::to_string_pretty(&value).expect("serialises");
    assert_ne!(pretty.as_bytes(), bytes.as_slice());
    // Indent with tabs, line by line, so that no value changes.
    let tabs: Vec<String> = pretty
        .lines()
        .map(|line| {
            let body = line.trim_start_matches(' ');
            format!("{}{body}", "\t".repeat((line.len() - body.len()) / 2))
        })
        .collect();
    fs::write(site.path("pretty.json"), tabs.join("\r\n")).expect("write");
    verify_json(&site, "pretty.json", 0);
}

#[test]
fn keys_generate_show_export_trust_and_list_round_trip() {
    let a = Site::new();
    let generated = a.run(&["keys", "generate"]);
    assert_eq!(code(&generated), 0, "{}", stderr(&generated));
    let key_file = a.key_dir().join("signing-key.pem");
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(&key_file)
            .expect("key written")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    assert!(fs::read_to_string(&key_file)
        .expect("read")
        .starts_with("-----BEGIN PRIVATE KEY-----"));

    let shown = json(&a.run(&["keys", "show", "--json"]));
    let id = shown["key_id"].as_str().expect("key_id").to_owned();
    assert_eq!(id.len(), 16);
    assert!(stdout(&generated).contains(&id), "{}", stdout(&generated));
    assert_eq!(shown["public_key"].as_str().map(str::len), Some(43));

    // Never overwritten without --force.
    let again = a.run(&["keys", "generate"]);
    assert_eq!(code(&again), 1);
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(json(&a.run(&["keys", "show", "--json"]))["key_id"], id);

    // Export to stdout and to a file.
    let exported = a.run(&["keys", "export"]);
    assert_eq!(code(&exported), 0);
    assert!(stdout(&exported).starts_with("-----BEGIN PUBLIC KEY-----"));
    let to_file = a.run(&["keys", "export", "-o", "a.pem"]);
    assert_eq!(code(&to_file), 0, "{}", stderr(&to_file));
    assert_eq!(
        fs::read_to_string(a.path("a.pem")).expect("a.pem"),
        stdout(&exported)
    );
    assert_eq!(code(&a.run(&["keys", "export", "-o", "a.pem"])), 1);
    // `keys generate` also wrote the public key beside the private one.
    let public_file = a.key_dir().join("signing-key.pub.pem");
    assert_eq!(
        fs::read_to_string(&public_file).expect("signing-key.pub.pem written"),
        stdout(&exported)
    );
    assert!(
        stdout(&generated).contains("signing-key.pub.pem"),
        "{}",
        stdout(&generated)
    );

    // Site B trusts A's key.
    let b = Site::new();
    assert_eq!(code(&b.run(&["keys", "generate"])), 0);
    fs::copy(a.path("a.pem"), b.path("a.pem")).expect("copy");
    let trusted = b.run(&["keys", "trust", "a.pem"]);
    assert_eq!(code(&trusted), 0, "{}", stderr(&trusted));
    assert!(stdout(&trusted).contains(&id), "{}", stdout(&trusted));
    let listed = json(&b.run(&["keys", "list", "--json"]));
    let entries = listed.as_array().expect("an array");
    assert_eq!(entries.len(), 2, "{listed}");
    assert_eq!(entries[0]["source"], "own");
    assert_eq!(entries[1]["source"], "imported");
    assert_eq!(entries[1]["key_id"], id.as_str());
    let text = stdout(&b.run(&["keys", "list"]));
    assert!(text.contains(&id) && text.contains("own key"), "{text}");

    // A file that is not a public key is rejected as content.
    fs::write(b.path("junk.pem"), "not a key").expect("write");
    assert_eq!(code(&b.run(&["keys", "trust", "junk.pem"])), 3);
    assert_eq!(code(&b.run(&["keys", "trust", "absent.pem"])), 1);

    // --force replaces the key.
    let forced = a.run(&["keys", "generate", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_ne!(json(&a.run(&["keys", "show", "--json"]))["key_id"], id);
    assert_eq!(
        fs::read_to_string(&public_file).expect("public key"),
        stdout(&a.run(&["keys", "export"])),
        "the public key file follows the replaced key"
    );
}

#[test]
fn keys_show_without_a_key_says_how_to_make_one() {
    let site = Site::new();
    let output = site.run(&["keys", "show"]);
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("keys generate"),
        "{}",
        stderr(&output)
    );
    let listed = json(&site.run(&["keys", "list", "--json"]));
    assert_eq!(listed, Value::Array(Vec::new()));
}

#[test]
fn converted_file_verifies_with_the_sites_own_key() {
    let site = Site::new();
    let input = site.vector("legacy-simple.json");
    let output = site.run(&["convert", &input, "-o", "new.json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let messages = stderr(&output);
    assert!(
        messages.contains("created this site's signing key"),
        "{messages}"
    );
    assert!(messages.contains("activity types"), "{messages}");
    let text = fs::read_to_string(site.path("new.json")).expect("written");
    let document = v2::parse(text.as_bytes()).expect("a version 2 file");
    assert_eq!(document.milestones.len(), 5);
    assert_eq!(document.learners.len(), 3);
    assert!(document.signature.is_some());

    let report = verify_json(&site, "new.json", 0);
    assert_eq!(report["format"], "attestoodle-training-backup");
    assert_eq!(report["version"], 2);
    assert_eq!(report["integrity"], "valid");
    assert_eq!(report["authenticity"], "trusted");
    let shown = json(&site.run(&["keys", "show", "--json"]));
    assert_eq!(report["key_id"], shown["key_id"]);
    let text = stdout(&site.run(&["verify", "new.json"]));
    assert!(text.contains("this site's own key"), "{text}");

    // Never overwritten without --force.
    let again = site.run(&["convert", &input, "-o", "new.json"]);
    assert_eq!(code(&again), 1, "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"));
    let forced = site.run(&["convert", &input, "-o", "new.json", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert!(!stderr(&forced).contains("created this site's signing key"));
}

#[test]
fn convert_prints_its_notes() {
    let site = Site::new();
    let input = site.vector("legacy-positions.json");
    let output = site.run(&["convert", &input, "-o", "new.json", "--json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = json(&output);
    let codes: Vec<&str> = summary["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|note| note["code"].as_str())
        .collect();
    assert_eq!(codes, ["legacy-null-name", "legacy-style-dropped"]);
    assert_eq!(summary["milestones"], 5);
    assert_eq!(summary["learners"], 3);
    assert_eq!(summary["learner_styles"], 0);
    assert_eq!(summary["key_created"], true);
    assert!(stderr(&output).contains("[legacy-style-dropped]"));
    verify_json(&site, "new.json", 0);
}

#[test]
fn convert_refuses_a_tampered_legacy_file_and_writes_nothing() {
    let site = Site::new();
    let input = site.vector("legacy-tampered.json");
    let output = site.run(&["convert", &input, "-o", "new.json"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("integrity check failed"),
        "{}",
        stderr(&output)
    );
    assert!(!site.path("new.json").exists());
    assert!(!site.key_dir().join("signing-key.pem").exists());
}

#[test]
fn convert_refuses_a_version_2_file() {
    let site = Site::new();
    let converted = site.converted("legacy-simple.json");
    let output = site.run(&["convert", &converted, "-o", "again.json"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(!site.path("again.json").exists());
}

#[test]
fn a_file_signed_by_another_key_is_untrusted_until_its_key_is_trusted() {
    let a = Site::new();
    let file = a.converted("legacy-simple.json");
    assert_eq!(code(&a.run(&["keys", "export", "-o", "a.pem"])), 0);

    let b = Site::new();
    assert_eq!(code(&b.run(&["keys", "generate"])), 0);
    fs::copy(a.path(&file), b.path(&file)).expect("copy");
    let report = verify_json(&b, &file, 3);
    assert_eq!(report["integrity"], "valid");
    assert_eq!(report["authenticity"], "untrusted");
    let text = b.run(&["verify", &file]);
    assert!(stderr(&text).contains("keys trust"), "{}", stderr(&text));

    fs::copy(a.path("a.pem"), b.path("a.pem")).expect("copy");
    assert_eq!(code(&b.run(&["keys", "trust", "a.pem"])), 0);
    let report = verify_json(&b, &file, 0);
    assert_eq!(report["authenticity"], "trusted");
    let text = stdout(&b.run(&["verify", &file]));
    assert!(text.contains("imported"), "{text}");
}

#[test]
fn a_tampered_version_2_file_is_invalid() {
    let site = Site::new();
    let file = site.converted("legacy-simple.json");
    let text = fs::read_to_string(site.path(&file)).expect("read");
    let tampered = text.replacen("\"creditedtime\": 30", "\"creditedtime\": 31", 1);
    assert_ne!(tampered, text);
    fs::write(site.path("tampered.json"), tampered).expect("write");
    let report = verify_json(&site, "tampered.json", 3);
    assert_eq!(report["integrity"], "invalid");
    assert_eq!(report["authenticity"], "untrusted");
    assert!(report["integrity_detail"]
        .as_str()
        .is_some_and(|d| d.contains("does not match")));
    let output = site.run(&["verify", "tampered.json"]);
    assert!(
        stderr(&output).contains("integrity check failed"),
        "{}",
        stderr(&output)
    );
}

/// Issue 10, item 3: a file signed by this site's own key and then edited is a changed file,
/// not a trust problem, in both languages; trusting a key is never suggested.
#[test]
fn a_file_changed_after_this_sites_own_key_signed_it_says_so_and_never_suggests_trusting() {
    let site = Site::new();
    let file = site.converted("legacy-simple.json");
    let text = fs::read_to_string(site.path(&file)).expect("read");
    let tampered = text.replacen("\"creditedtime\": 30", "\"creditedtime\": 31", 1);
    assert_ne!(tampered, text);
    fs::write(site.path("tampered.json"), tampered).expect("write");
    for (lang, changed, no_key) in [
        ("en", "changed after it was signed", "no key can make"),
        ("fr", "modifié après avoir été signé", "aucune clé ne peut"),
    ] {
        let output = site.run(&["--lang", lang, "verify", "tampered.json"]);
        assert_eq!(code(&output), 3, "{}", stderr(&output));
        let (out, err) = (stdout(&output), stderr(&output));
        assert!(out.contains(changed), "{lang}: {out}");
        assert!(out.contains(no_key), "{lang}: {out}");
        assert!(err.contains(changed), "{lang}: {err}");
        for wrong in [
            "UNTRUSTED",
            "not trusted",
            "keys trust",
            "PAS DE CONFIANCE",
            "ne fait pas confiance",
        ] {
            assert!(!out.contains(wrong), "{lang}: {out}");
            assert!(!err.contains(wrong), "{lang}: {err}");
        }
    }
    // The JSON keeps its documented values.
    let report = verify_json(&site, "tampered.json", 3);
    assert_eq!(report["integrity"], "invalid");
    assert_eq!(report["authenticity"], "untrusted");
    assert!(report["integrity_detail"]
        .as_str()
        .is_some_and(|d| d.contains("changed after it was signed")));
}

/// Signs `edit` of a file converted on `site`, with the site's own key, and writes it as `name`.
fn signed_edit(site: &Site, name: &str, edit: impl FnOnce(&mut v2::Document)) {
    let file = "v2-legacy-simple.json";
    if !site.path(file).exists() {
        site.converted("legacy-simple.json");
    }
    let mut document =
        v2::parse(&fs::read(site.path(file)).expect("read")).expect("a converted file");
    edit(&mut document);
    let key = keys::read_private_key(&site.key_dir().join("signing-key.pem")).expect("the key");
    signature::sign(&mut document, &key);
    fs::write(site.path(name), v2::to_text(&document)).expect("write");
}

/// Issue 10, item 5: a correctly signed file whose parts contradict each other is refused by
/// every reader, exit 3, naming the field and the template, in English and French.
#[test]
fn a_correctly_signed_but_inconsistent_file_is_refused_by_every_reader() {
    let site = Site::new();
    let logo = b"not really an image";
    let background = move |sha1: &str, filename: &str| v2::Background {
        filename: filename.to_owned(),
        mimetype: "image/png".to_owned(),
        size: logo.len() as i64,
        sha1: sha1.to_owned(),
        content: base64::engine::general_purpose::STANDARD.encode(logo),
    };
    let right_sha1 = "02bf10a096d51978ef0ac319d41074ac064ab07a";
    type Edit = Box<dyn FnOnce(&mut v2::Document)>;
    let cases: Vec<(&str, Edit, &str, &str, &str)> = vec![
        (
            "template.json",
            Box::new(|d| d.training.template = Some("Absent".to_owned())),
            "training.template",
            "“Absent”",
            "« Absent »",
        ),
        (
            "twice.json",
            Box::new(|d| {
                let copy = d.templates[0].clone();
                d.templates.push(copy);
            }),
            "templates[1].name",
            "“Site”",
            "« Site »",
        ),
        (
            "sha1.json",
            Box::new(move |d| {
                d.templates[0].background = Some(background(
                    "0000000000000000000000000000000000000000",
                    "attest_background.png",
                ));
            }),
            "templates[0].background.sha1",
            "“Site”",
            "« Site »",
        ),
        (
            "filename.json",
            Box::new(move |d| {
                d.templates[0].background = Some(background(right_sha1, "other.png"));
            }),
            "templates[0].background.filename",
            "“Site”",
            "« Site »",
        ),
    ];
    for (name, edit, field, en_name, fr_name) in cases {
        signed_edit(&site, name, edit);
        let report = verify_json(&site, name, 3);
        let error = report["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.starts_with(field), "{name}: {report}");
        assert!(error.contains(en_name), "{name}: {report}");
        assert_eq!(report["version"], 2, "{report}");
        let french = site.run(&["--lang", "fr", "verify", name]);
        assert_eq!(code(&french), 3);
        assert!(
            stderr(&french).contains(fr_name),
            "{name}: {}",
            stderr(&french)
        );
        for command in [
            vec!["restore", name, "--yes"],
            vec!["clone", name, "--suffix", "_2027", "--yes"],
        ] {
            let output = site.run(&command);
            assert_eq!(code(&output), 3, "{command:?}: {}", stderr(&output));
            assert!(
                stderr(&output).contains(field),
                "{command:?}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn an_unsigned_version_2_file_is_rejected() {
    let site = Site::new();
    let file = legacy::parse(&fs::read(vector_path("legacy-simple.json")).expect("read"))
        .expect("the vector reads");
    let document = migrate::legacy_to_v2(&file).expect("converts").document;
    assert!(document.signature.is_none());
    fs::write(site.path("unsigned.json"), v2::to_text(&document)).expect("write");
    let report = verify_json(&site, "unsigned.json", 3);
    assert_eq!(report["integrity"], "unsigned");
    assert_eq!(report["authenticity"], "unsigned");
    assert_eq!(report["key_id"], Value::Null);
    let output = site.run(&["verify", "unsigned.json"]);
    assert!(
        stderr(&output).contains("not signed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_oversized_file_is_rejected_naming_the_limit() {
    let site = Site::new();
    let file = site.vector("legacy-simple.json");
    let output = site.run(&["verify", &file, "--max-size", "100"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("limit of 100 bytes"), "{message}");
    assert!(message.contains("--max-size"), "{message}");
    let report = verify_json(&site, &file, 0);
    assert_eq!(report["integrity"], "valid");
}

#[test]
fn a_file_over_64_mib_is_rejected_by_default_without_being_read() {
    let site = Site::new();
    // A sparse file: its length is over the limit, its content is never read.
    let file = fs::File::create(site.path("huge.json")).expect("create");
    file.set_len(64 * 1024 * 1024 + 1).expect("set the length");
    let output = site.run(&["verify", "huge.json"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("over the limit of 67108864 bytes"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_file_is_a_runtime_error() {
    let site = Site::new();
    let output = site.run(&["verify", "absent.json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("absent.json"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        code(&site.run(&["convert", "absent.json", "-o", "x.json"])),
        1
    );
}

#[test]
fn a_file_that_is_not_a_backup_is_rejected() {
    let site = Site::new();
    fs::write(site.path("other.json"), "{\"hello\": 1}").expect("write");
    let report = verify_json(&site, "other.json", 3);
    assert_eq!(report["format"], Value::Null);
    assert!(report["error"].as_str().is_some());
}

#[test]
fn verify_speaks_french() {
    let site = Site::new();
    let file = site.vector("legacy-tampered.json");
    let output = site.run(&["--lang", "fr", "verify", &file]);
    assert_eq!(code(&output), 3);
    assert!(stdout(&output).contains("intégrité"), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("fichier refusé"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_openssl_recipe_accepts_a_converted_file() {
    let site = Site::new();
    let file = site.converted("legacy-simple.json");
    assert_eq!(code(&site.run(&["keys", "export", "-o", "site.pem"])), 0);
    // Issue 10, item 12: the recipe ships in the binary; `verify --openssl-recipe` needs no FILE
    // and prints the very script of the source tree.
    let printed = site.run(&["verify", "--openssl-recipe"]);
    assert_eq!(code(&printed), 0, "{}", stderr(&printed));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify-with-openssl.sh");
    assert_eq!(
        stdout(&printed),
        fs::read_to_string(&source).expect("the script of the source tree")
    );
    fs::write(site.path("verify-with-openssl.sh"), printed.stdout).expect("save the script");
    let run_script = |args: &[&str]| {
        Command::new("sh")
            .arg("verify-with-openssl.sh")
            .args(args)
            .current_dir(site.dir.path())
            .output()
            .expect("run sh")
    };
    for args in [vec![file.as_str()], vec![file.as_str(), "site.pem"]] {
        let output = run_script(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}{}",
            stdout(&output),
            stderr(&output)
        );
    }
    // And it refuses a changed file.
    let text = fs::read_to_string(site.path(&file)).expect("read");
    let tampered = text.replacen("\"creditedtime\": 30", "\"creditedtime\": 31", 1);
    fs::write(site.path("tampered.json"), tampered).expect("write");
    assert!(!run_script(&["tampered.json"]).status.success());
}

#[test]
fn demo_and_help_point_to_the_recipe_in_the_binary() {
    let site = Site::new();
    let help = site.run(&["verify", "--help"]);
    assert_eq!(code(&help), 0);
    assert!(
        stdout(&help).contains("--openssl-recipe"),
        "{}",
        stdout(&help)
    );
    let without = site.run(&["verify"]);
    assert_eq!(code(&without), 2, "{}", stderr(&without));
    let demo_source =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/demo.rs"))
            .expect("read src/cli/demo.rs");
    assert!(!demo_source.contains("sh docs/verify-with-openssl.sh"));
    assert!(demo_source.contains("verify --openssl-recipe"));
}

/// Issue 10, item 14: `keys untrust`, trusting this site's own key, and files that are not
/// public keys.
#[test]
fn keys_untrust_removes_an_imported_key_and_refuses_the_sites_own() {
    let a = Site::new();
    let file = a.converted("legacy-simple.json");
    assert_eq!(code(&a.run(&["keys", "export", "-o", "a.pem"])), 0);
    let a_id = json(&a.run(&["keys", "show", "--json"]))["key_id"]
        .as_str()
        .expect("key_id")
        .to_owned();

    let b = Site::new();
    assert_eq!(code(&b.run(&["keys", "generate"])), 0);
    let b_id = json(&b.run(&["keys", "show", "--json"]))["key_id"]
        .as_str()
        .expect("key_id")
        .to_owned();
    fs::copy(a.path("a.pem"), b.path("a.pem")).expect("copy");
    fs::copy(a.path(&file), b.path(&file)).expect("copy");
    assert_eq!(code(&b.run(&["keys", "trust", "a.pem"])), 0);
    verify_json(&b, &file, 0);

    // Trusting it again says so and changes nothing.
    let again = b.run(&["keys", "trust", "a.pem"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already trusted"),
        "{}",
        stdout(&again)
    );

    // Untrusting the site's own key is refused, naming it as this site's key.
    for lang in ["en", "fr"] {
        let own = b.run(&["--lang", lang, "keys", "untrust", &b_id]);
        assert_eq!(code(&own), 2, "{}", stderr(&own));
        assert!(
            stderr(&own).contains(if lang == "en" {
                "this site's own"
            } else {
                "clé de signature de ce site"
            }),
            "{}",
            stderr(&own)
        );
    }
    // An unknown id: exit 2, and where to find the ids.
    let unknown = b.run(&["keys", "untrust", "0123456789abcdef"]);
    assert_eq!(code(&unknown), 2, "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("keys list"),
        "{}",
        stderr(&unknown)
    );
    assert_eq!(
        json(&b.run(&["keys", "untrust", "0123456789abcdef", "--json"]))["error"]["code"],
        "unknown-key"
    );

    // The id as copied from a file name, in capitals, is the same id.
    let removed = b.run(&["keys", "untrust", &format!("{}.pem", a_id.to_uppercase())]);
    assert_eq!(code(&removed), 0, "{}", stderr(&removed));
    assert!(stdout(&removed).contains(&a_id), "{}", stdout(&removed));
    let listed = json(&b.run(&["keys", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["source"], "own");
    let report = verify_json(&b, &file, 3);
    assert_eq!(report["authenticity"], "untrusted");
    let twice = b.run(&["keys", "untrust", &a_id]);
    assert_eq!(code(&twice), 2, "{}", stderr(&twice));
}

/// Issue 10, item 13: every `keys` command prints one JSON value with `--json`.
#[test]
fn keys_commands_print_one_json_object_with_json() {
    let a = Site::new();
    let generated = json(&a.run(&["keys", "generate", "--json"]));
    let id = generated["key_id"].as_str().expect("key_id").to_owned();
    assert_eq!(generated["replaced"], Value::Null, "{generated}");
    let exported = json(&a.run(&["keys", "export", "--json"]));
    assert_eq!(exported["key_id"], id.as_str());
    assert!(exported["pem"]
        .as_str()
        .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")));
    let written = json(&a.run(&["keys", "export", "-o", "a.pem", "--json"]));
    assert!(written["output"]
        .as_str()
        .is_some_and(|p| p.ends_with("a.pem")));
    assert_eq!(
        json(&a.run(&["keys", "trust", "a.pem", "--json"]))["status"],
        "own-key"
    );

    let b = Site::new();
    assert_eq!(code(&b.run(&["keys", "generate"])), 0);
    fs::copy(a.path("a.pem"), b.path("a.pem")).expect("copy");
    let trusted = json(&b.run(&["keys", "trust", "a.pem", "--json"]));
    assert_eq!(trusted["status"], "added", "{trusted}");
    assert_eq!(trusted["key_id"], id.as_str());
    assert_eq!(
        json(&b.run(&["keys", "trust", "a.pem", "--json"]))["status"],
        "already-trusted"
    );
    let removed = json(&b.run(&["keys", "untrust", &id, "--json"]));
    assert!(removed["removed"]
        .as_str()
        .is_some_and(|p| p.ends_with(&format!("{id}.pem"))));
    let replaced = json(&a.run(&["keys", "generate", "--force", "--json"]));
    assert_eq!(replaced["replaced"], id.as_str());
}

#[test]
fn trusting_this_sites_own_key_says_so_and_changes_nothing() {
    let site = Site::new();
    assert_eq!(code(&site.run(&["keys", "generate"])), 0);
    assert_eq!(code(&site.run(&["keys", "export", "-o", "own.pem"])), 0);
    for (lang, words) in [
        ("en", "this site's own signing key"),
        ("fr", "clé de signature de ce site"),
    ] {
        let output = site.run(&["--lang", lang, "keys", "trust", "own.pem"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert!(stdout(&output).contains(words), "{}", stdout(&output));
    }
    let listed = json(&site.run(&["keys", "list", "--json"]));
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "listed once: {listed}"
    );
    assert!(
        !site.key_dir().join("trusted").exists()
            || fs::read_dir(site.key_dir().join("trusted"))
                .expect("a directory")
                .next()
                .is_none()
    );
}

#[test]
fn a_file_that_is_not_an_ed25519_public_key_in_pem_form_is_exit_3() {
    let site = Site::new();
    assert_eq!(code(&site.run(&["keys", "generate"])), 0);
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd";
    fs::write(site.path("image.png"), png).expect("write");
    fs::write(site.path("text.pem"), "hello").expect("write");
    fs::copy(
        site.key_dir().join("signing-key.pem"),
        site.path("private.pem"),
    )
    .expect("copy");
    for (file, lang, sentence) in [
        ("image.png", "en", "not an Ed25519 public key in PEM form"),
        ("text.pem", "en", "not an Ed25519 public key in PEM form"),
        ("private.pem", "en", "not an Ed25519 public key in PEM form"),
        (
            "image.png",
            "fr",
            "pas une clé publique Ed25519 au format PEM",
        ),
    ] {
        let output = site.run(&["--lang", lang, "keys", "trust", file]);
        assert_eq!(code(&output), 3, "{file}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(sentence),
            "{file}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(file),
            "{file}: {}",
            stderr(&output)
        );
        // The operator's words, not the decoder's.
        assert!(
            !stderr(&output).contains("ASN.1"),
            "{file}: {}",
            stderr(&output)
        );
    }
    let private = site.run(&["keys", "trust", "private.pem"]);
    assert!(
        stderr(&private).contains("it is a private key"),
        "{}",
        stderr(&private)
    );
    let french = site.run(&["--lang", "fr", "keys", "trust", "image.png"]);
    assert!(
        stderr(&french).contains("n'est pas du texte"),
        "{}",
        stderr(&french)
    );
}

// Issue 9, item 2: a file that cannot be read is said in the operator's words, not the system's.
#[test]
fn a_missing_file_or_a_directory_is_said_without_the_systems_words() {
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::create_dir(dir.path().join("folder")).expect("a folder");
    for (file, en, fr) in [
        (
            "absent.json",
            "there is no such file",
            "ce fichier n'existe pas",
        ),
        ("folder", "it is a directory", "c'est un dossier"),
    ] {
        for (lang, expected) in [("en", en), ("fr", fr)] {
            let output = common::run_in(dir.path(), &["--lang", lang, "verify", file]);
            assert_eq!(output.status.code(), Some(1), "{file}");
            let message = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(message.contains(expected), "{lang} {file}: {message}");
            assert!(!message.contains("os error"), "{message}");
        }
    }
}
