//! SLA thresholds in k6's words: `p(95) < 500ms`, `rate < 0.1%`, `rate > 16/s`, evaluated on
//! merged histograms and counters.
//!
//! Metrics: `latency` (k6 `http_req_duration`), `service_time`, `ttfb`, `connect`,
//! `schedule_lag`; `errors` (k6 `http_req_failed`); `requests` (k6 `http_reqs`); `checks`;
//! `dropped` (k6 `dropped_iterations`); `iterations`. Filters: `{step=NAME}`,
//! `{workload=NAME}`, comma-separated.
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

use crate::units::{parse_duration, parse_rate, parse_share, UnitError};
use loadgen_engine::{
    new_histogram, CustomInfo, CustomKind, CustomValue, GaugeMerge, Histogram, Metrics, Outcome,
    StepInfo,
};
use std::fmt;
use std::time::Duration;

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Latency from the intended start.
    Latency,
    /// Time from the actual send.
    ServiceTime,
    /// Time to first byte.
    Ttfb,
    /// Connection set-up.
    Connect,
    /// Open-model schedule lag.
    ScheduleLag,
    /// Requests whose outcome is an error.
    Errors,
    /// All requests.
    Requests,
    /// Answers that passed their checks.
    Checks,
    /// Arrivals dropped for want of a VU.
    Dropped,
    /// Completed iterations.
    Iterations,
    /// A protocol's custom metric of this kind, named by the threshold's key.
    Custom(CustomKind),
}

impl MetricKind {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "latency" | "http_req_duration" => MetricKind::Latency,
            "service_time" => MetricKind::ServiceTime,
            "ttfb" | "http_req_waiting" => MetricKind::Ttfb,
            "connect" | "http_req_connecting" => MetricKind::Connect,
            "schedule_lag" => MetricKind::ScheduleLag,
            "errors" | "http_req_failed" => MetricKind::Errors,
            "requests" | "http_reqs" => MetricKind::Requests,
            "checks" => MetricKind::Checks,
            "dropped" | "dropped_iterations" => MetricKind::Dropped,
            "iterations" => MetricKind::Iterations,
            _ => return None,
        })
    }

    fn is_time(self) -> bool {
        matches!(
            self,
            MetricKind::Latency
                | MetricKind::ServiceTime
                | MetricKind::Ttfb
                | MetricKind::Connect
                | MetricKind::ScheduleLag
                | MetricKind::Custom(CustomKind::Trend)
        )
    }
}

/// The statistic compared with the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// `p(N)`, N in 0..=100.
    Percentile(f64),
    /// `avg`.
    Avg,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `med` (= p(50)).
    Med,
    /// `rate`: a share for errors/checks/dropped, per second for requests/iterations.
    Rate,
    /// `count`.
    Count,
    /// `value`: a gauge's level at the end.
    Value,
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => (a - b).abs() < 1e-9,
            Op::Ne => (a - b).abs() >= 1e-9,
        }
    }
}

/// Which steps a threshold looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Only this step (by name).
    pub step: Option<String>,
    /// Only this workload (by name).
    pub workload: Option<String>,
}

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
}

/// The metric name of a threshold key (`latency` in `latency{step=a}`).
pub fn key_metric_name(key: &str) -> &str {
    key.split('{').next().unwrap_or(key).trim()
}

