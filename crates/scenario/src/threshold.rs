//! SLA thresholds in k6's words: `p(95) < 500ms`, `rate < 0.1%`, `rate > 16/s`: the grammar
//! of a threshold's key and expression. Judging one on measured metrics is
//! `loadgen_report::evaluate`'s work.
//!
//! Metrics: `latency` (k6 `http_req_duration`), `service_time`, `ttfb`, `connect`,
//! `tls_handshake` (k6 `http_req_tls_handshaking`), `proxy_connect`, `schedule_lag`,
//! `iteration_duration` (per workload); `errors` (k6 `http_req_failed`); `requests` (k6 `http_reqs`); `checks`;
//! `dropped` (k6 `dropped_iterations`); `iterations`. Filters: `{step=NAME}`,
//! `{workload=NAME}`, `{class=OUTCOME}` and `{status=CODE}` (which metrics take which:
//! [`check_filter`]), comma-separated.
//!
//! An expression may end in clauses (`threshold_span.rs`): `over 5m` (every window of 5
//! minutes must hold), `for 5m` (fails when the condition was broken for 5 minutes on end)
//! and `from 30s` (intervals before that instant are not judged).
//!
//! A release gate must not pass on no evidence: a threshold over zero samples **fails** ("no
//! data"), unlike k6 — a time statistic over no sample, an `errors` or `checks` share over no
//! request, a `dropped` figure over no arrival. Throughput (`requests`, `iterations`) over a
//! run that sent nothing is a measured 0/s.
//!
//! Iterations cut off at the end of the graceful stop (*interrupted*: the target never
//! answered) count as failed requests in every `errors` threshold that selects their workload,
//! in the numerator and the denominator: a stalled target fails `errors rate < 1%` instead of
//! passing it on the few requests that did complete.

pub use crate::threshold_filter::check_filter;
pub use crate::threshold_span::{parse_clauses, Clauses, Window, WindowKind};
pub use crate::threshold_terms::{Filter, MetricKind, Op, Stat, ThresholdError};
use crate::units::{parse_duration, parse_rate, parse_share};
use loadgen_engine::{CustomKind, Outcome};
use std::time::Duration;

/// One parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The key as written (`latency{step=pay}`).
    pub key: String,
    /// The expression as written (`p(95) < 500ms`).
    pub expression: String,
    /// Metric.
    pub metric: MetricKind,
    /// Step/workload filter.
    pub filter: Filter,
    /// Statistic.
    pub stat: Stat,
    /// Operator.
    pub op: Op,
    /// Limit in the metric's unit: milliseconds for time, a 0..1 share for shares, per second
    /// for throughput rates, a number for counts.
    pub limit: f64,
    /// Stop the run as soon as this fails.
    pub abort_on_fail: bool,
    /// Do not judge for abort before this much of the run has passed.
    pub delay_abort_eval: Duration,
    /// Judged on every window of this length (`over`), or on how long it was broken on end
    /// (`for`); `None`: on the whole run.
    pub window: Option<Window>,
    /// Intervals that start before this instant of the run are not judged (warm-up).
    pub from: Duration,
}

/// The metric name of a threshold key (`latency` in `latency{step=a}`).
pub fn key_metric_name(key: &str) -> &str {
    key.split('{').next().unwrap_or(key).trim()
}

/// Parses a threshold key: `metric` or `metric{step=a,workload=b}`. `custom` names the kind
/// of a protocol's custom metric (`ws_message_latency`), `None` for names nobody declared.
pub fn parse_key(
    key: &str,
    custom: &dyn Fn(&str) -> Option<CustomKind>,
) -> Result<(MetricKind, Filter), ThresholdError> {
    let key = key.trim();
    let (name, filters) = match key.split_once('{') {
        Some((n, rest)) => {
            let inner = rest
                .strip_suffix('}')
                .ok_or_else(|| ThresholdError::UnclosedKey(key.to_string()))?;
            (n.trim(), Some(inner))
        }
        None => (key, None),
    };
    let metric = MetricKind::parse(name)
        .or_else(|| custom(name).map(MetricKind::Custom))
        .ok_or_else(|| ThresholdError::UnknownMetric(name.to_string()))?;
    let mut filter = Filter::default();
    for part in filters
        .into_iter()
        .flat_map(|f| f.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| ThresholdError::BadFilter(part.to_string()))?;
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "step" => filter.step = Some(v),
            "workload" | "scenario" => filter.workload = Some(v),
            "class" => {
                filter.class = Some(Outcome::from_name(&v).ok_or(ThresholdError::UnknownClass(v))?);
            }
            "status" => {
                let code = v
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or(ThresholdError::BadStatus(v))?;
                filter.status = Some(code);
            }
            other => return Err(ThresholdError::UnknownFilter(other.to_string())),
        }
    }
    Ok((metric, filter))
}

