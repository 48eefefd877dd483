//! `keys`: this site's signing key and the trust store of other sites' public keys.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clap::{Args, Subcommand};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;

use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::keys::{self, KeyError, TrustStore};
use crate::i18n::Lang;

/// Arguments of `keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do with the keys.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create this site's signing key (at --key, else the default place).
    Generate {
        /// Replace an existing key (files signed with the old key will no longer be this
        /// site's own).
        #[arg(long)]
        force: bool,
    },
    /// Show this site's key id and public key.
    Show,
    /// Print this site's public key (PEM), to give to the sites that restore its backups.
    Export {
        /// Write it to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Trust another site's public key (a PEM file made by `keys export`).
    Trust {
        /// The public key file.
        file: PathBuf,
    },
    /// Stop trusting an imported key (its id as `keys list` shows it); this site's own key
    /// cannot be untrusted.
    Untrust {
        /// The key id: 16 lowercase hex digits.
        key_id: String,
    },
    /// List the trusted keys: this site's own and the imported ones.
    List,
}

/// Runs `keys`.
pub fn run(context: &Context, args: &KeysArgs) -> Result<(), Failure> {
    match &args.command {
        KeysCommand::Generate { force } => generate(context, *force),
        KeysCommand::Show => show(context),
        KeysCommand::Export { output, force } => export(context, output.as_deref(), *force),
        KeysCommand::Trust { file } => trust(context, file),
        KeysCommand::Untrust { key_id } => untrust(context, key_id),
        KeysCommand::List => list(context),
    }
}

/// A key error as a failure, in the operator's language: a file whose content is not a usable
/// key is exit 3, a key id that cannot be untrusted exit 2, the rest exit 1.
fn key_failure(error: KeyError, lang: Lang) -> Failure {
    let message = error.localized(lang);
    let detail = error.detail();
    let failure = match &error {
        KeyError::MalformedPublic { .. } | KeyError::WeakPublic => {
            Failure::new(Exit::FileRejected, message)
        }
        KeyError::NotTrusted { .. } => Failure::new(Exit::Usage, message).with_code("unknown-key"),
        KeyError::OwnKey { .. } => Failure::new(Exit::Usage, message).with_code("own-key"),
        _ => Failure::new(Exit::Runtime, message),
    };
    failure.with_detail(detail)
}