/// Why a threshold key or expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("threshold key `{0}`: missing closing `}}`")]
    UnclosedKey(String),
    #[error(
        "unknown metric `{0}` (use latency, service_time, ttfb, connect, schedule_lag, errors, \
         requests, checks, dropped, iterations, or a custom metric of a workload)"
    )]
    UnknownMetric(String),
    #[error("filter `{0}` is not of the form key=value")]
    BadFilter(String),
    #[error("unknown filter `{0}` (use step= or workload=)")]
    UnknownFilter(String),
    #[error("`{0}`: expected a comparison like `p(95) < 500ms`")]
    NoComparison(String),
    #[error("`{0}`: unknown operator (use <, <=, >, >=, ==, !=)")]
    UnknownOperator(String),
    #[error("`{0}` measures requests; put it under `errors` or `checks`, not a custom metric")]
    RequestStatOnCustom(String),
    #[error("`{0}`: percentile must be a number, e.g. p(99.9)")]
    PercentileNotANumber(String),
    #[error("`{0}`: percentile must be between 0 and 100")]
    PercentileRange(String),
    #[error(
        "unknown statistic `{0}` (use p(N), avg, min, max, med, rate, count, error_rate or checks)"
    )]
    UnknownStat(String),
    #[error("`{0}` applies to gauges only")]
    GaugesOnly(String),
    #[error("`{0}`: a count must be a number")]
    CountNotANumber(String),
    #[error("`{0}` does not apply here (use rate or count)")]
    NotHere(String),
    /// A statistic the custom metric's kind does not have.
    #[error("`{stat}` does not apply to a {kind} (use {allowed})")]
    NotForKind {
        stat: String,
        kind: &'static str,
        allowed: &'static str,
    },
    #[error(transparent)]
    Unit(#[from] UnitError),
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

/// The outcome of judging one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdResult {
    /// Key as written.
    pub key: String,
    /// Expression as written.
    pub expression: String,
    /// Passed?
    pub passed: bool,
    /// Measured value in the limit's unit; `None` when there was no data.
    pub measured: Option<f64>,
    /// The limit.
    pub limit: f64,
    /// Unit of `measured` and `limit`: `ms`, `ratio`, `/s` or `count`.
    pub unit: &'static str,
    /// Interrupted iterations counted in `measured` as failed requests (`errors` only).
    pub interrupted: u64,
}

impl ThresholdResult {
    /// The measured value for people (`31.2ms`, `0.35%`, `120.4/s`, `3`), with the
    /// interrupted requests it counts (`100.000% (5 interrupted)`).
    pub fn measured_display(&self) -> String {
        match self.measured {
            None => "no data".into(),
            Some(v) if self.interrupted > 0 => {
                format!(
                    "{} ({} interrupted)",
                    display(v, self.unit),
                    self.interrupted
                )
            }
            Some(v) => display(v, self.unit),
        }
    }

    /// The limit for people.
    pub fn limit_display(&self) -> String {
        display(self.limit, self.unit)
    }
}

fn display(v: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{v:.2}ms"),
        "ratio" => format!("{:.3}%", v * 100.0),
        "/s" => format!("{v:.1}/s"),
        _ => format!("{v}"),
    }
}

