//! `loadgen report DIR`: the full results of a run that did not reach its end (`kill -9`, a
//! crash, a lost machine) from what its folder holds — `run.json` and every whole interval
//! of `metrics.jsonl` — written to a new folder and judged like a finished run. It never
//! exits 0: a run that stopped part-way did not prove its plan, so a run whose thresholds all
//! held on what it sent exits `PARTIAL`, one where one failed exits 3.

use crate::args::ReportArgs;
use crate::{exit, Fail};
use loadgen_engine::FinalReport;
use loadgen_fleet::{MergeOptions, RunPart};
use loadgen_report::{Assembled, RunEnd};

pub fn run(a: &ReportArgs) -> Result<u8, Fail> {
    let (part, cut) = RunPart::read_partial(&a.dir).map_err(Fail::bad_input)?;
    let options = MergeOptions {
        allow_partial: true,
    };
    let mut merged =
        loadgen_fleet::merge(std::slice::from_ref(&part), options).map_err(Fail::bad_input)?;
    let (sc, raw) =
        loadgen_fleet::scenario_of(a.scenario.as_deref(), &part).map_err(Fail::bad_input)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let mut name = a.dir.file_name().unwrap_or_default().to_os_string();
        name.push("-report");
        a.dir.with_file_name(name)
    });
    loadgen_report::out_dir::prepare(&out, a.force).map_err(Fail::bad_input)?;
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
        folder.interval(&r.map_err(Fail::bad_input)?);
    }
    let report = FinalReport {
        started_at: merged.started_at,
        elapsed: merged.elapsed,
        totals: merged.totals().clone(),
        stopped_early: true,
        intervals: merged.intervals,
        worker_cpu: Vec::new(),
    };
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: Some(why.clone()),
        stats: Default::default(),
    };
    // The summary judges it `failed` with the reason (an incomplete run proves nothing);
    // the exit code tells a partial run whose thresholds held from one where one failed.
    let done = folder.finish(&sc, end)?;
    let failed = done.summary.thresholds.iter().any(|t| !t.passed);
    let code = if failed {
        exit::THRESHOLDS_FAILED
    } else {
        exit::PARTIAL
    };
    crate::say!("loadgen: report of {}: {why}", a.dir.display());
    crate::console::summary(&done.summary, a.quiet);
    crate::say!("results: {}", out.display());
    Ok(code)
}
