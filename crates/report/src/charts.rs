//! The charts the live dashboard and `report.html` share: one point format ([`ChartPoint`],
//! written as JSON) and one drawing code ([`JS`], `charts.js`: SVG drawn in the page, no
//! library, nothing fetched). A point holds, per step, the count, the errors and the latency
//! percentiles; per step, the count of every class that is not a success; per workload, the
//! VUs, the arrivals dropped, queued and skipped while paused, and the schedule lag. The
//! dashboard merges its points as they come (an upper bound on percentiles); the report
//! merges the intervals of a point exactly before it reads them (see `chart_points`).
//!
//! It knows no page: the dashboard's and the report's pages each say where the charts go.

use loadgen_engine::{Histogram, IntervalReport, Outcome, StepInfo, WorkloadMetrics};
use serde_json::{json, Value};
use std::time::Duration;

/// The drawing code both pages embed (`LG.chart`, `LG.views`, `LG.bind`).
pub const JS: &str = include_str!("charts.js");

/// Per step: count, errors, latency p50, p90, p95, p99, max (ms).
pub type StepCells = [f64; 7];

/// Per workload: busy VUs (mean), online VUs (mean), arrivals dropped, arrivals skipped while
/// paused, schedule lag p99 (ms), arrivals queued, busy VUs (peak).
pub type WorkloadCells = [f64; 7];

/// One interval, or several merged, as the charts draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPoint {
    /// Start of the span (s from the run's start).
    pub start: f64,
    /// Length of the span (s).
    pub length: f64,
    /// Per step.
    pub steps: Vec<StepCells>,
    /// Per step: `(class index in Outcome::ALL, count)` of every class but success that
    /// occurred (expected failures included, marked so by their name).
    pub classes: Vec<Vec<(u8, u64)>>,
    /// Per workload.
    pub workloads: Vec<WorkloadCells>,
}

fn ms(v: u64) -> f64 {
    v as f64 / 1e3
}

/// p50, p90, p95, p99 and max of `h` in ms (zeros when empty).
pub fn latency_cells(h: &Histogram) -> [f64; 5] {
    if h.is_empty() {
        return [0.0; 5];
    }
    let q = |p: f64| ms(h.value_at_quantile(p));
    [q(0.5), q(0.9), q(0.95), q(0.99), ms(h.max())]
}

/// A step's cells and its classes but success, from its counts per class and its latency.
pub fn step_cells(
    counts: &[u64; Outcome::COUNT],
    latency: &Histogram,
) -> (StepCells, Vec<(u8, u64)>) {
    let [p50, p90, p95, p99, max] = latency_cells(latency);
    let total: u64 = counts.iter().sum();
    let errors: u64 = Outcome::ALL
        .iter()
        .filter(|o| o.is_error())
        .map(|o| counts[*o as usize])
        .sum();
    let classes = (1..Outcome::COUNT)
        .filter(|i| counts[*i] > 0)
        .map(|i| (i as u8, counts[i]))
        .collect();
    let cells = [total as f64, errors as f64, p50, p90, p95, p99, max];
    (cells, classes)
}

/// A workload's cells over a span of `length`.
pub fn workload_cells(w: &WorkloadMetrics, length: Duration) -> WorkloadCells {
    let lag = if w.lag.is_empty() {
        0.0
    } else {
        ms(w.lag.value_at_quantile(0.99))
    };
    [
        w.mean_active_vus(length),
        w.mean_online_vus(length),
        w.dropped as f64,
        w.skipped_paused as f64,
        lag,
        w.queued as f64,
        w.peak_active_vus as f64,
    ]
}

impl ChartPoint {
    /// The point of one interval `r`.
    pub fn of(r: &IntervalReport) -> ChartPoint {
        let m = &r.metrics;
        let (steps, classes) = m
            .steps
            .iter()
            .map(|s| step_cells(&s.counts, &s.latency_all()))
            .unzip();
        ChartPoint {
            start: r.start.as_secs_f64(),
            length: r.length.as_secs_f64(),
            steps,
            classes,
            workloads: m
                .workloads
                .iter()
                .map(|w| workload_cells(w, r.length))
                .collect(),
        }
    }

    /// `{"t", "len", "s", "w"}` and `"e"` when some class but success occurred, rounded to
    /// the thousandth (a microsecond of latency): what `charts.js` reads.
    pub fn to_json(&self) -> Value {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let cells = |c: &[f64]| c.iter().map(|v| json!(round(*v))).collect::<Vec<_>>();
        let mut p = json!({
            "t": round(self.start),
            "len": round(self.length),
            "s": self.steps.iter().map(|s| cells(s)).collect::<Vec<_>>(),
            "w": self.workloads.iter().map(|w| cells(w)).collect::<Vec<_>>(),
        });
        if self.classes.iter().any(|c| !c.is_empty()) {
            p["e"] = json!(self.classes);
        }
        p
    }
}

/// The names every point's cells refer to: `steps` (`workload/step`), `workloads`,
/// `step_workload` (each step's workload index) and `classes` (the outcome classes by index).
pub fn names_json(steps: &[StepInfo], workloads: &[String]) -> Value {
    json!({
        "steps": steps.iter().map(|s| format!("{}/{}", s.workload_name, s.name)).collect::<Vec<_>>(),
        "step_workload": steps.iter().map(|s| s.workload).collect::<Vec<_>>(),
        "workloads": workloads,
        "classes": Outcome::ALL.iter().map(|o| o.name()).collect::<Vec<_>>(),
    })
}

/// Merges the classes of `b` into `a` (both sorted by class index).
pub fn add_classes(a: &mut Vec<(u8, u64)>, b: &[(u8, u64)]) {
    for &(class, n) in b {
        match a.binary_search_by_key(&class, |c| c.0) {
            Ok(i) => a[i].1 += n,
            Err(i) => a.insert(i, (class, n)),
        }
    }
}
