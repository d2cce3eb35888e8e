//! Lossless text encoding of engine [`Metrics`]: counts as numbers, HDR histograms in the
//! standard compressed V2 encoding (deflate) as base64. The same records go into
//! `metrics.jsonl` and over the live control channel, so a merge from files and a live merge
//! add exactly the same numbers.

use base64::Engine;
use hdrhistogram::serialization::{
    DeserializeError, Deserializer, Serializer, V2DeflateSerializer,
};
use hdrhistogram::AdditionError;
use loadgen_engine::{
    new_histogram, Code, CustomValue, Histogram, Metrics, Outcome, StepMetrics, WorkloadMetrics,
};
use serde::{Deserialize, Serialize};

/// Outcome classes a format-2 file holds (before the database and Redis classes).
const OLDEST_OUTCOME_COUNT: usize = 11;

/// Why a metrics record (from a results folder or a worker) is refused. The `In*` variants
/// say where in the record the inner error was found.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("histogram is not base64: {0}")]
    HistogramNotBase64(base64::DecodeError),
    #[error("histogram does not decode: {0:?}")]
    HistogramUndecodable(DeserializeError),
    #[error("histogram out of range: {0:?}")]
    HistogramOutOfRange(AdditionError),
    #[error(
        "expected {expected} outcome classes, found {counts} counts and {histograms} histograms"
    )]
    OutcomeClasses {
        expected: usize,
        counts: usize,
        histograms: usize,
    },
    #[error("statuses must be at most 500, sorted, one per status")]
    Statuses,
    #[error("status latencies must be at most 500, sorted, one per status")]
    StatusLatency,
    #[error("codes must be at most 500, 1 to 12 digits or letters, sorted, one per code")]
    Codes,
    #[error("step {0}: {1}")]
    InStep(usize, Box<RecordError>),
    #[error("workload {0} lag: {1}")]
    InWorkloadLag(usize, Box<RecordError>),
    #[error("workload {0} iteration duration: {1}")]
    InWorkloadIterations(usize, Box<RecordError>),
    #[error("custom metric {0}: {1}")]
    InCustom(usize, Box<RecordError>),
    /// Steps/workloads/custom metrics counted in the record and in `run.json`.
    #[error(
        "metrics shaped {}/{}/{} (steps/workloads/custom), run.json says {}/{}/{}",
        .found[0], .found[1], .found[2], .expected[0], .expected[1], .expected[2]
    )]
    Shape {
        found: [usize; 3],
        expected: [usize; 3],
    },
    #[error("custom metric {index} is a {found}, run.json says {expected}")]
    CustomKind {
        index: usize,
        found: &'static str,
        expected: &'static str,
    },
}

/// An HDR histogram as base64 of its V2-deflate encoding; `None` when empty.
pub fn encode_hist(h: &Histogram) -> Option<String> {
    if h.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut buf)
        .expect("serialising into a Vec cannot fail");
    Some(base64::engine::general_purpose::STANDARD.encode(buf))
}

/// Decodes what [`encode_hist`] wrote (an absent histogram is empty).
pub fn decode_hist(s: &Option<String>) -> Result<Histogram, RecordError> {
    let mut out = new_histogram();
    let Some(s) = s else { return Ok(out) };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(RecordError::HistogramNotBase64)?;
    let h: Histogram = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(RecordError::HistogramUndecodable)?;
    // Re-add into the common configuration so later merges never fail on bounds.
    out.add(&h).map_err(RecordError::HistogramOutOfRange)?;
    Ok(out)
}

/// One step's metrics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepRecord {
    /// Count per outcome, in [`Outcome::ALL`] order.
    pub counts: Vec<u64>,
    /// Latency per outcome (only non-empty ones are `Some`).
    pub latency: Vec<Option<String>>,
    /// Service time.
    #[serde(default)]
    pub service: Option<String>,
    /// Time to first byte.
    #[serde(default)]
    pub ttfb: Option<String>,
    /// Connect time.
    #[serde(default)]
    pub connect: Option<String>,
    /// TLS handshake time (format 3; absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<String>,
    /// TCP connect time to a proxy (format 3; absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_connect: Option<String>,
    /// Answers of steps that did not succeed, `[status, count]` sorted by status.
    #[serde(default)]
    pub statuses: Vec<(u16, u64)>,
    /// Protocol codes (SQLSTATE, Redis error prefix) of steps that did not succeed,
    /// `[code, count]` sorted by code (format 3; absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<(String, u64)>,
    /// Latency of the answers with each status a threshold names (`latency{status=N}`),
    /// `[status, histogram]` sorted by status, empty ones left out (format 5; absent when
    /// none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_latency: Vec<(u16, String)>,
}

