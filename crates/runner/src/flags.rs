//! What a run reads from its flags and the scenario file: the scenario (from a file or the
//! ad-hoc flags) and the identity of the plan for `run.json`, the TLS files, durations and
//! the target flag; the warnings a scenario gets before any load.

use crate::{RunError, RunSettings};
use loadgen_report::{Overrides, PlanIdentity};
use loadgen_scenario::Scenario;
use std::time::Duration;

pub(crate) fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Warns (before any load) when connections per iteration would outrun TIME_WAIT.
pub fn churn_warnings(sc: &Scenario) {
    let ports = loadgen_engine::limits::ephemeral_ports().unwrap_or(28_232);
    for w in sc.connection_churn_warnings(ports) {
        loadgen_console::warn!("loadgen: warning: {w}");
    }
}

/// `--target` (or `TARGET_URL`), checked where it is read so a mistake is blamed on the flag,
/// not on the first workload that uses it.
pub fn target_flag(t: Option<&str>) -> Result<Option<String>, RunError> {
    match t {
        Some(u) if u != "embedded" && !loadgen_scenario::TARGET_SCHEMES.iter().any(|s| u.starts_with(s)) => {
            Err(RunError::bad(format!(
                "--target (or TARGET_URL) `{u}` has no scheme: write http://, https://, ws:// or wss:// before the host"
            )))
        }
        _ => Ok(t.map(str::to_string)),
    }
}

/// A duration flag's value, when given; the error names `flag`.
pub fn flag_duration(flag: &str, v: Option<&str>) -> Result<Option<Duration>, RunError> {
    v.map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| RunError::bad(format!("{flag}: {e}")))
}

/// `--interval`: 100 ms to 1 h in whole milliseconds (`run.json` keeps it in ms, and a merge
/// refuses longer intervals); 1 s when not given.
pub fn interval_flag(v: Option<&str>) -> Result<Duration, RunError> {
    let Some(d) = flag_duration("--interval", v)? else {
        return Ok(Duration::from_secs(1));
    };
    let whole_ms = d.as_nanos() % 1_000_000 == 0;
    if !(Duration::from_millis(100)..=Duration::from_secs(3600)).contains(&d) || !whole_ms {
        return Err(RunError::bad(format!(
            "--interval: {} is outside 100ms..1h or not whole milliseconds",
            humantime(d)
        )));
    }
    Ok(d)
}

/// `loadgen check-args run …`: the values of `a` parsed as the run parses them (segment,
/// instant, durations, rate, interval; ad-hoc flags beside a file refused), running nothing.
pub fn check_flags(a: &RunSettings<'_>) -> Result<(), RunError> {
    fn check<T, E: std::fmt::Display>(
        flag: &str,
        value: Option<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<(), RunError> {
        match value {
            Some(v) => parse(v)
                .map(drop)
                .map_err(|e| RunError::bad(format!("{flag}: {e}"))),
            None => Ok(()),
        }
    }
    use loadgen_scenario::{parse_duration, parse_rate};
    a.adhoc
        .check_beside(a.file.is_some())
        .map_err(RunError::bad)?;
    check("--segment", a.segment, |s| {
        s.parse::<loadgen_engine::Segment>()
    })?;
    check("--start-at", a.start_at, loadgen_report::parse_rfc3339)?;
    check("--duration", a.duration, parse_duration)?;
    check(
        "--arrival-granularity",
        a.arrival_granularity,
        parse_duration,
    )?;
    check("--rate", a.adhoc.rate, parse_rate)?;
    interval_flag(a.interval).map(drop)
}

/// The scenario of `loadgen run` and its identity: its file (read once: the scenario, the
/// hash and the results folder's copy all come from the same text), or the ad-hoc flags.
pub fn scenario_of_run(a: &RunSettings<'_>) -> Result<(Scenario, PlanIdentity), RunError> {
    let overrides = Overrides {
        duration: a.duration.map(str::to_string),
        seed: a.seed,
    };
    match (a.file, a.url) {
        (Some(file), _) => {
            let source = loadgen_scenario::Source::read(file).map_err(RunError::bad)?;
            let sc = source.parse(&env).map_err(RunError::bad)?;
            Ok((sc, PlanIdentity::of_source(&source, overrides, &env)))
        }
        (None, Some(url)) => {
            let id = PlanIdentity::of_adhoc(&a.adhoc.identity(url), overrides);
            let duration = flag_duration("--duration", a.duration)?;
            let spec = a.adhoc.spec(url, duration).map_err(RunError::bad)?;
            let sc = loadgen_scenario::adhoc::scenario(&spec).map_err(RunError::bad)?;
            if sc.thresholds.len() > spec.thresholds.len() {
                let (key, expr) = loadgen_scenario::adhoc::DEFAULT_ERRORS;
                loadgen_console::say!(
                    "loadgen: judging errors by the default threshold `{key}: {expr}` (give an \
                     errors threshold to change it, --no-default-thresholds to drop it)"
                );
            }
            Ok((sc, id))
        }
        (None, None) => Err(RunError::bad("give a scenario file or --url")),
    }
}

/// `--cacert`, `--client-cert` and `--client-key`: they replace the scenario's `ca_file` and
/// client identity (ad-hoc runs included), for HTTP, `wss://` and webhook deliveries alike.
/// Files are read before any traffic; one that cannot be used is bad input.
pub(crate) fn apply_tls_files(a: &RunSettings<'_>, sc: &mut Scenario) -> Result<(), RunError> {
    if let Some(ca) = a.cacert {
        let roots =
            loadgen_tls::load_ca_file(ca).map_err(|e| RunError::bad(format!("--cacert: {e}")))?;
        sc.http.tls.extra_roots = roots;
    }
    match (a.client_cert, a.client_key) {
        (Some(cert), Some(key)) => {
            let id = loadgen_tls::ClientIdentity::load(cert, key)
                .map_err(|e| RunError::bad(format!("--client-cert: {e}")))?;
            sc.http.tls.identity = Some(id);
        }
        (None, None) => {}
        _ => return Err(RunError::bad("--client-cert and --client-key go together")),
    }
    Ok(())
}

/// `--threads`: each worker thread is a runtime with its own connections and file
/// descriptors, so the count is bounded where a bigger number can only fail later.
pub fn threads_flag(v: &str) -> Result<usize, String> {
    let n: usize = v
        .parse()
        .map_err(|_| format!("`{v}` is not a whole number"))?;
    match n {
        0 => Err("at least 1 thread is needed".into()),
        1..=loadgen_engine::MAX_THREADS => Ok(n),
        _ => Err(format!(
            "at most {} threads (one runtime each; more than the machine's cores only adds overhead)",
            loadgen_engine::MAX_THREADS
        )),
    }
}

/// `d` as `1m30s`, `45s`, `2m`.
pub fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
