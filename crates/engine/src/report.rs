//! What the engine emits: interval reports while it runs, a final report at the end.

use crate::control::Change;
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
    /// Length of the interval: the last one runs to the end of the load, so it may be
    /// shorter; it also holds what the graceful stop let finish after that end.
    pub length: Duration,
    /// What completed in it; gauges are the values at its end, peaks and VU areas cover it.
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
    /// A change made by hand (see [`crate::RunControl::request`]), emitted before the
    /// interval its instant falls in; one made after the last interval's end comes last.
    Changed(&'a Change),
    /// An interval completed on every thread.
    Interval(&'a IntervalReport),
}

/// The outcome of a whole run.
#[derive(Debug, Clone)]
pub struct FinalReport {
    /// Wall-clock time of the run's origin.
    pub started_at: SystemTime,
    /// How long the load ran: from the origin to the plan's end, or to a stop, or to the end
    /// of the last iteration when every VU ran its `iterations` first. The graceful stop's
    /// drain is not included (what it let finish is counted in the last interval).
    pub elapsed: Duration,
    /// Every interval added together (gauges: their peak).
    pub totals: Metrics,
    /// True if the run was stopped before its plan ended (signal, abort on fail).
    pub stopped_early: bool,
    /// Number of intervals reported.
    pub intervals: u64,
    /// CPU time each worker thread used (where the OS tells).
    pub worker_cpu: Vec<Option<Duration>>,
    /// How long worker threads waited, all together, because the results thread was
    /// [`crate::BACKLOG_PER_THREAD`] intervals behind (zero in a healthy run; a wait held the
    /// schedule back, so the summary calls it saturation).
    pub results_wait: Duration,
}
