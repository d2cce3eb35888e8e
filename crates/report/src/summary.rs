//! The run summary: `summary.json` (versioned, for machines) and `summary.txt` (for people,
//! and what the terminal shows at the end).

use crate::saturation::GeneratorSummary;
use crate::summary_threshold::window_of;
pub use crate::summary_threshold::{ThresholdSummary, WindowSpan, WindowSummary};
use crate::verdict::{Judgement, Verdict};
use loadgen_engine::{CustomInfo, CustomValue, FinalReport, Histogram, Outcome, StepInfo};
use loadgen_judge::ThresholdResult;
use loadgen_scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the `summary.json` layout; bumped on any change of its fields or values.
/// 2 (2026-12-02): `verdict` may be `not_judged`; `verdict_reason`, `totals.interrupted` and
/// `thresholds[].interrupted` added. 3 (2026-12-02): steps gain `codes` (a SQLSTATE or Redis
/// error prefix, when any), `connect`, `tls_handshake` and `proxy_connect` (when measured);
/// workloads gain `iteration_duration`; the database and Redis outcome classes may appear.
/// `compare` reads every version from 1 up.
pub const SCHEMA_VERSION: u32 = 4;

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Smallest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    /// `None` for an empty histogram (a phase that never happened).
    fn measured(h: &Histogram) -> Option<Self> {
        (!h.is_empty()).then(|| Self::of(h))
    }

    fn of(h: &Histogram) -> Self {
        let ms = |us: f64| (us / 1e3 * 1000.0).round() / 1000.0;
        let q = |p: f64| {
            if h.is_empty() {
                0.0
            } else {
                ms(h.value_at_quantile(p) as f64)
            }
        };
        Percentiles {
            count: h.len(),
            min: if h.is_empty() {
                0.0
            } else {
                ms(h.min() as f64)
            },
            mean: if h.is_empty() { 0.0 } else { ms(h.mean()) },
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: if h.is_empty() {
                0.0
            } else {
                ms(h.max() as f64)
            },
        }
    }
}

/// One step's figures.
#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    /// Workload name.
    pub workload: String,
    /// Step name.
    pub step: String,
    /// Completed requests (every outcome).
    pub count: u64,
    /// Requests per second over the run.
    pub rate: f64,
    /// Count per outcome class (only classes that occurred).
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Answers of steps that did not succeed, by HTTP status (`"429": 12`).
    pub statuses: BTreeMap<String, u64>,
    /// Errors (not success, not expected failure).
    pub errors: u64,
    /// errors / count.
    pub error_rate: f64,
    /// Latency from the intended start, every outcome.
    pub latency: Percentiles,
    /// Time from the actual send.
    pub service_time: Percentiles,
    /// Protocol codes of steps that did not succeed (`"40P01": 3`, `"WRONGTYPE": 1`); absent
    /// when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<String, u64>,
    /// Connection time to the target, per connection this step opened; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<Percentiles>,
    /// TLS handshake time, per TLS connection this step opened; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_handshake: Option<Percentiles>,
    /// TCP connect time to an HTTP proxy, per tunnelled connection; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_connect: Option<Percentiles>,
}

/// One workload's figures.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadSummary {
    /// Name.
    pub name: String,
    /// Completed iterations.
    pub iterations: u64,
    /// Arrivals dropped for want of a VU (pool and backlog full).
    pub dropped: u64,
    /// Arrivals that waited in the backlog for a VU, then ran late.
    pub queued: u64,
    /// Open-model arrivals due while the run was paused by hand: skipped, not dropped.
    pub skipped_paused: u64,
    /// Iterations cut off by the end of the graceful stop.
    pub interrupted: u64,
    /// Most VUs busy at once (per-thread peaks added up: an upper bound across threads).
    pub max_active_vus: u64,
    /// Peak of allocated VUs.
    pub max_allocated_vus: u64,
    /// Open-model schedule lag.
    pub schedule_lag: Percentiles,
    /// From an iteration's intended start to the end of its last step (k6's
    /// `iteration_duration`).
    pub iteration_duration: Percentiles,
}

/// One custom metric's figures (per workload that declared it).
#[derive(Debug, Clone, Serialize)]
pub struct CustomSummary {
    /// Workload name.
    pub workload: String,
    /// Metric name.
    pub name: String,
    /// `counter`, `gauge`, `rate` or `trend`.
    pub kind: &'static str,
    /// Counter total, rate hits, or trend samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Counter per second, or a rate's hits / total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Rate observations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Gauge level at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Gauge peak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Trend distribution (milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Percentiles>,
}

