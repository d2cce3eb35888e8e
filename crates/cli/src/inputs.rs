//! What the commands read from the command line and the scenario file, with errors that
//! know their exit code: the scenario, durations (checked by `loadgen-runner`, which `run`,
//! `coordinator` and `worker` hand their whole command line).

use crate::{exit, Fail};
use loadgen_runner::RunError;
use loadgen_scenario::Scenario;
use std::path::Path;
use std::time::Duration;

pub use loadgen_runner::{churn_warnings, humantime};

pub fn bad(message: String) -> Fail {
    Fail::bad_input(anyhow::anyhow!(message))
}

pub fn load(file: &Path) -> Result<Scenario, Fail> {
    loadgen_scenario::load(file, &|k| std::env::var(k).ok()).map_err(Fail::bad_input)
}

/// A run's error with its exit code (`?` alone would make every one internal).
pub fn fail(e: RunError) -> Fail {
    let code = match e {
        RunError::BadInput(_) => exit::BAD_INPUT,
        RunError::SetupFailed(_) => exit::THRESHOLDS_FAILED,
        RunError::Internal(_) => exit::INTERNAL,
    };
    Fail {
        code,
        error: e.into(),
    }
}

pub fn flag_duration(flag: &str, v: Option<&str>) -> Result<Option<Duration>, Fail> {
    loadgen_runner::flag_duration(flag, v).map_err(fail)
}
