//! The Prometheus text exposition (format 0.0.4) of a run's totals so far: request counters
//! by outcome, latency summaries, active VUs and dropped arrivals. Rendered once per interval
//! by [`Exposition`], an observer of the run; the binary serves the latest text on
//! `--metrics-addr`.

use loadgen_engine::{GaugeMerge, IntervalReport, Metrics, Outcome, StepInfo};
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// Keeps the run's totals and replaces the shared text after every interval (off the
/// request path: once a second, on the aggregator's thread).
pub struct Exposition {
    running: Metrics,
    steps: Vec<StepInfo>,
    workloads: Vec<String>,
    text: Arc<Mutex<String>>,
}

impl Exposition {
    /// Renders into `text` for `steps` and `workloads`.
    pub fn new(steps: Vec<StepInfo>, workloads: Vec<String>, text: Arc<Mutex<String>>) -> Self {
        Exposition {
            running: Metrics::default(),
            steps,
            workloads,
            text,
        }
    }
}

impl crate::Observer for Exposition {
    fn interval(&mut self, r: &IntervalReport) {
        self.running.add(&r.metrics, GaugeMerge::Max);
        // Gauges show the present, not the peak.
        for (w, now) in self.running.workloads.iter_mut().zip(&r.metrics.workloads) {
            w.active_vus = now.active_vus;
        }
        let rendered = render(&self.running, &self.steps, &self.workloads);
        if let Ok(mut t) = self.text.lock() {
            *t = rendered;
        }
    }
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders `totals` (cumulative since the start) for `steps` and `workloads`.
pub fn render(totals: &Metrics, steps: &[StepInfo], workloads: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP loadgen_requests_total Completed requests by step and outcome class."
    );
    let _ = writeln!(out, "# TYPE loadgen_requests_total counter");
    for (m, s) in totals.steps.iter().zip(steps) {
        for o in Outcome::ALL {
            let _ = writeln!(
                out,
                "loadgen_requests_total{{workload=\"{}\",step=\"{}\",outcome=\"{}\"}} {}",
                label(&s.workload_name),
                label(&s.name),
                o.name(),
                m.count(o)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP loadgen_latency_seconds Latency from the intended start (every outcome)."
    );
    let _ = writeln!(out, "# TYPE loadgen_latency_seconds summary");
    for (m, s) in totals.steps.iter().zip(steps) {
        let h = m.latency_all();
        let l = format!(
            "workload=\"{}\",step=\"{}\"",
            label(&s.workload_name),
            label(&s.name)
        );
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let v = if h.is_empty() {
                0.0
            } else {
                h.value_at_quantile(q) as f64 / 1e6
            };
            let _ = writeln!(out, "loadgen_latency_seconds{{{l},quantile=\"{q}\"}} {v}");
        }
        let sum = h.mean() * h.len() as f64 / 1e6;
        let _ = writeln!(out, "loadgen_latency_seconds_sum{{{l}}} {sum}");
        let _ = writeln!(out, "loadgen_latency_seconds_count{{{l}}} {}", h.len());
    }
    let _ = writeln!(
        out,
        "# HELP loadgen_active_vus VUs busy in an iteration at the last interval end."
    );
    let _ = writeln!(out, "# TYPE loadgen_active_vus gauge");
    for (w, name) in totals.workloads.iter().zip(workloads) {
        let _ = writeln!(
            out,
            "loadgen_active_vus{{workload=\"{}\"}} {}",
            label(name),
            w.active_vus
        );
    }
    let _ = writeln!(
        out,
        "# HELP loadgen_dropped_total Open-model arrivals dropped for want of a free VU."
    );
    let _ = writeln!(out, "# TYPE loadgen_dropped_total counter");
    for (w, name) in totals.workloads.iter().zip(workloads) {
        let _ = writeln!(
            out,
            "loadgen_dropped_total{{workload=\"{}\"}} {}",
            label(name),
            w.dropped
        );
    }
    let _ = writeln!(out, "# HELP loadgen_iterations_total Completed iterations.");
    let _ = writeln!(out, "# TYPE loadgen_iterations_total counter");
    for (w, name) in totals.workloads.iter().zip(workloads) {
        let _ = writeln!(
            out,
            "loadgen_iterations_total{{workload=\"{}\"}} {}",
            label(name),
            w.iterations
        );
    }
    out
}
