//! The web interface through HTTP requests on `web::app`, without a socket, over a demo SQLite
//! site: who may see what, CSRF and origin checks, upload limits, escaping, throttling,
//! cookies, headers and languages.

mod common;

use common::http::{
    cookie_pair, get, location, multipart, send, set_cookie, text, upload_restore, Browser,
    BOUNDARY,
};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::{fixture, Param, Site, Target};
use attestoodle_backup::web::{self, AppState, ThrottleLimits, WebConfig};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;

/// `password_hash('Learner-Pass-1', PASSWORD_BCRYPT, ['cost' => 4])`, made by PHP 8.2.
const LEARNER_HASH: &str = "$2y$04$iBXC71WkaPdBZ1N7mVIY3eRKcncVcBeXqfzNS5WbLUNtDRN23EzvO";
const LEARNER: &str = "camille.martin";
const LEARNER_PASSWORD: &str = "Learner-Pass-1";
const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const LIMIT: usize = 64 * 1024;

/// A demo site in a temporary directory, with a learner who has a password and a training
/// named like a script.
struct Fixture {
    dir: tempfile::TempDir,
    script_training: i64,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = dir.path().join("site.sqlite");
        demo::create_or_open(&database)
            .await
            .expect("the demo site");
        let site = Site::open(&Target::sqlite_file(&database, false))
            .await
            .expect("open the demo site");
        let learner = site
            .user_for_login(LEARNER)
            .await
            .expect("read the learner")
            .expect("the learner exists");
        let mut w = fixture::Writer::begin(&site).await.expect("write");
        w.update(
            "user",
            learner.id,
            "password",
            Param::Text(LEARNER_HASH.into()),
        )
        .await
        .expect("set the learner's password");
        let script_training = w
            .insert(
                "tool_attestoodle_training",
                &[
                    ("name", SCRIPT_NAME.into()),
                    ("categoryid", 1.into()),
                    ("startdate", 0.into()),
                ],
            )
            .await
            .expect("insert a training");
        w.commit().await.expect("commit");
        site.close().await;
        Fixture {
            dir,
            script_training,
        }
    }

    fn config(&self) -> WebConfig {
        let mut config = WebConfig::new(
            self.dir.path().join("keys/signing-key.pem"),
            self.dir.path().join("keys/trusted"),
        );
        config.max_upload = LIMIT;
        config
    }

    async fn app_with(&self, config: WebConfig) -> Router {
        let site = Site::open(&Target::sqlite_file(
            &self.dir.path().join("site.sqlite"),
            false,
        ))
        .await
        .expect("open the demo site");
        web::app(AppState::new(site, config))
    }

    async fn app(&self) -> Router {
        self.app_with(self.config()).await
    }
}

/// Every page but the login page and the stylesheet, with its method.
fn guarded_routes(training: i64) -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/".to_owned()),
        ("GET", format!("/trainings/{training}")),
        ("GET", format!("/trainings/{training}/backup.json")),
        ("GET", format!("/trainings/{training}/legacy.json")),
        ("GET", "/trainings/999999".to_owned()),
        ("POST", format!("/trainings/{training}/compare")),
        ("GET", format!("/trainings/{training}/repair")),
        ("POST", format!("/trainings/{training}/repair")),
        ("GET", "/keys".to_owned()),
        ("GET", "/keys/site.pem".to_owned()),
        ("POST", "/keys".to_owned()),
        ("GET", "/verify".to_owned()),
        ("POST", "/verify".to_owned()),
        ("GET", "/restore".to_owned()),
        ("POST", "/restore".to_owned()),
        ("POST", "/restore/apply".to_owned()),
        ("POST", "/restore/recheck".to_owned()),
        ("POST", format!("/trainings/{training}/clone")),
        ("GET", "/restore/previous.json".to_owned()),
        ("GET", "/restore/precheck.json".to_owned()),
        ("GET", "/history".to_owned()),
        ("GET", "/no/such/page".to_owned()),
    ]
}

fn request_as(browser: Option<&Browser>, method: &str, path: &str) -> Request<Body> {
    match (browser, method) {
        (Some(b), "POST") => b.post_multipart(path, &[("csrf", None, b.csrf.as_bytes())]),
        (Some(b), _) => b.get(path),
        (None, "POST") => Request::post(path)
            .header(header::HOST, "localhost")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart(&[])))
            .expect("a request"),
        (None, _) => get(path, None),
    }
}

// Issue "Web interface": every route refuses anonymous users (redirect to login).
#[tokio::test]
async fn every_page_sends_anonymous_visitors_to_the_login_page() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    for (method, path) in guarded_routes(fixture.script_training) {
        let response = send(&app, request_as(None, method, &path)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(location(&response), "/login", "{method} {path}");
    }
}

// Issue "Web interface": logged-in non-admins get 403.
#[tokio::test]
async fn every_page_refuses_accounts_that_are_not_site_administrators() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let learner = Browser::log_in(&app, LEARNER, LEARNER_PASSWORD).await;
    for (method, path) in guarded_routes(fixture.script_training) {
        let response = send(&app, request_as(Some(&learner), method, &path)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let html = text(response).await;
        assert!(html.contains("Not allowed"), "{method} {path}: {html}");
        assert!(html.contains(LEARNER), "{method} {path} names the account");
    }
}

#[tokio::test]
async fn the_demo_admin_logs_in_and_sees_the_trainings_by_category() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let response = send(&app, admin.get("/")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(html.contains("Licence Chimie S1 2026"), "{html}");
    assert!(html.contains("4 of 4 trainings"), "{html}");
    let response = send(&app, admin.get("/?q=chimie")).await;
    let html = text(response).await;
    assert!(html.contains("Licence Chimie S1 2026"));
    assert!(!html.contains(SCRIPT_NAME) && !html.contains("&#60;script"));
    for path in [
        "/keys",
        "/verify",
        &format!("/trainings/{}", fixture.script_training),
    ] {
        let response = send(&app, admin.get(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // The username is lower-cased as Moodle stores it.
    Browser::log_in(&app, " ADMIN ", demo::DEMO_ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn wrong_passwords_and_unusable_accounts_cannot_log_in() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    for (username, password) in [
        ("admin", "demo-admin-2026!"),
        ("admin", ""),
        ("nobody", "x"),
        // Suspended, deleted and CAS accounts of the demo.
        ("arthur.michel", ""),
        ("lucas.garcia", ""),
        ("emma.david", "not cached"),
    ] {
        let browser = Browser::anonymous(&app).await;
        let response = send(
            &app,
            browser.post_form(
                "/login",
                &[
                    ("csrf", &browser.csrf),
                    ("username", username),
                    ("password", password),
                ],
            ),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{username}");
        assert!(set_cookie(&response).is_none());
        let html = text(response).await;
        assert!(html.contains("Wrong username or password"), "{html}");
        assert!(!html.contains(password) || password.is_empty() || password == "x");
    }
}

// Issue "Web interface": every POST without a valid CSRF token is refused.
#[tokio::test]
async fn every_post_without_the_sessions_token_is_refused() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let wrong = "0".repeat(64);
    for token in [None, Some(wrong.as_str()), Some("")] {
        let form = |extra: &[(&'static str, &'static str)]| {
            let mut pairs: Vec<(&str, &str)> = extra.to_vec();
            if let Some(token) = token {
                pairs.push(("csrf", token));
            }
            pairs
        };
        let response = send(&app, admin.post_form("/logout", &form(&[]))).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "logout, {token:?}"
        );
        for path in ["/keys", "/verify", "/restore"] {
            let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("pem", None, b"x")];
            if let Some(token) = token {
                parts.push(("csrf", None, token.as_bytes()));
            }
            let response = send(&app, admin.post_multipart(path, &parts)).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path}, {token:?}"
            );
            assert!(text(response).await.contains("Form expired"));
        }
        let response = send(
            &app,
            admin.post_form("/restore/apply", &form(&[("accept.unsigned", "1")])),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "/restore/apply, {token:?}"
        );
        let anonymous = Browser::anonymous(&app).await;
        let response = send(
            &app,
            anonymous.post_form(
                "/login",
                &form(&[
                    ("username", "admin"),
                    ("password", demo::DEMO_ADMIN_PASSWORD),
                ]),
            ),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "login, {token:?}");
    }
    // The admin's session is still there: a refused logout did nothing.
    assert_eq!(send(&app, admin.get("/")).await.status(), StatusCode::OK);
    // The token of the anonymous session is worth nothing after the login.
    let anonymous = Browser::anonymous(&app).await;
    let old = anonymous.csrf.clone();
    let response = send(&app, admin.post_form("/logout", &[("csrf", &old)])).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = send(&app, admin.post_form("/logout", &[("csrf", &admin.csrf)])).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&response).is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(
        send(&app, admin.get("/")).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_even_with_the_token() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let anonymous = Browser::anonymous(&app).await;
    let mut request = anonymous.post_form(
        "/login",
        &[
            ("csrf", &anonymous.csrf),
            ("username", "admin"),
            ("password", demo::DEMO_ADMIN_PASSWORD),
        ],
    );
    request.headers_mut().insert(
        header::ORIGIN,
        "https://evil.example".parse().expect("a header"),
    );
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(text(response).await.contains("another site"));
    let mut request = anonymous.post_form(
        "/login",
        &[
            ("csrf", &anonymous.csrf),
            ("username", "admin"),
            ("password", demo::DEMO_ADMIN_PASSWORD),
        ],
    );
    request.headers_mut().insert(
        header::ORIGIN,
        "http://localhost".parse().expect("a header"),
    );
    assert_eq!(send(&app, request).await.status(), StatusCode::SEE_OTHER);
}

