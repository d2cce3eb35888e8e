use loadgen_engine::StepInfo;
use loadgen_scenario::{Scenario, ScenarioError};
use std::path::PathBuf;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The environment tests see: nothing from the real process.
pub fn env_with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

pub fn load(rel: &str, vars: &[(&str, &str)]) -> Result<Scenario, ScenarioError> {
    loadgen_scenario::load(&fixture(rel), &env_with(vars))
}

/// The error text of a bad fixture, with the fixture's path shortened to `bad/NAME`.
pub fn error_text(rel: &str) -> String {
    let e = load(rel, &[]).expect_err("fixture must be invalid");
    e.to_string()
        .replace(&fixture("").display().to_string(), "")
}

/// The plan's global step list, as `Plan::steps` builds it.
pub fn step_infos(s: &Scenario) -> Vec<StepInfo> {
    s.workloads
        .iter()
        .enumerate()
        .flat_map(|(wi, w)| {
            w.steps.iter().map(move |st| StepInfo {
                workload: wi,
                workload_name: w.name.clone(),
                name: st.name.clone(),
            })
        })
        .collect()
}
