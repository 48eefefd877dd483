//! Template previews on the web pages (issue 15, part 1), through HTTP requests on `web::app`
//! over the demo SQLite site with its file store: the training page's previews, the precheck
//! page's side-by-side pair for `template-differs`, what an SVG preview's response allows, and
//! who may see one.

mod common;

use common::http::{get, location, send, text, Browser};

use attestoodle_backup::demo;
use attestoodle_backup::document::{keys, signature, v2};
use attestoodle_backup::moodle::{demo_dataroot, Site, Target};
use attestoodle_backup::web::{self, AppState, WebConfig};
use axum::http::{header, StatusCode};
use axum::Router;

/// A demo site in a temporary directory, opened with its file store (template images).
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary directory");
        demo::create_or_open(&dir.path().join("site.sqlite"))
            .await
            .expect("the demo site");
        Fixture { dir }
    }

    fn config(&self) -> WebConfig {
        WebConfig::new(
            self.dir.path().join("keys/signing-key.pem"),
            self.dir.path().join("keys/trusted"),
        )
    }

    async fn app(&self) -> Router {
        let database = self.dir.path().join("site.sqlite");
        let mut target = Target::sqlite_file(&database, false);
        target.filedir = Some(demo_dataroot(&database).join("filedir"));
        let site = Site::open(&target).await.expect("open the demo site");
        web::app(AppState::new(site, self.config()))
    }
}

/// The `src` of every `<img>` of a page.
fn images(html: &str) -> Vec<String> {
    html.split("<img ")
        .skip(1)
        .filter_map(|tag| tag.split_once("src=\"").map(|(_, rest)| rest))
        .filter_map(|rest| {
            rest.split_once('"')
                .map(|(src, _)| src.replace("&#38;", "&").replace("&amp;", "&"))
        })
        .collect()
}

/// Gets an SVG preview: its status, content type, policy and the `(type, texts)` of its
/// detail groups.
async fn svg(app: &Router, admin: &Browser, path: &str) -> (String, Vec<(String, Vec<String>)>) {
    let response = send(app, admin.get(path)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml; charset=utf-8"),
        "{path}"
    );
    // The picture may show its embedded background and nothing else.
    assert_eq!(
        headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok()),
        Some("default-src 'none'; img-src data:; frame-ancestors 'none'"),
        "{path}"
    );
    let body = text(response).await;
    let document = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let groups = document
        .descendants()
        .filter(|node| node.has_tag_name("g") && node.attribute("data-detail").is_some())
        .map(|g| {
            let texts = g
                .descendants()
                .filter(|node| node.has_tag_name("text"))
                .map(|node| node.text().unwrap_or_default().to_owned())
                .collect();
            (
                g.attribute("data-type").unwrap_or_default().to_owned(),
                texts,
            )
        })
        .collect();
    (body, groups)
}

// Issue 15: the training page shows its templates' previews, served by this site.
#[tokio::test]
async fn the_training_page_shows_each_templates_preview() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let html = text(send(&app, admin.get("/trainings/1")).await).await;
    let previews: Vec<String> = images(&html)
        .into_iter()
        .filter(|src| src.ends_with("/preview.svg"))
        .collect();
    // "Licence Chimie S1 2026" carries "Attestation FC" (a learner style's) and "Site".
    assert_eq!(
        previews,
        [
            "/trainings/1/templates/0/preview.svg",
            "/trainings/1/templates/1/preview.svg"
        ],
        "{html}"
    );
    assert!(html.contains("Preview with sample text"), "{html}");
    let (body, groups) = svg(&app, &admin, &previews[1]).await;
    assert!(
        body.contains("href=\"data:image/png;base64,"),
        "the background"
    );
    let types: Vec<&str> = groups.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "background",
            "learnername",
            "trainingname",
            "period",
            "totalminutes",
            "activities"
        ]
    );
    assert!(
        groups[2].1.contains(&"Licence Chimie S1 2026".to_owned()),
        "{groups:?}"
    );
    // Out of range, or not a number: no such page.
    for path in [
        "/trainings/1/templates/9/preview.svg",
        "/trainings/1/templates/x/preview.svg",
        "/trainings/999/templates/0/preview.svg",
    ] {
        let response = send(&app, admin.get(path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

// Issue 15: the precheck page of a template-differs shows this site's and the file's side by
// side; an unreadable element of the file's is a labelled box and listed under it.
#[tokio::test]
async fn a_template_that_differs_is_shown_side_by_side_on_the_precheck_page() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let key = keys::generate();
    keys::write_private_key(&fixture.config().key_path, &key).expect("write the site's key");
    let response = send(&app, admin.get("/trainings/1/backup.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut document = v2::parse(text(response).await.as_bytes()).expect("a format-2 file");
    let site = document
        .templates
        .iter_mut()
        .find(|t| t.name == "Site")
        .expect("the Site template");
    site.details[1].data = "{\"font\": {\"family\":\"helvetica\"".to_owned();
    signature::sign(&mut document, &key);
    let bytes = v2::to_text(&document).into_bytes();

    let parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, admin.csrf.as_bytes()),
        ("file", Some("backup.json"), &bytes),
        ("mode", None, b"restore"),
    ];
    let response = send(&app, admin.post_multipart("/restore", &parts)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(html.contains("<code>template-differs</code>"), "{html}");
    assert!(html.contains("The two templates named Site"), "{html}");
    let sources = images(&html);
    let site_src = sources
        .iter()
        .find(|s| s.starts_with("/templates/preview.svg?"))
        .expect("this site's preview");
    let file_src = sources
        .iter()
        .find(|s| s.starts_with("/restore/template-preview.svg?"))
        .expect("the file's preview");
    assert_eq!(site_src, "/templates/preview.svg?name=Site");
    // Listed under the file's picture, in the page's words.
    assert!(
        html.contains("detail 2 (learnername): its data is not JSON"),
        "{html}"
    );

    let (_, site_groups) = svg(&app, &admin, site_src).await;
    assert_eq!(site_groups[1].0, "learnername");
    assert!(
        site_groups[1].1.contains(&"Prénom NOM".to_owned()),
        "{site_groups:?}"
    );
    let (file_body, file_groups) = svg(&app, &admin, file_src).await;
    assert_eq!(file_groups.len(), site_groups.len());
    assert_eq!(file_groups[1].1, ["learnername: data is not JSON"]);
    assert!(
        file_body.contains("href=\"data:image/png;base64,"),
        "the file's background"
    );

    // Another upload id, or a template the file does not have: no such picture.
    let other = file_src.replace("upload=", "upload=0");
    let response = send(&app, admin.get(&other)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = send(&app, admin.get("/templates/preview.svg?name=Nope")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn previews_are_for_logged_in_administrators_only() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    for path in [
        "/trainings/1/templates/0/preview.svg",
        "/templates/preview.svg?name=Site",
        "/restore/template-preview.svg?upload=x&name=Site",
    ] {
        let response = send(&app, get(path, None)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
}

// Issue 15: the Keys and Verify pages are unchanged: no preview there.
#[tokio::test]
async fn keys_and_verify_pages_show_no_preview() {
    let fixture = Fixture::new().await;
    let app = fixture.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    for path in ["/keys", "/verify"] {
        let html = text(send(&app, admin.get(path)).await).await;
        assert!(!html.contains("preview.svg"), "{path}: {html}");
    }
}
