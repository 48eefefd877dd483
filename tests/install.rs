//! Installing and running on a Moodle server (issue 15, part 3), through the binary: the
//! configuration file (command line > environment > file > defaults, an unknown key named with
//! its file, exit 2), `save --all --keep-days` (only this tool's old files go), the man pages
//! and completions of the Debian package, and the systemd units (`systemd-analyze verify`, when
//! it is installed). The package itself is built and its contents checked by `.ci/run`.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use common::{binary, run_in, stderr, stdout, tool_command};

/// The crate's directory.
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn write(path: &Path, text: &str) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the directory");
    }
    std::fs::write(path, text).expect("write the file");
    path.to_owned()
}

/// The binary in `dir` with `args`, the environment of the tests plus `env` (an empty value
/// removes the variable).
fn run_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = tool_command(binary(), dir, &dir.join("keys"));
    for (name, value) in env {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    command.args(args).output().expect("run attestoodle-backup")
}

/// Variables to set for one run.
type Env<'a> = &'a [(&'a str, &'a str)];

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

#[test]
fn the_command_line_wins_over_the_environment_which_wins_over_the_file() {
    let dir = tempfile::tempdir().expect("a directory");
    let config = write(
        &dir.path().join("etc/config.toml"),
        "db = \"sqlite://from-file.sqlite\"\n",
    );
    let config = config.to_str().expect("a UTF-8 path");
    let env_db = [("ATTESTOODLE_DB", "sqlite://from-env.sqlite")];
    // None of these databases exists: the message names the one the tool chose.
    let cases: [(Env, &[&str], &str); 4] = [
        (&[], &["--config", config, "list"], "from-file.sqlite"),
        (&env_db, &["--config", config, "list"], "from-env.sqlite"),
        (
            &env_db,
            &[
                "--config",
                config,
                "list",
                "--db",
                "sqlite://from-cli.sqlite",
            ],
            "from-cli.sqlite",
        ),
        // No file (the tests' empty ATTESTOODLE_CONFIG): the default, the demo site.
        (&[], &["list"], "attestoodle-demo.sqlite"),
    ];
    for (env, args, chosen) in cases {
        let output = run_env(dir.path(), env, args);
        assert_eq!(code(&output), Some(2), "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(chosen),
            "{args:?} with {env:?} should use {chosen}: {}",
            stderr(&output)
        );
    }

    // The language: the file says French, the environment English, the command line French.
    write(
        &dir.path().join("etc/config.toml"),
        "db = \"sqlite://from-file.sqlite\"\nlang = \"fr\"\n",
    );
    let french = "n'existe pas";
    let output = run_env(dir.path(), &[], &["--config", config, "list"]);
    assert!(stderr(&output).contains(french), "{}", stderr(&output));
    let env_en = [("ATTESTOODLE_LANG", "en")];
    let output = run_env(dir.path(), &env_en, &["--config", config, "list"]);
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
    let output = run_env(
        dir.path(),
        &env_en,
        &["--config", config, "--lang", "fr", "list"],
    );
    assert!(stderr(&output).contains(french), "{}", stderr(&output));

    // ATTESTOODLE_CONFIG names the file as --config does.
    let output = run_env(dir.path(), &[("ATTESTOODLE_CONFIG", config)], &["list"]);
    assert!(
        stderr(&output).contains("from-file.sqlite"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn paths_of_the_file_are_relative_to_its_directory_and_key_dir_yields_to_the_environment() {
    let dir = tempfile::tempdir().expect("a directory");
    let config = write(
        &dir.path().join("etc/config.toml"),
        "key_dir = \"keys-of-the-file\"\n",
    );
    let config = config.to_str().expect("a UTF-8 path");
    // Without ATTESTOODLE_KEY_DIR, the key goes into key_dir, beside the file.
    let output = run_env(
        dir.path(),
        &[("ATTESTOODLE_KEY_DIR", "")],
        &["--config", config, "keys", "generate", "--json"],
    );
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let expected = dir.path().join("etc/keys-of-the-file/signing-key.pem");
    assert!(expected.is_file(), "{}", stdout(&output));
    // ATTESTOODLE_KEY_DIR wins: that directory has no key yet.
    let output = run_env(dir.path(), &[], &["--config", config, "keys", "show"]);
    assert_eq!(code(&output), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains(&dir.path().join("keys").display().to_string()),
        "{}",
        stderr(&output)
    );
    // `key` of the file, relative to the file, and --key wins over it.
    write(
        &dir.path().join("etc/config.toml"),
        "key = \"keys-of-the-file/signing-key.pem\"\n",
    );
    let output = run_env(
        dir.path(),
        &[],
        &["--config", config, "keys", "show", "--json"],
    );
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("keys-of-the-file/signing-key.pem"),
        "{}",
        stdout(&output)
    );
    let output = run_env(
        dir.path(),
        &[],
        &["--config", config, "keys", "show", "--key", "nowhere.pem"],
    );
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("nowhere.pem"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unknown_key_is_a_usage_error_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().expect("a directory");
    write(&dir.path().join("top.toml"), "# site\ndatabase = \"x\"\n");
    let output = run_in(dir.path(), &["--config", "top.toml", "list"]);
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("unknown key `database`")
            && message.contains("the configuration file top.toml")
            && message.contains("line 2"),
        "{message}"
    );

    write(
        &dir.path().join("serve.toml"),
        "[serve]\nlisten = \"127.0.0.1:8080\"\nbase-path = \"/a\"\n",
    );
    let output = run_in(
        dir.path(),
        &["--lang", "fr", "--config", "serve.toml", "list"],
    );
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("clé inconnue `base-path` dans [serve]")
            && message.contains("serve.toml, ligne 3")
            && message.contains("base_path"),
        "{message}"
    );

    // With --json, the error object says so too.
    let output = run_in(dir.path(), &["--config", "serve.toml", "list", "--json"]);
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON value on stdout");
    assert_eq!(value["error"]["code"], "config");
    assert_eq!(value["error"]["exit"], 2);

    // A value out of range names its key.
    write(&dir.path().join("range.toml"), "statement_timeout = 0\n");
    let output = run_in(dir.path(), &["--config", "range.toml", "list"]);
    assert_eq!(code(&output), Some(2));
    assert!(
        stderr(&output).contains("`statement_timeout`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_config_file_named_but_missing_is_an_error_and_the_default_may_be_missing() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = run_in(dir.path(), &["--config", "absent.toml", "keys", "list"]);
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot read the configuration file")
            && stderr(&output).contains("absent.toml")
            && stderr(&output).contains("no such file"),
        "{}",
        stderr(&output)
    );
    let output = run_env(
        dir.path(),
        &[("ATTESTOODLE_CONFIG", "absent.toml")],
        &["keys", "list"],
    );
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    // Neither --config nor ATTESTOODLE_CONFIG: /etc/attestoodle-backup/config.toml, which
    // this machine does not have (when it has one, this case says nothing).
    if !Path::new("/etc/attestoodle-backup/config.toml").exists() {
        let output = run_env(dir.path(), &[("ATTESTOODLE_CONFIG", "")], &["keys", "list"]);
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    }
}

#[test]
fn the_example_config_of_the_package_is_accepted() {
    let dir = tempfile::tempdir().expect("a directory");
    let example = crate_dir().join("packaging/config.toml");
    let example = example.to_str().expect("a UTF-8 path");
    let output = run_in(dir.path(), &["--config", example, "keys", "list", "--json"]);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Starts `serve` with `args`, reads its first line on stderr, stops it, and gives that line.
fn serve_first_line(dir: &Path, args: &[&str]) -> String {
    let mut child: std::process::Child = tool_command(binary(), dir, &dir.join("keys"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    if let Some(stderr) = child.stderr.take() {
        let _ = BufReader::new(stderr).read_line(&mut line);
    }
    let _ = child.kill();
    let _ = child.wait();
    line
}

#[test]
fn the_serve_table_fills_what_the_command_line_does_not_give() {
    let dir = tempfile::tempdir().expect("a directory");
    let demo = run_in(dir.path(), &["demo"]);
    assert_eq!(code(&demo), Some(0), "{}", stderr(&demo));
    let (from_file, from_cli) = (free_port(), free_port());
    write(
        &dir.path().join("config.toml"),
        &format!(
            "[serve]\nlisten = \"127.0.0.1:{from_file}\"\nbase_path = \"/attestoodle\"\n\
             https = true\nbehind_proxy = true\n"
        ),
    );
    let line = serve_first_line(dir.path(), &["--config", "config.toml", "serve"]);
    assert!(
        line.contains(&format!("on https://127.0.0.1:{from_file}/attestoodle/")),
        "{line}"
    );
    let listen = format!("127.0.0.1:{from_cli}");
    let line = serve_first_line(
        dir.path(),
        &["--config", "config.toml", "serve", "--listen", &listen],
    );
    assert!(
        line.contains(&format!("on https://127.0.0.1:{from_cli}/attestoodle/")),
        "{line}"
    );
}

fn set_age(path: &Path, days: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to set its time");
    let when = SystemTime::now() - Duration::from_secs(days * 86_400);
    file.set_modified(when).expect("set the modification time");
}

#[test]
fn keep_days_removes_only_the_old_files_save_wrote() {
    let dir = tempfile::tempdir().expect("a directory");
    let demo = run_in(dir.path(), &["demo"]);
    assert_eq!(code(&demo), Some(0), "{}", stderr(&demo));
    let output = run_in(dir.path(), &["save", "--all", "-o", "backups"]);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let backups = dir.path().join("backups");
    let today: Vec<PathBuf> = std::fs::read_dir(&backups)
        .expect("the backups")
        .map(|e| e.expect("an entry").path())
        .collect();
    let sample = std::fs::read_to_string(&today[0]).expect("a saved file");
    let output = run_in(
        dir.path(),
        &["save", "--all", "--format", "legacy", "-o", "legacy"],
    );
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let legacy_dir = dir.path().join("legacy");
    let legacy_sample = std::fs::read_dir(&legacy_dir)
        .expect("the legacy backups")
        .next()
        .and_then(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).expect("a legacy file"))
        .expect("one legacy file");

    let old_ours = write(&backups.join("training-licence-20200101.json"), &sample);
    let not_ours = write(&backups.join("training-notes-20200101.json"), "{}\n");
    let other_name = write(&backups.join("licence-20200101.json"), &sample);
    let recent_time = write(&backups.join("training-recent-20200102.json"), &sample);
    let legacy_old = write(
        &backups.join("training-licence-20200101-legacy.json"),
        &legacy_sample,
    );
    for path in [&old_ours, &not_ours, &other_name, &legacy_old] {
        set_age(path, 400);
    }
    let link = backups.join("training-link-20200101.json");
    std::os::unix::fs::symlink(&old_ours, &link).expect("a symbolic link");

    // Today's files exist already: without --force the run fails, and nothing is pruned.
    let output = run_in(
        dir.path(),
        &["save", "--all", "-o", "backups", "--keep-days", "7"],
    );
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert!(old_ours.exists(), "a failing run removed an old backup");
    assert!(
        stderr(&output).contains("no old file was removed"),
        "{}",
        stderr(&output)
    );

    let output = run_in(
        dir.path(),
        &[
            "save",
            "--all",
            "-o",
            "backups",
            "--keep-days",
            "7",
            "--force",
            "--json",
        ],
    );
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        value["pruned"],
        serde_json::json!([old_ours.display().to_string()]),
        "{value}"
    );
    assert!(!old_ours.exists());
    for kept in [&not_ours, &other_name, &recent_time, &legacy_old] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }
    assert!(
        std::fs::symlink_metadata(&link).is_ok(),
        "the link was removed"
    );
    for path in &today {
        assert!(path.exists(), "{} of today was removed", path.display());
    }

    // The legacy format prunes its own files only.
    let output = run_in(
        dir.path(),
        &[
            "--lang",
            "fr",
            "save",
            "--all",
            "--format",
            "legacy",
            "-o",
            "backups",
            "--keep-days",
            "30",
        ],
    );
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert!(!legacy_old.exists());
    assert!(
        stderr(&output).contains("supprimé (plus ancien que 30 jours)"),
        "{}",
        stderr(&output)
    );
    assert!(not_ours.exists() && other_name.exists() && recent_time.exists());

    // --keep-days belongs to save --all -o DIR.
    let output = run_in(dir.path(), &["save", "--all", "--keep-days", "7"]);
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
}

#[test]
fn man_pages_and_completions_are_generated_from_the_command_line() {
    let dir = tempfile::tempdir().expect("a directory");
    let output = run_in(dir.path(), &["package-assets", "assets"]);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let read = |path: &str| {
        std::fs::read_to_string(dir.path().join("assets").join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let main = read("man/attestoodle-backup.1");
    assert!(
        main.starts_with(".ie") || main.contains(".TH attestoodle-backup 1"),
        "{main}"
    );
    assert!(main.contains("attestoodle\\-backup\\-save(1)"), "{main}");
    assert!(main.contains("\\-\\-config"), "{main}");
    assert!(
        !main.contains("package\\-assets"),
        "the hidden command is in the man page"
    );
    assert!(read("man/attestoodle-backup-save.1").contains("\\-\\-keep\\-days"));
    assert!(read("man/attestoodle-backup-keys-trust.1").contains("trust"));
    let bash = read("completions/attestoodle-backup.bash");
    assert!(bash.contains("--keep-days") && bash.contains("complete -F"));
    assert!(read("completions/_attestoodle-backup").starts_with("#compdef attestoodle-backup"));
    assert!(read("completions/attestoodle-backup.fish").contains("complete -c attestoodle-backup"));
    let help = run_in(dir.path(), &["--help"]);
    assert!(
        !stdout(&help).contains("package-assets"),
        "{}",
        stdout(&help)
    );
}

/// The units of the package, and where they come from in the source.
const UNITS: [&str; 3] = [
    "debian/attestoodle-backup.service",
    "packaging/attestoodle-backup-save.service",
    "packaging/attestoodle-backup-save.timer",
];

#[test]
fn the_service_is_hardened_and_reads_only_what_it_must() {
    let unit = std::fs::read_to_string(crate_dir().join(UNITS[0])).expect("the unit");
    let lines: Vec<&str> = unit.lines().collect();
    for directive in [
        "ExecStart=/usr/bin/attestoodle-backup serve",
        "User=attestoodle-backup",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/attestoodle-backup /var/log/attestoodle-backup",
        "ReadOnlyPaths=-/var/www/moodle/config.php -/var/moodledata",
    ] {
        assert!(lines.contains(&directive), "{directive} is not in the unit");
    }
    // The example config points at the same key directory and audit log directory.
    let example = std::fs::read_to_string(crate_dir().join("packaging/config.toml"))
        .expect("the example config");
    assert!(example.contains("key_dir = \"/var/lib/attestoodle-backup\""));
    assert!(example.contains("audit_log = \"/var/log/attestoodle-backup/"));
    let save = std::fs::read_to_string(crate_dir().join(UNITS[1])).expect("the save unit");
    assert!(save.contains("save --all -o /var/backups/attestoodle-backup --keep-days "));
}

#[test]
fn systemd_accepts_the_units() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    }
    // The units name /usr/bin/attestoodle-backup, which systemd checks: point them at the
    // binary under test.
    let dir = tempfile::tempdir().expect("a directory");
    let mut copies = Vec::new();
    for unit in UNITS {
        let text = std::fs::read_to_string(crate_dir().join(unit)).expect("a unit");
        let text = text.replace(
            "/usr/bin/attestoodle-backup",
            binary().to_str().expect("a UTF-8 path"),
        );
        let name = Path::new(unit).file_name().expect("a file name");
        copies.push(write(&dir.path().join(name), &text));
    }
    let output = Command::new(analyze)
        .arg("verify")
        .arg("--man=no")
        .args(&copies)
        .current_dir(dir.path())
        .output()
        .expect("run systemd-analyze");
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    // It warns about unknown directives and bad values without failing.
    assert_eq!(stderr(&output), "", "systemd-analyze has something to say");
}
