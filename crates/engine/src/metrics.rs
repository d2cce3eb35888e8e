//! Counters and histograms for one interval (or one whole run), keyed by step and outcome.
//!
//! A worker thread owns one [`Metrics`] and records into it without locks; once per interval
//! it hands the filled value to the aggregator and starts a fresh one.

use crate::code::Code;
use crate::custom::{CustomKind, CustomValue, GaugeMerge};
use crate::histogram::{new_histogram, record_micros, Histogram};
use crate::outcome::Outcome;
use crate::setup::Setup;
use std::time::Duration;

/// Everything measured about one step (one request kind) of one workload.
#[derive(Debug, Clone)]
pub struct StepMetrics {
    /// Completed steps per outcome class, indexed by `Outcome as usize`.
    pub counts: [u64; Outcome::COUNT],
    /// Latency from the intended start, per outcome class (created on first use).
    pub latency: [Option<Box<Histogram>>; Outcome::COUNT],
    /// Service time from the actual send, every outcome.
    pub service: Histogram,
    /// Time to first response byte from the send, where the protocol reports it.
    pub ttfb: Histogram,
    /// Connection time to the target (TCP, or a proxy's `CONNECT` tunnel), recorded when a
    /// step had to open a connection.
    pub connect: Histogram,
    /// TLS handshake time, when a step opened a TLS connection.
    pub tls: Histogram,
    /// TCP connect time to an HTTP proxy, when a step opened a tunnelled connection.
    pub proxy_connect: Histogram,
    /// Answers of steps that did not succeed, by HTTP status: `(status, count)` sorted by
    /// status. Bounded by construction (at most 500 statuses exist).
    pub statuses: Vec<(u16, u64)>,
    /// Protocol codes of steps that did not succeed (a SQLSTATE, a Redis error prefix):
    /// `(code, count)` sorted by code, at most [`StepMetrics::MAX_CODES`] entries.
    pub codes: Vec<(Code, u64)>,
    /// Latency from the intended start of the answers with each HTTP status a threshold
    /// names (`latency{status=N}`), every outcome: `(status, histogram)` sorted by status.
    /// Only the statuses the plan tracks ([`crate::Workload::with_status_latency`]) are
    /// kept, so it is bounded by the scenario, never by what a target answers.
    pub status_latency: Vec<(u16, Histogram)>,
}

impl Default for StepMetrics {
    fn default() -> Self {
        StepMetrics {
            counts: [0; Outcome::COUNT],
            latency: Default::default(),
            service: new_histogram(),
            ttfb: new_histogram(),
            connect: new_histogram(),
            tls: new_histogram(),
            proxy_connect: new_histogram(),
            statuses: Vec::new(),
            codes: Vec::new(),
            status_latency: Vec::new(),
        }
    }
}

impl StepMetrics {
    /// Counts one answer with `status` (`n` times).
    pub fn count_status_n(&mut self, status: u16, n: u64) {
        match self.statuses.binary_search_by_key(&status, |(s, _)| *s) {
            Ok(i) => self.statuses[i].1 += n,
            Err(i) => self.statuses.insert(i, (status, n)),
        }
    }

    /// Counts one answer with `status`.
    pub fn count_status(&mut self, status: u16) {
        self.count_status_n(status, 1);
    }

    /// Keeps the latency of answers with `status` from now on (empty until one comes).
    pub fn track_status_latency(&mut self, status: u16) {
        if let Err(i) = self
            .status_latency
            .binary_search_by_key(&status, |(s, _)| *s)
        {
            self.status_latency.insert(i, (status, new_histogram()));
        }
    }

    /// The latency of an answer with `status`, if that status is tracked.
    #[inline]
    pub fn record_status_latency(&mut self, status: u16, latency: Duration) {
        if let Some((_, h)) = self.status_latency.iter_mut().find(|(s, _)| *s == status) {
            record_micros(h, latency.as_micros() as u64);
        }
    }

    /// The tracked statuses with empty histograms (for the next interval).
    pub fn fresh_status_latency(&self) -> Vec<(u16, Histogram)> {
        self.status_latency
            .iter()
            .map(|(s, _)| (*s, new_histogram()))
            .collect()
    }

    /// Distinct codes kept per step; later new ones count as [`Code::OTHER`].
    pub const MAX_CODES: usize = 500;

    /// Counts one answer with protocol `code` (`n` times).
    pub fn count_code_n(&mut self, code: Code, n: u64) {
        match self.codes.binary_search_by_key(&code, |(c, _)| *c) {
            Ok(i) => self.codes[i].1 += n,
            Err(_) if self.codes.len() >= Self::MAX_CODES && code != Code::OTHER => {
                self.count_code_n(Code::OTHER, n)
            }
            Err(i) => self.codes.insert(i, (code, n)),
        }
    }

