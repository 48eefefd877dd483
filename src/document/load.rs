//! Reading a backup file of any version: the size limit, then a format-2 document or a legacy file.
//!
//! Every command that reads a backup (`verify`, `convert`, `restore`) goes through [`load_file`],
//! so that they all refuse the same files with the same messages. What goes wrong with the path
//! (missing, unreadable) is a [`LoadError::Read`], exit 1; everything about the content is a
//! [`LoadError::Document`] or [`LoadError::Legacy`], exit 3 (docs/decisions.md §1 and §10).

use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use super::legacy::{self, LegacyError, LegacyFile};
use super::php_json;
use super::v2::{self, Document, DocumentError};
use crate::i18n::Lang;

/// A backup as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Backup {
    /// A format-2 document, parsed strictly; its signature is not checked yet (see
    /// [`signature::verify`](super::signature::verify)).
    V2(Document),
    /// A legacy file of the PHP plugin, whose checksum was found right.
    Legacy(LegacyFile),
}

/// Why a backup file cannot be read.
///
/// Every message is said in English and French by [`LoadError::localized`]; `Display` is the
/// English one; the system's or the parser's own words are in [`LoadError::detail`].
#[derive(Debug)]
pub enum LoadError {
    /// The file cannot be opened or read (missing, a directory, no permission).
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not a format-2 document (nor a legacy file), or is over the size limit.
    Document(DocumentError),
    /// The file is a legacy file that cannot be read: failed export, wrong checksum, malformed.
    Legacy(LegacyError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { source, .. } => Some(source),
            LoadError::Document(error) => Some(error),
            LoadError::Legacy(error) => Some(error),
        }
    }
}

impl LoadError {
    /// Whether the error is about the path (exit 1) rather than the content (exit 3).
    pub fn is_io(&self) -> bool {
        matches!(self, LoadError::Read { .. })
    }

    /// The message in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (LoadError::Read { path, source }, Lang::En) => format!(
                "cannot read {}: {}; check the path and its permissions",
                path.display(),
                io_reason(path, source, lang)
            ),
            (LoadError::Read { path, source }, Lang::Fr) => format!(
                "impossible de lire {} : {} ; vérifiez le chemin et ses droits",
                path.display(),
                io_reason(path, source, lang)
            ),
            (LoadError::Document(error), lang) => error.localized(lang),
            (LoadError::Legacy(error), lang) => error.localized(lang),
        }
    }

    /// The system's or the parser's own words behind the message (`--verbose`).
    pub fn detail(&self) -> Option<String> {
        match self {
            LoadError::Read { source, .. } => Some(source.to_string()),
            LoadError::Document(error) => error.detail(),
            LoadError::Legacy(error) => error.detail(),
        }
    }
}

/// Why a file cannot be read, in the operator's words (not the system's `os error` text).
fn io_reason(path: &Path, error: &io::Error, lang: Lang) -> &'static str {
    if path.is_dir() {
        return lang.pick(
            "it is a directory, not a file",
            "c'est un dossier, pas un fichier",
        );
    }
    crate::i18n::io_reason(error, lang)
}

/// Reads the backup file at `path`, refusing it before reading it whole when it is larger than
/// `max_size` bytes (pass [`v2::MAX_FILE_SIZE`] unless the operator raised the limit with
/// `--max-size`). See [`load_bytes`] for what is accepted.
///
/// # Errors
///
/// [`LoadError::Read`] when the file cannot be opened or read; otherwise the errors of
/// [`load_bytes`].
pub fn load_file(path: &Path, max_size: u64) -> Result<Backup, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    let file = fs::File::open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if metadata.is_dir() {
        return Err(read_error(io::Error::other(
            "it is a directory, not a file",
        )));
    }
    v2::check_size(metadata.len(), max_size).map_err(LoadError::Document)?;
    // The length may be wrong (a pipe, a file growing meanwhile): never read past the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    load_bytes(&bytes, max_size)
}

