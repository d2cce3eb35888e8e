//! The results sink: one results folder written from a run's stream of intervals, then
//! judged. `loadgen run` and a worker feed it live intervals ([`Results::interval`], which
//! encodes each once for `metrics.jsonl` and hands the line back for the control channel);
//! `loadgen merge` and the coordinator feed it intervals that arrive encoded
//! ([`Results::line`]). The files are the same either way, and so is the verdict.
//!
//! A file that cannot be written during the run does not stop it: the first error of each
//! group (the interval files, the merge files) is kept and reported by [`Results::finish`],
//! which still writes the summary. Only the end-of-run files (summary, HTML, JUnit) fail it.

use crate::error::ReportError;
use crate::folder::{FolderWriter, IntervalLine};
use crate::html_report::ReportData;
use crate::out_file::write_atomic;
use crate::results::ResultsWriter;
use crate::run_info::{ChangeRecord, Layout, RunInfo};
use crate::saturation::{GeneratorStats, GeneratorSummary};
use crate::summary::RunSummary;
use crate::verdict::Judgement;
use loadgen_engine::{Change, CustomInfo, CustomMetric, FinalReport, IntervalReport, StepInfo};
use loadgen_judge::{evaluate, result, ThresholdResult};
use loadgen_judge::{take, Windows};
use loadgen_scenario::{Scenario, Threshold};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How a run ended, for its verdict.
pub struct RunEnd<'a> {
    /// The engine's final report (or one assembled from parts).
    pub report: &'a FinalReport,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// Why the run covers less than its plan (a lost worker); fails the verdict.
    pub incomplete: Option<String>,
    /// What this process measured about itself (default: nothing, for runs assembled from
    /// other processes' parts; their own folders hold their CPU figures).
    pub stats: GeneratorStats,
}

/// A judged results folder.
pub struct Finished {
    /// What `summary.json` / `summary.txt` hold.
    pub summary: RunSummary,
    /// The verdict's exit code.
    pub code: u8,
    /// The interval files (`timeseries.csv`, `latency.hlog`) could not all be written.
    pub interval_files_error: Option<String>,
    /// The merge files (`run.json`, `metrics.jsonl`, `scenario.toml`) could not all be written.
    pub merge_files_error: Option<String>,
}

impl Finished {
    /// Every file error as one, for callers that treat an incomplete folder as a failure.
    pub fn incomplete(&self) -> Option<String> {
        match (&self.interval_files_error, &self.merge_files_error) {
            (None, None) => None,
            (a, b) => Some(
                a.iter()
                    .chain(b.iter())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        }
    }
}

/// What a results sink keeps that is not fixed by the run's layout: the report's chart
/// points (at most [`crate::html_report::MAX_POINTS`] for the planned length), the
/// intervals inside windowed thresholds' running windows (at most ⌈window / interval⌉ + 1
/// each) and the changes made by hand (one per change, not per interval). Everything else
/// is one set of running totals and histograms; the files are streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Points of `report.html`'s series.
    pub chart_points: usize,
    /// Intervals held by windowed thresholds' running windows.
    pub window_intervals: usize,
    /// Changes made by hand.
    pub changes: usize,
}

/// The files of one results folder, written as the intervals come.
pub struct Results {
    out: PathBuf,
    info: RunInfo,
    steps: Vec<StepInfo>,
    custom: Vec<CustomInfo>,
    series: Option<ResultsWriter>,
    merge_files: Option<FolderWriter>,
    report_data: ReportData,
    series_error: Option<String>,
    merge_error: Option<String>,
    windows: Option<Windows>,
    partial: crate::partial::PartialSummary,
    /// Changes made by hand, in order.
    changes: Vec<ChangeRecord>,
}

impl Results {
    /// Starts the results folder `out` (created if missing) of the run `info` describes;
    /// copies `raw_scenario` (secrets redacted) as `scenario.toml` so the folder can be merged
    /// again. Nothing else is written before [`Results::started`].
    pub fn create(out: &Path, info: RunInfo, raw_scenario: Option<&str>) -> Results {
        let mut merge_error = std::fs::create_dir_all(out)
            .err()
            .map(|e| ReportError::io(out, e).to_string());
        if let (None, Some(text)) = (&merge_error, raw_scenario) {
            let copy = loadgen_scenario::redact_secrets(text);
            merge_error = write_atomic(&out.join("scenario.toml"), copy)
                .err()
                .map(|e| format!("scenario.toml: {e}"));
        }
        let info_layout = info.layout.clone();
        Results {
            out: out.to_path_buf(),
            steps: steps_of(&info.layout),
            custom: custom_of(&info.layout),
            info,
            series: None,
            merge_files: None,
            report_data: ReportData::default(),
            series_error: None,
            merge_error,
            windows: None,
            partial: crate::partial::PartialSummary::new(&info_layout),
            changes: Vec::new(),
        }
    }

