//! `loadgen target`: the embedded demo system on its own.

use crate::args::TargetArgs;
use anyhow::Result;
use loadgen_demo::{LatencyModel, TargetConfig};
use std::io::Write;

pub fn run(a: &TargetArgs) -> Result<()> {
    loadgen_demo::serve_blocking(config(a)?, a.listen, |addr| {
        // Tests read this line to learn the port when listening on port 0.
        crate::say!("loadgen target listening on http://{addr}");
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}

/// The demo's settings from the flags (for the target and for `check-args`).
pub fn config(a: &TargetArgs) -> Result<TargetConfig> {
    let duration = |flag: &str, v: &str| {
        loadgen_scenario::parse_duration(v).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
    };
    Ok(TargetConfig {
        latency: a.latency.parse::<LatencyModel>()?,
        error_rate: a.error_rate,
        seed: a.seed,
        worker_threads: a.threads,
        faults: a.faults.clone(),
        webhook_secret: a.webhook_secret.clone(),
        callback_delay: duration("--callback-delay", &a.callback_delay)?,
        auth: loadgen_demo::AuthPolicy {
            mode: a.auth,
            token_ttl: duration("--token-ttl", &a.token_ttl)?,
            login_limit: a.login_limit,
            session_cookie: a.session_cookie,
        },
    })
}
