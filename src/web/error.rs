//! The one error type of the web pages, which knows its status and renders its page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{render, Layout};
use super::security::{Operator, Visit};

/// What went wrong, in terms the operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatWentWrong {
    /// No such page or training.
    NotFound,
    /// A form without this session's CSRF token (an old page, or a forged request).
    BadToken,
    /// A POST sent from another site.
    CrossOrigin,
    /// A request body over the upload limit.
    TooLarge,
    /// A form that cannot be read.
    BadForm,
    /// A backup cannot be signed: this site has no readable signing key.
    NoSigningKey,
    /// The training cannot be saved as it is (for example its category was deleted).
    CannotSave,
    /// The database or the file system failed; the details are in the server's log.
    Internal,
}

impl WhatWentWrong {
    fn status(&self) -> StatusCode {
        match self {
            WhatWentWrong::NotFound => StatusCode::NOT_FOUND,
            WhatWentWrong::BadToken | WhatWentWrong::CrossOrigin => StatusCode::FORBIDDEN,
            WhatWentWrong::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WhatWentWrong::BadForm => StatusCode::BAD_REQUEST,
            WhatWentWrong::NoSigningKey | WhatWentWrong::CannotSave => StatusCode::CONFLICT,
            WhatWentWrong::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            WhatWentWrong::NotFound => ("error.not_found.title", "error.not_found.text"),
            WhatWentWrong::BadToken => ("error.token.title", "error.token.text"),
            WhatWentWrong::CrossOrigin => ("error.origin.title", "error.origin.text"),
            WhatWentWrong::TooLarge => ("error.too_large.title", "error.too_large.text"),
            WhatWentWrong::BadForm => ("error.bad_form.title", "error.bad_form.text"),
            WhatWentWrong::NoSigningKey => ("error.no_key.title", "error.no_key.text"),
            WhatWentWrong::CannotSave => ("error.cannot_save.title", "error.cannot_save.text"),
            WhatWentWrong::Internal => ("error.internal.title", "error.internal.text"),
        }
    }
}

/// An error page: what went wrong and the layout of the visit it happened in.
#[derive(Debug)]
pub struct WebError {
    what: WhatWentWrong,
    layout: Option<Layout>,
}

impl WebError {
    /// The error `what` on a visit.
    pub fn new(what: WhatWentWrong, visit: &Visit) -> WebError {
        WebError {
            what,
            layout: Some(Layout::of(visit)),
        }
    }

    /// A request that did not go through the session guard (a bug of the router).
    pub fn without_session() -> WebError {
        WebError {
            what: WhatWentWrong::Internal,
            layout: None,
        }
    }

    /// Logs an internal error (never a password: errors of the database layer hold none) and
    /// gives the generic page.
    pub fn internal(visit: &Visit, error: impl std::fmt::Display) -> WebError {
        eprintln!("attestoodle-backup serve: {error:#}");
        WebError::new(WhatWentWrong::Internal, visit)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    title: &'static str,
    text: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let Some(l) = self.layout else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: the request has no session; see the server's log",
            )
                .into_response();
        };
        let (title, text) = self.what.keys();
        let page = ErrorPage {
            title: l.t.get(title),
            text: l.t.get(text),
            l,
        };
        render(self.what.status(), &page)
    }
}

/// The answer for a path that is no page: login first, then "not found".
pub async fn not_found(operator: Operator) -> WebError {
    operator.visit.error(WhatWentWrong::NotFound)
}
