//! Moodle's rules that several commands apply, each written once: where an activity stands in
//! its section (the `sequence` → position rule), which names may be spliced into a statement
//! as table names, Attestoodle's file area, the system context and the files' path hashes.
//! Exact-name comparison is `Backend::exact_in` (the one dialect difference it needs), the
//! shared reads are in `rows.rs`.
//!
//! Save, the precheck, `repair`, `list` and the web pages all go through these, so that a
//! backup written by one is read the same way by the other (ARCHITECTURE.md, `src/moodle/`).

use crate::hex::sha1_hex;

/// `context.contextlevel` of the system context. Its id is looked up, never assumed to be 1.
pub const SYSTEM_CONTEXT_LEVEL: i64 = 10;

/// The component of Attestoodle's template backgrounds in `files` (docs/moodle-tables.md §8).
pub const BACKGROUND_COMPONENT: &str = "tool_attestoodle";

/// The file area of Attestoodle's template backgrounds: in the system context, `itemid` the
/// template id, `filepath` `/` (docs/moodle-tables.md §8).
pub const BACKGROUND_AREA: &str = "fichier";

/// The `filepath` of a template background.
pub const BACKGROUND_PATH: &str = "/";

/// Whether `name` may be spliced into a statement as (part of) a table name: a lower-case
/// ASCII letter, then lower-case letters, digits and `_` — what Moodle allows for a plugin
/// (`modules.name`) and what this tool allows for a table prefix or a test database. Anything
/// else never reaches a statement.
pub fn is_plain_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A `files` row's `pathnamehash`: the SHA-1 of `/context/component/area/item` followed by
/// the file path and name (docs/moodle-tables.md §4).
pub fn pathname_hash(
    context: i64,
    component: &str,
    area: &str,
    item: i64,
    path: &str,
    name: &str,
) -> String {
    sha1_hex(format!("/{context}/{component}/{area}/{item}{path}{name}").as_bytes())
}

/// The items of a section's stored `sequence` as positions count them (docs/decisions.md §7, docs/format.md
/// `position`):
///
/// > `position` is the index of the cm's first occurrence in the stored `sequence` split on
/// > commas, counting every item as stored (stale ids and duplicates included), after dropping
/// > empty items and items that are not plain decimal ids (`[0-9]+` after trimming ASCII
/// > spaces). In `5,5,7`, 7 is at position 2 — what the PHP plugin's `posr` gives.
///
/// An all-digit item too large for `i64` is a plain decimal id that matches no course module:
/// it keeps its place (`None`), so that the items after it keep theirs.
pub fn sequence_items(sequence: &str) -> Vec<Option<i64>> {
    sequence
        .split(',')
        .map(|item| item.trim_matches(' '))
        .filter(|item| !item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()))
        .map(|item| item.parse().ok())
        .collect()
}

/// The position of course module `cmid` in a section's `sequence` ([`sequence_items`]): the
/// index of its first occurrence; `None` when it is not there.
pub fn position_in_sequence(sequence: &str, cmid: i64) -> Option<usize> {
    position_in_items(&sequence_items(sequence), cmid)
}

/// [`position_in_sequence`] on items already split (a caller that looks up many modules in
/// one section splits it once).
pub fn position_in_items(items: &[Option<i64>], cmid: i64) -> Option<usize> {
    items.iter().position(|item| *item == Some(cmid))
}

/// The course module at `position` of a section's `sequence` ([`sequence_items`]); `None`
/// when the sequence is shorter, the position negative, or the item there matches no course
/// module id.
pub fn cmid_at_position(sequence: &str, position: i64) -> Option<i64> {
    let position = usize::try_from(position).ok()?;
    sequence_items(sequence).get(position).copied().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_become_table_names() {
        for name in ["quiz", "h5pactivity", "mod_2", "mdl_"] {
            assert!(is_plain_name(name), "{name}");
        }
        for name in [
            "",
            "Quiz",
            "quiz; DROP TABLE x",
            "a.b",
            "2quiz",
            "_x",
            "qu iz",
            "é",
        ] {
            assert!(!is_plain_name(name), "{name}");
        }
    }

    #[test]
    fn pathname_hashes_follow_moodle() {
        // sha1("/1/tool_attestoodle/fichier/1/a.png")
        assert_eq!(
            pathname_hash(1, BACKGROUND_COMPONENT, BACKGROUND_AREA, 1, "/", "a.png"),
            "2d85dfde535e459c669fe8e398045e0e5cf1fd25"
        );
    }

    #[test]
    fn sequence_items_follow_decisions_7() {
        assert_eq!(sequence_items("5,5,7"), vec![Some(5), Some(5), Some(7)]);
        assert_eq!(sequence_items(""), Vec::<Option<i64>>::new());
        assert_eq!(
            sequence_items(" 3 ,,x,4, 99999999999999999999,-2,+1,1.0,\t5"),
            vec![Some(3), Some(4), None]
        );
    }

    #[test]
    fn a_position_is_the_first_occurrence_counting_every_stored_item() {
        assert_eq!(position_in_sequence("5,5,7", 7), Some(2));
        assert_eq!(position_in_sequence("5,5,7", 5), Some(0));
        assert_eq!(position_in_sequence("5,5,7", 8), None);
        assert_eq!(position_in_sequence("12,,x, 7 ", 7), Some(1));
        // A stale id counts as an item.
        assert_eq!(position_in_sequence("404,7", 7), Some(1));
    }

    #[test]
    fn an_over_long_item_keeps_its_place_and_matches_nothing() {
        let sequence = "99999999999999999999,7";
        assert_eq!(position_in_sequence(sequence, 7), Some(1));
        assert_eq!(cmid_at_position(sequence, 1), Some(7));
        assert_eq!(cmid_at_position(sequence, 0), None);
    }

    #[test]
    fn the_module_at_a_position_is_read_back() {
        assert_eq!(cmid_at_position("5,5,7", 2), Some(7));
        assert_eq!(cmid_at_position("5,5,7", 3), None);
        assert_eq!(cmid_at_position("5,5,7", -1), None);
        assert_eq!(cmid_at_position("", 0), None);
        for (sequence, cmid) in [
            ("5,5,7", 7),
            (" 1 , ,2,x,3", 3),
            ("9,99999999999999999999,3", 3),
        ] {
            let position = position_in_sequence(sequence, cmid).expect("present") as i64;
            assert_eq!(
                cmid_at_position(sequence, position),
                Some(cmid),
                "{sequence}"
            );
        }
    }
}
