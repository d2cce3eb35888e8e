//! `rate = { replay = "FILE", … }`: a recorded traffic curve played back as the arrival rate.
//!
//! The file is counts per time bucket — a `timestamp,count` CSV (per-second or per-minute
//! rows; timestamps RFC 3339 or unix seconds) — or an access log whose lines are counted by
//! their timestamps (nginx `combined`, AWS ALB). It is read once, at validation, into one
//! count per bucket; the rate inside bucket `k` is `count / bucket`, so the open model's
//! `arrivals` (uniform or poisson) spaces each bucket's arrivals. `time_scale` compresses the
//! file's clock (60: an hour of file per real minute) and `scale` multiplies the counts.
//! Every problem of the file is reported at its line, at most [`MAX_SHOWN`] of them.

use super::grammar::{Fields, PatternProblem};
use super::Pattern;
use chrono::DateTime;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

/// The keys of `rate = { replay = … }`.
pub(crate) const FIELDS: [&str; 5] = ["replay", "scale", "format", "bucket", "time_scale"];

/// Most problems of one trace file reported (the rest are counted).
pub const MAX_SHOWN: usize = 20;

/// Most buckets a trace may hold: 115 days of seconds. The counts live in memory for the run.
pub const MAX_BUCKETS: usize = 10_000_000;

/// Shortest bucket after compression: the arrival schedule integrates the rate in 1 ms slices,
/// so a shorter bucket would be sampled, not counted.
pub const MIN_REPLAYED_BUCKET: f64 = 0.001;

/// A trace ready to play: one count per bucket, from the file's first bucket on.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The file as the scenario names it.
    pub file: String,
    /// Arrivals per bucket (as in the file; `scale` wraps the pattern).
    pub counts: Arc<[f64]>,
    /// Length of one bucket in the file (s).
    pub bucket: f64,
    /// File seconds per real second.
    pub time_scale: f64,
    /// The first bucket's start in the file (unix seconds).
    pub start: f64,
}

impl Replay {
    /// Length of one bucket when played (s).
    pub fn played_bucket(&self) -> f64 {
        self.bucket / self.time_scale
    }

    /// How long the whole trace plays (s).
    pub fn played_length(&self) -> f64 {
        self.counts.len() as f64 * self.played_bucket()
    }

    /// Arrivals per second at played offset `t`: the bucket's count over its played length;
    /// 0 before and after the trace.
    pub fn rate(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        let b = self.played_bucket();
        self.counts
            .get((t / b) as usize)
            .map_or(0.0, |count| count / b)
    }

    /// The highest rate of any bucket.
    pub fn peak(&self) -> f64 {
        self.counts.iter().fold(0.0, |m: f64, c| m.max(*c)) / self.played_bucket()
    }
}

/// What kind of file a trace is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// `timestamp,count` rows.
    Csv,
    /// nginx `combined` access log: `… [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" …`.
    Nginx,
    /// AWS Application Load Balancer access log (`type time elb client …`).
    Alb,
}

/// The counts of a trace file.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The first bucket's start (unix seconds).
    pub start: f64,
    /// Bucket length (s).
    pub bucket: f64,
    /// Arrivals per bucket.
    pub counts: Vec<f64>,
}

/// One problem of a trace file, at its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// `rate = { replay = "FILE", format, bucket, time_scale, scale }` with the file read from
/// `dir`; every problem to `f`.
pub(super) fn table(f: &mut Fields<'_, '_>, dir: &Path) -> Option<Pattern> {
    let file = f.str("replay");
    let format = match f.str("format").unwrap_or("auto") {
        "auto" => Some(None),
        "csv" => Some(Some(TraceFormat::Csv)),
        "nginx" => Some(Some(TraceFormat::Nginx)),
        "alb" => Some(Some(TraceFormat::Alb)),
        other => f.fail(
            "format",
            PatternProblem::UnknownTraceFormat(other.to_string()),
        ),
    };
    let bucket = match f.has("bucket") {
        true => f.positive("bucket", Fields::secs, None).map(Some),
        false => Some(None),
    };
    let time_scale = f.positive("time_scale", Fields::number, Some(1.0));
    let (file, format, bucket, time_scale) = (file?, format?, bucket?, time_scale?);
    let path = dir.join(file);
    let shown = path.display().to_string();
    let read = std::fs::File::open(&path).map(std::io::BufReader::new);
    let trace = match read {
        Ok(r) => read_trace(r, format, bucket),
        Err(e) => {
            let error = e.to_string();
            return f.fail("replay", PatternProblem::TraceRead { file: shown, error });
        }
    };
    let trace = match trace {
        Ok(t) => t,
        Err(problems) => {
            let more = problems.len().saturating_sub(MAX_SHOWN);
            for p in problems.into_iter().take(MAX_SHOWN) {
                let (file, line, message) = (shown.clone(), p.line, p.message);
                f.fail::<()>(
                    "replay",
                    PatternProblem::Trace {
                        file,
                        line,
                        message,
                    },
                );
            }
            if more > 0 {
                f.fail::<()>("replay", PatternProblem::TraceMore { file: shown, more });
            }
            return None;
        }
    };
    if trace.bucket / time_scale < MIN_REPLAYED_BUCKET {
        let message = format!(
            "time_scale {time_scale} plays a {}s bucket in {:.3}ms, under the 1 ms the schedule \
             integrates in; lower time_scale or count wider buckets (bucket = \"1m\")",
            trace.bucket,
            trace.bucket / time_scale * 1e3
        );
        return f.fail("time_scale", PatternProblem::TooCompressed(message));
    }
    Some(Pattern::Replay(Replay {
        file: file.to_string(),
        counts: trace.counts.into(),
        bucket: trace.bucket,
        time_scale,
        start: trace.start,
    }))
}

