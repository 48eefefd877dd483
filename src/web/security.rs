//! What guards every request: the session, the language, the security headers, the origin
//! check and CSRF token of every POST, the `Operator` check of every page, login throttling.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

use super::error::{WebError, WhatWentWrong};
use super::i18n::Tr;
use super::session::{self, SessionData};
use super::AppState;
use crate::i18n::Lang;

/// The Content-Security-Policy of every response: nothing but our own stylesheet and images,
/// forms only to ourselves, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the guard learnt about a request, for the extractors and handlers.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The session id.
    pub session_id: String,
    /// The session.
    pub session: SessionData,
    /// The language of the pages.
    pub lang: Lang,
    /// Whether cookies must be `Secure`.
    pub secure: bool,
    /// The client's address, for throttling.
    pub client: String,
    /// The path prefix.
    pub base: String,
}

impl Visit {
    /// The translations of this visit's language.
    pub fn tr(&self) -> Tr {
        Tr(self.lang)
    }

    /// The path of the session cookie.
    pub fn cookie_path(&self) -> String {
        if self.base.is_empty() {
            "/".to_owned()
        } else {
            self.base.clone()
        }
    }

    /// An error page in this visit's language.
    pub fn error(&self, what: WhatWentWrong) -> WebError {
        WebError::new(what, self)
    }

    /// Refuses a form whose token is not this session's (constant-time comparison).
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        let expected = self.session.csrf.as_bytes();
        if bool::from(token.as_bytes().ct_eq(expected)) {
            Ok(())
        } else {
            Err(self.error(WhatWentWrong::BadToken))
        }
    }
}