    /// Records one completed step.
    #[inline]
    pub fn record(
        &mut self,
        outcome: Outcome,
        latency: Duration,
        service: Duration,
        ttfb: Option<Duration>,
        connect: Option<Duration>,
    ) {
        let i = outcome as usize;
        self.counts[i] += 1;
        let h = self.latency[i].get_or_insert_with(|| Box::new(new_histogram()));
        record_micros(h, latency.as_micros() as u64);
        record_micros(&mut self.service, service.as_micros() as u64);
        if let Some(t) = ttfb {
            record_micros(&mut self.ttfb, t.as_micros() as u64);
        }
        if let Some(c) = connect {
            record_micros(&mut self.connect, c.as_micros() as u64);
        }
    }

    /// Records the set-up phases of a step that opened a connection.
    #[inline]
    pub fn record_setup(&mut self, setup: Setup) {
        if let Some(t) = setup.tls {
            record_micros(&mut self.tls, t.as_micros() as u64);
        }
        if let Some(p) = setup.proxy_connect {
            record_micros(&mut self.proxy_connect, p.as_micros() as u64);
        }
    }

    /// All completed steps, every outcome.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Completed steps whose outcome is an error (not success, not expected failure).
    pub fn errors(&self) -> u64 {
        Outcome::ALL
            .iter()
            .filter(|o| o.is_error())
            .map(|o| self.counts[*o as usize])
            .sum()
    }

    /// Count for one outcome class.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome as usize]
    }

    /// Latency over the outcomes `keep` selects, merged into one histogram.
    pub fn latency_where(&self, keep: impl Fn(Outcome) -> bool) -> Histogram {
        let mut out = new_histogram();
        for o in Outcome::ALL {
            if let (true, Some(h)) = (keep(o), &self.latency[o as usize]) {
                out.add(h.as_ref())
                    .expect("histograms share one configuration");
            }
        }
        out
    }

    /// Latency over every outcome.
    pub fn latency_all(&self) -> Histogram {
        self.latency_where(|_| true)
    }

    /// Adds `other` into `self` (exact: counts and histogram buckets add).
    pub fn add(&mut self, other: &StepMetrics) {
        for i in 0..Outcome::COUNT {
            self.counts[i] += other.counts[i];
            if let Some(h) = &other.latency[i] {
                let mine = self.latency[i].get_or_insert_with(|| Box::new(new_histogram()));
                mine.add(h.as_ref())
                    .expect("histograms share one configuration");
            }
        }
        let add = |a: &mut Histogram, b: &Histogram| {
            a.add(b).expect("histograms share one configuration");
        };
        add(&mut self.service, &other.service);
        add(&mut self.ttfb, &other.ttfb);
        add(&mut self.connect, &other.connect);
        add(&mut self.tls, &other.tls);
        add(&mut self.proxy_connect, &other.proxy_connect);
        for &(status, n) in &other.statuses {
            self.count_status_n(status, n);
        }
        for &(code, n) in &other.codes {
            self.count_code_n(code, n);
        }
        for (status, h) in &other.status_latency {
            self.track_status_latency(*status);
            let (_, mine) = self
                .status_latency
                .iter_mut()
                .find(|(s, _)| s == status)
                .expect("tracked just now");
            mine.add(h).expect("histograms share one configuration");
        }
    }
}

/// What is measured per workload rather than per step.
#[derive(Debug, Clone)]
pub struct WorkloadMetrics {
    /// Iterations that ran to their end.
    pub iterations: u64,
    /// Open-model arrivals that found no free VU, no room to create one and a full backlog.
    pub dropped: u64,
    /// Open-model arrivals that waited in the backlog for a VU (they ran, late; their wait is
    /// in their latency).
    pub queued: u64,
    /// Open-model arrivals due while the run was paused by hand: skipped, not sent, not
    /// dropped.
    pub skipped_paused: u64,
    /// Iterations cancelled by a hard stop (graceful stop ran out, or a kill).
    pub interrupted: u64,
    /// Schedule lag (actual start minus intended start) of open-model iterations.
    pub lag: Histogram,
    /// Iteration duration (k6's `iteration_duration`): from an iteration's intended start to
    /// the end of its last step, for iterations that ran to their end and recorded a step.
    pub iteration_duration: Histogram,
    /// VUs busy in an iteration at the end of the interval (a gauge).
    pub active_vus: u64,
    /// Most VUs busy at once during the interval (per thread; threads' peaks add up, so
    /// across threads this is an upper bound of the true peak).
    pub peak_active_vus: u64,
    /// VUs that exist (busy or idle) at the end of the interval (a gauge).
    pub allocated_vus: u64,
    /// VUs online at the end of the interval (a gauge): a closed-model VU from the moment its
    /// stages turn it on until it leaves (think time included, as k6 counts `vus`); an
    /// open-model VU from its creation until the workload's load ends.
    pub online_vus: u64,
    /// Most VUs online at once during the interval (per thread, added like
    /// [`Self::peak_active_vus`]).
    pub peak_online_vus: u64,
    /// Busy VUs integrated over the interval, in VU·nanoseconds: divided by the interval's
    /// length it is the time-weighted mean of busy VUs. Adds exactly over threads and time.
    pub busy_vu_ns: u64,
    /// Online VUs integrated over the interval, in VU·nanoseconds (as [`Self::busy_vu_ns`]).
    pub online_vu_ns: u64,
}

