//! The coordinator's live merge: the workers' intervals added up index by index as they
//! arrive, each released (in order, once) when every running worker has reported it.
//!
//! Memory is bounded whatever the run's length: a released interval is handed on (to the
//! results folder, which streams it to `metrics.jsonl`) and not kept; what is held is the
//! running totals and the intervals some worker has reported and another not yet. Those
//! are at most [`MAX_HELD`]: a worker that falls further behind the others is lost, and an
//! interval further ahead of the run's clock than that is refused.

use loadgen_engine::{GaugeMerge, IntervalReport, Metrics};
use std::collections::BTreeMap;
use std::time::Duration;

/// Most intervals held back for a worker that has not reported them yet (30 s of 1 s
/// intervals: a worker that is still sending heartbeats but this far behind is broken).
pub const MAX_HELD: u64 = 30;

/// Why a worker's interval cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Its index was released already.
    #[error("sent interval {0} after it was merged")]
    Late(u64),
    /// Its index is further ahead of the run's clock than [`MAX_HELD`] intervals.
    #[error("sent interval {index} when the run is at interval {now}")]
    Ahead {
        /// As sent.
        index: u64,
        /// Where the run's clock is.
        now: u64,
    },
}

/// The intervals reported and not yet released, and the totals of those released.
pub(super) struct LiveMerge {
    pending: BTreeMap<u64, (Metrics, Duration)>,
    next: u64,
    totals: Metrics,
    empty: Metrics,
    interval: Duration,
}

impl LiveMerge {
    /// A merge of intervals shaped like `empty`, each `interval` long.
    pub fn new(empty: Metrics, interval: Duration) -> Self {
        LiveMerge {
            pending: BTreeMap::new(),
            next: 0,
            totals: empty.clone(),
            empty,
            interval,
        }
    }

    /// Adds a worker's interval, `now` intervals into the run by the coordinator's clock.
    pub fn add(&mut self, r: &IntervalReport, now: u64) -> Result<(), Refused> {
        if r.index < self.next {
            return Err(Refused::Late(r.index));
        }
        if r.index > now.saturating_add(MAX_HELD) {
            return Err(Refused::Ahead {
                index: r.index,
                now,
            });
        }
        let slot = self
            .pending
            .entry(r.index)
            .or_insert_with(|| (self.empty.clone(), Duration::ZERO));
        slot.0.add(&r.metrics, GaugeMerge::Sum);
        slot.1 = slot.1.max(r.length);
        Ok(())
    }

    /// The next interval to release, if `reported(k)` says every running worker has
    /// reported it (or `all`: none is running any more). Intervals nobody reported (every
    /// worker idle or lost) are released empty.
    pub fn release(&mut self, all: bool, reported: impl Fn(u64) -> bool) -> Option<IntervalReport> {
        let (&first, _) = self.pending.first_key_value()?;
        let k = self.next;
        if !all && !reported(first) {
            return None;
        }
        let (metrics, length) = if first == k {
            self.pending.remove(&k).expect("the first key")
        } else {
            (self.empty.clone(), self.interval)
        };
        self.next = k + 1;
        self.totals.add(&metrics, GaugeMerge::Max);
        Some(IntervalReport {
            index: k,
            start: self.interval * k as u32,
            length,
            metrics,
        })
    }

    /// The oldest interval held back when more than [`MAX_HELD`] are: the workers that have
    /// not reported it have fallen too far behind.
    pub fn overdue(&self) -> Option<u64> {
        let (&last, _) = self.pending.last_key_value()?;
        (last >= self.next + MAX_HELD).then_some(self.next)
    }

    /// Nothing is held back.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Intervals released so far.
    pub fn released(&self) -> u64 {
        self.next
    }

    /// Intervals held back now (at most [`MAX_HELD`] past the oldest one).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.pending.len()
    }

    /// Every released interval added up (gauges: their peak).
    pub fn into_totals(self) -> Metrics {
        self.totals
    }
}

#[cfg(test)]
#[path = "merging_tests.rs"]
mod tests;
