//! `target`, `[embedded]` and `[http]` checked.

use crate::check::Checker;
use crate::http_defaults::{HttpDefaults, HttpVersionSpec};
use crate::model::{EmbeddedSpec, TargetSpec};
use crate::raw::{RawHttp, RawScenario};

/// How a target URL may start (`target` in a file, `--target` or `TARGET_URL`).
pub const TARGET_SCHEMES: [&str; 4] = ["http://", "https://", "ws://", "wss://"];

pub(super) fn target(c: &mut Checker<'_>, raw: &RawScenario) -> TargetSpec {
    let mut emb = EmbeddedSpec::default();
    if let Some(e) = &raw.embedded {
        if let Some(l) = &e.latency {
            match l.get_ref().parse() {
                Ok(model) => emb.latency = model,
                Err(err) => c.at(l, "embedded.latency", err),
            }
        }
        if let Some(r) = &e.error_rate {
            if !(0.0..=1.0).contains(r.get_ref()) {
                c.at(r, "embedded.error_rate", "must be between 0 and 1");
            }
            emb.error_rate = *r.get_ref();
        }
        if let Some(t) = &e.threads {
            if *t.get_ref() == 0 {
                c.at(t, "embedded.threads", "must be at least 1");
            }
            emb.threads = *t.get_ref() as usize;
        }
        emb.seed = e.seed.unwrap_or(emb.seed);
        if let Some(s) = &e.webhook_secret {
            emb.webhook_secret = Some(loadgen_webhook::Secret::new(s.get_ref().as_str()));
        }
        if let Some(d) = &e.callback_delay {
            emb.callback_delay = c.duration(d, "embedded.callback_delay");
        }
        if let Some(a) = &e.auth {
            match a.get_ref().parse() {
                Ok(mode) => emb.auth.mode = mode,
                Err(err) => c.at(a, "embedded.auth", err),
            }
        }
        if let Some(d) = &e.token_ttl {
            match c.duration(d, "embedded.token_ttl") {
                Some(ttl) if ttl.as_secs() >= 1 => emb.auth.token_ttl = ttl,
                Some(_) => c.at(d, "embedded.token_ttl", "a token lives at least 1s"),
                None => {}
            }
        }
    }
    match &raw.target {
        None => TargetSpec::Embedded(emb),
        Some(t) if t.get_ref() == "embedded" => TargetSpec::Embedded(emb),
        Some(t) if TARGET_SCHEMES.iter().any(|s| t.get_ref().starts_with(s)) => {
            TargetSpec::Url(t.get_ref().clone())
        }
        Some(t) => {
            c.at(
                t,
                "target",
                format!(
                    "`{}` is neither a http(s):// URL nor \"embedded\"",
                    t.get_ref()
                ),
            );
            TargetSpec::Embedded(emb)
        }
    }
}

pub(super) fn http(
    c: &mut Checker<'_>,
    raw: Option<&RawHttp>,
    base_dir: &std::path::Path,
) -> HttpDefaults {
    let mut h = HttpDefaults::default();
    let Some(r) = raw else { return h };
    if let Some(v) = &r.version {
        h.version = match v.get_ref().as_str() {
            "http1" | "http/1.1" | "1.1" => HttpVersionSpec::Http1,
            "http2" | "h2" | "h2c" | "2" => HttpVersionSpec::Http2,
            other => {
                c.at(
                    v,
                    "http.version",
                    format!("unknown version `{other}` (use http1 or http2)"),
                );
                h.version
            }
        };
    }
    h.tls.insecure = r.insecure.unwrap_or(false);
    h.hosts = crate::http_tls::tls_fields(c, r, base_dir, &mut h.tls);
    h.proxy = crate::http_tls::proxy(c, r);
    h.tls_auth = crate::http_tls::tls_auth(c, r, base_dir);
    h.fast_path = r.fast_path.unwrap_or(true);
    h.cookies = r.cookies.unwrap_or(false);
    if let Some(n) = &r.streams_per_connection {
        match usize::try_from(*n.get_ref()) {
            Ok(v @ 1..=1000) if v == 1 || h.version == HttpVersionSpec::Http2 => {
                h.streams_per_connection = v;
            }
            Ok(1..=1000) => c.at(
                n,
                "http.streams_per_connection",
                "VUs share connections only over HTTP/2: set version = \"http2\"".to_owned(),
            ),
            _ => c.at(
                n,
                "http.streams_per_connection",
                format!("{} is not between 1 and 1000", n.get_ref()),
            ),
        }
    }
    if let Some(n) = &r.follow_redirects {
        h.follow_redirects =
            crate::protocol::http::flow::redirects(c, n, "http.follow_redirects").unwrap_or(0);
    }
    if let Some(d) = &r.connect_timeout {
        h.connect_timeout = c
            .duration(d, "http.connect_timeout")
            .unwrap_or(h.connect_timeout);
    }
    if let Some(d) = &r.timeout {
        h.timeout = c.duration(d, "http.timeout").unwrap_or(h.timeout);
    }
    if let Some(d) = &r.max_connection_lifetime {
        h.max_connection_lifetime = c.duration(d, "http.max_connection_lifetime");
        if h.max_connection_lifetime.is_some_and(|l| l.is_zero()) {
            c.at(
                d,
                "http.max_connection_lifetime",
                "must be positive (new_connection_per_iteration = true opens one per iteration)",
            );
        }
    }
    h.headers = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.get_ref().clone()))
        .collect();
    h
}
