//! `loadgen validate` and `loadgen plan`: what a scenario is and what load it will send,
//! sending nothing.

use crate::args::PlanArgs;
use crate::inputs::{churn_warnings, flag_duration, humantime, load};
use crate::{exit, Fail};
use anyhow::Context;
use std::path::Path;
use std::time::Duration;

pub fn validate(file: &Path) -> Result<u8, Fail> {
    let sc = load(file)?;
    // Building the plan checks what only the protocol layer knows (templates, headers).
    loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").map_err(Fail::bad_input)?;
    churn_warnings(&sc);
    crate::say!(
        "{}: ok — scenario `{}`, {} workload(s), {} threshold(s){}, {}",
        file.display(),
        sc.name,
        sc.workloads.len(),
        sc.thresholds.len(),
        if sc.thresholds.is_empty() {
            " (its runs are not judged: add [thresholds] for a verdict)"
        } else {
            ""
        },
        humantime(sc.planned_duration())
    );
    Ok(exit::PASSED)
}

pub fn plan(a: &PlanArgs) -> Result<u8, Fail> {
    let mut sc = load(&a.file)?;
    let (duration, latency) = flags(a)?;
    sc.apply_overrides(duration, None, None);
    churn_warnings(&sc);
    let p = loadgen_scenario::load_plan::plan(&sc, latency);
    crate::say_raw!("{}", p.to_text());
    if let Some(path) = &a.csv {
        std::fs::write(path, p.to_csv()).with_context(|| format!("writing {}", path.display()))?;
        crate::say!("rate curve written to {}", path.display());
    }
    Ok(exit::PASSED)
}

/// `--duration` and `--assume-latency`, parsed (for the plan and for `check-args`).
pub fn flags(a: &PlanArgs) -> Result<(Option<Duration>, Duration), Fail> {
    let duration = flag_duration("--duration", a.duration.as_deref())?;
    let latency = flag_duration("--assume-latency", Some(&a.assume_latency))?.unwrap_or_default();
    Ok((duration, latency))
}
