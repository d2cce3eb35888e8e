//! The partial `summary.json` of a run still going: every minute of run time the figures so
//! far (every interval added, gauges at their peak, as the final report adds them), judged
//! against the whole-run thresholds so far and marked `"partial": true`. Memory is one set of running
//! totals, whatever the run's length. A run killed later leaves the last one in its folder;
//! `loadgen report DIR` rebuilds the whole results from `metrics.jsonl`.

use crate::run_info::{Layout, RunInfo};
use crate::saturation::GeneratorSummary;
use crate::summary::RunSummary;
use crate::verdict::Judgement;
use loadgen_engine::{CustomInfo, FinalReport, GaugeMerge, IntervalReport, Metrics, StepInfo};
use loadgen_judge::evaluate_all;
use loadgen_scenario::Scenario;
use std::time::Duration;

/// How often (in run time) the partial summary is rewritten.
pub const EVERY: Duration = Duration::from_secs(60);

/// The running totals behind the partial summary.
#[derive(Debug, Clone)]
pub struct PartialSummary {
    totals: Metrics,
    intervals: u64,
    elapsed: Duration,
    written_at: Duration,
}

impl PartialSummary {
    /// Totals of the metrics of `layout`, empty.
    pub fn new(layout: &Layout) -> Self {
        PartialSummary {
            totals: Metrics::shaped(
                layout.steps.len(),
                layout.workloads.len(),
                &layout.custom_kinds(),
            ),
            intervals: 0,
            elapsed: Duration::ZERO,
            written_at: Duration::ZERO,
        }
    }

    /// Adds one interval.
    pub fn interval(&mut self, r: &IntervalReport) {
        self.totals.add(&r.metrics, GaugeMerge::Max);
        self.intervals += 1;
        self.elapsed = self.elapsed.max(r.start + r.length);
    }

    /// The summary so far, when [`EVERY`] of run time has passed since the last one.
    pub fn due(
        &mut self,
        sc: &Scenario,
        steps: &[StepInfo],
        custom: &[CustomInfo],
        info: &RunInfo,
    ) -> Option<RunSummary> {
        if self.elapsed < self.written_at + EVERY {
            return None;
        }
        self.written_at = self.elapsed;
        let report = FinalReport {
            started_at: info.started_at_time(),
            elapsed: self.elapsed,
            totals: self.totals.clone(),
            stopped_early: false,
            intervals: self.intervals,
            worker_cpu: Vec::new(),
            results_wait: Default::default(),
        };
        // Windowed thresholds (`over`, `for`, `from`) are judged live and at the end; the
        // partial summary judges the whole-run ones on the figures so far.
        let whole: Vec<_> = sc
            .thresholds
            .iter()
            .filter(|t| t.is_whole_run())
            .cloned()
            .collect();
        let results = evaluate_all(&whole, &self.totals, steps, custom, self.elapsed);
        let judgement = Judgement::of(&results, false, None);
        let generator = GeneratorSummary::judge(&self.totals, &Default::default(), self.elapsed);
        let mut s = RunSummary::build(sc, &report, steps, custom, &results, generator, judgement);
        s.partial = true;
        s.verdict_reason = format!(
            "partial, at {:.0}s of the planned {:.0}s (rewritten every minute): {}",
            self.elapsed.as_secs_f64(),
            sc.planned_duration().as_secs_f64(),
            s.verdict_reason
        );
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen_engine::Outcome;

    #[test]
    fn every_minute_of_run_time_the_figures_so_far_are_judged_and_marked_partial() {
        let text = "name = \"p\"\ntarget = \"http://127.0.0.1:1\"\nduration = \"10m\"\n\
                    [[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"5/s\"\nmax_vus = 5\n\
                    [[workload.step]]\nname = \"s\"\nhttp = { path = \"/\" }\n\
                    [thresholds]\n\"errors\" = [\"rate < 1%\"]\n";
        let sc = loadgen_scenario::parse(text, "p.toml", &|_| None).unwrap();
        let plan = loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").unwrap();
        let layout = Layout::of(&plan);
        let info = RunInfo::new(
            "p",
            &crate::PlanIdentity {
                hash: "h".into(),
                overrides: Default::default(),
                raw_text: None,
                file: None,
            },
            layout.clone(),
            vec!["0/1".into()],
            Duration::from_secs(1),
        );
        let steps = plan.steps();
        let mut p = PartialSummary::new(&layout);
        let mut written = Vec::new();
        for k in 0..130u64 {
            let mut metrics = Metrics::new(1, 1);
            let l = Duration::from_millis(3);
            for _ in 0..5 {
                metrics.steps[0].record(Outcome::Success, l, l, None, None);
            }
            p.interval(&IntervalReport {
                index: k,
                start: Duration::from_secs(k),
                length: Duration::from_secs(1),
                metrics,
            });
            if let Some(s) = p.due(&sc, &steps, &[], &info) {
                written.push((k, s));
            }
        }
        let at: Vec<u64> = written.iter().map(|w| w.0).collect();
        assert_eq!(at, vec![59, 119], "once a minute of run time");
        let s = &written[1].1;
        assert!(s.partial);
        assert_eq!(s.totals.requests, 600);
        assert_eq!(s.elapsed_seconds, 120.0);
        assert!(s.thresholds[0].passed);
        assert!(s
            .verdict_reason
            .starts_with("partial, at 120s of the planned 600s"));
        assert!(s.to_json().contains("\"partial\": true"));
    }
}
