//! Logging in with a Moodle account, logging out, and the page for accounts that are not
//! site administrators.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::WebError;
use super::page::{render, Layout};
use super::security::{CheckedForm, Visit, WithCsrf};
use super::session::{self, Login};
use super::{password, AppState};

/// A bcrypt hash of a random password, verified when the username is unknown so that the
/// answer takes as long as for a known one.
const DUMMY_HASH: &str = "$2y$10$ga6ALLHa9myLFki08jevpOcRSN5wT1M0atupW6Hj6ZVEf/WxhfFaC";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    message: Option<String>,
    username: String,
    /// Moodle's login page, returning here (`serve --moodle-session` with a known wwwroot).
    moodle_login: Option<String>,
    /// Why the Moodle login cannot be used here: its sessions live in another store.
    moodle_elsewhere: Option<String>,
}

#[derive(Template)]
#[template(path = "not_allowed.html")]
struct NotAllowedPage {
    l: Layout,
    username: String,
}

/// The login form; a logged-in visitor goes to the trainings.
pub async fn form(State(state): State<AppState>, visit: Visit, headers: HeaderMap) -> Response {
    if visit.session.login.is_some() {
        return Redirect::to(&format!("{}/", visit.base)).into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            l: Layout::of(&visit),
            message: None,
            username: String::new(),
            moodle_login: moodle_login_url(&state, &visit, &headers),
            moodle_elsewhere: state
                .config()
                .moodle_session
                .as_ref()
                .and_then(|c| c.elsewhere)
                .map(|store| {
                    visit
                        .tr()
                        .fmt("login.moodle_elsewhere", &[("store", store)])
                }),
        },
    )
}

/// Moodle's login page with `wantsurl` set to this tool's home page, so that Moodle sends the
/// administrator back here once logged in (CAS, Shibboleth and every other Moodle login).
fn moodle_login_url(state: &AppState, visit: &Visit, headers: &HeaderMap) -> Option<String> {
    let config = state.config().moodle_session.as_ref()?;
    if config.elsewhere.is_some() {
        return None;
    }
    let wwwroot = config.wwwroot.as_ref()?;
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = state
        .config()
        .behind_proxy
        .then(|| text("x-forwarded-host"))
        .flatten()
        .or_else(|| text("host"))?;
    let scheme = if visit.secure { "https" } else { "http" };
    let home = format!("{scheme}://{}{}/", host.trim(), visit.base);
    Some(format!(
        "{}/login/index.php?wantsurl={}",
        wwwroot.trim_end_matches('/'),
        query_encode(&home)
    ))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub(super) fn query_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the login form sends. Its `Debug` hides the password.
#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &"***")
            .finish_non_exhaustive()
    }
}

impl WithCsrf for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Checks a login: throttling first, then the account (local, not deleted, not suspended, a
/// usable hash), the password, and whether it is a site administrator.
pub async fn submit(
    State(state): State<AppState>,
    visit: Visit,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> Result<Response, WebError> {
    // Moodle stores usernames trimmed and in lower case.
    let username = form.username.trim().to_lowercase();
    let again = |status: StatusCode, message: String| {
        render(
            status,
            &LoginPage {
                l: Layout::of(&visit),
                message: Some(message),
                username: form.username.clone(),
                moodle_login: None,
                moodle_elsewhere: None,
            },
        )
    };
    if let Some(wait) = state.throttle().blocked_for(&username, &visit.client) {
        let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            visit.tr().fmt("login.throttled", &[("minutes", &minutes)]),
        ));
    }
    let user = state
        .site()
        .user_for_login(&username)
        .await
        .map_err(|e| WebError::internal(&visit, e))?;
    let usable = user
        .as_ref()
        .filter(|u| !u.deleted && !u.suspended && u.confirmed && u.auth != "nologin");
    let stored = usable.map_or(DUMMY_HASH.to_owned(), |u| u.password.expose().to_owned());
    let settings = state.config().passwords.clone();
    let typed = form.password.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&typed, &stored, &settings))
        .await
        .unwrap_or(false);
    let Some(user) = usable.filter(|_| matches) else {
        state.throttle().failed(&username, &visit.client);
        return Ok(again(
            StatusCode::UNAUTHORIZED,
            visit.tr().get("login.failed").to_owned(),
        ));
    };
    state.throttle().succeeded(&username);
    let admins = state
        .site()
        .site_admin_ids()
        .await
        .map_err(|e| WebError::internal(&visit, e))?;
    let login = Login {
        user_id: user.id,
        username: user.username.clone(),
        admin: admins.contains(&user.id),
        via_moodle: false,
    };
    let new_id = state.sessions().log_in(&visit.session_id, login);
    let mut response = Redirect::to(&format!("{}/", visit.base)).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::set_cookie(
        &new_id,
        &visit.cookie_path(),
        visit.secure,
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// What the logout button sends.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

impl WithCsrf for LogoutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Ends the session and goes back to the login form.
pub async fn logout(
    State(state): State<AppState>,
    visit: Visit,
    CheckedForm(_): CheckedForm<LogoutForm>,
) -> Response {
    state.sessions().remove(&visit.session_id);
    let mut response = Redirect::to(&format!("{}/login", visit.base)).into_response();
    if let Ok(cookie) =
        HeaderValue::from_str(&session::clear_cookie(&visit.cookie_path(), visit.secure))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The 403 page for a logged-in account that is not a site administrator.
pub fn not_allowed(visit: &Visit, login: &Login) -> Response {
    render(
        StatusCode::FORBIDDEN,
        &NotAllowedPage {
            l: Layout::of(visit),
            username: login.username.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_never_prints_the_password() {
        let form = LoginForm {
            csrf: "t".into(),
            username: "admin".into(),
            password: "Sécret-123".into(),
        };
        let printed = format!("{form:?}");
        assert!(
            printed.contains("admin") && !printed.contains("Sécret-123"),
            "{printed}"
        );
    }
}
