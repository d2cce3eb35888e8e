//! Thresholds judged while the run goes on, for `abort_on_fail`: whole-run ones on the
//! totals so far, windowed ones (and those with `from`) on their own running windows, so a
//! window that breaks `rate < 1% over 5m` stops the run when it closes.

use loadgen_engine::{CustomInfo, GaugeMerge, IntervalReport, Metrics, StepInfo};
use loadgen_judge::Windows;
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
            .map(|t| loadgen_judge::evaluate(t, &self.totals, &self.steps, &self.custom, elapsed))
            .find(|res| !res.passed && res.measured.is_some())?;
        self.tripped = true;
        Some(failed.to_string())
    }
}

#[cfg(test)]
mod tests {
    use loadgen_engine::{IntervalReport, Metrics, Outcome, StepInfo};
    use loadgen_scenario::Threshold;
    use std::time::Duration;

    fn th(key: &str, expr: &str) -> Threshold {
        Threshold::parse(key, expr, &|_| None).unwrap()
    }

    fn interval(index: u64, errors: u64, total: u64) -> IntervalReport {
        let mut m = Metrics::new(1, 1);
        let ms = Duration::from_millis(1);
        for k in 0..total {
            let o = if k < errors {
                Outcome::Http5xx
            } else {
                Outcome::Success
            };
            m.steps[0].record(o, ms, ms, None, None);
        }
        IntervalReport {
            index,
            start: Duration::from_secs(index),
            length: Duration::from_secs(1),
            metrics: m,
        }
    }

    #[test]
    fn abort_on_fail_stops_on_the_interval_that_closes_a_broken_window() {
        let steps = [StepInfo {
            workload: 0,
            workload_name: "w".into(),
            name: "a".into(),
        }];
        let mut t = th("errors", "rate < 5% over 3s");
        t.abort_on_fail = true;
        let ts = [t];
        let mut live = super::LiveThresholds::new(&ts, &steps, &[]);
        // 10% errors from the fourth interval on: the window 2..5 holds 20 of 150 (13%).
        let stops: Vec<_> = (0..8)
            .map(|i| live.observe(&interval(i, if i >= 3 { 5 } else { 0 }, 50)))
            .collect();
        let first = stops.iter().position(Option::is_some);
        assert_eq!(first, Some(4), "{stops:?}");
        let why = stops[4].as_deref().unwrap();
        assert!(why.contains("in 2.0s–5.0s"), "{why}");
        // It trips once.
        assert!(stops[5..].iter().all(Option::is_none));
    }
}
