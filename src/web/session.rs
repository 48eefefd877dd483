//! Sessions kept in memory: random 256-bit ids, an idle timeout, the session cookie.
//!
//! Nothing is written to disk: a restart logs everyone out. A session exists from the first
//! request (it carries the CSRF token of the login form and the chosen language); logging in
//! gives it a new id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand_core::{OsRng, RngCore as _};

use crate::i18n::Lang;

/// The name of the session cookie.
pub const COOKIE: &str = "attestoodle_session";

/// Above this many sessions, the ones of anonymous visitors that were idle longest are dropped.
const MAX_SESSIONS: usize = 10_000;

/// The most bytes the uploads waiting for *Apply* hold in memory together, all sessions
/// counted: 256 MiB (README, *The web interface*). One session keeps one upload of at most
/// `--max-upload`; this bounds their sum, so that many sessions cannot fill the memory.
pub const DEFAULT_MAX_PENDING_TOTAL: usize = 256 * 1024 * 1024;

/// Who is logged in on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// `user.id`.
    pub user_id: i64,
    /// `user.username`.
    pub username: String,
    /// Whether the account is a site administrator (checked at login).
    pub admin: bool,
    /// Whether this login is the visitor's live Moodle session (`serve --moodle-session`),
    /// checked again on every request, rather than a password login of this tool.
    pub via_moodle: bool,
}

/// What a session holds.
#[derive(Debug, Clone)]
pub struct SessionData {
    /// The synchronizer token every form of this session carries (64 hex digits).
    pub csrf: String,
    /// The logged-in account, if any.
    pub login: Option<Login>,
    /// The language chosen with `?lang=`, if any.
    pub lang: Option<Lang>,
    /// The backup uploaded on the *Restore or clone* page, waiting to be applied.
    pub pending: Option<Arc<PendingRestore>>,
    /// The training as it was before the last replace of this session, to download.
    pub previous: Option<Arc<PreviousTraining>>,
    last_seen: Instant,
}

/// A training as it was before a replace overwrote it: the signed backup the result page
/// offers as the way back, kept in the memory of its session only (never on disk).
#[derive(Debug)]
pub struct PreviousTraining {
    /// The file name of the download.
    pub file_name: String,
    /// The backup's text.
    pub text: String,
}

/// How long an uploaded backup waits in memory for its *Apply*: 30 minutes.
pub const PENDING_TTL: Duration = Duration::from_secs(30 * 60);

/// What the operator chose on the *Restore or clone* form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreChoices {
    /// `restore` or `clone`.
    pub mode: String,
    /// The new training name.
    pub name: String,
    /// The suffix of a clone.
    pub suffix: String,
    /// Course renames, `OLD=NEW` one a line.
    pub courses: String,
    /// Days to shift every date by.
    pub shift: String,
    /// The clone's new start date, `YYYY-MM-DD` (instead of `shift`).
    pub start: String,
    /// `with`, `without`, or `""` for the mode's default (with for a restore).
    pub learners: String,
    /// A category id of this site, or `""` to find it from the file.
    pub category: String,
    /// `reuse`, `replace` or `copy`.
    pub template: String,
    /// The template's name with `copy`.
    pub template_copy_name: String,
    /// The course map CSV uploaded (`OLD,NEW` lines), as text.
    pub course_map: String,
}

/// An uploaded backup, kept in the memory of its session only (never on disk) until it is
/// applied, replaced by another upload, or expires.
#[derive(Debug)]
pub struct PendingRestore {
    /// Names this upload in the *Apply* form (64 hex digits), so that an old page cannot
    /// apply a newer upload.
    pub id: String,
    /// The file name the browser sent.
    pub file_name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The operator's choices.
    pub choices: RestoreChoices,
    /// The live training it was saved from (*Clone* on a training's page), not an upload.
    pub live_training: Option<i64>,
    /// When it is dropped.
    pub expires: Instant,
}

impl PendingRestore {
    /// A new upload, kept for [`PENDING_TTL`].
    pub fn new(file_name: String, bytes: Vec<u8>, choices: RestoreChoices) -> PendingRestore {
        PendingRestore {
            id: random_hex(),
            file_name,
            bytes,
            choices,
            live_training: None,
            expires: Instant::now() + PENDING_TTL,
        }
    }