    /// Judges `thresholds` with a window or a `from` on the intervals as they come (call it
    /// before the first interval with the scenario's thresholds; [`Stream`](crate::Stream)
    /// and [`Assembled`] do). Whole-run thresholds need nothing: the totals answer them.
    pub fn judge_windows(&mut self, thresholds: &[Threshold]) {
        self.windows = Some(Windows::new(thresholds, &self.steps, &self.custom));
    }

    /// The run is planned to last `planned`: `report.html` then draws at most
    /// [`crate::html_report::MAX_POINTS`] points per series, each merging as many adjacent
    /// intervals as that takes (exactly: HDR histograms merged, counts added).
    pub fn expect_length(&mut self, planned: std::time::Duration) {
        let interval = self.info.interval_ms.max(1) as u128;
        let intervals = planned.as_millis().div_ceil(interval) as u64;
        self.report_data.expect_intervals(intervals);
    }

    /// Segments of the plan the run turned out not to hold (a lost worker): `run.json`
    /// names them at the end.
    pub fn missing_segments(&mut self, missing: Vec<String>) {
        self.info.missing_segments = missing;
    }

    /// What this sink holds in memory that could grow with the run, counted (see
    /// [`Footprint`]): none of it grows with the number of intervals beyond its bound.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            chart_points: self.report_data.points.len(),
            window_intervals: self.windows.as_ref().map_or(0, Windows::held_intervals),
            changes: self.changes.len(),
        }
    }

    /// The steps of the run, as the engine names them.
    pub fn steps(&self) -> &[StepInfo] {
        &self.steps
    }

    /// The custom metrics of the run, as the engine names them.
    pub fn custom(&self) -> &[CustomInfo] {
        &self.custom
    }

    /// The clock started at `at`: `run.json` gets the origin; `metrics.jsonl`,
    /// `timeseries.csv` and `latency.hlog` are opened.
    pub fn started(&mut self, at: SystemTime) {
        self.info.set_origin(at);
        match ResultsWriter::create(&self.out, &self.steps, at) {
            Ok(w) => self.series = Some(w),
            Err(e) => self.series_error = Some(e.to_string()),
        }
        match FolderWriter::create(&self.out, self.info.clone(), at) {
            Ok(w) => self.merge_files = Some(w),
            Err(e) => self.merge_error = Some(e.to_string()),
        }
    }

    /// A change made by hand: listed in `run.json` and the summary, marked on the next
    /// interval's rows of `timeseries.csv` (the engine emits it before the interval it falls in).
    pub fn change(&mut self, c: &Change) {
        self.change_record(ChangeRecord::of(c));
    }

    /// A change made by hand as a record (one a coordinator relayed to its workers).
    pub fn change_record(&mut self, c: ChangeRecord) {
        if let Some(w) = self.series.as_mut() {
            w.change(&c);
        }
        self.changes.push(c);
    }

    /// One interval measured here: encoded once for `metrics.jsonl`; the line comes back for
    /// whoever else needs it (a worker sends it to its coordinator).
    pub fn interval(&mut self, r: &IntervalReport) -> IntervalLine {
        let line = IntervalLine::encode(r);
        self.write_line(&line);
        self.decoded(r);
        line
    }

    /// One interval that arrived encoded (a merge's files, the coordinator's merged run):
    /// written as it is, decoded once for the other files.
    pub fn line(&mut self, l: &IntervalLine) -> Result<(), ReportError> {
        let r = l.decode()?;
        self.write_line(l);
        self.decoded(&r);
        Ok(())
    }

    fn write_line(&mut self, l: &IntervalLine) {
        if let Some(Err(e)) = self.merge_files.as_mut().map(|w| w.line(l)) {
            self.merge_files = None;
            self.merge_error = Some(e.to_string());
        }
    }

    fn decoded(&mut self, r: &IntervalReport) {
        if let Some(Err(e)) = self.series.as_mut().map(|w| w.interval(r)) {
            // Keep the run going; the summary is still written and the error reported.
            self.series = None;
            self.series_error = Some(e.to_string());
        }
        self.report_data.interval(r);
        if let Some(w) = &mut self.windows {
            w.interval(r, false);
        }
        self.partial.interval(r);
    }

    /// Rewrites `summary.json` (atomically) with the figures so far, marked `partial`, when
    /// a minute of the run has passed since the last time; `sc` judges its thresholds so far.
    /// A run killed later leaves the last one. A write that fails is retried next minute.
    pub fn partial_summary(&mut self, sc: &Scenario) {
        if let Some(summary) = self.partial.due(sc, &self.steps, &self.custom, &self.info) {
            let _ = summary.write_to(&self.out);
        }
    }

    /// The run ended: closes the streamed files, judges the thresholds of `sc` and writes
    /// the summary, `report.html` and `junit.xml`. `sc` must describe the run (see
    /// [`check_layout`]).
    pub fn finish(mut self, sc: &Scenario, end: RunEnd<'_>) -> Result<Finished, ReportError> {
        let report = end.report;
        if let Some(mut w) = self.merge_files.take() {
            let missing = self.info.missing_segments.clone();
            w.set_changes(self.changes.clone());
            if let Err(e) = w.finish(report.elapsed, report.stopped_early, missing) {
                self.merge_error = Some(e.to_string());
            }
        }
        let mut windowed = self.windows.take().map_or_else(Vec::new, Windows::finish);
        let results: Vec<ThresholdResult> = sc
            .thresholds
            .iter()
            .map(|t| match t.is_whole_run() {
                true => evaluate(t, &report.totals, &self.steps, &self.custom, report.elapsed),
                // Not fed its intervals (no `judge_windows`): no evidence, it fails.
                false => take(&mut windowed, t).unwrap_or_else(|| result(t, (None, "count"))),
            })
            .collect();
        let judgement = Judgement::of(&results, end.interrupted, end.incomplete.clone());
        let code = judgement.verdict.exit_code();
        let generator = GeneratorSummary::judge(&report.totals, &end.stats, report.elapsed);
        let mut summary = RunSummary::build(
            sc,
            report,
            &self.steps,
            &self.custom,
            &results,
            generator,
            judgement,
        );
        summary.changed_by_hand(std::mem::take(&mut self.changes));
        let out = &self.out;
        let io = |e| ReportError::io(out, e);
        summary.write_to(out).map_err(io)?;
        self.report_data.flush();
        let html = crate::html_report::render(
            &summary,
            &self.report_data,
            &self.steps,
            &self.info.layout.workloads,
        );
        write_atomic(&out.join("report.html"), html).map_err(io)?;
        let junit = crate::results::junit(
            &sc.name,
            &results,
            report.elapsed.as_secs_f64(),
            end.incomplete.as_deref(),
        );
        write_atomic(&out.join("junit.xml"), junit).map_err(io)?;
        if let Some(w) = self.series.take() {
            w.finish().map_err(io)?;
        }
        Ok(Finished {
            summary,
            code,
            interval_files_error: self.series_error,
            merge_files_error: self.merge_error,
        })
    }
}

