//! The rules of a clone: the new training name, the course short names on the target, and
//! the shift of dates.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

/// How names change between the file and the target site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rename {
    /// `--name NEW`: the training name, instead of the file's.
    pub name: Option<String>,
    /// `--suffix S`: appended to the training name (unless `name`) and to every course short
    /// name without an explicit rename.
    pub suffix: Option<String>,
    /// `--rename-course OLD=NEW` and `--course-map FILE`: explicit course renames, which win
    /// over the suffix.
    pub courses: BTreeMap<String, String>,
}

impl Rename {
    /// The training name on the target.
    pub fn training_name(&self, original: &str) -> String {
        match (&self.name, &self.suffix) {
            (Some(name), _) => name.clone(),
            (None, Some(suffix)) => format!("{original}{suffix}"),
            (None, None) => original.to_owned(),
        }
    }

    /// The short name on the target of the course named `original` in the file.
    pub fn course(&self, original: &str) -> String {
        if let Some(renamed) = self.courses.get(original) {
            return renamed.clone();
        }
        match &self.suffix {
            Some(suffix) => format!("{original}{suffix}"),
            None => original.to_owned(),
        }
    }

    /// Adds a `OLD=NEW` rename. The first `=` splits, so a new name may hold `=`.
    pub fn add_course_rename(&mut self, spec: &str) -> Result<(), String> {
        match spec.split_once('=') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() => {
                self.insert(old, new)?;
                Ok(())
            }
            _ => Err(format!(
                "`{spec}` is not a course rename: write OLD=NEW, e.g. CHIM101=CHIM101-2027"
            )),
        }
    }

    /// Adds the renames of a CSV text with two columns `old,new`, one course a line. A first
    /// line `old,new` is a header; empty lines are skipped; a field may be double-quoted
    /// (`""` inside stands for `"`). Short names are taken as written: no trimming.
    pub fn add_course_map(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || (number == 0 && line == "old,new") {
                continue;
            }
            let fields = split_csv(line)
                .ok_or_else(|| format!("line {}: unbalanced double quote", number + 1))?;
            match fields.as_slice() {
                [old, new] if !old.is_empty() && !new.is_empty() => self
                    .insert(old, new)
                    .map_err(|e| format!("line {}: {e}", number + 1))?,
                _ => {
                    return Err(format!(
                        "line {}: expected two non-empty fields `old,new`, found `{line}`",
                        number + 1
                    ))
                }
            }
        }
        Ok(())
    }

    fn insert(&mut self, old: &str, new: &str) -> Result<(), String> {
        match self.courses.get(old) {
            Some(existing) if existing != new => Err(format!(
                "the course `{old}` is renamed twice: to `{existing}` and to `{new}`"
            )),
            _ => {
                self.courses.insert(old.to_owned(), new.to_owned());
                Ok(())
            }
        }
    }
}

/// Splits one CSV line into fields; `None` for an unbalanced quote.
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => quoted = true,
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            _ => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return None;
    }
    fields.push(field);
    Some(fields)
}

/// The largest date shift, in days either way (about a century): the command line and the
/// web refuse more.
pub const MAX_SHIFT_DAYS: i64 = 36_500;

/// Reads a number of days for `--shift-dates`, within ±[`MAX_SHIFT_DAYS`].
pub fn parse_shift_days(text: &str) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|days| days.abs() <= MAX_SHIFT_DAYS)
}

/// How to move the dates of a clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateShift {
    /// `--shift-dates DAYS`.
    Days(i64),
    /// `--start YYYY-MM-DD`: the start date moves to that day (UTC), keeping its time of day;
    /// every other date moves by the same number of days.
    Start(Date),
}

impl DateShift {
    /// The number of days to add, for a training starting at `startdate` (Unix seconds).
    pub fn days(self, startdate: i64) -> i64 {
        match self {
            DateShift::Days(days) => days,
            DateShift::Start(day) => {
                let from = OffsetDateTime::from_unix_timestamp(startdate)
                    .map(|t| t.date())
                    .unwrap_or(day);
                i64::from(day.to_julian_day() - from.to_julian_day())
            }
        }
    }
}

/// Reads `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format)
        .map_err(|_| format!("`{text}` is not a date: write YYYY-MM-DD, e.g. 2027-09-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_renames_win_over_the_suffix() {
        let mut rename = Rename {
            suffix: Some("_2027".to_owned()),
            ..Rename::default()
        };
        rename
            .add_course_rename("ANG-B2=ANGLAIS-B2")
            .expect("a rename");
        assert_eq!(rename.course("CHIM101"), "CHIM101_2027");
        assert_eq!(rename.course("ANG-B2"), "ANGLAIS-B2");
        assert_eq!(rename.training_name("Licence"), "Licence_2027");
        rename.name = Some("Autre".to_owned());
        assert_eq!(rename.training_name("Licence"), "Autre");
        assert!(rename.add_course_rename("ANG-B2=X").is_err());
        assert!(rename.add_course_rename("novalue").is_err());
    }

    #[test]
    fn course_maps_read_csv_with_quotes_and_a_header() {
        let mut rename = Rename::default();
        rename
            .add_course_map("old,new\r\nCHIM101,CHIM101-27\n\n\"A,B\",\"say \"\"hi\"\"\"\n")
            .expect("a map");
        assert_eq!(rename.course("CHIM101"), "CHIM101-27");
        assert_eq!(rename.course("A,B"), "say \"hi\"");
        assert_eq!(rename.course("OTHER"), "OTHER");
        assert!(Rename::default().add_course_map("a,b,c").is_err());
        assert!(Rename::default().add_course_map("\"a,b").is_err());
    }

    #[test]
    fn a_start_day_keeps_the_time_of_day() {
        // 2026-09-01 22:00 UTC → 2027-09-01: 365 days.
        let start = 1_788_220_800 + 22 * 3600;
        let day = parse_day("2027-09-01").expect("a date");
        assert_eq!(DateShift::Start(day).days(start), 365);
        assert_eq!(DateShift::Days(-3).days(start), -3);
        assert!(parse_day("01/09/2027").is_err());
    }

    #[test]
    fn a_shift_is_bounded_to_a_century() {
        assert_eq!(parse_shift_days("365"), Some(365));
        assert_eq!(parse_shift_days("-36500"), Some(-36_500));
        assert_eq!(parse_shift_days("36501"), None);
        assert_eq!(parse_shift_days("106751991167300"), None);
        assert_eq!(parse_shift_days("soon"), None);
    }
}