/// A body of `chunks` chunks of 8 KiB that counts how many bytes the server pulled.
fn counted_body(prefix: Vec<u8>, chunks: usize, pulled: Arc<AtomicUsize>) -> Body {
    const CHUNK: usize = 8 * 1024;
    let head = std::iter::once(prefix);
    let tail = std::iter::repeat_n(vec![b'a'; CHUNK], chunks);
    let stream = futures_util::stream::iter(head.chain(tail).map(move |chunk| {
        pulled.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    }));
    Body::from_stream(stream)
}

// Issue "Web interface": an oversized upload is refused without being read whole.
#[tokio::test]
async fn an_oversized_upload_is_refused_without_being_read_whole() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let prefix = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.json\"\r\n\r\n",
        admin.csrf
    )
    .into_bytes();
    let total_chunks = 100_000; // 800 MiB if it were all read
                                // With a Content-Length over the limit: refused before any byte is read.
    let pulled = Arc::new(AtomicUsize::new(0));
    let request = Request::post("/verify")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &admin.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            header::CONTENT_LENGTH,
            (total_chunks * 8 * 1024).to_string(),
        )
        .body(counted_body(prefix.clone(), total_chunks, pulled.clone()))
        .expect("a request");
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(pulled.load(Ordering::SeqCst), 0);
    // Without a length (chunked): refused once the limit is passed.
    let pulled = Arc::new(AtomicUsize::new(0));
    let request = Request::post("/verify")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &admin.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(counted_body(prefix, total_chunks, pulled.clone()))
        .expect("a request");
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let read = pulled.load(Ordering::SeqCst);
    assert!(
        read <= LIMIT + 4 * 8 * 1024,
        "read {read} bytes for a limit of {LIMIT}"
    );
}

