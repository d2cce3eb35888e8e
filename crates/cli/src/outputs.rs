//! Writes a results folder from a finished run's intervals — the same files `loadgen run`
//! writes (summary.json/txt, timeseries.csv, latency.hlog, junit.xml, report.html) plus the
//! merge files — for runs assembled from parts (`loadgen merge`, the live coordinator).

use crate::Fail;
use anyhow::Context;
use loadgen_engine::{CustomInfo, CustomMetric, FinalReport, StepInfo};
use loadgen_fleet::{FolderWriter, IntervalLine, RunInfo};
use loadgen_scenario::results::ResultsWriter;
use loadgen_scenario::saturation::{GeneratorStats, GeneratorSummary};
use loadgen_scenario::{Judgement, RunSummary, Scenario};
use std::path::Path;

/// Step names of a layout, as the engine reports them.
pub fn steps_of(info: &RunInfo) -> Vec<StepInfo> {
    info.layout
        .steps
        .iter()
        .map(|s| StepInfo {
            workload: s.workload,
            workload_name: info
                .layout
                .workloads
                .get(s.workload)
                .cloned()
                .unwrap_or_default(),
            name: s.name.clone(),
        })
        .collect()
}

/// Checks that `sc` describes the runs of `info`: its plan (built against a placeholder
/// address, nothing is sent) has the same workloads, steps and custom metrics, in order.
pub fn check_scenario(sc: &Scenario, info: &RunInfo) -> Result<(), Fail> {
    let plan = loadgen_scenario::build_plan(sc, "http://127.0.0.1:1").map_err(Fail::bad_input)?;
    let mine = loadgen_fleet::Layout::of(&plan);
    if mine != info.layout {
        let steps = |l: &loadgen_fleet::Layout| {
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
        return Err(Fail::bad_input(anyhow::anyhow!(
            "the scenario does not match the runs: it has steps {:?} and {} custom metric(s); the runs had {:?} and {}",
            steps(&mine),
            mine.custom.len(),
            steps(&info.layout),
            info.layout.custom.len()
        )));
    }
    Ok(())
}

/// Everything a results folder is made of.
pub struct Assembled<'a> {
    pub sc: &'a Scenario,
    pub info: &'a RunInfo,
    pub intervals: &'a [IntervalLine],
    pub report: &'a FinalReport,
    /// The scenario file's text, copied as `scenario.toml` so the folder can be merged again.
    pub raw_scenario: Option<&'a str>,
    pub interrupted: bool,
    /// Why the run covers less than its plan (a lost worker); fails the verdict.
    pub incomplete: Option<String>,
    /// What this process measured about itself (default: nothing, for runs assembled from
    /// other processes' parts; their own folders hold their CPU figures).
    pub stats: &'a GeneratorStats,
}

/// Custom metrics of a layout, as the engine names them.
pub fn custom_of(info: &RunInfo) -> Vec<CustomInfo> {
    info.layout
        .custom
        .iter()
        .zip(info.layout.custom_kinds())
        .map(|(c, kind)| CustomInfo {
            workload: c.workload,
            workload_name: info
                .layout
                .workloads
                .get(c.workload)
                .cloned()
                .unwrap_or_default(),
            metric: CustomMetric::new(c.name.clone(), kind),
        })
        .collect()
}

/// Writes every result file into `out`; returns the exit code and the summary.
pub fn write_all(out: &Path, a: &Assembled<'_>) -> Result<(u8, RunSummary), Fail> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let ctx = || format!("writing results to {}", out.display());
    let steps = steps_of(a.info);
    let custom = custom_of(a.info);
    let mut series = ResultsWriter::create(out, &steps, a.report.started_at).with_context(ctx)?;
    let mut merge_files =
        FolderWriter::create(out, a.info.clone(), a.report.started_at).with_context(ctx)?;
    let mut report_data = loadgen_scenario::html_report::ReportData::default();
    for l in a.intervals {
        // One decoded interval at a time: memory stays flat however long the run was.
        let r = l
            .decode()
            .map_err(|e| anyhow::anyhow!("interval {}: {e}", l.index))?;
        series.interval(&r).with_context(ctx)?;
        merge_files.line(l).with_context(ctx)?;
        report_data.interval(&r);
    }
    series.finish().with_context(ctx)?;
    merge_files
        .finish(
            a.report.elapsed,
            a.report.stopped_early,
            a.info.missing_segments.clone(),
        )
        .with_context(ctx)?;
    if let Some(text) = a.raw_scenario {
        loadgen_scenario::out_file::write_atomic(
            &out.join("scenario.toml"),
            loadgen_scenario::redact_secrets(text),
        )
        .with_context(ctx)?;
    }
    let results = loadgen_scenario::evaluate_all(
        &a.sc.thresholds,
        &a.report.totals,
        &steps,
        &custom,
        a.report.elapsed,
    );
    let judgement = Judgement::of(&results, a.interrupted, a.incomplete.clone());
    let code = judgement.verdict.exit_code();
    let generator = GeneratorSummary::judge(&a.report.totals, a.stats, a.report.elapsed);
    let summary = RunSummary::build(
        a.sc, a.report, &steps, &custom, &results, generator, judgement,
    );
    summary.write_to(out).with_context(ctx)?;
    let html = loadgen_scenario::html_report::render(&summary, &report_data);
    loadgen_scenario::out_file::write_atomic(&out.join("report.html"), html).with_context(ctx)?;
    let junit = loadgen_scenario::results::junit(
        &a.sc.name,
        &results,
        a.report.elapsed.as_secs_f64(),
        a.incomplete.as_deref(),
    );
    loadgen_scenario::out_file::write_atomic(&out.join("junit.xml"), junit).with_context(ctx)?;
    Ok((code, summary))
}