/// One workload's metrics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkloadRecord {
    /// Completed iterations.
    pub iterations: u64,
    /// Dropped arrivals.
    pub dropped: u64,
    /// Arrivals that waited in the backlog (absent from files written before it existed).
    #[serde(default)]
    pub queued: u64,
    /// Arrivals skipped while paused by hand (format 4; absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_paused: u64,
    /// Interrupted iterations.
    pub interrupted: u64,
    /// Schedule lag.
    #[serde(default)]
    pub lag: Option<String>,
    /// Iteration duration (format 3; absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_duration: Option<String>,
    /// Busy VUs at the interval end.
    pub active_vus: u64,
    /// Peak busy VUs.
    pub peak_active_vus: u64,
    /// Allocated VUs.
    pub allocated_vus: u64,
    /// Online VUs at the interval end.
    pub online_vus: u64,
    /// Peak online VUs.
    pub peak_online_vus: u64,
    /// Busy VUs integrated over the interval, VU·ns.
    pub busy_vu_ns: u64,
    /// Online VUs integrated over the interval, VU·ns.
    pub online_vu_ns: u64,
}

/// One custom metric's value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CustomRecord {
    /// A counter.
    Counter {
        /// Total.
        count: u64,
    },
    /// A gauge.
    Gauge {
        /// Level at the end.
        value: i64,
        /// Highest level.
        peak: i64,
    },
    /// A rate.
    Rate {
        /// Hits.
        hits: u64,
        /// Observations.
        total: u64,
    },
    /// A trend (durations, µs).
    Trend {
        /// Histogram.
        hist: Option<String>,
    },
}

/// All metrics of one interval (or one run).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricsRecord {
    /// Per step, in the plan's global step order.
    pub steps: Vec<StepRecord>,
    /// Per workload.
    pub workloads: Vec<WorkloadRecord>,
    /// Per custom metric, in the plan's global custom order.
    #[serde(default)]
    pub custom: Vec<CustomRecord>,
}

impl MetricsRecord {
    /// Encodes `m` losslessly.
    pub fn encode(m: &Metrics) -> Self {
        MetricsRecord {
            steps: m.steps.iter().map(step_record).collect(),
            workloads: m
                .workloads
                .iter()
                .map(|w| WorkloadRecord {
                    iterations: w.iterations,
                    dropped: w.dropped,
                    queued: w.queued,
                    skipped_paused: w.skipped_paused,
                    interrupted: w.interrupted,
                    lag: encode_hist(&w.lag),
                    iteration_duration: encode_hist(&w.iteration_duration),
                    active_vus: w.active_vus,
                    peak_active_vus: w.peak_active_vus,
                    allocated_vus: w.allocated_vus,
                    online_vus: w.online_vus,
                    peak_online_vus: w.peak_online_vus,
                    busy_vu_ns: w.busy_vu_ns,
                    online_vu_ns: w.online_vu_ns,
                })
                .collect(),
            custom: m
                .custom
                .iter()
                .map(|c| match c {
                    CustomValue::Counter(n) => CustomRecord::Counter { count: *n },
                    CustomValue::Gauge { value, peak } => CustomRecord::Gauge {
                        value: *value,
                        peak: *peak,
                    },
                    CustomValue::Rate { hits, total } => CustomRecord::Rate {
                        hits: *hits,
                        total: *total,
                    },
                    CustomValue::Trend(h) => CustomRecord::Trend {
                        hist: encode_hist(h),
                    },
                })
                .collect(),
        }
    }