    /// Whether it is still kept.
    pub fn is_live(&self) -> bool {
        Instant::now() < self.expires
    }
}

/// The sessions of the server; cheap to clone.
#[derive(Debug, Clone)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<String, SessionData>>>,
    idle: Duration,
    max_pending_total: usize,
}

/// An upload not kept: the uploads of all sessions would then hold more than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingFull {
    /// The limit, in bytes.
    pub limit: usize,
}

impl Sessions {
    /// An empty store whose sessions end after `idle` without a request, and whose uploads
    /// waiting for *Apply* hold at most `max_pending_total` bytes together.
    pub fn new(idle: Duration, max_pending_total: usize) -> Sessions {
        Sessions {
            inner: Arc::default(),
            idle,
            max_pending_total,
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, SessionData>> {
        // A panic while the lock was held leaves plain data behind: keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The session with this id, refreshed, or `None` when unknown or idle too long.
    pub fn touch(&self, id: &str) -> Option<SessionData> {
        let mut map = self.map();
        let now = Instant::now();
        let live = map
            .get(id)
            .is_some_and(|s| now.duration_since(s.last_seen) <= self.idle);
        if !live {
            map.remove(id);
            return None;
        }
        let session = map.get_mut(id)?;
        session.last_seen = now;
        if session.pending.as_ref().is_some_and(|p| !p.is_live()) {
            session.pending = None;
        }
        Some(session.clone())
    }

    /// Starts an anonymous session and gives its id and data.
    pub fn create(&self) -> (String, SessionData) {
        let data = SessionData {
            csrf: random_hex(),
            login: None,
            lang: None,
            pending: None,
            previous: None,
            last_seen: Instant::now(),
        };
        let id = random_hex();
        let mut map = self.map();
        if map.len() >= MAX_SESSIONS {
            self.sweep(&mut map);
        }
        map.insert(id.clone(), data.clone());
        (id, data)
    }

    /// Drops expired sessions and, while still too many, the longest-idle anonymous ones.
    fn sweep(&self, map: &mut HashMap<String, SessionData>) {
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_seen) <= self.idle);
        if map.len() < MAX_SESSIONS {
            return;
        }
        let mut anonymous: Vec<(Instant, String)> = map
            .iter()
            .filter(|(_, s)| s.login.is_none())
            .map(|(id, s)| (s.last_seen, id.clone()))
            .collect();
        anonymous.sort();
        let excess = map.len() + 1 - MAX_SESSIONS;
        for (_, id) in anonymous.into_iter().take(excess) {
            map.remove(&id);
        }
    }

    /// Changes a session with `change`; does nothing when it is gone.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut SessionData)) {
        if let Some(session) = self.map().get_mut(id) {
            change(session);
        }
    }

    /// Logs a session in: its data moves to a new id with a new CSRF token (so that an id or a
    /// token seen before the login is worth nothing after it). Gives the new id.
    pub fn log_in(&self, old_id: &str, login: Login) -> String {
        let mut map = self.map();
        let lang = map.remove(old_id).and_then(|s| s.lang);
        let id = random_hex();
        map.insert(
            id.clone(),
            SessionData {
                csrf: random_hex(),
                login: Some(login),
                lang,
                pending: None,
                previous: None,
                last_seen: Instant::now(),
            },
        );
        id
    }

    /// Keeps an uploaded backup in a session, in place of any earlier one; refuses it when
    /// the live uploads of the other sessions and this one would hold more than the limit
    /// together (the session's earlier upload is then kept).
    pub fn keep_pending(&self, id: &str, pending: PendingRestore) -> Result<(), PendingFull> {
        let mut map = self.map();
        let now = Instant::now();
        let held: usize = map
            .iter()
            .filter(|(other, s)| {
                other.as_str() != id && now.duration_since(s.last_seen) <= self.idle
            })
            .filter_map(|(_, s)| s.pending.as_ref().filter(|p| p.is_live()))
            .map(|p| p.bytes.len())
            .sum();
        if held.saturating_add(pending.bytes.len()) > self.max_pending_total {
            return Err(PendingFull {
                limit: self.max_pending_total,
            });
        }
        if let Some(session) = map.get_mut(id) {
            session.pending = Some(Arc::new(pending));
        }
        Ok(())
    }