/// Reads a trace: `format` (`None`: decided by its first data line) and `bucket` (a CSV's
/// row spacing, inferred from the closest rows when `None`; a log's counting width, 1 s when
/// `None`). Blank lines and lines starting with `#` are skipped. Every problem is returned.
pub fn read_trace(
    mut r: impl BufRead,
    format: Option<TraceFormat>,
    bucket: Option<f64>,
) -> Result<Trace, Vec<TraceProblem>> {
    let mut format = format;
    let mut bad = Vec::new();
    let mut stamps: Vec<(usize, f64, f64)> = Vec::new();
    let mut counted: BTreeMap<i64, f64> = BTreeMap::new();
    let width = bucket.unwrap_or(1.0);
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => line += 1,
            Err(e) => {
                bad.push(problem(line + 1, format!("cannot read: {e}")));
                break;
            }
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            bad.push(problem(line, "not UTF-8 text".to_string()));
            continue;
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let kind = *format.get_or_insert_with(|| detect(text));
        let parsed = match kind {
            TraceFormat::Csv if stamps.is_empty() && is_header(text) => continue,
            TraceFormat::Csv => csv_row(text).map(|(t, n)| {
                stamps.push((line, t, n));
                t
            }),
            TraceFormat::Nginx => nginx_time(text),
            TraceFormat::Alb => alb_time(text),
        };
        match (kind, parsed) {
            (_, Err(message)) => bad.push(problem(line, message)),
            (TraceFormat::Csv, Ok(_)) => {}
            (_, Ok(t)) => {
                let key = (t / width).floor() as i64;
                *counted.entry(key).or_insert(0.0) += 1.0;
            }
        }
    }
    let trace = match format {
        Some(TraceFormat::Csv) => from_rows(&stamps, bucket, &mut bad),
        Some(_) => from_counted(&counted, width, line, &mut bad),
        None => {
            bad.push(problem(
                line.max(1),
                "no data: the file has no rows".to_string(),
            ));
            None
        }
    };
    match trace {
        Some(t) if bad.is_empty() => Ok(t),
        _ => Err(bad),
    }
}

fn problem(line: usize, message: String) -> TraceProblem {
    TraceProblem { line, message }
}

/// The format of a file whose first data line is `line`.
fn detect(line: &str) -> TraceFormat {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    let alb_type = ["http", "https", "h2", "grpcs", "ws", "wss"].contains(&first);
    if alb_type && words.next().is_some_and(|w| rfc3339(w).is_ok()) {
        TraceFormat::Alb
    } else if line.contains(" [") && line.contains("] \"") {
        TraceFormat::Nginx
    } else {
        TraceFormat::Csv
    }
}

fn is_header(line: &str) -> bool {
    let mut cols = line.split(',').map(str::trim);
    cols.next()
        .is_some_and(|c| c.eq_ignore_ascii_case("timestamp"))
        && cols.next().is_some_and(|c| c.eq_ignore_ascii_case("count"))
}

/// `timestamp,count`: the timestamp in unix seconds, the count.
fn csv_row(line: &str) -> Result<(f64, f64), String> {
    let cols: Vec<&str> = line.split(',').map(str::trim).collect();
    let [ts, count] = cols[..] else {
        return Err(format!(
            "expected `timestamp,count`, got {} columns",
            cols.len()
        ));
    };
    let t = match ts.parse::<f64>() {
        Ok(t) if t.is_finite() => t,
        _ => rfc3339(ts).map_err(|_| {
            format!("timestamp `{ts}` is neither unix seconds nor RFC 3339 (2026-12-01T00:00:00Z)")
        })?,
    };
    match count.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok((t, n)),
        _ => Err(format!("count `{count}` is not a non-negative number")),
    }
}