impl Default for WorkloadMetrics {
    fn default() -> Self {
        WorkloadMetrics {
            iterations: 0,
            dropped: 0,
            queued: 0,
            skipped_paused: 0,
            interrupted: 0,
            lag: new_histogram(),
            iteration_duration: new_histogram(),
            active_vus: 0,
            peak_active_vus: 0,
            allocated_vus: 0,
            online_vus: 0,
            peak_online_vus: 0,
            busy_vu_ns: 0,
            online_vu_ns: 0,
        }
    }
}

impl WorkloadMetrics {
    /// Time-weighted mean of busy VUs over an interval of `length`.
    pub fn mean_active_vus(&self, length: Duration) -> f64 {
        mean(self.busy_vu_ns, length)
    }

    /// Time-weighted mean of online VUs over an interval of `length`.
    pub fn mean_online_vus(&self, length: Duration) -> f64 {
        mean(self.online_vu_ns, length)
    }

    /// Counts one iteration that ran to its end; `duration` from its intended start to its
    /// last step's end, when it recorded one.
    #[inline]
    pub fn iteration_done(&mut self, duration: Option<Duration>) {
        self.iterations += 1;
        if let Some(d) = duration {
            record_micros(&mut self.iteration_duration, d.as_micros() as u64);
        }
    }

    fn add(&mut self, other: &WorkloadMetrics, gauges: GaugeMerge) {
        self.iterations += other.iterations;
        self.dropped += other.dropped;
        self.queued += other.queued;
        self.skipped_paused += other.skipped_paused;
        self.interrupted += other.interrupted;
        self.lag
            .add(&other.lag)
            .expect("histograms share one configuration");
        self.iteration_duration
            .add(&other.iteration_duration)
            .expect("histograms share one configuration");
        // Areas are amounts (VU·time), not levels: they add over threads and over time.
        self.busy_vu_ns = self.busy_vu_ns.saturating_add(other.busy_vu_ns);
        self.online_vu_ns = self.online_vu_ns.saturating_add(other.online_vu_ns);
        match gauges {
            GaugeMerge::Sum => {
                self.active_vus += other.active_vus;
                self.peak_active_vus += other.peak_active_vus;
                self.allocated_vus += other.allocated_vus;
                self.online_vus += other.online_vus;
                self.peak_online_vus += other.peak_online_vus;
            }
            GaugeMerge::Max => {
                self.active_vus = self.active_vus.max(other.active_vus);
                self.peak_active_vus = self.peak_active_vus.max(other.peak_active_vus);
                self.allocated_vus = self.allocated_vus.max(other.allocated_vus);
                self.online_vus = self.online_vus.max(other.online_vus);
                self.peak_online_vus = self.peak_online_vus.max(other.peak_online_vus);
            }
        }
    }
}

fn mean(area_ns: u64, length: Duration) -> f64 {
    let ns = length.as_nanos();
    if ns == 0 {
        0.0
    } else {
        area_ns as f64 / ns as f64
    }
}

/// All steps and workloads of a plan for one interval or one run.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Indexed by the plan's global step index (see [`crate::Plan::steps`]).
    pub steps: Vec<StepMetrics>,
    /// Indexed by workload index.
    pub workloads: Vec<WorkloadMetrics>,
    /// Custom metrics, indexed by the plan's global custom index
    /// (see [`crate::Plan::custom_metrics`]).
    pub custom: Vec<CustomValue>,
}

impl Metrics {
    /// Empty metrics shaped for `steps` steps and `workloads` workloads.
    pub fn new(steps: usize, workloads: usize) -> Self {
        Metrics {
            steps: (0..steps).map(|_| StepMetrics::default()).collect(),
            workloads: (0..workloads).map(|_| WorkloadMetrics::default()).collect(),
            custom: Vec::new(),
        }
    }

