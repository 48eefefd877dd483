//! A demo site in a temporary directory for the web and command-line tests that need one: its
//! database, its key directory (`keys/`, shared by the web and the command line so that both
//! trust the same keys and log to the same audit log), the web application on it, and the
//! binary run on it with a clean environment.

use std::path::PathBuf;
use std::process::Output;

use attestoodle_backup::demo;
use attestoodle_backup::moodle::{Site, Target};
use attestoodle_backup::web::{self, AppState, WebConfig};
use axum::Router;

/// A demo site in a temporary directory.
pub struct DemoSite {
    /// The directory: `site.sqlite`, `keys/`, files the test writes.
    pub dir: tempfile::TempDir,
}

impl DemoSite {
    /// Makes the demo site.
    pub async fn new() -> DemoSite {
        let dir = tempfile::tempdir().expect("a temporary directory");
        demo::create_or_open(&dir.path().join("site.sqlite"))
            .await
            .expect("the demo site");
        DemoSite { dir }
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("site.sqlite")
    }

    /// The site's signing key (`keys/signing-key.pem`).
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("keys/signing-key.pem")
    }

    /// Opens the site.
    pub async fn site(&self) -> Site {
        Site::open(&Target::sqlite_file(&self.database(), false))
            .await
            .expect("open the demo site")
    }

    /// The web configuration: the key and trust store in `keys/`.
    pub fn config(&self) -> WebConfig {
        WebConfig::new(self.key_path(), self.dir.path().join("keys/trusted"))
    }

    /// The web application on this site.
    pub async fn app(&self) -> Router {
        web::app(AppState::new(self.site().await, self.config()))
    }

    /// Runs the binary on this site (`--db sqlite://…`), in its directory, keys in `keys/`.
    pub fn run(&self, args: &[&str]) -> Output {
        let db = format!("sqlite://{}", self.database().display());
        let mut full = vec!["--db", db.as_str()];
        full.extend_from_slice(args);
        super::tool_command(
            super::binary(),
            self.dir.path(),
            &self.dir.path().join("keys"),
        )
        .args(&full)
        .output()
        .expect("run attestoodle-backup")
    }

    /// The id of the training named `name`.
    pub async fn training_id(&self, name: &str) -> i64 {
        let site = self.site().await;
        let ids = site.find_trainings_by_name(name).await.expect("read");
        site.close().await;
        *ids.first().unwrap_or_else(|| panic!("no training {name}"))
    }

    /// The names of the trainings.
    pub async fn training_names(&self) -> Vec<String> {
        let site = self.site().await;
        let list = site.list_trainings().await.expect("list");
        site.close().await;
        list.trainings.into_iter().filter_map(|t| t.name).collect()
    }
}
