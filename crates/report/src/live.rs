//! Thresholds judged while the run goes on, for `abort_on_fail`: whole-run ones on the
//! totals so far, windowed ones (and those with `from`) on their own running windows, so a
//! window that breaks `rate < 1% over 5m` stops the run when it closes.

use crate::judge::Windows;
use loadgen_engine::{CustomInfo, GaugeMerge, IntervalReport, Metrics, StepInfo};
use loadgen_scenario::Threshold;

/// Accumulates interval reports and judges the `abort_on_fail` thresholds after each one.
pub struct LiveThresholds<'a> {
    thresholds: Vec<&'a Threshold>,
    windows: Windows,
    steps: Vec<StepInfo>,
    custom: Vec<CustomInfo>,
    totals: Metrics,
    tripped: bool,
}

impl<'a> LiveThresholds<'a> {
    /// Watches the `abort_on_fail` thresholds among `thresholds`.
    pub fn new(thresholds: &'a [Threshold], steps: &[StepInfo], custom: &[CustomInfo]) -> Self {
        let abort = || thresholds.iter().filter(|t| t.abort_on_fail);
        LiveThresholds {
            thresholds: abort().filter(|t| t.is_whole_run()).collect(),
            windows: Windows::new(abort(), steps, custom),
            steps: steps.to_vec(),
            custom: custom.to_vec(),
            totals: Metrics::default(),
            tripped: false,
        }
    }

    /// Adds one interval; returns the first failing threshold (once) if the run must stop.
    pub fn observe(&mut self, r: &IntervalReport) -> Option<String> {
        if (self.thresholds.is_empty() && self.windows.is_empty()) || self.tripped {
            return None;
        }
        if let Some(breach) = self.windows.interval(r, true) {
            self.tripped = true;
            return Some(breach);
        }
        self.totals.add(&r.metrics, GaugeMerge::Max);
        let elapsed = r.start + r.length;
        let failed = self
            .thresholds
            .iter()
            .filter(|t| elapsed >= t.delay_abort_eval)
            .map(|t| crate::evaluate::evaluate(t, &self.totals, &self.steps, &self.custom, elapsed))
            .find(|res| !res.passed && res.measured.is_some())?;
        self.tripped = true;
        Some(failed.to_string())
    }
}
