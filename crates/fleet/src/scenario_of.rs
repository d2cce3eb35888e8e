//! The scenario of folders to merge: the one given, or the `scenario.toml` copy a run left
//! in its folder (read as if it stood at its original path, so relative feeder files still
//! resolve), with the run's overrides applied, checked against the runs' layout.

use crate::error::FleetError;
use crate::part::RunPart;
use loadgen_scenario::Scenario;
use std::path::Path;

/// The scenario of `part` (`given` if any) and its text, for names and thresholds.
pub fn scenario_of(given: Option<&Path>, part: &RunPart) -> Result<(Scenario, String), FleetError> {
    let refuse = FleetError::Scenario;
    let (text, name, hint) = match given {
        Some(f) => (
            std::fs::read_to_string(f).map_err(|e| refuse(format!("{}: {e}", f.display())))?,
            f.display().to_string(),
            String::new(),
        ),
        None => {
            let copy = part.dir.join("scenario.toml");
            let text = std::fs::read_to_string(&copy).map_err(|e| {
                refuse(format!(
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
    let mut sc = loadgen_scenario::parse(&text, &name, &env)
        .or_else(|_| loadgen_scenario::parse(&text, &name, &placeholder))
        .map_err(|e| refuse(format!("{e}{hint}")))?;
    let duration = part
        .info
        .overrides
        .duration
        .as_deref()
        .map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| refuse(format!("run.json overrides.duration: {e}")))?;
    sc.apply_overrides(duration, part.info.overrides.seed, None);
    loadgen_report::check_layout(&sc, &part.info)
        .map_err(|e| refuse(crate::error::with_causes(&e)))?;
    Ok((sc, text))
}

/// The coordinator's scenario `file`, read once: its text (the results folder's copy), the
/// text with `${VAR}` expanded from `env` (what workers receive) and the scenario parsed.
pub fn read_scenario(
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String, Scenario), FleetError> {
    let refuse = FleetError::Scenario;
    let source = loadgen_scenario::Source::read(file).map_err(|e| match e {
        loadgen_scenario::ScenarioError::Read { path, source } => {
            refuse(format!("{}: {source}", path.display()))
        }
        e => refuse(e.to_string()),
    })?;
    let expanded = loadgen_scenario::interpolate(&source.text, env).map_err(|errs| {
        let messages: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
        refuse(format!("{}: {}", file.display(), messages.join("; ")))
    })?;
    let sc = source.parse(env).map_err(|e| refuse(e.to_string()))?;
    Ok((source.text, expanded, sc))
}
