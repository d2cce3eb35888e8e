//! What the commands read from the command line and the scenario file: the scenario (from
//! a file or the ad-hoc flags) and the identity of the plan for `run.json`, durations and
//! the target flag.

use crate::args::RunArgs;
use crate::Fail;
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
    let ports = loadgen_engine::limits::ephemeral_ports().unwrap_or(28_232);
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

/// `--interval`: 100 ms to 1 h in whole milliseconds (`run.json` keeps it in ms, and a merge
/// refuses longer intervals); 1 s when not given.
pub fn interval_flag(v: Option<&str>) -> Result<Duration, Fail> {
    let Some(d) = flag_duration("--interval", v)? else {
        return Ok(Duration::from_secs(1));
    };
    let whole_ms = d.as_nanos() % 1_000_000 == 0;
    if !(Duration::from_millis(100)..=Duration::from_secs(3600)).contains(&d) || !whole_ms {
        return Err(bad(format!(
            "--interval: {} is outside 100ms..1h or not whole milliseconds",
            humantime(d)
        )));
    }
    Ok(d)
}

/// The scenario of `loadgen run` and its identity: its file (read once: the scenario, the
/// hash and the results folder's copy all come from the same text), or the ad-hoc flags.
pub fn scenario_of_run(a: &RunArgs) -> Result<(Scenario, PlanIdentity), Fail> {
    let overrides = Overrides {
        duration: a.duration.clone(),
        seed: a.seed,
    };
    match (&a.file, &a.url) {
        (Some(file), _) => {
            let source = loadgen_scenario::Source::read(file).map_err(Fail::bad_input)?;
            let sc = source.parse(&env).map_err(Fail::bad_input)?;
            Ok((sc, PlanIdentity::of_source(&source, overrides, &env)))
        }
        (None, Some(url)) => {
            let id = PlanIdentity::of_adhoc(
                &format!(
                    "adhoc url={:?} method={} vus={} rate={:?} headers={:?} body={:?} http2={} thresholds={:?} no_default_thresholds={}",
                    a.url, a.method(), a.vus(), a.rate, a.headers, a.body, a.http2, a.thresholds, a.no_default_thresholds
                ),
                overrides,
            );
            Ok((adhoc(a, url)?, id))
        }
        (None, None) => Err(bad("give a scenario file or --url".into())),
    }
}

fn adhoc(a: &RunArgs, url: &str) -> Result<Scenario, Fail> {
    use loadgen_scenario::adhoc::{header_flag, rate_flag};
    let spec = loadgen_scenario::adhoc::AdHoc {
        url: url.to_string(),
        method: a.method().to_string(),
        vus: a.vus(),
        rate: a
            .rate
            .as_deref()
            .map(rate_flag)
            .transpose()
            .map_err(Fail::bad_input)?,
        duration: flag_duration("--duration", a.duration.as_deref())?
            .unwrap_or(Duration::from_secs(10)),
        headers: a
            .headers
            .iter()
            .map(|h| header_flag(h))
            .collect::<Result<_, _>>()
            .map_err(Fail::bad_input)?,
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

pub fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
