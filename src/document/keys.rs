//! Signing keys on disk (PKCS#8 / SPKI PEM) and the trust store of imported public keys.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _,
    KeypairBytes,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::OsRng;
use sha2::{Digest as _, Sha256};

use crate::i18n::Lang;

/// File name of the private signing key inside the key directory.
pub const PRIVATE_KEY_FILE: &str = "signing-key.pem";

/// Name of the trust store directory inside the key directory.
pub const TRUSTED_DIR: &str = "trusted";

/// Why a key or the trust store cannot be used.
///
/// Every message is said in English and French by [`KeyError::localized`] (one `match`);
/// `Display` is the English one; the system's and the decoder's own words are in
/// [`KeyError::detail`].
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The private key file cannot be read.
    ReadPrivate {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The private key file is not an Ed25519 PKCS#8 PEM key.
    MalformedPrivate {
        /// The key file.
        path: PathBuf,
        /// What is wrong, in the operator's terms.
        problem: PemProblem,
        /// What the decoder said, for `--verbose`.
        detail: String,
    },
    /// A key file would be overwritten.
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A key file or directory cannot be written.
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A public key text is not an Ed25519 SPKI PEM key.
    MalformedPublic {
        /// What is wrong, in the operator's terms.
        problem: PemProblem,
    },
    /// A public key is one of the small-order points, or not canonically encoded.
    WeakPublic,
    /// The trust store directory cannot be listed or one of its files read.
    ReadTrustStore {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// `keys untrust` of a key id that the trust store does not hold.
    NotTrusted {
        /// The key id given.
        id: String,
    },
    /// `keys untrust` of this site's own key, which is always trusted.
    OwnKey {
        /// The key id of the site's key.
        id: String,
    },
    /// A file of the trust store is not a usable public key, or is named after another key.
    MalformedTrusted {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: TrustedProblem,
    },
}

/// Why a text is not the PEM key that was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemProblem {
    /// The bytes are not text.
    NotText,
    /// There is no `-----BEGIN ...-----` line.
    NoPemBlock,
    /// A private key where a public key is asked for (its label).
    PrivateKey(String),
    /// A public key where the private key is asked for.
    PublicKey,
    /// Another kind of PEM block (its label).
    OtherLabel(String),
    /// The right kind of block, but damaged or of another algorithm than Ed25519.
    Damaged,
    /// 32 bytes that are not a point of the curve.
    NotAPoint,
}

/// Why a file of the trust store cannot be used.
#[derive(Debug)]
pub enum TrustedProblem {
    /// It is not a usable public key.
    Key(Box<KeyError>),
    /// It holds another key than its name says.
    Misnamed {
        /// The key id it holds.
        id: String,
    },
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl PemProblem {
    /// What is wrong, in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (PemProblem::NotText, Lang::En) => {
                "the file is not text (a PEM key is a few lines of ASCII)".to_owned()
            }
            (PemProblem::NotText, Lang::Fr) => {
                "le fichier n'est pas du texte (une clé PEM tient en quelques lignes ASCII)"
                    .to_owned()
            }
            (PemProblem::NoPemBlock, Lang::En) => {
                "the file holds no PEM block (no `-----BEGIN ...-----` line)".to_owned()
            }
            (PemProblem::NoPemBlock, Lang::Fr) => {
                "le fichier ne contient aucun bloc PEM (pas de ligne `-----BEGIN ...-----`)"
                    .to_owned()
            }
            (PemProblem::PrivateKey(label), Lang::En) => format!(
                "it is a private key ({label}): never give it away; give the public key that \
                 `attestoodle-backup keys export` prints"
            ),
            (PemProblem::PrivateKey(label), Lang::Fr) => format!(
                "c'est une clé privée ({label}) : ne la donnez jamais ; donnez la clé publique \
                 qu'affiche `attestoodle-backup keys export`"
            ),
            (PemProblem::PublicKey, Lang::En) => {
                "it is a public key (PUBLIC KEY), which cannot sign".to_owned()
            }
            (PemProblem::PublicKey, Lang::Fr) => {
                "c'est une clé publique (PUBLIC KEY), qui ne peut pas signer".to_owned()
            }
            (PemProblem::OtherLabel(label), Lang::En) => {
                format!("it holds a {label} block, not a key of the kind asked for")
            }
            (PemProblem::OtherLabel(label), Lang::Fr) => {
                format!("il contient un bloc {label}, pas une clé du genre demandé")
            }
            (PemProblem::Damaged, Lang::En) => {
                "its key block is damaged or holds a key of another algorithm than Ed25519"
                    .to_owned()
            }
            (PemProblem::Damaged, Lang::Fr) => {
                "son bloc de clé est abîmé ou contient une clé d'un autre algorithme qu'Ed25519"
                    .to_owned()
            }
            (PemProblem::NotAPoint, Lang::En) => {
                "the 32 bytes are not a point of the Ed25519 curve".to_owned()
            }
            (PemProblem::NotAPoint, Lang::Fr) => {
                "les 32 octets ne sont pas un point de la courbe Ed25519".to_owned()
            }
        }
    }
}

