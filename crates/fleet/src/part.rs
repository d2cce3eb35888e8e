//! A results folder read back for a merge: `run.json` and every line of `metrics.jsonl`,
//! checked as untrusted input (see [`crate::bounds`]). The intervals stay on disk: reading a
//! part checks every line and keeps a few figures; [`RunPart::intervals`] reads them again,
//! one at a time, when the merge needs them (a 48-hour run holds 172,800 lines, gigabytes
//! encoded), checking each again, since the file may have changed in between.

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
    /// Whole intervals in its `metrics.jsonl` (a last line cut short by a kill not counted).
    pub lines: u64,
    /// Start of its last interval (µs from its origin), if it has any.
    pub last_start_us: Option<u64>,
    /// The latest end of its intervals (µs from its origin).
    pub end_us: u64,
    /// Every count of every interval added up (see [`crate::bounds`]).
    pub mass: u64,
}

/// Reads `metrics.jsonl` line by line, checking each.
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    n: usize,
    /// A last line cut short is [`Read::Cut`] rather than an error.
    partial: bool,
}

/// What reading one line gave.
enum Read {
    End,
    /// A last line with no newline that is not a whole interval (cut short by a kill).
    Cut,
    Line(IntervalLine, u64),
}

impl Lines {
    fn open(dir: &Path, partial: bool) -> Result<Lines, FleetError> {
        let path = dir.join(METRICS_FILE);
        let file = File::open(&path).map_err(|e| FleetError::io(&path, e))?;
        Ok(Lines {
            path,
            reader: BufReader::new(file),
            buf: Vec::new(),
            n: 0,
            partial,
        })
    }

    fn bad(&self, message: String) -> FleetError {
        FleetError::BadFile {
            path: self.path.clone(),
            line: self.n,
            message,
        }
    }

    /// The next non-empty line, checked against `info` and the line before (`prev_start`):
    /// its shape, its position, its counts (returned as its mass).
    fn next(&mut self, info: &RunInfo, prev_start: Option<u64>) -> Result<Read, FleetError> {
        loop {
            self.buf.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| FleetError::io(&self.path, e))?;
            if read == 0 {
                return Ok(Read::End);
            }
            self.n += 1;
            let unfinished = self.buf.last() != Some(&b'\n');
            let line = std::str::from_utf8(&self.buf).map_err(|e| self.bad(e.to_string()));
            if line.as_ref().is_ok_and(|l| l.trim().is_empty()) {
                continue;
            }
            let parsed = line.and_then(|l| {
                serde_json::from_str::<IntervalLine>(l).map_err(|e| self.bad(e.to_string()))
            });
            let l = match parsed {
                Err(_) if unfinished && self.partial => return Ok(Read::Cut),
                other => other?,
            };
            let r = l.decode().map_err(|e| self.bad(e.to_string()))?;
            check_shape(&r.metrics, &info.layout).map_err(|e| self.bad(e.to_string()))?;
            crate::bounds::check_interval(&r, info).map_err(|e| self.bad(e.to_string()))?;
            if prev_start.is_some_and(|p| l.start_us < p) {
                return Err(self.bad(format!(
                    "start_us {} is before the line before it ({}): a run writes its \
                     intervals in order",
                    l.start_us,
                    prev_start.unwrap_or_default()
                )));
            }
            let mass = crate::bounds::mass(&r.metrics)
                .ok_or_else(|| self.bad(crate::bounds::BoundsError::Overflow.to_string()))?;
            return Ok(Read::Line(l, mass));
        }
    }
}

impl RunPart {
    /// Reads `run.json` and checks every line of `metrics.jsonl` from `dir`: its shape
    /// against the layout, its position and counts against what the run could have written
    /// (the files are untrusted: see [`crate::bounds`]).
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
        let mut lines = Lines::open(dir, partial)?;
        let (mut mass, mut count, mut last_start_us, mut end_us) = (0u64, 0u64, None, 0u64);
        let cut = loop {
            match lines.next(&info, last_start_us)? {
                Read::End => break false,
                Read::Cut => break true,
                Read::Line(l, m) => {
                    mass = crate::bounds::add_mass(mass, m).ok_or_else(|| {
                        lines.bad(crate::bounds::BoundsError::Overflow.to_string())
                    })?;
                    count += 1;
                    last_start_us = Some(l.start_us);
                    end_us = end_us.max(l.start_us.saturating_add(l.length_us));
                }
            }
        };
        let part = RunPart {
            dir: dir.to_path_buf(),
            info,
            lines: count,
            last_start_us,
            end_us,
            mass,
        };
        Ok((part, cut))
    }

    /// Its intervals, read again one at a time: the [`RunPart::lines`] whole lines it had
    /// when it was read, each checked again; a file that changed since (fewer lines, more
    /// counts) is refused.
    pub fn intervals(&self) -> Result<PartIntervals<'_>, FleetError> {
        Ok(PartIntervals {
            part: self,
            lines: Lines::open(&self.dir, true)?,
            read: 0,
            mass: 0,
            prev_start: None,
        })
    }
}

/// A part's intervals, read from its file as they are needed.
pub struct PartIntervals<'p> {
    part: &'p RunPart,
    lines: Lines,
    read: u64,
    mass: u64,
    prev_start: Option<u64>,
}

impl Iterator for PartIntervals<'_> {
    type Item = Result<IntervalLine, FleetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.read >= self.part.lines {
            return None;
        }
        let changed = |l: &Lines| l.bad("the file changed while it was merged".to_string());
        let read = match self.lines.next(&self.part.info, self.prev_start) {
            // Counts past those checked when the part was read would void the bound.
            Ok(Read::Line(l, m)) => {
                match crate::bounds::add_mass(self.mass, m).filter(|s| *s <= self.part.mass) {
                    Some(s) => {
                        self.mass = s;
                        Ok(l)
                    }
                    None => Err(changed(&self.lines)),
                }
            }
            Ok(Read::End | Read::Cut) => Err(changed(&self.lines)),
            Err(e) => Err(e),
        };
        // The first error is the last item.
        self.read = if read.is_ok() {
            self.read + 1
        } else {
            self.part.lines
        };
        let l = match read {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        self.prev_start = Some(l.start_us);
        Some(Ok(l))
    }
}