/// The middleware around every request: finds or starts the session, picks the language,
/// refuses a cross-origin POST, and adds the security headers to the response.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let config = state.config();
    let headers = request.headers();
    let secure = config.https
        || (config.behind_proxy
            && header_text(headers, "x-forwarded-proto")
                .is_some_and(|p| p.eq_ignore_ascii_case("https")));
    let client = client_address(&request, config.behind_proxy);
    let existing = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::id_from_cookie_header)
        .and_then(|id| state.sessions().touch(id).map(|data| (id.to_owned(), data)));
    let created = existing.is_none();
    let (session_id, mut session) = existing.unwrap_or_else(|| state.sessions().create());
    if let Some(lang) = lang_from_query(request.uri().query()) {
        state
            .sessions()
            .update(&session_id, |s| s.lang = Some(lang));
        session.lang = Some(lang);
    }
    let lang = session
        .lang
        .unwrap_or_else(|| lang_from_accept(header_text(headers, "accept-language")));
    let visit = Visit {
        session_id: session_id.clone(),
        session,
        lang,
        secure,
        client,
        base: state.base().to_owned(),
    };
    let cross_origin = !matches!(*request.method(), Method::GET | Method::HEAD)
        && !same_origin(request.headers(), config.behind_proxy);
    let mut response = if cross_origin {
        visit.error(WhatWentWrong::CrossOrigin).into_response()
    } else {
        request.extensions_mut().insert(visit.clone());
        next.run(request).await
    };
    let headers = response.headers_mut();
    if created && !headers.contains_key(header::SET_COOKIE) {
        if let Ok(value) = HeaderValue::from_str(&session::set_cookie(
            &session_id,
            &visit.cookie_path(),
            secure,
        )) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client's address: the socket's peer, or behind a proxy the last `X-Forwarded-For`
/// entry (the one the proxy itself added).
fn client_address(request: &Request, behind_proxy: bool) -> String {
    if behind_proxy {
        if let Some(forwarded) = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .next_back()
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return forwarded.to_owned();
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// Whether a state-changing request comes from our own pages: its `Origin` names the host it
/// was sent to; without `Origin`, a `Sec-Fetch-Site` must say `same-origin`. A request with
/// neither (an old browser, a script) is let through to the CSRF token check.
fn same_origin(headers: &HeaderMap, behind_proxy: bool) -> bool {
    let host = behind_proxy
        .then(|| header_text(headers, "x-forwarded-host"))
        .flatten()
        .or_else(|| header_text(headers, "host"));
    if let Some(origin) = header_text(headers, "origin") {
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return match (authority, host) {
            (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host.trim()),
            _ => false,
        };
    }
    match header_text(headers, "sec-fetch-site") {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

fn lang_from_query(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "lang")
        .and_then(|(_, value)| match value {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        })
}

/// The preferred of English and French in an `Accept-Language` header; English by default.
pub fn lang_from_accept(header: Option<&str>) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag == "fr" || tag.starts_with("fr-") {
            Lang::Fr
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visit>()
            .cloned()
            .ok_or_else(WebError::without_session)
    }
}

/// A logged-in site administrator: every page but the login page takes one. Anonymous visitors
/// are sent to the login page (303); other accounts get the "not allowed" page (403).
#[derive(Debug, Clone)]
pub struct Operator {
    /// The request's session (with the account) and language.
    pub visit: Visit,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    /// Checks the session, then asks the site again whether the account is still a site
    /// administrator: removing someone from `siteadmins` takes effect at their next request.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut visit = Visit::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if visit.session.login.is_none() {
            visit.session.login = moodle_login(parts, state)
                .await
                .map_err(|e| WebError::internal(&visit, e).into_response())?;
        }
        let Some(login) = visit.session.login.clone() else {
            return Err(
                axum::response::Redirect::to(&format!("{}/login", visit.base)).into_response(),
            );
        };
        if !login.admin {
            return Err(super::login::not_allowed(&visit, &login));
        }
        let admins = state
            .site()
            .site_admin_ids()
            .await
            .map_err(|e| WebError::internal(&visit, e).into_response())?;
        if !admins.contains(&login.user_id) {
            state.sessions().update(&visit.session_id, |s| {
                if let Some(l) = &mut s.login {
                    l.admin = false;
                }
            });
            if let Some(l) = &mut visit.session.login {
                l.admin = false;
            }
            return Err(super::login::not_allowed(&visit, &login));
        }
        Ok(Operator { visit })
    }
}

/// The account of the visitor's live Moodle session, when `serve --moodle-session` is on and
/// the request carries Moodle's session cookie for a usable session (docs/decisions.md §18).
/// Checked on every request, so a logout in Moodle ends it here too. The cookie's value is never logged.
async fn moodle_login(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<super::session::Login>, crate::moodle::Error> {
    let Some(config) = state
        .config()
        .moodle_session
        .as_ref()
        .filter(|c| c.elsewhere.is_none())
    else {
        return Ok(None);
    };
    let Some(sid) = cookie_value(&parts.headers, &config.cookie) else {
        return Ok(None);
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let crate::moodle::MoodleSession::LoggedIn(user) =
        state.site().moodle_session(&sid, now).await?
    else {
        return Ok(None);
    };
    let admins = state.site().site_admin_ids().await?;
    Ok(Some(super::session::Login {
        user_id: user.id,
        admin: admins.contains(&user.id),
        username: user.username,
        via_moodle: true,
    }))
}

/// The value of the cookie named exactly `name`, when the request carries one that is not
/// empty.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

/// A form that carries this session's CSRF token in its `csrf` field.
pub trait WithCsrf {
    /// The token the form carried.
    fn csrf(&self) -> &str;
}

/// A URL-encoded form whose CSRF token was checked against the session.
#[derive(Debug)]
pub struct CheckedForm<T>(pub T);

impl<T> FromRequest<AppState> for CheckedForm<T>
where
    T: DeserializeOwned + WithCsrf + Send,
{
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let visit = request
            .extensions()
            .get::<Visit>()
            .cloned()
            .ok_or_else(WebError::without_session)?;
        let Form(form) = Form::<T>::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                visit.error(WhatWentWrong::TooLarge)
            } else {
                // A form without its token is refused as one with a wrong token.
                visit.error(WhatWentWrong::BadToken)
            }
        })?;
        visit.check_csrf(form.csrf())?;
        Ok(CheckedForm(form))
    }
}

/// One part of a `multipart/form-data` form, held in memory.
#[derive(Debug, Clone)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name the browser sent, for a file field.
    pub file_name: Option<String>,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A `multipart/form-data` form (file uploads) read into memory, whose CSRF token was checked
/// against the session. The size limit of the server applies while reading.
#[derive(Debug)]
pub struct CheckedUpload {
    /// The parts, in the order the browser sent them (the token aside).
    pub parts: Vec<Part>,
}

impl CheckedUpload {
    /// The first part named `name`.
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }
}