impl KeyError {
    /// The message in the operator's language: what is wrong, with which file, what to do.
    pub fn localized(&self, lang: Lang) -> String {
        const HINT_EN: &str = "create one with `attestoodle-backup keys generate`, or pass \
             `--key PATH` to an Ed25519 key in PKCS#8 PEM form (such as one made by \
             `openssl genpkey -algorithm ed25519`)";
        const HINT_FR: &str = "créez-en une avec `attestoodle-backup keys generate`, ou \
             indiquez `--key CHEMIN` vers une clé Ed25519 au format PKCS#8 PEM (comme celle que \
             fait `openssl genpkey -algorithm ed25519`)";
        use crate::i18n::io_reason;
        match (self, lang) {
            (KeyError::ReadPrivate { path, source }, Lang::En) => format!(
                "cannot read the signing key {}: {}; {HINT_EN}",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::ReadPrivate { path, source }, Lang::Fr) => format!(
                "impossible de lire la clé de signature {} : {} ; {HINT_FR}",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::MalformedPrivate { path, problem, .. }, Lang::En) => format!(
                "{} is not an Ed25519 private key in PKCS#8 PEM form: {}; {HINT_EN}",
                path.display(),
                problem.localized(lang)
            ),
            (KeyError::MalformedPrivate { path, problem, .. }, Lang::Fr) => format!(
                "{} n'est pas une clé privée Ed25519 au format PKCS#8 PEM : {} ; {HINT_FR}",
                path.display(),
                problem.localized(lang)
            ),
            (KeyError::AlreadyExists { path }, Lang::En) => format!(
                "{} already exists: a signing key is never overwritten; use it as it is (`--key \
                 {}`), or move it away first if you really mean to replace it",
                path.display(),
                path.display()
            ),
            (KeyError::AlreadyExists { path }, Lang::Fr) => format!(
                "{} existe déjà : une clé de signature n'est jamais écrasée ; utilisez-la telle \
                 quelle (`--key {}`), ou déplacez-la d'abord si vous voulez vraiment la remplacer",
                path.display(),
                path.display()
            ),
            (KeyError::Write { path, source }, Lang::En) => format!(
                "cannot write {}: {}; check the directory's permissions or choose another place",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::Write { path, source }, Lang::Fr) => format!(
                "impossible d'écrire {} : {} ; vérifiez les droits du dossier ou choisissez un \
                 autre endroit",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::MalformedPublic { problem }, Lang::En) => format!(
                "not an Ed25519 public key in PEM form (`-----BEGIN PUBLIC KEY-----`): {}; ask \
                 the signer for the public key of their site (`attestoodle-backup keys export` \
                 gives it)",
                problem.localized(lang)
            ),
            (KeyError::MalformedPublic { problem }, Lang::Fr) => format!(
                "ce n'est pas une clé publique Ed25519 au format PEM (`-----BEGIN PUBLIC \
                 KEY-----`) : {} ; demandez au signataire la clé publique de son site \
                 (`attestoodle-backup keys export` la donne)",
                problem.localized(lang)
            ),
            (KeyError::WeakPublic, Lang::En) => "the public key is a small-order or \
                 non-canonically encoded Ed25519 point, which \"verifies\" forged signatures; \
                 such a key proves nothing and is refused"
                .to_owned(),
            (KeyError::WeakPublic, Lang::Fr) => "la clé publique est un point Ed25519 d'ordre \
                faible ou mal encodé, qui « vérifie » des signatures forgées ; une telle clé ne \
                prouve rien et est refusée"
                .to_owned(),
            (KeyError::ReadTrustStore { path, source }, Lang::En) => format!(
                "cannot read the trust store at {}: {}; check its permissions",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::ReadTrustStore { path, source }, Lang::Fr) => format!(
                "impossible de lire le magasin des clés de confiance {} : {} ; vérifiez ses \
                 droits",
                path.display(),
                io_reason(source, lang)
            ),
            (KeyError::NotTrusted { id }, Lang::En) => format!(
                "no imported key has the id {id}; `attestoodle-backup keys list` shows the \
                 trusted keys and their ids (16 lowercase hex digits)"
            ),
            (KeyError::NotTrusted { id }, Lang::Fr) => format!(
                "aucune clé importée n'a l'identifiant {id} ; `attestoodle-backup keys list` \
                 montre les clés de confiance et leurs identifiants (16 chiffres hexadécimaux \
                 en minuscules)"
            ),
            (KeyError::OwnKey { id }, Lang::En) => format!(
                "{id} is this site's own signing key, which is always trusted and cannot be \
                 untrusted; to stop using it, make a new one with `attestoodle-backup keys \
                 generate --force`"
            ),
            (KeyError::OwnKey { id }, Lang::Fr) => format!(
                "{id} est la clé de signature de ce site, toujours de confiance, qu'on ne peut \
                 pas retirer ; pour ne plus l'utiliser, créez-en une nouvelle avec \
                 `attestoodle-backup keys generate --force`"
            ),
            (KeyError::MalformedTrusted { path, problem }, Lang::En) => format!(
                "trusted key file {}: {}; remove the file, or import the key again with its PEM \
                 text",
                path.display(),
                match problem {
                    TrustedProblem::Key(error) => error.localized(lang),
                    TrustedProblem::Misnamed { id } => {
                        format!("it holds the key {id}, so it must be named {id}.pem")
                    }
                }
            ),
            (KeyError::MalformedTrusted { path, problem }, Lang::Fr) => format!(
                "fichier de clé de confiance {} : {} ; supprimez le fichier, ou importez de \
                 nouveau la clé avec son texte PEM",
                path.display(),
                match problem {
                    TrustedProblem::Key(error) => error.localized(lang),
                    TrustedProblem::Misnamed { id } => {
                        format!("il contient la clé {id}, il doit donc s'appeler {id}.pem")
                    }
                }
            ),
        }
    }

