//! `summary.txt`: what a person reads at the end of a run.

use super::{RunSummary, TimeStats, Verdict};
use crate::threshold::Unit;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use std::fmt::Write;

pub(super) fn render(s: &RunSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {} — started {}, elapsed {}{}",
        s.scenario,
        s.started_at,
        ms(s.elapsed_ms),
        if s.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    );
    let t = &s.totals;
    let _ = writeln!(
        out,
        "requests {} ({:.2}/s), errors {} ({}), iterations {}, dropped {}, interrupted {}\n",
        t.requests,
        t.rate,
        t.errors,
        t.error_rate.map_or("-".into(), |r| Unit::Ratio.format(r)),
        t.iterations,
        t.dropped,
        t.interrupted
    );
    let _ = writeln!(out, "{}\n", steps_table(s));
    let _ = writeln!(out, "{}\n", workloads_table(s));
    if !s.thresholds.is_empty() {
        let _ = writeln!(out, "{}\n", thresholds_table(s));
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    let n = s.thresholds.len();
    let _ = writeln!(
        out,
        "{}",
        match s.verdict {
            Verdict::Passed if n == 0 => "verdict: PASSED (no thresholds)".to_string(),
            Verdict::Passed => format!("verdict: PASSED ({n} of {n} thresholds passed)"),
            Verdict::Failed => format!("verdict: FAILED ({failed} of {n} thresholds failed)"),
        }
    );
    out
}

/// A table whose columns `right` (numbers) are right-aligned.
fn table(header: &[&str], right: std::ops::Range<usize>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for i in right {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn steps_table(s: &RunSummary) -> Table {
    let mut t = table(
        &[
            "workload", "step", "count", "rate", "min", "p50", "p90", "p95", "p99", "p99.9", "max",
            "errors",
        ],
        2..11,
    );
    for st in &s.steps {
        let mut row = vec![
            st.workload.clone(),
            st.step.clone(),
            st.count.to_string(),
            format!("{:.2}/s", st.rate),
        ];
        row.extend(latency_cells(st.latency.as_ref()));
        let errors: Vec<String> = st
            .outcomes
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "success" | "expected_failure"))
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        row.push(if errors.is_empty() {
            "-".into()
        } else {
            errors.join(", ")
        });
        t.add_row(row);
    }
    t
}

fn latency_cells(l: Option<&TimeStats>) -> Vec<String> {
    match l {
        Some(l) => [l.min, l.p50, l.p90, l.p95, l.p99, l.p999, l.max]
            .iter()
            .map(|v| ms(*v))
            .collect(),
        None => vec!["-".into(); 7],
    }
}

fn workloads_table(s: &RunSummary) -> Table {
    let mut t = table(
        &[
            "workload",
            "iterations",
            "dropped",
            "interrupted",
            "max VUs",
            "lag p50",
            "lag p99",
            "lag max",
        ],
        1..8,
    );
    for w in &s.workloads {
        let lag = |f: fn(&super::LagStats) -> f64| {
            w.schedule_lag.as_ref().map_or("-".into(), |l| ms(f(l)))
        };
        t.add_row(vec![
            w.workload.clone(),
            w.iterations.to_string(),
            w.dropped.to_string(),
            w.interrupted.to_string(),
            w.max_active_vus.to_string(),
            lag(|l| l.p50),
            lag(|l| l.p99),
            lag(|l| l.max),
        ]);
    }
    t
}

fn thresholds_table(s: &RunSummary) -> Table {
    let mut t = table(&["", "metric", "expression", "measured"], 3..4);
    for th in &s.thresholds {
        t.add_row(vec![
            if th.passed { "✓" } else { "✗" }.to_string(),
            th.metric.clone(),
            th.expression.clone(),
            th.measured_text.clone(),
        ]);
    }
    t
}

fn ms(v: f64) -> String {
    Unit::Millis.format(v)
}
