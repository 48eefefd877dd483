//! The operator's language: English or French, for every message the operator reads.

/// A language the tool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// The language of the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`): French when it
    /// starts with `fr`, English otherwise.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|value| !value.is_empty())
            .map_or(Lang::En, |value| {
                if value.to_ascii_lowercase().starts_with("fr") {
                    Lang::Fr
                } else {
                    Lang::En
                }
            })
    }

    /// Picks the English or the French text.
    pub fn pick<'a>(self, en: &'a str, fr: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}