    /// The system's or the decoder's own words behind the message (`--verbose`).
    pub fn detail(&self) -> Option<String> {
        match self {
            KeyError::ReadPrivate { source, .. }
            | KeyError::Write { source, .. }
            | KeyError::ReadTrustStore { source, .. } => Some(source.to_string()),
            KeyError::MalformedPrivate { detail, .. } => Some(detail.clone()),
            KeyError::MalformedTrusted {
                problem: TrustedProblem::Key(error),
                ..
            } => error.detail(),
            KeyError::AlreadyExists { .. }
            | KeyError::MalformedPublic { .. }
            | KeyError::WeakPublic
            | KeyError::NotTrusted { .. }
            | KeyError::OwnKey { .. }
            | KeyError::MalformedTrusted { .. } => None,
        }
    }
}

/// What [`TrustStore::trust`] did with a public key; each holds its key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trusted {
    /// The key was imported: it is trusted from now on.
    Added(String),
    /// The key was already imported: nothing changed.
    Already(String),
    /// The key is this site's own, which is always trusted: nothing changed.
    Own(String),
}

impl Trusted {
    /// The key id.
    pub fn id(&self) -> &str {
        match self {
            Trusted::Added(id) | Trusted::Already(id) | Trusted::Own(id) => id,
        }
    }
}

/// Reads the text of a public key file: bytes that are not UTF-8 text cannot be a PEM key.
///
/// # Errors
///
/// [`KeyError::MalformedPublic`] when the bytes are not text.
pub fn public_key_text(bytes: &[u8]) -> Result<&str, KeyError> {
    std::str::from_utf8(bytes).map_err(|_| KeyError::MalformedPublic {
        problem: PemProblem::NotText,
    })
}

/// Generates a new signing key from the operating system's random source.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut OsRng)
}

/// Returns the key id of a public key: lowercase hex of the first 8 bytes of SHA-256 of the raw
/// 32-byte key.
pub fn key_id(key: &VerifyingKey) -> String {
    key_id_of_bytes(key.as_bytes())
}

/// Returns the key id of raw public key bytes, whether or not they are a usable key.
pub(crate) fn key_id_of_bytes(bytes: &[u8; 32]) -> String {
    crate::hex::hex(&Sha256::digest(bytes)[..8])
}

/// Turns 32 raw bytes into a public key, refusing what strict verification refuses: bytes that
/// are not a curve point, a non-canonical encoding, and the eight small-order points.
///
/// # Errors
///
/// [`KeyError::MalformedPublic`] for bytes that are not a point, [`KeyError::WeakPublic`] for a
/// small-order or non-canonical one.
pub fn public_key_from_bytes(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::MalformedPublic {
        problem: PemProblem::NotAPoint,
    })?;
    if key.is_weak() || key.to_edwards().compress().as_bytes() != bytes {
        return Err(KeyError::WeakPublic);
    }
    Ok(key)
}

/// Writes a private key as PKCS#8 PEM, readable by the owner only (mode 0600), creating missing
/// parent directories with mode 0700.
///
/// # Errors
///
/// [`KeyError::AlreadyExists`] when `path` exists (a key is never overwritten), and
/// [`KeyError::Write`] when the file or a directory cannot be created.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    // PKCS#8 version 1 (no embedded public key), the form OpenSSL 3.0 reads and writes:
    // ed25519-dalek's own encoder writes version 2, which `openssl pkey` refuses.
    let pem = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|error| KeyError::Write {
        path: path.to_owned(),
        source: io::Error::other(error.to_string()),
    })?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => KeyError::AlreadyExists {
            path: path.to_owned(),
        },
        _ => KeyError::Write {
            path: path.to_owned(),
            source,
        },
    })?;
    let written = file
        .write_all(pem.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        // Do not leave a truncated key behind: a later run would refuse to overwrite it.
        let _ = fs::remove_file(path);
        return Err(KeyError::Write {
            path: path.to_owned(),
            source,
        });
    }
    Ok(())
}