    /// Empty metrics shaped like a plan's: steps, workloads and custom metrics of `custom`
    /// kinds (in the plan's global custom order).
    pub fn shaped(steps: usize, workloads: usize, custom: &[CustomKind]) -> Self {
        let mut m = Metrics::new(steps, workloads);
        m.custom = custom.iter().map(|k| CustomValue::empty(*k)).collect();
        m
    }

    /// Adds `other` into `self`; counters and histograms add exactly, gauges per `gauges`.
    pub fn add(&mut self, other: &Metrics, gauges: GaugeMerge) {
        if self.steps.len() < other.steps.len() {
            self.steps
                .resize_with(other.steps.len(), StepMetrics::default);
        }
        if self.workloads.len() < other.workloads.len() {
            self.workloads
                .resize_with(other.workloads.len(), WorkloadMetrics::default);
        }
        for (a, b) in self.steps.iter_mut().zip(&other.steps) {
            a.add(b);
        }
        for (a, b) in self.workloads.iter_mut().zip(&other.workloads) {
            a.add(b, gauges);
        }
        if self.custom.len() < other.custom.len() {
            let missing = other.custom[self.custom.len()..]
                .iter()
                .map(|v| CustomValue::empty(v.kind()));
            self.custom.extend(missing.collect::<Vec<_>>());
        }
        for (a, b) in self.custom.iter_mut().zip(&other.custom) {
            a.add(b, gauges);
        }
    }

    /// Sets each listed workload's iteration duration to its step's latency over every
    /// outcome: `(workload, global step)` pairs from [`crate::Plan::iterations_as_steps`],
    /// whose VUs count iterations without recording their duration.
    pub fn derive_iteration_durations(&mut self, as_steps: &[(usize, usize)]) {
        for &(w, s) in as_steps {
            if let (Some(step), true) = (self.steps.get(s), w < self.workloads.len()) {
                self.workloads[w].iteration_duration = step.latency_all();
            }
        }
    }

    /// Completed steps over the whole plan.
    pub fn total_requests(&self) -> u64 {
        self.steps.iter().map(StepMetrics::total).sum()
    }

    /// Errors over the whole plan.
    pub fn total_errors(&self) -> u64 {
        self.steps.iter().map(StepMetrics::errors).sum()
    }

    /// Dropped arrivals over the whole plan.
    pub fn total_dropped(&self) -> u64 {
        self.workloads.iter().map(|w| w.dropped).sum()
    }

    /// Busy VUs over the whole plan (at the end of the interval).
    pub fn total_active_vus(&self) -> u64 {
        self.workloads.iter().map(|w| w.active_vus).sum()
    }

    /// Time-weighted mean of busy VUs over the whole plan, for an interval of `length`.
    pub fn mean_active_vus(&self, length: Duration) -> f64 {
        self.workloads
            .iter()
            .map(|w| w.mean_active_vus(length))
            .sum()
    }

    /// Time-weighted mean of online VUs over the whole plan, for an interval of `length`.
    pub fn mean_online_vus(&self, length: Duration) -> f64 {
        self.workloads
            .iter()
            .map(|w| w.mean_online_vus(length))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_is_exact_for_counts_and_histograms() {
        let mut a = StepMetrics::default();
        let mut b = StepMetrics::default();
        a.record(
            Outcome::Success,
            Duration::from_millis(5),
            Duration::from_millis(4),
            None,
            None,
        );
        b.record(
            Outcome::Http5xx,
            Duration::from_millis(50),
            Duration::from_millis(40),
            None,
            None,
        );
        b.record(
            Outcome::Success,
            Duration::from_millis(7),
            Duration::from_millis(6),
            None,
            None,
        );
        a.add(&b);
        assert_eq!(a.total(), 3);
        assert_eq!(a.errors(), 1);
        assert_eq!(a.latency_all().len(), 3);
        assert_eq!(a.latency_where(|o| o == Outcome::Success).len(), 2);
        assert_eq!(a.service.len(), 3);
        let all = a.latency_all();
        assert!(
            all.value_at_quantile(1.0) >= 49_000,
            "max {} len {} q {}",
            all.max(),
            all.len(),
            all.value_at_quantile(1.0)
        );
    }

    #[test]
    fn gauges_sum_across_parts_and_peak_across_time() {
        let mut x = Metrics::new(0, 1);
        x.workloads[0].active_vus = 3;
        let mut y = Metrics::new(0, 1);
        y.workloads[0].active_vus = 4;
        let mut sum = x.clone();
        sum.add(&y, GaugeMerge::Sum);
        assert_eq!(sum.workloads[0].active_vus, 7);
        let mut peak = x.clone();
        peak.add(&y, GaugeMerge::Max);
        assert_eq!(peak.workloads[0].active_vus, 4);
    }
}