impl fmt::Display for ThresholdResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (measured {})",
            self.key,
            self.expression,
            self.measured_display()
        )
    }
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
        let (metric, stat, op, limit) = parse_expression(metric, expression)?;
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
        })
    }

    fn selects(&self, info: &StepInfo) -> bool {
        self.filter.step.as_ref().is_none_or(|s| *s == info.name)
            && self
                .filter
                .workload
                .as_ref()
                .is_none_or(|w| *w == info.workload_name)
    }

    fn selects_workload(&self, index: usize, steps: &[StepInfo]) -> bool {
        let name = steps
            .iter()
            .find(|s| s.workload == index)
            .map(|s| s.workload_name.as_str());
        self.filter
            .workload
            .as_deref()
            .is_none_or(|w| Some(w) == name)
            && self
                .filter
                .step
                .as_ref()
                .is_none_or(|s| steps.iter().any(|i| i.workload == index && i.name == *s))
    }

    /// Judges the threshold on `totals` over a run of length `elapsed`; `custom` names the
    /// plan's custom metrics (in `totals.custom` order).
    pub fn evaluate(
        &self,
        totals: &Metrics,
        steps: &[StepInfo],
        custom: &[CustomInfo],
        elapsed: Duration,
    ) -> ThresholdResult {
        if let MetricKind::Custom(kind) = self.metric {
            return self.result(self.evaluate_custom(kind, totals, custom, elapsed));
        }
        let selected: Vec<_> = totals
            .steps
            .iter()
            .zip(steps)
            .filter(|(_, i)| self.selects(i))
            .map(|(m, _)| m)
            .collect();
        let workloads: Vec<_> = totals
            .workloads
            .iter()
            .enumerate()
            .filter(|(i, _)| self.selects_workload(*i, steps))
            .map(|(_, w)| w)
            .collect();
        let secs = elapsed.as_secs_f64().max(1e-9);
        // No sample, no evidence: `None` reads "no data" and fails.
        let share = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let count_over = |num: u64, den: u64| (den > 0).then_some(num as f64);
        let total: u64 = selected.iter().map(|s| s.total()).sum();
        // Cut off after the graceful stop: sent, never answered. loadgen cannot tell in which
        // step an iteration hung, so every `errors` threshold that selects its workload
        // counts it.
        let interrupted: u64 = workloads.iter().map(|w| w.interrupted).sum();
        let mut counted_interrupted = 0;
        let (measured, unit) = if self.metric.is_time() {
            let mut h = new_histogram();
            for s in &selected {
                let part: Histogram = match self.metric {
                    MetricKind::Latency => s.latency_all(),
                    MetricKind::ServiceTime => s.service.clone(),
                    MetricKind::Ttfb => s.ttfb.clone(),
                    MetricKind::Connect => s.connect.clone(),
                    _ => continue,
                };
                h.add(&part).expect("histograms share one configuration");
            }
            if self.metric == MetricKind::ScheduleLag {
                for w in &workloads {
                    h.add(&w.lag).expect("histograms share one configuration");
                }
            }
            (time_stat(&h, self.stat), "ms")
        } else {
            let count_of = |o: Outcome| selected.iter().map(|s| s.count(o)).sum::<u64>();
            let answered_ok = count_of(Outcome::Success) + count_of(Outcome::ExpectedFailure);
            let answered = answered_ok
                + [
                    Outcome::CheckFailed,
                    Outcome::Http4xx,
                    Outcome::Http5xx,
                    Outcome::HttpOther,
                ]
                .into_iter()
                .map(count_of)
                .sum::<u64>();
            let errors: u64 = selected.iter().map(|s| s.errors()).sum::<u64>() + interrupted;
            let sent = total + interrupted;
            let iterations: u64 = workloads.iter().map(|w| w.iterations).sum();
            let dropped: u64 = workloads.iter().map(|w| w.dropped).sum();
            // Interrupted iterations arrived too: they count in the dropped share's base.
            let arrivals = dropped + iterations + interrupted;
            if self.metric == MetricKind::Errors {
                counted_interrupted = interrupted;
            }
            match (self.metric, self.stat) {
                (MetricKind::Errors, Stat::Rate) => (share(errors, sent), "ratio"),
                (MetricKind::Errors, _) => (count_over(errors, sent), "count"),
                (MetricKind::Requests, Stat::Rate) => (Some(total as f64 / secs), "/s"),
                (MetricKind::Requests, _) => (Some(total as f64), "count"),
                (MetricKind::Checks, Stat::Rate) => (share(answered_ok, answered), "ratio"),
                (MetricKind::Checks, _) => (Some(answered_ok as f64), "count"),
                (MetricKind::Dropped, Stat::Rate) => (share(dropped, arrivals), "ratio"),
                (MetricKind::Dropped, _) => (count_over(dropped, arrivals), "count"),
                (MetricKind::Iterations, Stat::Rate) => (Some(iterations as f64 / secs), "/s"),
                _ => (Some(iterations as f64), "count"),
            }
        };
        ThresholdResult {
            interrupted: counted_interrupted,
            ..self.result((measured, unit))
        }
    }

    fn result(&self, (measured, unit): (Option<f64>, &'static str)) -> ThresholdResult {
        let passed = measured.is_some_and(|m| self.op.holds(m, self.limit));
        ThresholdResult {
            key: self.key.clone(),
            expression: self.expression.clone(),
            passed,
            measured,
            limit: self.limit,
            unit,
            interrupted: 0,
        }
    }
}