/// Reads this site's signing key, if the file exists.
///
/// # Errors
///
/// A failure when the file exists but cannot be read or is not a key.
pub(super) fn own_key(context: &Context) -> Result<Option<SigningKey>, Failure> {
    let path = context.key_path();
    match keys::read_private_key(&path) {
        Ok(key) => Ok(Some(key)),
        Err(KeyError::ReadPrivate { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(error) => Err(key_failure(error, context.lang)),
    }
}

/// Reads this site's signing key, creating it when absent, and says so on stderr.
pub(super) fn own_key_or_create(context: &Context) -> Result<(SigningKey, bool), Failure> {
    if let Some(key) = own_key(context)? {
        return Ok((key, false));
    }
    let path = context.key_path();
    let key = keys::generate();
    keys::write_private_key(&path, &key).map_err(|error| key_failure(error, context.lang))?;
    keys::write_public_key(&keys::public_key_path(&path), &key.verifying_key())
        .map_err(|error| key_failure(error, context.lang))?;
    let id = keys::key_id(&key.verifying_key());
    eprintln!(
        "{}",
        match context.lang {
            Lang::En => format!(
                "created this site's signing key {id} at {} (keep it private; give other sites \
                 its public key with `attestoodle-backup keys export`)",
                path.display()
            ),
            Lang::Fr => format!(
                "clé de signature {id} du site créée dans {} (gardez-la secrète ; donnez sa clé \
                 publique aux autres sites avec `attestoodle-backup keys export`)",
                path.display()
            ),
        }
    );
    Ok((key, true))
}

/// Opens the trust store with this site's own key as trusted.
pub(super) fn trust_store(context: &Context) -> Result<TrustStore, Failure> {
    let own = own_key(context)?.map(|key| key.verifying_key());
    TrustStore::open(context.trust_dir(), own).map_err(|error| key_failure(error, context.lang))
}

fn no_key(context: &Context) -> Failure {
    let path = context.key_path();
    Failure::new(
        Exit::Runtime,
        match context.lang {
            Lang::En => format!(
                "this site has no signing key at {}; create one with `attestoodle-backup keys \
                 generate`, or pass --key PATH",
                path.display()
            ),
            Lang::Fr => format!(
                "ce site n'a pas de clé de signature dans {} ; créez-en une avec \
                 `attestoodle-backup keys generate`, ou indiquez --key CHEMIN",
                path.display()
            ),
        },
    )
}

fn public_base64url(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn generate(context: &Context, force: bool) -> Result<(), Failure> {
    let lang = context.lang;
    let path = context.key_path();
    let old = if path.exists() {
        if !force {
            return Err(Failure::new(
                Exit::Runtime,
                match lang {
                    Lang::En => format!(
                        "{} already exists: a signing key is never replaced silently; use it as \
                         it is, or pass --force to replace it (files signed with the old key \
                         will then need its public key in the trust store)",
                        path.display()
                    ),
                    Lang::Fr => format!(
                        "{} existe déjà : une clé de signature n'est jamais remplacée sans le \
                         dire ; gardez-la, ou ajoutez --force pour la remplacer (les fichiers \
                         signés avec l'ancienne clé demanderont alors sa clé publique dans les \
                         clés de confiance)",
                        path.display()
                    ),
                },
            ));
        }
        own_key(context).ok().flatten()
    } else {
        None
    };
    let key = keys::generate();
    if old.is_some() || path.exists() {
        replace_private_key(&path, &key, context.lang)?;
    } else {
        keys::write_private_key(&path, &key).map_err(|error| key_failure(error, context.lang))?;
    }
    let public_path = keys::public_key_path(&path);
    keys::write_public_key(&public_path, &key.verifying_key())
        .map_err(|error| key_failure(error, context.lang))?;
    let id = keys::key_id(&key.verifying_key());
    let old_id = old.map(|old| keys::key_id(&old.verifying_key()));
    if let Some(old_id) = &old_id {
        eprintln!(
            "{}",
            match lang {
                Lang::En => format!("replaced the signing key {old_id}"),
                Lang::Fr => format!("clé de signature {old_id} remplacée"),
            }
        );
    }
    if context.json {
        return print_json(&serde_json::json!({
            "key_id": id,
            "public_key": public_base64url(&key.verifying_key()),
            "path": path.display().to_string(),
            "public_key_path": public_path.display().to_string(),
            "replaced": old_id,
        }));
    }
    print_stdout(&match lang {
        Lang::En => format!(
            "created signing key {id} at {}\npublic key (give it to the sites that restore this site's backups): {}\n",
            path.display(),
            public_path.display()
        ),
        Lang::Fr => format!(
            "clé de signature {id} créée dans {}\nclé publique (à donner aux sites qui restaurent les sauvegardes de ce site) : {}\n",
            path.display(),
            public_path.display()
        ),
    })
}

/// Writes a new key next to the old one, then renames it over: the old key stays whole until the
/// new one is on disk.
fn replace_private_key(path: &Path, key: &SigningKey, lang: Lang) -> Result<(), Failure> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".new-{}", std::process::id()));
    let temporary = path.with_file_name(name);
    let _ = fs::remove_file(&temporary);
    keys::write_private_key(&temporary, key).map_err(|error| key_failure(error, lang))?;
    fs::rename(&temporary, path).map_err(|source| {
        let _ = fs::remove_file(&temporary);
        key_failure(
            KeyError::Write {
                path: path.to_owned(),
                source,
            },
            lang,
        )
    })
}

/// `keys show --json`.
#[derive(Debug, Serialize)]
struct ShowJson {
    key_id: String,
    public_key: String,
    path: String,
}

fn show(context: &Context) -> Result<(), Failure> {
    let key = own_key(context)?.ok_or_else(|| no_key(context))?;
    let public = key.verifying_key();
    let shown = ShowJson {
        key_id: keys::key_id(&public),
        public_key: public_base64url(&public),
        path: context.key_path().display().to_string(),
    };
    if context.json {
        return print_json(&shown);
    }
    let lang = context.lang;
    print_stdout(&format!(
        "{}: {}\n{}: {}\n{}: {}\n",
        lang.pick("key id", "identifiant de clé"),
        shown.key_id,
        lang.pick("public key", "clé publique"),
        shown.public_key,
        lang.pick("file", "fichier"),
        shown.path,
    ))
}

