//! HTTP helpers for tests that drive `web::app` with `oneshot`: a browser with its session
//! cookie and CSRF token, form and multipart bodies.

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use tower::ServiceExt as _;

pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("a response")
}

pub async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

pub fn location(response: &Response<Body>) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub fn set_cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The `name=value` part of a `Set-Cookie`.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or("").to_owned()
}

pub fn csrf_in(html: &str) -> String {
    let (_, rest) = html
        .split_once("name=\"csrf\" value=\"")
        .expect("a page with a CSRF field");
    rest.split('"').next().unwrap_or("").to_owned()
}

pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub const BOUNDARY: &str = "XxBoundaryxX";

pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A browser: its session cookie and the CSRF token of the last page it read.
pub struct Browser {
    /// The `name=value` of the session cookie.
    pub cookie: String,
    /// The CSRF token of the last page read.
    pub csrf: String,
}

impl Browser {
    /// Opens the login page: gets a session and the form's token.
    pub async fn anonymous(app: &Router) -> Browser {
        let response = send(app, get("/login", None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = cookie_pair(&set_cookie(&response).expect("a session cookie"));
        let csrf = csrf_in(&text(response).await);
        Browser { cookie, csrf }
    }

    pub async fn log_in(app: &Router, username: &str, password: &str) -> Browser {
        let anonymous = Browser::anonymous(app).await;
        let response = send(
            app,
            anonymous.post_form(
                "/login",
                &[
                    ("csrf", &anonymous.csrf),
                    ("username", username),
                    ("password", password),
                ],
            ),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login of {username}"
        );
        let cookie = cookie_pair(&set_cookie(&response).expect("a new session cookie"));
        assert_ne!(
            cookie, anonymous.cookie,
            "logging in changes the session id"
        );
        let mut browser = Browser {
            cookie,
            csrf: String::new(),
        };
        // Every page carries the token in its logout form, the "not allowed" page included.
        let page = send(app, browser.get("/")).await;
        browser.csrf = csrf_in(&text(page).await);
        browser
    }

    pub fn get(&self, path: &str) -> Request<Body> {
        get(path, Some(&self.cookie))
    }

    pub fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
        Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_encode(pairs)))
            .expect("a request")
    }

    pub fn post_multipart(
        &self,
        path: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> Request<Body> {
        Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, &self.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart(parts)))
            .expect("a request")
    }
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, "localhost");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("a request")
}

/// Uploads `bytes` to `/restore` with the form's other fields; gives the status and page.
pub async fn upload_restore(
    app: &Router,
    admin: &Browser,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, admin.csrf.as_bytes()),
        ("file", Some("backup.json"), bytes),
    ];
    for (name, value) in fields {
        parts.push((name, None, value.as_bytes()));
    }
    let response = send(app, admin.post_multipart("/restore", &parts)).await;
    (response.status(), text(response).await)
}
