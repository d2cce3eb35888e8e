//! `loadgen coordinator FILE --workers A,B,…` (one run across workers, one merged results
//! folder, one verdict; a lost worker fails the run with 3) and `loadgen worker` (serves
//! coordinators): their flags handed to `loadgen-runner`, which runs them.

use crate::args::{CoordinatorArgs, WorkerArgs};
use crate::inputs::fail;
use crate::{exit, Fail};
use loadgen_runner::{CoordinatorSettings, WorkerSettings};

pub fn coordinator(a: &CoordinatorArgs) -> Result<u8, Fail> {
    loadgen_runner::coordinate(&coordinator_settings(a)).map_err(fail)
}

pub fn worker(a: &WorkerArgs) -> Result<u8, Fail> {
    loadgen_runner::serve_worker(&worker_settings(a)).map_err(fail)?;
    Ok(exit::PASSED)
}

/// The coordinator's flags as `loadgen-runner` takes them.
pub fn coordinator_settings(a: &CoordinatorArgs) -> CoordinatorSettings<'_> {
    CoordinatorSettings {
        file: &a.file,
        workers: &a.workers,
        expect: a.expect,
        listen: a.listen,
        expect_wait: &a.expect_wait,
        cert: a.cert.as_deref(),
        key: a.key.as_deref(),
        target: a.target.as_deref(),
        duration: a.duration.as_deref(),
        seed: a.seed,
        threads: a.threads,
        worker_fingerprints: &a.worker_fingerprint,
        secret_file: a.secret_file.as_deref(),
        abort_on_worker_loss: a.abort_on_worker_loss,
        out: a.out.as_deref(),
        force: a.force,
        quiet: a.quiet,
        dashboard: crate::dashboard::settings(&a.dashboard),
    }
}

/// The worker's flags as `loadgen-runner` takes them.
pub fn worker_settings(a: &WorkerArgs) -> WorkerSettings<'_> {
    WorkerSettings {
        listen: a.listen,
        connect: a.connect.as_deref(),
        coordinator_fingerprints: &a.coordinator_fingerprint,
        allow_target: &a.allow_target,
        max_rate: a.max_rate.as_deref(),
        max_duration: a.max_duration.as_deref(),
        secret_file: a.secret_file.as_deref(),
        cert: a.cert.as_deref(),
        key: a.key.as_deref(),
        out: &a.out,
        once: a.once,
    }
}
