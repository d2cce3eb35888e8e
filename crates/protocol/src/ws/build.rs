//! A checked `[workload.ws]` → the engine workload (one VU iteration = one connection's life).

use super::spec::WsSpec;
use crate::context::{BuildContext, BuildError};
use loadgen_engine::Workload;
use loadgen_ws::WsUrl;

/// The engine workload for a WebSocket workload against `base_url` (the resolved target).
pub(crate) fn build(ws: &WsSpec, ctx: &BuildContext<'_>) -> Result<Workload, BuildError> {
    let err = |source| BuildError::Ws {
        workload: ctx.workload.to_string(),
        source,
    };
    let base_url = ctx.base_url;
    let http = ctx.http;
    let url = if ws.url.starts_with('/') {
        WsUrl::parse(base_url).map_err(err)?.with_path(&ws.url)
    } else {
        WsUrl::parse(&ws.url).map_err(err)?
    };
    let mut cfg = ws.config.clone();
    cfg.url = url;
    // `[http]`'s trust and `hosts` apply to `wss://` too; the workload's own `insecure` only
    // loosens them.
    let insecure = cfg.tls.insecure || http.tls.insecure;
    cfg.tls = http.tls_for(&cfg.url.host);
    cfg.tls.insecure = insecure;
    cfg.hosts = http.hosts.clone();
    cfg.proxy = http
        .proxy
        .resolve(
            &cfg.url.host,
            cfg.url.tls,
            &crate::http_defaults::process_env,
        )
        .map_err(|source| BuildError::Http {
            workload: ctx.workload.to_string(),
            source,
        })?;
    let factory = loadgen_ws::WsFactory::new(cfg).map_err(err)?;
    let steps = loadgen_ws::metrics::STEPS
        .iter()
        .map(|s| s.to_string())
        .collect();
    Ok(ctx.workload(steps, factory, loadgen_ws::custom_metrics()))
}
