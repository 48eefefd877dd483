//! `save --all --keep-days N`: removing the backups of a directory that this tool wrote there
//! itself more than N days ago, and nothing else.
//!
//! A file is this tool's when both its name and its first bytes say so: the name is the one
//! `save` gives (`training-<slug>-<YYYYMMDD>.json`, or `...-legacy.json` for `--format legacy`,
//! the slug in lower-case ASCII letters and digits joined by `-`), and the file begins as `save`
//! writes it (format 2: `"format": "attestoodle-training-backup"`, `"version": 2` and
//! `"generator": "attestoodle-backup ...` on its first lines, in that layout; legacy: the
//! plugin's `{"version":"2019061667",`). It is old when the date of its name and its
//! modification time are both more than N days before now. Symbolic links, directories and
//! files of the other format are never touched.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use time::{Date, Month, OffsetDateTime};

/// Which of this tool's files to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Format-2 files (`training-<slug>-<YYYYMMDD>.json`).
    V2,
    /// Legacy files (`training-<slug>-<YYYYMMDD>-legacy.json`).
    Legacy,
}

/// What a prune did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// The files removed, in name order.
    pub removed: Vec<PathBuf>,
    /// The files that should have been removed but could not be, with the reason.
    pub failed: Vec<(PathBuf, std::io::Error)>,
}

/// The date in the name of a file `save` wrote for `kind`, or `None` when the name is not one.
pub fn name_date(name: &str, kind: Kind) -> Option<Date> {
    let stem = match kind {
        Kind::V2 => name.strip_suffix(".json")?,
        Kind::Legacy => name.strip_suffix("-legacy.json")?,
    };
    let rest = stem.strip_prefix("training-")?;
    let (slug, date) = rest.rsplit_once('-')?;
    let slug_ok = !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !slug_ok || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = date[..4].parse().ok()?;
    let month = Month::try_from(date[4..6].parse::<u8>().ok()?).ok()?;
    let day = date[6..].parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Whether the bytes a file begins with are those `save` writes for `kind`.
pub fn has_header(start: &[u8], kind: Kind) -> bool {
    match kind {
        Kind::Legacy => start.starts_with(br#"{"version":"2019061667","#),
        Kind::V2 => {
            let text = String::from_utf8_lossy(start);
            let lines: Vec<&str> = text.lines().take(5).collect();
            matches!(
                lines.as_slice(),
                ["{", format, version, created, generator]
                    if *format == r#"  "format": "attestoodle-training-backup","#
                        && *version == r#"  "version": 2,"#
                        && created.starts_with(r#"  "created": ""#)
                        && generator.starts_with(r#"  "generator": "attestoodle-backup "#)
            )
        }
    }
}

/// Removes the files of `dir` that this tool wrote for `kind` more than `keep_days` days before
/// `now` (by the date of their name and by their modification time), except those in `keep`.
///
/// # Errors
///
/// The directory cannot be listed. A file that cannot be read or removed is reported in
/// [`Pruned::failed`] and the others are still looked at.
pub fn prune(
    dir: &Path,
    kind: Kind,
    keep_days: u32,
    now: OffsetDateTime,
    keep: &[PathBuf],
) -> std::io::Result<Pruned> {
    let days = Duration::from_secs(u64::from(keep_days) * 86_400);
    let oldest_date = now.date() - time::Duration::days(i64::from(keep_days));
    let oldest_time = SystemTime::from(now)
        .checked_sub(days)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut candidates = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(|n| name_date(n, kind)) else {
            continue;
        };
        if date >= oldest_date {
            continue;
        }
        let path = entry.path();
        if keep.contains(&path) {
            continue;
        }
        candidates.push(path);
    }
    candidates.sort();
    let mut pruned = Pruned::default();
    for path in candidates {
        match is_old_and_ours(&path, kind, oldest_time) {
            Ok(false) => {}
            Ok(true) => match std::fs::remove_file(&path) {
                Ok(()) => pruned.removed.push(path),
                Err(e) => pruned.failed.push((path, e)),
            },
            Err(e) => pruned.failed.push((path, e)),
        }
    }
    Ok(pruned)
}

/// Whether a file is a regular file (not a link) modified before `oldest` that begins as this
/// tool writes `kind`.
fn is_old_and_ours(path: &Path, kind: Kind, oldest: SystemTime) -> std::io::Result<bool> {
    let metadata = std::fs::symlink_metadata(path)?;
    if !metadata.file_type().is_file() || metadata.modified()? >= oldest {
        return Ok(false);
    }
    let mut start = Vec::with_capacity(512);
    std::fs::File::open(path)?
        .take(512)
        .read_to_end(&mut start)?;
    Ok(has_header(&start, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn only_the_names_save_gives_have_a_date() {
        assert_eq!(
            name_date("training-licence-chimie-s1-2026-20261128.json", Kind::V2),
            Some(date!(2026 - 11 - 28))
        );
        assert_eq!(
            name_date("training-anglais-4-20260102-legacy.json", Kind::Legacy),
            Some(date!(2026 - 01 - 02))
        );
        for other in [
            "training-anglais-4-20260102-legacy.json",
            "training-Anglais-20260102.json",
            "training--20260102.json",
            "training-a-20261328.json",
            "training-a-2026112.json",
            "backup-a-20261128.json",
            "training-a-20261128.json.bak",
        ] {
            assert_eq!(name_date(other, Kind::V2), None, "{other}");
        }
        assert_eq!(name_date("training-a-20261128.json", Kind::Legacy), None);
    }

    #[test]
    fn the_header_must_be_the_one_save_writes() {
        let v2 = "{\n  \"format\": \"attestoodle-training-backup\",\n  \"version\": 2,\n  \
                  \"created\": \"2026-11-28T00:00:00Z\",\n  \"generator\": \
                  \"attestoodle-backup 0.1.0\",\n";
        assert!(has_header(v2.as_bytes(), Kind::V2));
        assert!(!has_header(v2.as_bytes(), Kind::Legacy));
        let compact = v2.replace('\n', "").replace("  ", "");
        assert!(!has_header(compact.as_bytes(), Kind::V2));
        let other_tool = v2.replace("attestoodle-backup 0.1.0", "someone else");
        assert!(!has_header(other_tool.as_bytes(), Kind::V2));
        assert!(has_header(
            br#"{"version":"2019061667","training":{}"#,
            Kind::Legacy
        ));
        assert!(!has_header(
            br#"{"training":{},"version":"2019061667"}"#,
            Kind::Legacy
        ));
    }
}