impl FromRequest<AppState> for CheckedUpload {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let visit = request
            .extensions()
            .get::<Visit>()
            .cloned()
            .ok_or_else(WebError::without_session)?;
        let refuse = |status: axum::http::StatusCode| {
            if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                visit.error(WhatWentWrong::TooLarge)
            } else {
                visit.error(WhatWentWrong::BadForm)
            }
        };
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|e| refuse(e.status()))?;
        let mut parts = Vec::new();
        let mut token = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| refuse(status_of(&e)))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| refuse(status_of(&e)))?;
            if name == "csrf" && token.is_none() {
                token = Some(String::from_utf8_lossy(&bytes).into_owned());
            } else {
                parts.push(Part {
                    name,
                    file_name,
                    bytes: bytes.to_vec(),
                });
            }
        }
        visit.check_csrf(token.as_deref().unwrap_or(""))?;
        Ok(CheckedUpload { parts })
    }
}

/// The status a multipart error calls for: 413 when the body passed a size limit, be it
/// axum's or the server-wide one of tower-http (which axum does not recognise).
fn status_of(error: &axum::extract::multipart::MultipartError) -> axum::http::StatusCode {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        }
        source = e.source();
    }
    error.status()
}

/// How many failed logins are allowed in a window before further attempts are refused.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Failures allowed per username.
    pub per_username: usize,
    /// Failures allowed per client address.
    pub per_address: usize,
    /// The window failures are counted in.
    pub window: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            per_username: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Failed logins per username and per address, in memory.
#[derive(Debug)]
pub struct Throttle {
    limits: ThrottleLimits,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    /// An empty record.
    pub fn new(limits: ThrottleLimits) -> Throttle {
        Throttle {
            limits,
            failures: Mutex::default(),
        }
    }

    /// When a login for `username` from `address` may be tried again, if it may not now.
    pub fn blocked_for(&self, username: &str, address: &str) -> Option<Duration> {
        let now = Instant::now();
        let window = self.limits.window;
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut wait = None;
        for (key, limit) in [
            (format!("user:{username}"), self.limits.per_username),
            (format!("addr:{address}"), self.limits.per_address),
        ] {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < window);
                if times.len() >= limit {
                    let oldest = times.iter().min().copied().unwrap_or(now);
                    let left = window.saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
                }
            }
        }
        wait
    }

    /// Records a failed login.
    pub fn failed(&self, username: &str, address: &str) {
        let now = Instant::now();
        let window = self.limits.window;
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
        for key in [format!("user:{username}"), format!("addr:{address}")] {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets the failures of a username after a successful login.
    pub fn succeeded(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&format!("user:{username}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_english_and_french() {
        assert_eq!(lang_from_accept(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(lang_from_accept(Some("de, en;q=0.5, fr;q=0.4")), Lang::En);
        assert_eq!(lang_from_accept(Some("en;q=0.2, fr-CA;q=0.7")), Lang::Fr);
        assert_eq!(lang_from_accept(Some("de")), Lang::En);
        assert_eq!(lang_from_accept(None), Lang::En);
        assert_eq!(lang_from_accept(Some("fr;q=0")), Lang::En);
    }

    #[test]
    fn throttling_counts_failures_per_username_and_address() {
        let t = Throttle::new(ThrottleLimits {
            per_username: 2,
            per_address: 3,
            window: Duration::from_secs(60),
        });
        t.failed("a", "1.2.3.4");
        assert!(t.blocked_for("a", "1.2.3.4").is_none());
        t.failed("a", "1.2.3.4");
        assert!(t.blocked_for("a", "5.6.7.8").is_some());
        assert!(t.blocked_for("b", "1.2.3.4").is_none());
        t.failed("c", "1.2.3.4");
        assert!(t.blocked_for("b", "1.2.3.4").is_some());
        t.succeeded("a");
        assert!(t.blocked_for("a", "9.9.9.9").is_none());
    }

    #[test]
    fn a_post_must_come_from_the_host_it_was_sent_to() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert!(same_origin(
            &h(&[("host", "a.example"), ("origin", "https://a.example")]),
            false
        ));
        assert!(!same_origin(
            &h(&[("host", "a.example"), ("origin", "https://b.example")]),
            false
        ));
        assert!(!same_origin(
            &h(&[("host", "a.example"), ("origin", "null")]),
            false
        ));
        assert!(!same_origin(
            &h(&[("host", "a.example"), ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(same_origin(&h(&[("host", "a.example")]), false));
        assert!(same_origin(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("x-forwarded-host", "a.example"),
                ("origin", "https://a.example")
            ]),
            true
        ));
    }
}