impl CustomSummary {
    fn of(info: &CustomInfo, value: &CustomValue, secs: f64) -> Self {
        let mut s = CustomSummary {
            workload: info.workload_name.clone(),
            name: info.metric.name.clone(),
            kind: info.metric.kind.name(),
            count: None,
            rate: None,
            total: None,
            value: None,
            max: None,
            trend: None,
        };
        match value {
            CustomValue::Counter(n) => {
                s.count = Some(*n);
                s.rate = Some(*n as f64 / secs);
            }
            CustomValue::Gauge { value, peak } => {
                s.value = Some(*value);
                s.max = Some(*peak);
            }
            CustomValue::Rate { hits, total } => {
                s.count = Some(*hits);
                s.total = Some(*total);
                s.rate = Some(if *total == 0 {
                    0.0
                } else {
                    *hits as f64 / *total as f64
                });
            }
            CustomValue::Trend(h) => {
                s.count = Some(h.len());
                s.trend = Some(Percentiles::of(h));
            }
        }
        s
    }

    /// The figure for people (the text summary's and the HTML report's tables).
    pub fn display(&self) -> String {
        match self.kind {
            "counter" => format!(
                "{} ({:.1}/s)",
                self.count.unwrap_or(0),
                self.rate.unwrap_or(0.0)
            ),
            "gauge" => format!(
                "{} now, {} peak",
                self.value.unwrap_or(0),
                self.max.unwrap_or(0)
            ),
            "rate" => format!(
                "{:.2}% ({} of {})",
                self.rate.unwrap_or(0.0) * 100.0,
                self.count.unwrap_or(0),
                self.total.unwrap_or(0)
            ),
            _ => match &self.trend {
                Some(t) if t.count > 0 => format!(
                    "n={} p50 {} p95 {} p99 {} max {}",
                    t.count,
                    ms(t.p50),
                    ms(t.p95),
                    ms(t.p99),
                    ms(t.max)
                ),
                _ => "no data".into(),
            },
        }
    }
}

