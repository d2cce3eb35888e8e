//! Parts of `loadgen run` around the engine: the run-level setup (its failure starts no
//! load and still leaves a results folder that says why), the Prometheus endpoint and the
//! live dashboard.

use crate::args::RunArgs;
use crate::Fail;
use anyhow::Context;
use loadgen_demo::TargetHandle;
use loadgen_engine::{Plan, RunControl};
use loadgen_scenario::Scenario;

/// Runs the scenario's `[[setup]]` steps; on failure writes `setup-failed.txt` into `out`, stops the
/// embedded target and returns the exit with the thresholds' failure code.
pub fn setup_or_fail(
    a: &RunArgs,
    out: &std::path::Path,
    sc: &mut Scenario,
    base_url: &str,
    embedded: &mut Option<TargetHandle>,
) -> Result<(), Fail> {
    let Err(e) = loadgen_scenario::run_setup(sc, base_url) else {
        return Ok(());
    };
    let why = format!(
        "the setup failed, so the load did not start: {:#}",
        anyhow::Error::new(e)
    );
    // The results folder says why, as a run's would.
    if loadgen_report::out_dir::prepare(out, a.force).is_ok() {
        let _ = std::fs::write(out.join("setup-failed.txt"), format!("{why}\n"));
    }
    if let Some(h) = embedded.take() {
        h.shutdown();
    }
    Err(Fail {
        code: crate::exit::THRESHOLDS_FAILED,
        error: anyhow::anyhow!(why),
    })
}

/// The Prometheus text of the run, served on `--metrics-addr` when given.
pub fn exposition(
    a: &RunArgs,
    sc: &Scenario,
    plan: &Plan,
) -> Result<Option<loadgen_report::prometheus::Exposition>, Fail> {
    let Some(addr) = a.metrics_addr else {
        return Ok(None);
    };
    let (bound, text) = loadgen_scrape::serve(addr)
        .with_context(|| format!("--metrics-addr {addr}"))
        .map_err(Fail::bad_input)?;
    crate::say!("loadgen: Prometheus metrics at http://{bound}/metrics");
    let names = sc.workloads.iter().map(|w| w.name.clone()).collect();
    Ok(Some(loadgen_report::prometheus::Exposition::new(
        plan.steps(),
        names,
        text,
    )))
}

/// The live dashboard on `--dashboard`, when given; its URL (with the token) is printed.
pub fn dashboard(
    a: &RunArgs,
    sc: &Scenario,
    plan: &Plan,
    control: &RunControl,
) -> Result<Option<loadgen_dashboard::Dashboard>, Fail> {
    let shape = loadgen_dashboard::RunShape::of(plan, sc);
    crate::dashboard::start(&a.dashboard, control, shape, "loadgen")
}
