//! `loadgen worker`: serves coordinators (see `loadgen_fleet::worker`, which writes each
//! segment's full results folder as its intervals come).

use crate::args::WorkerArgs;
use crate::inputs::bad;
use crate::Fail;
use anyhow::Context;
use loadgen_fleet::policy::WorkerPolicy;
use loadgen_fleet::tls::Identity;
use loadgen_fleet::WorkerHooks;
use std::path::Path;

struct Hooks;

impl WorkerHooks for Hooks {
    fn log(&mut self, line: &str) {
        crate::say!("loadgen worker: {line}");
    }
}

pub fn secret(file: Option<&Path>) -> Result<loadgen_fleet::auth::Secret, Fail> {
    loadgen_fleet::auth::Secret::resolve(file, std::env::var("LOADGEN_SECRET").ok())
        .map_err(Fail::bad_input)
}

/// The certificate to present: `cert` and `key` when given, else a fresh one for `name`.
pub fn identity(cert: Option<&Path>, key: Option<&Path>, name: &str) -> Result<Identity, Fail> {
    match (cert, key) {
        (Some(c), Some(k)) => Identity::from_pem(c, k).map_err(Fail::bad_input),
        _ => Ok(Identity::generate(&[name.to_string()])?),
    }
}

pub fn run(a: &WorkerArgs) -> Result<u8, Fail> {
    let secret = secret(a.secret_file.as_deref())?;
    let policy = WorkerPolicy::from_flags(
        &a.allow_target,
        a.max_rate.as_deref(),
        a.max_duration.as_deref(),
    )
    .map_err(bad)?;
    let identity = identity(a.cert.as_deref(), a.key.as_deref(), "loadgen-worker")?;
    let fingerprint = identity.fingerprint();
    let cfg = loadgen_fleet::WorkerConfig {
        identity,
        secret,
        policy,
        results_root: a.out.clone(),
        once: a.once,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        if let Some(addr) = &a.connect {
            let pins = &a.coordinator_fingerprint;
            loadgen_fleet::connect_again(addr, pins, &cfg, &mut Hooks).await;
            return Ok(crate::exit::PASSED);
        }
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))
            .map_err(Fail::bad_input)?;
        crate::say!("loadgen worker listening on {}", listener.local_addr()?);
        crate::say!("loadgen worker: certificate SHA-256 {fingerprint}");
        loadgen_fleet::serve(listener, cfg, &mut Hooks).await?;
        Ok::<_, Fail>(crate::exit::PASSED)
    })
}
