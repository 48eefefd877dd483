//! What every page shares: the layout fields and rendering a template into a response.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::i18n::Tr;
use super::security::Visit;
use crate::i18n::Lang;

/// The fields of the common layout (`templates/base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    /// The translations.
    pub t: Tr,
    /// The path prefix, `""` or `/prefix`.
    pub base: String,
    /// The session's CSRF token, for the forms.
    pub csrf: String,
    /// The logged-in username, if any.
    pub user: Option<String>,
    /// Whether the navigation of an administrator is shown.
    pub admin: bool,
    /// Whether the login is the visitor's Moodle session: logging out happens in Moodle.
    pub via_moodle: bool,
}

impl Layout {
    /// The layout of a visit.
    pub fn of(visit: &Visit) -> Layout {
        let login = visit.session.login.as_ref();
        Layout {
            t: visit.tr(),
            base: visit.base.clone(),
            csrf: visit.session.csrf.clone(),
            user: login.map(|l| l.username.clone()),
            admin: login.is_some_and(|l| l.admin),
            via_moodle: login.is_some_and(|l| l.via_moodle),
        }
    }
}

/// Renders a page with a status; a template that fails to render is a 500 with a plain text.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            eprintln!("attestoodle-backup serve: cannot render a page: {error}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: a page could not be rendered; see the server's log",
            )
                .into_response()
        }
    }
}

/// The library's messages write names between backticks, as a terminal shows them; a page
/// puts them between quotation marks (“name”, « nom »).
pub fn quoted(text: &str, lang: Lang) -> String {
    let open = lang.pick("“", "« ");
    let close = lang.pick("”", " »");
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '`' {
            out.push_str(if inside { close } else { open });
            inside = !inside;
        } else {
            out.push(c);
        }
    }
    out
}
