//! The site's time zone, and the one way dates are shown to the operator (the command line's
//! precheck and report, the web's precheck page): a day `YYYY-MM-DD` in the zone Moodle shows
//! (docs/decisions.md §17), the zone named once. JSON keeps Unix seconds.
//!
//! The zone database is embedded (jiff's bundled tzdb), so the tool shows the same days on any
//! host, whatever its own zone files.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::i18n::Lang;

/// The time zone a site shows dates in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SiteZone {
    /// The site sets no zone (`forcetimezone` and `timezone` unset or `99`): UTC.
    #[default]
    NotSet,
    /// A zone of the database, by its name (`Europe/London`).
    Named(String),
    /// A name the zone database does not know: UTC is used.
    Unknown(String),
}

impl SiteZone {
    /// The zone of a setting as [`crate::moodle::Site::time_zone`] reads it.
    pub fn new(setting: Option<String>) -> SiteZone {
        match setting {
            None => SiteZone::NotSet,
            Some(name) if name.eq_ignore_ascii_case("UTC") => SiteZone::Named("UTC".to_owned()),
            Some(name) => match jiff::tz::db().get(&name) {
                Ok(_) => SiteZone::Named(name),
                Err(_) => SiteZone::Unknown(name),
            },
        }
    }

    fn tz(&self) -> TimeZone {
        match self {
            SiteZone::Named(name) => jiff::tz::db().get(name).unwrap_or(TimeZone::UTC),
            SiteZone::NotSet | SiteZone::Unknown(_) => TimeZone::UTC,
        }
    }

    /// The day of a Unix time in this zone, `YYYY-MM-DD`; the number itself when it is out of
    /// the calendar's range.
    pub fn day(&self, t: i64) -> String {
        match Timestamp::from_second(t) {
            Ok(at) => self.tz().to_datetime(at).date().to_string(),
            Err(_) => t.to_string(),
        }
    }

    /// The zone as the operator reads it, once beside the dates.
    pub fn label(&self, lang: Lang) -> String {
        match (self, lang) {
            (SiteZone::Named(name), _) => name.clone(),
            (SiteZone::NotSet, Lang::En) => "UTC (the site sets no time zone)".to_owned(),
            (SiteZone::NotSet, Lang::Fr) => {
                "UTC (le site n'indique pas de fuseau horaire)".to_owned()
            }
            (SiteZone::Unknown(name), Lang::En) => {
                format!("UTC (the site's time zone `{name}` is unknown)")
            }
            (SiteZone::Unknown(name), Lang::Fr) => {
                format!("UTC (le fuseau horaire du site `{name}` est inconnu)")
            }
        }
    }

    /// `start → end (zone)`, `-` for no end.
    pub fn dates(&self, start: i64, end: Option<i64>, lang: Lang) -> String {
        format!(
            "{} → {} ({})",
            self.day(start),
            end.map_or_else(|| "-".to_owned(), |end| self.day(end)),
            self.label(lang)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_those_of_the_site_zone() {
        // 2026-08-31 23:00 UTC is 1 September in London (summer time).
        let start = 1_788_217_200;
        let london = SiteZone::new(Some("Europe/London".to_owned()));
        assert_eq!(london.day(start), "2026-09-01");
        assert_eq!(london.label(Lang::En), "Europe/London");
        let utc = SiteZone::new(None);
        assert_eq!(utc.day(start), "2026-08-31");
        assert!(utc.label(Lang::En).contains("no time zone"));
        let unknown = SiteZone::new(Some("Mars/Olympus".to_owned()));
        assert_eq!(unknown, SiteZone::Unknown("Mars/Olympus".to_owned()));
        assert_eq!(unknown.day(start), "2026-08-31");
        assert!(unknown
            .label(Lang::Fr)
            .contains("`Mars/Olympus` est inconnu"));
        assert_eq!(
            london.dates(start, None, Lang::En),
            "2026-09-01 → - (Europe/London)"
        );
        assert_eq!(london.day(i64::MAX), i64::MAX.to_string());
    }
}