impl Threshold {
    /// Merges every selected workload's value of the custom metric and measures it.
    fn evaluate_custom(
        &self,
        kind: CustomKind,
        totals: &Metrics,
        custom: &[CustomInfo],
        elapsed: Duration,
    ) -> (Option<f64>, &'static str) {
        let name = key_metric_name(&self.key);
        let mut merged = CustomValue::empty(kind);
        let mut found = false;
        for (value, info) in totals.custom.iter().zip(custom) {
            let wanted = info.metric.name == name
                && info.metric.kind == kind
                && self
                    .filter
                    .workload
                    .as_ref()
                    .is_none_or(|w| *w == info.workload_name);
            if wanted {
                merged.add(value, GaugeMerge::Sum);
                found = true;
            }
        }
        if !found {
            return (None, "count");
        }
        let secs = elapsed.as_secs_f64().max(1e-9);
        match (merged, self.stat) {
            (CustomValue::Trend(h), Stat::Count) => (Some(h.len() as f64), "count"),
            (CustomValue::Trend(h), stat) => (time_stat(&h, stat), "ms"),
            (CustomValue::Counter(n), Stat::Rate) => (Some(n as f64 / secs), "/s"),
            (CustomValue::Counter(n), _) => (Some(n as f64), "count"),
            (CustomValue::Rate { hits, total }, Stat::Rate) => {
                ((total > 0).then(|| hits as f64 / total as f64), "ratio")
            }
            (CustomValue::Rate { hits, .. }, _) => (Some(hits as f64), "count"),
            (CustomValue::Gauge { peak, .. }, Stat::Max) => (Some(peak as f64), "count"),
            (CustomValue::Gauge { value, .. }, _) => (Some(value as f64), "count"),
        }
    }
}

/// A time statistic in milliseconds (histograms hold microseconds); `None` when empty.
fn time_stat(h: &Histogram, stat: Stat) -> Option<f64> {
    if h.is_empty() {
        return None;
    }
    let us = match stat {
        Stat::Percentile(p) => h.value_at_quantile(p / 100.0) as f64,
        Stat::Med => h.value_at_quantile(0.5) as f64,
        Stat::Avg => h.mean(),
        Stat::Min => h.min() as f64,
        Stat::Max => h.max() as f64,
        Stat::Rate | Stat::Count | Stat::Value => return None,
    };
    Some(us / 1e3)
}

