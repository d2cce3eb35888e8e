//! A results folder read back for a merge: `run.json` and every line of `metrics.jsonl`,
//! checked as untrusted input (see [`crate::bounds`]).

use crate::error::FleetError;
use loadgen_report::{check_shape, IntervalLine, RunInfo, METRICS_FILE};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// A results folder read back.
#[derive(Debug, Clone)]
pub struct RunPart {
    /// Where it was read from.
    pub dir: PathBuf,
    /// Its `run.json`.
    pub info: RunInfo,
    /// Its intervals in file order, kept encoded (a decoded interval holds full HDR
    /// arrays, ~100× the encoded size; a long run would not fit in memory decoded).
    pub intervals: Vec<IntervalLine>,
    /// Every count of every interval added up (see [`crate::bounds`]).
    pub mass: u64,
}

impl RunPart {
    /// Reads `run.json` and `metrics.jsonl` from `dir`, checking every line's shape against
    /// the layout and its position and counts against what the run could have written (the
    /// files are untrusted: see [`crate::bounds`]).
    pub fn read(dir: &Path) -> Result<RunPart, FleetError> {
        let info = RunInfo::read(dir)?;
        crate::bounds::check_info(&info).map_err(|e| FleetError::BadFile {
            path: dir.join("run.json"),
            line: 0,
            message: e.to_string(),
        })?;
        let path = dir.join(METRICS_FILE);
        let mut mass = 0u64;
        let file = File::open(&path).map_err(|e| FleetError::io(&path, e))?;
        let mut intervals = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| FleetError::io(&path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| FleetError::BadFile {
                path: path.clone(),
                line: n + 1,
                message,
            };
            let l: IntervalLine = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            let r = l.decode().map_err(|e| bad(e.to_string()))?;
            check_shape(&r.metrics, &info.layout).map_err(|e| bad(e.to_string()))?;
            crate::bounds::check_interval(&r, &info).map_err(|e| bad(e.to_string()))?;
            mass = crate::bounds::mass(&r.metrics)
                .and_then(|m| crate::bounds::add_mass(mass, m))
                .ok_or_else(|| bad(crate::bounds::BoundsError::Overflow.to_string()))?;
            drop(r);
            intervals.push(l);
        }
        Ok(RunPart {
            dir: dir.to_path_buf(),
            info,
            intervals,
            mass,
        })
    }
}
