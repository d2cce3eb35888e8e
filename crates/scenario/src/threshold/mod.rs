//! SLA thresholds in k6's words, and their verdict on a run's metrics.
//!
//! # Keys and expressions
//!
//! A key is `metric` or `metric{filter,...}` with filters `step=NAME` and `workload=NAME`
//! (`:` works as in k6: `{step:NAME}`). `step=NAME` selects the steps of that name in every
//! workload (add `workload=` to pick one). An expression is `STATISTIC OPERATOR VALUE` with
//! operators `<`, `<=`, `>`, `>=`, `==`, `!=`; the value carries its unit.
//!
//! | metric (k6 alias)                        | statistics                          | value     |
//! |------------------------------------------|-------------------------------------|-----------|
//! | `latency` (`http_req_duration`)          | `p(95)`, `p(99.9)`, `avg`, `min`, `max`, `med` | `500ms`   |
//! | `service_time`                           | same                                | duration  |
//! | `ttfb` (`http_req_waiting`)              | same                                | duration  |
//! | `connect` (`http_req_connecting`)        | same                                | duration  |
//! | `schedule_lag` (per workload)            | same                                | duration  |
//! | `errors` (`http_req_failed`)             | `rate`, `count`                     | `0.1%`, `10` |
//! | `requests` (`http_reqs`)                 | `rate`, `count`                     | `16/s`, `100` |
//! | `checks`                                 | `rate`                              | `99%`     |
//! | `dropped` (`dropped_iterations`, per workload) | `count`, `rate`               | `1`, `1%` |
//! | `iterations` (per workload)              | `count`, `rate`                     | `100`, `5/s` |
//!
//! # What is measured
//!
//! * Time statistics come from the HDR histograms (microseconds, 3 significant digits) merged
//!   over the selected steps: `latency` from the intended start (see the engine docs), over
//!   every outcome; `service_time`, `ttfb`, `connect` likewise; `schedule_lag` per workload.
//!   Percentiles are HdrHistogram values: the top of their bucket, at most 0.1% high.
//! * `errors rate` = errors / completed requests, where an error is any outcome but success
//!   and *expected failure*: a correct rejection of a request built to fail is not an error.
//! * `checks rate` = answers that passed every check (success or expected failure) / all
//!   answered requests (those plus check failures and unexpected 4xx, 5xx or other statuses);
//!   transport faults (timeouts, resets, ...) got no answer to check and are left out.
//! * `requests rate` and `iterations rate` are per second of the run's elapsed time.
//! * `dropped rate` = dropped / arrivals, arrivals being completed, interrupted and dropped
//!   iterations.
//!
//! # No data fails
//!
//! A statistic with nothing to measure — a time statistic over zero samples, a rate with a
//! zero denominator (no requests, no answers, no arrivals, no elapsed time) — makes its
//! threshold **fail** with "no data". k6 passes such thresholds; for a release gate a run that
//! measured nothing has proven nothing. Counts always have data: `count < 1` passes on zero.

pub(crate) mod eval;
mod live;
pub(crate) mod parse;

pub use live::LiveThresholds;

use loadgen_engine::{Metrics, StepInfo};
use std::fmt;
use std::time::Duration;

/// One threshold: a statistic of a metric over a selection, compared with a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The key as written, such as `latency{step=create-payment}`.
    pub key: String,
    /// The expression as written, such as `p(95) < 500ms`.
    pub expression: String,
    /// What is measured.
    pub metric: Metric,
    /// Which steps or workloads.
    pub filter: Filter,
    /// Which statistic of it.
    pub stat: Stat,
    /// How the statistic compares with the limit.
    pub op: Op,
    /// The limit, in `unit`.
    pub limit: f64,
    /// The limit's text as written (`500ms`, `0.1%`).
    pub limit_text: String,
    /// The unit of `limit` and of the measured value.
    pub unit: Unit,
    /// Stop the run as soon as this threshold fails (checked live, once per interval).
    pub abort_on_fail: bool,
    /// Do not judge `abort_on_fail` before this much of the run has passed.
    pub delay_abort_eval: Duration,
}

/// The metrics a threshold can judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Step latency from the intended start.
    Latency,
    /// Step time from the actual send.
    ServiceTime,
    /// Time to first byte from the send.
    Ttfb,
    /// Connection set-up time.
    Connect,
    /// Actual minus intended iteration start, per workload.
    ScheduleLag,
    /// Steps whose outcome is an error.
    Errors,
    /// Completed steps.
    Requests,
    /// Answers that passed their checks.
    Checks,
    /// Arrivals dropped for want of a VU, per workload.
    Dropped,
    /// Completed iterations, per workload.
    Iterations,
}

