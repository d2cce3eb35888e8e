//! WebSocket workloads in scenario files: the `[workload.ws]` table, its checks, and the
//! engine workload it becomes (one VU iteration = one connection's life).
//!
//! ```toml
//! [[workload]]
//! name = "traders"
//! model = "closed"
//! vus = 50
//! duration = "12s"
//!
//!   [workload.ws]
//!   url = "/ws/echo"                    # a path on the target, or ws:// / wss:// URL
//!   hold = "10s"                        # keep each connection this long, then close
//!   on_open = ['{"op":"subscribe","symbols":["AAPL"]}']
//!   send = { message = '{"id":"{{vu}}-{{seq}}"}', every = "100ms" }
//!   latency = { id = "id" }             # or { timestamp = "ts", unit = "ms" }
//!   reconnect = { max = 3, backoff = "100ms", max_backoff = "2s" }
//! ```

use crate::model::{ModelSpec, WorkloadSpec};
use crate::raw::S;
use crate::validate::Checker;
use crate::BuildError;
use loadgen_engine::{Model, Workload};
use loadgen_ws::{json_path, LatencySpec, Periodic, Reconnect, TimeUnit, WsConfig, WsUrl};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// `[workload.ws]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWs {
    url: S<String>,
    hold: S<String>,
    connect_timeout: Option<S<String>>,
    close_timeout: Option<S<String>>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    headers: BTreeMap<String, S<String>>,
    #[serde(default)]
    subprotocols: Vec<String>,
    #[serde(default)]
    source_addrs: Vec<S<String>>,
    #[serde(default)]
    on_open: Vec<S<String>>,
    send: Option<S<RawSend>>,
    reply: Option<S<String>>,
    ping: Option<S<String>>,
    latency: Option<S<RawLatency>>,
    reconnect: Option<S<RawReconnect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSend {
    message: S<String>,
    every: Option<S<String>>,
    rate: Option<S<String>>,
    count: Option<S<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLatency {
    id: Option<S<String>>,
    timestamp: Option<S<String>>,
    unit: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReconnect {
    max: Option<S<u32>>,
    backoff: Option<S<String>>,
    max_backoff: Option<S<String>>,
}

/// A checked `[workload.ws]`.
#[derive(Debug, Clone)]
pub struct WsSpec {
    /// A path on the target (`/ws/echo`) or a full `ws://` / `wss://` URL.
    pub url: String,
    /// Everything else, ready for the ws crate (its `url` is filled in at build time).
    pub config: WsConfig,
}

impl WsSpec {
    /// Stretches or shrinks the hold with its workload's schedule (`--duration`), so a hold
    /// that fitted the schedule still does.
    pub(crate) fn scale_hold(&mut self, old: Duration, new: Duration) {
        if old > Duration::ZERO && new != old {
            let hold = &mut self.config.script.hold;
            *hold = hold.mul_f64(new.as_secs_f64() / old.as_secs_f64());
        }
    }

    /// Source addresses the client sockets are spread over (at least 1 for the port check).
    pub fn source_count(&self) -> u64 {
        self.config.source_addrs.len().max(1) as u64
    }
}

/// Checks `raw`, reporting every problem under `field` (`workload[0].ws`).
pub(crate) fn validate(c: &mut Checker<'_>, raw: &S<RawWs>, field: &str) -> Option<WsSpec> {
    let r = raw.get_ref();
    let f = |name: &str| format!("{field}.{name}");
    let before = c.problems.len();
    let url = r.url.get_ref().clone();
    if !url.starts_with('/') {
        if let Err(e) = WsUrl::parse(&url) {
            c.at(
                &r.url,
                f("url"),
                format!("{e} (or give a path such as \"/ws/echo\")"),
            );
        }
    }
    let hold = c.duration(&r.hold, &f("hold")).unwrap_or_default();
    // The URL is only known at build time; a placeholder carries the rest until then.
    let mut cfg = WsConfig::new(WsUrl::parse("ws://localhost/").expect("literal URL"), hold);
    if let Some(d) = &r.connect_timeout {
        cfg.connect_timeout = c.duration(d, &f("connect_timeout")).unwrap_or_default();
    }
    if let Some(d) = &r.close_timeout {
        cfg.close_timeout = c.duration(d, &f("close_timeout")).unwrap_or_default();
    }
    cfg.tls.insecure = r.insecure;
    cfg.headers = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.get_ref().clone()))
        .collect();
    cfg.subprotocols = r.subprotocols.clone();
    for (k, a) in r.source_addrs.iter().enumerate() {
        match a.get_ref().parse::<IpAddr>() {
            Ok(ip) => cfg.source_addrs.push(ip),
            Err(_) => c.at(
                a,
                f(&format!("source_addrs[{k}]")),
                format!("`{}` is not an IP address", a.get_ref()),
            ),
        }
    }
    let template = |c: &mut Checker<'_>, s: &S<String>, name: String| {
        loadgen_http::Template::parse(s.get_ref())
            .map_err(|e| c.at(s, name, e.to_string()))
            .ok()
    };
    for (k, m) in r.on_open.iter().enumerate() {
        if let Some(t) = template(c, m, f(&format!("on_open[{k}]"))) {
            cfg.script.on_open.push(t);
        }
    }
    if let Some(s) = &r.send {
        let s = s.get_ref();
        let every = match (&s.every, &s.rate) {
            (Some(e), None) => c.duration(e, &f("send.every")),
            (None, Some(rate)) => c.rate(rate, &f("send.rate")).and_then(|per_s| {
                if per_s > 0.0 {
                    Some(Duration::from_secs_f64(1.0 / per_s))
                } else {
                    c.at(rate, f("send.rate"), "must be above 0");
                    None
                }
            }),
            (Some(e), Some(_)) => {
                c.at(e, f("send.every"), "give either every or rate, not both");
                None
            }
            (None, None) => {
                c.at(
                    &s.message,
                    f("send"),
                    "say how often: every = \"100ms\" or rate = \"10/s\" (per connection)",
                );
                None
            }
        };
        if every == Some(Duration::ZERO) {
            if let Some(e) = &s.every {
                c.at(e, f("send.every"), "must be above 0");
            }
        }
        let message = template(c, &s.message, f("send.message"));
        if let (Some(message), Some(every)) = (message, every) {
            cfg.script.periodic = Some(Periodic {
                message,
                every,
                count: s.count.as_ref().map(|n| *n.get_ref()),
            });
        }
    }
    if let Some(m) = &r.reply {
        cfg.script.reply = template(c, m, f("reply"));
    }
    if let Some(p) = &r.ping {
        cfg.script.ping_every = c.duration(p, &f("ping")).filter(|d| !d.is_zero());
    }
    if let Some(l) = &r.latency {
        cfg.latency = latency(c, l, &f("latency"));
    }
    if let Some(rc) = &r.reconnect {
        let rc = rc.get_ref();
        let mut out = Reconnect {
            max: rc.max.as_ref().map_or(3, |m| *m.get_ref()),
            ..Reconnect::default()
        };
        if let Some(b) = &rc.backoff {
            out.backoff = c.duration(b, &f("reconnect.backoff")).unwrap_or_default();
        }
        if let Some(b) = &rc.max_backoff {
            out.max_backoff = c
                .duration(b, &f("reconnect.max_backoff"))
                .unwrap_or_default();
        }
        cfg.reconnect = out;
    }
    (c.problems.len() == before).then_some(WsSpec { url, config: cfg })
}

