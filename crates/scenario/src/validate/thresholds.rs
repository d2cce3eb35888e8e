//! `[thresholds]` checked: each key parsed and its step, workload and custom-metric
//! filters resolved, each expression parsed.

use crate::check::Checker;
use crate::model::WorkloadSpec;
use crate::raw::{RawScenario, RawThreshold};
use crate::threshold::{parse_expression, parse_key, Filter, MetricKind, Threshold};
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
            match (parse_expression(metric, &expr), delay) {
                (Ok((metric, stat, op, limit)), Some(delay_abort_eval)) => out.push(Threshold {
                    key: key.clone(),
                    expression: expr.trim().to_string(),
                    metric,
                    filter: filter.clone(),
                    stat,
                    op,
                    limit,
                    abort_on_fail: abort,
                    delay_abort_eval,
                }),
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