/// Where the public key of the private key at `private` is written: beside it, with `.pub.pem`
/// in place of `.pem` (`signing-key.pem` → `signing-key.pub.pem`).
pub fn public_key_path(private: &Path) -> PathBuf {
    let stem = private
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "signing-key".to_owned());
    private.with_file_name(format!("{stem}.pub.pem"))
}

/// Writes a public key as SPKI PEM (what `keys export` prints), replacing an older file: it is
/// public, and it must follow the private key when that is replaced.
///
/// # Errors
///
/// [`KeyError::Write`] when the file cannot be written.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<(), KeyError> {
    fs::write(path, public_key_pem(key)).map_err(|source| KeyError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Reads a private key in PKCS#8 PEM form (`-----BEGIN PRIVATE KEY-----`), as written by
/// [`write_private_key`] or by `openssl genpkey -algorithm ed25519`.
///
/// # Errors
///
/// [`KeyError::ReadPrivate`] when the file cannot be read, [`KeyError::MalformedPrivate`] when
/// it is not such a key; both tell the operator what to do.
pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::ReadPrivate {
        path: path.to_owned(),
        source,
    })?;
    SigningKey::from_pkcs8_pem(&text).map_err(|error| KeyError::MalformedPrivate {
        path: path.to_owned(),
        problem: match pem_label(&text) {
            None => PemProblem::NoPemBlock,
            Some("PRIVATE KEY") => PemProblem::Damaged,
            Some("PUBLIC KEY") => PemProblem::PublicKey,
            Some(label) => PemProblem::OtherLabel(label.to_owned()),
        },
        detail: error.to_string(),
    })
}

/// Returns a public key as SPKI PEM text (`-----BEGIN PUBLIC KEY-----`), the form other sites
/// import into their trust store.
pub fn public_key_pem(key: &VerifyingKey) -> String {
    // Encoding 32 bytes in a fixed DER structure cannot fail.
    key.to_public_key_pem(LineEnding::LF)
        .expect("an Ed25519 public key always encodes")
}

/// Reads a public key from SPKI PEM text, refusing a small-order or non-canonical key.
///
/// # Errors
///
/// [`KeyError::MalformedPublic`] when the text is not an Ed25519 public key in PEM form,
/// [`KeyError::WeakPublic`] for a key that would prove nothing.
pub fn parse_public_key_pem(text: &str) -> Result<VerifyingKey, KeyError> {
    // Decode the raw bytes first so that the strict checks below see exactly what was written.
    let key =
        VerifyingKey::from_public_key_pem(text.trim()).map_err(|_| malformed_public_pem(text))?;
    public_key_from_bytes(key.as_bytes())
}

/// The label of the first `-----BEGIN LABEL-----` line of a text, if it has one.
fn pem_label(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("-----BEGIN "))
        .map(|rest| rest.trim_end_matches('-').trim())
}

/// Says, in the operator's words rather than the decoder's, why a text is not an Ed25519
/// public key in PEM form.
fn malformed_public_pem(text: &str) -> KeyError {
    let problem = match pem_label(text) {
        None => PemProblem::NoPemBlock,
        Some(label) if label.contains("PRIVATE KEY") => PemProblem::PrivateKey(label.to_owned()),
        Some("PUBLIC KEY") => PemProblem::Damaged,
        Some(label) => PemProblem::OtherLabel(label.to_owned()),
    };
    KeyError::MalformedPublic { problem }
}

/// The public keys this site trusts: a directory of `<key_id>.pem` files, plus the site's own
/// key, trusted implicitly.
#[derive(Debug, Clone)]
pub struct TrustStore {
    dir: PathBuf,
    own: Option<VerifyingKey>,
    imported: Vec<(String, VerifyingKey)>,
}

