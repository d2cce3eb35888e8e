//! The run summary: `summary.json` (versioned, for machines) and `summary.txt` (for people,
//! and what the CLI prints at the end). Both are built from the engine's [`FinalReport`].
//!
//! # `summary.json`, schema version 1
//!
//! Times are milliseconds (`*_ms` or inside `latency`/`service_time`/`schedule_lag`), rates
//! per second, ratios from 0 to 1. A statistic with no data is `null`. Percentiles are
//! HdrHistogram values (3 significant digits). Fields are only ever added within a version.
//!
//! ```text
//! schema_version, scenario, started_at (RFC 3339, UTC), elapsed_ms,
//! steps[]: { workload, step, count, rate, outcomes { class: count (non-zero only) },
//!            latency { min, p50, p90, p95, p99, p999, max, mean } | null,
//!            service_time { ... } | null, errors, error_rate | null },
//! workloads[]: { workload, iterations, dropped, interrupted, max_active_vus,
//!                schedule_lag { p50, p99, max } | null },
//! totals: { requests, rate, errors, error_rate | null, iterations, dropped, interrupted,
//!           outcomes },
//! thresholds[]: { metric, expression, passed, measured | null, unit, measured_text, limit,
//!                 abort_on_fail },
//! verdict ("passed" when every threshold passed, else "failed"), stopped_early, exit_code
//! ```

mod text;

use crate::threshold::ThresholdResult;
use loadgen_engine::{FinalReport, Histogram, Outcome, StepInfo, StepMetrics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The JSON schema version written by this crate.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a finished run reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// When the run's clock started, RFC 3339 in UTC.
    pub started_at: String,
    /// From the start to the end of the last thread, graceful stop included.
    pub elapsed_ms: f64,
    /// One entry per step of every workload, in plan order.
    pub steps: Vec<StepSummary>,
    /// One entry per workload.
    pub workloads: Vec<WorkloadSummary>,
    /// Over the whole plan.
    pub totals: Totals,
    /// One entry per threshold, in file order.
    pub thresholds: Vec<ThresholdSummary>,
    /// `passed` when every threshold passed.
    pub verdict: Verdict,
    /// The run was stopped before its plan ended (signal, abort on fail).
    pub stopped_early: bool,
    /// The process exit code the CLI chose.
    pub exit_code: i32,
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every threshold passed (or there were none).
    Passed,
    /// At least one threshold failed.
    Failed,
}

/// One step of one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    /// Workload name.
    pub workload: String,
    /// Step name.
    pub step: String,
    /// Completed steps, every outcome.
    pub count: u64,
    /// `count` per second of elapsed time.
    pub rate: f64,
    /// Non-zero counts by outcome class (`success`, `expected_failure`, `http_5xx`, ...).
    pub outcomes: BTreeMap<String, u64>,
    /// Latency from the intended start, every outcome.
    pub latency: Option<TimeStats>,
    /// Time from the actual send, every outcome.
    pub service_time: Option<TimeStats>,
    /// Outcomes that are errors (expected failures are not).
    pub errors: u64,
    /// `errors / count`.
    pub error_rate: Option<f64>,
}

/// A time distribution in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeStats {
    /// Lowest.
    pub min: f64,
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
    /// Highest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// One workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    /// Workload name.
    pub workload: String,
    /// Iterations that ran to their end.
    pub iterations: u64,
    /// Arrivals dropped for want of a VU.
    pub dropped: u64,
    /// Iterations cut off by the stop.
    pub interrupted: u64,
    /// Peak of busy VUs seen at an interval's end.
    pub max_active_vus: u64,
    /// Schedule lag of open-model iterations.
    pub schedule_lag: Option<LagStats>,
}

/// Schedule lag in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LagStats {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Highest.
    pub max: f64,
}

/// Over the whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Completed steps.
    pub requests: u64,
    /// Per second of elapsed time.
    pub rate: f64,
    /// Steps whose outcome is an error.
    pub errors: u64,
    /// `errors / requests`.
    pub error_rate: Option<f64>,
    /// Completed iterations.
    pub iterations: u64,
    /// Dropped arrivals.
    pub dropped: u64,
    /// Interrupted iterations.
    pub interrupted: u64,
    /// Non-zero counts by outcome class.
    pub outcomes: BTreeMap<String, u64>,
}

/// One threshold's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdSummary {
    /// The key as written (`latency{step=x}`).
    pub metric: String,
    /// The expression as written (`p(95) < 500ms`).
    pub expression: String,
    /// Whether it held.
    pub passed: bool,
    /// Measured value in `unit`; `null` with no data.
    pub measured: Option<f64>,
    /// `ms`, `ratio`, `per_second` or `count`.
    pub unit: String,
    /// For people: `412.35ms`, `0.12%`, `no data`.
    pub measured_text: String,
    /// The limit as written (`500ms`).
    pub limit: String,
    /// Whether failing it stops the run.
    pub abort_on_fail: bool,
}

