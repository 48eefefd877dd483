//! The *New academic year* page (README "New academic year"), over HTTP on `web::app` and the
//! demo site: a category's trainings ticked, cloned together onto the `_2027` courses after
//! one combined precheck, in English and in French, with its refusals.

mod common;

use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::demo_site::DemoSite;
use common::http::{form_encode, send, text, Browser};

async fn fixture() -> DemoSite {
    let site = DemoSite::new().await;
    keys::write_private_key(&site.key_path(), &keys::generate()).expect("the site's key");
    site
}

/// A form posted in `lang`.
fn post(admin: &Browser, path: &str, pairs: &[(&str, &str)], lang: &str) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &admin.cookie)
        .header(header::ACCEPT_LANGUAGE, lang)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_encode(pairs)))
        .expect("a request")
}

async fn category_id(site: &DemoSite, path: &str) -> String {
    let tree = site
        .site()
        .await
        .category_tree()
        .await
        .expect("the categories");
    tree.by_path()
        .into_iter()
        .find(|(_, p)| p == path)
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|| panic!("no category {path}"))
}

async fn page(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = send(app, request).await;
    (response.status(), text(response).await)
}

#[tokio::test]
async fn a_category_is_cloned_for_next_year_in_one_precheck_and_one_apply() {
    let site = fixture().await;
    let app = site.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let category = category_id(&site, "Université Démo").await;
    let chimie = site.training_id("Licence Chimie S1 2026").await.to_string();
    let anglais = site
        .training_id("Anglais B2 – session d'automne")
        .await
        .to_string();

    // The category's trainings (its sub-categories' included) are listed, ticked.
    let (status, html) = page(&app, admin.get(&format!("/rollover?category={category}"))).await;
    assert_eq!(status, StatusCode::OK);
    for id in [&chimie, &anglais] {
        assert!(
            html.contains(&format!(
                "name=\"training.{id}\" type=\"checkbox\" value=\"{id}\" checked"
            )),
            "{id}: {html}"
        );
    }
    let securite = site.training_id("Sécurité & Hygiène 2026").await;
    assert!(
        !html.contains(&format!("name=\"training.{securite}\"")),
        "another category's training: {html}"
    );

    let tick_chimie = format!("training.{chimie}");
    let tick_anglais = format!("training.{anglais}");
    let form = [
        ("csrf", admin.csrf.as_str()),
        ("category", category.as_str()),
        (tick_chimie.as_str(), chimie.as_str()),
        (tick_anglais.as_str(), anglais.as_str()),
        ("suffix", "_2027"),
        ("shift", "364"),
    ];
    // Check: one row per training, the findings grouped by code; nothing written yet.
    let (status, html) = page(&app, post(&admin, "/rollover", &form, "en")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for name in [
        "Licence Chimie S1 2026_2027",
        "Anglais B2 – session d&#39;automne_2027",
    ] {
        assert!(
            html.contains(name) || html.contains(&name.replace("&#39;", "'")),
            "{name}: {html}"
        );
    }
    assert!(html.contains("9 written, 0 left out"), "{html}");
    assert!(
        html.contains("<code>learners-left-out</code> — for the record — 2"),
        "{html}"
    );
    assert!(html.contains("formaction=\"/rollover/apply\""), "{html}");
    assert_eq!(site.training_names().await.len(), 3);

    // The same in French.
    let (status, html) = page(&app, post(&admin, "/rollover", &form, "fr")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ce qui serait écrit"), "{html}");
    assert!(html.contains("9 écrits, 0 omis"), "{html}");
    assert!(html.contains("création"), "{html}");

    // Apply: both clones written, listed, logged.
    let (status, html) = page(&app, post(&admin, "/rollover/apply", &form, "en")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("created with 9 milestone(s)"), "{html}");
    let names = site.training_names().await;
    assert!(
        names.contains(&"Licence Chimie S1 2026_2027".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Anglais B2 – session d'automne_2027".to_owned()),
        "{names:?}"
    );
    let log = std::fs::read_to_string(site.dir.path().join("keys/audit.jsonl")).unwrap_or_default();
    assert_eq!(log.matches("web /rollover").count(), 2, "{log}");

    // Again: both exist now, the combined precheck blocks and Apply writes nothing.
    let (status, html) = page(&app, post(&admin, "/rollover/apply", &form, "fr")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("<code>training-exists</code> — bloquant — 2"),
        "{html}"
    );
    assert!(
        html.contains("Rien n&#39;a été écrit") || html.contains("Rien n'a été écrit"),
        "{html}"
    );
    assert_eq!(site.training_names().await.len(), 5);
}

#[tokio::test]
async fn the_rollover_page_says_what_is_missing() {
    let site = fixture().await;
    let app = site.app().await;
    let admin = Browser::log_in(&app, demo::DEMO_ADMIN_USERNAME, demo::DEMO_ADMIN_PASSWORD).await;
    let category = category_id(&site, "Université Démo / Langues").await;
    let anglais = site
        .training_id("Anglais B2 – session d'automne")
        .await
        .to_string();
    let tick = format!("training.{anglais}");
    for (form, lang, words) in [
        (
            vec![("category", category.as_str()), ("suffix", "_2027")],
            "en",
            "Tick at least one training",
        ),
        (
            vec![
                ("category", category.as_str()),
                (tick.as_str(), anglais.as_str()),
            ],
            "fr",
            "Indiquez le suffixe des cours",
        ),
        (
            vec![
                ("category", category.as_str()),
                (tick.as_str(), anglais.as_str()),
                ("suffix", "_2027"),
                ("shift", "soon"),
            ],
            "en",
            "soon",
        ),
    ] {
        let mut pairs = vec![("csrf", admin.csrf.as_str())];
        pairs.extend(form);
        let (status, html) = page(&app, post(&admin, "/rollover", &pairs, lang)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{words}: {html}");
        assert!(html.contains(words), "{words}: {html}");
    }
    // Without the session's token the form is refused.
    let (status, _) = page(
        &app,
        post(
            &admin,
            "/rollover",
            &[("category", category.as_str()), ("suffix", "_2027")],
            "en",
        ),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    // A visitor who is not logged in never sees it.
    let response = send(&app, common::http::get("/rollover", None)).await;
    assert_ne!(response.status(), StatusCode::OK);
    assert_eq!(site.training_names().await.len(), 3);
}
