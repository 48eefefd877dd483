//! The web interface: server-rendered pages for Moodle site administrators.
//!
//! [`app`] builds the whole application as one `Router`, shared by `serve` and the tests. A
//! handler extracts its inputs, makes one library call (`moodle::Site`, `document`) and renders
//! a typed template.
//!
//! Architecture invariant: no SQL and no database driver here; every database read goes through
//! `moodle::Site`. Nothing written to disk but what the operator asks for (a trusted key).

mod compare;
mod downloads;
mod error;
mod history;
mod i18n;
mod keys;
mod login;
mod page;
pub mod password;
mod preview;
mod repair;
mod restore;
mod rollover;
mod security;
mod session;
mod trainings;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::moodle::Site;

pub use i18n::{catalogue_keys, Tr};
pub use password::PasswordSettings;
pub use security::ThrottleLimits;

/// The request headers read by hand (cookies, `Accept-Language`), public for the fuzz targets
/// (`fuzz/`, README "Fuzzing"); not an interface of the crate.
#[doc(hidden)]
pub mod parsers {
    pub use super::security::{cookie_value, lang_from_accept};
    pub use super::session::{id_from_cookie_header, set_cookie, COOKIE};
}

/// The default limit of a request body, uploads included: 20 MiB.
pub const DEFAULT_MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// The default idle time after which a session ends: 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How the server is set up (`serve`'s options).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The path prefix the pages live under behind a reverse proxy, `""` or `/prefix`
    /// (no trailing slash).
    pub base_path: String,
    /// Whether the pages are served over HTTPS (cookies get `Secure`).
    pub https: bool,
    /// Whether a reverse proxy is in front: its `X-Forwarded-For` (last address) names the
    /// client for login throttling, and `X-Forwarded-Proto: https` marks cookies `Secure`.
    pub behind_proxy: bool,
    /// The largest request body accepted, in bytes.
    pub max_upload: usize,
    /// Idle time after which a session ends.
    pub idle_timeout: Duration,
    /// This site's private signing key (PKCS#8 PEM); its public half is offered for download.
    pub key_path: PathBuf,
    /// The directory of trusted public keys.
    pub trust_dir: PathBuf,
    /// The password settings of config.php (peppers, legacy salt).
    pub passwords: PasswordSettings,
    /// How many failed logins are allowed before a pause.
    pub throttle: ThrottleLimits,
    /// Log administrators in through their live Moodle session (`serve --moodle-session`).
    pub moodle_session: Option<MoodleSessionLogin>,
    /// The audit log every apply appends to (`--audit-log`); by default `audit.jsonl` beside
    /// the signing key.
    pub audit_log: PathBuf,
    /// The most bytes the uploads waiting for *Apply* hold together, all sessions counted
    /// ([`session::DEFAULT_MAX_PENDING_TOTAL`]; smaller in tests).
    pub max_pending_total: usize,
}

/// How to recognise a Moodle session (`serve --moodle-session`, docs/decisions.md §18).
#[derive(Debug, Clone)]
pub struct MoodleSessionLogin {
    /// The cookie's name: `MoodleSession` followed by `$CFG->sessioncookie`.
    pub cookie: String,
    /// `$CFG->wwwroot`, for the *Log in with Moodle* link.
    pub wwwroot: Option<String>,
    /// Where Moodle keeps its sessions when not in its `sessions` table (`Redis`,
    /// `Memcached`, from `$CFG->session_handler_class`): the login page says so and no session
    /// is looked up.
    pub elsewhere: Option<&'static str>,
}

impl WebConfig {
    /// A configuration with the defaults, for the given key paths.
    pub fn new(key_path: PathBuf, trust_dir: PathBuf) -> WebConfig {
        WebConfig {
            base_path: String::new(),
            https: false,
            behind_proxy: false,
            max_upload: DEFAULT_MAX_UPLOAD,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            trust_dir,
            passwords: PasswordSettings::default(),
            throttle: ThrottleLimits::default(),
            moodle_session: None,
            audit_log: key_path.parent().map_or_else(
                || crate::audit::FILE_NAME.into(),
                |dir| dir.join(crate::audit::FILE_NAME),
            ),
            key_path,
            max_pending_total: session::DEFAULT_MAX_PENDING_TOTAL,
        }
    }

    /// Checks and normalises `--base-path`: empty, or `/` followed by path segments of
    /// letters, digits, `-`, `_`, `.` and `~`; a trailing `/` is dropped.
    ///
    /// # Errors
    ///
    /// A message saying what a valid prefix looks like.
    pub fn normalise_base_path(text: &str) -> Result<String, String> {
        let trimmed = text.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok(String::new());
        }
        let valid = trimmed.starts_with('/')
            && trimmed[1..].split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
            });
        if valid {
            Ok(trimmed.to_owned())
        } else {
            Err(format!(
                "the base path `{text}` is not valid: give a path such as /attestoodle (letters, \
                 digits, -, _, . and ~ between slashes), or leave it out to serve at /"
            ))
        }
    }
}

/// The state every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    site: Site,
    config: WebConfig,
    sessions: session::Sessions,
    throttle: security::Throttle,
    /// The requests being answered at once ([`admit`]).
    admission: Arc<tokio::sync::Semaphore>,
    /// The backups being made for *Download backup*.
    downloads: downloads::Downloads,
}