impl TrustStore {
    /// Opens the trust store in `dir` and reads every `*.pem` file in it; `own` is the site's
    /// own public key, if it has one. A missing directory is an empty store.
    ///
    /// # Errors
    ///
    /// [`KeyError::ReadTrustStore`] when the directory or a file cannot be read, and
    /// [`KeyError::MalformedTrusted`] for a file that is not a usable public key or whose name is
    /// not its key id.
    pub fn open(dir: impl Into<PathBuf>, own: Option<VerifyingKey>) -> Result<Self, KeyError> {
        let dir = dir.into();
        let mut imported = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(TrustStore { dir, own, imported })
            }
            Err(source) => return Err(KeyError::ReadTrustStore { path: dir, source }),
        };
        for entry in entries {
            let path = entry
                .map_err(|source| KeyError::ReadTrustStore {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if path.extension().is_none_or(|ext| ext != "pem") {
                continue;
            }
            let text = fs::read_to_string(&path).map_err(|source| KeyError::ReadTrustStore {
                path: path.clone(),
                source,
            })?;
            let key = parse_public_key_pem(&text).map_err(|error| KeyError::MalformedTrusted {
                path: path.clone(),
                problem: TrustedProblem::Key(Box::new(error)),
            })?;
            let id = key_id(&key);
            if path.file_stem().is_none_or(|stem| *stem != *id) {
                return Err(KeyError::MalformedTrusted {
                    path,
                    problem: TrustedProblem::Misnamed { id: id.clone() },
                });
            }
            imported.push((id, key));
        }
        imported.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(TrustStore { dir, own, imported })
    }

    /// Returns the directory of the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Imports a public key given as SPKI PEM text. Trusting a key that is already trusted (an
    /// imported one, or this site's own) changes nothing, and says so.
    ///
    /// # Errors
    ///
    /// [`KeyError::MalformedPublic`] or [`KeyError::WeakPublic`] for a key that cannot be
    /// trusted, [`KeyError::Write`] when the file cannot be written.
    pub fn trust(&mut self, pem: &str) -> Result<Trusted, KeyError> {
        let key = parse_public_key_pem(pem)?;
        let id = key_id(&key);
        if self.own.as_ref() == Some(&key) {
            return Ok(Trusted::Own(id));
        }
        if self.imported.iter().any(|(_, known)| *known == key) {
            return Ok(Trusted::Already(id));
        }
        create_private_dir(&self.dir)?;
        let path = self.dir.join(format!("{id}.pem"));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(public_key_pem(&key).as_bytes())?;
                file.sync_all()
            });
        match written {
            Ok(()) => {}
            // Another process imported the same key meanwhile: the file names the same key.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(KeyError::Write { path, source }),
        }
        self.imported.push((id.clone(), key));
        self.imported.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Trusted::Added(id))
    }

    /// Stops trusting an imported key: removes its file and returns its path.
    ///
    /// # Errors
    ///
    /// [`KeyError::OwnKey`] for this site's own key (always trusted), [`KeyError::NotTrusted`]
    /// for an id no imported key has, [`KeyError::Write`] when the file cannot be removed.
    pub fn untrust(&mut self, id: &str) -> Result<PathBuf, KeyError> {
        if self.own.as_ref().is_some_and(|own| key_id(own) == id) {
            return Err(KeyError::OwnKey { id: id.to_owned() });
        }
        let Some(index) = self.imported.iter().position(|(known, _)| known == id) else {
            return Err(KeyError::NotTrusted { id: id.to_owned() });
        };
        let path = self.dir.join(format!("{id}.pem"));
        match fs::remove_file(&path) {
            Ok(()) => {}
            // Another process removed it meanwhile.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(KeyError::Write { path, source }),
        }
        self.imported.remove(index);
        Ok(path)
    }

    /// Lists the imported keys, sorted by key id; the site's own key is not in the list (not
    /// even when an older version imported it into the directory).
    pub fn list(&self) -> Vec<(String, VerifyingKey)> {
        self.imported
            .iter()
            .filter(|(_, key)| self.own.as_ref() != Some(key))
            .cloned()
            .collect()
    }

    /// Whether a key with this key id is trusted (the site's own or an imported one).
    pub fn is_trusted(&self, key_id: &str) -> bool {
        self.own.iter().any(|own| self::key_id(own) == key_id)
            || self.imported.iter().any(|(id, _)| id == key_id)
    }

    /// Whether this exact public key is trusted (the site's own or an imported one).
    pub fn is_trusted_key(&self, key: &VerifyingKey) -> bool {
        self.own.as_ref() == Some(key) || self.imported.iter().any(|(_, known)| known == key)
    }
}

/// Returns the directory of the keys: `$ATTESTOODLE_KEY_DIR`, else
/// `$XDG_CONFIG_HOME/attestoodle-backup`, else `$HOME/.config/attestoodle-backup` (relative to
/// the current directory when `HOME` is not set). Empty variables count as unset, as does a
/// relative `XDG_CONFIG_HOME` (the XDG rule).
pub fn default_key_dir() -> PathBuf {
    key_dir_from(|name| std::env::var_os(name))
}

/// Returns the default private key path, `signing-key.pem` in [`default_key_dir`].
pub fn default_private_key_path() -> PathBuf {
    default_key_dir().join(PRIVATE_KEY_FILE)
}

/// Returns the default trust store directory, `trusted/` in [`default_key_dir`].
pub fn default_trust_dir() -> PathBuf {
    default_key_dir().join(TRUSTED_DIR)
}

