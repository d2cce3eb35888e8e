//! `[thresholds]` checked: each key parsed and its step, workload and custom-metric
//! filters resolved, each expression parsed with its clauses (`over`, `for`, `from`), and
//! the top-level `thresholds_from` given to every threshold without a `from` of its own.

use crate::check::Checker;
use crate::model::ProtocolSpec;
use crate::model::WorkloadSpec;
use crate::raw::{RawScenario, RawThreshold};
use crate::threshold::{parse_full, parse_key, Filter, MetricKind, Threshold};
use crate::units::parse_duration;
use std::time::Duration;

/// Every threshold of `[thresholds]` whose key and expression check out.
pub(super) fn thresholds(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    text: &str,
    workloads: &[WorkloadSpec],
) -> Vec<Threshold> {
    let mut out = Vec::new();
    let default_from = match &raw.thresholds_from {
        None => Duration::ZERO,
        Some(d) => parse_duration(d.get_ref()).unwrap_or_else(|m| {
            c.at(d, "thresholds_from", m);
            Duration::ZERO
        }),
    };
    for (key, list) in &raw.thresholds {
        // Keys carry no span of their own; point at the key's text in the [thresholds] table.
        let key_at = text
            .find("[thresholds]")
            .and_then(|t| text[t..].find(key.as_str()).map(|k| t + k))
            .unwrap_or(list.span().start);
        let field = format!("thresholds.\"{key}\"");
        let (metric, filter) = match resolve_key(raw, key, workloads) {
            Ok(v) => v,
            Err(m) => {
                c.problems.push(c.loc.problem(key_at, field, m));
                continue;
            }
        };
        for item in list.get_ref() {
            let (expr, abort, delay) = match item.get_ref() {
                RawThreshold::Expr(e) => (e.clone(), false, None),
                RawThreshold::Full(f) => (
                    f.threshold.clone(),
                    f.abort_on_fail,
                    f.delay_abort_eval.clone(),
                ),
            };
            let delay = match delay.map(|d| parse_duration(&d)) {
                None => Some(Duration::ZERO),
                Some(Ok(d)) => Some(d),
                Some(Err(m)) => {
                    c.at(item, field.clone(), format!("delay_abort_eval: {m}"));
                    None
                }
            };
            let parsed = parse_full(metric, &filter, &expr).map_err(|e| e.to_string());
            let parsed = parsed.and_then(|p| {
                statuses_kept(p.0, &filter, workloads)?;
                Ok(p)
            });
            match (parsed, delay) {
                (Ok((metric, stat, op, limit, clauses)), Some(delay_abort_eval)) => {
                    out.push(Threshold {
                        key: key.clone(),
                        expression: expr.trim().to_string(),
                        metric,
                        filter: filter.clone(),
                        stat,
                        op,
                        limit,
                        abort_on_fail: abort,
                        delay_abort_eval,
                        window: clauses.window,
                        from: clauses.from.unwrap_or(default_from),
                    })
                }
                (Err(m), _) => c.at(item, field.clone(), m),
                _ => {}
            }
        }
    }
    out
}

/// A threshold key's metric and filter, its step and workload names resolved.
fn resolve_key(
    raw: &RawScenario,
    key: &str,
    workloads: &[WorkloadSpec],
) -> Result<(MetricKind, Filter), String> {
    // A workload with its own mistake was left out of `workloads`, but its steps still exist
    // in the file: names are looked up in what was written, so no second error is invented.
    let written_step = |name: &str| {
        raw.workload.iter().any(|w| {
            w.get_ref()
                .step
                .iter()
                .any(|s| s.get_ref().name.get_ref() == name)
        })
    };
    let written_workload = |name: &str| {
        raw.workload
            .iter()
            .any(|w| w.get_ref().name.get_ref() == name)
    };
    let custom_kind = |name: &str| {
        workloads
            .iter()
            .flat_map(|w| w.custom_metrics())
            .find(|m| m.name == name)
            .map(|m| m.kind)
    };
    let (metric, filter) = parse_key(key, &custom_kind).map_err(|e| e.to_string())?;
    if matches!(metric, MetricKind::Custom(_)) && filter.step.is_some() {
        return Err(
            "custom metrics are kept per workload: filter with {workload=NAME}, not step=".into(),
        );
    }
    if let Some(s) = filter.step.as_ref().filter(|s| !written_step(s)) {
        if !workloads.iter().any(|w| w.protocol.has_step(s)) {
            return Err(format!("no step is named `{s}`"));
        }
    }
    if let Some(wn) = filter.workload.as_ref().filter(|w| !written_workload(w)) {
        if !workloads.iter().any(|w| w.name == *wn) {
            return Err(format!("no workload is named `{wn}`"));
        }
    }
    Ok((metric, filter))
}

/// A `status=` filter counts what the steps keep: the status of every answer that did not
/// succeed. A status a selected step accepts as success (or, for `errors`, as an expected
/// failure) would be missed, so it is refused rather than under-counted; so is a step that
/// keeps no status at all (not HTTP). `latency{status=N}` is kept for every HTTP answer with
/// that status (see `build_plan`), so only a step that is not HTTP is refused for it.
fn statuses_kept(
    metric: MetricKind,
    filter: &Filter,
    workloads: &[WorkloadSpec],
) -> Result<(), String> {
    let Some(status) = filter.status else {
        return Ok(());
    };
    let chosen = |w: &WorkloadSpec| filter.workload.as_ref().is_none_or(|n| *n == w.name);
    for w in workloads.iter().filter(|w| chosen(w)) {
        let http = match &w.protocol {
            ProtocolSpec::Http(h) => Some(h),
            _ => None,
        };
        let Some(h) = http.filter(|_| metric != MetricKind::Latency) else {
            if http.is_some() {
                // Latency per status is kept for every answer with that status.
                continue;
            }
            if filter.step.as_ref().is_none_or(|s| w.protocol.has_step(s)) {
                return Err(format!(
                    "status= counts HTTP statuses, and workload `{}` speaks {}: narrow the key with {{workload=NAME}} or {{step=NAME}}",
                    w.name,
                    w.protocol.name()
                ));
            }
            continue;
        };
        for s in h
            .steps
            .iter()
            .filter(|s| filter.step.as_ref().is_none_or(|n| *n == s.name))
        {
            let e = &s.expect;
            let success = if e.status.is_empty() {
                (200..300).contains(&status)
            } else {
                e.status.contains(&status)
            };
            if success {
                return Err(format!(
                    "status {status} is a success of step `{}`, and statuses are kept only for answers that did not succeed: use {{class=success}}",
                    s.name
                ));
            }
            if metric == MetricKind::Errors && e.expected_failure_status.contains(&status) {
                return Err(format!(
                    "status {status} is an expected failure of step `{}`, not an error: use requests{{status={status}}}",
                    s.name
                ));
            }
        }
    }
    Ok(())
}
