//! Fuzz target: the legacy reader and its PHP `json_decode`/`json_encode` (`document::legacy`,
//! `document::php_json`).
//!
//! Properties, for every input PHP's `json_decode` accepts (`php_json::decode`):
//! - decode → encode → decode → encode gives the same bytes twice: the checksum of a file
//!   re-encoded is the checksum of the file (but for a negative zero float, as in PHP);
//! - the plugin's writer (`legacy::write`) gives a text whose checksum verifies once decoded;
//! - that text, when it is a legacy file (`version` 2019061667, no `format`), is read as one:
//!   never refused for its checksum, and its conversion to format 2 never panics and gives a
//!   document that reads back from its text form.
//!
//! - with `php` on the PATH (as in CI), PHP itself is asked: `sha1(json_encode(json_decode(
//!   $text)))` must be the SHA-1 of `encode(decode(text))`: the checksum hashes as PHP's does.
//!
//! Random bytes almost never carry a right SHA-1, so the checksum is put right by the writer:
//! the reader behind the checksum is fuzzed too.
#![no_main]

use attestoodle_backup::document::legacy::{self, Integrity, LegacyError};
use attestoodle_backup::document::load::{load_bytes, Backup, LoadError};
use attestoodle_backup::document::{migrate, php_json, v2};
use attestoodle_backup::i18n::Lang;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// One PHP process for the whole run: a line of hex in, `sha1(json_encode(json_decode()))` or
/// `ERR` out.
const PHP: &str = r#"while (($line = fgets(STDIN)) !== false) {
    $value = json_decode(hex2bin(trim($line)));
    echo json_last_error() === JSON_ERROR_NONE ? sha1(json_encode($value)) : 'ERR', "\n";
}"#;

struct Php {
    _child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

/// Whether `value` holds the float -0.0.
fn has_negative_zero(value: &Value) -> bool {
    match value {
        Value::Number(number) => {
            number.is_f64()
                && number
                    .as_f64()
                    .is_some_and(|f| f == 0.0 && f.is_sign_negative())
        }
        Value::Array(items) => items.iter().any(has_negative_zero),
        Value::Object(members) => members.values().any(has_negative_zero),
        _ => false,
    }
}

/// PHP's checksum of `bytes`, or `None` without `php`.
fn php_sha1(bytes: &[u8]) -> Option<String> {
    static PHP_PROCESS: OnceLock<Option<Mutex<Php>>> = OnceLock::new();
    let php = PHP_PROCESS.get_or_init(|| {
        let mut child = Command::new("php")
            .args(["-d", "serialize_precision=-1", "-r", PHP])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let input = child.stdin.take()?;
        let output = BufReader::new(child.stdout.take()?);
        Some(Mutex::new(Php {
            _child: child,
            input,
            output,
        }))
    });
    let mut php = php.as_ref()?.lock().ok()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    writeln!(php.input, "{hex}").expect("php reads");
    let mut answer = String::new();
    php.output.read_line(&mut answer).expect("php answers");
    Some(answer.trim().to_owned())
}

fuzz_target!(|bytes: &[u8]| {
    // The reader on the bytes as they are: no panic, a message in both languages.
    if let Err(error) = legacy::parse(bytes) {
        assert!(!error.localized(Lang::En).is_empty());
        assert!(!error.localized(Lang::Fr).is_empty());
    }
    let Ok(value) = php_json::decode(bytes) else {
        return;
    };
    let encoded = php_json::encode(&value);
    let decoded = php_json::decode(encoded.as_bytes())
        .unwrap_or_else(|e| panic!("json_encode's output is not read back: {e}\n{encoded}"));
    let encoded_again = php_json::encode(&decoded);
    // PHP writes the float -0.0 as `-0`, which it reads back as the integer 0: there, and
    // only there, PHP itself changes the bytes on a second round (the PHP check below covers it).
    if !has_negative_zero(&value) {
        assert_eq!(
            encoded_again, encoded,
            "decode → encode is not stable: the checksum would change"
        );
    }
    for (text, ours) in [(bytes, &encoded), (encoded.as_bytes(), &encoded_again)] {
        if let Some(php) = php_sha1(text) {
            assert_eq!(
                php,
                php_json::sha1_hex(ours.as_bytes()),
                "PHP hashes json_encode(json_decode()) otherwise; ours is {ours}"
            );
        }
    }
    // A negative zero float is written `-0` and read back as the integer 0, by PHP too: the
    // plugin's own files hold none (its values are strings, integers and null).
    let Value::Object(members) = &value else {
        return;
    };
    if has_negative_zero(&value) {
        return;
    }
    let written = legacy::write(members);
    let read = php_json::decode(written.as_bytes())
        .unwrap_or_else(|e| panic!("the writer's output is not read back: {e}\n{written}"));
    assert!(
        matches!(legacy::verify_integrity(&read), Integrity::Valid { .. }),
        "the checksum the writer computed does not verify: {written}"
    );
    if !legacy::is_legacy(&read) || read.get("format").is_some() {
        return;
    }
    match load_bytes(written.as_bytes(), v2::MAX_FILE_SIZE) {
        Ok(Backup::Legacy(file)) => {
            if let Ok(migrated) = migrate::legacy_to_v2(&file) {
                let text = v2::to_text(&migrated.document);
                let again = v2::parse(text.as_bytes()).unwrap_or_else(|e| {
                    panic!("a converted document does not read back: {e}\n{text}")
                });
                assert_eq!(again, migrated.document);
            }
        }
        Ok(Backup::V2(_)) => {}
        Err(LoadError::Legacy(LegacyError::IntegrityMismatch { expected, computed })) => {
            panic!("the writer's checksum {expected} is refused: the reader computes {computed}")
        }
        Err(error) => {
            assert!(!error.localized(Lang::En).is_empty());
            assert!(!error.localized(Lang::Fr).is_empty());
        }
    }
});
