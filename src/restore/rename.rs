//! The rules of a clone: the new training name, the course short names on the target, and
//! the shift of dates.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use crate::i18n::Lang;

/// Why a clone rule the operator wrote (a course rename, a line of a course map, a day)
/// cannot be used. Its English and French texts are one `match` in
/// [`RenameError::localized`]; they name no command-line flag, so the command line and the
/// web pages both say them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// A course rename that is not `OLD=NEW`.
    NotARename {
        /// What was written.
        spec: String,
    },
    /// The same course renamed to two different names.
    RenamedTwice {
        /// The course's short name in the file.
        old: String,
        /// The first new name.
        first: String,
        /// The other new name.
        second: String,
    },
    /// A line of a course map has an unbalanced double quote.
    UnbalancedQuote {
        /// The line number, from 1.
        line: usize,
    },
    /// A line of a course map is not two non-empty fields.
    NotTwoFields {
        /// The line number, from 1.
        line: usize,
        /// The line as written.
        text: String,
    },
    /// A line of a course map renames a course another line renamed otherwise.
    MapRenamedTwice {
        /// The line number, from 1.
        line: usize,
        /// The course's short name in the file.
        old: String,
        /// The first new name.
        first: String,
        /// The other new name.
        second: String,
    },
    /// A start day that is not `YYYY-MM-DD`.
    NotADay {
        /// What was written.
        text: String,
    },
}

impl RenameError {
    /// What is wrong and how to write it, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (RenameError::NotARename { spec }, Lang::En) => {
                format!("`{spec}` is not a course rename: write OLD=NEW, e.g. CHIM101=CHIM101-2027")
            }
            (RenameError::NotARename { spec }, Lang::Fr) => format!(
                "`{spec}` n'est pas un renommage de cours : écrivez ANCIEN=NOUVEAU, par ex. \
                 CHIM101=CHIM101-2027"
            ),
            (RenameError::RenamedTwice { old, first, second }, Lang::En) => format!(
                "the course `{old}` is renamed twice: to `{first}` and to `{second}`; keep one"
            ),
            (RenameError::RenamedTwice { old, first, second }, Lang::Fr) => format!(
                "le cours `{old}` est renommé deux fois : en `{first}` et en `{second}` ; \
                 gardez-en un"
            ),
            (RenameError::UnbalancedQuote { line }, Lang::En) => format!(
                "line {line}: a double quote is opened and never closed; close it, or write \
                 \"\" for a quote inside a quoted field"
            ),
            (RenameError::UnbalancedQuote { line }, Lang::Fr) => format!(
                "ligne {line} : un guillemet droit est ouvert et jamais fermé ; fermez-le, ou \
                 écrivez \"\" pour un guillemet dans un champ entre guillemets"
            ),
            (RenameError::NotTwoFields { line, text }, Lang::En) => {
                format!("line {line}: expected two non-empty fields `old,new`, found `{text}`")
            }
            (RenameError::NotTwoFields { line, text }, Lang::Fr) => format!(
                "ligne {line} : deux champs non vides `ancien,nouveau` attendus, trouvé \
                 `{text}`"
            ),
            (
                RenameError::MapRenamedTwice {
                    line,
                    old,
                    first,
                    second,
                },
                Lang::En,
            ) => format!(
                "line {line}: the course `{old}` is renamed twice: to `{first}` and to \
                 `{second}`; keep one"
            ),
            (
                RenameError::MapRenamedTwice {
                    line,
                    old,
                    first,
                    second,
                },
                Lang::Fr,
            ) => format!(
                "ligne {line} : le cours `{old}` est renommé deux fois : en `{first}` et en \
                 `{second}` ; gardez-en un"
            ),
            (RenameError::NotADay { text }, Lang::En) => {
                format!("`{text}` is not a date: write YYYY-MM-DD, e.g. 2027-09-01")
            }
            (RenameError::NotADay { text }, Lang::Fr) => {
                format!("`{text}` n'est pas une date : écrivez AAAA-MM-JJ, par ex. 2027-09-01")
            }
        }
    }
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for RenameError {}

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
    pub fn add_course_rename(&mut self, spec: &str) -> Result<(), RenameError> {
        match spec.split_once('=') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() => self
                .insert(old, new)
                .map_err(|first| RenameError::RenamedTwice {
                    old: old.to_owned(),
                    first,
                    second: new.to_owned(),
                }),
            _ => Err(RenameError::NotARename {
                spec: spec.to_owned(),
            }),
        }
    }

    /// Adds the renames of a CSV text with two columns `old,new`, one course a line. A first
    /// line `old,new` is a header; empty lines are skipped; a field may be double-quoted
    /// (`""` inside stands for `"`). Short names are taken as written: no trimming.
    pub fn add_course_map(&mut self, text: &str) -> Result<(), RenameError> {
        for (number, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || (number == 0 && line == "old,new") {
                continue;
            }
            let fields =
                split_csv(line).ok_or(RenameError::UnbalancedQuote { line: number + 1 })?;
            match fields.as_slice() {
                [old, new] if !old.is_empty() && !new.is_empty() => {
                    self.insert(old, new)
                        .map_err(|first| RenameError::MapRenamedTwice {
                            line: number + 1,
                            old: old.clone(),
                            first,
                            second: new.clone(),
                        })?;
                }
                _ => {
                    return Err(RenameError::NotTwoFields {
                        line: number + 1,
                        text: line.to_owned(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Adds one rename; a course already renamed otherwise gives its first new name.
    fn insert(&mut self, old: &str, new: &str) -> Result<(), String> {
        match self.courses.get(old) {
            Some(existing) if existing != new => Err(existing.clone()),
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
pub fn parse_day(text: &str) -> Result<Date, RenameError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|_| RenameError::NotADay {
        text: text.to_owned(),
    })
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

    fn rename_variant(error: &RenameError) -> usize {
        match error {
            RenameError::NotARename { .. } => 0,
            RenameError::RenamedTwice { .. } => 1,
            RenameError::UnbalancedQuote { .. } => 2,
            RenameError::NotTwoFields { .. } => 3,
            RenameError::MapRenamedTwice { .. } => 4,
            RenameError::NotADay { .. } => 5,
        }
    }

    // Issue 9, item 1: every clone rule refused is said in English and French.
    #[test]
    fn every_rename_error_is_said_in_english_and_in_french() {
        let mut twice = Rename::default();
        twice.add_course_rename("A=B").expect("a rename");
        let errors = [
            Rename::default()
                .add_course_rename("novalue")
                .expect_err("no ="),
            twice.add_course_rename("A=C").expect_err("twice"),
            Rename::default()
                .add_course_map("\"a,b")
                .expect_err("a quote"),
            Rename::default()
                .add_course_map("a,b,c")
                .expect_err("three fields"),
            Rename::default()
                .add_course_map("A,B\nA,C")
                .expect_err("twice in a map"),
            parse_day("01/09/2027").expect_err("not a day"),
        ];
        crate::i18n::testing::every_variant(errors.iter().map(rename_variant), 6);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            crate::i18n::testing::two_texts(en, fr);
        }
        assert!(errors[4].localized(Lang::Fr).starts_with("ligne 2 :"));
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
