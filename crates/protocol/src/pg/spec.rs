//! A checked PostgreSQL workload: its database and its steps, templates still as text (they
//! are parsed against the feeders and payloads when the workload is built).

use loadgen_pg::{DbUrl, Isolation, Rows};
use std::time::Duration;

/// A checked PostgreSQL workload.
#[derive(Debug, Clone)]
pub struct PgWorkload {
    /// The database (its `Debug` and `Display` leave the password out).
    pub url: DbUrl,
    /// SQL run once before the load (`[workload.postgres] setup`).
    pub setup: Vec<String>,
    /// Limit on connect + TLS + authentication.
    pub connect_timeout: Duration,
    /// Limit on one step (a statement or a whole transaction).
    pub timeout: Option<Duration>,
    /// The steps, in order.
    pub steps: Vec<PgStepSpec>,
}

/// One checked step.
#[derive(Debug, Clone)]
pub struct PgStepSpec {
    /// Its name.
    pub name: String,
    /// One statement (`sql`) or several (`transaction`).
    pub statements: Vec<SqlSpec>,
    /// A `transaction = […]` step (even of one statement).
    pub transaction: bool,
    /// `isolation = "serializable"` of a transaction.
    pub isolation: Option<Isolation>,
    /// `expect = { rows, min_rows }`, checked on the last statement.
    pub rows: Rows,
    /// `capture = { NAME = { column = "…" } }` from the last statement's first row.
    pub captures: Vec<(String, String)>,
    /// `scope = "vu"`: run once per VU (until it succeeds), its captures kept.
    pub once_per_vu: bool,
}

/// One statement as written.
#[derive(Debug, Clone)]
pub struct SqlSpec {
    /// The SQL, with `$1…$n`.
    pub query: String,
    /// One template per placeholder.
    pub params: Vec<String>,
    /// Declared types of the first parameters.
    pub types: Vec<String>,
}

impl PgWorkload {
    /// Capture names in file order (their slots).
    pub(crate) fn capture_names(&self) -> Vec<&str> {
        self.steps
            .iter()
            .flat_map(|s| s.captures.iter().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// Every parameter template's text (the feeder row-count check reads them).
    pub(crate) fn template_texts(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.statements.iter().flat_map(|q| q.params.iter().cloned()))
            .collect()
    }

    /// What the sessions record beside the steps (`loadgen_pg::metrics`).
    pub(crate) fn custom_metrics(&self) -> Vec<loadgen_engine::CustomMetric> {
        loadgen_pg::metrics::custom_metrics_of(
            self.steps
                .iter()
                .filter(|s| s.transaction)
                .map(|s| (s.name.as_str(), s.statements.len())),
            &self.capture_names(),
            self.steps.iter().any(|s| s.once_per_vu),
        )
    }
}
