//! The custom metrics a Redis workload records, in the order sessions index them.
//!
//! The scenario crate declares [`custom_metrics`] on the workload; sessions record by the
//! index constants below, so the two cannot disagree.

use loadgen_engine::{CustomKind, CustomMetric};

/// Commands the steps wrote to the server (a connection's `AUTH` and `SELECT` are not
/// counted: a warmed-up connection's VU may never run a step to count them): counter. With no
/// faults it equals the server's `total_commands_processed` growth less its `AUTH`/`SELECT`
/// calls.
pub const COMMANDS: usize = 0;
/// Commands sent inside pipelines (a pipeline step's size is this over its count): counter.
pub const PIPELINED: usize = 1;
/// Time a blocking pop (`BRPOP`, `BLMOVE`, `XREAD … BLOCK`) waited for its reply, kept apart
/// from the commands' latency because an empty queue's wait is not the server's slowness:
/// trend.
pub const QUEUE_WAIT: usize = 2;
/// Blocking pops that timed out with nothing to take (a nil reply): counter.
pub const QUEUE_EMPTY: usize = 3;
/// Connections opened after a VU's first (after a reset, a timeout, a refused connect):
/// counter.
pub const RECONNECTS: usize = 4;

/// Names and kinds, index-aligned with the constants above.
pub const METRICS: [(&str, CustomKind); 5] = [
    ("redis_commands", CustomKind::Counter),
    ("redis_pipelined_commands", CustomKind::Counter),
    ("redis_queue_wait", CustomKind::Trend),
    ("redis_queue_empty", CustomKind::Counter),
    ("redis_reconnects", CustomKind::Counter),
];

/// The metrics to declare on a Redis workload.
pub fn custom_metrics() -> Vec<CustomMetric> {
    METRICS
        .iter()
        .map(|(name, kind)| CustomMetric::new(*name, *kind))
        .collect()
}
