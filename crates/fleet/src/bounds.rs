//! Merge input is untrusted: a results folder may come from anyone. Before a part is kept,
//! its `run.json` times and every interval's position are held to what the run could have
//! written, and every count is added with checked arithmetic, so a crafted file is refused
//! (naming file and line) instead of allocating without end or wrapping a sum.
//!
//! The count rule is one sum: every counter, gauge and histogram total of every interval of
//! every part, added together, must stay below 2^63. Counts are never negative, so any sum a
//! merge or a summary later forms from a subset of them stays below it too, in `u64` and in
//! the `i64` of gauges: one check up front covers every addition after it.

use loadgen_engine::{CustomValue, IntervalReport, Metrics};
use loadgen_report::RunInfo;
use std::time::Duration;

/// Most intervals a run or a merge may span (11.5 days of 1 s intervals): the merge builds
/// one interval per index, so this bounds its memory whatever the files claim.
pub const MAX_INTERVALS: u64 = 1_000_000;
/// Longest interval a `run.json` may declare (one hour).
pub const MAX_INTERVAL_MS: u64 = 3_600_000;
/// Latest run start a `run.json` may declare (9999-12-31T23:59:59Z), in seconds.
const MAX_START_S: u128 = 253_402_300_799;
/// The sum every count of a merge must stay below.
pub const MAX_MASS: u64 = i64::MAX as u64;

/// Why a `run.json` or a `metrics.jsonl` line cannot be what a run wrote.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundsError {
    /// `interval_ms` is 0 or over an hour.
    #[error("interval_ms {0} is outside 1..={MAX_INTERVAL_MS}")]
    Interval(u64),
    /// The start is after the year 9999.
    #[error("started_at_unix_ns {0} is after the year 9999")]
    Start(u128),
    /// `elapsed_s` is negative, not a number or longer than [`MAX_INTERVALS`] intervals.
    #[error("elapsed_s {elapsed} is outside 0..={most:.0} ({MAX_INTERVALS} intervals)")]
    Elapsed {
        /// As written.
        elapsed: f64,
        /// The longest a run may be.
        most: f64,
    },
    /// An interval index past the run's last interval.
    #[error(
        "index {index} is past the run's last interval ({last}, from run.json's elapsed_s and \
         interval_ms)"
    )]
    Index {
        /// As written.
        index: u64,
        /// The highest the run can have.
        last: u64,
    },
    /// An interval that starts or lasts past the run's end.
    #[error("start_us {start_us} / length_us {length_us} reach past the run's end ({end_us} µs)")]
    Reach {
        /// As written.
        start_us: u128,
        /// As written.
        length_us: u128,
        /// The run's end.
        end_us: u128,
    },
    /// The counts add up past [`MAX_MASS`].
    #[error("the counts up to this line add up past 2^63 (no run counts that much)")]
    Overflow,
}

/// Checks that `run.json`'s times can be used.
pub(crate) fn check_info(info: &RunInfo) -> Result<(), BoundsError> {
    if info.interval_ms == 0 || info.interval_ms > MAX_INTERVAL_MS {
        return Err(BoundsError::Interval(info.interval_ms));
    }
    if info.started_at_unix_ns / 1_000_000_000 > MAX_START_S {
        return Err(BoundsError::Start(info.started_at_unix_ns));
    }
    if let Some(elapsed) = info.elapsed_s {
        let most = (MAX_INTERVALS * info.interval_ms) as f64 / 1000.0;
        if !elapsed.is_finite() || !(0.0..=most).contains(&elapsed) {
            return Err(BoundsError::Elapsed { elapsed, most });
        }
    }
    Ok(())
}

/// The highest interval index the run described by `info` can have written: its elapsed
/// time in intervals (plus the one in progress at the end), or [`MAX_INTERVALS`] for a run
/// that did not record its end.
pub(crate) fn last_index(info: &RunInfo) -> u64 {
    match info.elapsed_s {
        Some(e) => ((e * 1000.0 / info.interval_ms as f64).ceil() as u64 + 1).min(MAX_INTERVALS),
        None => MAX_INTERVALS,
    }
}

/// Checks that interval `r` can belong to the run of `info` (checked by [`check_info`]).
pub(crate) fn check_interval(r: &IntervalReport, info: &RunInfo) -> Result<(), BoundsError> {
    let last = last_index(info);
    let end = Duration::from_millis(info.interval_ms) * (last as u32 + 1);
    if r.index > last {
        return Err(BoundsError::Index {
            index: r.index,
            last,
        });
    }
    if r.start > end || r.length > end {
        return Err(BoundsError::Reach {
            start_us: r.start.as_micros(),
            length_us: r.length.as_micros(),
            end_us: end.as_micros(),
        });
    }
    Ok(())
}

/// Every count of `m` added up, or `None` when the sum passes [`MAX_MASS`].
pub(crate) fn mass(m: &Metrics) -> Option<u64> {
    let mut sum = 0u64;
    let mut add = |n: u64| -> Option<()> {
        sum = sum.checked_add(n).filter(|s| *s <= MAX_MASS)?;
        Some(())
    };
    for s in &m.steps {
        for &c in &s.counts {
            add(c)?;
        }
        for h in s.latency.iter().flatten() {
            add(h.len())?;
        }
        add(s.service.len())?;
        add(s.ttfb.len())?;
        add(s.connect.len())?;
        for &(_, n) in &s.statuses {
            add(n)?;
        }
        for (_, h) in &s.status_latency {
            add(h.len())?;
        }
    }
    // The VU·time areas (`busy_vu_ns`, `online_vu_ns`) are not counts: they add with
    // saturation wherever they are summed, so they cannot wrap and are left out here.
    for w in &m.workloads {
        for n in [
            w.iterations,
            w.dropped,
            w.queued,
            w.interrupted,
            w.lag.len(),
            w.active_vus,
            w.peak_active_vus,
            w.allocated_vus,
            w.online_vus,
            w.peak_online_vus,
        ] {
            add(n)?;
        }
    }
    for c in &m.custom {
        match c {
            CustomValue::Counter(n) => add(*n)?,
            CustomValue::Gauge { value, peak } => {
                add(value.unsigned_abs())?;
                add(peak.unsigned_abs())?;
            }
            CustomValue::Rate { hits, total } => {
                add(*hits)?;
                add(*total)?;
            }
            CustomValue::Trend(h) => add(h.len())?,
        }
    }
    Some(sum)
}

/// `a + b`, or `None` past [`MAX_MASS`].
pub(crate) fn add_mass(a: u64, b: u64) -> Option<u64> {
    a.checked_add(b).filter(|s| *s <= MAX_MASS)
}