impl Metric {
    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Latency => "latency",
            Metric::ServiceTime => "service_time",
            Metric::Ttfb => "ttfb",
            Metric::Connect => "connect",
            Metric::ScheduleLag => "schedule_lag",
            Metric::Errors => "errors",
            Metric::Requests => "requests",
            Metric::Checks => "checks",
            Metric::Dropped => "dropped",
            Metric::Iterations => "iterations",
        }
    }

    /// True for the metrics measured per workload (no step filter).
    pub fn is_per_workload(self) -> bool {
        matches!(
            self,
            Metric::ScheduleLag | Metric::Dropped | Metric::Iterations
        )
    }

    /// True for the time metrics (percentiles and friends).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Metric::Latency
                | Metric::ServiceTime
                | Metric::Ttfb
                | Metric::Connect
                | Metric::ScheduleLag
        )
    }
}

/// Which steps (and workloads) a threshold looks at; both `None` means all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Steps of this name (in every workload unless `workload` is set too).
    pub step: Option<String>,
    /// Only this workload.
    pub workload: Option<String>,
}

/// A statistic.
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
    /// `med` (= `p(50)`).
    Med,
    /// `rate`: a ratio or a per-second rate, depending on the metric.
    Rate,
    /// `count`.
    Count,
}

/// A comparison.
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
    /// Whether `measured OP limit` holds.
    pub fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
            Op::Eq => measured == limit,
            Op::Ne => measured != limit,
        }
    }
}

/// The unit of a limit and a measured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Millis,
    /// A fraction from 0 to 1 (shown as a percentage).
    Ratio,
    /// Events per second.
    PerSecond,
    /// A plain count.
    Count,
}

impl Unit {
    /// Stable name used in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Millis => "ms",
            Unit::Ratio => "ratio",
            Unit::PerSecond => "per_second",
            Unit::Count => "count",
        }
    }

    /// A value in this unit for people: `412.35ms`, `1.52s`, `0.12%`, `16.30/s`, `3`.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Millis if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
            Unit::Millis => format!("{v:.2}ms"),
            Unit::Ratio => format!("{}%", trim_float(v * 100.0, 3)),
            Unit::PerSecond => format!("{v:.2}/s"),
            Unit::Count => trim_float(v, 2),
        }
    }
}

/// `v` with at most `decimals` decimals and no trailing zeros.
pub(crate) fn trim_float(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The verdict of one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdResult {
    /// The key as written (`latency{step=create-payment}`).
    pub metric: String,
    /// The expression as written (`p(95) < 500ms`).
    pub expression: String,
    /// True when the measured value satisfies the expression; false with no data.
    pub passed: bool,
    /// The measured value in `unit`; `None` when there was no data.
    pub measured: Option<f64>,
    /// Unit of `measured`.
    pub unit: Unit,
    /// `measured` for people (`412.35ms`, `0.12%`, `no data`).
    pub measured_text: String,
    /// The limit as written (`500ms`).
    pub limit: String,
    /// Whether this threshold stops the run when it fails.
    pub abort_on_fail: bool,
}

impl fmt::Display for ThresholdResult {
    /// `latency{step=x}: p(95) < 500ms (measured 612.00ms)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (measured {})",
            self.metric, self.expression, self.measured_text
        )
    }
}

/// Evaluates every threshold on a run's totals (see [`Threshold::evaluate`]).
pub fn evaluate_all(
    thresholds: &[Threshold],
    totals: &Metrics,
    steps: &[StepInfo],
    elapsed: Duration,
) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| t.evaluate(totals, steps, elapsed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_format_for_people() {
        assert_eq!(Unit::Millis.format(412.345), "412.35ms");
        assert_eq!(Unit::Millis.format(1520.0), "1.52s");
        assert_eq!(Unit::Ratio.format(0.0012), "0.12%");
        assert_eq!(Unit::Ratio.format(1.0), "100%");
        assert_eq!(Unit::PerSecond.format(16.3), "16.30/s");
        assert_eq!(Unit::Count.format(3.0), "3");
    }

    #[test]
    fn operators() {
        assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
        assert!(Op::Le.holds(2.0, 2.0) && Op::Ge.holds(2.0, 2.0));
        assert!(Op::Gt.holds(3.0, 2.0) && Op::Eq.holds(2.0, 2.0) && Op::Ne.holds(1.0, 2.0));
    }
}
