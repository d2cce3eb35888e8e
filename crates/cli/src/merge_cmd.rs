//! `loadgen merge DIR…`: rebuilds one run from the results folders of its segments and
//! judges it, with the same files and exit codes as `loadgen run`.

use crate::outputs::{check_scenario, write_all, Assembled};
use crate::{exit, Fail};
use loadgen_engine::FinalReport;
use loadgen_fleet::{MergeOptions, RunPart};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Results folders of `loadgen run --segment i/n` (or of earlier merges).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results (default: results/<scenario>-merged-<timestamp>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Scenario file for names and thresholds (default: the scenario.toml copy in the first
    /// folder).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Merge even if segments are missing; the summary says what share of the plan was run.
    #[arg(long)]
    pub allow_partial: bool,
    /// Print only the verdict line, not the summary tables.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The scenario of a results folder: `--scenario` if given, else its `scenario.toml` copy
/// (read as if it stood at its original path, so relative feeder files still resolve).
pub fn scenario_for(
    given: Option<&Path>,
    part: &RunPart,
) -> Result<(loadgen_scenario::Scenario, Option<String>), Fail> {
    let (text, name, hint) = match given {
        Some(f) => (
            std::fs::read_to_string(f)
                .map_err(|e| Fail::bad_input(anyhow::anyhow!("{}: {e}", f.display())))?,
            f.display().to_string(),
            String::new(),
        ),
        None => {
            let copy = part.dir.join("scenario.toml");
            let text = std::fs::read_to_string(&copy).map_err(|e| {
                Fail::bad_input(anyhow::anyhow!(
                    "{}: {e} (give the scenario with --scenario FILE)",
                    copy.display()
                ))
            })?;
            let name = part
                .info
                .scenario_file
                .clone()
                .unwrap_or_else(|| copy.display().to_string());
            let hint = format!(
                "\n(read from the copy {}; give the scenario with --scenario FILE)",
                copy.display()
            );
            (text, name, hint)
        }
    };
    // A merge needs names and thresholds, not the target: a `${VAR}` unset here (the target
    // URL of the machines that ran) reads as a placeholder URL.
    let env = |k: &str| std::env::var(k).ok();
    let placeholder = |k: &str| {
        std::env::var(k)
            .ok()
            .or_else(|| Some("http://unset-at-merge.invalid".into()))
    };
    let sc = loadgen_scenario::parse(&text, &name, &env)
        .or_else(|_| loadgen_scenario::parse(&text, &name, &placeholder))
        .map_err(|e| Fail::bad_input(anyhow::anyhow!("{e}{hint}")))?;
    let raw = Some(text);
    let mut sc = sc;
    let duration = part
        .info
        .overrides
        .duration
        .as_deref()
        .map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| Fail::bad_input(anyhow::anyhow!("run.json overrides.duration: {e}")))?;
    sc.apply_overrides(duration, part.info.overrides.seed, None);
    check_scenario(&sc, &part.info)?;
    Ok((sc, raw))
}

pub fn run(a: &MergeArgs) -> Result<u8, Fail> {
    let parts = a
        .dirs
        .iter()
        .map(|d| RunPart::read(d).map_err(Fail::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    let versions: std::collections::BTreeSet<&str> = parts
        .iter()
        .map(|p| p.info.loadgen_version.as_str())
        .collect();
    if versions.len() > 1 {
        crate::warn!(
            "loadgen: warning: the folders were written by different loadgen versions ({}); \
             their metrics files share one format, but the runs may not be comparable",
            versions.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let merged = loadgen_fleet::merge(
        &parts,
        MergeOptions {
            allow_partial: a.allow_partial,
        },
    )
    .map_err(Fail::bad_input)?;
    let (sc, raw) = scenario_for(a.scenario.as_deref(), &parts[0])?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| crate::run_cmd::default_out(&format!("{}-merged", sc.name)));
    crate::out_dir::prepare(&out, a.force)?;
    let report = FinalReport {
        started_at: merged.started_at,
        elapsed: merged.elapsed,
        totals: merged.totals.clone(),
        stopped_early: merged.stopped_early,
        intervals: merged.intervals.len() as u64,
        worker_cpu: Vec::new(),
    };
    let (code, summary) = write_all(
        &out,
        &Assembled {
            sc: &sc,
            info: &merged.info,
            intervals: &merged.intervals,
            report: &report,
            raw_scenario: raw.as_deref(),
            interrupted: false,
            incomplete: None,
            stats: &Default::default(),
        },
    )?;
    crate::say!(
        "loadgen: merged {} folder(s), segments {} — {:.1}% of the planned load{}",
        parts.len(),
        merged.info.segments.join(", "),
        merged.coverage.share * 100.0,
        if merged.info.missing_segments.is_empty() {
            String::new()
        } else {
            format!("; missing {}", merged.info.missing_segments.join(", "))
        }
    );
    if a.quiet {
        crate::say!("{}", summary.verdict_line());
    } else {
        crate::say_raw!("{}", summary.to_text());
    }
    crate::say!("results: {}", out.display());
    debug_assert!(code != exit::BAD_INPUT);
    Ok(code)
}
