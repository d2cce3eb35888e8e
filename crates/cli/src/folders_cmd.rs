//! `loadgen merge DIR…` (one run rebuilt from the results folders of its segments, judged,
//! with the same files and exit codes as `loadgen run`) and `loadgen report DIR` (the full
//! results of a run that did not reach its end — `kill -9`, a crash, a lost machine — from
//! what its folder holds). `report` never exits 0: a run that stopped part-way did not prove
//! its plan, so one whose thresholds all held on what it sent exits `PARTIAL`, one where one
//! failed exits 3.

use crate::args::{MergeArgs, ReportArgs};
use crate::{exit, Fail};
use loadgen_fleet::{FolderError, Output, RunPart, Written};

pub fn merge(a: &MergeArgs) -> Result<u8, Fail> {
    let parts = a
        .dirs
        .iter()
        .map(|d| RunPart::read(d).map_err(Fail::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(warning) = loadgen_fleet::mixed_versions(&parts) {
        crate::warn!("loadgen: warning: {warning}");
    }
    let to = output(a.out.clone(), a.force, a.scenario.as_deref());
    let w = loadgen_fleet::merge_folders(&parts, &to, a.allow_partial).map_err(fail)?;
    crate::say!("loadgen: {}", w.note);
    Ok(finish(&w, a.quiet, w.finished.code))
}

pub fn report(a: &ReportArgs) -> Result<u8, Fail> {
    let to = output(a.out.clone(), a.force, a.scenario.as_deref());
    let w = loadgen_fleet::report_partial(&a.dir, &to).map_err(fail)?;
    // The exit code tells a partial run whose thresholds held from one where one failed.
    let failed = w.finished.summary.thresholds.iter().any(|t| !t.passed);
    let code = if failed {
        exit::THRESHOLDS_FAILED
    } else {
        exit::PARTIAL
    };
    crate::say!("loadgen: report of {}: {}", a.dir.display(), w.note);
    Ok(finish(&w, a.quiet, code))
}

fn output(
    out: Option<std::path::PathBuf>,
    force: bool,
    scenario: Option<&std::path::Path>,
) -> Output<'_> {
    Output {
        out,
        force,
        scenario,
    }
}

/// Folders and scenario that do not fit are bad input; a folder not written is an error.
fn fail(e: FolderError) -> Fail {
    match e {
        FolderError::Write(e) => Fail::from(e),
        e => Fail::bad_input(e),
    }
}

fn finish(w: &Written, quiet: bool, code: u8) -> u8 {
    loadgen_console::summary(&w.finished.summary, quiet);
    crate::say!("results: {}", w.out.display());
    code
}
