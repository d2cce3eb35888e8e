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
        Self::read_lines(dir, false).map(|(part, _)| part)
    }

    /// Reads the folder of a run that may have been killed (`kill -9`, a crash, a lost
    /// machine): as [`RunPart::read`], except that a last line cut short by the kill (no
    /// newline at its end, and not a whole interval) is left out. Also says whether one was.
    pub fn read_partial(dir: &Path) -> Result<(RunPart, bool), FleetError> {
        Self::read_lines(dir, true)
    }

    fn read_lines(dir: &Path, partial: bool) -> Result<(RunPart, bool), FleetError> {
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
        let mut reader = BufReader::new(file);
        let mut buf = Vec::new();
        let mut cut = false;
        for n in 0.. {
            buf.clear();
            let read = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| FleetError::io(&path, e))?;
            if read == 0 {
                break;
            }
            let bad = |message: String| FleetError::BadFile {
                path: path.clone(),
                line: n + 1,
                message,
            };
            let unfinished = buf.last() != Some(&b'\n');
            let line = std::str::from_utf8(&buf).map_err(|e| bad(e.to_string()));
            if line.as_ref().is_ok_and(|l| l.trim().is_empty()) {
                continue;
            }
            let parsed = line.and_then(|l| {
                serde_json::from_str::<IntervalLine>(l).map_err(|e| bad(e.to_string()))
            });
            let l = match parsed {
                Err(_) if partial && unfinished => {
                    cut = true;
                    break;
                }
                other => other?,
            };
            let r = l.decode().map_err(|e| bad(e.to_string()))?;
            check_shape(&r.metrics, &info.layout).map_err(|e| bad(e.to_string()))?;
            crate::bounds::check_interval(&r, &info).map_err(|e| bad(e.to_string()))?;
            mass = crate::bounds::mass(&r.metrics)
                .and_then(|m| crate::bounds::add_mass(mass, m))
                .ok_or_else(|| bad(crate::bounds::BoundsError::Overflow.to_string()))?;
            drop(r);
            intervals.push(l);
        }
        let part = RunPart {
            dir: dir.to_path_buf(),
            info,
            intervals,
            mass,
        };
        Ok((part, cut))
    }
}