/// Reads a backup from the bytes of a file: a format-2 document ([`v2::parse_with_limit`]) or,
/// when the top level has no `format` and a `version` of "2019061667", a legacy file
/// ([`legacy::from_value`], which checks its checksum).
///
/// # Errors
///
/// [`LoadError::Document`] when the bytes are over `max_size` or are not a valid format-2
/// document and not a legacy file; [`LoadError::Legacy`] when they are a legacy file that
/// cannot be read (a failed export, a wrong checksum, a malformed member).
pub fn load_bytes(bytes: &[u8], max_size: u64) -> Result<Backup, LoadError> {
    let error = match v2::parse_with_limit(bytes, max_size) {
        Ok(document) => return Ok(Backup::V2(document)),
        Err(error @ DocumentError::TooLarge { .. }) => return Err(LoadError::Document(error)),
        Err(error) => error,
    };
    // The strict format-2 reader refuses some JSON that PHP reads (a repeated key, a float), so
    // a legacy file is recognised on PHP's reading of the bytes, not on the error alone.
    let unmarked = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match php_json::decode(unmarked) {
        Ok(value) if legacy::is_legacy(&value) && value.get("format").is_none() => {
            legacy::from_value(value)
                .map(Backup::Legacy)
                .map_err(LoadError::Legacy)
        }
        _ => Err(LoadError::Document(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::two_texts;

    // Issue 9, item 1: every reason a backup cannot be loaded exists in English and French.
    #[test]
    fn every_load_error_is_said_in_english_and_in_french() {
        let errors = [
            LoadError::Read {
                path: PathBuf::from("/nowhere/backup.json"),
                source: io::Error::from(io::ErrorKind::NotFound),
            },
            LoadError::Document(DocumentError::TooLarge { size: 2, limit: 1 }),
            LoadError::Legacy(LegacyError::ExportFailed("training not exist !".to_owned())),
        ];
        for error in &errors {
            // A new variant is a compile error here.
            match error {
                LoadError::Read { .. } | LoadError::Document(_) | LoadError::Legacy(_) => {}
            }
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert!(!fr.contains("os error"), "{fr}");
            two_texts(en, fr);
        }
    }

    const SIMPLE: &[u8] = include_bytes!("../../tests/vectors/legacy-simple.json");
    const TAMPERED: &[u8] = include_bytes!("../../tests/vectors/legacy-tampered.json");
    const ERROR_NOTFOUND: &[u8] = include_bytes!("../../tests/vectors/legacy-error-notfound.json");

    #[test]
    fn legacy_vector_loads_as_legacy() {
        match load_bytes(SIMPLE, v2::MAX_FILE_SIZE) {
            Ok(Backup::Legacy(file)) => {
                assert_eq!(file.integrity, "93a4d3986e0c2ed3d19af9365190c165a1e5578f");
            }
            other => panic!("expected a legacy file, got {other:?}"),
        }
    }

    #[test]
    fn legacy_with_a_repeated_key_is_read_as_php_reads_it() {
        // PHP keeps the last value of a repeated key; the checksum then decides.
        let text = String::from_utf8(SIMPLE.to_vec()).expect("ASCII");
        let repeated = text.replacen(
            "{\"version\":\"2019061667\",",
            "{\"version\":\"2019061667\",\"version\":\"2019061667\",",
            1,
        );
        match load_bytes(repeated.as_bytes(), v2::MAX_FILE_SIZE) {
            Ok(Backup::Legacy(_)) => {}
            other => panic!("expected a legacy file, got {other:?}"),
        }
    }

    #[test]
    fn tampered_legacy_is_an_integrity_error() {
        let error = load_bytes(TAMPERED, v2::MAX_FILE_SIZE).expect_err("tampered");
        assert!(
            matches!(
                error,
                LoadError::Legacy(LegacyError::IntegrityMismatch { .. })
            ),
            "{error:?}"
        );
        assert!(!error.is_io());
    }

    #[test]
    fn failed_legacy_export_reports_its_error() {
        let error = load_bytes(ERROR_NOTFOUND, v2::MAX_FILE_SIZE).expect_err("failed export");
        match error {
            LoadError::Legacy(LegacyError::ExportFailed(message)) => {
                assert_eq!(message, "training not exist !");
            }
            other => panic!("expected a failed export, got {other:?}"),
        }
    }

    #[test]
    fn over_the_limit_is_refused_before_parsing() {
        let error = load_bytes(SIMPLE, 100).expect_err("too large");
        assert!(
            matches!(
                error,
                LoadError::Document(DocumentError::TooLarge { limit: 100, .. })
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("100 bytes"), "{error}");
    }

    #[test]
    fn file_over_the_limit_is_refused_from_its_length() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big.json");
        fs::write(&path, vec![b' '; 2000]).expect("write");
        let error = load_file(&path, 1000).expect_err("too large");
        assert!(
            matches!(
                error,
                LoadError::Document(DocumentError::TooLarge {
                    size: 2000,
                    limit: 1000
                })
            ),
            "{error:?}"
        );
    }

    #[test]
    fn missing_file_and_directory_are_read_errors() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for path in [dir.path().join("absent.json"), dir.path().to_owned()] {
            let error = load_file(&path, v2::MAX_FILE_SIZE).expect_err("unreadable");
            assert!(error.is_io(), "{error:?}");
            assert!(error.to_string().starts_with("cannot read "), "{error}");
        }
    }

    #[test]
    fn other_json_is_a_document_error() {
        for text in ["[]", "{}", "{\"version\":\"2019061668\"}", "not json"] {
            let error = load_bytes(text.as_bytes(), v2::MAX_FILE_SIZE).expect_err(text);
            assert!(matches!(error, LoadError::Document(_)), "{text}: {error:?}");
        }
    }
}
