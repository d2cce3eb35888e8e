//! A live run's stream of engine events, fanned out in a fixed order: the results files
//! first, then the observers in the order given (the Prometheus text before the live line,
//! so a line on stdout means `/metrics` already has its interval), then the `abort_on_fail`
//! thresholds.

use crate::error::ReportError;
use crate::live::LiveThresholds;
use crate::sink::{Finished, Results, RunEnd};
use loadgen_engine::{Change, Event, IntervalReport};
use loadgen_scenario::Scenario;
use std::time::SystemTime;

/// Something that follows a run interval by interval (the live line, the Prometheus text).
pub trait Observer {
    /// The run's clock started at `at`.
    fn started(&mut self, _at: SystemTime) {}
    /// A change made by hand (before the interval it falls in).
    fn change(&mut self, _c: &Change) {}
    /// One interval ended.
    fn interval(&mut self, r: &IntervalReport);
    /// The run is over (its summary is written): `verdict_line` says how it ended.
    fn finished(&mut self, _verdict_line: &str) {}
}

/// The results sink of a live run and the observers that watch the same intervals.
pub struct Stream<'a> {
    results: Results,
    sc: &'a Scenario,
    observers: Vec<&'a mut dyn Observer>,
    live: LiveThresholds<'a>,
}

impl<'a> Stream<'a> {
    /// Feeds `results`, then `observers` in order, and judges `sc`'s `abort_on_fail`
    /// thresholds after every interval.
    pub fn new(
        mut results: Results,
        sc: &'a Scenario,
        observers: Vec<&'a mut dyn Observer>,
    ) -> Self {
        results.judge_windows(&sc.thresholds);
        results.expect_length(sc.planned_duration());
        let live = LiveThresholds::new(&sc.thresholds, results.steps(), results.custom());
        Stream {
            results,
            sc,
            observers,
            live,
        }
    }

    /// One engine event; returns the threshold that failed (once) when the run must stop.
    pub fn event(&mut self, e: &Event<'_>) -> Option<String> {
        match e {
            Event::Started { at } => {
                self.results.started(*at);
                for o in &mut self.observers {
                    o.started(*at);
                }
                None
            }
            Event::Changed(c) => {
                self.results.change(c);
                for o in &mut self.observers {
                    o.change(c);
                }
                None
            }
            Event::Interval(r) => {
                self.results.interval(r);
                self.results.partial_summary(self.sc);
                for o in &mut self.observers {
                    o.interval(r);
                }
                self.live.observe(r)
            }
        }
    }

    /// The run ended: see [`Results::finish`].
    pub fn finish(self, sc: &Scenario, end: RunEnd<'_>) -> Result<Finished, ReportError> {
        let done = self.results.finish(sc, end)?;
        let line = done.summary.verdict_line();
        for o in self.observers {
            o.finished(&line);
        }
        Ok(done)
    }
}