fn rfc3339(s: &str) -> Result<f64, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|d| unix(&d))
}

fn unix<Tz: chrono::TimeZone>(d: &DateTime<Tz>) -> f64 {
    d.timestamp() as f64 + f64::from(d.timestamp_subsec_nanos()) * 1e-9
}

/// The `[10/Oct/2026:13:55:36 +0000]` of an nginx `combined` line.
fn nginx_time(line: &str) -> Result<f64, String> {
    let inner = line
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(t, _)| t)
        .ok_or("not an nginx combined line: no [time_local]")?;
    DateTime::parse_from_str(inner, "%d/%b/%Y:%H:%M:%S %z")
        .map(|d| unix(&d))
        .map_err(|_| format!("time `{inner}` is not like 10/Oct/2026:13:55:36 +0000"))
}

/// An ALB line's `request_creation_time` (its 22nd field) when it has one, else its `time`
/// (the 2nd: when the response was sent).
fn alb_time(line: &str) -> Result<f64, String> {
    let fields = alb_fields(line);
    if let Some(t) = fields.get(21).and_then(|f| rfc3339(f).ok()) {
        return Ok(t);
    }
    let time = fields.get(1).ok_or("not an ALB log line: no time field")?;
    rfc3339(time)
        .map_err(|_| format!("time `{time}` is not ISO 8601 (2026-12-01T00:00:00.123456Z)"))
}

/// Space-separated fields, a `"quoted field"` being one.
fn alb_fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (field, next) = match rest.strip_prefix('"') {
            Some(q) => q.split_once('"').unwrap_or((q, "")),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        out.push(field);
        rest = next.trim_start();
    }
    out
}

/// A CSV's rows on their bucket grid; gaps are buckets of 0.
fn from_rows(
    rows: &[(usize, f64, f64)],
    bucket: Option<f64>,
    bad: &mut Vec<TraceProblem>,
) -> Option<Trace> {
    let (first_line, start, _) = *rows.first().or_else(|| {
        bad.push(problem(1, "no data: the file has no rows".to_string()));
        None
    })?;
    for w in rows.windows(2) {
        if w[1].1 <= w[0].1 {
            bad.push(problem(
                w[1].0,
                format!(
                    "timestamp is not after line {}'s: rows must be in time order, one per bucket",
                    w[0].0
                ),
            ));
        }
    }
    let gap = rows
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .filter(|g| *g > 0.0)
        .fold(f64::INFINITY, f64::min);
    let bucket = match bucket {
        Some(b) => b,
        None if gap.is_finite() => gap,
        None if !bad.is_empty() => return None,
        None => {
            bad.push(problem(
                first_line,
                "one row: give its length with bucket = \"1s\" or \"1m\"".to_string(),
            ));
            return None;
        }
    };
    let mut counts = Vec::new();
    for &(line, t, n) in rows {
        let at = (t - start) / bucket;
        let k = at.round();
        if (at - k).abs() > 1e-6 * at.abs().max(1.0) {
            bad.push(problem(
                line,
                format!("timestamp is {at:.3} buckets of {bucket}s after the first row: rows lie on that grid"),
            ));
            continue;
        }
        let k = k as usize;
        if k >= MAX_BUCKETS {
            bad.push(problem(
                line,
                format!("more than {MAX_BUCKETS} buckets after the first row"),
            ));
            break;
        }
        if k >= counts.len() {
            counts.resize(k + 1, 0.0);
        }
        counts[k] += n;
    }
    Some(Trace {
        start,
        bucket,
        counts,
    })
}

/// A log's counted buckets, from its first to its last.
fn from_counted(
    counted: &BTreeMap<i64, f64>,
    width: f64,
    lines: usize,
    bad: &mut Vec<TraceProblem>,
) -> Option<Trace> {
    let (Some((&first, _)), Some((&last, _))) =
        (counted.first_key_value(), counted.last_key_value())
    else {
        if bad.is_empty() {
            bad.push(problem(
                lines.max(1),
                "no data: the log has no lines".to_string(),
            ));
        }
        return None;
    };
    let len = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
    if len > MAX_BUCKETS {
        bad.push(problem(
            lines,
            format!("the log spans {len} buckets of {width}s, more than {MAX_BUCKETS}"),
        ));
        return None;
    }
    let mut counts = vec![0.0; len];
    for (k, n) in counted {
        counts[(k - first) as usize] = *n;
    }
    Some(Trace {
        start: first as f64 * width,
        bucket: width,
        counts,
    })
}
