//! Fuzz target: the login and restore forms' parsers, through the whole router (`web::app`),
//! as a browser sends them: URL-encoded bodies (`/login`, *Change options* at
//! `/restore/recheck`) and multipart bodies (the upload at `/restore`), with a live session
//! cookie and its CSRF token, so that a body reaches the handler and the library behind it.
//!
//! The application runs once per process on a demo site (SQLite) in a temporary directory, on
//! a current-thread tokio runtime, with one anonymous and one logged-in administrator session.
//!
//! Input: the first byte chooses the form; the rest is the body (after the CSRF field), or for
//! the structured upload the file and the form's fields separated by `\n--\n`.
//! Property: no panic and no server error (5xx): whatever the body, the answer is a page.
#![no_main]

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{Site, Target};
use attestoodle_backup::web::{self, AppState, WebConfig};
use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use libfuzzer_sys::fuzz_target;

/// The tests' browser: a session cookie and its CSRF token, form and multipart bodies.
#[allow(dead_code)]
#[path = "../../tests/common/http.rs"]
mod http;

use http::{Browser, BOUNDARY};

/// The restore form's fields after the file, in the order the structured input gives them.
const RESTORE_FIELDS: &[&str] = &[
    "mode",
    "name",
    "suffix",
    "courses",
    "shift",
    "start",
    "learners",
    "category",
    "template",
    "template_copy_name",
    "course_map",
];

struct World {
    runtime: tokio::runtime::Runtime,
    app: Router,
    anonymous: Browser,
    admin: Browser,
    /// The id of the upload kept in the administrator's session, from the last precheck page:
    /// *Change options* names it, so that its form reaches the precheck.
    pending: Mutex<String>,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (app, anonymous, admin) = runtime.block_on(async {
            let database = dir.path().join("site.sqlite");
            demo::create_or_open(&database)
                .await
                .expect("the demo site");
            let site = Site::open(&Target::sqlite_file(&database, false))
                .await
                .expect("open the demo site");
            let mut config = WebConfig::new(
                dir.path().join("keys/signing-key.pem"),
                dir.path().join("keys/trusted"),
            );
            // The sessions outlive any run.
            config.idle_timeout = Duration::from_secs(7 * 24 * 3600);
            let app = web::app(AppState::new(site, config));
            let anonymous = Browser::anonymous(&app).await;
            let admin =
                Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
            (app, anonymous, admin)
        });
        World {
            runtime,
            app,
            anonymous,
            admin,
            pending: Mutex::new(String::new()),
            _dir: dir,
        }
    })
}

/// A POST of `body` as `browser` sends it.
fn post(browser: &Browser, path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &browser.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a request")
}

/// A URL-encoded form: the token, then the fuzzed fields.
fn form(browser: &Browser, path: &str, fields: &[u8]) -> Request<Body> {
    let mut body = format!("csrf={}&", browser.csrf).into_bytes();
    body.extend_from_slice(fields);
    post(browser, path, "application/x-www-form-urlencoded", body)
}

/// A multipart form: the token's part, then `rest` as the browser would go on.
fn multipart(browser: &Browser, path: &str, rest: &[u8]) -> Request<Body> {
    let mut body = http::multipart(&[("csrf", None, browser.csrf.as_bytes())]);
    body.truncate(body.len() - format!("--{BOUNDARY}--\r\n").len());
    body.extend_from_slice(rest);
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    post(browser, path, &content_type, body)
}

/// The upload form from a structured input: the file, then the fields, split at `\n--\n`.
fn restore_upload(browser: &Browser, input: &[u8]) -> Request<Body> {
    let mut pieces = split(input, b"\n--\n");
    let file = pieces.next().unwrap_or_default();
    let mut parts = vec![
        ("csrf", None, browser.csrf.as_bytes()),
        ("file", Some("backup.json"), file),
    ];
    parts.extend(
        RESTORE_FIELDS
            .iter()
            .zip(pieces)
            .map(|(name, value)| (*name, None, value)),
    );
    browser.post_multipart("/restore", &parts)
}

/// The value of the hidden field `name` of a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let (_, rest) = html.split_once(&format!("name=\"{name}\" value=\""))?;
    rest.split('"').next().map(str::to_owned)
}

fn split<'a>(input: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(separator.len())
            .position(|window| window == separator)
        {
            Some(at) => {
                rest = Some(&current[at + separator.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&choice, rest)) = input.split_first() else {
        return;
    };
    let world = world();
    let request = match choice % 4 {
        0 => form(&world.anonymous, "/login", rest),
        1 => {
            let pending = world.pending.lock().map(|p| p.clone()).unwrap_or_default();
            let mut fields = format!("pending={pending}&").into_bytes();
            fields.extend_from_slice(rest);
            form(&world.admin, "/restore/recheck", &fields)
        }
        2 => multipart(&world.admin, "/restore", rest),
        _ => restore_upload(&world.admin, rest),
    };
    let (status, body) = world.runtime.block_on(async {
        let response = http::send(&world.app, request).await;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        (status, String::from_utf8_lossy(&body).into_owned())
    });
    assert!(
        !status.is_server_error(),
        "a form's body gave {status}:\n{body}"
    );
    if std::env::var_os("ATTESTOODLE_FUZZ_SHOW").is_some() {
        // To see where the inputs go when the target is run on files (README "Fuzzing").
        eprintln!("form {} answered {status}", choice % 4);
    }
    if let Some(pending) = hidden(&body, "pending") {
        if let Ok(mut kept) = world.pending.lock() {
            *kept = pending;
        }
    }
    assert!(
        !status.is_server_error(),
        "a form's body gave {status}:\n{body}"
    );
});
