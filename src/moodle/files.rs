//! Reading file content from Moodle's file store (`filedir/xx/yy/<contenthash>`,
//! docs/moodle-tables.md §4), checking that the bytes are the ones the database names.

use std::path::{Path, PathBuf};

use crate::i18n::{io_reason, Lang};

/// Why stored content could not be read.
///
/// Its English and French texts are one `match` in [`FileError::localized`]; `Display` is the
/// English one; the system's own words are in [`FileError::detail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The content hash in the database is not a SHA-1 in hex, so it names no file.
    BadHash {
        /// The hash as stored.
        hash: String,
    },
    /// The database lists the file but its content is not on disk.
    Missing {
        /// Where the content should be.
        path: PathBuf,
    },
    /// The content exists but cannot be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What kind of refusal it was (said in the operator's words).
        kind: std::io::ErrorKind,
        /// The system's words (`--verbose`).
        reason: String,
    },
    /// The bytes on disk do not hash to their name.
    Damaged {
        /// The file.
        path: PathBuf,
        /// The hash the database gives.
        expected: String,
        /// The hash of the bytes read.
        actual: String,
    },
}

impl FileError {
    /// The message in the operator's language: what is wrong with the stored file, and what
    /// to check.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (FileError::BadHash { hash }, Lang::En) => format!(
                "the database gives `{hash}` as content hash, which is not 40 hex digits, so it \
                 names no file; the file table of the site is damaged"
            ),
            (FileError::BadHash { hash }, Lang::Fr) => format!(
                "la base de données donne `{hash}` comme empreinte du contenu, ce qui n'est pas \
                 40 chiffres hexadécimaux et ne désigne donc aucun fichier ; la table des \
                 fichiers du site est abîmée"
            ),
            (FileError::Missing { path }, Lang::En) => format!(
                "the file is listed in the database but {} does not exist: the file store is \
                 incomplete (or the site keeps files elsewhere, \
                 $CFG->alternative_file_system_class)",
                path.display()
            ),
            (FileError::Missing { path }, Lang::Fr) => format!(
                "le fichier est listé dans la base de données mais {} n'existe pas : le dépôt \
                 de fichiers est incomplet (ou le site range ses fichiers ailleurs, \
                 $CFG->alternative_file_system_class)",
                path.display()
            ),
            (FileError::Unreadable { path, kind, .. }, Lang::En) => format!(
                "cannot read {}: {}; check the permissions of Moodle's data directory",
                path.display(),
                io_reason(&std::io::Error::from(*kind), lang)
            ),
            (FileError::Unreadable { path, kind, .. }, Lang::Fr) => format!(
                "lecture impossible de {} : {} ; vérifiez les droits du répertoire de données \
                 de Moodle",
                path.display(),
                io_reason(&std::io::Error::from(*kind), lang)
            ),
            (
                FileError::Damaged {
                    path,
                    expected,
                    actual,
                },
                Lang::En,
            ) => format!(
                "{} is damaged: its SHA-1 is {actual}, not the {expected} the database names; \
                 restore the file store from a backup",
                path.display()
            ),
            (
                FileError::Damaged {
                    path,
                    expected,
                    actual,
                },
                Lang::Fr,
            ) => format!(
                "{} est endommagé : son SHA-1 est {actual}, et non {expected} comme l'indique \
                 la base de données ; restaurez le dépôt de fichiers depuis une sauvegarde",
                path.display()
            ),
        }
    }

    /// The system's own words behind the message (`--verbose`), when there are some.
    pub fn detail(&self) -> Option<String> {
        match self {
            FileError::Unreadable { reason, .. } => Some(reason.clone()),
            FileError::BadHash { .. } | FileError::Missing { .. } | FileError::Damaged { .. } => {
                None
            }
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for FileError {}

pub use crate::hex::sha1_hex;

/// Where the content with this hash lives under `filedir`; `None` when the hash is not 40 hex
/// digits (it then names no file, and must never become a path).
pub fn content_path(filedir: &Path, contenthash: &str) -> Option<PathBuf> {
    let hash = contenthash.to_ascii_lowercase();
    if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(filedir.join(&hash[..2]).join(&hash[2..4]).join(&hash))
}

/// Reads the content named by `contenthash` from `filedir` and checks its SHA-1.
///
/// # Errors
///
/// A [`FileError`] saying why: bad hash, missing, unreadable, or damaged content.
pub fn read_content(filedir: &Path, contenthash: &str) -> Result<Vec<u8>, FileError> {
    let path = content_path(filedir, contenthash).ok_or_else(|| FileError::BadHash {
        hash: contenthash.to_owned(),
    })?;
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FileError::Missing { path })
        }
        Err(e) => {
            return Err(FileError::Unreadable {
                path,
                kind: e.kind(),
                reason: e.to_string(),
            })
        }
    };
    let actual = sha1_hex(&bytes);
    let expected = contenthash.to_ascii_lowercase();
    if actual != expected {
        return Err(FileError::Damaged {
            path,
            expected,
            actual,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_found_under_its_hash_and_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = b"background";
        let hash = sha1_hex(bytes);
        let path = content_path(dir.path(), &hash).expect("a valid hash");
        assert!(path.ends_with(format!("{}/{}/{hash}", &hash[..2], &hash[2..4])));
        assert!(matches!(
            read_content(dir.path(), &hash),
            Err(FileError::Missing { .. })
        ));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        assert_eq!(read_content(dir.path(), &hash).expect("read"), bytes);
        std::fs::write(&path, b"other").expect("write");
        assert!(matches!(
            read_content(dir.path(), &hash),
            Err(FileError::Damaged { .. })
        ));
    }

    fn file_variant(error: &FileError) -> usize {
        match error {
            FileError::BadHash { .. } => 0,
            FileError::Missing { .. } => 1,
            FileError::Unreadable { .. } => 2,
            FileError::Damaged { .. } => 3,
        }
    }

    // Issue 9, item 1: every reason stored content cannot be read, in English and French.
    #[test]
    fn every_file_error_is_said_in_english_and_in_french() {
        let path = PathBuf::from("/moodledata/filedir/ab/cd/abcd");
        let errors = [
            FileError::BadHash {
                hash: "zz".to_owned(),
            },
            FileError::Missing { path: path.clone() },
            FileError::Unreadable {
                path: path.clone(),
                kind: std::io::ErrorKind::PermissionDenied,
                reason: "Permission denied (os error 13)".to_owned(),
            },
            FileError::Damaged {
                path,
                expected: "ab".to_owned(),
                actual: "cd".to_owned(),
            },
        ];
        crate::i18n::testing::every_variant(errors.iter().map(file_variant), 4);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            assert!(!en.contains("os error") && !fr.contains("os error"), "{en}");
            crate::i18n::testing::two_texts(en, fr);
        }
    }

    #[test]
    fn a_hash_that_is_not_hex_never_becomes_a_path() {
        assert!(content_path(Path::new("/x"), "../../etc/passwd").is_none());
        assert!(matches!(
            read_content(Path::new("/x"), "zz"),
            Err(FileError::BadHash { .. })
        ));
    }
}
