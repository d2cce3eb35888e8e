//! What the engine emits: interval reports while it runs, a final report at the end.

use crate::metrics::Metrics;
use std::time::{Duration, SystemTime};

/// Names of a step, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// Index of the workload.
    pub workload: usize,
    /// Name of the workload.
    pub workload_name: String,
    /// Name of the step.
    pub name: String,
}

/// One interval's metrics, merged over all threads.
#[derive(Debug, Clone)]
pub struct IntervalReport {
    /// 0-based interval number.
    pub index: u64,
    /// Offset of the interval's start from the run's start.
    pub start: Duration,
    /// Length of the interval (the last one may be shorter).
    pub length: Duration,
    /// What happened in it; gauges are the values at its end.
    pub metrics: Metrics,
}

/// Events emitted while a run goes on.
#[derive(Debug)]
pub enum Event<'a> {
    /// All threads are up; the clock starts at `at`.
    Started {
        /// Wall-clock time of the run's origin.
        at: SystemTime,
    },
    /// An interval completed on every thread.
    Interval(&'a IntervalReport),
}

/// The outcome of a whole run.
#[derive(Debug, Clone)]
pub struct FinalReport {
    /// Wall-clock time of the run's origin.
    pub started_at: SystemTime,
    /// From the origin to the last thread's end (graceful stop included).
    pub elapsed: Duration,
    /// Every interval added together (gauges: their peak).
    pub totals: Metrics,
    /// True if the run was stopped before its plan ended (signal, abort on fail).
    pub stopped_early: bool,
    /// Number of intervals reported.
    pub intervals: u64,
    /// CPU time each worker thread used (where the OS tells).
    pub worker_cpu: Vec<Option<Duration>>,
}
