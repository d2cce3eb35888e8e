//! `loadgen merge DIR…`: rebuilds one run from the results folders of its segments and
//! judges it, with the same files and exit codes as `loadgen run`.

use crate::args::MergeArgs;
use crate::Fail;
use loadgen_fleet::{MergeOptions, RunPart};
use loadgen_report::{Assembled, RunEnd};

pub fn run(a: &MergeArgs) -> Result<u8, Fail> {
    let parts = a
        .dirs
        .iter()
        .map(|d| RunPart::read(d).map_err(Fail::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(warning) = loadgen_fleet::mixed_versions(&parts) {
        crate::warn!("loadgen: warning: {warning}");
    }
    let options = MergeOptions {
        allow_partial: a.allow_partial,
    };
    let mut merged = loadgen_fleet::merge(&parts, options).map_err(Fail::bad_input)?;
    let (sc, raw) =
        loadgen_fleet::scenario_of(a.scenario.as_deref(), &parts[0]).map_err(Fail::bad_input)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| loadgen_report::out_dir::default_out(&format!("{}-merged", sc.name)));
    loadgen_report::out_dir::prepare(&out, a.force).map_err(Fail::bad_input)?;
    // The merged intervals stream from the parts' files into the folder, one at a time.
    let mut folder = Assembled {
        out: &out,
        info: merged.info.clone(),
        raw_scenario: Some(&raw),
        intervals: merged.intervals,
    }
    .start(&sc, merged.started_at);
    for r in merged.by_ref() {
        folder.interval(&r.map_err(Fail::bad_input)?);
    }
    let report = merged.final_report();
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: None,
        stats: Default::default(),
    };
    let done = folder.finish(&sc, end)?;
    let missing = &merged.info.missing_segments;
    crate::say!(
        "loadgen: merged {} folder(s), segments {} — {:.1}% of the planned load{}",
        parts.len(),
        merged.info.segments.join(", "),
        merged.coverage.share * 100.0,
        if missing.is_empty() {
            String::new()
        } else {
            format!("; missing {}", missing.join(", "))
        }
    );
    crate::console::summary(&done.summary, a.quiet);
    crate::say!("results: {}", out.display());
    Ok(done.code)
}
