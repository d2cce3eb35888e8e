//! What a coordinator shows while its fleet runs: the live line of merged intervals and,
//! with `--dashboard`, the fleet's page (the merged intervals, a line per worker, the
//! changes made by hand).

use crate::RunError;
use loadgen_dashboard::{Dashboard, RunShape, WorkerLine};
use loadgen_engine::{Change, IntervalReport};
use loadgen_fleet::{CoordinatorHooks, WorkerLive};
use loadgen_report::Observer;
use loadgen_scenario::{Scenario, TargetSpec};

/// The coordinator's live output: lines on the console (unless `quiet`) and the dashboard.
pub struct FleetHooks {
    pub quiet: bool,
    pub dashboard: Option<Dashboard>,
}

impl FleetHooks {
    /// Shows the verdict on the page (when the results were written) and closes it; the
    /// process never waits for open tabs.
    pub fn close(&mut self, verdict: Option<&str>) {
        if let Some(mut d) = self.dashboard.take() {
            if let Some(v) = verdict {
                d.board.finished(v);
            }
            d.close();
        }
    }
}

impl CoordinatorHooks for FleetHooks {
    fn log(&mut self, line: &str) {
        loadgen_console::say!("loadgen coordinator: {line}");
    }

    fn workers(&mut self, workers: &[WorkerLive]) {
        if let Some(d) = self.dashboard.as_mut() {
            let lines = workers
                .iter()
                .map(|w| WorkerLine {
                    addr: w.addr.clone(),
                    segment: w.segment.clone(),
                    state: match (&w.lost, w.done) {
                        (Some(_), _) => "lost",
                        (None, true) => "done",
                        (None, false) => "running",
                    },
                    why: w.lost.clone().unwrap_or_default(),
                    rate: w.rate,
                    requests: w.requests,
                    errors: w.errors,
                })
                .collect();
            d.board.workers(lines);
        }
    }

    fn change(&mut self, c: &Change) {
        if let Some(d) = self.dashboard.as_mut() {
            d.board.change(c);
        }
    }

    fn interval(&mut self, r: &IntervalReport, running: usize, total: usize) {
        if let Some(d) = self.dashboard.as_mut() {
            d.board.interval(r);
        }
        if !self.quiet {
            loadgen_console::say!(
                "{}",
                loadgen_report::live_line::fleet_line(r, running, total)
            );
        }
    }
}

/// The fleet's steps and thresholds for its dashboard (the plan is built here only to name
/// them; each worker builds its own).
pub fn fleet_shape(sc: &Scenario, target: Option<&str>) -> Result<RunShape, RunError> {
    let base_url = match (target, &sc.target) {
        (Some(t), _) => t.to_string(),
        (None, TargetSpec::Url(u)) => u.clone(),
        (None, TargetSpec::Embedded(_)) => {
            return Err(RunError::bad(
                "the scenario's target is the embedded demo target; give the shared target with --target URL",
            ))
        }
    };
    let plan = loadgen_scenario::build_plan(sc, &base_url).map_err(RunError::bad)?;
    Ok(RunShape::of(&plan, sc))
}
