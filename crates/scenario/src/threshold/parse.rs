//! Reading threshold keys (`latency{step=x}`) and expressions (`p(95) < 500ms`).

use super::{Filter, Metric, Op, Stat, Threshold, Unit};
use crate::error::Problems;
use crate::model::WorkloadSpec;
use crate::raw::{RawThresholds, S};
use crate::raw_de::RawThresholdItem;
use crate::tree::push_key;
use crate::units::{parse_duration, parse_number, parse_rate, parse_ratio};
use crate::validate::or_list;
use std::time::Duration;

const METRICS: [(&str, Metric); 16] = [
    ("latency", Metric::Latency),
    ("http_req_duration", Metric::Latency),
    ("service_time", Metric::ServiceTime),
    ("ttfb", Metric::Ttfb),
    ("http_req_waiting", Metric::Ttfb),
    ("connect", Metric::Connect),
    ("http_req_connecting", Metric::Connect),
    ("schedule_lag", Metric::ScheduleLag),
    ("errors", Metric::Errors),
    ("http_req_failed", Metric::Errors),
    ("requests", Metric::Requests),
    ("http_reqs", Metric::Requests),
    ("checks", Metric::Checks),
    ("dropped", Metric::Dropped),
    ("dropped_iterations", Metric::Dropped),
    ("iterations", Metric::Iterations),
];