/// Totals over every step.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Requests.
    pub requests: u64,
    /// Errors.
    pub errors: u64,
    /// Expected failures (correct rejections).
    pub expected_failures: u64,
    /// Dropped arrivals.
    pub dropped: u64,
    /// Iterations cut off at the end of the graceful stop (sent, never answered).
    pub interrupted: u64,
    /// Requests per second.
    pub rate: f64,
    /// errors / requests.
    pub error_rate: f64,
    /// Latency over every step.
    pub latency: Percentiles,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Start (RFC 3339, UTC).
    pub started_at: String,
    /// How long the load ran: the plan's duration, or until a stop or abort, or until the last
    /// `iterations` ended (the graceful stop's drain not included).
    pub elapsed_seconds: f64,
    /// Stopped by a signal or an abort before the plan ended.
    pub stopped_early: bool,
    /// Per step.
    pub steps: Vec<StepSummary>,
    /// Per workload.
    pub workloads: Vec<WorkloadSummary>,
    /// Custom metrics of protocols (WebSocket, webhooks), per workload.
    pub custom: Vec<CustomSummary>,
    /// Over everything.
    pub totals: Totals,
    /// Every threshold.
    pub thresholds: Vec<ThresholdSummary>,
    /// The generator's own cost and whether it was the limit.
    pub generator: GeneratorSummary,
    /// False when the generator was saturated: the figures describe loadgen, not the target.
    pub trustworthy: bool,
    /// False when the run was changed by hand (paused, scaled, VUs set, stopped): it did not
    /// run its plan, whatever its thresholds say.
    pub as_planned: bool,
    /// The changes made by hand, in order.
    pub changes: Vec<crate::run_info::ChangeRecord>,
    /// `passed`, `not_judged` (no threshold), `failed` or `interrupted`.
    pub verdict: &'static str,
    /// Why, in words (`2 of 3 thresholds failed`, `a worker was lost: …`).
    pub verdict_reason: String,
    /// The process exit code.
    pub exit_code: u8,
    /// Written while the run goes on (every minute): the figures so far, judged so far. Absent
    /// from the summary of a finished run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl RunSummary {
    /// Builds the summary of a finished run.
    pub fn build(
        sc: &Scenario,
        report: &FinalReport,
        steps: &[StepInfo],
        custom: &[CustomInfo],
        results: &[ThresholdResult],
        generator: GeneratorSummary,
        judgement: Judgement,
    ) -> Self {
        let saturated = generator.saturated;
        let secs = report.elapsed.as_secs_f64().max(1e-9);
        let t = &report.totals;
        let step_summaries: Vec<_> = t
            .steps
            .iter()
            .zip(steps)
            .map(|(m, info)| {
                let count = m.total();
                StepSummary {
                    workload: info.workload_name.clone(),
                    step: info.name.clone(),
                    count,
                    rate: count as f64 / secs,
                    outcomes: Outcome::ALL
                        .into_iter()
                        .filter(|o| m.count(*o) > 0)
                        .map(|o| (o.name(), m.count(o)))
                        .collect(),
                    statuses: m
                        .statuses
                        .iter()
                        .map(|(s, n)| (s.to_string(), *n))
                        .collect(),
                    errors: m.errors(),
                    error_rate: if count == 0 {
                        0.0
                    } else {
                        m.errors() as f64 / count as f64
                    },
                    latency: Percentiles::of(&m.latency_all()),
                    service_time: Percentiles::of(&m.service),
                    codes: m.codes.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
                    connect: Percentiles::measured(&m.connect),
                    tls_handshake: Percentiles::measured(&m.tls),
                    proxy_connect: Percentiles::measured(&m.proxy_connect),
                }
            })
            .collect();
        let workloads = t
            .workloads
            .iter()
            .zip(&sc.workloads)
            .map(|(m, w)| WorkloadSummary {
                name: w.name.clone(),
                iterations: m.iterations,
                dropped: m.dropped,
                queued: m.queued,
                skipped_paused: m.skipped_paused,
                interrupted: m.interrupted,
                max_active_vus: m.peak_active_vus,
                max_allocated_vus: m.allocated_vus,
                schedule_lag: Percentiles::of(&m.lag),
                iteration_duration: Percentiles::of(&m.iteration_duration),
            })
            .collect();
        let mut all = loadgen_engine::new_histogram();
        for s in &t.steps {
            all.add(s.latency_all())
                .expect("histograms share one configuration");
        }
        let requests = t.total_requests();
        let errors = t.total_errors();
        let interrupted: u64 = t.workloads.iter().map(|w| w.interrupted).sum();
        let verdict_reason = reason(&judgement, results, saturated, interrupted);
        RunSummary {
            schema_version: SCHEMA_VERSION,
            scenario: sc.name.clone(),
            started_at: rfc3339(report.started_at),
            elapsed_seconds: (secs * 1000.0).round() / 1000.0,
            stopped_early: report.stopped_early,
            steps: step_summaries,
            workloads,
            custom: t
                .custom
                .iter()
                .zip(custom)
                .map(|(v, info)| CustomSummary::of(info, v, secs))
                .collect(),
            totals: Totals {
                requests,
                errors,
                expected_failures: t
                    .steps
                    .iter()
                    .map(|s| s.count(Outcome::ExpectedFailure))
                    .sum(),
                dropped: t.total_dropped(),
                interrupted,
                rate: requests as f64 / secs,
                error_rate: if requests == 0 {
                    0.0
                } else {
                    errors as f64 / requests as f64
                },
                latency: Percentiles::of(&all),
            },
            thresholds: results
                .iter()
                .map(|r| ThresholdSummary {
                    metric: r.key.clone(),
                    expression: r.expression.clone(),
                    passed: r.passed,
                    measured: r.measured,
                    limit: r.limit,
                    unit: r.unit,
                    interrupted: r.interrupted,
                    untrusted: r.passed && saturated,
                    from_seconds: r.from_s,
                    window: window_of(sc, r),
                })
                .collect(),
            generator,
            trustworthy: !saturated,
            as_planned: true,
            changes: Vec::new(),
            verdict: judgement.verdict.name(),
            verdict_reason,
            exit_code: judgement.verdict.exit_code(),
            partial: false,
        }
    }

    /// `summary.json` text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary serialises")
    }
}

