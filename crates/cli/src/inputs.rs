//! What the commands read from the command line and the scenario file: the scenario (from
//! a file or the ad-hoc flags), durations, the target flag, the embedded target's settings,
//! and the identity of the plan for `run.json`.

use crate::args::RunArgs;
use crate::{limits, Fail};
use loadgen_report::{Overrides, PlanIdentity};
use loadgen_scenario::Scenario;
use std::path::Path;
use std::time::Duration;

pub fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

pub fn bad(message: String) -> Fail {
    Fail::bad_input(anyhow::anyhow!(message))
}

pub fn load(file: &Path) -> Result<Scenario, Fail> {
    loadgen_scenario::load(file, &env).map_err(Fail::bad_input)
}

/// Warns (before any load) when connections per iteration would outrun TIME_WAIT.
pub fn churn_warnings(sc: &Scenario) {
    let ports = limits::ephemeral_ports().unwrap_or(28_232);
    for w in sc.connection_churn_warnings(ports) {
        crate::warn!("loadgen: warning: {w}");
    }
}

/// `--target` (or `TARGET_URL`), checked where it is read so a mistake is blamed on the flag,
/// not on the first workload that uses it.
pub fn target_flag(t: Option<&String>) -> Result<Option<String>, Fail> {
    match t {
        Some(u) if u != "embedded" && !loadgen_scenario::TARGET_SCHEMES.iter().any(|s| u.starts_with(s)) => {
            Err(bad(format!(
                "--target (or TARGET_URL) `{u}` has no scheme: write http://, https://, ws:// or wss:// before the host"
            )))
        }
        _ => Ok(t.cloned()),
    }
}

pub fn flag_duration(flag: &str, v: Option<&str>) -> Result<Option<Duration>, Fail> {
    v.map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| bad(format!("{flag}: {e}")))
}

/// The scenario of `loadgen run`: its file, or the ad-hoc flags.
pub fn scenario_of_run(a: &RunArgs) -> Result<Scenario, Fail> {
    match (&a.file, &a.url) {
        (Some(file), _) => load(file),
        (None, Some(url)) => adhoc(a, url),
        (None, None) => Err(bad("give a scenario file or --url".into())),
    }
}

fn adhoc(a: &RunArgs, url: &str) -> Result<Scenario, Fail> {
    let rate = a
        .rate
        .as_deref()
        .map(|r| loadgen_scenario::parse_rate(r).map_err(|e| bad(format!("--rate: {e}"))))
        .transpose()?;
    match rate {
        Some(r) if r <= 0.0 => return Err(bad("--rate: 0/s would send nothing".into())),
        Some(r) if r > loadgen_scenario::MAX_ARRIVAL_RATE => {
            return Err(bad(format!(
                "--rate: {r:.0}/s is above the ceiling of {:.0}/s per workload",
                loadgen_scenario::MAX_ARRIVAL_RATE
            )))
        }
        _ => {}
    }
    let headers = a
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| bad(format!("--header `{h}`: expected `name: value`")))
        })
        .collect::<Result<_, _>>()?;
    let spec = loadgen_scenario::adhoc::AdHoc {
        url: url.to_string(),
        method: a.method().to_string(),
        vus: a.vus(),
        rate,
        duration: flag_duration("--duration", a.duration.as_deref())?
            .unwrap_or(Duration::from_secs(10)),
        headers,
        body: a.body.clone(),
        thresholds: a.thresholds.clone(),
        http2: a.http2,
        insecure: a.insecure,
        default_thresholds: !a.no_default_thresholds,
    };
    let sc = loadgen_scenario::adhoc::scenario(&spec).map_err(Fail::bad_input)?;
    if sc.thresholds.len() > spec.thresholds.len() {
        let (key, expr) = loadgen_scenario::adhoc::DEFAULT_ERRORS;
        crate::say!(
            "loadgen: judging errors by the default threshold `{key}: {expr}` (give an errors \
             threshold to change it, --no-default-thresholds to drop it)"
        );
    }
    Ok(sc)
}

/// Identity of the scenario file (or ad-hoc flags) of `a`.
pub fn identity_of_run(a: &RunArgs) -> PlanIdentity {
    let overrides = Overrides {
        duration: a.duration.clone(),
        seed: a.seed,
    };
    match &a.file {
        Some(file) => PlanIdentity::of_file(file, overrides, &env),
        None => PlanIdentity::of_adhoc(
            &format!(
                "adhoc url={:?} method={} vus={} rate={:?} headers={:?} body={:?} http2={} thresholds={:?} no_default_thresholds={}",
                a.url, a.method(), a.vus(), a.rate, a.headers, a.body, a.http2, a.thresholds, a.no_default_thresholds
            ),
            overrides,
        ),
    }
}

pub fn embedded_config(
    spec: &loadgen_scenario::EmbeddedSpec,
) -> Result<loadgen_demo::TargetConfig, Fail> {
    Ok(loadgen_demo::TargetConfig {
        latency: spec.latency,
        error_rate: spec.error_rate,
        seed: spec.seed,
        worker_threads: spec.threads,
        faults: Vec::new(),
        webhook_secret: spec
            .webhook_secret
            .as_ref()
            .map(|s| loadgen_demo::WebhookSecret::new(s.expose()))
            .unwrap_or_default(),
        callback_delay: spec
            .callback_delay
            .unwrap_or(loadgen_demo::TargetConfig::default().callback_delay),
        auth: Default::default(),
    })
}

pub fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
