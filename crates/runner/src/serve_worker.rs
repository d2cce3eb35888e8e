//! `loadgen worker`: serves coordinators (`loadgen_fleet::serve`, or dials one with
//! `--connect`), under its own policy; its log lines go to the console.

use crate::{Context, RunError};
use loadgen_console::say;
use loadgen_fleet::policy::WorkerPolicy;
use loadgen_fleet::{WorkerConfig, WorkerHooks};
use std::net::SocketAddr;
use std::path::Path;

/// What `loadgen worker` was asked for, as its flags give it (text not yet parsed).
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings<'a> {
    /// `--listen` for coordinators, or `--connect` to one (pinned by `--coordinator-fingerprint`).
    pub listen: SocketAddr,
    pub connect: Option<&'a str>,
    pub coordinator_fingerprints: &'a [String],
    /// `--allow-target`, `--max-rate`, `--max-duration`: the worker's own limits.
    pub allow_target: &'a [String],
    pub max_rate: Option<&'a str>,
    pub max_duration: Option<&'a str>,
    /// `--secret-file` (else `LOADGEN_SECRET`).
    pub secret_file: Option<&'a Path>,
    /// `--cert` and `--key` (else a certificate made at start).
    pub cert: Option<&'a Path>,
    pub key: Option<&'a Path>,
    /// `--out`: the folder under which each run's results folder is kept.
    pub out: &'a Path,
    /// `--once`: one coordinator session, then return.
    pub once: bool,
}

struct Hooks;

impl WorkerHooks for Hooks {
    fn log(&mut self, line: &str) {
        say!("loadgen worker: {line}");
    }
}

/// The worker's limits from its flags (for the worker and for `check-args`).
pub fn worker_policy(a: &WorkerSettings<'_>) -> Result<WorkerPolicy, RunError> {
    WorkerPolicy::from_flags(a.allow_target, a.max_rate, a.max_duration).map_err(RunError::bad)
}

/// `loadgen worker`: serves until stopped (or after one session with `once`).
pub fn serve_worker(a: &WorkerSettings<'_>) -> Result<(), RunError> {
    let secret =
        loadgen_fleet::auth::Secret::from_file_or_env(a.secret_file).map_err(RunError::bad)?;
    let policy = worker_policy(a)?;
    let identity = crate::coordinate::identity(a.cert, a.key, "loadgen-worker")?;
    let fingerprint = identity.fingerprint();
    let cfg = WorkerConfig {
        identity,
        secret,
        policy,
        results_root: a.out.to_path_buf(),
        once: a.once,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::internal)?;
    rt.block_on(async {
        if let Some(addr) = a.connect {
            let pins = a.coordinator_fingerprints;
            loadgen_fleet::connect_again(addr, pins, &cfg, &mut Hooks).await;
            return Ok(());
        }
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .map_err(|e| RunError::bad(Context::new(format!("listening on {}", a.listen), e)))?;
        let addr = listener.local_addr().map_err(RunError::internal)?;
        say!("loadgen worker listening on {addr}");
        say!("loadgen worker: certificate SHA-256 {fingerprint}");
        loadgen_fleet::serve(listener, cfg, &mut Hooks)
            .await
            .map_err(RunError::internal)
    })
}