impl AppState {
    /// The state of a server on `site` set up by `config`.
    pub fn new(site: Site, config: WebConfig) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                sessions: session::Sessions::new(config.idle_timeout, config.max_pending_total),
                throttle: security::Throttle::new(config.throttle),
                admission: Arc::new(tokio::sync::Semaphore::new(answered_at_once())),
                downloads: downloads::Downloads::default(),
                site,
                config,
            }),
        }
    }

    fn site(&self) -> &Site {
        &self.inner.site
    }

    fn downloads(&self) -> &downloads::Downloads {
        &self.inner.downloads
    }

    fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    fn sessions(&self) -> &session::Sessions {
        &self.inner.sessions
    }

    fn throttle(&self) -> &security::Throttle {
        &self.inner.throttle
    }

    fn base(&self) -> &str {
        &self.inner.config.base_path
    }
}

/// Serves the application on `listener` until Ctrl-C, with each request knowing the client's
/// address (for login throttling).
///
/// # Errors
///
/// The I/O error that stopped the server.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        // Without a signal handler the server runs until killed, which is fine too.
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// How many requests are answered at once: twice the cores. The others wait at the door, first
/// come first served (a fair semaphore): with fifty visitors at once, each answered as soon as
/// the ones before it, instead of every request sharing the cores with all the others and the
/// database's few connections — where a page of 3 ms waited seconds behind downloads (issue 16,
/// the web server under load).
fn answered_at_once() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Lets a request in when its turn comes ([`answered_at_once`]); the request carries its
/// [`Turn`].
async fn admit(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let turn = Turn::wait(&state).await;
    request.extensions_mut().insert(turn.clone());
    let response = next.run(request).await;
    drop(turn);
    response
}

/// A request's place among those answered at once ([`admit`]).
#[derive(Clone)]
pub(crate) struct Turn(Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>);

impl Turn {
    /// Waits for a place, behind those who came first.
    async fn wait(state: &AppState) -> Turn {
        // The semaphore is never closed: a permit always comes.
        let permit = Arc::clone(&state.inner.admission)
            .acquire_owned()
            .await
            .ok();
        Turn(Arc::new(std::sync::Mutex::new(permit)))
    }

    /// Gives the place up to the next request while this one only waits for work another
    /// does (a download sharing another's read): fifty downloads waiting for one read
    /// would otherwise hold every place while the cores stay idle.
    fn step_aside(&self) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }
}

/// The stylesheet, embedded in the binary.
const APP_CSS: &str = include_str!("app.css");

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        APP_CSS,
    )
}

/// The whole application: every page under `config.base_path`, with sessions, security
/// headers, the POST origin check and the request size limit.
pub fn app(state: AppState) -> Router {
    let base = state.base().to_owned();
    let at = |path: &str| format!("{base}{path}");
    let mut router = Router::new()
        .route(&at("/"), get(trainings::list))
        .route(&at("/trainings/{id}"), get(trainings::show))
        .route(&at("/trainings/{id}/backup.json"), get(trainings::download))
        .route(
            &at("/trainings/{id}/background/{n}"),
            get(trainings::background),
        )
        .route(
            &at("/trainings/{id}/legacy.json"),
            get(trainings::download_legacy),
        )
        .route(
            &at("/trainings/{id}/compare"),
            get(compare::form).post(compare::submit),
        )
        .route(&at("/login"), get(login::form).post(login::submit))
        .route(&at("/logout"), post(login::logout))
        .route(&at("/keys"), get(keys::page).post(keys::trust))
        .route(&at("/keys/site.pem"), get(keys::download_own))
        .route(&at("/verify"), get(verify::form).post(verify::submit))
        .route(
            &at("/trainings/{id}/repair"),
            get(repair::page).post(repair::apply),
        )
        .route(&at("/restore"), get(restore::form).post(restore::submit))
        .route(
            &at("/trainings/{id}/clone"),
            get(trainings::show).post(restore::clone_training),
        )
        .route(&at("/restore/apply"), post(restore::apply))
        .route(&at("/restore/previous.json"), get(restore::previous))
        .route(&at("/history"), get(history::page))
        .route(&at("/rollover"), get(rollover::page).post(rollover::check))
        .route(&at("/rollover/apply"), post(rollover::apply))
        .route(&at("/restore/precheck.json"), get(restore::precheck_json))
        .route(
            &at("/restore/recheck"),
            get(restore::form).post(restore::recheck),
        )
        .route(
            &at("/trainings/{id}/templates/{n}/preview.svg"),
            get(preview::training_template),
        )
        .route(&at("/templates/preview.svg"), get(preview::site))
        .route(&at("/restore/template-preview.svg"), get(preview::file))
        .route(&at("/static/app.css"), get(stylesheet));
    if !base.is_empty() {
        let home = at("/");
        router = router.route(
            &base,
            get(move || async move { axum::response::Redirect::permanent(&home) }),
        );
    }
    let max_upload = state.config().max_upload;
    router
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(max_upload))
        .layer(RequestBodyLimitLayer::new(max_upload))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), admit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_plain_path_segments() {
        assert_eq!(WebConfig::normalise_base_path(""), Ok(String::new()));
        assert_eq!(WebConfig::normalise_base_path("/"), Ok(String::new()));
        assert_eq!(
            WebConfig::normalise_base_path("/tools/attestoodle/"),
            Ok("/tools/attestoodle".to_owned())
        );
        for bad in ["attestoodle", "/a/../b", "/a//b", "/a b", "/a?b", "/<x>"] {
            assert!(WebConfig::normalise_base_path(bad).is_err(), "{bad}");
        }
    }
}
