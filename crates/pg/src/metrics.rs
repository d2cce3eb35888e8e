//! The custom metrics a PostgreSQL workload records, in the order sessions index them: the
//! reconnect counter, then one trend per statement of each transaction step (pgbench `-r`).

use crate::step::{PgStep, StepKind};
use loadgen_engine::{CustomKind, CustomMetric};

/// New connections opened after the VU's first (a fault closed the last one): counter.
pub const RECONNECTS: usize = 0;

/// The metrics to declare on a PostgreSQL workload with `steps`.
pub fn custom_metrics(steps: &[PgStep]) -> Vec<CustomMetric> {
    custom_metrics_of(steps.iter().filter_map(|s| match &s.kind {
        StepKind::Transaction { statements, .. } => Some((s.name.as_str(), statements.len())),
        StepKind::Sql(_) => None,
    }))
}

/// The same from each transaction step's name and statement count, in step order (for a
/// caller that has not built its steps yet).
pub fn custom_metrics_of<'a>(
    transactions: impl IntoIterator<Item = (&'a str, usize)>,
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
