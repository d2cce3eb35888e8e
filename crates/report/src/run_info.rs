//! `run.json`: what a results folder needs to be merged with others — which plan (by hash),
//! which segment of it, when it started, the layout of its metrics and the tool version.

use crate::error::ReportError;
use loadgen_engine::{CustomKind, Plan, Segment, SegmentError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Version of the `run.json` + `metrics.jsonl` layout; merges refuse other versions.
///
/// 2: intervals hold what completed in them (by completion instant), the last one its true
/// length; workloads carry online VUs and busy/online VU·time areas. Version 1 folders
/// (ticker-sampled intervals, a sliver tail row, no VU areas) are refused, not guessed at.
/// 3: thirteen outcome classes appended (database and Redis), protocol codes per step; a
/// version 2 folder reads as one with zeros in the new classes.
/// 4: workloads carry `skipped_paused` (arrivals skipped while paused by hand) and run.json
/// lists the `changes` made by hand; in an older folder both read as none.
/// 5: steps carry `status_latency` (latency per HTTP status, for the statuses a
/// `latency{status=N}` threshold names); an older folder has none.
pub const FORMAT_VERSION: u32 = 5;

/// The oldest `format_version` this loadgen merges.
pub const OLDEST_FORMAT_VERSION: u32 = 2;

/// Names of one step in the metrics layout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepName {
    /// Workload index.
    pub workload: usize,
    /// Step name.
    pub name: String,
}

/// Name and kind of one custom metric in the metrics layout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomName {
    /// Workload index.
    pub workload: usize,
    /// Metric name.
    pub name: String,
    /// counter | gauge | rate | trend.
    pub kind: String,
}

/// The order of steps, workloads and custom metrics in every [`crate::MetricsRecord`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Layout {
    /// Workload names.
    pub workloads: Vec<String>,
    /// Steps in global order.
    pub steps: Vec<StepName>,
    /// Custom metrics in global order.
    pub custom: Vec<CustomName>,
}

impl Layout {
    /// The layout of `plan`'s metrics.
    pub fn of(plan: &Plan) -> Self {
        Layout {
            workloads: plan.workloads.iter().map(|w| w.name.clone()).collect(),
            steps: plan
                .steps()
                .into_iter()
                .map(|s| StepName {
                    workload: s.workload,
                    name: s.name,
                })
                .collect(),
            custom: plan
                .custom_metrics()
                .into_iter()
                .map(|c| CustomName {
                    workload: c.workload,
                    name: c.metric.name,
                    kind: c.metric.kind.name().to_string(),
                })
                .collect(),
        }
    }

    /// Custom metric kinds in order (unknown names read as counters).
    pub fn custom_kinds(&self) -> Vec<CustomKind> {
        self.custom
            .iter()
            .map(|c| match c.kind.as_str() {
                "gauge" => CustomKind::Gauge,
                "rate" => CustomKind::Rate,
                "trend" => CustomKind::Trend,
                _ => CustomKind::Counter,
            })
            .collect()
    }
}

/// The overrides a run applied to its scenario (part of the plan's identity).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Overrides {
    /// `--duration`, as given.
    pub duration: Option<String>,
    /// `--seed`.
    pub seed: Option<u64>,
}

/// Contents of `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Version of loadgen that wrote the folder.
    pub loadgen_version: String,
    /// Scenario name.
    pub scenario: String,
    /// [`plan_hash`] of the scenario and its overrides.
    pub plan_hash: String,
    /// Segments this folder holds, `i/n` (one for a run, several for a merge).
    pub segments: Vec<String>,
    /// The run's clock origin, in nanoseconds since the Unix epoch.
    pub started_at_unix_ns: u128,
    /// The same instant in RFC 3339.
    pub started_at: String,
    /// Length of one interval in milliseconds.
    pub interval_ms: u64,
    /// Path of the scenario file as the run read it (absolute if it could be resolved).
    pub scenario_file: Option<String>,
    /// Overrides applied to the scenario.
    pub overrides: Overrides,
    /// Order of the metrics in `metrics.jsonl`.
    pub layout: Layout,
    /// Seconds from the origin to the run's end; `None` while it runs (or if it crashed).
    pub elapsed_s: Option<f64>,
    /// Stopped before the plan ended.
    pub stopped_early: bool,
    /// Segments of the plan that were planned but are not in this folder's data (merges
    /// with `--allow-partial`, live runs that lost a worker).
    #[serde(default)]
    pub missing_segments: Vec<String>,
    /// Changes made by hand while the run went on (pause, scale…), in order.
    #[serde(default)]
    pub changes: Vec<ChangeRecord>,
}

