//! Fuzz target: the config.php reader (`moodle::config_php::parse`).
//!
//! Property: a config.php the reader accepts, written back as the plain config.php Moodle's
//! installer writes (single-quoted strings, `array(...)` for the database options and the
//! peppers), reads again as the same configuration; where its database is never panics and is
//! described with the password as `***`, and every refusal is said in both languages.
#![no_main]

use attestoodle_backup::i18n::Lang;
use attestoodle_backup::moodle::config_php::{self, DbType, MoodleConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // As `config_php::read` does with a file's bytes.
    let text = String::from_utf8_lossy(bytes);
    let config = match config_php::parse(&text) {
        Ok(config) => config,
        Err(error) => {
            assert!(!error.localized(Lang::En).is_empty());
            assert!(!error.localized(Lang::Fr).is_empty());
            let _ = error.detail();
            return;
        }
    };
    // Where the database is: its description (messages) and `Debug` never show the password.
    let database = config.database();
    assert_eq!(database.password.expose(), config.dbpass.expose());
    let password = config.dbpass.expose();
    let described = database.description();
    let debugged = format!("{database:?}");
    if !password.is_empty() {
        assert!(
            described.contains(":***@"),
            "the description hides no password: {described}"
        );
        assert!(debugged.contains("***"), "Debug shows no ***: {debugged}");
    }
    let _ = (config.filedir(), format!("{config:?}"));
    let written = write(&config);
    let again = config_php::parse(&written)
        .unwrap_or_else(|e| panic!("the configuration written back is refused: {e}\n{written}"));
    assert_eq!(
        again, config,
        "written back, the configuration reads otherwise:\n{written}"
    );
});

/// A PHP single-quoted string.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The config.php of `config`, as Moodle's installer writes one.
fn write(config: &MoodleConfig) -> String {
    let mut out = String::from("<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n");
    let mut set = |key: &str, value: String| out.push_str(&format!("$CFG->{key} = {value};\n"));
    let dbtype = match config.dbtype {
        DbType::Pgsql => "pgsql",
        DbType::Mariadb => "mariadb",
        DbType::Mysqli => "mysqli",
        DbType::Auroramysql => "auroramysql",
    };
    set("dbtype", quoted(dbtype));
    set("dbhost", quoted(&config.dbhost));
    set("dbname", quoted(&config.dbname));
    set("dbuser", quoted(&config.dbuser));
    set("dbpass", quoted(config.dbpass.expose()));
    if let Some(prefix) = &config.prefix {
        set("prefix", quoted(prefix));
    }
    let mut options = Vec::new();
    if let Some(port) = config.dbport {
        options.push(format!("'dbport' => {port}"));
    }
    match config.dbsocket.as_deref() {
        Some("") => options.push("'dbsocket' => true".to_owned()),
        Some(socket) => options.push(format!("'dbsocket' => {}", quoted(socket))),
        None => {}
    }
    if let Some(schema) = &config.dbschema {
        options.push(format!("'dbschema' => {}", quoted(schema)));
    }
    set("dboptions", format!("array({})", options.join(", ")));
    let path = |p: &std::path::Path| quoted(&p.to_string_lossy());
    if let Some(dataroot) = &config.dataroot {
        set("dataroot", path(dataroot));
    }
    if let Some(filedir) = &config.filedir {
        set("filedir", path(filedir));
    }
    for (key, value) in [
        ("wwwroot", &config.wwwroot),
        ("siteadmins", &config.siteadmins),
        ("sessioncookie", &config.sessioncookie),
        ("session_handler_class", &config.session_handler_class),
    ] {
        if let Some(value) = value {
            set(key, quoted(value));
        }
    }
    if let Some(salt) = &config.passwordsaltmain {
        set("passwordsaltmain", quoted(salt.expose()));
    }
    if !config.passwordpeppers.is_empty() {
        let peppers: Vec<String> = config
            .passwordpeppers
            .iter()
            .enumerate()
            .map(|(n, pepper)| format!("{n} => {}", quoted(pepper.expose())))
            .collect();
        set("passwordpeppers", format!("array({})", peppers.join(", ")));
    }
    out.push_str("require_once(__DIR__ . '/lib/setup.php');\n");
    out
}
