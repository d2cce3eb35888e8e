//! `loadgen run`: the flags handed to `loadgen-runner`, which runs the scenario and returns
//! the verdict's exit code.

use crate::args::RunArgs;
use crate::Fail;

pub fn run(a: &RunArgs) -> Result<u8, Fail> {
    loadgen_runner::run(&settings(a)).map_err(crate::inputs::fail)
}

/// The flags as `loadgen-runner` takes them.
pub fn settings(a: &RunArgs) -> loadgen_runner::RunSettings<'_> {
    loadgen_runner::RunSettings {
        file: a.file.as_deref(),
        url: a.adhoc.url.as_deref(),
        adhoc: a.adhoc.flags(),
        cacert: a.cacert.as_deref(),
        client_cert: a.client_cert.as_deref(),
        client_key: a.client_key.as_deref(),
        target: a.target.as_deref(),
        duration: a.duration.as_deref(),
        seed: a.seed,
        out: a.out.as_deref(),
        force: a.force,
        threads: a.threads,
        arrival_granularity: a.arrival_granularity.as_deref(),
        interval: a.interval.as_deref(),
        segment: a.segment.as_deref(),
        start_at: a.start_at.as_deref(),
        quiet: a.quiet,
        json_progress: a.json_progress,
        metrics_addr: a.metrics_addr,
        dashboard: crate::dashboard::settings(&a.dashboard),
    }
}
