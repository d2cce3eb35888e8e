//! `loadgen target`: the embedded demo system on its own.

use crate::args::TargetArgs;
use anyhow::Result;
use loadgen_demo::{LatencyModel, TargetConfig};
use std::io::Write;

pub fn run(a: &TargetArgs) -> Result<()> {
    let cfg = TargetConfig {
        latency: a.latency.parse::<LatencyModel>()?,
        error_rate: a.error_rate,
        seed: a.seed,
        worker_threads: a.threads,
        faults: a.faults.clone(),
        webhook_secret: a.webhook_secret.clone(),
        callback_delay: loadgen_scenario::parse_duration(&a.callback_delay)
            .map_err(|e| anyhow::anyhow!("--callback-delay: {e}"))?,
        auth: loadgen_demo::AuthPolicy {
            mode: a.auth,
            token_ttl: loadgen_scenario::parse_duration(&a.token_ttl)
                .map_err(|e| anyhow::anyhow!("--token-ttl: {e}"))?,
            login_limit: a.login_limit,
            session_cookie: a.session_cookie,
        },
    };
    loadgen_demo::serve_blocking(cfg, a.listen, |addr| {
        // Tests read this line to learn the port when listening on port 0.
        crate::say!("loadgen target listening on http://{addr}");
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}