impl RunSummary {
    /// Builds the summary of a finished run. `steps` is the plan's global step list
    /// (`Plan::steps`) and `workload_names` its workloads in order; `thresholds` the verdicts
    /// from [`crate::evaluate_all`]; `exit_code` what the process will exit with.
    pub fn build(
        scenario_name: &str,
        started_at: SystemTime,
        report: &FinalReport,
        steps: &[StepInfo],
        workload_names: &[String],
        thresholds: &[ThresholdResult],
        exit_code: i32,
    ) -> Self {
        let elapsed = report.elapsed;
        let totals = &report.totals;
        let step_summaries = steps
            .iter()
            .zip(&totals.steps)
            .map(|(info, m)| step_summary(info, m, elapsed))
            .collect();
        let workloads = workload_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let w = totals.workloads.get(i).cloned().unwrap_or_default();
                WorkloadSummary {
                    workload: name.clone(),
                    iterations: w.iterations,
                    dropped: w.dropped,
                    interrupted: w.interrupted,
                    max_active_vus: w.active_vus,
                    schedule_lag: (!w.lag.is_empty()).then(|| LagStats {
                        p50: q_ms(&w.lag, 0.5),
                        p99: q_ms(&w.lag, 0.99),
                        max: w.lag.max() as f64 / 1000.0,
                    }),
                }
            })
            .collect();
        let mut outcomes = BTreeMap::new();
        for m in &totals.steps {
            add_outcomes(&mut outcomes, m);
        }
        let requests = totals.total_requests();
        let errors = totals.total_errors();
        let sum = |f: fn(&loadgen_engine::WorkloadMetrics) -> u64| {
            totals.workloads.iter().map(f).sum::<u64>()
        };
        let all_passed = thresholds.iter().all(|t| t.passed);
        RunSummary {
            schema_version: SCHEMA_VERSION,
            scenario: scenario_name.to_string(),
            started_at: rfc3339(started_at),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            steps: step_summaries,
            workloads,
            totals: Totals {
                requests,
                rate: per_second(requests, elapsed),
                errors,
                error_rate: ratio(errors, requests),
                iterations: sum(|w| w.iterations),
                dropped: sum(|w| w.dropped),
                interrupted: sum(|w| w.interrupted),
                outcomes,
            },
            thresholds: thresholds.iter().map(threshold_summary).collect(),
            verdict: if all_passed {
                Verdict::Passed
            } else {
                Verdict::Failed
            },
            stopped_early: report.stopped_early,
            exit_code,
        }
    }

    /// `summary.json`: pretty-printed, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .expect("plain structs with string keys always serialize");
        s.push('\n');
        s
    }

    /// `summary.txt`: tables of steps, workloads and thresholds, and the verdict line.
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// Writes `summary.json` and `summary.txt` into `dir` (created if missing).
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("summary.json"), self.to_json())?;
        std::fs::write(dir.join("summary.txt"), self.to_text())
    }
}

fn step_summary(info: &StepInfo, m: &StepMetrics, elapsed: Duration) -> StepSummary {
    let mut outcomes = BTreeMap::new();
    add_outcomes(&mut outcomes, m);
    let count = m.total();
    StepSummary {
        workload: info.workload_name.clone(),
        step: info.name.clone(),
        count,
        rate: per_second(count, elapsed),
        outcomes,
        latency: time_stats(&m.latency_all()),
        service_time: time_stats(&m.service),
        errors: m.errors(),
        error_rate: ratio(m.errors(), count),
    }
}

fn threshold_summary(t: &ThresholdResult) -> ThresholdSummary {
    ThresholdSummary {
        metric: t.metric.clone(),
        expression: t.expression.clone(),
        passed: t.passed,
        measured: t.measured,
        unit: t.unit.name().to_string(),
        measured_text: t.measured_text.clone(),
        limit: t.limit.clone(),
        abort_on_fail: t.abort_on_fail,
    }
}

fn add_outcomes(into: &mut BTreeMap<String, u64>, m: &StepMetrics) {
    for o in Outcome::ALL {
        let n = m.count(o);
        if n > 0 {
            *into.entry(o.name().to_string()).or_default() += n;
        }
    }
}

fn q_ms(h: &Histogram, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn time_stats(h: &Histogram) -> Option<TimeStats> {
    (!h.is_empty()).then(|| TimeStats {
        min: h.min() as f64 / 1000.0,
        p50: q_ms(h, 0.5),
        p90: q_ms(h, 0.9),
        p95: q_ms(h, 0.95),
        p99: q_ms(h, 0.99),
        p999: q_ms(h, 0.999),
        max: h.max() as f64 / 1000.0,
        mean: h.mean() / 1000.0,
    })
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        0.0
    } else {
        n as f64 / elapsed.as_secs_f64()
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_string())
}
