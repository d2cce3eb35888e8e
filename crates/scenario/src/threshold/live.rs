//! `abort_on_fail` while the run goes on: interval metrics are added up and the aborting
//! thresholds judged on the run so far, as k6 does.

use super::{Threshold, ThresholdResult};
use loadgen_engine::{IntervalReport, Metrics, StepInfo};
use std::time::Duration;

/// Accumulates interval reports and says when an `abort_on_fail` threshold has failed.
///
/// A threshold is judged only once the run is `delay_abort_eval` old, and "no data" does not
/// abort (a workload that has not started yet has no latency); the final verdict still
/// treats no data as a failure.
#[derive(Debug, Clone)]
pub struct LiveThresholds {
    thresholds: Vec<Threshold>,
    steps: Vec<StepInfo>,
    totals: Metrics,
    elapsed: Duration,
}

impl LiveThresholds {
    /// Watches the `abort_on_fail` thresholds among `thresholds` over a plan with `steps`.
    pub fn new(thresholds: &[Threshold], steps: &[StepInfo]) -> Self {
        LiveThresholds {
            thresholds: thresholds
                .iter()
                .filter(|t| t.abort_on_fail)
                .cloned()
                .collect(),
            steps: steps.to_vec(),
            totals: Metrics::default(),
            elapsed: Duration::ZERO,
        }
    }

    /// True when no threshold asks to abort (observing is then pointless).
    pub fn is_idle(&self) -> bool {
        self.thresholds.is_empty()
    }

    /// Adds one interval; returns the first aborting threshold that now fails.
    pub fn observe(&mut self, interval: &IntervalReport) -> Option<ThresholdResult> {
        if self.thresholds.is_empty() {
            return None;
        }
        add(&mut self.totals, &interval.metrics);
        self.elapsed = self.elapsed.max(interval.start + interval.length);
        self.thresholds
            .iter()
            .filter(|t| self.elapsed >= t.delay_abort_eval)
            .map(|t| t.evaluate(&self.totals, &self.steps, self.elapsed))
            .find(|r| !r.passed && r.measured.is_some())
    }
}

/// Adds counters and histograms exactly; gauges keep their peak.
fn add(into: &mut Metrics, from: &Metrics) {
    if into.steps.len() < from.steps.len() {
        into.steps.resize_with(from.steps.len(), Default::default);
    }
    if into.workloads.len() < from.workloads.len() {
        into.workloads
            .resize_with(from.workloads.len(), Default::default);
    }
    for (a, b) in into.steps.iter_mut().zip(&from.steps) {
        a.add(b);
    }
    for (a, b) in into.workloads.iter_mut().zip(&from.workloads) {
        a.iterations += b.iterations;
        a.dropped += b.dropped;
        a.interrupted += b.interrupted;
        let _ = a.lag.add(&b.lag); // one shared histogram configuration: cannot fail
        a.active_vus = a.active_vus.max(b.active_vus);
        a.allocated_vus = a.allocated_vus.max(b.allocated_vus);
    }
}
