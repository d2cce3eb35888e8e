//! The words of a threshold: what it measures ([`MetricKind`]), the statistic and comparison,
//! the filters of its key, and why a key or expression does not parse. A leaf: the grammar
//! that reads them (`threshold.rs`) and its parts (`threshold_filter.rs`,
//! `threshold_span.rs`) all build on it.

use crate::units::UnitError;
use loadgen_engine::{CustomKind, Outcome};

pub(crate) fn outcome_names() -> String {
    Outcome::ALL.map(Outcome::name).join(", ")
}

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Latency from the intended start.
    Latency,
    /// Time from the actual send.
    ServiceTime,
    /// Time to first byte.
    Ttfb,
    /// Connection time to the target (TCP, or a proxy's tunnel).
    Connect,
    /// TLS handshake.
    TlsHandshake,
    /// TCP connect to an HTTP proxy.
    ProxyConnect,
    /// Iteration duration, per workload.
    IterationDuration,
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
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "latency" | "http_req_duration" => MetricKind::Latency,
            "service_time" => MetricKind::ServiceTime,
            "ttfb" | "http_req_waiting" => MetricKind::Ttfb,
            "connect" | "http_req_connecting" => MetricKind::Connect,
            "tls_handshake" | "http_req_tls_handshaking" => MetricKind::TlsHandshake,
            "proxy_connect" => MetricKind::ProxyConnect,
            "iteration_duration" => MetricKind::IterationDuration,
            "schedule_lag" => MetricKind::ScheduleLag,
            "errors" | "http_req_failed" => MetricKind::Errors,
            "requests" | "http_reqs" => MetricKind::Requests,
            "checks" => MetricKind::Checks,
            "dropped" | "dropped_iterations" => MetricKind::Dropped,
            "iterations" => MetricKind::Iterations,
            _ => return None,
        })
    }

    /// A time metric (judged on a histogram, in ms).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            MetricKind::Latency
                | MetricKind::ServiceTime
                | MetricKind::Ttfb
                | MetricKind::Connect
                | MetricKind::TlsHandshake
                | MetricKind::ProxyConnect
                | MetricKind::IterationDuration
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
    /// `a op b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
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

/// Which steps (and which of their answers) a threshold looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Only this step (by name).
    pub step: Option<String>,
    /// Only this workload (by name).
    pub workload: Option<String>,
    /// Only answers of this outcome class (`errors`, `requests`, `latency`).
    pub class: Option<Outcome>,
    /// Only answers with this HTTP status (`errors`, `requests`: statuses are counted for
    /// the answers that did not succeed, so validation refuses a status a selected step
    /// accepts; `latency`: kept for every answer with a status some threshold names).
    pub status: Option<u16>,
}

/// Why a threshold key or expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("threshold key `{0}`: missing closing `}}`")]
    UnclosedKey(String),
    #[error(
        "unknown metric `{0}` (use latency, service_time, ttfb, connect, tls_handshake, \
         proxy_connect, schedule_lag, iteration_duration, errors, requests, checks, dropped, \
         iterations, or a custom metric of a workload)"
    )]
    UnknownMetric(String),
    #[error("filter `{0}` is not of the form key=value")]
    BadFilter(String),
    #[error("unknown filter `{0}` (use step=, workload=, class= or status=)")]
    UnknownFilter(String),
    #[error("unknown outcome class `{0}` (use {names})", names = outcome_names())]
    UnknownClass(String),
    #[error("status `{0}` is not an HTTP status (100..=599)")]
    BadStatus(String),
    /// A filter the (resolved) metric does not take.
    #[error("`{filter}=` does not apply to `{metric}` ({takes})")]
    FilterNotHere {
        filter: &'static str,
        metric: String,
        takes: &'static str,
    },
    #[error("class `{0}` is not an error: errors{{class=…}} takes an error class (e.g. connect, timeout, http_5xx)")]
    ClassNotAnError(String),
    #[error("`{0}`: windows (`over`, `for`) and `from` apply to built-in metrics, not to a custom metric")]
    ClauseOnCustom(String),
    #[error("`{0}`: `{1}` is given twice")]
    ClauseTwice(String, &'static str),
    #[error("`{0}`: use either `over` or `for`, not both")]
    OverAndFor(String),
    #[error("`{0}`: a window must be longer than 0")]
    EmptyWindow(String),
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