fn export(context: &Context, output: Option<&Path>, force: bool) -> Result<(), Failure> {
    let key = own_key(context)?.ok_or_else(|| no_key(context))?;
    let public = key.verifying_key();
    let pem = keys::public_key_pem(&public);
    let json = |output: Option<&Path>| {
        print_json(&serde_json::json!({
            "key_id": keys::key_id(&public),
            "public_key": public_base64url(&public),
            "pem": pem,
            "output": output.map(|path| path.display().to_string()),
        }))
    };
    let Some(output) = output else {
        if context.json {
            return json(None);
        }
        return print_stdout(&pem);
    };
    let output = context.cwd.join(output);
    write_new_file(&output, pem.as_bytes(), force, context.lang)?;
    if context.json {
        return json(Some(&output));
    }
    eprintln!(
        "{}",
        match context.lang {
            Lang::En => format!(
                "wrote the public key {} to {}; the other site trusts it with \
                 `attestoodle-backup keys trust FILE`",
                keys::key_id(&public),
                output.display()
            ),
            Lang::Fr => format!(
                "clé publique {} écrite dans {} ; l'autre site lui fait confiance avec \
                 `attestoodle-backup keys trust FICHIER`",
                keys::key_id(&public),
                output.display()
            ),
        }
    );
    Ok(())
}

/// Writes a file, refusing to replace an existing one unless `force`.
pub(super) fn write_new_file(
    path: &Path,
    bytes: &[u8],
    force: bool,
    lang: Lang,
) -> Result<(), Failure> {
    use std::io::Write as _;
    let exists = || {
        Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "{} already exists; choose another name, or pass --force to replace it",
                    path.display()
                ),
                Lang::Fr => format!(
                    "{} existe déjà ; choisissez un autre nom, ou ajoutez --force pour le \
                     remplacer",
                    path.display()
                ),
            },
        )
    };
    let cannot = |error: io::Error| {
        let error = crate::i18n::io_reason(&error, lang);
        Failure::new(
            Exit::Runtime,
            match lang {
                Lang::En => format!(
                    "cannot write {}: {error}; check the directory and its permissions",
                    path.display()
                ),
                Lang::Fr => format!(
                    "impossible d'écrire {} : {error} ; vérifiez le dossier et ses droits",
                    path.display()
                ),
            },
        )
    };
    if force {
        // Write beside, then rename: a reader never sees half a file.
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        let temporary = path.with_file_name(name);
        let written = create_private_file(&temporary)
            .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
            .and_then(|()| fs::rename(&temporary, path));
        if let Err(error) = written {
            let _ = fs::remove_file(&temporary);
            return Err(cannot(error));
        }
        return Ok(());
    }
    let mut file = create_private_file(path).map_err(|error| {
        if error.kind() == io::ErrorKind::AlreadyExists {
            exists()
        } else {
            cannot(error)
        }
    })?;
    if let Err(error) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        let _ = fs::remove_file(path);
        return Err(cannot(error));
    }
    Ok(())
}

