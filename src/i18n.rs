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

/// Why a file cannot be read or written, in the operator's words rather than the system's
/// `os error` text (which `--verbose` shows).
pub fn io_reason(error: &std::io::Error, lang: Lang) -> &'static str {
    use std::io::ErrorKind as K;
    match (error.kind(), lang) {
        (K::NotFound, Lang::En) => "there is no such file",
        (K::NotFound, Lang::Fr) => "ce fichier n'existe pas",
        (K::PermissionDenied, Lang::En) => "this is not permitted",
        (K::PermissionDenied, Lang::Fr) => "ce n'est pas permis",
        (K::AlreadyExists, Lang::En) => "something of that name exists already",
        (K::AlreadyExists, Lang::Fr) => "quelque chose de ce nom existe déjà",
        (K::StorageFull, Lang::En) => "the disk is full",
        (K::StorageFull, Lang::Fr) => "le disque est plein",
        (K::ReadOnlyFilesystem, Lang::En) => "the file system is read-only",
        (K::ReadOnlyFilesystem, Lang::Fr) => "le système de fichiers est en lecture seule",
        (K::IsADirectory, Lang::En) => "it is a directory, not a file",
        (K::IsADirectory, Lang::Fr) => "c'est un dossier, pas un fichier",
        (K::NotADirectory, Lang::En) => "a part of the path is not a directory",
        (K::NotADirectory, Lang::Fr) => "une partie du chemin n'est pas un dossier",
        (K::InvalidData, Lang::En) => "its content cannot be read",
        (K::InvalidData, Lang::Fr) => "son contenu ne peut pas être lu",
        (_, Lang::En) => "the system refused (--verbose shows its words)",
        (_, Lang::Fr) => "le système a refusé (--verbose montre ses mots)",
    }
}

/// What the tests of every message type share: each variant said, in both languages.
#[cfg(test)]
pub(crate) mod testing {
    /// Both texts of a message exist and differ (the French one is not the English one).
    pub(crate) fn two_texts(en: String, fr: String) {
        assert!(!en.is_empty() && !fr.is_empty(), "{en} / {fr}");
        assert_ne!(en, fr);
    }

    /// The values built by a test cover each of the `count` variants of their type, by the
    /// variant numbers of an exhaustive `match`.
    pub(crate) fn every_variant(seen: impl IntoIterator<Item = usize>, count: usize) {
        let mut seen: Vec<usize> = seen.into_iter().collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen,
            (0..count).collect::<Vec<_>>(),
            "one value of each variant"
        );
    }
}
