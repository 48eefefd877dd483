//! The history of what was written: one JSON line per apply (restore, clone, replace, repair),
//! appended to an audit log that is created mode 0600 and never rewritten (issue "preview,
//! history, install", part 2).
//!
//! A write that cannot be logged is refused before anything is written: callers open the log
//! ([`AuditLog::open`]) before the apply, then append its outcome ([`AuditLog::append`]). A dry
//! run writes nothing and logs nothing. No database and no HTTP here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::i18n::Lang;

/// The log's file name in the key directory, its default place.
pub const FILE_NAME: &str = "audit.jsonl";

/// The default path of the log: `audit.jsonl` in the key directory.
pub fn default_path() -> PathBuf {
    crate::document::keys::default_key_dir().join(FILE_NAME)
}

/// Who applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The Moodle username, when known.
    pub username: Option<String>,
    /// The Moodle user id, when known.
    pub id: Option<i64>,
    /// On the web, the client's address.
    pub client: Option<String>,
}

/// What was applied: a backup file, or a live training of the site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file's name, as given or uploaded.
    pub file: Option<String>,
    /// The SHA-256 of the file's bytes (hex).
    pub sha256: Option<String>,
    /// The id of the key that signed it.
    pub key_id: Option<String>,
    /// Whether this site trusts that key.
    pub trusted: bool,
    /// The live training saved in memory for the apply (a clone from a training's page).
    pub live_training: Option<i64>,
}

impl Source {
    /// A file, with the SHA-256 of its bytes.
    pub fn file(name: &str, bytes: &[u8]) -> Source {
        Source {
            file: Some(name.to_owned()),
            sha256: Some(sha256_hex(bytes)),
            ..Source::default()
        }
    }
}

/// The training written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    /// Its id (`None` when nothing was committed for a new training).
    pub id: Option<i64>,
    /// Its name.
    pub name: String,
    /// `create`, `replace` or `repair`.
    pub action: String,
}

/// Rows written, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Milestones written (or relinked, for a repair).
    pub milestones: usize,
    /// Learners.
    pub learners: usize,
    /// Learner styles.
    pub learner_styles: usize,
    /// Planning rows.
    pub planning: usize,
}

/// How the apply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Everything was written.
    Committed,
    /// The site changed since the precheck, or the way back could not be kept: the transaction
    /// was rolled back on purpose.
    RolledBack,
    /// The database failed during the write; nothing stayed.
    Failed,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// Who.
    pub operator: Operator,
    /// The command (`restore`, `clone`, `repair`) or the page (`web /restore/apply`).
    pub via: String,
    /// From what.
    pub source: Source,
    /// Which training.
    pub training: Training,
    /// Rows written.
    pub written: Counts,
    /// Rows left out.
    pub skipped: usize,
    /// The codes accepted.
    pub accepted: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it did not commit, in English.
    pub reason: Option<String>,
    /// The same in French.
    pub reason_fr: Option<String>,
}

impl Entry {
    /// Why it did not commit, in the operator's language.
    pub fn reason(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::En => self.reason.as_deref(),
            Lang::Fr => self.reason_fr.as_deref().or(self.reason.as_deref()),
        }
    }
}

impl Entry {
    /// An entry made now.
    pub fn now(via: &str, operator: Operator, source: Source, training: Training) -> Entry {
        Entry {
            time: now_text(),
            operator,
            via: via.to_owned(),
            source,
            training,
            written: Counts::default(),
            skipped: 0,
            accepted: Vec::new(),
            outcome: Outcome::Committed,
            reason: None,
            reason_fr: None,
        }
    }
}

fn now_text() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub use crate::hex::sha256_hex;

/// Why the log cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log cannot be opened (or created) for appending.
    #[error("cannot open the audit log {}: {source}", path.display())]
    Open {
        /// The log.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A line cannot be appended.
    #[error("cannot append to the audit log {}: {source}", path.display())]
    Append {
        /// The log.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The log cannot be read.
    #[error("cannot read the audit log {}: {source}", path.display())]
    Read {
        /// The log.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A line of the log is not an entry.
    #[error("line {line} of the audit log {} is not an entry of this tool: {detail}", path.display())]
    BadLine {
        /// The log.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        detail: String,
    },
}

impl AuditError {
    /// The message in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        let reason = |e: &io::Error| -> String {
            let (en, fr) = match e.kind() {
                io::ErrorKind::NotFound => ("there is no such file", "ce fichier n'existe pas"),
                io::ErrorKind::PermissionDenied => (
                    "this user may not write or read it",
                    "cet utilisateur ne peut ni l'écrire ni le lire",
                ),
                io::ErrorKind::StorageFull => ("the disk is full", "le disque est plein"),
                io::ErrorKind::IsADirectory => (
                    "it is a directory, not a file",
                    "c'est un dossier, pas un fichier",
                ),
                io::ErrorKind::ReadOnlyFilesystem => (
                    "the file system is read-only",
                    "le système de fichiers est en lecture seule",
                ),
                _ => ("the system refuses it", "le système le refuse"),
            };
            lang.pick(en, fr).to_owned()
        };
        match (self, lang) {
            (AuditError::Open { path, source }, Lang::En) => format!(
                "cannot open the audit log {} ({}): nothing was written, because every write is \
                 logged; make it writable, or choose another log with --audit-log",
                path.display(),
                reason(source)
            ),
            (AuditError::Open { path, source }, Lang::Fr) => format!(
                "impossible d'ouvrir le journal d'audit {} ({}) : rien n'a été écrit, car \
                 chaque écriture est journalisée ; rendez-le accessible en écriture, ou \
                 choisissez un autre journal avec --audit-log",
                path.display(),
                reason(source)
            ),
            (AuditError::Append { path, source }, Lang::En) => format!(
                "the training was written, but the audit log {} could not record it ({}): \
                 free some space, then note what was written by hand",
                path.display(),
                reason(source)
            ),
            (AuditError::Append { path, source }, Lang::Fr) => format!(
                "la formation a été écrite, mais le journal d'audit {} n'a pas pu l'enregistrer \
                 ({}) : libérez de la place, puis notez à la main ce qui a été écrit",
                path.display(),
                reason(source)
            ),
            (AuditError::Read { path, source }, Lang::En) => format!(
                "cannot read the audit log {} ({})",
                path.display(),
                reason(source)
            ),
            (AuditError::Read { path, source }, Lang::Fr) => format!(
                "impossible de lire le journal d'audit {} ({})",
                path.display(),
                reason(source)
            ),
            (AuditError::BadLine { path, line, .. }, Lang::En) => format!(
                "line {line} of the audit log {} is not an entry of this tool: the log was \
                 changed by something else",
                path.display()
            ),
            (AuditError::BadLine { path, line, .. }, Lang::Fr) => format!(
                "la ligne {line} du journal d'audit {} n'est pas une entrée de cet outil : le \
                 journal a été modifié par autre chose",
                path.display()
            ),
        }
    }
}

