//! The README's examples run as the README shows them (issue 10, item 11): every command line
//! of its ```sh blocks, in order, in one fresh directory where `demo` made the demo site, exits
//! as the README says. The lines that cannot run here (a real server, a `config.php`, the test
//! suite itself) are listed below with the reason, so that a new or changed example in the
//! README fails this test until it is listed.

mod common;

use std::path::Path;

use common::{run_in, stderr, stdout};

/// What the test does with one command line of the README.
enum Step {
    /// Runs it; it must exit with this code.
    Exit(i32),
    /// Runs it after copying files into the directory under the names the example uses
    /// (each `from` is relative to the directory, or to the crate when it starts with `/`).
    ExitWith {
        copy: &'static [(&'static str, &'static str)],
        code: i32,
    },
    /// Does not run it, for this reason.
    Skip(&'static str),
}

use Step::{Exit, ExitWith, Skip};

/// The demo's backup of "Licence Chimie S1 2026" (`demo` writes it).
const DEMO_SAVE: &str = "attestoodle-demo-licence-chimie-s1-2026.json";

/// Every command line of README.md's ```sh blocks, in README order (comments and line
/// continuations removed), and what to do with it.
const COMMANDS: &[(&str, Step)] = &[
    ("cargo run --release -- demo", Exit(0)),
    ("cargo test", Skip("runs the test suite, this test included")),
    ("cargo run --release -- list", Exit(0)),
    ("cargo run --release -- list --category UDEMO --json", Exit(0)),
    ("cargo run --release -- --lang fr list", Exit(0)),
    (
        "cargo run --release -- save \"Anglais B2 – session d'automne\" -o anglais.json",
        Exit(0),
    ),
    ("cargo run --release -- verify anglais.json", Exit(0)),
    ("cargo run --release -- restore anglais.json --dry-run", Exit(0)),
    (
        "cargo run --release -- clone anglais.json --suffix _2027 --start 2027-09-01 --yes",
        Exit(0),
    ),
    (
        "bash .ci/run",
        Skip("starts database servers and installs packages"),
    ),
    (
        "attestoodle-backup --moodle-config /var/www/moodle/config.php list",
        Skip("needs a real Moodle config.php"),
    ),
    (
        "attestoodle-backup --db postgres://moodle@db.example.org/moodle --prefix mdl_ list",
        Skip("needs a real PostgreSQL server"),
    ),
    (
        "attestoodle-backup --db mariadb://moodle:secret@127.0.0.1:3306/moodle list",
        Skip("needs a real MariaDB server"),
    ),
    (
        "ATTESTOODLE_DB_PASSWORD=\"$MOODLE_DB_PASS\" attestoodle-backup --moodle-config /var/www/moodle/config.php list",
        Skip("needs a real Moodle config.php"),
    ),
    (
        "attestoodle-backup --moodle-config /var/www/moodle/config.php --db-password-file /root/.moodle-db-pass list",
        Skip("needs a real Moodle config.php"),
    ),
    // `demo` made this site's key: `keys generate` never replaces one without --force (exit
    // 1, README "Keys").
    ("attestoodle-backup keys generate", Exit(1)),
    ("attestoodle-backup keys show [--json]", Exit(0)),
    ("attestoodle-backup keys export -o site-a.pem", Exit(0)),
    ("attestoodle-backup keys trust site-a.pem", Exit(0)),
    ("attestoodle-backup keys list [--json]", Exit(0)),
    // 3f2a9c0d11b2e4f7 stands for the id of an imported key; the demo trusts none: exit 2
    // (README "Keys").
    ("attestoodle-backup keys untrust 3f2a9c0d11b2e4f7", Exit(2)),
    (
        "attestoodle-backup verify training-demo-20261128.json",
        ExitWith {
            copy: &[(DEMO_SAVE, "training-demo-20261128.json")],
            code: 0,
        },
    ),
    (
        "attestoodle-backup verify formation_3.json --json",
        ExitWith {
            copy: &[("/tests/vectors/legacy-simple.json", "formation_3.json")],
            code: 0,
        },
    ),
    (
        "attestoodle-backup verify --openssl-recipe > verify-with-openssl.sh",
        Exit(0),
    ),
    (
        "attestoodle-backup convert formation_3.json -o training-psc1.json [--force] [--json]",
        Exit(0),
    ),
    (
        "attestoodle-backup diff training-2026.json training-2027.json",
        ExitWith {
            copy: &[
                (DEMO_SAVE, "training-2026.json"),
                ("anglais.json", "training-2027.json"),
            ],
            code: 0,
        },
    ),
    (
        "attestoodle-backup diff training.json --site",
        ExitWith {
            copy: &[(DEMO_SAVE, "training.json")],
            code: 0,
        },
    ),
    (
        "attestoodle-backup diff training.json --site \"Licence Chimie S1 2026_2027\"",
        Exit(0),
    ),
    // Two different trainings, and --exit-code: exit 1.
    (
        "attestoodle-backup diff a.json b.json --exit-code --json",
        ExitWith {
            copy: &[(DEMO_SAVE, "a.json"), ("anglais.json", "b.json")],
            code: 1,
        },
    ),
    // The demo's orphan milestone has no same-named activity: a dry run says so, exit 0.
    (
        "attestoodle-backup repair \"Sécurité & Hygiène 2026\" --dry-run",
        Exit(0),
    ),
    // Accepted, the orphan is left as it is and nothing else is broken: exit 0.
    (
        "attestoodle-backup repair --all --yes --accept repair-no-match",
        Exit(0),
    ),
    (
        "attestoodle-backup preview training.json -o certificate.svg",
        ExitWith {
            copy: &[(DEMO_SAVE, "training.json")],
            code: 0,
        },
    ),
    (
        "attestoodle-backup preview training.json --template \"Attestation FC\" -o fc.png",
        Exit(0),
    ),
    (
        "attestoodle-backup preview --site \"Attestation FC\" -o fc-site.svg --json",
        Exit(0),
    ),
    // Not on a terminal and without --yes, a restore only prechecks: exit 4 (README "How it
    // goes").
    (
        "attestoodle-backup restore training.json",
        ExitWith {
            copy: &[(DEMO_SAVE, "training.json")],
            code: 4,
        },
    ),
    ("attestoodle-backup restore training.json --dry-run", Exit(0)),
    // Without --yes, exit 4 again (and `demo` made that clone already).
    ("attestoodle-backup clone training.json --suffix _2027", Exit(4)),
    (
        "attestoodle-backup clone training.json --suffix _2027 --name \"Licence Chimie S1 2027\" --start 2027-09-01 --yes --accept missing-course",
        Exit(0),
    ),
    // README "New academic year".
    (
        "attestoodle-backup save --all --category \"Université Démo\" -o rentree-2026",
        Exit(0),
    ),
    ("attestoodle-backup restore rentree-2026 --dry-run", Exit(0)),
    (
        "attestoodle-backup clone --from-site --category \"Formation continue\" --suffix _2027 --rename-course SEC-INC-101=SEC-INC-101 --rename-course HACCP/2026=HACCP/2026 --shift-dates 364 --yes",
        Exit(0),
    ),
    (
        "attestoodle-backup --lang fr restore rentree-2026 --yes --accept replace-training --all-or-nothing --no-keep-previous",
        Exit(0),
    ),
    ("attestoodle-backup save \"Licence Chimie S1 2026\"", Exit(0)),
    (
        "attestoodle-backup save --id 12 -o chimie.json",
        Skip("12 stands for the id of a training of a real site; the demo's ids are 1 to 6"),
    ),
    ("attestoodle-backup save \"Licence Chimie S1 2026\" -o -", Exit(0)),
    (
        "attestoodle-backup save --all --category UDEMO -o backups",
        Exit(0),
    ),
    // Today's files of UDEMO are there: --force replaces them; nothing is old enough to go.
    (
        "attestoodle-backup save --all -o backups --keep-days 30 --force",
        Exit(0),
    ),
    (
        "attestoodle-backup save \"Licence Chimie S1 2026\" --format legacy",
        Exit(0),
    ),
    (
        "attestoodle-backup save --all --format legacy -o legacy-backups",
        Exit(0),
    ),
    (
        "ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench save",
        Skip("a benchmark on PostgreSQL and MariaDB servers"),
    ),
    (
        "ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench save_all",
        Skip("a benchmark on PostgreSQL and MariaDB servers"),
    ),
    // The restores and clones above were logged.
    ("attestoodle-backup history", Exit(0)),
    (
        "attestoodle-backup history --training \"Licence Chimie S1 2026\" --since 2026-09-01",
        Exit(0),
    ),
    ("attestoodle-backup demo", Exit(0)),
    ("attestoodle-backup serve", Skip("runs a web server until stopped")),
    (
        "attestoodle-backup --moodle-config /var/www/moodle/config.php serve --base-path /attestoodle --https --behind-proxy",
        Skip("needs a real Moodle config.php, and runs a web server"),
    ),
    (
        "cargo build --release",
        Skip("a release build; .ci/run makes it for the package"),
    ),
    (
        "target/release/attestoodle-backup package-assets target/package-assets",
        Skip("needs the release build; tests/install.rs runs package-assets"),
    ),
    (
        "cargo deb --no-build",
        Skip("builds the Debian package; .ci/run does it and checks its contents"),
    ),
    (
        "apt install ./target/debian/attestoodle-backup_0.1.0-1_amd64.deb",
        Skip("installs a package on the machine"),
    ),
    (
        "setfacl -m u:attestoodle-backup:r /var/www/moodle/config.php",
        Skip("changes the permissions of a Moodle server's files"),
    ),
    (
        "setfacl -R -m u:attestoodle-backup:rX -m d:u:attestoodle-backup:rX /var/moodledata/filedir",
        Skip("changes the permissions of a Moodle server's files"),
    ),
    (
        "sudo -u attestoodle-backup attestoodle-backup keys generate",
        Skip("needs the package's system user"),
    ),
    (
        "systemctl enable --now attestoodle-backup",
        Skip("starts a systemd service of the installed package"),
    ),
    (
        "attestoodle-backup save --all -o /var/backups/attestoodle-backup --keep-days 30 --force",
        Skip("writes into /var/backups as the package's user; the same save runs above with -o backups"),
    ),
    (
        "systemctl enable --now attestoodle-backup-save.timer",
        Skip("starts a systemd timer of the installed package"),
    ),
    (
        "systemctl list-timers attestoodle-backup-save.timer",
        Skip("asks systemd about the installed package"),
    ),
    (
        "export ATTESTOODLE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres",
        Skip("sets a variable for the test suite"),
    ),
    (
        "export ATTESTOODLE_TEST_MARIADB_URL=mysql://root@127.0.0.1:3306/test",
        Skip("sets a variable for the test suite"),
    ),
    ("cargo test", Skip("runs the test suite, this test included")),
    (
        "ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres ATTESTOODLE_BENCH_MARIADB_URL=mysql://root@127.0.0.1:3306/test cargo bench --bench restore",
        Skip("a benchmark on PostgreSQL and MariaDB servers"),
    ),
    (
        "ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench rollover",
        Skip("a benchmark on a PostgreSQL server"),
    ),
    (
        "cargo bench --bench load",
        Skip("a benchmark of the web server under load"),
    ),
    (
        "ATTESTOODLE_PLUGIN_LIB=/path/to/tool_save_attestoodle/lib.php cargo test --test save_legacy",
        Skip("needs the PHP plugin's lib.php"),
    ),
    (
        "cargo install cargo-fuzz --locked",
        Skip("installs a cargo subcommand"),
    ),
    ("bash fuzz/run.sh 60", Skip("fuzzes for minutes (CI runs it)")),
    (
        "bash fuzz/run.sh 600 config_php",
        Skip("fuzzes for ten minutes"),
    ),
];

/// The command lines of the ```sh blocks of a Markdown text: continuations joined, comments
/// (a `#` after a space, outside quotes) and repeated spaces removed.
fn sh_lines(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if !in_block {
            in_block = trimmed == "```sh";
            continue;
        }
        if trimmed.starts_with("```") {
            in_block = false;
            continue;
        }
        if let Some(start) = trimmed.strip_suffix('\\') {
            pending.push_str(start);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let command = strip_comment(&std::mem::take(&mut pending));
        let command = command.split_whitespace().collect::<Vec<_>>().join(" ");
        if !command.is_empty() {
            lines.push(command);
        }
    }
    lines
}

fn strip_comment(line: &str) -> String {
    let (mut single, mut double) = (false, false);
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => {
                return line[..index].to_owned()
            }
            _ => {}
        }
        previous = c;
    }
    line.to_owned()
}