/// The verdict in words: what failed, or why nothing was judged, and what was cut off.
fn reason(j: &Judgement, results: &[ThresholdResult], saturated: bool, interrupted: u64) -> String {
    let failed = results.iter().filter(|r| !r.passed).count();
    let mut parts: Vec<String> = Vec::new();
    match j.verdict {
        Verdict::Passed if saturated => parts.push(
            "the generator was saturated, so the thresholds that held prove nothing about the target".into(),
        ),
        Verdict::Passed => parts.push("every threshold held".into()),
        Verdict::NotJudged => parts.push(
            "no thresholds were set, so nothing was checked (add [thresholds] to the scenario, or --threshold)".into(),
        ),
        Verdict::Interrupted => parts.push("results are partial".into()),
        Verdict::Failed => {
            if let Some(why) = &j.incomplete {
                parts.push(why.clone());
            }
            if failed > 0 {
                parts.push(format!("{failed} of {} thresholds failed", results.len()));
            }
        }
    }
    if interrupted > 0 {
        parts.push(format!(
            "{interrupted} interrupted (no answer by the end of the graceful stop; errors thresholds count them as failed requests)"
        ));
    }
    parts.join("; ")
}

/// What an error class means, for the legend under the step table.
pub(crate) fn explain(o: Outcome) -> Option<&'static str> {
    Some(match o {
        Outcome::Connect => "no connection: refused, unreachable, or the name did not resolve",
        Outcome::Tls => "the TLS handshake failed (certificate, protocol, or an alert from the server)",
        Outcome::Timeout => "no complete answer within the timeout (recorded at the timeout value)",
        Outcome::Reset => "the connection was reset or closed before the answer was complete (including a body shorter than its Content-Length)",
        Outcome::Protocol => "the answer was not valid HTTP",
        Outcome::Http4xx => "answered 4xx (statuses in brackets)",
        Outcome::Http5xx => "answered 5xx (statuses in brackets)",
        Outcome::HttpOther => "answered with a status the step did not expect",
        Outcome::CheckFailed => "answered, but a check on the answer failed",
        Outcome::UniqueViolation => "the database refused a duplicate key (SQLSTATE 23505)",
        Outcome::SerializationFailure => "the database could not serialise the transaction (40001)",
        Outcome::Deadlock => "the database broke a deadlock by aborting this transaction (40P01)",
        Outcome::LockTimeout => "a lock was not granted in time (55P03)",
        Outcome::StatementTimeout => "the server cancelled a statement past its timeout (57014)",
        Outcome::TooManyConnections => "the database refused the connection: too many clients (53300)",
        Outcome::DbError => "another database error (SQLSTATE in brackets)",
        Outcome::RedisError => "Redis answered -ERR or another error (prefix in brackets)",
        Outcome::RedisWrongType => "Redis: the key holds another type (-WRONGTYPE)",
        Outcome::RedisOom => "Redis is at maxmemory (-OOM)",
        Outcome::RedisLoading => "Redis is loading its data set (-LOADING)",
        Outcome::RedisBusy => "Redis is running a script (-BUSY)",
        Outcome::RedisNoAuth => "Redis wants authentication or refused it (-NOAUTH, -WRONGPASS)",
        _ => return None,
    })
}

pub(crate) fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2}s", v / 1000.0)
    } else {
        format!("{v:.2}ms")
    }
}

pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(passed: bool) -> ThresholdResult {
        ThresholdResult {
            key: "latency".into(),
            expression: "p(99) < 1s".into(),
            passed,
            measured: Some(1.0),
            limit: 1000.0,
            unit: "ms",
            interrupted: 0,
            window: None,
            from_s: 0.0,
        }
    }

    #[test]
    fn the_reason_says_what_was_judged_and_what_was_cut_off() {
        let why = |results: &[ThresholdResult], incomplete: Option<&str>, interrupted| {
            let j = Judgement::of(results, false, incomplete.map(str::to_string));
            reason(&j, results, false, interrupted)
        };
        assert_eq!(why(&[result(true)], None, 0), "every threshold held");
        let none = why(&[], None, 0);
        assert!(
            none.starts_with("no thresholds were set") && !none.contains("held"),
            "{none}"
        );
        assert_eq!(
            why(&[result(true), result(false)], Some("a worker was lost"), 0),
            "a worker was lost; 1 of 2 thresholds failed"
        );
        assert_eq!(
            why(&[result(true)], Some("a worker was lost"), 0),
            "a worker was lost"
        );
        assert!(why(&[result(false)], None, 4).contains("; 4 interrupted"));
        let saturated = reason(
            &Judgement::of(&[result(true)], false, None),
            &[result(true)],
            true,
            0,
        );
        assert!(saturated.contains("saturated"), "{saturated}");
    }
}
