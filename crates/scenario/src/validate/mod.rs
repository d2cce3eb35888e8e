//! Raw → validated: checks every field of a [`RawScenario`], collecting every problem, and
//! builds the [`Scenario`] when there are none.

mod fields;
mod schedule;
mod step;
mod workload;

pub(crate) use fields::{duration, or_list};

use crate::error::Problems;
use crate::model::{HttpDefaults, HttpVersion, Scenario, Target};
use crate::raw::{RawHttp, RawScenario, S};
use crate::threshold;
use std::time::Duration;

const DEFAULT_SEED: u64 = 1;
const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(5);

/// The scenario, or `None` with the reasons recorded in `p`.
pub(crate) fn scenario(raw: &RawScenario, p: &mut Problems) -> Option<Scenario> {
    let top = 0..0;
    let name = fields::required(
        p,
        &raw.name,
        top.clone(),
        "name",
        "every scenario needs a name",
    )
    .and_then(|v| fields::name(p, v, "name"));
    let target = fields::required(
        p,
        &raw.target,
        top.clone(),
        "target",
        "write target = \"embedded\" or target = \"https://...\"",
    )
    .and_then(|v| {
        Target::parse(v.get_ref())
            .map_err(|e| p.at(v.span(), "target", e))
            .ok()
    });
    let duration = match &raw.duration {
        Some(_) => {
            fields::positive_duration_or(p, &raw.duration, "duration", Duration::ZERO).map(Some)
        }
        None => Some(None),
    };
    let seed = match &raw.seed {
        Some(v) => fields::count(p, v, "seed", 0),
        None => Some(DEFAULT_SEED),
    };
    let graceful_stop = fields::duration_or(
        p,
        &raw.graceful_stop,
        "graceful_stop",
        DEFAULT_GRACEFUL_STOP,
    );
    let http = match &raw.http {
        Some(h) => http(p, h),
        None => Some(HttpDefaults::default()),
    };

    if raw.workload.is_empty() {
        p.at(
            top,
            "workload",
            "missing: at least one [[workload]] is needed",
        );
    }
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut workloads = Vec::new();
    for (i, w) in raw.workload.iter().enumerate() {
        let path = format!("workload[{i}]");
        if let Some(n) = &w.get_ref().name {
            if let Some((_, j)) = names.iter().find(|(m, _)| m == n.get_ref()) {
                p.at(
                    n.span(),
                    format!("{path}.name"),
                    format!(
                        "duplicate workload name {:?} (also workload[{j}])",
                        n.get_ref()
                    ),
                );
            } else {
                names.push((n.get_ref(), i));
            }
        }
        workloads.push(workload::workload(p, w, &path, duration));
    }
    let workloads: Option<Vec<_>> = workloads.into_iter().collect();

    let thresholds = match (&raw.thresholds, &workloads) {
        (Some(t), Some(ws)) => threshold::parse::thresholds(p, t, ws),
        (Some(t), None) => {
            // Check the expressions anyway; name checks need valid workloads.
            threshold::parse::thresholds(p, t, &[]);
            None
        }
        (None, _) => Some(Vec::new()),
    };

    if !p.is_empty() {
        return None;
    }
    let workloads = workloads?;
    let duration = workloads.iter().map(|w| w.end()).max().unwrap_or_default();
    Some(Scenario {
        name: name?,
        description: raw.description.as_ref().map(|d| d.get_ref().clone()),
        target: target?,
        duration,
        seed: seed?,
        graceful_stop: graceful_stop?,
        http: http?,
        workloads,
        thresholds: thresholds?,
    })
}

fn http(p: &mut Problems, h: &S<RawHttp>) -> Option<HttpDefaults> {
    let raw = h.get_ref();
    let d = HttpDefaults::default();
    let version = match &raw.version {
        Some(v) => fields::choice(
            p,
            v,
            "http.version",
            "HTTP version",
            &[("http1", HttpVersion::Http1), ("http2", HttpVersion::Http2)],
        ),
        None => Some(d.version),
    };
    let connect_timeout = fields::positive_duration_or(
        p,
        &raw.connect_timeout,
        "http.connect_timeout",
        d.connect_timeout,
    );
    let timeout = fields::positive_duration_or(p, &raw.timeout, "http.timeout", d.timeout);
    let headers = raw
        .headers
        .as_ref()
        .map(|hs| fields::headers(p, hs.get_ref(), "http.headers"))
        .unwrap_or_default();
    Some(HttpDefaults {
        version: version?,
        insecure: raw.insecure.unwrap_or(false),
        connect_timeout: connect_timeout?,
        timeout: timeout?,
        headers,
    })
}
