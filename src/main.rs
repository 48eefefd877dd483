//! The `attestoodle-backup` command: parses the command line, runs, and sets the exit code.

fn main() -> std::process::ExitCode {
    attestoodle_backup::cli::main()
}