    /// Keeps the way back from a replace in a session, in place of any earlier one.
    pub fn keep_previous(&self, id: &str, previous: PreviousTraining) {
        self.update(id, |s| s.previous = Some(Arc::new(previous)));
    }

    /// Drops the uploaded backup of a session.
    pub fn drop_pending(&self, id: &str) {
        self.update(id, |s| s.pending = None);
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.map().remove(id);
    }

    /// Whether there is no session at all.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

/// 32 bytes from the operating system's random source, as 64 lower-case hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    crate::hex::hex(&bytes)
}

/// The `Set-Cookie` value that gives the browser a session id.
pub fn set_cookie(id: &str, path: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path={path}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that makes the browser forget its session id.
pub fn clear_cookie(path: &str, secure: bool) -> String {
    format!(
        "{COOKIE}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session id in a `Cookie` header value, if it has the shape of one of ours.
pub fn id_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_256_random_bits() {
        let a = random_hex();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex());
    }

    #[test]
    fn an_idle_session_ends() {
        let sessions = Sessions::new(Duration::ZERO, DEFAULT_MAX_PENDING_TOTAL);
        let (id, _) = sessions.create();
        std::thread::sleep(Duration::from_millis(5));
        assert!(sessions.touch(&id).is_none());
        assert!(sessions.is_empty());
    }

    #[test]
    fn logging_in_changes_the_id_and_the_token() {
        let sessions = Sessions::new(Duration::from_secs(60), DEFAULT_MAX_PENDING_TOTAL);
        let (id, data) = sessions.create();
        let login = Login {
            user_id: 2,
            username: "admin".into(),
            admin: true,
            via_moodle: false,
        };
        let new = sessions.log_in(&id, login);
        assert!(sessions.touch(&id).is_none());
        let after = sessions.touch(&new).expect("logged-in session");
        assert_ne!(after.csrf, data.csrf);
        assert!(after.login.is_some());
    }

    #[test]
    fn an_upload_is_kept_until_dropped_or_expired() {
        let sessions = Sessions::new(Duration::from_secs(60), DEFAULT_MAX_PENDING_TOTAL);
        let (id, _) = sessions.create();
        sessions
            .keep_pending(
                &id,
                PendingRestore::new("a.json".into(), vec![1], RestoreChoices::default()),
            )
            .expect("room");
        assert!(sessions.touch(&id).and_then(|s| s.pending).is_some());
        sessions.drop_pending(&id);
        assert!(sessions.touch(&id).and_then(|s| s.pending).is_none());
        let mut old = PendingRestore::new("a.json".into(), vec![1], RestoreChoices::default());
        old.expires = Instant::now();
        sessions.keep_pending(&id, old).expect("room");
        assert!(sessions.touch(&id).and_then(|s| s.pending).is_none());
    }

    #[test]
    fn uploads_of_all_sessions_are_capped_together() {
        let sessions = Sessions::new(Duration::from_secs(60), 10);
        let upload =
            |n| PendingRestore::new("a.json".into(), vec![0; n], RestoreChoices::default());
        let (a, _) = sessions.create();
        let (b, _) = sessions.create();
        sessions.keep_pending(&a, upload(6)).expect("room");
        assert_eq!(
            sessions.keep_pending(&b, upload(5)),
            Err(PendingFull { limit: 10 })
        );
        sessions
            .keep_pending(&b, upload(4))
            .expect("room for 4 more");
        // A session's new upload replaces its own: only the others count.
        sessions
            .keep_pending(&a, upload(6))
            .expect("replaces its own");
        sessions.drop_pending(&a);
        sessions
            .keep_pending(&b, upload(10))
            .expect("room once a is gone");
    }

    #[test]
    fn only_our_cookie_of_the_right_shape_is_read() {
        let id = "a".repeat(64);
        assert_eq!(
            id_from_cookie_header(&format!("x=1; {COOKIE}={id}")),
            Some(id.as_str())
        );
        assert_eq!(id_from_cookie_header(&format!("{COOKIE}=abc")), None);
        assert_eq!(id_from_cookie_header("other=1"), None);
    }
}
