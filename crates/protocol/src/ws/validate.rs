//! `[workload.ws]` checked: every problem reported under its field (`workload[0].ws.…`).

use super::raw::{RawLatency, RawReconnect, RawSend, RawWs};
use super::spec::WsSpec;
use loadgen_grammar::check::{Checker, S};
use loadgen_ws::{json_path, LatencySpec, Periodic, Reconnect, TimeUnit, WsConfig, WsUrl};
use std::net::IpAddr;
use std::time::Duration;

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
    for (k, m) in r.on_open.iter().enumerate() {
        if let Some(t) = template(c, m, f(&format!("on_open[{k}]"))) {
            cfg.script.on_open.push(t);
        }
    }
    if let Some(s) = &r.send {
        cfg.script.periodic = send(c, s.get_ref(), field);
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
        cfg.reconnect = reconnect(c, rc.get_ref(), field);
    }
    (c.problems.len() == before).then_some(WsSpec { url, config: cfg })
}

/// A message template (`{{vu}}`, `{{seq}}`…), its problem reported under `name`.
fn template(
    c: &mut Checker<'_>,
    s: &S<String>,
    name: String,
) -> Option<loadgen_template::Template> {
    loadgen_template::Template::parse(s.get_ref())
        .map_err(|e| c.at(s, name, e.to_string()))
        .ok()
}

/// `send = { message, every | rate, count }`: a message per connection, periodically.
fn send(c: &mut Checker<'_>, s: &RawSend, field: &str) -> Option<Periodic> {
    let f = |name: &str| format!("{field}.{name}");
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
    Some(Periodic {
        message: message?,
        every: every?,
        count: s.count.as_ref().map(|n| *n.get_ref()),
    })
}

/// `reconnect = { max, backoff, max_backoff }`.
fn reconnect(c: &mut Checker<'_>, rc: &RawReconnect, field: &str) -> Reconnect {
    let f = |name: &str| format!("{field}.{name}");
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
    out
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

/// A hold longer than the workload's schedule would be cut by the end of the run (after the
/// graceful stop) instead of closed, and its session never reported.
pub(crate) fn check_hold(
    c: &mut Checker<'_>,
    raw: &S<RawWs>,
    ws: &WsSpec,
    schedule: std::time::Duration,
    field: &str,
) {
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