/// Creates a new file readable by its owner only (backups hold learners' emails).
fn create_private_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn trust(context: &Context, file: &Path) -> Result<(), Failure> {
    let lang = context.lang;
    let path = context.cwd.join(file);
    let bytes = fs::read(&path).map_err(|error| {
        let reason = crate::i18n::io_reason(&error, lang);
        Failure::unreadable(match lang {
            Lang::En => format!(
                "cannot read {}: {reason}; give the public key file made by \
                 `attestoodle-backup keys export` on the other site",
                path.display()
            ),
            Lang::Fr => format!(
                "impossible de lire {} : {reason} ; donnez le fichier de clé publique fait \
                 par `attestoodle-backup keys export` sur l'autre site",
                path.display()
            ),
        })
        .with_detail(Some(error.to_string()))
    })?;
    let in_file = |error: KeyError| {
        let failure = key_failure(error, lang);
        let colon = lang.pick(":", " :");
        Failure {
            message: format!("{}{colon} {}", path.display(), failure.message),
            ..failure
        }
    };
    let text = keys::public_key_text(&bytes).map_err(in_file)?;
    let mut store = trust_store(context)?;
    let trusted = store.trust(text).map_err(in_file)?;
    let stored = store.dir().join(format!("{}.pem", trusted.id()));
    if context.json {
        let (status, path) = match &trusted {
            keys::Trusted::Added(_) => ("added", Some(&stored)),
            keys::Trusted::Already(_) => ("already-trusted", Some(&stored)),
            keys::Trusted::Own(_) => ("own-key", None),
        };
        return print_json(&serde_json::json!({
            "key_id": trusted.id(),
            "status": status,
            "path": path.map(|path| path.display().to_string()),
        }));
    }
    print_stdout(&match (trusted, lang) {
        (keys::Trusted::Added(id), Lang::En) => {
            format!("trusted key {id} (stored in {})\n", stored.display())
        }
        (keys::Trusted::Added(id), Lang::Fr) => {
            format!(
                "clé {id} ajoutée aux clés de confiance ({})\n",
                stored.display()
            )
        }
        (keys::Trusted::Already(id), Lang::En) => format!(
            "key {id} was already trusted ({}); nothing changed\n",
            stored.display()
        ),
        (keys::Trusted::Already(id), Lang::Fr) => format!(
            "la clé {id} était déjà de confiance ({}) ; rien n'a changé\n",
            stored.display()
        ),
        (keys::Trusted::Own(id), Lang::En) => format!(
            "key {id} is this site's own signing key, which is always trusted; nothing changed \
             (give this file to the other sites instead)\n"
        ),
        (keys::Trusted::Own(id), Lang::Fr) => format!(
            "la clé {id} est la clé de signature de ce site, toujours de confiance ; rien n'a \
             changé (donnez plutôt ce fichier aux autres sites)\n"
        ),
    })
}

fn untrust(context: &Context, id: &str) -> Result<(), Failure> {
    let lang = context.lang;
    // Key ids are lowercase hex; accept one copied in capitals or with its file's extension.
    let id = id.trim().trim_end_matches(".pem").to_ascii_lowercase();
    let id = id.as_str();
    let mut store = trust_store(context)?;
    let removed = store
        .untrust(id)
        .map_err(|error| key_failure(error, lang))?;
    if context.json {
        return print_json(&serde_json::json!({
            "key_id": id,
            "removed": removed.display().to_string(),
        }));
    }
    print_stdout(&match lang {
        Lang::En => format!(
            "key {id} is no longer trusted (removed {}); files it signs are now untrusted\n",
            removed.display()
        ),
        Lang::Fr => format!(
            "la clé {id} n'est plus de confiance ({} supprimé) ; les fichiers qu'elle signe ne \
             sont plus de confiance\n",
            removed.display()
        ),
    })
}

/// One key of `keys list --json`.
#[derive(Debug, Serialize)]
struct ListedKey {
    key_id: String,
    public_key: String,
    /// `"own"` for this site's key, `"imported"` for a key of the trust store.
    source: &'static str,
    path: String,
}

fn list(context: &Context) -> Result<(), Failure> {
    let own = own_key(context)?;
    let store = TrustStore::open(
        context.trust_dir(),
        own.as_ref().map(SigningKey::verifying_key),
    )
    .map_err(|error| key_failure(error, context.lang))?;
    let mut listed = Vec::new();
    if let Some(own) = &own {
        let public = own.verifying_key();
        listed.push(ListedKey {
            key_id: keys::key_id(&public),
            public_key: public_base64url(&public),
            source: "own",
            path: context.key_path().display().to_string(),
        });
    }
    for (id, public) in store.list() {
        listed.push(ListedKey {
            path: store.dir().join(format!("{id}.pem")).display().to_string(),
            key_id: id,
            public_key: public_base64url(&public),
            source: "imported",
        });
    }
    if context.json {
        return print_json(&listed);
    }
    let lang = context.lang;
    if listed.is_empty() {
        return print_stdout(&format!(
            "{}\n",
            lang.pick(
                "No trusted key: this site has no signing key and imported none.",
                "Aucune clé de confiance : ce site n'a pas de clé de signature et n'en a importé \
                 aucune."
            )
        ));
    }
    let mut out = String::new();
    for key in &listed {
        let what = match key.source {
            "own" => lang.pick(
                "this site's own key, trusted",
                "clé de ce site, de confiance",
            ),
            _ => lang.pick("imported, trusted", "importée, de confiance"),
        };
        out.push_str(&format!(
            "{}  {}  {what}  {}\n",
            key.key_id, key.public_key, key.path
        ));
    }
    print_stdout(&out)
}