/// Parses an expression for `metric`: `STAT OP VALUE`. Returns the metric the expression
/// really measures: k6 allows `error_rate < 1%`, `checks > 99%` and `rate > 16/s` under any
/// key (`latency{step=pay}` included), meaning the errors, checks and request rate of the
/// steps the key selects.
pub fn parse_expression(
    metric: MetricKind,
    expr: &str,
) -> Result<(MetricKind, Stat, Op, f64), ThresholdError> {
    let e = expr.trim();
    let op_at = e
        .find(['<', '>', '=', '!'])
        .ok_or_else(|| ThresholdError::NoComparison(e.to_string()))?;
    let (lhs, rest) = e.split_at(op_at);
    let (op, rhs) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .into_iter()
    .find_map(|(s, op)| rest.strip_prefix(s).map(|r| (op, r)))
    .ok_or_else(|| ThresholdError::UnknownOperator(e.to_string()))?;
    let lhs = lhs.trim();
    let rhs = rhs.trim();
    let stat = match lhs {
        "avg" => Stat::Avg,
        "min" => Stat::Min,
        "max" => Stat::Max,
        "med" => Stat::Med,
        "rate" => Stat::Rate,
        "count" => Stat::Count,
        "value" => Stat::Value,
        "error_rate" | "checks" if matches!(metric, MetricKind::Custom(_)) => {
            return Err(ThresholdError::RequestStatOnCustom(lhs.to_string()))
        }
        "error_rate" => {
            return parse_expression(MetricKind::Errors, &format!("rate {}", &e[op_at..]));
        }
        "checks" => return parse_expression(MetricKind::Checks, &format!("rate {}", &e[op_at..])),
        p if p.starts_with("p(") && p.ends_with(')') => {
            let n: f64 = p[2..p.len() - 1]
                .trim()
                .parse()
                .map_err(|_| ThresholdError::PercentileNotANumber(lhs.to_string()))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(ThresholdError::PercentileRange(lhs.to_string()));
            }
            Stat::Percentile(n)
        }
        other => return Err(ThresholdError::UnknownStat(other.to_string())),
    };
    if let MetricKind::Custom(kind) = metric {
        return custom_limit(kind, stat, rhs, lhs).map(|limit| (metric, stat, op, limit));
    }
    if stat == Stat::Value {
        return Err(ThresholdError::GaugesOnly(lhs.to_string()));
    }
    if metric.is_time() && matches!(stat, Stat::Rate | Stat::Count) {
        // Throughput of the selected steps.
        return parse_expression(MetricKind::Requests, e);
    }
    let limit = if metric.is_time() {
        parse_duration(rhs)?.as_secs_f64() * 1e3
    } else {
        match (metric, stat) {
            (_, Stat::Count) => rhs
                .parse::<f64>()
                .map_err(|_| ThresholdError::CountNotANumber(rhs.to_string()))?,
            (MetricKind::Requests | MetricKind::Iterations, Stat::Rate) => parse_rate(rhs)?,
            (_, Stat::Rate) => parse_share(rhs)?,
            _ => return Err(ThresholdError::NotHere(lhs.to_string())),
        }
    };
    Ok((metric, stat, op, limit))
}

/// The limit of a custom-metric threshold, in the unit its kind and statistic measure.
fn custom_limit(kind: CustomKind, stat: Stat, rhs: &str, lhs: &str) -> Result<f64, ThresholdError> {
    let count = || {
        rhs.parse::<f64>()
            .map_err(|_| ThresholdError::CountNotANumber(rhs.to_string()))
    };
    let not_for = |kind, allowed| ThresholdError::NotForKind {
        stat: lhs.to_string(),
        kind,
        allowed,
    };
    match (kind, stat) {
        (_, Stat::Count) if kind != CustomKind::Gauge => count(),
        (CustomKind::Trend, Stat::Rate | Stat::Value) => {
            Err(not_for("trend", "p(N), avg, min, max, med or count"))
        }
        (CustomKind::Trend, _) => Ok(parse_duration(rhs)?.as_secs_f64() * 1e3),
        (CustomKind::Counter, Stat::Rate) => Ok(parse_rate(rhs)?),
        (CustomKind::Counter, _) => Err(not_for("counter", "count or rate")),
        (CustomKind::Rate, Stat::Rate) => Ok(parse_share(rhs)?),
        (CustomKind::Rate, _) => Err(not_for("rate", "rate or count")),
        (CustomKind::Gauge, Stat::Value | Stat::Max | Stat::Min) => count(),
        (CustomKind::Gauge, _) => Err(not_for("gauge", "value, max or min")),
    }
}

/// A whole expression: the comparison, then its clauses (`p(95) < 1s over 5m from 30s`),
/// with the answer filters checked against the metric it resolves to.
pub fn parse_full(
    metric: MetricKind,
    filter: &Filter,
    expr: &str,
) -> Result<(MetricKind, Stat, Op, f64, Clauses), ThresholdError> {
    let (core, clauses) = parse_clauses(expr)?;
    let (metric, stat, op, limit) = parse_expression(metric, core)?;
    if matches!(metric, MetricKind::Custom(_)) && !clauses.is_empty() {
        return Err(ThresholdError::ClauseOnCustom(expr.trim().to_string()));
    }
    check_filter(metric, filter)?;
    Ok((metric, stat, op, limit, clauses))
}