    /// Decodes back into engine metrics; any malformed part is an error, never a panic.
    pub fn decode(&self) -> Result<Metrics, RecordError> {
        let mut m = Metrics::new(0, 0);
        for (i, s) in self.steps.iter().enumerate() {
            m.steps
                .push(decode_step(s).map_err(|e| RecordError::InStep(i, Box::new(e)))?);
        }
        for (i, w) in self.workloads.iter().enumerate() {
            m.workloads.push(WorkloadMetrics {
                iterations: w.iterations,
                dropped: w.dropped,
                queued: w.queued,
                skipped_paused: w.skipped_paused,
                interrupted: w.interrupted,
                lag: decode_hist(&w.lag).map_err(|e| RecordError::InWorkloadLag(i, Box::new(e)))?,
                iteration_duration: decode_hist(&w.iteration_duration)
                    .map_err(|e| RecordError::InWorkloadIterations(i, Box::new(e)))?,
                active_vus: w.active_vus,
                peak_active_vus: w.peak_active_vus,
                allocated_vus: w.allocated_vus,
                online_vus: w.online_vus,
                peak_online_vus: w.peak_online_vus,
                busy_vu_ns: w.busy_vu_ns,
                online_vu_ns: w.online_vu_ns,
            });
        }
        for (i, c) in self.custom.iter().enumerate() {
            m.custom.push(match c {
                CustomRecord::Counter { count } => CustomValue::Counter(*count),
                CustomRecord::Gauge { value, peak } => CustomValue::Gauge {
                    value: *value,
                    peak: *peak,
                },
                CustomRecord::Rate { hits, total } => CustomValue::Rate {
                    hits: *hits,
                    total: *total,
                },
                CustomRecord::Trend { hist } => CustomValue::Trend(Box::new(
                    decode_hist(hist).map_err(|e| RecordError::InCustom(i, Box::new(e)))?,
                )),
            });
        }
        Ok(m)
    }
}

fn step_record(s: &StepMetrics) -> StepRecord {
    StepRecord {
        counts: s.counts.to_vec(),
        latency: s
            .latency
            .iter()
            .map(|h| h.as_deref().and_then(encode_hist))
            .collect(),
        service: encode_hist(&s.service),
        ttfb: encode_hist(&s.ttfb),
        connect: encode_hist(&s.connect),
        tls: encode_hist(&s.tls),
        proxy_connect: encode_hist(&s.proxy_connect),
        statuses: s.statuses.clone(),
        codes: s.codes.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
        status_latency: s
            .status_latency
            .iter()
            .filter_map(|(status, h)| encode_hist(h).map(|e| (*status, e)))
            .collect(),
    }
}

fn decode_step(r: &StepRecord) -> Result<StepMetrics, RecordError> {
    // Classes are only ever appended: an older writer's shorter arrays are a prefix.
    if r.counts.len() > Outcome::COUNT
        || r.latency.len() != r.counts.len()
        || r.counts.len() < OLDEST_OUTCOME_COUNT
    {
        return Err(RecordError::OutcomeClasses {
            expected: Outcome::COUNT,
            counts: r.counts.len(),
            histograms: r.latency.len(),
        });
    }
    let mut s = StepMetrics::default();
    s.counts[..r.counts.len()].copy_from_slice(&r.counts);
    for (i, h) in r.latency.iter().enumerate() {
        if h.is_some() {
            s.latency[i] = Some(Box::new(decode_hist(h)?));
        }
    }
    s.service = decode_hist(&r.service)?;
    s.ttfb = decode_hist(&r.ttfb)?;
    s.connect = decode_hist(&r.connect)?;
    s.tls = decode_hist(&r.tls)?;
    s.proxy_connect = decode_hist(&r.proxy_connect)?;
    // The engine keeps one entry per status, sorted; a peer's list is held to the same shape.
    if r.statuses.len() > 500 || r.statuses.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(RecordError::Statuses);
    }
    s.statuses = r.statuses.clone();
    if r.codes.len() > StepMetrics::MAX_CODES {
        return Err(RecordError::Codes);
    }
    for (text, n) in &r.codes {
        let code = Code::parse(text).ok_or(RecordError::Codes)?;
        if s.codes.last().is_some_and(|(last, _)| *last >= code) {
            return Err(RecordError::Codes);
        }
        s.codes.push((code, *n));
    }
    let sl = &r.status_latency;
    if sl.len() > 500 || sl.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(RecordError::StatusLatency);
    }
    for (status, h) in sl {
        s.status_latency
            .push((*status, decode_hist(&Some(h.clone()))?));
    }
    Ok(s)
}