/// [`default_key_dir`] with the environment given as a function, for tests.
fn key_dir_from(var: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let set = |name: &str| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = set("ATTESTOODLE_KEY_DIR") {
        return dir;
    }
    if let Some(config) = set("XDG_CONFIG_HOME").filter(|dir| dir.is_absolute()) {
        return config.join("attestoodle-backup");
    }
    set("HOME")
        .unwrap_or_default()
        .join(".config")
        .join("attestoodle-backup")
}

/// Creates a directory and its missing parents, each readable by the owner only (mode 0700).
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| KeyError::Write {
        path: dir.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use crate::i18n::testing::two_texts;
    use std::os::unix::fs::PermissionsExt as _;
    use std::process::Command;

    use super::*;

    fn key_variant(error: &KeyError) -> usize {
        match error {
            KeyError::ReadPrivate { .. } => 0,
            KeyError::MalformedPrivate { .. } => 1,
            KeyError::AlreadyExists { .. } => 2,
            KeyError::Write { .. } => 3,
            KeyError::MalformedPublic { .. } => 4,
            KeyError::WeakPublic => 5,
            KeyError::ReadTrustStore { .. } => 6,
            KeyError::NotTrusted { .. } => 7,
            KeyError::OwnKey { .. } => 8,
            KeyError::MalformedTrusted { .. } => 9,
        }
    }

    // Issue 9, items 1 and 2: every key message exists in English and French, without the
    // decoder's or the system's words.
    #[test]
    fn every_key_error_is_said_in_english_and_in_french() {
        let path = || PathBuf::from("/etc/attestoodle/signing-key.pem");
        let io = || io::Error::from(io::ErrorKind::PermissionDenied);
        let problems = [
            PemProblem::NotText,
            PemProblem::NoPemBlock,
            PemProblem::PrivateKey("PRIVATE KEY".to_owned()),
            PemProblem::PublicKey,
            PemProblem::OtherLabel("CERTIFICATE".to_owned()),
            PemProblem::Damaged,
            PemProblem::NotAPoint,
        ];
        let mut errors = vec![
            KeyError::ReadPrivate {
                path: path(),
                source: io(),
            },
            KeyError::AlreadyExists { path: path() },
            KeyError::Write {
                path: path(),
                source: io(),
            },
            KeyError::WeakPublic,
            KeyError::ReadTrustStore {
                path: path(),
                source: io(),
            },
            KeyError::NotTrusted {
                id: "3f2a9c0d11b2e4f7".to_owned(),
            },
            KeyError::OwnKey {
                id: "3f2a9c0d11b2e4f7".to_owned(),
            },
            KeyError::MalformedTrusted {
                path: path(),
                problem: TrustedProblem::Misnamed {
                    id: "3f2a9c0d11b2e4f7".to_owned(),
                },
            },
            KeyError::MalformedTrusted {
                path: path(),
                problem: TrustedProblem::Key(Box::new(KeyError::WeakPublic)),
            },
        ];
        for problem in &problems {
            errors.push(KeyError::MalformedPrivate {
                path: path(),
                problem: problem.clone(),
                detail: "PEM preamble contains invalid data (NUL byte)".to_owned(),
            });
            errors.push(KeyError::MalformedPublic {
                problem: problem.clone(),
            });
        }
        crate::i18n::testing::every_variant(errors.iter().map(key_variant), 10);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            for text in [&en, &fr] {
                assert!(
                    !text.contains("os error") && !text.contains("NUL byte"),
                    "{text}"
                );
            }
            two_texts(en, fr);
        }
    }

    // Issue 9, item 2: a text file that is not a key is said as such, not with the decoder's
    // "NUL byte", which stays in the detail.
    #[test]
    fn a_text_file_given_as_the_private_key_holds_no_pem_block() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("notes.txt");
        fs::write(&path, "hello world\n")?;
        let error = read_private_key(&path)
            .err()
            .ok_or("a text file is not a key")?;
        assert!(matches!(
            &error,
            KeyError::MalformedPrivate {
                problem: PemProblem::NoPemBlock,
                ..
            }
        ));
        assert!(error.localized(Lang::Fr).contains("aucun bloc PEM"));
        assert!(error.detail().is_some_and(|d| !d.is_empty()));
        Ok(())
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn mode(path: &Path) -> io::Result<u32> {
        Ok(fs::metadata(path)?.permissions().mode() & 0o777)
    }

    fn openssl(args: &[&str]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let output = Command::new("openssl").args(args).output()?;
        if !output.status.success() {
            return Err(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(output.stdout)
    }

    #[test]
    fn private_key_round_trips_with_owner_only_permissions() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys/nested/signing-key.pem");
        let key = generate();
        write_private_key(&path, &key)?;
        assert_eq!(mode(&path)?, 0o600);
        assert_eq!(mode(&dir.path().join("keys"))?, 0o700);
        assert_eq!(mode(&dir.path().join("keys/nested"))?, 0o700);
        assert!(fs::read_to_string(&path)?.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(read_private_key(&path)?.to_bytes(), key.to_bytes());
        Ok(())
    }

    #[test]
    fn write_private_key_refuses_to_overwrite() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(PRIVATE_KEY_FILE);
        let first = generate();
        write_private_key(&path, &first)?;
        let error = write_private_key(&path, &generate());
        assert!(
            matches!(error, Err(KeyError::AlreadyExists { .. })),
            "{error:?}"
        );
        assert_eq!(read_private_key(&path)?.to_bytes(), first.to_bytes());
        Ok(())
    }

    #[test]
    fn reads_a_key_made_by_openssl_and_openssl_reads_ours() -> TestResult {
        let dir = tempfile::tempdir()?;
        let theirs = dir.path().join("openssl.pem");
        let theirs_text = theirs.to_string_lossy().into_owned();
        openssl(&["genpkey", "-algorithm", "ed25519", "-out", &theirs_text])?;
        let key = read_private_key(&theirs)?;
        let public = openssl(&["pkey", "-in", &theirs_text, "-pubout"])?;
        assert_eq!(
            parse_public_key_pem(&String::from_utf8(public.clone())?)?,
            key.verifying_key()
        );
        assert_eq!(
            String::from_utf8(public)?,
            public_key_pem(&key.verifying_key())
        );

        let ours = dir.path().join("ours.pem");
        let ours_key = generate();
        write_private_key(&ours, &ours_key)?;
        let public = openssl(&["pkey", "-in", &ours.to_string_lossy(), "-pubout"])?;
        assert_eq!(
            String::from_utf8(public)?,
            public_key_pem(&ours_key.verifying_key())
        );
        Ok(())
    }

    #[test]
    fn unreadable_or_malformed_private_keys_say_what_to_do() -> TestResult {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("nope.pem");
        let text = read_private_key(&missing)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(text.starts_with("cannot read the signing key "), "{text}");
        assert!(
            text.contains("nope.pem")
                && text.contains("keys generate")
                && text.contains("--key PATH"),
            "{text}"
        );

        let public = dir.path().join("public.pem");
        fs::write(&public, public_key_pem(&generate().verifying_key()))?;
        let text = read_private_key(&public)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            text.contains("public.pem is not an Ed25519 private key")
                && text.contains("keys generate"),
            "{text}"
        );

        let rsa = dir.path().join("rsa.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "rsa",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            &rsa.to_string_lossy(),
        ])?;
        assert!(matches!(
            read_private_key(&rsa),
            Err(KeyError::MalformedPrivate { .. })
        ));
        Ok(())
    }

    #[test]
    fn key_id_is_the_first_eight_bytes_of_sha256_in_hex() {
        let key = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        let digest = Sha256::digest(key.as_bytes());
        let expected = crate::hex::hex(&digest[..8]);
        assert_eq!(key_id(&key), expected);
        assert_eq!(key_id(&key).len(), 16);
    }

    #[test]
    fn public_key_pem_round_trips_and_refuses_weak_keys() {
        let key = generate().verifying_key();
        assert_eq!(parse_public_key_pem(&public_key_pem(&key)).ok(), Some(key));
        // The neutral point, wrapped in a well-formed SPKI structure.
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, 1,
        ];
        der.extend_from_slice(&[0; 31]);
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
        );
        assert!(matches!(
            parse_public_key_pem(&pem),
            Err(KeyError::WeakPublic)
        ));
        assert!(matches!(
            parse_public_key_pem("hello"),
            Err(KeyError::MalformedPublic { .. })
        ));
    }

    #[test]
    fn non_canonical_point_encodings_are_refused() {
        // y = p + 3 encodes the same field element as y = 3, if 3 is a valid y at all; search a
        // small y ≥ p that decodes to a point, and check it is refused as non-canonical.
        let mut refused = 0;
        for delta in 2u8..19 {
            let mut bytes = [0xffu8; 32];
            bytes[0] = 0xed + delta;
            bytes[31] = 0x7f;
            if VerifyingKey::from_bytes(&bytes).is_ok() {
                assert!(matches!(
                    public_key_from_bytes(&bytes),
                    Err(KeyError::WeakPublic)
                ));
                refused += 1;
            }
        }
        assert!(refused > 0, "some y in p+2..p+18 is on the curve");
    }

    #[test]
    fn trust_store_imports_lists_and_reopens() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store_dir = dir.path().join("config/trusted");
        let own = generate().verifying_key();
        let other = generate().verifying_key();
        let mut store = TrustStore::open(&store_dir, Some(own))?;
        assert!(store.list().is_empty());
        assert!(store.is_trusted(&key_id(&own)) && store.is_trusted_key(&own));
        assert!(!store.is_trusted(&key_id(&other)) && !store.is_trusted_key(&other));

        let id = key_id(&other);
        assert_eq!(
            store.trust(&public_key_pem(&other))?,
            Trusted::Added(id.clone())
        );
        assert_eq!(
            store.trust(&public_key_pem(&other))?,
            Trusted::Already(id.clone()),
            "importing twice is harmless"
        );
        assert_eq!(
            store.trust(&public_key_pem(&own))?,
            Trusted::Own(key_id(&own)),
            "the site's own key is trusted already"
        );
        assert!(!store_dir.join(format!("{}.pem", key_id(&own))).exists());
        assert_eq!(store.list().len(), 1);
        assert!(store.is_trusted(&id) && store.is_trusted_key(&other));
        assert_eq!(mode(&store_dir)?, 0o700);
        assert!(store_dir.join(format!("{id}.pem")).is_file());

        let reopened = TrustStore::open(&store_dir, None)?;
        assert_eq!(reopened.list(), vec![(id.clone(), other)]);
        assert!(!reopened.is_trusted(&key_id(&own)));
        assert_eq!(reopened.dir(), store_dir.as_path());
        Ok(())
    }

    #[test]
    fn trust_store_untrusts_an_imported_key_but_never_the_sites_own() -> TestResult {
        let dir = tempfile::tempdir()?;
        let own = generate().verifying_key();
        let other = generate().verifying_key();
        let mut store = TrustStore::open(dir.path(), Some(own))?;
        let id = store.trust(&public_key_pem(&other))?.id().to_owned();
        assert!(matches!(
            store.untrust(&key_id(&own)),
            Err(KeyError::OwnKey { id }) if id == key_id(&own)
        ));
        assert!(matches!(
            store.untrust("0123456789abcdef"),
            Err(KeyError::NotTrusted { .. })
        ));
        let removed = store.untrust(&id)?;
        assert_eq!(removed, dir.path().join(format!("{id}.pem")));
        assert!(!removed.exists());
        assert!(!store.is_trusted_key(&other) && store.list().is_empty());
        assert!(TrustStore::open(dir.path(), Some(own))?.list().is_empty());
        assert!(store.is_trusted_key(&own));
        Ok(())
    }

    #[test]
    fn a_copy_of_the_sites_own_key_in_the_store_is_listed_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        let own = generate().verifying_key();
        // What an older version wrote when the operator trusted the site's own key.
        fs::write(
            dir.path().join(format!("{}.pem", key_id(&own))),
            public_key_pem(&own),
        )?;
        let store = TrustStore::open(dir.path(), Some(own))?;
        assert!(store.list().is_empty());
        assert!(store.is_trusted_key(&own));
        Ok(())
    }

    #[test]
    fn a_binary_file_is_not_a_public_key() {
        assert!(matches!(
            public_key_text(b"\x89PNG\r\n\x1a\n\xff\xfe"),
            Err(KeyError::MalformedPublic { .. })
        ));
        assert_eq!(public_key_text(b"text").ok(), Some("text"));
    }

    #[test]
    fn trust_store_refuses_bad_keys_and_misnamed_files() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut store = TrustStore::open(dir.path(), None)?;
        assert!(matches!(
            store.trust("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"),
            Err(KeyError::MalformedPublic { .. })
        ));
        assert!(store.list().is_empty());

        let key = generate().verifying_key();
        fs::write(
            dir.path().join("0000000000000000.pem"),
            public_key_pem(&key),
        )?;
        let error = TrustStore::open(dir.path(), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("0000000000000000.pem")
                && error.contains(&format!("{}.pem", key_id(&key))),
            "{error}"
        );

        fs::remove_file(dir.path().join("0000000000000000.pem"))?;
        fs::write(dir.path().join("notes.txt"), "not a key")?;
        fs::write(dir.path().join("broken.pem"), "garbage")?;
        let error = TrustStore::open(dir.path(), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("trusted key file ") && error.contains("broken.pem"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn key_dir_follows_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let all: &'static [(&str, &str)] = &[
            ("ATTESTOODLE_KEY_DIR", "/keys"),
            ("XDG_CONFIG_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(key_dir_from(env(all)), PathBuf::from("/keys"));
        assert_eq!(
            key_dir_from(env(&[
                ("ATTESTOODLE_KEY_DIR", ""),
                ("XDG_CONFIG_HOME", "/xdg"),
                ("HOME", "/home/u")
            ])),
            PathBuf::from("/xdg/attestoodle-backup")
        );
        assert_eq!(
            key_dir_from(env(&[("XDG_CONFIG_HOME", "relative"), ("HOME", "/home/u")])),
            PathBuf::from("/home/u/.config/attestoodle-backup")
        );
        assert_eq!(
            key_dir_from(env(&[])),
            PathBuf::from(".config/attestoodle-backup")
        );
    }
}
