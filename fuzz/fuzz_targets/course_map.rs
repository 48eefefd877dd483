//! Fuzz target: the course-map CSV of `--course-map` and the web's *Course map* field
//! (`restore::Rename::add_course_map`), with the `OLD=NEW` renames beside it.
//!
//! Property: a map the reader accepts, written back as CSV (every field double-quoted, `"`
//! doubled), reads again as the same renames; a refusal names its line; nothing panics.
#![no_main]

use attestoodle_backup::i18n::Lang;
use attestoodle_backup::restore::{Rename, RenameError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut rename = Rename::default();
    match rename.add_course_map(text) {
        Ok(()) => {}
        Err(error) => {
            // A refusal of a map names its line, in both languages.
            assert!(
                matches!(
                    error,
                    RenameError::UnbalancedQuote { .. }
                        | RenameError::NotTwoFields { .. }
                        | RenameError::MapRenamedTwice { .. }
                ),
                "{error:?}"
            );
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert!(!en.is_empty() && !fr.is_empty() && en != fr, "{en} / {fr}");
            return;
        }
    }
    let written: String = rename
        .courses
        .iter()
        .map(|(old, new)| format!("{},{}\r\n", quoted(old), quoted(new)))
        .collect();
    let mut again = Rename::default();
    again
        .add_course_map(&written)
        .unwrap_or_else(|e| panic!("the map written back is refused: {e:?}\n{written}"));
    assert_eq!(again.courses, rename.courses, "written back:\n{written}");
    for (old, new) in &rename.courses {
        assert_eq!(&rename.course(old), new);
        // The same rename given as `OLD=NEW` agrees with the map.
        if !old.contains('=') {
            again
                .add_course_rename(&format!("{old}={new}"))
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
    assert_eq!(again.courses, rename.courses);
});

fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}