/// Serde's `skip_serializing_if` for counters absent when zero.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn metrics_round_trip_exactly() {
        let mut m = Metrics::shaped(
            2,
            1,
            &[
                loadgen_engine::CustomKind::Counter,
                loadgen_engine::CustomKind::Trend,
            ],
        );
        for i in 0..500u64 {
            let o = if i % 7 == 0 {
                Outcome::Http5xx
            } else {
                Outcome::Success
            };
            m.steps[(i % 2) as usize].record(
                o,
                Duration::from_micros(100 + i * 37),
                Duration::from_micros(90 + i),
                Some(Duration::from_micros(50)),
                None,
            );
        }
        m.steps[0].statuses = vec![(500, 36), (503, 2)];
        m.steps[0].track_status_latency(200);
        m.steps[0].track_status_latency(503);
        m.steps[0].track_status_latency(429);
        m.steps[0].record_status_latency(200, Duration::from_millis(7));
        m.steps[0].record_status_latency(503, Duration::from_millis(70));
        m.steps[0].count_code_n(Code::parse("40P01").expect("packs"), 3);
        m.steps[0].count_code_n(Code::parse("WRONGTYPE").expect("packs"), 1);
        m.steps[1].record_setup(loadgen_engine::Setup {
            proxy_connect: Some(Duration::from_micros(120)),
            tls: Some(Duration::from_micros(900)),
        });
        m.workloads[0].iteration_done(Some(Duration::from_millis(42)));
        m.workloads[0].iterations = 250;
        m.workloads[0].active_vus = 3;
        m.workloads[0].online_vus = 5;
        m.workloads[0].busy_vu_ns = 2_500_000_000;
        m.workloads[0].online_vu_ns = 5_000_000_000;
        m.custom[0] = CustomValue::Counter(9);
        let mut t = new_histogram();
        t.record(1234).unwrap();
        m.custom[1] = CustomValue::Trend(Box::new(t));
        let text = serde_json::to_string(&MetricsRecord::encode(&m)).unwrap();
        let back: MetricsRecord = serde_json::from_str(&text).unwrap();
        let d = back.decode().unwrap();
        for (a, b) in d.steps.iter().zip(&m.steps) {
            assert_eq!(a.counts, b.counts);
            for (x, y) in a.latency.iter().zip(&b.latency) {
                assert_eq!(x.is_some(), y.is_some());
                if let (Some(x), Some(y)) = (x, y) {
                    assert!(**x == **y);
                }
            }
            assert!(a.service == b.service && a.ttfb == b.ttfb && a.connect == b.connect);
            assert!(a.tls == b.tls && a.proxy_connect == b.proxy_connect);
            assert_eq!(a.statuses, b.statuses);
            assert_eq!(a.codes, b.codes);
            // Tracked statuses with answers come back; an empty one (429) is left out.
            let kept: Vec<(u16, u64)> = b
                .status_latency
                .iter()
                .filter(|(_, h)| !h.is_empty())
                .map(|(s, h)| (*s, h.len()))
                .collect();
            let back: Vec<(u16, u64)> = a
                .status_latency
                .iter()
                .map(|(s, h)| (*s, h.len()))
                .collect();
            assert_eq!(back, kept);
        }
        assert_eq!(d.steps[0].status_latency.len(), 2);
        assert_eq!(d.workloads[0].iterations, 250);
        assert!(d.workloads[0].iteration_duration == m.workloads[0].iteration_duration);
        assert_eq!(d.workloads[0].iteration_duration.len(), 1);
        assert_eq!(d.workloads[0].active_vus, 3);
        assert_eq!(d.workloads[0].online_vus, 5);
        assert_eq!(d.workloads[0].busy_vu_ns, 2_500_000_000);
        assert_eq!(d.workloads[0].online_vu_ns, 5_000_000_000);
        assert!(matches!(d.custom[0], CustomValue::Counter(9)));
        assert!(matches!(&d.custom[1], CustomValue::Trend(h) if h.len() == 1 && h.max() >= 1233));
        assert_eq!(d.total_requests(), 500);
        assert_eq!(d.total_errors(), m.total_errors());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_hist(&Some("not base64!".into())).is_err());
        assert!(decode_hist(&Some("AAAA".into())).is_err());
        let r = StepRecord {
            counts: vec![1],
            latency: vec![],
            service: None,
            ttfb: None,
            connect: None,
            tls: None,
            proxy_connect: None,
            statuses: Vec::new(),
            codes: Vec::new(),
            status_latency: Vec::new(),
        };
        assert!(decode_step(&r).is_err());
    }
}