/// Judges every threshold.
pub fn evaluate_all(
    thresholds: &[Threshold],
    totals: &Metrics,
    steps: &[StepInfo],
    custom: &[CustomInfo],
    elapsed: Duration,
) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| t.evaluate(totals, steps, custom, elapsed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen_engine::StepMetrics;
    use proptest::prelude::*;

    fn t(key: &str, expr: &str) -> Threshold {
        Threshold::parse(key, expr, &|_| None).unwrap()
    }

    fn info(name: &str) -> StepInfo {
        StepInfo {
            workload: 0,
            workload_name: "w".into(),
            name: name.into(),
        }
    }

    fn metrics() -> Metrics {
        let mut m = Metrics::new(2, 1);
        let ms = Duration::from_millis;
        for i in 1..=100 {
            m.steps[0].record(Outcome::Success, ms(i), ms(i), None, None);
        }
        m.steps[1].record(Outcome::Http5xx, ms(5), ms(5), None, None);
        for _ in 0..9 {
            m.steps[1].record(Outcome::ExpectedFailure, ms(5), ms(5), None, None);
        }
        m.workloads[0].iterations = 100;
        m
    }

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
                workload: Some("b".into())
            }
        );
    }

    #[test]
    fn latency_percentiles_and_filters() {
        let m = metrics();
        let steps = [info("a"), info("b")];
        let r = t("latency{step=a}", "p(95) < 100ms").evaluate(
            &m,
            &steps,
            &[],
            Duration::from_secs(10),
        );
        assert!(r.passed, "{r:?}");
        assert!((r.measured.unwrap() - 95.0).abs() < 0.5);
        let r =
            t("latency{step=a}", "p(95) < 90ms").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(!r.passed);
        let r =
            t("latency{step=a}", "max <= 101ms").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(r.passed, "{r:?}");
    }

    #[test]
    fn error_rate_excludes_expected_failures_and_checks_count_answers() {
        let m = metrics();
        let steps = [info("a"), info("b")];
        let r = t("errors", "rate < 1%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!((r.measured.unwrap() - 1.0 / 110.0).abs() < 1e-12);
        assert!(r.passed);
        let r = t("errors{step=b}", "rate < 1%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(!r.passed);
        let r = t("checks", "rate > 99%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!((r.measured.unwrap() - 109.0 / 110.0).abs() < 1e-12);
        let r = t("requests", "rate > 10/s").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(r.passed && r.measured == Some(11.0));
    }

    #[test]
    fn no_data_fails_a_time_threshold() {
        let m = Metrics::new(1, 1);
        let r = t("latency", "p(95) < 1s").evaluate(&m, &[info("a")], &[], Duration::from_secs(1));
        assert!(!r.passed);
        assert_eq!(r.measured_display(), "no data");
        let _ = StepMetrics::default();
    }

    #[test]
    fn a_share_over_zero_samples_fails_with_no_data() {
        let m = Metrics::new(1, 1);
        let secs = Duration::from_secs(1);
        for (key, expr) in [
            ("errors", "rate < 1%"),
            ("errors", "count < 1"),
            ("latency", "error_rate < 1%"),
            ("checks", "rate > 99%"),
            ("dropped", "rate < 1%"),
            ("dropped", "count < 1"),
        ] {
            let r = t(key, expr).evaluate(&m, &[info("a")], &[], secs);
            assert!(!r.passed, "{key}: {expr} passed on nothing: {r:?}");
            assert_eq!(r.measured_display(), "no data", "{key}: {expr}");
        }
        // A throughput over a run that sent nothing is a measured 0/s, not missing data.
        let r = t("requests", "rate < 10/s").evaluate(&m, &[info("a")], &[], secs);
        assert_eq!(r.measured, Some(0.0));
    }

    #[test]
    fn interrupted_iterations_count_as_errors_of_their_workload() {
        let steps = [info("a")];
        let secs = Duration::from_secs(3);
        // Nothing completed, three requests cut off: 3 errors of 3.
        let mut m = Metrics::new(1, 1);
        m.workloads[0].interrupted = 3;
        let r = t("errors", "rate < 1%").evaluate(&m, &steps, &[], secs);
        assert!(!r.passed, "{r:?}");
        assert_eq!(r.measured, Some(1.0));
        assert_eq!(r.interrupted, 3);
        assert!(r.measured_display().contains("3 interrupted"), "{r}");
        let r = t("errors{step=a}", "count < 1").evaluate(&m, &steps, &[], secs);
        assert_eq!((r.passed, r.measured), (false, Some(3.0)));
        // 97 answers and 3 cut off: 3% errors, in both numerator and denominator.
        let mut m = metrics();
        m.workloads[0].interrupted = 2;
        let r = t("errors", "rate < 5%").evaluate(&m, &[info("a"), info("b")], &[], secs);
        assert!((r.measured.unwrap() - 3.0 / 112.0).abs() < 1e-12, "{r:?}");
        // A workload the filter does not select keeps its interruptions to itself.
        let other = StepInfo {
            workload: 1,
            workload_name: "v".into(),
            name: "c".into(),
        };
        let mut m = Metrics::new(2, 2);
        m.steps[0].record(
            Outcome::Success,
            Duration::from_millis(1),
            Duration::from_millis(1),
            None,
            None,
        );
        m.workloads[1].interrupted = 5;
        let r = t("errors{workload=w}", "rate < 1%").evaluate(&m, &[info("a"), other], &[], secs);
        assert_eq!((r.passed, r.measured, r.interrupted), (true, Some(0.0), 0));
        // Interruptions are no answer: the checks share ignores them.
        let r = t("checks", "rate > 99%").evaluate(&m, &[info("a"), info("b")], &[], secs);
        assert_eq!(r.measured, Some(1.0));
    }

    #[test]
    fn custom_metrics_are_judged_by_kind_and_workload() {
        use loadgen_engine::CustomMetric;
        let kinds = |name: &str| match name {
            "lat" => Some(CustomKind::Trend),
            "msgs" => Some(CustomKind::Counter),
            "ok" => Some(CustomKind::Rate),
            "open" => Some(CustomKind::Gauge),
            _ => None,
        };
        let ct = |key: &str, expr: &str| Threshold::parse(key, expr, &kinds).unwrap();
        let info = |w: usize, name: &str, kind| CustomInfo {
            workload: w,
            workload_name: format!("w{w}"),
            metric: CustomMetric::new(name, kind),
        };
        let custom = [
            info(0, "lat", CustomKind::Trend),
            info(0, "msgs", CustomKind::Counter),
            info(0, "ok", CustomKind::Rate),
            info(0, "open", CustomKind::Gauge),
            info(1, "msgs", CustomKind::Counter),
        ];
        let mut m = Metrics::shaped(
            0,
            2,
            &custom.iter().map(|c| c.metric.kind).collect::<Vec<_>>(),
        );
        if let CustomValue::Trend(h) = &mut m.custom[0] {
            for ms in 1..=100u64 {
                h.record(ms * 1000).unwrap();
            }
        }
        m.custom[1] = CustomValue::Counter(300);
        m.custom[2] = CustomValue::Rate {
            hits: 95,
            total: 100,
        };
        m.custom[3] = CustomValue::Gauge { value: 7, peak: 50 };
        m.custom[4] = CustomValue::Counter(100);
        let secs = Duration::from_secs(10);
        let eval = |k: &str, e: &str| ct(k, e).evaluate(&m, &[], &custom, secs);
        let r = eval("lat", "p(50) < 51ms");
        assert!(r.passed && r.unit == "ms", "{r:?}");
        assert!(!eval("lat", "p(99) < 50ms").passed);
        assert_eq!(eval("lat", "count == 100").measured, Some(100.0));
        // Both workloads' counters add up unless a filter picks one.
        assert_eq!(eval("msgs", "count > 1").measured, Some(400.0));
        assert_eq!(eval("msgs{workload=w1}", "count > 1").measured, Some(100.0));
        assert_eq!(eval("msgs", "rate > 39/s").measured, Some(40.0));
        assert!(eval("ok", "rate >= 95%").passed);
        assert!(!eval("ok", "rate > 95%").passed);
        assert!(eval("open", "max >= 50").passed);
        assert_eq!(eval("open", "value < 10").measured, Some(7.0));
        // Statistics that do not fit the kind are refused when parsed.
        let (lat, _) = parse_key("lat", &kinds).unwrap();
        assert!(parse_expression(lat, "rate > 1%").is_err());
        let (ok, _) = parse_key("ok", &kinds).unwrap();
        assert!(parse_expression(ok, "p(95) < 1s").is_err());
        assert!(parse_expression(ok, "error_rate < 1%").is_err());
        assert!(parse_key("nope", &kinds).is_err());
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
