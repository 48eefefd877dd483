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
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

const BOUNDARY: &str = "XxBoundaryxX";

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

/// A session: its cookie (`name=value`) and the CSRF token of its pages.
struct Browser {
    cookie: String,
    csrf: String,
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
            let admin = Browser::log_in(&app).await;
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

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    match app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The value of the hidden field `name` of a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let (_, rest) = html.split_once(&format!("name=\"{name}\" value=\""))?;
    rest.split('"').next().map(str::to_owned)
}

fn csrf_in(html: &str) -> String {
    hidden(html, "csrf").expect("a page with a CSRF field")
}

fn cookie_of(response: &Response<Body>) -> String {
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    set_cookie.split(';').next().unwrap_or("").to_owned()
}

impl Browser {
    async fn anonymous(app: &Router) -> Browser {
        let response = send(app, get("/login", None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = cookie_of(&response);
        let csrf = csrf_in(&text(response).await);
        Browser { cookie, csrf }
    }

    async fn log_in(app: &Router) -> Browser {
        let anonymous = Browser::anonymous(app).await;
        let body = format!(
            "csrf={}&username={}&password={}",
            anonymous.csrf,
            demo::DEMO_ADMIN_USERNAME,
            demo::DEMO_ADMIN_PASSWORD.replace('!', "%21")
        );
        let response = send(
            app,
            anonymous.post(
                "/login",
                "application/x-www-form-urlencoded",
                body.into_bytes(),
            ),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "the admin's login"
        );
        let cookie = cookie_of(&response);
        let page = send(app, get("/", Some(&cookie))).await;
        let csrf = csrf_in(&text(page).await);
        Browser { cookie, csrf }
    }

    fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
        Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("a request")
    }

    /// A URL-encoded form: the token, then the fuzzed fields.
    fn form(&self, path: &str, fields: &[u8]) -> Request<Body> {
        let mut body = format!("csrf={}&", self.csrf).into_bytes();
        body.extend_from_slice(fields);
        self.post(path, "application/x-www-form-urlencoded", body)
    }

    /// A multipart form: the token's part, then `rest` as the browser would continue.
    fn multipart(&self, path: &str, rest: &[u8]) -> Request<Body> {
        let mut body = part("csrf", None, self.csrf.as_bytes());
        body.extend_from_slice(rest);
        self.post(
            path,
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        )
    }
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, "localhost");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("a request")
}

/// One part of a multipart body.
fn part(name: &str, file_name: Option<&str>, content: &[u8]) -> Vec<u8> {
    let mut out =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes();
    if let Some(file_name) = file_name {
        out.extend_from_slice(
            format!("; filename=\"{file_name}\"\r\nContent-Type: application/json").as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(content);
    out.extend_from_slice(b"\r\n");
    out
}

/// The upload form from a structured input: the file, then the fields, split at `\n--\n`.
fn restore_upload(input: &[u8]) -> Vec<u8> {
    let mut pieces = split(input, b"\n--\n");
    let file = pieces.next().unwrap_or_default();
    let mut body = part("file", Some("backup.json"), file);
    for (name, value) in RESTORE_FIELDS.iter().zip(pieces) {
        body.extend_from_slice(&part(name, None, value));
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
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
        0 => world.anonymous.form("/login", rest),
        1 => {
            let pending = world.pending.lock().map(|p| p.clone()).unwrap_or_default();
            let mut fields = format!("pending={pending}&").into_bytes();
            fields.extend_from_slice(rest);
            world.admin.form("/restore/recheck", &fields)
        }
        2 => world.admin.multipart("/restore", rest),
        _ => world.admin.multipart("/restore", &restore_upload(rest)),
    };
    let (status, body) = world.runtime.block_on(async {
        let response = send(&world.app, request).await;
        let status = response.status();
        (status, text(response).await)
    });
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
