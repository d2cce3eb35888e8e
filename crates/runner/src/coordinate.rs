//! `loadgen coordinator`: one run across workers (`loadgen_fleet::coordinate`), its live
//! output and dashboard, `fleet.json`, the merged results folder judged, the verdict's exit
//! code out (a lost worker fails the run).

use crate::flags::{env, flag_duration, target_flag};
use crate::{DashboardSettings, FleetHooks, RunError};
use loadgen_console::say;
use loadgen_fleet::tls::Identity;
use loadgen_fleet::{CoordinatorConfig, FleetError, Overrides};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What `loadgen coordinator` was asked for, as its flags give it (text not yet parsed).
#[derive(Debug, Clone, Copy)]
pub struct CoordinatorSettings<'a> {
    /// The scenario file; `${VAR}` are expanded here and workers receive the result.
    pub file: &'a Path,
    /// `--workers` to dial, or `--expect` N to wait for on `--listen` (for `--expect-wait`),
    /// presenting `--cert` and `--key` (else a certificate made at start).
    pub workers: &'a [String],
    pub expect: Option<usize>,
    pub listen: SocketAddr,
    pub expect_wait: &'a str,
    pub cert: Option<&'a Path>,
    pub key: Option<&'a Path>,
    /// `--target`, `--duration`, `--seed`: override the scenario's.
    pub target: Option<&'a str>,
    pub duration: Option<&'a str>,
    pub seed: Option<u64>,
    /// `--threads` on each worker (default: the worker's CPUs).
    pub threads: Option<usize>,
    /// `--worker-fingerprint`: the worker certificates accepted (none: trust on first use).
    pub worker_fingerprints: &'a [String],
    /// `--secret-file` (else `LOADGEN_SECRET`).
    pub secret_file: Option<&'a Path>,
    pub abort_on_worker_loss: bool,
    /// `--out` (default `results/<scenario>-<timestamp>`) and `--force`.
    pub out: Option<&'a Path>,
    pub force: bool,
    pub quiet: bool,
    pub dashboard: DashboardSettings<'a>,
}

/// `--duration` and `--expect-wait`, parsed (for the run and for `check-args`).
fn durations(a: &CoordinatorSettings<'_>) -> Result<(Option<Duration>, Duration), RunError> {
    let duration = flag_duration("--duration", a.duration)?;
    let wait = flag_duration("--expect-wait", Some(a.expect_wait))?.unwrap_or_default();
    Ok((duration, wait))
}

/// `loadgen check-args coordinator …`: the values the coordinator parses after the parser.
pub fn check_coordinator_flags(a: &CoordinatorSettings<'_>) -> Result<(), RunError> {
    durations(a).map(drop)
}

/// `loadgen coordinator`: runs what `a` asks for and returns the verdict's exit code.
pub fn coordinate(a: &CoordinatorSettings<'_>) -> Result<u8, RunError> {
    let secret =
        loadgen_fleet::auth::Secret::from_file_or_env(a.secret_file).map_err(RunError::bad)?;
    // Read once: the scenario, the text workers receive and the results folder's copy are
    // all this text.
    let (raw, expanded, mut sc) =
        loadgen_fleet::read_scenario(a.file, &env).map_err(RunError::bad)?;
    let (duration, wait) = durations(a)?;
    sc.apply_overrides(duration, a.seed, target_flag(a.target)?);
    let out = a
        .out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| loadgen_report::out_dir::default_out(&sc.name));
    loadgen_report::out_dir::prepare(&out, a.force).map_err(RunError::bad)?;
    let expect = match a.expect {
        Some(count) => Some(expect(a, count, wait)?),
        None => None,
    };
    say!(
        "loadgen coordinator: `{}` across {} worker(s); results in {}",
        sc.name,
        a.expect.unwrap_or(a.workers.len()),
        out.display()
    );
    let control = loadgen_engine::RunControl::new();
    let interrupted = loadgen_console::watch_signals(control.clone());
    let cfg = CoordinatorConfig {
        scenario_text: expanded,
        raw_scenario: raw,
        out: out.clone(),
        scenario: sc.clone(),
        overrides: Overrides {
            duration: a.duration.map(str::to_string),
            seed: a.seed,
        },
        target: a.target.map(str::to_string),
        workers: a.workers.to_vec(),
        pins: a.worker_fingerprints.to_vec(),
        secret,
        threads: a.threads,
        abort_on_worker_loss: a.abort_on_worker_loss,
        expect,
        control: control.clone(),
    };
    if a.expect.is_none() && a.worker_fingerprints.is_empty() {
        say!(
            "loadgen coordinator: trusting worker certificates on first use (the shared secret proves \
             each worker; pin certificates with --worker-fingerprint)"
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::internal)?;
    let dashboard = match a.dashboard.addr {
        Some(_) => {
            let shape = crate::fleet_shape(&sc, a.target)?;
            crate::start_dashboard(&a.dashboard, &control, shape, "loadgen coordinator")?
        }
        None => None,
    };
    let cpu0 = loadgen_report::cpu_seconds();
    let mut hooks = FleetHooks {
        quiet: a.quiet,
        dashboard,
    };
    let done = rt
        .block_on(loadgen_fleet::coordinate(cfg, &mut hooks))
        .map_err(RunError::bad)?;
    let cpu = loadgen_report::cpu_seconds() - cpu0;
    loadgen_report::out_file::write_atomic(&out.join("fleet.json"), done.fleet_json(cpu))
        .map_err(RunError::internal)?;
    // What the fleet did comes first, so that the verdict is the last word (and the only one).
    for line in done.fleet_lines(cpu) {
        say!("{line}");
    }
    let interrupted = interrupted.load(Ordering::SeqCst) || control.stopped_by_hand();
    let finished = done.finish_folder(&sc, interrupted);
    let verdict = finished.as_ref().ok().map(|f| f.summary.verdict_line());
    hooks.close(verdict.as_deref());
    let finished = finished.map_err(RunError::internal)?;
    loadgen_console::summary(&finished.summary, a.quiet);
    say!("results: {}", out.display());
    Ok(finished.code)
}

/// `--expect N`: the listener workers dial, and the certificate presented to them.
fn expect(
    a: &CoordinatorSettings<'_>,
    count: usize,
    wait: Duration,
) -> Result<loadgen_fleet::Expect, RunError> {
    let identity = identity(a.cert, a.key, "loadgen-coordinator")?;
    let listener = std::net::TcpListener::bind(a.listen)
        .map_err(|e| RunError::bad(format!("--listen {}: {e}", a.listen)))?;
    let addr = listener.local_addr().map_err(RunError::internal)?;
    say!("loadgen coordinator listening on {addr}");
    say!(
        "loadgen coordinator: certificate SHA-256 {}",
        identity.fingerprint()
    );
    Ok(loadgen_fleet::Expect {
        listener,
        count,
        identity,
        wait,
    })
}

/// The certificate to present: files that do not hold one are bad input; a certificate that
/// cannot be made is an internal error.
pub(crate) fn identity(
    cert: Option<&Path>,
    key: Option<&Path>,
    name: &str,
) -> Result<Identity, RunError> {
    Identity::from_pem_or_generate(cert, key, name).map_err(|e| match e {
        e @ FleetError::BadFile { .. } => RunError::bad(e),
        e => RunError::internal(e),
    })
}