/// Step names of a layout, as the engine reports them.
pub(crate) fn steps_of(layout: &Layout) -> Vec<StepInfo> {
    layout
        .steps
        .iter()
        .map(|s| StepInfo {
            workload: s.workload,
            workload_name: layout
                .workloads
                .get(s.workload)
                .cloned()
                .unwrap_or_default(),
            name: s.name.clone(),
        })
        .collect()
}

/// Custom metrics of a layout, as the engine names them.
pub(crate) fn custom_of(layout: &Layout) -> Vec<CustomInfo> {
    layout
        .custom
        .iter()
        .zip(layout.custom_kinds())
        .map(|(c, kind)| CustomInfo {
            workload: c.workload,
            workload_name: layout
                .workloads
                .get(c.workload)
                .cloned()
                .unwrap_or_default(),
            metric: CustomMetric::new(c.name.clone(), kind),
        })
        .collect()
}

/// Why a scenario does not describe the runs of a results folder.
#[derive(Debug, thiserror::Error)]
pub enum LayoutMismatch {
    /// Its plan could not be built.
    #[error(transparent)]
    Build(#[from] loadgen_scenario::BuildError),
    /// Its plan has other workloads, steps or custom metrics.
    #[error("the scenario does not match the runs: it has steps {mine:?} and {mine_custom} custom metric(s); the runs had {theirs:?} and {theirs_custom}")]
    Differs {
        /// `workload/step` of the scenario.
        mine: Vec<String>,
        /// Its custom metrics.
        mine_custom: usize,
        /// `workload/step` of the runs.
        theirs: Vec<String>,
        /// Their custom metrics.
        theirs_custom: usize,
    },
}

/// Checks that `sc` describes the runs of `info`: its plan (built against a placeholder
/// address, nothing is sent) has the same workloads, steps and custom metrics, in order.
pub fn check_layout(sc: &Scenario, info: &RunInfo) -> Result<(), LayoutMismatch> {
    let plan = loadgen_scenario::build_plan(sc, "http://127.0.0.1:1")?;
    let mine = Layout::of(&plan);
    if mine == info.layout {
        return Ok(());
    }
    let steps = |l: &Layout| {
        l.steps
            .iter()
            .map(|s| {
                format!(
                    "{}/{}",
                    l.workloads.get(s.workload).map_or("?", |w| w.as_str()),
                    s.name
                )
            })
            .collect::<Vec<_>>()
    };
    Err(LayoutMismatch::Differs {
        mine: steps(&mine),
        mine_custom: mine.custom.len(),
        theirs: steps(&info.layout),
        theirs_custom: info.layout.custom.len(),
    })
}
