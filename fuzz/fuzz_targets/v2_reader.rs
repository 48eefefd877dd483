//! Fuzz target: the format-2 reader (`document::load_bytes`).
//!
//! Property: a file the reader accepts as a format-2 document, written back in its text form
//! (`v2::to_text`), and for an unsigned one in its canonical form (the JCS bytes a signature
//! covers), reads again as the same document; checking its signature and its consistency never panics. A legacy file it
//! accepts converts (or is refused) without panicking.
#![no_main]

use attestoodle_backup::document::load::{load_bytes, Backup};
use attestoodle_backup::document::{migrate, signature, v2};
use attestoodle_backup::i18n::Lang;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match load_bytes(bytes, v2::MAX_FILE_SIZE) {
        Ok(Backup::V2(document)) => {
            let text = v2::to_text(&document);
            let again = v2::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("the text form does not read back: {e}\n{text}"));
            assert_eq!(again, document, "the text form reads as another document");
            // The canonical form keeps the signature without its value, which the reader
            // refuses: only an unsigned document reads back from it.
            if document.signature.is_none() {
                let canonical = signature::canonical_bytes(&document);
                let again = v2::parse(&canonical)
                    .unwrap_or_else(|e| panic!("the canonical form does not read back: {e}"));
                assert_eq!(
                    again, document,
                    "the canonical form reads as another document"
                );
            }
            let _ = signature::verify(&document);
            let _ = v2::validate(&document);
        }
        Ok(Backup::Legacy(file)) => {
            let _ = migrate::legacy_to_v2(&file);
        }
        Err(error) => {
            // Every refusal is said in both languages.
            assert!(!error.localized(Lang::En).is_empty());
            assert!(!error.localized(Lang::Fr).is_empty());
            let _ = error.detail();
        }
    }
});
