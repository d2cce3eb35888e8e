//! loadgen-runner: the bodies of the commands that send load from this machine. One run of
//! a scenario (`loadgen run`): the scenario (a file or the ad-hoc flags) with the overrides
//! and TLS files of the command line, the embedded demo target and the run-level setup, the
//! machine's limits, the engine, and its intervals into the results stream
//! (`loadgen_report::Stream`: the files, the Prometheus endpoint, the live line, the
//! dashboard, `abort_on_fail`); the verdict's exit code out. A fleet's two sides on top of
//! `loadgen-fleet`: `loadgen coordinator` (its live output, dashboard, `fleet.json` and
//! merged verdict) and `loadgen worker`. Also the checks of flag values several commands
//! share (`flags`: durations, `--target`, `--interval`).
//!
//! It must not know the command-line parser (the binary hands it [`RunSettings`],
//! [`CoordinatorSettings`], [`WorkerSettings`]) and writes no result file itself
//! (`loadgen-report` does); everything it prints goes through `loadgen-console`.

#![forbid(unsafe_code)]

mod coordinate;
mod dashboard;
mod flags;
mod fleet_hooks;
mod parts;
mod run;
mod serve_worker;

pub use coordinate::{check_coordinator_flags, coordinate, CoordinatorSettings};
pub use dashboard::{start_dashboard, DashboardSettings};
pub use flags::{
    check_flags, churn_warnings, flag_duration, humantime, interval_flag, scenario_of_run,
    target_flag, threads_flag,
};
pub use fleet_hooks::{fleet_shape, FleetHooks};
pub use run::run;
pub use serve_worker::{serve_worker, worker_policy, WorkerSettings};

use std::net::SocketAddr;
use std::path::Path;

/// What `loadgen run` was asked for, as its flags give it (text not yet parsed).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunSettings<'a> {
    /// The scenario file; `None`: an ad-hoc run of `url`.
    pub file: Option<&'a Path>,
    /// `--url` of an ad-hoc run.
    pub url: Option<&'a str>,
    /// The other ad-hoc flags (refused beside a file).
    pub adhoc: loadgen_scenario::adhoc::Flags<'a>,
    /// `--cacert`, `--client-cert`, `--client-key`: replace the scenario's TLS files.
    pub cacert: Option<&'a Path>,
    pub client_cert: Option<&'a Path>,
    pub client_key: Option<&'a Path>,
    /// `--target`, `--duration`, `--seed`: override the scenario's.
    pub target: Option<&'a str>,
    pub duration: Option<&'a str>,
    pub seed: Option<u64>,
    /// `--out` (default `results/<scenario>-<timestamp>`) and `--force`.
    pub out: Option<&'a Path>,
    pub force: bool,
    /// `--threads` (default: the number of CPUs).
    pub threads: Option<usize>,
    /// `--arrival-granularity`, `--interval`, `--segment`, `--start-at`.
    pub arrival_granularity: Option<&'a str>,
    pub interval: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub start_at: Option<&'a str>,
    /// `--quiet`, `--json-progress`: the live output.
    pub quiet: bool,
    pub json_progress: bool,
    /// `--metrics-addr`, `--dashboard`: served during the run.
    pub metrics_addr: Option<SocketAddr>,
    pub dashboard: DashboardSettings<'a>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a run did not end with a verdict; each kind has its exit code.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The flags, the scenario or the machine's limits do not allow the run (exit 2).
    #[error(transparent)]
    BadInput(BoxError),
    /// The run-level setup failed, so the load did not start (exit as failed thresholds).
    #[error("{0}")]
    SetupFailed(String),
    /// Anything else (exit 1).
    #[error(transparent)]
    Internal(BoxError),
}

impl RunError {
    pub(crate) fn bad(e: impl Into<BoxError>) -> Self {
        RunError::BadInput(e.into())
    }

    pub(crate) fn internal(e: impl Into<BoxError>) -> Self {
        RunError::Internal(e.into())
    }
}

/// An error with what was being done when it happened: `context` is its text, the error
/// its cause (so `{:#}` prints `context: cause`).
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct Context {
    context: String,
    #[source]
    source: BoxError,
}

impl Context {
    pub(crate) fn new(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Context {
            context: context.into(),
            source: source.into(),
        }
    }
}
