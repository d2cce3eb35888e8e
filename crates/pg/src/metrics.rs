//! The custom metrics a PostgreSQL workload records, in the order sessions index them: the
//! reconnect counter, one trend per statement of each transaction step (pgbench `-r`), then —
//! for a journey (a workload that captures or has a once-per-VU step) — the `skipped` counter
//! and one `capture_missed_NAME` counter per capture, named as HTTP journeys name them.

use crate::step::{PgStep, StepKind};
use loadgen_engine::{CustomKind, CustomMetric};

/// New connections opened after the VU's first (a fault closed the last one): counter.
pub const RECONNECTS: usize = 0;

/// The metrics to declare on a PostgreSQL workload with `steps`, whose captures are named
/// `capture_names` in slot order.
pub fn custom_metrics(steps: &[PgStep], capture_names: &[&str]) -> Vec<CustomMetric> {
    custom_metrics_of(
        steps.iter().filter_map(|s| match &s.kind {
            StepKind::Transaction { statements, .. } => Some((s.name.as_str(), statements.len())),
            StepKind::Sql(_) => None,
        }),
        capture_names,
        steps.iter().any(|s| s.once_per_vu),
    )
}

/// The same from each transaction step's name and statement count, in step order, the
/// capture names in slot order and whether any step runs once per VU (for a caller that has
/// not built its steps yet).
pub fn custom_metrics_of<'a>(
    transactions: impl IntoIterator<Item = (&'a str, usize)>,
    capture_names: &[&str],
    once_per_vu: bool,
) -> Vec<CustomMetric> {
    let mut out = vec![CustomMetric::new("pg_reconnects", CustomKind::Counter)];
    for (name, statements) in transactions {
        for k in 1..=statements {
            out.push(CustomMetric::new(
                statement_metric(name, k),
                CustomKind::Trend,
            ));
        }
    }
    if !capture_names.is_empty() || once_per_vu {
        out.push(CustomMetric::new("skipped", CustomKind::Counter));
        out.extend(
            capture_names
                .iter()
                .map(|n| CustomMetric::new(format!("capture_missed_{n}"), CustomKind::Counter)),
        );
    }
    out
}

/// The name of the trend of statement `k` (1-based) of transaction step `step`:
/// `pg_statement_transfer_2` (characters other than letters and digits become `_`).
pub fn statement_metric(step: &str, k: usize) -> String {
    let clean: String = step
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("pg_statement_{clean}_{k}")
}

/// For each step, the index of its first statement trend (transactions only).
pub(crate) fn statement_bases(steps: &[PgStep]) -> Vec<usize> {
    let mut next = RECONNECTS + 1;
    steps
        .iter()
        .map(|s| {
            let base = next;
            if let StepKind::Transaction { statements, .. } = &s.kind {
                next += statements.len();
            }
            base
        })
        .collect()
}

/// The index of the `skipped` counter when the workload is a journey: after every trend.
/// `capture_missed` of slot `n` is at that index `+ 1 + n`.
pub(crate) fn skipped_index(steps: &[PgStep]) -> Option<usize> {
    let journey = steps
        .iter()
        .any(|s| s.once_per_vu || s.statements().iter().any(|q| !q.captures.is_empty()));
    let trends: usize = steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::Transaction { statements, .. } => statements.len(),
            StepKind::Sql(_) => 0,
        })
        .sum();
    journey.then_some(RECONNECTS + 1 + trends)
}
