//! The merge-ready part of a results folder: `run.json` (identity and layout) and
//! `metrics.jsonl` (one line per interval, every counter and histogram, lossless).
//!
//! `metrics.jsonl` line format (version [`crate::FORMAT_VERSION`]):
//! `{"index":0,"start_us":0,"length_us":1000000,"metrics":{…}}` where `metrics` is a
//! [`crate::MetricsRecord`]. Lines are flushed as intervals complete, so a run that crashed
//! still leaves every finished interval behind.

use crate::codec::{MetricsRecord, RecordError};
use crate::error::ReportError;
use crate::run_info::{rfc3339, unix_ns, Layout, RunInfo};
use loadgen_engine::{IntervalReport, Metrics};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// File name of the interval metrics.
pub const METRICS_FILE: &str = "metrics.jsonl";

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IntervalLine {
    /// Interval number from the run's origin.
    pub index: u64,
    /// Start offset from the origin, µs.
    pub start_us: u64,
    /// Length, µs.
    pub length_us: u64,
    /// The interval's metrics.
    pub metrics: MetricsRecord,
}

impl IntervalLine {
    /// Encodes an engine interval report.
    pub fn encode(r: &IntervalReport) -> Self {
        IntervalLine {
            index: r.index,
            start_us: r.start.as_micros() as u64,
            length_us: r.length.as_micros() as u64,
            metrics: MetricsRecord::encode(&r.metrics),
        }
    }

    /// Decodes into an engine interval report.
    pub fn decode(&self) -> Result<IntervalReport, RecordError> {
        Ok(IntervalReport {
            index: self.index,
            start: Duration::from_micros(self.start_us),
            length: Duration::from_micros(self.length_us),
            metrics: self.metrics.decode()?,
        })
    }
}

/// Writes `run.json` at the start and once more at the end, and `metrics.jsonl` as it goes.
pub struct FolderWriter {
    dir: PathBuf,
    info: RunInfo,
    lines: BufWriter<File>,
}

impl FolderWriter {
    /// Starts the files in `dir` (which must exist); `info.started_at*` are set from `at`.
    pub fn create(dir: &Path, mut info: RunInfo, at: SystemTime) -> Result<Self, ReportError> {
        info.started_at_unix_ns = unix_ns(at);
        info.started_at = rfc3339(at);
        info.write(dir)?;
        let path = dir.join(METRICS_FILE);
        let lines = BufWriter::new(File::create(&path).map_err(|e| ReportError::io(&path, e))?);
        Ok(FolderWriter {
            dir: dir.to_path_buf(),
            info,
            lines,
        })
    }

    /// Appends one interval (flushed, so a crash loses at most the interval in progress).
    pub fn interval(&mut self, r: &IntervalReport) -> Result<(), ReportError> {
        self.line(&IntervalLine::encode(r))
    }

    /// Appends an already encoded interval.
    pub fn line(&mut self, l: &IntervalLine) -> Result<(), ReportError> {
        let path = self.dir.join(METRICS_FILE);
        serde_json::to_writer(&mut self.lines, l)
            .map_err(|e| ReportError::io(&path, std::io::Error::other(e)))?;
        self.lines
            .write_all(b"\n")
            .and_then(|()| self.lines.flush())
            .map_err(|e| ReportError::io(&path, e))
    }

    /// The changes made by hand, for `run.json` at the end.
    pub fn set_changes(&mut self, changes: Vec<crate::run_info::ChangeRecord>) {
        self.info.changes = changes;
    }

    /// Records the end of the run in `run.json`.
    pub fn finish(
        mut self,
        elapsed: Duration,
        stopped_early: bool,
        missing: Vec<String>,
    ) -> Result<(), ReportError> {
        let path = self.dir.join(METRICS_FILE);
        self.lines.flush().map_err(|e| ReportError::io(&path, e))?;
        self.info.elapsed_s = Some(elapsed.as_secs_f64());
        self.info.stopped_early = stopped_early;
        self.info.missing_segments = missing;
        self.info.write(&self.dir)
    }
}

/// An interval must have exactly the layout's steps, workloads and custom metrics.
pub fn check_shape(m: &Metrics, l: &Layout) -> Result<(), RecordError> {
    let found = [m.steps.len(), m.workloads.len(), m.custom.len()];
    let expected = [l.steps.len(), l.workloads.len(), l.custom.len()];
    if found != expected {
        return Err(RecordError::Shape { found, expected });
    }
    for (index, (v, k)) in m.custom.iter().zip(l.custom_kinds()).enumerate() {
        if v.kind() != k {
            return Err(RecordError::CustomKind {
                index,
                found: v.kind().name(),
                expected: k.name(),
            });
        }
    }
    Ok(())
}