/// The words of a command line as a POSIX shell splits them (quotes, no expansions).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let (mut single, mut double) = (false, false);
    for c in line.chars() {
        match c {
            '\'' if !double => {
                single = !single;
                started = true;
            }
            '"' if !single => {
                double = !double;
                started = true;
            }
            c if c.is_whitespace() && !single && !double => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    assert!(!single && !double, "unbalanced quotes in `{line}`");
    if started {
        words.push(word);
    }
    words
}

/// The tool's arguments of a command line: after `cargo run --release --` or
/// `attestoodle-backup`, without the optional `[...]` parts of a synopsis.
fn arguments(line: &str) -> Vec<String> {
    let all = words(line);
    let rest = if all.starts_with(&["cargo", "run", "--release", "--"].map(String::from)) {
        &all[4..]
    } else if all.first().map(String::as_str) == Some("attestoodle-backup") {
        &all[1..]
    } else {
        panic!("`{line}` does not run attestoodle-backup: list it as skipped");
    };
    rest.iter()
        .filter(|w| !(w.starts_with('[') && w.ends_with(']')))
        .cloned()
        .collect()
}

#[test]
fn the_readme_commands_run_in_order_and_exit_as_it_says() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let found = sh_lines(&readme);
    let listed: Vec<&str> = COMMANDS.iter().map(|(line, _)| *line).collect();
    assert_eq!(
        found, listed,
        "the README's ```sh commands changed: list each one in tests/readme.rs"
    );

    let dir = tempfile::tempdir().expect("a fresh directory");
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (line, step) in COMMANDS {
        let code = match step {
            Skip(reason) => {
                eprintln!("skipped `{line}`: {reason}");
                continue;
            }
            Exit(code) => *code,
            ExitWith { copy, code } => {
                for (from, to) in *copy {
                    let source = match from.strip_prefix('/') {
                        Some(path) => crate_dir.join(path),
                        None => dir.path().join(from),
                    };
                    std::fs::copy(&source, dir.path().join(to))
                        .unwrap_or_else(|e| panic!("`{line}`: copy {}: {e}", source.display()));
                }
                *code
            }
        };
        let mut args = arguments(line);
        // `> FILE`: standard output goes to the file, as the shell would send it.
        let redirect = match args.as_slice() {
            [.., arrow, file] if arrow == ">" => Some(file.clone()),
            _ => None,
        };
        if redirect.is_some() {
            args.truncate(args.len() - 2);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run_in(dir.path(), &args);
        if let Some(file) = redirect {
            std::fs::write(dir.path().join(file), &output.stdout).expect("write the redirect");
        }
        assert_eq!(
            output.status.code(),
            Some(code),
            "`{line}`\nstdout:\n{}\nstderr:\n{}",
            stdout(&output),
            stderr(&output)
        );
    }

    // The second `demo` kept its backup, and said so.
    let output = run_in(dir.path(), &["demo"]);
    assert!(
        stdout(&output).contains("is there from an earlier run: kept as it is"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn commands_are_read_as_a_shell_reads_them() {
    assert_eq!(
        sh_lines("text\n```sh\na \\\n  b   # c\n\n'x # y'\n```\n```sh\n```\n"),
        vec!["a b", "'x # y'"]
    );
    assert_eq!(
        words(r#"save "Anglais B2 – session d'automne" -o 'a b'"#),
        vec!["save", "Anglais B2 – session d'automne", "-o", "a b"]
    );
    assert_eq!(
        arguments("attestoodle-backup keys show [--json]"),
        vec!["keys", "show"]
    );
}