fn latency(c: &mut Checker<'_>, l: &S<RawLatency>, field: &str) -> LatencySpec {
    let r = l.get_ref();
    match (&r.id, &r.timestamp) {
        (Some(id), None) => {
            if let Some(u) = &r.unit {
                c.at(u, format!("{field}.unit"), "unit goes with timestamp");
            }
            LatencySpec::Correlate {
                id: json_path(id.get_ref()),
            }
        }
        (None, Some(ts)) => {
            let unit = match &r.unit {
                None => TimeUnit::Millis,
                Some(u) => TimeUnit::parse(u.get_ref()).unwrap_or_else(|| {
                    c.at(u, format!("{field}.unit"), "use s, ms, us or ns");
                    TimeUnit::Millis
                }),
            };
            LatencySpec::Timestamp {
                field: json_path(ts.get_ref()),
                unit,
            }
        }
        _ => {
            c.at(
                l,
                field,
                "give id = \"PATH\" (replies carry the id of the message they answer) or timestamp = \"PATH\" (pushes carry their send time)",
            );
            LatencySpec::None
        }
    }
}

/// The engine workload for a WebSocket workload against `base_url` (the resolved target).
pub(crate) fn build(
    sc: &crate::Scenario,
    w: &WorkloadSpec,
    ws: &WsSpec,
    base_url: &str,
    model: Model,
) -> Result<Workload, BuildError> {
    let err = |source| BuildError::Ws {
        workload: w.name.clone(),
        source,
    };
    let url = if ws.url.starts_with('/') {
        WsUrl::parse(base_url).map_err(err)?.with_path(&ws.url)
    } else {
        WsUrl::parse(&ws.url).map_err(err)?
    };
    let mut cfg = ws.config.clone();
    cfg.url = url;
    // `[http]`'s trust and `hosts` apply to `wss://` too; the workload's own `insecure` only
    // loosens them.
    let insecure = cfg.tls.insecure || sc.http.tls.insecure;
    cfg.tls = sc.http.tls_for(&cfg.url.host);
    cfg.tls.insecure = insecure;
    cfg.hosts = sc.http.hosts.clone();
    cfg.proxy = sc
        .http
        .proxy
        .resolve(&cfg.url.host, cfg.url.tls, &crate::build::process_env)
        .map_err(|source| BuildError::Http {
            workload: w.name.clone(),
            source,
        })?;
    let factory = loadgen_ws::WsFactory::new(cfg).map_err(err)?;
    let steps = loadgen_ws::metrics::STEPS
        .iter()
        .map(|s| s.to_string())
        .collect();
    Ok(Workload::new(w.name.clone(), steps, model, factory)
        .starting_at(w.start)
        .with_custom(w.custom_metrics()))
}

/// Most connections a workload may hold at once (one per VU).
pub fn max_connections(w: &WorkloadSpec) -> u64 {
    match &w.model {
        ModelSpec::Open { max_vus, .. } => *max_vus,
        ModelSpec::Closed { stages, .. } => stages.max_vus(),
    }
}

/// True when `w` is a WebSocket workload and `step` one of its steps (`connect`, `session`).
pub(crate) fn has_step(w: &WorkloadSpec, step: &str) -> bool {
    w.ws.is_some() && loadgen_ws::metrics::STEPS.contains(&step)
}

/// A hold longer than the workload's schedule would be cut by the end of the run (after the
/// graceful stop) instead of closed, and its session never reported.
pub(crate) fn check_hold(
    c: &mut Checker<'_>,
    raw: &S<RawWs>,
    ws: &WsSpec,
    model: &ModelSpec,
    field: &str,
) {
    let schedule = model.duration();
    if ws.config.script.hold > schedule {
        c.at(
            &raw.get_ref().hold,
            field,
            format!(
                "longer than the workload's schedule ({schedule:?}): connections would be cut at the end of the run instead of closed; make the workload's duration at least the hold"
            ),
        );
    }
}
