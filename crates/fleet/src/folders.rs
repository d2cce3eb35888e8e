//! `loadgen merge` and `loadgen report` as one call each: results folders read back, one
//! judged results folder written (through `loadgen-report`'s sink), and what the caller
//! prints beside the summary. The caller reads the folders, prints and picks the exit code.

use crate::error::FleetError;
use crate::merge::{merge, MergeOptions};
use crate::part::RunPart;
use crate::scenario_of::scenario_of;
use loadgen_engine::FinalReport;
use loadgen_report::out_dir::{self, OutDirError};
use loadgen_report::{Assembled, Finished, ReportError, RunEnd};
use std::path::{Path, PathBuf};

/// Where a merge or a report writes, and the scenario it reads names and thresholds from.
pub struct Output<'a> {
    /// The results folder (`None`: the command's default).
    pub out: Option<PathBuf>,
    /// Write into a folder that already holds files.
    pub force: bool,
    /// The scenario file (`None`: the `scenario.toml` copy of the first folder).
    pub scenario: Option<&'a Path>,
}

/// What a merge or a report wrote.
pub struct Written {
    /// The folder.
    pub out: PathBuf,
    /// Its summary and the verdict's exit code.
    pub finished: Finished,
    /// One line on what was read (segments and share of the plan, or why a run is partial).
    pub note: String,
}

/// Why a merge or a report wrote nothing (or not everything).
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folders or the scenario were refused.
    #[error(transparent)]
    Input(#[from] FleetError),
    /// The results folder cannot be used.
    #[error(transparent)]
    Out(#[from] OutDirError),
    /// The results could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// `loadgen merge`: `parts` (segments of one plan) as one judged run, in `to.out` (default
/// `results/<scenario>-merged-<timestamp>`).
pub fn merge_folders(
    parts: &[RunPart],
    to: &Output<'_>,
    allow_partial: bool,
) -> Result<Written, FolderError> {
    let mut merged = merge(parts, MergeOptions { allow_partial })?;
    let (sc, raw) = scenario_of(to.scenario, &parts[0])?;
    let out = to
        .out
        .clone()
        .unwrap_or_else(|| out_dir::default_out(&format!("{}-merged", sc.name)));
    out_dir::prepare(&out, to.force)?;
    // The merged intervals stream from the parts' files into the folder, one at a time.
    let mut folder = Assembled {
        out: &out,
        info: merged.info.clone(),
        raw_scenario: Some(&raw),
        intervals: merged.intervals,
    }
    .start(&sc, merged.started_at);
    for r in merged.by_ref() {
        folder.interval(&r?);
    }
    let report = merged.final_report();
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: None,
        stats: Default::default(),
    };
    let finished = folder.finish(&sc, end)?;
    let missing = &merged.info.missing_segments;
    let note = format!(
        "merged {} folder(s), segments {} — {:.1}% of the planned load{}",
        parts.len(),
        merged.info.segments.join(", "),
        merged.coverage.share * 100.0,
        if missing.is_empty() {
            String::new()
        } else {
            format!("; missing {}", missing.join(", "))
        }
    );
    Ok(Written {
        out,
        finished,
        note,
    })
}

/// `loadgen report DIR`: the full results of a run that did not reach its end, from what
/// its folder holds, in `to.out` (default `DIR-report` beside `DIR`). The summary judges it
/// `failed` with the reason (an incomplete run proves nothing); `note` is that reason.
pub fn report_partial(dir: &Path, to: &Output<'_>) -> Result<Written, FolderError> {
    let (part, cut) = RunPart::read_partial(dir)?;
    let options = MergeOptions {
        allow_partial: true,
    };
    let mut merged = merge(std::slice::from_ref(&part), options)?;
    let (sc, raw) = scenario_of(to.scenario, &part)?;
    let out = to.out.clone().unwrap_or_else(|| {
        let mut name = dir.file_name().unwrap_or_default().to_os_string();
        name.push("-report");
        dir.with_file_name(name)
    });
    out_dir::prepare(&out, to.force)?;
    let ran = merged.intervals * part.info.interval_ms;
    let planned = sc.planned_duration();
    let ended = part.info.elapsed_s.is_some();
    let why = format!(
        "{}: its folder holds {} interval(s), {:.0}s of the planned {:.0}s{}",
        if ended {
            "the run ended"
        } else {
            "the run did not reach its end (killed or crashed)"
        },
        merged.intervals,
        ran as f64 / 1000.0,
        planned.as_secs_f64(),
        if cut {
            "; a last interval cut short by the kill was left out"
        } else {
            ""
        }
    );
    let mut info = merged.info.clone();
    info.stopped_early = true;
    // The intervals stream from the folder's file into the new one, one at a time.
    let mut folder = Assembled {
        out: &out,
        info,
        raw_scenario: Some(&raw),
        intervals: merged.intervals,
    }
    .start(&sc, merged.started_at);
    for r in merged.by_ref() {
        folder.interval(&r?);
    }
    let report = FinalReport {
        started_at: merged.started_at,
        elapsed: merged.elapsed,
        totals: merged.totals().clone(),
        stopped_early: true,
        intervals: merged.intervals,
        worker_cpu: Vec::new(),
        results_wait: Default::default(),
    };
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: Some(why.clone()),
        stats: Default::default(),
    };
    let finished = folder.finish(&sc, end)?;
    Ok(Written {
        out,
        finished,
        note: why,
    })
}
