//! The window arithmetic of `over D` and `for D` thresholds, fed one interval at a time.
//!
//! `over D`: a running window — the exact sum of the last intervals spanning D (sliding by
//! one interval): each new interval is added, and the oldest ones are subtracted while the
//! rest still spans D. Every full window is judged; a run shorter than D is judged as one
//! window. Memory: at most ⌈D / interval⌉ + 1 [`Stored`] intervals (their recorded
//! buckets and three counts) plus the running sample.
//!
//! `for D` (Prometheus's `for:`): each interval is judged alone; the threshold fails when
//! it was broken in every interval of a stretch at least D long. An interval with no data is
//! no breach and ends the stretch. Memory: two samples (the stretch so far, its best).
//!
//! Either way a window (or interval) with no data is skipped, and the threshold reads
//! "no data" only when none had any. The worst window is reported with its start, end and
//! value.

use crate::sample::{measure, Sample, Stored};
use loadgen_engine::{new_histogram, Histogram};
use loadgen_scenario::{Op, Threshold, WindowKind};
use std::collections::VecDeque;
use std::time::Duration;

/// Interval edges closer than this are the same instant (interval lengths are whole
/// milliseconds at the least).
const EPS: Duration = Duration::from_micros(500);

/// A threshold's worst window, for the summary, the JUnit message and the report's shading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorstWindow {
    /// `over` or `for`.
    pub kind: WindowKind,
    /// The window's length as written (s).
    pub length_s: f64,
    /// Start of the worst window (s from the run's start).
    pub start_s: f64,
    /// Its end (s).
    pub end_s: f64,
    /// `for`: the longest stretch the condition was broken on end (s); `over`: 0.
    pub broken_s: f64,
}

impl WorstWindow {
    /// `in 4.0s–6.0s`, or for `for`, `broken for 2.0s in 4.0s–6.0s`.
    pub fn describe(&self) -> String {
        let span = format!("{:.1}s–{:.1}s", self.start_s, self.end_s);
        match self.kind {
            WindowKind::Over => format!("in {span}"),
            WindowKind::For if self.broken_s > 0.0 => {
                format!("broken for {:.1}s in {span}", self.broken_s)
            }
            WindowKind::For => format!("worst interval {span}"),
        }
    }
}

/// What a window or interval measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Judged {
    pub start: Duration,
    pub end: Duration,
    pub value: f64,
    pub holds: bool,
}

/// `a` is worse than `b` for `op`: further on the failing side (a failing value beats a
/// passing one for `==` and `!=`).
fn worse(op: Op, a: &Judged, b: &Judged) -> bool {
    match op {
        Op::Lt | Op::Le => a.value > b.value,
        Op::Gt | Op::Ge => a.value < b.value,
        Op::Eq | Op::Ne => !a.holds && b.holds,
    }
}

fn judge(t: &Threshold, s: &Sample, start: Duration, end: Duration) -> Option<Judged> {
    let (value, _) = measure(t, s, (end - start).as_secs_f64());
    value.map(|value| Judged {
        start,
        end,
        value,
        holds: t.op.holds(value, t.limit),
    })
}

/// Where a window stands after an interval, and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Standing {
    /// The worst window with data so far (`None`: none had data).
    pub worst: Option<Judged>,
    /// The threshold failed (a window broke it).
    pub failed: bool,
    /// `for`: the longest broken stretch so far.
    pub broken: Duration,
}

/// A running `over D` window.
pub(crate) struct Over {
    length: Duration,
    parts: VecDeque<Stored>,
    running: Sample,
    scratch: Histogram,
    full_seen: bool,
    end: Duration,
    standing: Standing,
}

impl Over {
    pub fn new(t: &Threshold, length: Duration) -> Over {
        Over {
            length,
            parts: VecDeque::new(),
            running: Sample::empty(t),
            scratch: new_histogram(),
            full_seen: false,
            end: Duration::ZERO,
            standing: Standing::default(),
        }
    }

    /// The interval `[start, end)` with `s`; returns the window it completed if that window
    /// broke the threshold.
    pub fn push(
        &mut self,
        t: &Threshold,
        start: Duration,
        end: Duration,
        s: &Sample,
    ) -> Option<Judged> {
        self.running.add(s);
        self.parts.push_back(Stored::of(s, start));
        self.end = end;
        // Drop the oldest intervals while the rest still span the window.
        while self.parts.len() > 1 && end.saturating_sub(self.parts[1].start) + EPS >= self.length {
            let old = self.parts.pop_front().expect("more than one part");
            self.running.sub(&old, &mut self.scratch);
        }
        let from = self.parts.front().map_or(start, |p| p.start);
        if end.saturating_sub(from) + EPS < self.length {
            return None;
        }
        self.full_seen = true;
        self.judge_running(t, from, end)
    }

    fn judge_running(&mut self, t: &Threshold, from: Duration, end: Duration) -> Option<Judged> {
        let j = judge(t, &self.running, from, end)?;
        if self.standing.worst.is_none_or(|w| worse(t.op, &j, &w)) {
            self.standing.worst = Some(j);
        }
        if j.holds {
            return None;
        }
        self.standing.failed = true;
        Some(j)
    }

    /// The end: a run shorter than the window is judged as one window.
    pub fn finish(mut self, t: &Threshold) -> Standing {
        if !self.full_seen {
            if let Some(from) = self.parts.front().map(|p| p.start) {
                let end = self.end;
                self.judge_running(t, from, end);
            }
        }
        self.standing
    }

    /// Intervals held now.
    pub fn held_intervals(&self) -> usize {
        self.parts.len()
    }

    /// Intervals held now and their bytes (for the memory bound's test).
    #[cfg(test)]
    pub fn held(&self) -> (usize, usize) {
        let bytes = self.parts.iter().map(Stored::bytes).sum();
        (self.parts.len(), bytes)
    }
}

/// A `for D` stretch.
pub(crate) struct For {
    length: Duration,
    stretch: Option<(Duration, Sample)>,
    standing: Standing,
    /// The longest broken stretch, as measured over itself.
    longest: Option<Judged>,
}

impl For {
    pub fn new(length: Duration) -> For {
        For {
            length,
            stretch: None,
            standing: Standing::default(),
            longest: None,
        }
    }

    /// The interval `[start, end)` with `s`; returns the stretch if it has now been broken
    /// for the whole length (the threshold failed).
    pub fn push(
        &mut self,
        t: &Threshold,
        start: Duration,
        end: Duration,
        s: &Sample,
    ) -> Option<Judged> {
        let Some(j) = judge(t, s, start, end) else {
            // No data is no breach: the stretch ends.
            self.stretch = None;
            return None;
        };
        if self.standing.worst.is_none_or(|w| worse(t.op, &j, &w)) {
            self.standing.worst = Some(j);
        }
        if j.holds {
            self.stretch = None;
            return None;
        }
        let (from, acc) = self
            .stretch
            .get_or_insert_with(|| (start, Sample::empty(t)));
        acc.add(s);
        let from = *from;
        let broken = end.saturating_sub(from);
        if broken > self.standing.broken {
            self.standing.broken = broken;
            self.longest = judge(t, acc, from, end);
        }
        if broken + EPS < self.length {
            return None;
        }
        let first = !self.standing.failed;
        self.standing.failed = true;
        first.then_some(self.longest).flatten()
    }

    /// The end: the longest broken stretch stands for the threshold, or the worst interval
    /// when none was broken.
    pub fn finish(self) -> Standing {
        Standing {
            worst: self.longest.or(self.standing.worst),
            ..self.standing
        }
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
