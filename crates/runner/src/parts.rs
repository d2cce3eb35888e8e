//! Parts of a run around the engine: the run-level setup (its failure starts no load and
//! still leaves a results folder that says why), the Prometheus endpoint and the live
//! dashboard.

use crate::{Context, RunError, RunSettings};
use loadgen_demo::TargetHandle;
use loadgen_engine::{Plan, RunControl};
use loadgen_scenario::Scenario;

/// Runs the scenario's `[[setup]]` steps; on failure writes `setup-failed.txt` into `out`,
/// stops the embedded target and returns [`RunError::SetupFailed`].
pub(crate) fn setup_or_fail(
    a: &RunSettings<'_>,
    out: &std::path::Path,
    sc: &mut Scenario,
    base_url: &str,
    embedded: &mut Option<TargetHandle>,
) -> Result<(), RunError> {
    let Err(e) = loadgen_scenario::run_setup(sc, base_url) else {
        return Ok(());
    };
    let why = format!(
        "the setup failed, so the load did not start: {}",
        with_causes(&e)
    );
    // The results folder says why, as a run's would.
    if loadgen_report::out_dir::prepare(out, a.force).is_ok() {
        let _ = std::fs::write(out.join("setup-failed.txt"), format!("{why}\n"));
    }
    if let Some(h) = embedded.take() {
        h.shutdown();
    }
    Err(RunError::SetupFailed(why))
}

/// `e` and every cause under it, `outer: inner: …` (as anyhow's `{:#}` prints a chain).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The Prometheus text of the run, served on `--metrics-addr` when given.
pub(crate) fn exposition(
    a: &RunSettings<'_>,
    sc: &Scenario,
    plan: &Plan,
) -> Result<Option<loadgen_report::prometheus::Exposition>, RunError> {
    let Some(addr) = a.metrics_addr else {
        return Ok(None);
    };
    let (bound, text) = loadgen_scrape::serve(addr)
        .map_err(|e| RunError::bad(Context::new(format!("--metrics-addr {addr}"), e)))?;
    loadgen_console::say!("loadgen: Prometheus metrics at http://{bound}/metrics");
    let names = sc.workloads.iter().map(|w| w.name.clone()).collect();
    Ok(Some(loadgen_report::prometheus::Exposition::new(
        plan.steps(),
        names,
        text,
    )))
}

/// The live dashboard on `--dashboard`, when given; its URL (with the token) is printed.
pub(crate) fn dashboard(
    a: &RunSettings<'_>,
    sc: &Scenario,
    plan: &Plan,
    control: &RunControl,
) -> Result<Option<loadgen_dashboard::Dashboard>, RunError> {
    let shape = loadgen_dashboard::RunShape::of(plan, sc);
    crate::dashboard::start_dashboard(&a.dashboard, control, shape, "loadgen")
}
