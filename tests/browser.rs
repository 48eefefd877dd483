//! End to end in headless Chromium (issue 6): an administrator logs in, opens a training,
//! downloads its backup, uploads it for a clone, ticks the findings, applies, and sees the new
//! training listed. A screenshot of every page goes to `target/tmp/e2e-screenshots/`.
//!
//! Runs when `ATTESTOODLE_TEST_CHROMEDRIVER` names Debian's `chromedriver`; `.ci/run` installs
//! `chromium` and `chromium-driver` and sets it, so CI always runs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use attestoodle_backup::demo;
use attestoodle_backup::document::keys;
use attestoodle_backup::moodle::{Site, Target};
use attestoodle_backup::web::{self, AppState, WebConfig};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Ends chromedriver however the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

async fn shot(client: &Client, dir: &Path, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
}

/// Waits until the browser shows the page whose title starts with `title` (a click returns
/// before the next page has loaded), and gives its HTML.
async fn page(client: &Client, title: &str) -> Result<String, fantoccini::error::CmdError> {
    let mut html = String::new();
    for _ in 0..100 {
        html = client.source().await?;
        if html.contains(&format!("<title>{title}")) {
            return Ok(html);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no page titled `{title}` after 10 s; the browser shows: {html}");
}

/// Waits for the browser's download to finish and gives the file.
async fn downloaded(dir: &Path) -> PathBuf {
    for _ in 0..100 {
        let done = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "json"));
        if let Some(path) = done {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the backup was not downloaded into {}", dir.display());
}

#[tokio::test]
async fn an_administrator_clones_a_training_in_the_browser() {
    let Some(chromedriver) = std::env::var_os("ATTESTOODLE_TEST_CHROMEDRIVER") else {
        eprintln!("skipped: set ATTESTOODLE_TEST_CHROMEDRIVER to chromedriver (.ci/run does)");
        return;
    };
    let chromium =
        std::env::var("ATTESTOODLE_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let work = tempfile::tempdir().expect("a temporary directory");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    std::fs::create_dir_all(&shots).expect("the screenshot directory");
    let downloads = work.path().join("downloads");
    std::fs::create_dir_all(&downloads).expect("the download directory");

    // The demo site, its signing key, and the web interface on a free loopback port.
    let database = work.path().join("site.sqlite");
    demo::create_or_open(&database)
        .await
        .expect("the demo site");
    let key_path = work.path().join("keys/signing-key.pem");
    keys::write_private_key(&key_path, &keys::generate()).expect("the site's key");
    let site = Site::open(&Target::sqlite_file(&database, false))
        .await
        .expect("open the demo site");
    let config = WebConfig::new(key_path.clone(), work.path().join("keys/trusted"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(web::serve(listener, AppState::new(site, config)));

    let port = free_port();
    let _driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "chromedriver does not answer on port {port}");

    // The flags this machine needs (env: machines/rust-svc.md), and downloads without a prompt.
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,900",
                format!("--user-data-dir={}", work.path().join("profile").display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        },
    });
    let capabilities = capabilities.as_object().cloned().expect("an object");
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    let outcome = flow(&client, &base, &shots, &downloads, &key_path).await;
    let _ = client.close().await;
    outcome.expect("the end-to-end flow");
}

async fn flow(
    client: &Client,
    base: &str,
    shots: &Path,
    downloads: &Path,
    key_path: &Path,
) -> Result<(), fantoccini::error::CmdError> {
    // Log in.
    client.goto(&format!("{base}/login")).await?;
    client
        .find(Locator::Id("username"))
        .await?
        .send_keys(demo::DEMO_ADMIN_USERNAME)
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys(demo::DEMO_ADMIN_PASSWORD)
        .await?;
    shot(client, shots, "1-login").await;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await?
        .click()
        .await?;
    let html = page(client, "Trainings").await?;
    assert!(
        html.contains("Licence Chimie S1 2026"),
        "the trainings after login: {html}"
    );
    shot(client, shots, "2-trainings").await;

    // Open the training and download its backup.
    client
        .find(Locator::LinkText("Licence Chimie S1 2026"))
        .await?
        .click()
        .await?;
    let html = page(client, "Licence Chimie S1 2026").await?;
    assert!(
        html.contains("Quiz : atomes et molécules"),
        "the training page: {html}"
    );
    shot(client, shots, "3-training").await;
    client
        .find(Locator::LinkText("Download backup"))
        .await?
        .click()
        .await?;
    let backup = downloaded(downloads).await;
    let text = std::fs::read_to_string(&backup).expect("read the download");
    assert!(
        text.contains("\"format\": \"attestoodle-training-backup\""),
        "{text}"
    );

    // The site gets a new signing key, as after a key rotation: the file is now signed by a key
    // the site no longer trusts, so the precheck has a finding to tick.
    std::fs::remove_file(key_path).expect("remove the old key");
    keys::write_private_key(key_path, &keys::generate()).expect("a new key");

    // Upload it for a clone onto the _2027 courses, a year later.
    client.goto(&format!("{base}/restore")).await?;
    page(client, "Restore or clone").await?;
    client
        .find(Locator::Id("file"))
        .await?
        .send_keys(&backup.display().to_string())
        .await?;
    client
        .find(Locator::Id("mode-clone"))
        .await?
        .click()
        .await?;
    client
        .find(Locator::Id("suffix"))
        .await?
        .send_keys("_2027")
        .await?;
    let shift = client.find(Locator::Id("shift")).await?;
    shift.clear().await?;
    shift.send_keys("365").await?;
    shot(client, shots, "4-restore-form").await;
    // Submitted from the keyboard (Enter in a field), as an operator without a mouse would.
    client
        .find(Locator::Id("suffix"))
        .await?
        .send_keys("\u{E007}")
        .await?;
    let html = page(client, "Precheck").await?;
    assert!(html.contains("untrusted-signer"), "the precheck: {html}");
    assert!(
        html.contains("Licence Chimie S1 2026_2027"),
        "the precheck: {html}"
    );

    // Tick every finding that needs acceptance, then apply.
    let boxes = client
        .find_all(Locator::Css("input[type=checkbox]"))
        .await?;
    assert!(!boxes.is_empty(), "a finding to tick: {html}");
    for tick in boxes {
        tick.click().await?;
    }
    shot(client, shots, "5-precheck").await;
    client
        .find(Locator::Css("form#apply button[type=submit]"))
        .await?
        .click()
        .await?;
    let html = page(client, "Training created").await?;
    assert!(
        html.contains("Licence Chimie S1 2026_2027"),
        "the result: {html}"
    );
    shot(client, shots, "6-result").await;

    // The new training is listed.
    client.goto(&format!("{base}/")).await?;
    let html = page(client, "Trainings").await?;
    assert!(
        html.contains("Licence Chimie S1 2026_2027"),
        "the list: {html}"
    );
    shot(client, shots, "7-trainings-after").await;
    Ok(())
}
