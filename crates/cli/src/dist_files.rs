//! The merge-ready files every `loadgen run` leaves in its results folder (`run.json`,
//! `metrics.jsonl`, `scenario.toml`), so that `loadgen merge` can rebuild the verdict of a
//! run split into segments across machines.

use crate::args::RunArgs;
use loadgen_engine::{FinalReport, IntervalReport, Plan, Segment};
use loadgen_fleet::{FolderWriter, Layout, Overrides, RunInfo, FORMAT_VERSION};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Identity of the plan a run executes: its hash and the text the hash was taken over.
pub struct PlanIdentity {
    pub hash: String,
    pub overrides: Overrides,
    /// The scenario file as written (`${VAR}` not expanded, so no secret lands on disk).
    pub raw_text: Option<String>,
    pub file: Option<PathBuf>,
}

impl PlanIdentity {
    /// Identity of the scenario file (or ad-hoc flags) of `a`.
    pub fn of_run(a: &RunArgs) -> PlanIdentity {
        let overrides = Overrides {
            duration: a.duration.clone(),
            seed: a.seed,
        };
        match &a.file {
            Some(file) => Self::of_file(file, overrides),
            None => {
                let adhoc = format!(
                    "adhoc url={:?} method={} vus={} rate={:?} headers={:?} body={:?} http2={} thresholds={:?} no_default_thresholds={}",
                    a.url, a.method(), a.vus(), a.rate, a.headers, a.body, a.http2, a.thresholds, a.no_default_thresholds
                );
                PlanIdentity {
                    hash: loadgen_fleet::plan_hash(&adhoc, &overrides),
                    overrides,
                    raw_text: None,
                    file: None,
                }
            }
        }
    }

    /// Identity of a scenario file with `overrides`.
    pub fn of_file(file: &Path, overrides: Overrides) -> PlanIdentity {
        let raw = std::fs::read_to_string(file).ok();
        let expanded = raw
            .as_deref()
            .and_then(|t| loadgen_scenario::interpolate(t, &|k| std::env::var(k).ok()).ok())
            .unwrap_or_default();
        PlanIdentity {
            hash: loadgen_fleet::plan_hash(&expanded, &overrides),
            overrides,
            raw_text: raw,
            file: Some(std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())),
        }
    }
}

/// Writes the merge files of one run; errors are kept and reported once at the end.
pub struct DistFiles {
    info: RunInfo,
    dir: PathBuf,
    writer: Option<FolderWriter>,
    error: Option<String>,
}

impl DistFiles {
    pub fn new(
        id: &PlanIdentity,
        scenario: &str,
        plan: &Plan,
        segment: Segment,
        interval: Duration,
        out: &Path,
    ) -> Self {
        DistFiles {
            info: RunInfo {
                format_version: FORMAT_VERSION,
                loadgen_version: env!("CARGO_PKG_VERSION").to_string(),
                scenario: scenario.to_string(),
                plan_hash: id.hash.clone(),
                segments: vec![segment.to_string()],
                started_at_unix_ns: 0,
                started_at: String::new(),
                interval_ms: interval.as_millis() as u64,
                scenario_file: id.file.as_ref().map(|f| f.display().to_string()),
                overrides: id.overrides.clone(),
                layout: Layout::of(plan),
                elapsed_s: None,
                stopped_early: false,
                missing_segments: Vec::new(),
            },
            dir: out.to_path_buf(),
            writer: None,
            error: id
                .raw_text
                .as_ref()
                .and_then(|t| {
                    let copy = loadgen_scenario::redact_secrets(t);
                    loadgen_scenario::out_file::write_atomic(&out.join("scenario.toml"), copy).err()
                })
                .map(|e| format!("scenario.toml: {e}")),
        }
    }

    /// The clock started: `run.json` gets the origin, `metrics.jsonl` is opened.
    pub fn started(&mut self, at: SystemTime) {
        match FolderWriter::create(&self.dir, self.info.clone(), at) {
            Ok(w) => self.writer = Some(w),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn interval(&mut self, r: &IntervalReport) {
        if let Some(Err(e)) = self.writer.as_mut().map(|w| w.interval(r)) {
            self.writer = None;
            self.error = Some(e.to_string());
        }
    }

    /// Records the end in `run.json`; returns a warning if any merge file is incomplete.
    pub fn finish(self, report: &FinalReport) -> Option<String> {
        if let Some(w) = self.writer {
            if let Err(e) = w.finish(report.elapsed, report.stopped_early, Vec::new()) {
                return Some(e.to_string());
            }
        }
        self.error
    }
}

/// How far ahead `--start-at` may be: segments are started by one orchestrator for one
/// test, so a start days away is a typo (a year, a month), not a plan.
pub const START_AT_HORIZON: Duration = Duration::from_secs(24 * 3600);

/// `--start-at`: an RFC 3339 instant, refused if it has already passed by more than a
/// second (a late segment would run shifted against the others) or is more than
/// [`START_AT_HORIZON`] away.
pub fn start_at(v: Option<&str>) -> anyhow::Result<Option<SystemTime>> {
    let Some(v) = v else { return Ok(None) };
    let at = loadgen_fleet::parse_rfc3339(v).map_err(|e| anyhow::anyhow!("--start-at: {e}"))?;
    if let Ok(ahead) = at.duration_since(SystemTime::now()) {
        if ahead > START_AT_HORIZON {
            anyhow::bail!(
                "--start-at {v} is {:.1} h away, beyond the {} h horizon (a typo in the date?)",
                ahead.as_secs_f64() / 3600.0,
                START_AT_HORIZON.as_secs() / 3600
            );
        }
    }
    if let Ok(late) = SystemTime::now().duration_since(at) {
        if late > Duration::from_secs(1) {
            anyhow::bail!(
                "--start-at {v} passed {:.1}s ago; segments must start together (pick a time further ahead)",
                late.as_secs_f64()
            );
        }
    }
    Ok(Some(at))
}

/// CPU time (user + system) this process used so far, in seconds.
pub fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}
