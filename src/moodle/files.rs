//! Reading file content from Moodle's file store (`filedir/xx/yy/<contenthash>`,
//! moodle-core.md §5), checking that the bytes are the ones the database names.

use std::path::{Path, PathBuf};

/// Why stored content could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The content hash in the database is not a SHA-1 in hex, so it names no file.
    #[error("the database gives `{hash}` as content hash, which is not 40 hex digits")]
    BadHash {
        /// The hash as stored.
        hash: String,
    },
    /// The database lists the file but its content is not on disk.
    #[error(
        "the file is listed in the database but {} does not exist: the file store is \
         incomplete (or the site keeps files elsewhere, $CFG->alternative_file_system_class)",
        path.display()
    )]
    Missing {
        /// Where the content should be.
        path: PathBuf,
    },
    /// The content exists but cannot be read.
    #[error("cannot read {}: {reason}; check the permissions of Moodle's data directory", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The bytes on disk do not hash to their name.
    #[error("{} is damaged: its SHA-1 is {actual}, not the {expected} the database names", path.display())]
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
    /// The message in French.
    pub fn french(&self) -> String {
        match self {
            FileError::BadHash { hash } => format!(
                "la base de données donne `{hash}` comme empreinte du contenu, ce qui n'est pas \
                 40 chiffres hexadécimaux"
            ),
            FileError::Missing { path } => format!(
                "le fichier est listé dans la base de données mais {} n'existe pas : le dépôt \
                 de fichiers est incomplet (ou le site range ses fichiers ailleurs, \
                 $CFG->alternative_file_system_class)",
                path.display()
            ),
            FileError::Unreadable { path, reason } => format!(
                "lecture impossible de {} : {reason} ; vérifiez les droits du répertoire de \
                 données de Moodle",
                path.display()
            ),
            FileError::Damaged {
                path,
                expected,
                actual,
            } => format!(
                "{} est endommagé : son SHA-1 est {actual}, et non {expected} comme l'indique \
                 la base de données",
                path.display()
            ),
        }
    }
}

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

    #[test]
    fn a_hash_that_is_not_hex_never_becomes_a_path() {
        assert!(content_path(Path::new("/x"), "../../etc/passwd").is_none());
        assert!(matches!(
            read_content(Path::new("/x"), "zz"),
            Err(FileError::BadHash { .. })
        ));
    }
}
