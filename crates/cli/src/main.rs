//! The `loadgen` binary: parses arguments, wires the crates together, maps outcomes to exit
//! codes (0 passed or not judged, 1 internal error, 2 bad input, 3 failed, 130 interrupted).
//! It holds no load-testing logic of its own.

#![forbid(unsafe_code)]

mod args;
mod check_args_cmd;
mod compare_cmd;
mod dashboard;
mod fleet_cmd;
mod folders_cmd;
mod inputs;
mod plan_cmd;
mod run_cmd;
mod target_cmd;

use clap::Parser;
pub(crate) use loadgen_console::{say, say_raw, warn};
use std::process::ExitCode;

/// Exit codes, as documented in the README's table (a new one goes there too; the docs test
/// reads the numbers here). A run's own code comes from its verdict
/// ([`loadgen_report::Verdict::exit_code`]); the assertions keep the two in step.
pub mod exit {
    use loadgen_report::Verdict;
    /// Passed, or not judged (no threshold).
    pub const PASSED: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const THRESHOLDS_FAILED: u8 = 3;
    /// `loadgen report` of a run that did not reach its end: every threshold held on what
    /// ran, but a partial run does not prove the plan.
    pub const PARTIAL: u8 = 4;
    /// Stopped by SIGINT/SIGTERM; only ever reached through a run's verdict.
    #[allow(dead_code)]
    pub const INTERRUPTED: u8 = 130;
    const _: () = assert!(PASSED == Verdict::Passed.exit_code());
    const _: () = assert!(PASSED == Verdict::NotJudged.exit_code());
    const _: () = assert!(THRESHOLDS_FAILED == Verdict::Failed.exit_code());
    const _: () = assert!(INTERRUPTED == Verdict::Interrupted.exit_code());
}

/// An error that already knows its exit code.
#[derive(Debug)]
pub struct Fail {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Fail {
    pub fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Fail {
            code: exit::BAD_INPUT,
            error: error.into(),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail {
            code: exit::INTERNAL,
            error: e.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::PASSED
            });
        }
    };
    let result = match &cli.command {
        args::Command::Run(a) => run_cmd::run(a),
        args::Command::Validate { file } => plan_cmd::validate(file),
        args::Command::Plan(a) => plan_cmd::plan(a),
        args::Command::Compare {
            baseline,
            new,
            fail_if,
            allow_missing,
        } => compare_cmd::run(baseline, new, fail_if, *allow_missing),
        args::Command::Merge(a) => folders_cmd::merge(a),
        args::Command::Report(a) => folders_cmd::report(a),
        args::Command::Worker(a) => fleet_cmd::worker(a),
        args::Command::Coordinator(a) => fleet_cmd::coordinator(a),
        args::Command::CheckArgs { args } => check_args_cmd::run(args),
        args::Command::Import(args::ImportArgs::Har { file }) => loadgen_har::import_file(file)
            .map(|i| {
                use std::io::Write;
                let _ = std::io::stdout().write_all(i.scenario.as_bytes());
                let _ = std::io::stderr().write_all(i.advice().as_bytes());
                exit::PASSED
            })
            .map_err(Fail::bad_input),
        args::Command::Ctl {
            url,
            command,
            token_file,
            fingerprint,
        } => dashboard::ctl(url, token_file.as_deref(), &command.join(" "), fingerprint),
        args::Command::Target(a) => target_cmd::run(a)
            .map(|()| exit::PASSED)
            .map_err(Fail::bad_input),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Fail { code, error }) => {
            // `{:#}` prints the whole cause chain on one line.
            crate::warn!("loadgen: error: {error:#}");
            ExitCode::from(code)
        }
    }
}
