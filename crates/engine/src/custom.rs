//! Metrics a protocol defines beyond the per-step request metrics (k6's custom metrics):
//! WebSocket messages and handshakes, webhook retries, callback latency.
//!
//! A workload declares its custom metrics up front ([`crate::Workload::with_custom`]); a
//! session records them by the index it declared, so recording is an array write, with no
//! name lookup and no allocation on the hot path.

use crate::histogram::{new_histogram, Histogram};
use std::time::Duration;

/// What kind of value a custom metric holds (k6's four kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    /// A count that only grows (messages received, reconnects).
    Counter,
    /// A level at an instant (open connections); threads' values add up.
    Gauge,
    /// A share of hits among observations (connection success, stable connections).
    Rate,
    /// A distribution of durations in an HDR histogram (message latency, handshake time).
    Trend,
}

impl CustomKind {
    /// The lowercase name used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            CustomKind::Counter => "counter",
            CustomKind::Gauge => "gauge",
            CustomKind::Rate => "rate",
            CustomKind::Trend => "trend",
        }
    }
}

/// One declared custom metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomMetric {
    /// Name used in summaries and thresholds (`ws_message_latency`).
    pub name: String,
    /// Its kind.
    pub kind: CustomKind,
}

impl CustomMetric {
    /// A metric called `name` of kind `kind`.
    pub fn new(name: impl Into<String>, kind: CustomKind) -> Self {
        CustomMetric {
            name: name.into(),
            kind,
        }
    }
}

/// A custom metric as reports name it: which workload declared it, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomInfo {
    /// Index of the workload.
    pub workload: usize,
    /// Name of the workload.
    pub workload_name: String,
    /// The metric.
    pub metric: CustomMetric,
}

/// The recorded value of one custom metric over an interval or a run.
#[derive(Debug, Clone)]
pub enum CustomValue {
    /// Total count.
    Counter(u64),
    /// Current level, and the highest level seen.
    Gauge {
        /// The level now.
        value: i64,
        /// The highest level in the interval (or the run).
        peak: i64,
    },
    /// Hits among observations.
    Rate {
        /// Observations that were hits.
        hits: u64,
        /// All observations.
        total: u64,
    },
    /// Durations in microseconds.
    Trend(Box<Histogram>),
}

impl CustomValue {
    /// An empty value of `kind`.
    pub fn empty(kind: CustomKind) -> Self {
        match kind {
            CustomKind::Counter => CustomValue::Counter(0),
            CustomKind::Gauge => CustomValue::Gauge { value: 0, peak: 0 },
            CustomKind::Rate => CustomValue::Rate { hits: 0, total: 0 },
            CustomKind::Trend => CustomValue::Trend(Box::new(new_histogram())),
        }
    }

    /// The kind of this value.
    pub fn kind(&self) -> CustomKind {
        match self {
            CustomValue::Counter(_) => CustomKind::Counter,
            CustomValue::Gauge { .. } => CustomKind::Gauge,
            CustomValue::Rate { .. } => CustomKind::Rate,
            CustomValue::Trend(_) => CustomKind::Trend,
        }
    }

    /// An empty value for the next interval: gauges keep their level (they describe the
    /// present, not the interval).
    pub(crate) fn fresh(&self) -> Self {
        match self {
            CustomValue::Gauge { value, .. } => CustomValue::Gauge {
                value: *value,
                peak: *value,
            },
            other => CustomValue::empty(other.kind()),
        }
    }

    /// Adds `other` (same kind) into `self`; counts and histograms add exactly.
    pub fn add(&mut self, other: &CustomValue, gauges: GaugeMerge) {
        match (self, other) {
            (CustomValue::Counter(a), CustomValue::Counter(b)) => *a += b,
            (CustomValue::Gauge { value, peak }, CustomValue::Gauge { value: v, peak: p }) => {
                match gauges {
                    GaugeMerge::Sum => {
                        *value += v;
                        *peak += p;
                    }
                    GaugeMerge::Max => {
                        *value = *v;
                        *peak = (*peak).max(*p);
                    }
                }
            }
            (CustomValue::Rate { hits, total }, CustomValue::Rate { hits: h, total: t }) => {
                *hits += h;
                *total += t;
            }
            (CustomValue::Trend(a), CustomValue::Trend(b)) => {
                let _ = a.add(&**b);
            }
            // Shapes come from one plan, so kinds always match; a mismatch is ignored.
            _ => {}
        }
    }

    pub(crate) fn count(&mut self, n: u64) {
        if let CustomValue::Counter(c) = self {
            *c += n;
        }
    }

    pub(crate) fn gauge_add(&mut self, delta: i64) {
        if let CustomValue::Gauge { value, peak } = self {
            *value += delta;
            *peak = (*peak).max(*value);
        }
    }

    pub(crate) fn rate(&mut self, hit: bool) {
        if let CustomValue::Rate { hits, total } = self {
            *hits += u64::from(hit);
            *total += 1;
        }
    }

    pub(crate) fn trend(&mut self, d: Duration) {
        if let CustomValue::Trend(h) = self {
            crate::histogram::record_micros(h, d.as_micros() as u64);
        }
    }
}

/// How gauges combine: parts of one instant sum; successive instants keep the peak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaugeMerge {
    /// Same instant, different threads or machines: gauges add up.
    Sum,
    /// Different instants (building run totals): the highest value is kept.
    Max,
}
