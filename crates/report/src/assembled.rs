//! A run assembled from parts — a merge's folders, a killed run's folder, the coordinator's
//! workers — written through the same sink as a live run, one interval at a time: the
//! caller streams the intervals in ([`Assembling::line`] for encoded ones,
//! [`Assembling::interval`] for merged ones) and nothing here keeps them, so memory stays
//! flat however long the run was.

use crate::error::ReportError;
use crate::folder::IntervalLine;
use crate::run_info::{ChangeRecord, RunInfo};
use crate::sink::{Finished, Footprint, Results, RunEnd};
use loadgen_engine::IntervalReport;
use loadgen_scenario::Scenario;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A run assembled from parts: everything its results folder is made of but its intervals.
pub struct Assembled<'a> {
    /// The folder.
    pub out: &'a Path,
    /// `run.json` of the assembled run (origin, segments, missing segments).
    pub info: RunInfo,
    /// The scenario file's text, copied as `scenario.toml`.
    pub raw_scenario: Option<&'a str>,
    /// How many intervals will be fed (or are planned): the report's points are spread over
    /// that many.
    pub intervals: u64,
}

impl Assembled<'_> {
    /// Opens the folder's files for a run started at `started_at`, judging `sc`'s windowed
    /// thresholds as the intervals come.
    pub fn start(self, sc: &Scenario, started_at: SystemTime) -> Assembling {
        let interval = self.info.interval_ms.max(1);
        let mut info = self.info;
        // Changes by hand the parts recorded go before the interval their instant falls in,
        // as a live run's do.
        let changes = std::mem::take(&mut info.changes).into();
        let mut results = Results::create(self.out, info, self.raw_scenario);
        results.judge_windows(&sc.thresholds);
        results.expect_length(Duration::from_millis(
            interval.saturating_mul(self.intervals),
        ));
        results.started(started_at);
        Assembling {
            results,
            out: self.out.to_path_buf(),
            changes,
        }
    }

    /// Writes the whole folder from `lines` and judges the run (for callers that hold the
    /// lines already, such as tests; the commands stream them through [`Assembling`]).
    pub fn write(
        self,
        sc: &Scenario,
        lines: &[IntervalLine],
        end: RunEnd<'_>,
    ) -> Result<Finished, ReportError> {
        let mut folder = self.start(sc, end.report.started_at);
        for l in lines {
            folder.line(l)?;
        }
        folder.finish(sc, end)
    }
}

/// An assembled run's folder being written.
pub struct Assembling {
    results: Results,
    out: PathBuf,
    /// Recorded changes by hand not yet placed before an interval.
    changes: std::collections::VecDeque<ChangeRecord>,
}

impl Assembling {
    /// One interval that arrived encoded: written as it is, decoded once for the rest.
    pub fn line(&mut self, l: &IntervalLine) -> Result<(), ReportError> {
        self.changes_before((l.start_us + l.length_us) as f64 / 1e6);
        self.results.line(l).map_err(|e| ReportError::BadInterval {
            index: l.index,
            error: Box::new(e),
        })
    }

    /// One interval merged here: encoded once for `metrics.jsonl`.
    pub fn interval(&mut self, r: &IntervalReport) {
        self.changes_before((r.start + r.length).as_secs_f64());
        self.results.interval(r);
    }

    /// A change by hand recorded while the intervals stream (a coordinator's): it goes
    /// before the first interval fed after it, the one its instant falls in.
    pub fn change_record(&mut self, c: ChangeRecord) {
        self.results.change_record(c);
    }

    fn changes_before(&mut self, end_s: f64) {
        while self.changes.front().is_some_and(|c| c.at_s < end_s) {
            if let Some(c) = self.changes.pop_front() {
                self.results.change_record(c);
            }
        }
    }

    /// See [`Results::partial_summary`].
    pub fn partial_summary(&mut self, sc: &Scenario) {
        self.results.partial_summary(sc);
    }

    /// See [`Results::missing_segments`].
    pub fn missing_segments(&mut self, missing: Vec<String>) {
        self.results.missing_segments(missing);
    }

    /// See [`Results::footprint`].
    pub fn footprint(&self) -> Footprint {
        self.results.footprint()
    }

    /// Closes the files and judges the run. A file that cannot be written is an error here:
    /// nothing is running any more.
    pub fn finish(mut self, sc: &Scenario, end: RunEnd<'_>) -> Result<Finished, ReportError> {
        self.changes_before(f64::INFINITY);
        let finished = self.results.finish(sc, end)?;
        match finished.incomplete() {
            Some(message) => Err(ReportError::Incomplete {
                dir: self.out,
                message,
            }),
            None => Ok(finished),
        }
    }
}