/// The audit log, open for appending.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens the log for appending, creating it (mode 0600, its directory 0700) when absent.
    ///
    /// # Errors
    ///
    /// [`AuditError::Open`]: the caller then writes nothing.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let error = |source| AuditError::Open {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                create_private_dir(dir).map_err(error)?;
            }
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(crate::safe_file::PRIVATE_MODE);
        }
        let file = options.open(path).map_err(error)?;
        Ok(AuditLog {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one line, in one write, synced to disk.
    ///
    /// # Errors
    ///
    /// [`AuditError::Append`].
    pub fn append(&self, entry: &Entry) -> Result<(), AuditError> {
        self.append_all(std::slice::from_ref(entry))
    }

    /// Appends entries, one line each, in one write, synced to disk once (a batch of a
    /// thousand trainings would otherwise wait for a thousand syncs).
    ///
    /// # Errors
    ///
    /// [`AuditError::Append`].
    pub fn append_all(&self, entries: &[Entry]) -> Result<(), AuditError> {
        let error = |source| AuditError::Append {
            path: self.path.clone(),
            source,
        };
        let mut lines = String::new();
        for entry in entries {
            lines.push_str(
                &serde_json::to_string(entry)
                    .map_err(|e| error(io::Error::new(io::ErrorKind::InvalidData, e)))?,
            );
            lines.push('\n');
        }
        let mut file = self
            .file
            .lock()
            .map_err(|_| error(io::Error::other("the log's lock is poisoned")))?;
        file.write_all(lines.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Reads every entry of the log at `path`, oldest first; an absent log has none.
///
/// # Errors
///
/// [`AuditError::Read`], or [`AuditError::BadLine`] naming the first line that is not an entry.
pub fn read(path: &Path) -> Result<Vec<Entry>, AuditError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(AuditError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let mut entries = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| AuditError::Read {
            path: path.to_owned(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| AuditError::BadLine {
            path: path.to_owned(),
            line: n + 1,
            detail: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// The entries about `training` (exact name), made on or after `since` (`YYYY-MM-DD`, UTC).
pub fn select<'a>(
    entries: &'a [Entry],
    training: Option<&str>,
    since: Option<&str>,
) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| training.is_none_or(|t| e.training.name == t))
        .filter(|e| since.is_none_or(|day| e.time.as_str() >= day))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, time: &str) -> Entry {
        let mut e = Entry::now(
            "restore",
            Operator {
                username: Some("admin".into()),
                id: Some(2),
                client: None,
            },
            Source::file("a.json", b"{}"),
            Training {
                id: Some(1),
                name: name.into(),
                action: "create".into(),
            },
        );
        e.time = time.into();
        e
    }

    #[test]
    fn entries_are_appended_one_line_each_and_read_back() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("logs/audit.jsonl");
        let log = AuditLog::open(&path).expect("open");
        log.append(&entry("A", "2026-12-01T10:00:00Z"))
            .expect("append");
        drop(log);
        let log = AuditLog::open(&path).expect("open again");
        log.append(&entry("B", "2026-12-03T10:00:00Z"))
            .expect("append");
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2, "{text}");
        let entries = read(&path).expect("read");
        assert_eq!(entries[0].training.name, "A");
        assert_eq!(entries[1].training.name, "B");
        assert_eq!(
            entries[0].source.sha256.as_deref(),
            Some("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        );
        assert_eq!(select(&entries, Some("B"), None).len(), 1);
        assert_eq!(select(&entries, None, Some("2026-12-02")).len(), 1);
        assert_eq!(select(&entries, Some("A"), Some("2026-12-02")).len(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_log_that_cannot_be_opened_or_read_is_said_in_both_languages() {
        let dir = tempfile::tempdir().expect("a directory");
        let error = AuditLog::open(dir.path()).expect_err("a directory is not a log");
        assert!(error.localized(Lang::En).contains("nothing was written"));
        assert!(error.localized(Lang::Fr).contains("rien n'a été écrit"));
        let path = dir.path().join("audit.jsonl");
        fs::write(&path, "{\"not\": \"an entry\"}\n").expect("write");
        let error = read(&path).expect_err("not an entry");
        assert!(error.localized(Lang::Fr).contains("ligne 1"), "{error}");
        assert!(read(&dir.path().join("none.jsonl"))
            .expect("absent")
            .is_empty());
    }
}