/// One change made by hand, as `run.json` and `summary.json` list it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeRecord {
    /// Seconds from the run's start to the instant it took effect.
    pub at_s: f64,
    /// Who asked (`ctl 127.0.0.1:40112`).
    pub who: String,
    /// What: `pause`, `resume`, `scale 2`, `vus 10`, `stop`.
    pub what: String,
}

impl ChangeRecord {
    /// The record of an engine change.
    pub fn of(c: &loadgen_engine::Change) -> Self {
        ChangeRecord {
            at_s: c.at.as_secs_f64(),
            who: c.who.clone(),
            what: c.what.to_string(),
        }
    }
}

impl RunInfo {
    /// Sets the run's origin.
    pub fn set_origin(&mut self, at: SystemTime) {
        self.started_at_unix_ns = unix_ns(at);
        self.started_at = rfc3339(at);
    }

    /// The run's origin as a wall-clock time.
    pub fn started_at_time(&self) -> SystemTime {
        let ns = self.started_at_unix_ns;
        UNIX_EPOCH + Duration::new((ns / 1_000_000_000) as u64, (ns % 1_000_000_000) as u32)
    }

    /// Parsed segments.
    pub fn parsed_segments(&self) -> Result<Vec<Segment>, SegmentError> {
        self.segments.iter().map(|s| s.parse()).collect()
    }

    /// Reads `dir/run.json`.
    pub fn read(dir: &Path) -> Result<RunInfo, ReportError> {
        let path = dir.join("run.json");
        let text = std::fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
        let info: RunInfo = serde_json::from_str(&text).map_err(|e| ReportError::BadFile {
            path: path.clone(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&info.format_version) {
            return Err(ReportError::BadFile {
                path,
                line: 0,
                message: if info.format_version < FORMAT_VERSION {
                    format!(
                        "format_version {} was written by an older loadgen (version {}); this \
                         loadgen reads {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}: its intervals were cut differently and \
                         lack the VU means, so merge it with the loadgen that wrote it, or re-run",
                        info.format_version, info.loadgen_version
                    )
                } else {
                    format!(
                        "format_version {} is newer than this loadgen reads ({FORMAT_VERSION}); \
                         merge it with loadgen {} or later",
                        info.format_version, info.loadgen_version
                    )
                },
            });
        }
        Ok(info)
    }

    /// Writes `dir/run.json`.
    pub fn write(&self, dir: &Path) -> Result<(), ReportError> {
        let path = dir.join("run.json");
        let text = serde_json::to_string_pretty(self).expect("run info serialises");
        crate::out_file::write_atomic(&path, text).map_err(|e| ReportError::io(path, e))
    }
}

/// Identity of a plan: SHA-256 over the scenario text after `${VAR}` expansion and the
/// overrides that change the load (duration, seed). The target is left out on purpose:
/// machines may reach one system under different names.
pub fn plan_hash(expanded_scenario: &str, overrides: &Overrides) -> String {
    let mut h = Sha256::new();
    h.update(b"loadgen plan v1\n");
    h.update(expanded_scenario.as_bytes());
    h.update(format!(
        "\nduration={:?}\nseed={:?}\n",
        overrides.duration, overrides.seed
    ));
    hex::encode(h.finalize())
}

/// RFC 3339 (UTC, milliseconds) of a wall-clock time.
pub fn rfc3339(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time (`2026-12-01T06:00:00Z`, offsets allowed).
pub fn parse_rfc3339(s: &str) -> Result<SystemTime, Rfc3339Error> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(SystemTime::from)
        .map_err(|error| Rfc3339Error {
            input: s.to_string(),
            error,
        })
}

/// A time that [`parse_rfc3339`] does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an RFC 3339 time (e.g. 2026-12-01T06:00:00Z): {error}")]
pub struct Rfc3339Error {
    /// The text given.
    pub input: String,
    /// What chrono found wrong with it.
    pub error: chrono::ParseError,
}

/// Nanoseconds since the Unix epoch.
pub fn unix_ns(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}