/// Reads `metric` or `metric{step=NAME,workload=NAME}`.
pub fn parse_key(key: &str) -> Result<(Metric, Filter), String> {
    let key = key.trim();
    let (name, filters) = match key.split_once('{') {
        Some((name, rest)) => match rest.strip_suffix('}') {
            Some(inner) => (name.trim(), Some(inner)),
            None => return Err("unclosed \"{\": write metric{step=NAME}".into()),
        },
        None => (key, None),
    };
    let Some(metric) = METRICS.iter().find(|m| m.0 == name).map(|m| m.1) else {
        let names: Vec<&str> = METRICS
            .iter()
            .filter(|m| !m.0.contains("_req") && m.0 != "dropped_iterations")
            .map(|m| m.0)
            .collect();
        return Err(format!("unknown metric {name:?} (use {})", or_list(&names)));
    };
    let mut filter = Filter::default();
    for part in filters.into_iter().flat_map(|f| f.split(',')) {
        let Some((k, v)) = part.split_once(['=', ':']) else {
            return Err(format!(
                "filter {:?} needs a value: write step=NAME or workload=NAME",
                part.trim()
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        let slot = match k {
            "step" => &mut filter.step,
            "workload" | "scenario" => &mut filter.workload,
            _ => {
                return Err(format!(
                    "unknown filter {k:?} (use step=NAME or workload=NAME)"
                ))
            }
        };
        if v.is_empty() {
            return Err(format!("filter {k:?} needs a name: write {k}=NAME"));
        }
        if slot.replace(v.to_string()).is_some() {
            return Err(format!("filter {k:?} is given twice"));
        }
    }
    if metric.is_per_workload() && filter.step.is_some() {
        return Err(format!(
            "{} is measured per workload: filter it with {{workload=NAME}}, not step",
            metric.name()
        ));
    }
    Ok((metric, filter))
}

/// A parsed expression: statistic, operator, limit (in `unit`), the limit as written.
pub type Expression = (Stat, Op, f64, String, Unit);

/// Reads `STATISTIC OPERATOR VALUE` for `metric`.
pub fn parse_expression(metric: Metric, expr: &str) -> Result<Expression, String> {
    let example = example(metric);
    let Some(i) = expr.find(['<', '>', '=', '!']) else {
        return Err(format!(
            "expected STATISTIC OPERATOR VALUE, such as \"{example}\""
        ));
    };
    let (stat_text, rest) = (expr[..i].trim(), &expr[i..]);
    let (op, len) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .into_iter()
    .find(|(t, _)| rest.starts_with(t))
    .map(|(t, op)| (op, t.len()))
    .ok_or_else(|| "unknown operator (use <, <=, >, >=, == or !=)".to_string())?;
    let value = rest[len..].trim();
    if value.is_empty() {
        return Err(format!(
            "missing value after the operator, such as \"{example}\""
        ));
    }
    let stat = parse_stat(stat_text)?;
    let unit = unit_of(metric, stat).ok_or_else(|| {
        format!(
            "{stat_text:?} does not apply to {} (use {})",
            metric.name(),
            allowed(metric)
        )
    })?;
    let limit = match (unit, metric) {
        (Unit::Millis, _) => parse_duration(value).map(|d| d.as_secs_f64() * 1000.0),
        (Unit::Ratio, _) => parse_ratio(value),
        (Unit::PerSecond, _) => parse_rate(value),
        (Unit::Count, _) => {
            return parse_number(value)
                .map(|n| (stat, op, n, value.to_string(), unit))
                .ok_or_else(|| format!("invalid count {value:?}: expected a number such as 10"))
        }
    }
    .map_err(|e| e.to_string())?;
    Ok((stat, op, limit, value.to_string(), unit))
}

fn parse_stat(s: &str) -> Result<Stat, String> {
    let stat = match s {
        "avg" => Stat::Avg,
        "min" => Stat::Min,
        "max" => Stat::Max,
        "med" => Stat::Med,
        "rate" => Stat::Rate,
        "count" => Stat::Count,
        _ => {
            let n = s
                .strip_prefix("p(")
                .and_then(|r| r.strip_suffix(')'))
                .map(|n| parse_number(n.trim()));
            match n {
                Some(Some(q)) if q <= 100.0 => Stat::Percentile(q),
                Some(_) => {
                    return Err(format!(
                        "invalid percentile {s:?}: write p(N) with N from 0 to 100"
                    ))
                }
                None => {
                    return Err(format!(
                        "unknown statistic {s:?} (use p(N), avg, min, max, med, rate or count)"
                    ))
                }
            }
        }
    };
    Ok(stat)
}

fn unit_of(metric: Metric, stat: Stat) -> Option<Unit> {
    use Metric::*;
    match (metric, stat) {
        (m, Stat::Rate | Stat::Count) if m.is_time() => None,
        (m, _) if m.is_time() => Some(Unit::Millis),
        (Errors | Requests | Dropped | Iterations, Stat::Count) => Some(Unit::Count),
        (Errors | Checks | Dropped, Stat::Rate) => Some(Unit::Ratio),
        (Requests | Iterations, Stat::Rate) => Some(Unit::PerSecond),
        _ => None,
    }
}

fn allowed(metric: Metric) -> &'static str {
    match metric {
        m if m.is_time() => "p(N), avg, min, max or med",
        Metric::Checks => "rate",
        _ => "rate or count",
    }
}

fn example(metric: Metric) -> &'static str {
    match metric {
        m if m.is_time() => "p(95) < 500ms",
        Metric::Errors => "rate < 1%",
        Metric::Requests => "rate > 10/s",
        Metric::Checks => "rate > 99%",
        Metric::Dropped => "count < 1",
        _ => "count > 100",
    }
}

/// Checks that the filter's names exist among `workloads`.
fn check_names(f: &Filter, workloads: &[WorkloadSpec]) -> Result<(), String> {
    let selected: Vec<&WorkloadSpec> = match &f.workload {
        Some(w) => match workloads.iter().find(|x| x.name == *w) {
            Some(x) => vec![x],
            None => {
                let names: Vec<&str> = workloads.iter().map(|x| x.name.as_str()).collect();
                return Err(format!(
                    "no workload named {w:?} (workloads: {})",
                    names.join(", ")
                ));
            }
        },
        None => workloads.iter().collect(),
    };
    let Some(s) = &f.step else { return Ok(()) };
    if selected
        .iter()
        .any(|w| w.steps.iter().any(|st| st.name == *s))
    {
        return Ok(());
    }
    let mut steps: Vec<&str> = Vec::new();
    for st in selected.iter().flat_map(|w| &w.steps) {
        if !steps.contains(&st.name.as_str()) {
            steps.push(&st.name);
        }
    }
    Err(match &f.workload {
        Some(w) => format!(
            "workload {w:?} has no step named {s:?} (its steps: {})",
            steps.join(", ")
        ),
        None => format!("no step named {s:?} (steps: {})", steps.join(", ")),
    })
}

/// Validates `[thresholds]`; names are checked against `workloads` when there are any.
pub(crate) fn thresholds(
    p: &mut Problems,
    raw: &RawThresholds,
    workloads: &[WorkloadSpec],
) -> Option<Vec<Threshold>> {
    let mut out = Some(Vec::new());
    for (key, items) in &raw.get_ref().0 {
        let mut kpath = "thresholds".to_string();
        push_key(&mut kpath, key.get_ref());
        let parsed = parse_key(key.get_ref())
            .and_then(|(m, f)| match workloads {
                [] => Ok((m, f)),
                ws => check_names(&f, ws).map(|_| (m, f)),
            })
            .map_err(|e| p.at(key.span(), &kpath, e))
            .ok();
        if items.get_ref().is_empty() {
            p.at(
                items.span(),
                &kpath,
                "give at least one expression, such as [\"p(95) < 500ms\"]",
            );
        }
        for (j, item) in items.get_ref().iter().enumerate() {
            let t = threshold(
                p,
                key.get_ref(),
                parsed.as_ref(),
                item,
                &format!("{kpath}[{j}]"),
            );
            out = match (out, t) {
                (Some(mut v), Some(t)) => {
                    v.push(t);
                    Some(v)
                }
                _ => None,
            };
        }
    }
    out
}

fn threshold(
    p: &mut Problems,
    key: &str,
    parsed: Option<&(Metric, Filter)>,
    item: &S<RawThresholdItem>,
    path: &str,
) -> Option<Threshold> {
    let (expr, span, path, abort_on_fail, delay) = match item.get_ref() {
        RawThresholdItem::Expr(e) => (
            e,
            item.span(),
            path.to_string(),
            false,
            Some(Duration::ZERO),
        ),
        RawThresholdItem::Full(f) => {
            let delay = match &f.delay_abort_eval {
                Some(d) => crate::validate::duration(p, d, &format!("{path}.delay_abort_eval")),
                None => Some(Duration::ZERO),
            };
            let Some(t) = &f.threshold else {
                p.at(
                    item.span(),
                    format!("{path}.threshold"),
                    "missing: write threshold = \"p(95) < 500ms\"",
                );
                return None;
            };
            (
                t.get_ref(),
                t.span(),
                format!("{path}.threshold"),
                f.abort_on_fail,
                delay,
            )
        }
    };
    // Without a valid key the metric is unknown; the key's problem is already recorded.
    let (metric, filter) = parsed?;
    let (stat, op, limit, limit_text, unit) = parse_expression(*metric, expr)
        .map_err(|e| p.at(span, &path, e))
        .ok()?;
    Some(Threshold {
        key: key.to_string(),
        expression: expr.clone(),
        metric: *metric,
        filter: filter.clone(),
        stat,
        op,
        limit,
        limit_text,
        unit,
        abort_on_fail,
        delay_abort_eval: delay?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            parse_key("errors").unwrap(),
            (Metric::Errors, Filter::default())
        );
        let (m, f) = parse_key("http_req_duration{ step:pay , workload = w }").unwrap();
        assert_eq!(m, Metric::Latency);
        assert_eq!(f.step.as_deref(), Some("pay"));
        assert_eq!(f.workload.as_deref(), Some("w"));
        assert_eq!(
            parse_key("latncy").unwrap_err(),
            "unknown metric \"latncy\" (use latency, service_time, ttfb, connect, schedule_lag, errors, requests, checks, dropped or iterations)"
        );
        assert!(parse_key("dropped{step=x}")
            .unwrap_err()
            .contains("per workload"));
        assert!(parse_key("latency{status=200}")
            .unwrap_err()
            .starts_with("unknown filter"));
        assert!(parse_key("latency{step=a")
            .unwrap_err()
            .starts_with("unclosed"));
    }

    #[test]
    fn expressions() {
        let e = |m, s| parse_expression(m, s);
        assert_eq!(
            e(Metric::Latency, "p(95) < 500ms").unwrap(),
            (
                Stat::Percentile(95.0),
                Op::Lt,
                500.0,
                "500ms".into(),
                Unit::Millis
            )
        );
        assert_eq!(e(Metric::Latency, "p(99.9)<=1s").unwrap().2, 1000.0);
        assert_eq!(e(Metric::Errors, "rate < 0.1%").unwrap().2, 0.001);
        assert_eq!(
            e(Metric::Requests, "rate > 16/s").unwrap().4,
            Unit::PerSecond
        );
        assert_eq!(e(Metric::Checks, "rate > 99%").unwrap().2, 0.99);
        assert_eq!(e(Metric::Dropped, "count < 1").unwrap().1, Op::Lt);
        assert_eq!(e(Metric::Iterations, "rate >= 5/s").unwrap().1, Op::Ge);
        assert_eq!(
            e(Metric::Latency, "rate < 5").unwrap_err(),
            "\"rate\" does not apply to latency (use p(N), avg, min, max or med)"
        );
        assert_eq!(
            e(Metric::Latency, "p(95) < 500").unwrap_err(),
            "invalid duration \"500\": missing unit: write 500ms or 2s"
        );
        assert!(e(Metric::Latency, "p(95) = 5ms")
            .unwrap_err()
            .starts_with("unknown operator"));
        assert!(e(Metric::Latency, "p(101) < 5ms")
            .unwrap_err()
            .starts_with("invalid percentile"));
        assert!(e(Metric::Latency, "p95 < 5ms")
            .unwrap_err()
            .starts_with("unknown statistic"));
        assert!(e(Metric::Errors, "rate")
            .unwrap_err()
            .starts_with("expected STATISTIC"));
    }
}