// Issue "Web interface": a training named `<script>alert(1)</script>` is shown escaped.
#[tokio::test]
async fn a_training_named_like_a_script_is_shown_escaped() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    for path in [
        "/".to_owned(),
        format!("/trainings/{}", fixture.script_training),
        "/?q=%3Cscript%3E".to_owned(),
    ] {
        let html = text(send(&app, admin.get(&path)).await).await;
        // askama escapes `<` and `>` as numeric references.
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: {html}"
        );
        assert!(!html.contains("<script"), "{path}");
    }
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_per_username_and_address() {
    let fixture = Fixture::new().await;
    let mut config = fixture.config();
    config.throttle = ThrottleLimits {
        per_username: 3,
        per_address: 5,
        window: std::time::Duration::from_secs(600),
    };
    let app = fixture.app_with(config).await;
    let attempt = |username: &'static str, password: &'static str| {
        let app = app.clone();
        async move {
            let browser = Browser::anonymous(&app).await;
            send(
                &app,
                browser.post_form(
                    "/login",
                    &[
                        ("csrf", &browser.csrf),
                        ("username", username),
                        ("password", password),
                    ],
                ),
            )
            .await
            .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("admin", "guess").await, StatusCode::UNAUTHORIZED);
    }
    // The right password no longer helps for this username.
    assert_eq!(
        attempt("admin", demo::DEMO_ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another username from the same address: two more failures reach the address limit.
    assert_eq!(attempt("nobody", "x").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("nobody2", "x").await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        attempt(LEARNER, LEARNER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn session_cookies_are_http_only_strict_and_secure_over_https() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let cookie = set_cookie(&send(&app, get("/login", None)).await).expect("a cookie");
    assert!(cookie.starts_with("attestoodle_session="), "{cookie}");
    let id = cookie_pair(&cookie)["attestoodle_session=".len()..].to_owned();
    assert_eq!(id.len(), 64, "256 bits in hex");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let mut config = fixture.config();
    config.https = true;
    config.base_path = "/attestoodle".to_owned();
    let app = fixture.app_with(config).await;
    let cookie = set_cookie(&send(&app, get("/attestoodle/login", None)).await).expect("a cookie");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/attestoodle;"),
        "{cookie}"
    );
    // Behind a proxy, X-Forwarded-Proto says whether the browser used HTTPS.
    let mut config = fixture.config();
    config.behind_proxy = true;
    let app = fixture.app_with(config).await;
    let request = Request::get("/login")
        .header(header::HOST, "localhost")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .expect("a request");
    let cookie = set_cookie(&send(&app, request).await).expect("a cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn pages_live_under_the_base_path() {
    let fixture = Fixture::new().await;
    let mut config = fixture.config();
    config.base_path = "/attestoodle".to_owned();
    let app = fixture.app_with(config).await;
    let response = send(&app, get("/attestoodle/", None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/attestoodle/login");
    let response = send(&app, get("/attestoodle", None)).await;
    assert_eq!(location(&response), "/attestoodle/");
    let html = text(send(&app, get("/attestoodle/login", None)).await).await;
    assert!(html.contains("action=\"/attestoodle/login\""));
    assert!(html.contains("href=\"/attestoodle/static/app.css\""));
    let response = send(&app, get("/attestoodle/static/app.css", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    for path in ["/login", "/", "/static/app.css", "/nothing"] {
        let response = send(&app, get(path, None)).await;
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn the_language_follows_accept_language_and_the_switch() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let request = Request::get("/login")
        .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.5")
        .body(Body::empty())
        .expect("a request");
    let response = send(&app, request).await;
    let cookie = cookie_pair(&set_cookie(&response).expect("a cookie"));
    let html = text(response).await;
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Mot de passe"));
    // The switch is kept in the session, over the browser's preference.
    let html = text(send(&app, get("/login?lang=en", Some(&cookie))).await).await;
    assert!(html.contains("Password"));
    let request = Request::get("/login")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_LANGUAGE, "fr")
        .body(Body::empty())
        .expect("a request");
    let html = text(send(&app, request).await).await;
    assert!(html.contains("<html lang=\"en\">"), "{html}");
}

#[test]
fn both_catalogues_have_every_key() {
    let (en, fr) = web::catalogue_keys();
    let mut en_sorted = en.clone();
    let mut fr_sorted = fr.clone();
    en_sorted.sort_unstable();
    fr_sorted.sort_unstable();
    assert_eq!(en_sorted, fr_sorted);
}

#[tokio::test]
async fn the_training_page_lists_its_milestones_as_a_backup_names_them() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    for shown in [
        "CHIM101",
        "CHIM102",
        "Quiz : atomes et molécules",
        "quiz",
        "300",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    // The orphan milestone of the second demo training is named as a backup would leave it out.
    let html = text(send(&app, admin.get("/trainings/2")).await).await;
    assert!(html.contains("Ancienne vidéo : extincteurs"), "{html}");
    assert!(html.contains("HACCP/2026"), "{html}");
}

// Issue 16: a training of 10,000 learners made its page slow for every visitor; the page lists
// the first 100 by name and says how many there are, and lists them all when asked.
#[tokio::test]
async fn the_training_page_lists_the_first_learners_and_all_on_demand() {
    let fixture = Fixture::new().await;
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    let before = site
        .list_trainings()
        .await
        .expect("list")
        .trainings
        .iter()
        .find(|t| t.id == 1)
        .map(|t| t.learners)
        .expect("training 1");
    let mut w = fixture::Writer::begin(&site).await.expect("write");
    let mut first_fold = 0;
    for i in 0..120 {
        let user = w
            .insert(
                "user",
                &[
                    ("confirmed", 1.into()),
                    ("mnethostid", 1.into()),
                    ("username", format!("fold{i:03}").into()),
                    ("firstname", "Zoé".into()),
                    ("lastname", format!("Zz{i:03}").into()),
                    ("email", format!("fold{i:03}@fold.example").into()),
                ],
            )
            .await
            .expect("a user");
        if i == 0 {
            first_fold = user;
        }
        w.insert(
            "tool_attestoodle_learner",
            &[
                ("trainingid", 1.into()),
                ("userid", user.into()),
                ("categoryid", 1.into()),
                ("selected", 1.into()),
                ("predelete", 0.into()),
            ],
        )
        .await
        .expect("a learner");
    }
    // One more row repeats the first of them: the page counts it as a backup keeps it once.
    w.insert(
        "tool_attestoodle_learner",
        &[
            ("trainingid", 1.into()),
            ("userid", first_fold.into()),
            ("categoryid", 1.into()),
            ("selected", 1.into()),
            ("predelete", 0.into()),
        ],
    )
    .await
    .expect("a repeated learner");
    w.commit().await.expect("commit");
    site.close().await;
    let total = (before + 121).to_string();

    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    let listed = html.matches("@fold.example").count();
    // By name: the demo's learners come first, then the first "Zoé Zz…".
    assert_eq!(
        listed,
        100 - usize::try_from(before).expect("a count"),
        "{html}"
    );
    assert!(html.contains("fold000@fold.example") && !html.contains("fold119@fold.example"));
    assert!(
        html.contains(&format!("The first 100 of {total} learners, by name.")),
        "{html}"
    );
    assert!(
        html.contains(
            "Learner rows repeating a learner already listed, which a backup keeps once: 1."
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!("List all {total} learners")),
        "{html}"
    );
    assert!(
        html.contains("/trainings/1?learners=all#learners"),
        "{html}"
    );

    let html = text(send(&app, admin.get("/trainings/1?learners=all")).await).await;
    // Every row, the repeated one too.
    assert_eq!(html.matches("@fold.example").count(), 121);
    assert!(!html.contains("The first 100"), "{html}");

    let html = text(send(&app, admin.get("/trainings/1?lang=fr")).await).await;
    assert!(
        html.contains(&format!(
            "Les 100 premiers des {total} apprenants, par nom."
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!("Afficher les {total} apprenants")),
        "{html}"
    );
    assert!(
        html.contains(
            "Lignes d&#39;apprenant répétant un apprenant déjà listé, qu&#39;une sauvegarde garde une fois : 1."
        ),
        "{html}"
    );
}

#[tokio::test]
async fn the_training_page_downloads_the_signed_backup_and_the_plugins_file() {
    let fixture = Fixture::new().await;
    let config = fixture.config();
    let app = fixture.app_with(config.clone()).await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    for link in ["/trainings/1/backup.json", "/trainings/1/legacy.json"] {
        assert!(html.contains(link), "{link} in {html}");
    }

    // No key yet: the web never makes one, it says how.
    let response = send(&app, admin.get("/trainings/1/backup.json")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(text(response).await.contains("keys generate"));

    let own = keys::generate();
    keys::write_private_key(&config.key_path, &own).expect("write the site's key");
    let response = send(&app, admin.get("/trainings/1/backup.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"training-licence-chimie-s1-2026-"),
        "{disposition}"
    );
    let body = text(response).await;
    let document =
        attestoodle_backup::document::v2::parse(body.as_bytes()).expect("a format-2 file");
    assert_eq!(document.training.name, "Licence Chimie S1 2026");
    assert_eq!(document.milestones.len(), 9);
    let verification = attestoodle_backup::document::signature::verify(&document);
    assert_eq!(
        verification.integrity,
        attestoodle_backup::document::signature::Integrity::Valid
    );
    assert_eq!(
        verification.key_id,
        Some(keys::key_id(&own.verifying_key()))
    );

    // Eight downloads at once (they may share one read, docs/decisions.md §24): each gets the
    // whole signed file.
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, request) = (app.clone(), admin.get("/trainings/1/backup.json"));
        at_once.spawn(async move {
            let response = send(&app, request).await;
            (response.status(), text(response).await)
        });
    }
    while let Some(answer) = at_once.join_next().await {
        let (status, body) = answer.expect("the download was answered");
        assert_eq!(status, StatusCode::OK, "{body}");
        let document =
            attestoodle_backup::document::v2::parse(body.as_bytes()).expect("a format-2 file");
        assert_eq!(document.milestones.len(), 9);
        assert_eq!(
            attestoodle_backup::document::signature::verify(&document).integrity,
            attestoodle_backup::document::signature::Integrity::Valid
        );
    }

    let response = send(&app, admin.get("/trainings/1/legacy.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(disposition.ends_with("-legacy.json\""), "{disposition}");
    let legacy = attestoodle_backup::document::legacy::parse(text(response).await.as_bytes())
        .expect("a plugin file whose checksum is right");
    assert_eq!(
        legacy.training.name.as_deref(),
        Some("Licence Chimie S1 2026")
    );

    let response = send(&app, admin.get("/trainings/999999/backup.json")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_keys_page_offers_the_sites_key_and_trusts_a_pasted_one() {
    let fixture = Fixture::new().await;
    let config = fixture.config();
    let own = keys::generate();
    keys::write_private_key(&config.key_path, &own).expect("write the site's key");
    let app = fixture.app_with(config.clone()).await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let response = send(&app, admin.get("/keys/site.pem")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(
        text(response).await,
        keys::public_key_pem(&own.verifying_key())
    );

    let other = keys::generate().verifying_key();
    let pem = keys::public_key_pem(&other);
    let response = send(
        &app,
        admin.post_multipart(
            "/keys",
            &[
                ("csrf", None, admin.csrf.as_bytes()),
                ("pem", None, pem.as_bytes()),
                ("file", Some(""), b""),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = keys::key_id(&other);
    assert!(text(response)
        .await
        .contains(&format!("The key {id} is now trusted")));
    assert!(config.trust_dir.join(format!("{id}.pem")).is_file());
    let html = text(send(&app, admin.get("/keys")).await).await;
    assert!(html.contains(&id));

    let response = send(
        &app,
        admin.post_multipart(
            "/keys",
            &[
                ("csrf", None, admin.csrf.as_bytes()),
                (
                    "file",
                    Some("key.pem"),
                    b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                ),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("This key was not trusted"));
}

/// Issue 10, item 14: trusting this site's own key on the Keys page says so and writes nothing.
#[tokio::test]
async fn the_keys_page_says_that_this_sites_own_key_is_trusted_already() {
    let fixture = Fixture::new().await;
    let config = fixture.config();
    let own = keys::generate();
    keys::write_private_key(&config.key_path, &own).expect("write the site's key");
    let app = fixture.app_with(config.clone()).await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let pem = keys::public_key_pem(&own.verifying_key());
    let response = send(
        &app,
        admin.post_multipart(
            "/keys",
            &[
                ("csrf", None, admin.csrf.as_bytes()),
                ("pem", None, pem.as_bytes()),
                ("file", Some(""), b""),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = keys::key_id(&own.verifying_key());
    let html = text(response).await;
    assert!(
        html.contains(&format!("The key {id} is this site")),
        "{html}"
    );
    assert!(
        html.contains("own signing key, which is always trusted; nothing changed."),
        "{html}"
    );
    assert!(!config.trust_dir.join(format!("{id}.pem")).exists());
    let html = text(send(&app, admin.get("/keys")).await).await;
    assert!(
        html.contains("No key is trusted besides this site"),
        "{html}"
    );
}

#[tokio::test]
async fn the_verify_page_checks_a_legacy_file_in_memory() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let check = |file: &'static str| {
        let app = app.clone();
        let bytes = std::fs::read(format!("{root}/tests/vectors/{file}")).expect("a vector");
        let request = admin.post_multipart(
            "/verify",
            &[
                ("csrf", None, admin.csrf.as_bytes()),
                ("file", Some(file), &bytes),
            ],
        );
        async move {
            let response = send(&app, request).await;
            (response.status(), text(response).await)
        }
    };
    let (status, html) = check("legacy-simple.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("the checksum matches"), "{html}");
    let (status, html) = check("legacy-tampered.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("the checksum does not match"), "{html}");
    // The uploaded file was never written to disk.
    let written = std::fs::read_dir(fixture.dir.path())
        .expect("the directory")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(".json"));
    assert!(!written);
}

/// Every `.rs` file under a directory of the crate, with its text.
fn sources(dir: &str) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    out
}

// ARCHITECTURE.md: no SQL and no sqlx in `web`; axum only in `web`.
#[test]
fn the_web_layer_holds_no_sql_and_axum_stays_in_it() {
    for (path, text) in sources("src/web") {
        for word in [
            "sqlx",
            "SELECT ",
            "INSERT ",
            "UPDATE ",
            "DELETE FROM",
            "{p}",
        ] {
            assert!(!text.contains(word), "{} contains {word:?}", path.display());
        }
    }
    for (path, text) in sources("src") {
        if !path.components().any(|c| c.as_os_str() == "web") {
            assert!(!text.contains("axum"), "{} uses axum", path.display());
        }
    }
}

// STYLE §4: one real round trip over a socket, through `web::serve`.
#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let fixture = Fixture::new().await;
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("the address");
    let server = tokio::spawn(web::serve(listener, AppState::new(site, fixture.config())));
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(
            format!("GET /login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    server.abort();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer
        .to_ascii_lowercase()
        .contains("set-cookie: attestoodle_session="));
    assert!(answer.contains("name=\"password\""));
}

#[tokio::test]
async fn an_administrator_removed_from_siteadmins_is_refused_at_the_next_request() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    assert_eq!(send(&app, admin.get("/")).await.status(), StatusCode::OK);
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    let config_id = 3; // siteadmins is the third row the demo writes into `config`
    let mut w = fixture::Writer::begin(&site).await.expect("write");
    w.update("config", config_id, "value", Param::Text("5".into()))
        .await
        .expect("change siteadmins");
    w.commit().await.expect("commit");
    site.close().await;
    assert_eq!(
        send(&app, admin.get("/")).await.status(),
        StatusCode::FORBIDDEN
    );
}

// moodle::auth on every backend: usernames match byte for byte, the admins come from config.
#[tokio::test]
async fn logins_read_the_local_account_and_the_site_admins_on_every_backend() {
    common::for_each_backend(|backend| async move {
        let db = common::TestDb::seeded(&backend, "mdl_").await;
        let site = db.connect().await;
        let name = backend.name();
        let admin = site
            .user_for_login("admin")
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{name}: the admin"));
        assert_eq!((admin.id, admin.auth.as_str()), (2, "manual"), "{name}");
        assert!(
            !admin.deleted && !admin.suspended && admin.confirmed,
            "{name}"
        );
        assert!(admin.password.expose().starts_with("$2y$10$"), "{name}");
        for other in ["Admin", "admin ", "ADMIN", "admi"] {
            assert!(
                site.user_for_login(other).await.expect("read").is_none(),
                "{name}: {other:?} must not match"
            );
        }
        let suspended = site
            .user_for_login("arthur.michel")
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{name}: the suspended learner"));
        assert!(suspended.suspended, "{name}");
        let cas = site
            .user_for_login("emma.david")
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{name}: the CAS learner"));
        assert_eq!(cas.password.expose(), "not cached", "{name}");
        assert_eq!(
            site.site_admin_ids().await.expect("read"),
            vec![2],
            "{name}"
        );
        site.close().await;
        db.drop_database().await;
    })
    .await;
}

/// The `href` and `action` targets of a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["href=\"", "action=\""] {
        for rest in html.split(attribute).skip(1) {
            if let Some((target, _)) = rest.split_once('"') {
                out.push(target.replace("&#38;", "&"));
            }
        }
    }
    out
}

// "No dead links": every link and form target of every page reachable by an admin answers.
#[tokio::test]
async fn every_link_and_form_target_of_the_pages_answers() {
    let fixture = Fixture::new().await;
    let config = fixture.config();
    keys::write_private_key(&config.key_path, &keys::generate()).expect("the site's key");
    let app = fixture.app_with(config).await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec!["/".to_owned()];
    while let Some(page) = todo.pop() {
        if seen.contains(&page) {
            continue;
        }
        seen.push(page.clone());
        let response = send(&app, admin.get(&page)).await;
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        let is_html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
        if !is_html {
            continue;
        }
        let html = text(response).await;
        for target in links(&html) {
            if let Some(id) = target.strip_prefix('#') {
                assert!(html.contains(&format!("id=\"{id}\"")), "{page}: no #{id}");
                continue;
            }
            let absolute = match target.strip_prefix('?') {
                // The language switch stays on the page it is on.
                Some(query) => format!("{}?{query}", page.split('?').next().unwrap_or("/")),
                None => target,
            };
            assert!(
                absolute.starts_with('/'),
                "{page} links outside: {absolute}"
            );
            if absolute == "/logout" {
                continue;
            }
            todo.push(absolute);
        }
    }
    for expected in [
        "/keys",
        "/verify",
        "/keys/site.pem",
        "/static/app.css",
        "/trainings/1",
    ] {
        assert!(
            seen.iter().any(|p| p == expected),
            "{expected} is linked from no page"
        );
    }
}

#[test]
fn serve_refuses_a_bad_base_path_as_a_usage_error() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = common::run_in(dir.path(), &["serve", "--base-path", "/a/../b"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("the base path `/a/../b` is not valid"));
}

/// The value of the hidden `pending` field of a precheck page.
fn pending_in(html: &str) -> String {
    let (_, rest) = html
        .split_once("name=\"pending\" value=\"")
        .expect("a precheck page with an Apply form");
    rest.split('"').next().unwrap_or("").to_owned()
}

/// The `name` and `value` of every checkbox of a precheck page.
fn ticks_in(html: &str) -> Vec<(String, String)> {
    all_ticks_in(html)
        .into_iter()
        .filter(|(name, _)| name.starts_with("accept."))
        .collect()
}

/// The `name` and `value` of every checkbox of a page (per finding and per code).
fn all_ticks_in(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .skip(1)
        .filter(|tag| tag.contains("type=\"checkbox\""))
        .map(|tag| {
            let attribute = |name: &str| {
                tag.split_once(&format!(" {name}=\""))
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(value, _)| value.to_owned())
                    .unwrap_or_default()
            };
            (attribute("name"), attribute("value"))
        })
        .collect()
}

/// A backup of the demo's first training, downloaded from its page and signed again with a
/// key this site does not trust.
async fn untrusted_backup(fixture: &Fixture, app: &Router, admin: &Browser) -> Vec<u8> {
    keys::write_private_key(&fixture.config().key_path, &keys::generate())
        .expect("write the site's key");
    let response = send(app, admin.get("/trainings/1/backup.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = text(response).await;
    let mut document =
        attestoodle_backup::document::v2::parse(body.as_bytes()).expect("a format-2 file");
    attestoodle_backup::document::signature::sign(&mut document, &keys::generate());
    attestoodle_backup::document::v2::to_text(&document).into_bytes()
}

// Issue 6: upload, clone with a suffix, precheck, accept, apply, see the new training.
#[tokio::test]
async fn a_backup_is_cloned_through_the_restore_pages() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/")).await).await;
    assert!(
        html.contains("href=\"/restore\""),
        "linked from the navigation"
    );
    let html = text(send(&app, admin.get("/restore")).await).await;
    for id in [
        "file",
        "mode-restore",
        "mode-clone",
        "name",
        "suffix",
        "courses",
        "shift",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "{id}: {html}"
        );
    }
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[("mode", "clone"), ("suffix", "_2027"), ("shift", "365")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Licence Chimie S1 2026_2027"), "{html}");
    assert!(html.contains("(shifted by +365 days)"), "{html}");
    assert!(html.contains("<table"), "the findings table: {html}");
    assert!(html.contains("<code>learners-left-out</code>"), "{html}");
    let ticks = ticks_in(&html);
    assert_eq!(ticks.len(), 1, "one checkbox per finding to accept: {html}");
    assert!(ticks[0].1.starts_with("untrusted-signer|key "), "{ticks:?}");
    assert!(!html.contains("finding-blocking"), "{html}");
    let pending = pending_in(&html);

    // Without the tick: refused, the precheck shown again, nothing written.
    let response = send(
        &app,
        admin.post_form(
            "/restore/apply",
            &[("csrf", &admin.csrf), ("pending", &pending)],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(
        html.contains("tick every finding to accept (untrusted-signer)"),
        "{html}"
    );
    assert!(html.contains("<table"), "{html}");
    let list = text(send(&app, admin.get("/")).await).await;
    assert!(!list.contains("Licence Chimie S1 2026_2027"), "{list}");

    let response = send(
        &app,
        admin.post_form(
            "/restore/apply",
            &[
                ("csrf", &admin.csrf),
                ("pending", &pending),
                (&ticks[0].0, &ticks[0].1),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(html.contains("Training created"), "{html}");
    assert!(html.contains("9 milestone(s)"), "{html}");
    // The fixture's config.php is unknown: the page's path, from the Moodle site's root.
    assert!(
        html.contains("<code>/admin/tool/attestoodle/index.php?typepage=trainingmanagement"),
        "{html}"
    );
    let list = text(send(&app, admin.get("/")).await).await;
    assert!(list.contains("Licence Chimie S1 2026_2027"), "{list}");

    // The upload was dropped: applying again asks for the file again.
    let response = send(
        &app,
        admin.post_form(
            "/restore/apply",
            &[
                ("csrf", &admin.csrf),
                ("pending", &pending),
                (&ticks[0].0, &ticks[0].1),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(text(response).await.contains("upload it again"));
    // Nothing was written to disk.
    let written = std::fs::read_dir(fixture.dir.path())
        .expect("the directory")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(".json"));
    assert!(!written);
}

// Issue 6: blocking findings in red, no Apply; bad choices and bad files said on the form.
#[tokio::test]
async fn the_restore_pages_refuse_what_cannot_be_restored() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    // A clone onto the name of an existing training: blocking, no Apply button.
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("name", "Licence Chimie S1 2026"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("class=\"finding-blocking\""), "{html}");
    assert!(!html.contains("/restore/apply"), "{html}");
    // Two `missing-course` findings: ticking one of them does not accept the other. (Two
    // milestones on courses this site lacks, beside the ones it has: a file whose every course
    // is missing is `nothing-to-restore`, blocking.)
    let mut document = attestoodle_backup::document::v2::parse(&bytes).expect("a format-2 file");
    for ghost in ["GHOST1", "GHOST2"] {
        let mut milestone = document.milestones[0].clone();
        milestone.course = ghost.to_owned();
        document.milestones.push(milestone);
    }
    attestoodle_backup::document::v2::sort(&mut document);
    attestoodle_backup::document::signature::sign(&mut document, &keys::generate());
    let ghosts = attestoodle_backup::document::v2::to_text(&document).into_bytes();
    let (status, html) = upload_restore(
        &app,
        &admin,
        &ghosts,
        &[("mode", "clone"), ("suffix", "_2027")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let ticks = ticks_in(&html);
    assert_eq!(ticks.len(), 3, "{ticks:?}");
    let pending = pending_in(&html);
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", &admin.csrf), ("pending", &pending)];
    for (name, value) in &ticks[..2] {
        pairs.push((name, value));
    }
    let response = send(&app, admin.post_form("/restore/apply", &pairs)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(html.contains("(missing-course)"), "{html}");
    assert_eq!(
        ticks_in(&html)
            .iter()
            .filter(|t| html.contains(&format!("value=\"{}\" checked", t.1)))
            .count(),
        2
    );
    let (status, html) = upload_restore(&app, &admin, &bytes, &[("mode", "clone")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("A clone needs a new name"), "{html}");
    let (status, html) = upload_restore(&app, &admin, b"{}", &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("This file cannot be restored"), "{html}");
    // A refused upload is not kept.
    let response = send(
        &app,
        admin.post_form("/restore/apply", &[("csrf", &admin.csrf), ("pending", "x")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // A file of the PHP plugin is converted and prechecked; a tampered one is refused.
    let root = env!("CARGO_MANIFEST_DIR");
    let legacy =
        std::fs::read(format!("{root}/tests/vectors/legacy-simple.json")).expect("a vector");
    let (status, html) = upload_restore(&app, &admin, &legacy, &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<code>legacy-checksum</code>"), "{html}");
    let tampered =
        std::fs::read(format!("{root}/tests/vectors/legacy-tampered.json")).expect("a vector");
    let (status, html) = upload_restore(&app, &admin, &tampered, &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // In French too.
    let html = text(send(&app, admin.get("/restore?lang=fr")).await).await;
    assert!(html.contains("Restaurer ou cloner"), "{html}");
}

// Issue 6: a training named like a script is shown escaped on the precheck page.
#[tokio::test]
async fn the_precheck_page_escapes_a_training_named_like_a_script() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("name", SCRIPT_NAME),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    let (_, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[("mode", "other"), ("name", SCRIPT_NAME)],
    )
    .await;
    assert!(!html.contains("<script"), "{html}");
}

// Issue 6: with the site's wwwroot known, the result page links to Moodle's Attestoodle page.
#[tokio::test]
async fn the_result_page_links_to_the_training_in_moodle() {
    let fixture = Fixture::new().await;
    let mut target = Target::sqlite_file(&fixture.dir.path().join("site.sqlite"), false);
    target.wwwroot = Some("https://moodle.example.org".to_owned());
    let site = Site::open(&target).await.expect("open the demo site");
    let app = web::app(AppState::new(site, fixture.config()));
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("name", "Chimie 2027"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let pending = pending_in(&html);
    let mut pairs: Vec<(String, String)> = vec![
        ("csrf".to_owned(), admin.csrf.clone()),
        ("pending".to_owned(), pending),
    ];
    pairs.extend(ticks_in(&html));
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = send(&app, admin.post_form("/restore/apply", &pairs)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(
        html.contains("href=\"https://moodle.example.org/admin/tool/attestoodle/index.php?typepage=trainingmanagement&#38;categoryid="),
        "{html}"
    );
}

// Issue "diff and repair": *Compare with a backup* on a training's page.
#[tokio::test]
async fn a_backup_is_compared_with_the_live_training_on_its_page() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    assert!(
        html.contains("action=\"/trainings/1/compare\""),
        "the training page offers the comparison: {html}"
    );
    keys::write_private_key(&fixture.config().key_path, &keys::generate())
        .expect("write the site's key");
    let backup = text(send(&app, admin.get("/trainings/1/backup.json")).await).await;
    let compare = |bytes: Vec<u8>| {
        let app = app.clone();
        let request = admin.post_multipart(
            "/trainings/1/compare",
            &[
                ("csrf", None, admin.csrf.as_bytes()),
                ("file", Some("backup.json"), &bytes),
            ],
        );
        async move {
            let response = send(&app, request).await;
            (response.status(), text(response).await)
        }
    };

    let (status, html) = compare(backup.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("identical: both define the same training"),
        "{html}"
    );
    assert!(html.contains("signed by a trusted key"), "{html}");

    let mut edited: serde_json::Value = serde_json::from_str(&backup).expect("JSON");
    edited["milestones"][0]["creditedtime"] = serde_json::Value::from(999);
    let edited = serde_json::to_vec(&edited).expect("JSON");
    let (status, html) = compare(edited.clone()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("1 difference(s) from A to B"), "{html}");
    assert!(
        html.contains("999 → "),
        "from the file's 999 minutes: {html}"
    );
    assert!(html.contains("no key can make it valid"), "{html}");
    assert!(
        !html.contains("--"),
        "no command-line flag on a page: {html}"
    );

    // In French, French from the first word to the last.
    send(&app, admin.get("/?lang=fr")).await;
    let (_, html) = compare(edited).await;
    assert!(html.contains("1 différence(s) de A à B"), "{html}");
    assert!(
        html.contains("aucune clé ne peut la rendre valide"),
        "{html}"
    );
    let (status, html) = compare(b"{\"hello\": 1}".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Ce fichier ne peut pas être comparé"),
        "{html}"
    );
    let response = send(
        &app,
        admin.post_multipart(
            "/trainings/1/compare",
            &[("csrf", None, admin.csrf.as_bytes())],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = send(
        &app,
        admin.post_multipart(
            "/trainings/999999/compare",
            &[("csrf", None, admin.csrf.as_bytes())],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Moodle's session rows for the Moodle-session login tests: (sid, username, state, age in
/// seconds); a username of `None` is a visitor who has not logged in.
const MOODLE_SESSIONS: [(&str, Option<&str>, i64, i64); 6] = [
    ("live0admin0session0id00001", Some("admin"), 0, 60),
    ("expired0admin0session00002", Some("admin"), 0, 28_801),
    ("closed0admin0session000003", Some("admin"), 1, 60),
    ("anonymous0visitor0sess0004", None, 0, 60),
    ("learner0live0session000005", Some(LEARNER), 0, 60),
    ("deleted0user0live0sess0006", Some("parti.ancien"), 0, 60),
];

/// Writes the rows of [`MOODLE_SESSIONS`] (and a deleted account for the last: refused before
/// anyone asks whether it is an administrator, so the answer is the login page, not 403).
async fn write_moodle_sessions(fixture: &Fixture) {
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut w = fixture::Writer::begin(&site).await.expect("write");
    let deleted = w
        .insert(
            "user",
            &[
                ("username", "parti.ancien".into()),
                ("email", "parti@univ-demo.fr".into()),
                ("deleted", 1.into()),
                ("confirmed", 1.into()),
                ("mnethostid", 1.into()),
            ],
        )
        .await
        .expect("a deleted account");
    for (sid, username, state, age) in MOODLE_SESSIONS {
        let userid = match username {
            Some("parti.ancien") => deleted,
            Some(name) => {
                site.user_for_login(name)
                    .await
                    .expect("read")
                    .expect("the account")
                    .id
            }
            None => 0,
        };
        w.insert(
            "sessions",
            &[
                ("state", state.into()),
                ("sid", sid.into()),
                ("userid", userid.into()),
                ("timecreated", (now - age - 10).into()),
                ("timemodified", (now - age).into()),
            ],
        )
        .await
        .expect("a session row");
    }
    w.commit().await.expect("commit");
    site.close().await;
}

fn with_moodle_cookie(path: &str, sid: &str, ours: Option<&str>) -> Request<Body> {
    let cookie = match ours {
        Some(ours) => format!("{ours}; MoodleSession={sid}"),
        None => format!("MoodleSession={sid}"),
    };
    Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("a request")
}

// Issue 11, item 7: an administrator logged in to Moodle is logged in here too.
#[tokio::test]
async fn a_live_moodle_session_of_an_administrator_logs_in_and_nothing_else_does() {
    let fixture = Fixture::new().await;
    write_moodle_sessions(&fixture).await;
    let mut config = fixture.config();
    config.moodle_session = Some(web::MoodleSessionLogin {
        cookie: "MoodleSession".to_owned(),
        wwwroot: Some("https://moodle.univ-demo.fr".to_owned()),
        elsewhere: None,
    });
    let app = fixture.app_with(config).await;

    let (live, ..) = MOODLE_SESSIONS[0];
    let response = send(&app, with_moodle_cookie("/", live, None)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the admin's live session"
    );
    let ours = cookie_pair(&set_cookie(&response).expect("this tool's session cookie"));
    let html = text(response).await;
    assert!(html.contains("Licence Chimie S1 2026"), "{html}");
    assert!(
        html.contains("Signed in through your Moodle session"),
        "{html}"
    );
    // A form posted with both cookies and this tool's token goes through.
    let page = send(&app, with_moodle_cookie("/trainings/1", live, Some(&ours))).await;
    let csrf = text(page)
        .await
        .split_once("name=\"csrf\" value=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .unwrap_or("")
        .to_owned();
    assert!(!csrf.is_empty(), "the page carries a form token");
    let request = Request::post("/trainings/1/compare")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, format!("{ours}; MoodleSession={live}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(&[("csrf", None, csrf.as_bytes())])))
        .expect("a request");
    assert_eq!(send(&app, request).await.status(), StatusCode::BAD_REQUEST);

    for (sid, who, _, _) in &MOODLE_SESSIONS[1..] {
        let response = send(&app, with_moodle_cookie("/", sid, None)).await;
        let expected = if *who == Some(LEARNER) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::SEE_OTHER
        };
        assert_eq!(response.status(), expected, "{sid}");
    }
    // A cookie that names no session, and the cookie under another name, are nobody.
    let response = send(&app, with_moodle_cookie("/", "no0such0session", None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let request = Request::get("/")
        .header(header::COOKIE, format!("MoodleSessionOther={live}"))
        .body(Body::empty())
        .expect("a request");
    assert_eq!(send(&app, request).await.status(), StatusCode::SEE_OTHER);

    // The login page sends the browser to Moodle's, which comes back here.
    let html = text(send(&app, get("/login", None)).await).await;
    assert!(
        html.contains(
            "href=\"https://moodle.univ-demo.fr/login/index.php?wantsurl=http%3A%2F%2Flocalhost%2F\""
        ),
        "{html}"
    );

    // A Moodle whose sessions live in Redis: no look-up, and the login page says why.
    let mut config = fixture.config();
    config.moodle_session = Some(web::MoodleSessionLogin {
        cookie: "MoodleSession".to_owned(),
        wwwroot: Some("https://moodle.univ-demo.fr".to_owned()),
        elsewhere: Some("Redis"),
    });
    let app = fixture.app_with(config).await;
    let response = send(&app, with_moodle_cookie("/", live, None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = text(send(&app, get("/login", None)).await).await;
    assert!(html.contains("keeps its sessions in Redis"), "{html}");
    assert!(!html.contains("Log in with Moodle"), "{html}");

    // Without --moodle-session, the cookie is ignored and the page says nothing of Moodle.
    let app = fixture.app().await;
    let response = send(&app, with_moodle_cookie("/", live, None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = text(send(&app, get("/login", None)).await).await;
    assert!(!html.contains("Log in with Moodle"), "{html}");
}

// Issue 11, item 8: the training page names its learners and shows its template.
#[tokio::test]
async fn the_training_page_lists_its_learners_by_name_and_its_template() {
    let fixture = Fixture::new().await;
    // Opened as `serve` opens the demo: its file store beside the database.
    let database = fixture.dir.path().join("site.sqlite");
    let target = Target::url(
        &format!("sqlite://{}", database.display()),
        "mdl_",
        fixture.dir.path(),
    )
    .expect("the demo's target");
    assert!(target.filedir.is_some(), "the demo's file store is found");
    let site = Site::open(&target).await.expect("open the demo site");
    let app = web::app(AppState::new(site, fixture.config()));
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    assert!(html.contains("<td>Camille Martin</td>"), "{html}");
    assert!(html.contains("Camille.Martin@Etu.Univ-Demo.fr"), "{html}");
    assert!(!html.contains("user 18"), "{html}");
    assert!(html.contains("Template Site"), "{html}");
    assert!(html.contains("<td>learnername</td>"), "{html}");
    let (_, rest) = html
        .split_once("<img class=\"background\" src=\"")
        .expect("the background's thumbnail");
    let src = rest.split('"').next().unwrap_or("").to_owned();
    let response = send(&app, admin.get(&src)).await;
    assert_eq!(response.status(), StatusCode::OK, "{src}");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the image");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG image");
    let response = send(&app, admin.get("/trainings/1/background/99")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // French.
    send(&app, admin.get("/?lang=fr")).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    assert!(html.contains("Les éléments du certificat"), "{html}");
    assert!(html.contains("Adresse électronique"), "{html}");
}

// Issue 10, items 6 and 7: the precheck page names the form's field, never a command-line
// flag, for a name a new training cannot take and for a replacement; its dates are days of
// the site's time zone, named.
#[tokio::test]
async fn the_precheck_page_advises_with_its_fields_and_the_sites_time_zone() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("name", "Langues / Anglais B2 2027"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let row = html
        .split("<section class=\"finding-group")
        .find(|group| group.contains("<code>invalid-name</code>"))
        .unwrap_or_else(|| panic!("{html}"));
    assert!(row.contains("New training name"), "{row}");
    assert!(row.contains("Langues - Anglais B2 2027"), "{row}");
    assert!(!row.contains("--name"), "{row}");
    // The demo site's zone is Europe/Paris: its 1 September 2026 start is that day there.
    assert!(
        html.contains("2026-09-01 → 2027-01-31 (Europe/Paris)"),
        "{html}"
    );
    let (status, html) = upload_restore(&app, &admin, &bytes, &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let row = html
        .split("<section class=\"finding-group")
        .find(|group| group.contains("<code>replace-training</code>"))
        .unwrap_or_else(|| panic!("{html}"));
    assert!(row.contains("New training name"), "{row}");
    assert!(
        !row.contains("--accept") && !row.contains("--name"),
        "{row}"
    );
}

// Issue 10, item 9, on the web too: the list shows the orphan milestones apart.
#[tokio::test]
async fn the_trainings_page_counts_orphan_milestones_apart() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/")).await).await;
    assert!(
        html.contains("(1 orphan: activity or course gone)"),
        "{html}"
    );
    send(&app, admin.get("/?lang=fr")).await;
    let html = text(send(&app, admin.get("/")).await).await;
    assert!(
        html.contains("(1 orphelin(s) : activité ou cours disparu)"),
        "{html}"
    );
}

// Issue "diff and repair": the precheck page of a replace shows what the replacement changes.
#[tokio::test]
async fn the_precheck_of_a_replace_shows_what_it_changes() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let mut document = attestoodle_backup::document::v2::parse(&bytes).expect("a format-2 file");
    let before = document.milestones[0].creditedtime;
    document.milestones[0].creditedtime = 999;
    attestoodle_backup::document::signature::sign(&mut document, &keys::generate());
    let edited = attestoodle_backup::document::v2::to_text(&document).into_bytes();

    let (status, html) = upload_restore(&app, &admin, &edited, &[("mode", "restore")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("What the replacement changes"), "{html}");
    assert!(html.contains("1 difference(s) from A to B"), "{html}");
    assert!(html.contains(&format!("{before} → 999 min")), "{html}");

    // The same file as it was: nothing changes, and it says so.
    let (_, html) = upload_restore(&app, &admin, &bytes, &[("mode", "restore")]).await;
    assert!(
        html.contains("identical: both define the same training"),
        "{html}"
    );

    // A clone creates a training: no comparison.
    let (_, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[("mode", "clone"), ("suffix", "_2030")],
    )
    .await;
    assert!(!html.contains("What the replacement changes"), "{html}");
}

// Issue 11, item 7: the Moodle-session login can be tried on the demo, which writes a session.
#[tokio::test]
async fn the_demo_writes_a_moodle_session_that_logs_its_admin_in() {
    let fixture = Fixture::new().await;
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    let sid = demo::moodle_session(&site)
        .await
        .expect("write the session")
        .expect("the demo has Moodle's sessions table");
    site.close().await;
    assert_eq!(sid.len(), 26, "{sid}");
    let mut config = fixture.config();
    config.moodle_session = Some(web::MoodleSessionLogin {
        cookie: "MoodleSession".to_owned(),
        wwwroot: None,
        elsewhere: None,
    });
    let app = fixture.app_with(config).await;
    let response = send(&app, with_moodle_cookie("/", &sid, None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("<strong>admin</strong>"));
}

/// The `value` of the `<option>` whose text is `label` in a page.
fn option_value(html: &str, label: &str) -> String {
    html.split("<option value=\"")
        .skip(1)
        .find(|rest| {
            rest.split_once('>')
                .is_some_and(|(_, after)| after.starts_with(label))
        })
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

// Issue 11, item 1: every option of the command line is on the form, and changes the plan.
#[tokio::test]
async fn every_restore_option_is_on_the_form_and_changes_the_plan() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/restore")).await).await;
    for id in [
        "course_map",
        "start",
        "learners",
        "category",
        "template-reuse",
        "template-replace",
        "template-copy",
        "template_copy_name",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "{id}: {html}"
        );
    }
    assert!(html.contains("name=\"start\" type=\"date\""), "{html}");
    let langues = option_value(&html, "Université Démo / Langues");
    assert!(
        !langues.is_empty(),
        "the category list names this site's categories: {html}"
    );
    assert!(
        !html.contains("--"),
        "no command-line flag on the form: {html}"
    );

    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    // Learners: a clone leaves them out unless asked.
    let (_, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027b"),
            ("learners", "with"),
        ],
    )
    .await;
    assert!(!html.contains("learners-left-out"), "{html}");
    // Another category, a new start date, a course map instead of a suffix.
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("name", "Chimie par la table"),
            ("category", &langues),
            ("start", "2027-09-06"),
            ("course_map", "CHIM101,CHIM101_2027\nCHIM102,CHIM102_2027\n"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Université Démo / Langues (id "), "{html}");
    assert!(html.contains("2027-09-06"), "{html}");
    assert!(
        !html.contains("missing-course"),
        "the map names the 2027 courses: {html}"
    );
    // A copy of the template needs its name; both a shift and a start are refused.
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[("mode", "clone"), ("suffix", "_2030"), ("template", "copy")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(
        html.contains("Give the name of the copy of the template"),
        "{html}"
    );
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2030"),
            ("shift", "7"),
            ("start", "2027-09-06"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("not both"), "{html}");
    // The copy, applied: the clone uses the template under its new name.
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("template", "copy"),
            ("template_copy_name", "Site 2031"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("name=\"pending\""), "{html}");
    let pending = pending_in(&html);
    let mut form = vec![
        ("csrf".to_owned(), admin.csrf.clone()),
        ("pending".to_owned(), pending),
    ];
    for (name, value) in ticks_in(&html) {
        form.push((name, value));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = send(&app, admin.post_form("/restore/apply", &pairs)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    let list = text(send(&app, admin.get("/")).await).await;
    assert!(list.contains("Licence Chimie S1 2026_2027"), "{list}");
    assert!(list.contains("Site 2031"), "{list}");
}

// Issue 11, item 3: one box accepts every finding of a code.
#[tokio::test]
async fn a_code_is_accepted_with_one_tick() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[
            ("mode", "clone"),
            ("suffix", "_2027"),
            ("courses", "CHIM102=CHIM102_ABSENT"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let codes: Vec<(String, String)> = all_ticks_in(&html)
        .into_iter()
        .filter(|(name, _)| name.starts_with("accept_code."))
        .collect();
    let mut names: Vec<&str> = codes.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["accept_code.missing-course", "accept_code.untrusted-signer"],
        "{html}"
    );
    let code = |name: &str| {
        codes
            .iter()
            .find(|(n, _)| n == name)
            .cloned()
            .expect("the code's box")
    };
    assert!(
        html.contains("Accept all 1 finding(s) of this code"),
        "{html}"
    );
    // Issue 11, item 4: the mapping in view, milestone by milestone.
    assert!(html.contains("What goes where"), "{html}");
    assert!(
        html.contains(
            "<td>CHIM102</td><td>1</td><td>1</td><td>Quiz : nomenclature</td><td>quiz</td>\
             <td>45</td><td>CHIM102_ABSENT</td><td></td><td></td><td>course missing: skipped</td>"
        ),
        "{html}"
    );
    assert!(html.contains("<td>CHIM101_2027</td>"), "{html}");
    assert!(html.contains("at its place"), "{html}");
    let pending = pending_in(&html);
    let mut form = vec![
        ("csrf".to_owned(), admin.csrf.clone()),
        ("pending".to_owned(), pending),
    ];
    // One code only: refused, the other still to accept.
    form.push(code("accept_code.untrusted-signer"));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = send(&app, admin.post_form("/restore/apply", &pairs)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("missing-course"));
    // Both codes, no finding ticked one by one: applied.
    form.push(code("accept_code.missing-course"));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = send(&app, admin.post_form("/restore/apply", &pairs)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    let list = text(send(&app, admin.get("/")).await).await;
    assert!(list.contains("Licence Chimie S1 2026_2027"), "{list}");
}

// Issue 11, item 2: correct the options and check again, without a second upload.
#[tokio::test]
async fn the_options_are_changed_and_checked_again_without_a_second_upload() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let bytes = untrusted_backup(&fixture, &app, &admin).await;
    let (status, html) = upload_restore(
        &app,
        &admin,
        &bytes,
        &[("mode", "clone"), ("suffix", "_2028")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("nothing-to-restore"),
        "every course is missing: {html}"
    );
    assert!(
        html.contains("<details open>"),
        "Change options is open: {html}"
    );
    assert!(html.contains("action=\"/restore/recheck\""), "{html}");
    assert!(
        html.contains("value=\"_2028\""),
        "filled with what was chosen: {html}"
    );
    // The category the precheck found is the one chosen in the list.
    let found = option_value(
        &html,
        "Université Démo / Faculté des Sciences / Licence Chimie",
    );
    assert!(
        html.contains(&format!("<option value=\"{found}\" selected>")),
        "{html}"
    );
    let pending = pending_in_recheck(&html);
    let response = send(
        &app,
        admin.post_form(
            "/restore/recheck",
            &[
                ("csrf", &admin.csrf),
                ("pending", &pending),
                ("mode", "clone"),
                ("suffix", "_2027"),
                ("category", &found),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(!html.contains("nothing-to-restore"), "{html}");
    assert!(html.contains("Licence Chimie S1 2026_2027"), "{html}");
    assert!(html.contains("action=\"/restore/apply\""), "{html}");
    // An old page's pending id is refused as expired.
    let response = send(
        &app,
        admin.post_form(
            "/restore/recheck",
            &[
                ("csrf", &admin.csrf),
                ("pending", &pending),
                ("mode", "clone"),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

/// The pending upload's id in the *Change options* form of a precheck page.
fn pending_in_recheck(html: &str) -> String {
    let (_, rest) = html
        .split_once("action=\"/restore/recheck\"")
        .expect("a Change options form");
    let (_, rest) = rest
        .split_once("name=\"pending\" value=\"")
        .expect("its pending id");
    rest.split('"').next().unwrap_or("").to_owned()
}

// Issue "diff and repair": *Repair* on the page of a training with a broken milestone, through
// the same precheck and findings as the `repair` command.
#[tokio::test]
async fn a_training_with_a_broken_milestone_offers_repair_and_says_what_it_leaves() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    // The demo's "Sécurité & Hygiène 2026" (id 2) has an orphan; "Licence Chimie S1 2026" none.
    let html = text(send(&app, admin.get("/trainings/2")).await).await;
    assert!(
        html.contains("href=\"/trainings/2/repair\"")
            && html.contains("Repair 1 broken milestone(s)"),
        "{html}"
    );
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    assert!(!html.contains("/trainings/1/repair"), "nothing broken");

    let response = send(&app, admin.get("/trainings/2/repair")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(
        html.contains("repair-no-match")
            && html.contains("no activity of course SEC-INC-101 has that name")
            && html.contains("value=\"repair-no-match\""),
        "{html}"
    );
    // Not ticked: nothing written, said.
    let response = send(
        &app,
        admin.post_form("/trainings/2/repair", &[("csrf", admin.csrf.as_str())]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response)
        .await
        .contains("tick every finding to accept (repair-no-match)"));
    // Ticked: the orphan is left as it is, in French.
    send(&app, admin.get("/?lang=fr")).await;
    let response = send(
        &app,
        admin.post_form(
            "/trainings/2/repair",
            &[
                ("csrf", admin.csrf.as_str()),
                ("accept.1", "repair-no-match"),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(
        html.contains("0 jalon(s) relié(s).")
            && html.contains("aucune activité du cours SEC-INC-101 ne porte ce nom"),
        "{html}"
    );
    let response = send(&app, admin.get("/trainings/999999/repair")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

// Issue "diff and repair": *Repair* relinks the milestone once an activity of its course has
// its name again, and the page no longer offers it.
#[tokio::test]
async fn repair_on_the_web_relinks_the_milestone_to_the_activity_back_under_its_name() {
    let fixture = Fixture::new().await;
    let site = Site::open(&Target::sqlite_file(
        &fixture.dir.path().join("site.sqlite"),
        false,
    ))
    .await
    .expect("open the demo site");
    // The orphan of "Sécurité & Hygiène 2026" (cm 999999) belongs to SEC-INC-101.
    let moduleids = fixture::int_column(&site, "tool_attestoodle_milestone", "moduleid")
        .await
        .expect("moduleids");
    let courses = fixture::int_column(&site, "tool_attestoodle_milestone", "course")
        .await
        .expect("courses");
    let course = moduleids
        .iter()
        .position(|m| *m == Some(999_999))
        .and_then(|i| courses[i])
        .expect("the orphan's course");
    let (_, modules) = site.course_structure(&[course]).await.expect("structure");
    let model = modules
        .iter()
        .find(|m| m.kind.is_some())
        .expect("an activity");
    let kind = model.kind.clone().expect("a type");
    let cm_ids = fixture::int_column(&site, "course_modules", "id")
        .await
        .expect("ids");
    let at = cm_ids
        .iter()
        .position(|id| *id == Some(model.cmid))
        .expect("its row");
    let module = fixture::int_column(&site, "course_modules", "module")
        .await
        .expect("modules")[at]
        .expect("module");
    let section = fixture::int_column(&site, "course_modules", "section")
        .await
        .expect("sections")[at]
        .expect("section");
    let mut w = fixture::Writer::begin(&site).await.expect("write");
    let instance = w
        .insert(
            &kind,
            &[
                ("course", course.into()),
                ("name", "Ancienne vidéo : extincteurs".into()),
                ("intro", "".into()),
                ("timemodified", 0.into()),
            ],
        )
        .await
        .expect("an instance");
    let cm = w
        .insert(
            "course_modules",
            &[
                ("course", course.into()),
                ("module", module.into()),
                ("instance", instance.into()),
                ("section", section.into()),
                ("completion", 1.into()),
            ],
        )
        .await
        .expect("a course module");
    w.commit().await.expect("commit");
    site.close().await;

    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/2/repair")).await).await;
    assert!(
        html.contains(&format!("<td>999999</td><td>{cm}</td>"))
            && !html.contains("repair-no-match"),
        "{html}"
    );
    let response = send(
        &app,
        admin.post_form("/trainings/2/repair", &[("csrf", admin.csrf.as_str())]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("1 milestone(s) relinked."));
    let html = text(send(&app, admin.get("/trainings/2")).await).await;
    assert!(!html.contains("/trainings/2/repair"), "repaired: {html}");
    let html = text(send(&app, admin.get("/")).await).await;
    assert!(!html.contains("orphan"), "no orphan left: {html}");
}
