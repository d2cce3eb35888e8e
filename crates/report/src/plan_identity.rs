//! What makes a run's `run.json` identity: the plan's hash, the overrides it was run with and
//! the scenario text copied beside the results; plus the `--start-at` instant segments share
//! and the CPU a process used (the coordinator's own cost).

use crate::run_info::{
    parse_rfc3339, plan_hash, Layout, Overrides, Rfc3339Error, RunInfo, FORMAT_VERSION,
};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Identity of the plan a run executes: its hash and the text the hash was taken over.
#[derive(Debug, Clone)]
pub struct PlanIdentity {
    /// [`plan_hash`] of the expanded scenario (or the ad-hoc description) and the overrides.
    pub hash: String,
    /// The overrides applied to the scenario.
    pub overrides: Overrides,
    /// The scenario file as written (`${VAR}` not expanded, so no secret lands on disk).
    pub raw_text: Option<String>,
    /// The scenario file, absolute where it resolves.
    pub file: Option<PathBuf>,
}

impl PlanIdentity {
    /// Identity of a scenario file read once into `source`, with `overrides`; `env` expands
    /// its `${VAR}` for the hash. The hash and the copy are of the text read, never of the
    /// file as it is now.
    pub fn of_source(
        source: &loadgen_scenario::Source,
        overrides: Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> PlanIdentity {
        let expanded = loadgen_scenario::interpolate(&source.text, env).unwrap_or_default();
        let file = &source.path;
        PlanIdentity {
            hash: plan_hash(&expanded, &overrides),
            overrides,
            raw_text: Some(source.text.clone()),
            file: Some(std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())),
        }
    }

    /// Identity of an ad-hoc run (no file), given as the text of its flags.
    pub fn of_adhoc(flags: &str, overrides: Overrides) -> PlanIdentity {
        PlanIdentity {
            hash: plan_hash(flags, &overrides),
            overrides,
            raw_text: None,
            file: None,
        }
    }
}

impl RunInfo {
    /// The `run.json` of a run before it starts — the one place one is made, for `loadgen
    /// run`, a worker's segment and the coordinator's merged run alike. The origin and the
    /// end are filled in as the run goes ([`crate::Results`] does it).
    pub fn new(
        scenario: &str,
        id: &PlanIdentity,
        layout: Layout,
        segments: Vec<String>,
        interval: Duration,
    ) -> RunInfo {
        RunInfo {
            changes: Vec::new(),
            format_version: FORMAT_VERSION,
            loadgen_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.to_string(),
            plan_hash: id.hash.clone(),
            segments,
            started_at_unix_ns: 0,
            started_at: String::new(),
            interval_ms: interval.as_millis() as u64,
            scenario_file: id.file.as_ref().map(|f| f.display().to_string()),
            overrides: id.overrides.clone(),
            layout,
            elapsed_s: None,
            stopped_early: false,
            missing_segments: Vec::new(),
        }
    }
}

/// How far ahead `--start-at` may be: segments are started by one orchestrator for one
/// test, so a start days away is a typo (a year, a month), not a plan.
pub const START_AT_HORIZON: Duration = Duration::from_secs(24 * 3600);

/// Why a `--start-at` instant is refused.
#[derive(Debug, thiserror::Error)]
pub enum StartAtError {
    /// Not an RFC 3339 time.
    #[error("--start-at: {0}")]
    Parse(#[from] Rfc3339Error),
    /// Further ahead than [`START_AT_HORIZON`].
    #[error("--start-at {given} is {:.1} h away, beyond the {} h horizon (a typo in the date?)", .ahead.as_secs_f64() / 3600.0, START_AT_HORIZON.as_secs() / 3600)]
    TooFar {
        /// As given.
        given: String,
        /// How far ahead it is.
        ahead: Duration,
    },
    /// Passed more than a second ago.
    #[error("--start-at {given} passed {:.1}s ago; segments must start together (pick a time further ahead)", .late.as_secs_f64())]
    Passed {
        /// As given.
        given: String,
        /// How long ago it was.
        late: Duration,
    },
}

/// `--start-at`: an RFC 3339 instant, refused if it has already passed by more than a
/// second (a late segment would run shifted against the others) or is more than
/// [`START_AT_HORIZON`] away.
pub fn start_at(v: Option<&str>) -> Result<Option<SystemTime>, StartAtError> {
    let Some(v) = v else { return Ok(None) };
    let at = parse_rfc3339(v)?;
    if let Ok(ahead) = at.duration_since(SystemTime::now()) {
        if ahead > START_AT_HORIZON {
            return Err(StartAtError::TooFar {
                given: v.to_string(),
                ahead,
            });
        }
    }
    if let Ok(late) = SystemTime::now().duration_since(at) {
        if late > Duration::from_secs(1) {
            return Err(StartAtError::Passed {
                given: v.to_string(),
                late,
            });
        }
    }
    Ok(Some(at))
}

/// CPU time (user + system) this process used so far, in seconds.
pub fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_identity_is_of_the_text_read_not_of_the_file_now() {
        let dir = std::env::temp_dir().join(format!("loadgen-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.toml");
        let original = "name = \"${NAME:-a}\"\n";
        std::fs::write(&file, original).unwrap();
        let source = loadgen_scenario::Source::read(&file).unwrap();
        std::fs::write(&file, "name = \"replaced\"\n").unwrap();
        let env = |k: &str| (k == "NAME").then(|| "b".to_string());
        let id = PlanIdentity::of_source(&source, Overrides::default(), &env);
        assert_eq!(id.raw_text.as_deref(), Some(original));
        assert_eq!(id.hash, plan_hash("name = \"b\"\n", &Overrides::default()));
        assert_ne!(
            id.hash,
            plan_hash("name = \"replaced\"\n", &Overrides::default())
        );
        assert_eq!(id.file, Some(std::fs::canonicalize(&file).unwrap()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
