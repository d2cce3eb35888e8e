//! Thresholds judged while the run goes on, for `abort_on_fail`.

use loadgen_engine::{CustomInfo, GaugeMerge, IntervalReport, Metrics, StepInfo};
use loadgen_scenario::Threshold;

/// Accumulates interval reports and judges the `abort_on_fail` thresholds after each one.
pub struct LiveThresholds<'a> {
    thresholds: Vec<&'a Threshold>,
    steps: Vec<StepInfo>,
    custom: Vec<CustomInfo>,
    totals: Metrics,
    tripped: bool,
}

impl<'a> LiveThresholds<'a> {
    /// Watches the `abort_on_fail` thresholds among `thresholds`.
    pub fn new(thresholds: &'a [Threshold], steps: &[StepInfo], custom: &[CustomInfo]) -> Self {
        LiveThresholds {
            thresholds: thresholds.iter().filter(|t| t.abort_on_fail).collect(),
            steps: steps.to_vec(),
            custom: custom.to_vec(),
            totals: Metrics::default(),
            tripped: false,
        }
    }

    /// Adds one interval; returns the first failing threshold (once) if the run must stop.
    pub fn observe(&mut self, r: &IntervalReport) -> Option<String> {
        if self.thresholds.is_empty() || self.tripped {
            return None;
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