impl Threshold {
    /// One threshold from its key and expression (`latency{step=pay}`, `p(95) < 500ms`),
    /// judged at the end only (no `abort_on_fail`). `custom` names the kinds of the custom
    /// metrics the plan records.
    pub fn parse(
        key: &str,
        expression: &str,
        custom: &dyn Fn(&str) -> Option<CustomKind>,
    ) -> Result<Threshold, ThresholdError> {
        let (metric, filter) = parse_key(key, custom)?;
        let (metric, stat, op, limit, clauses) = parse_full(metric, &filter, expression)?;
        Ok(Threshold {
            key: key.to_string(),
            expression: expression.trim().to_string(),
            metric,
            filter,
            stat,
            op,
            limit,
            abort_on_fail: false,
            delay_abort_eval: Duration::ZERO,
            window: clauses.window,
            from: clauses.from.unwrap_or_default(),
        })
    }

    /// Judged on the whole run from its first interval: the final totals answer it.
    pub fn is_whole_run(&self) -> bool {
        self.window.is_none() && self.from.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_k6_style_expressions() {
        use MetricKind::*;
        let p = |m, e: &str| parse_expression(m, e).unwrap();
        assert_eq!(
            p(Latency, "p(99.9) < 1s"),
            (Latency, Stat::Percentile(99.9), Op::Lt, 1000.0)
        );
        assert_eq!(p(Errors, "rate<0.1%"), (Errors, Stat::Rate, Op::Lt, 0.001));
        assert_eq!(
            p(Requests, "rate > 16/s"),
            (Requests, Stat::Rate, Op::Gt, 16.0)
        );
        // k6 lets these stand under any key: they measure the selected steps.
        assert_eq!(
            p(Latency, "error_rate < 0.1%"),
            (Errors, Stat::Rate, Op::Lt, 0.001)
        );
        assert_eq!(
            p(Latency, "checks > 99%"),
            (Checks, Stat::Rate, Op::Gt, 0.99)
        );
        assert_eq!(
            p(Latency, "rate > 16/s"),
            (Requests, Stat::Rate, Op::Gt, 16.0)
        );
        assert!(parse_expression(Latency, "rate < 1%").is_err());
        assert!(parse_expression(MetricKind::Latency, "p(95) < 500")
            .unwrap_err()
            .to_string()
            .contains("missing unit"));
        assert!(parse_key("latncy", &|_| None)
            .unwrap_err()
            .to_string()
            .contains("unknown metric"));
        assert_eq!(
            parse_key("latency{step=a, workload=b}", &|_| None)
                .unwrap()
                .1,
            Filter {
                step: Some("a".into()),
                workload: Some("b".into()),
                ..Filter::default()
            }
        );
    }

    #[test]
    fn answer_filters_parse_and_go_with_their_metrics() {
        let key = |k: &str| parse_key(k, &|_| None);
        let (m, f) = key("errors{class=connect, step=pay}").unwrap();
        assert_eq!(
            (m, f.class, f.step.as_deref()),
            (MetricKind::Errors, Some(Outcome::Connect), Some("pay"))
        );
        assert_eq!(key("requests{status=429}").unwrap().1.status, Some(429));
        assert!(key("requests{status=700}")
            .unwrap_err()
            .to_string()
            .contains("HTTP status"));
        assert!(key("errors{class=nope}")
            .unwrap_err()
            .to_string()
            .contains("http_5xx"));
        let t = |k: &str, e: &str| Threshold::parse(k, e, &|_| None);
        assert!(t("latency{class=success}", "p(95) < 1s").is_ok());
        assert!(t("errors{class=success}", "rate < 1%")
            .unwrap_err()
            .to_string()
            .contains("not an error"));
        // Latency per status is kept for the statuses thresholds name.
        let by_status = t("latency{status=200}", "p(95) < 1s").unwrap();
        assert_eq!(
            (by_status.metric, by_status.filter.status),
            (MetricKind::Latency, Some(200))
        );
        assert!(t("ttfb{status=200}", "p(95) < 1s")
            .unwrap_err()
            .to_string()
            .contains("errors, requests and latency"));
        assert!(t("ttfb{class=success}", "p(95) < 1s").is_err());
        // `error_rate` under a latency key measures errors: the status filter then fits.
        assert_eq!(
            t("latency{status=503}", "error_rate < 1%").unwrap().metric,
            MetricKind::Errors
        );
    }

    proptest! {
        #[test]
        fn threshold_parsers_never_panic(k in ".*", e in ".*") {
            let _ = parse_key(&k, &|_| Some(CustomKind::Trend));
            for m in [MetricKind::Latency, MetricKind::Errors, MetricKind::Requests] {
                let _ = parse_expression(m, &e);
            }
        }
    }
}
