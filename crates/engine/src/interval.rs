//! One worker thread's interval book-keeping: which interval a recording belongs to, the VU
//! busy/online tallies, and the hand-over of each finished interval to the aggregator.
//!
//! # Which interval a completion lands in
//!
//! A step counts in the interval its *completion instant* falls in, not in the interval that
//! happened to be open when the thread got round to it. Each recorded step carries its
//! instant; the first one past the current interval's end closes that interval (and, empty,
//! any it skipped) and sends it to the aggregator before it is counted. A ticker task closes
//! intervals on a thread that records nothing. So a busy thread whose ticker runs late (a
//! fast target keeps every VU ready, and the ticker queues behind them) cannot pour the next
//! second's requests into this second's row, nor a second's worth into a last sliver.
//! Counters without an instant of their own (iterations, dropped arrivals, statuses, custom
//! metrics) are counted right after an event that has one, so they land beside it.
//!
//! # The last interval
//!
//! The thread never closes the interval that holds the plan's end (the end instant belongs to
//! the interval before it, so a 5 s plan has five rows), and it closes none once every
//! workload on it has ended its load: the schedule's end, a stop, or the last VU's last
//! `iterations`. What completes after that — in-flight iterations of the graceful stop — is
//! counted in that last interval. The aggregator gives the last row its true length: from its
//! start to the end of the load.
//!
//! # VU tallies
//!
//! Per workload the thread counts VUs *busy* (inside an iteration) and *online* (a
//! closed-model VU from the moment its stages turn it on until it leaves, think time
//! included, as k6 counts `vus`; an open-model VU from its creation). At every change both
//! counts are integrated over the time since the last change, up to the workload's load end,
//! so an interval carries exact VU·time areas (time-weighted means) and per-thread peaks.
//! All of it is plain thread-local state: no atomic or lock per request.

use crate::custom::CustomValue;
use crate::handoff::{Handoff, Msg};
use crate::metrics::Metrics;
use std::time::Duration;
use tokio::time::Instant;

/// The run's interval grid as one thread sees it, and where finished intervals go.
pub(crate) struct Clock {
    pub thread: usize,
    pub origin: Instant,
    pub length: Duration,
    /// Index of the interval that holds the plan's end; the thread never closes it.
    pub last: u64,
    pub sink: Handoff,
}

/// Index of the interval holding `end` after the origin, `end` itself belonging to the
/// interval before it (intervals are closed on the right).
pub(crate) fn interval_holding(end: Duration, length: Duration) -> u64 {
    let n = end.as_nanos().div_ceil(length.as_nanos().max(1));
    n.saturating_sub(1) as u64
}

/// Time book-keeping of one workload's VU counts.
struct VuTime {
    /// Instant the counts were last integrated up to.
    since: Instant,
    /// The workload's load end: nothing is integrated past it.
    end: Option<Instant>,
    /// The workload's planned end: nothing is integrated past it either, even while a late
    /// generator still releases arrivals.
    cap: Instant,
}

/// Everything a worker thread records into: the current interval's metrics and its clock.
pub(crate) struct Tally {
    pub metrics: Metrics,
    /// End of the current interval; `never` once no interval is to be closed any more.
    boundary: Instant,
    never: Instant,
    index: u64,
    clock: Option<Clock>,
    vu_time: Vec<VuTime>,
    /// Workloads whose load has not ended yet.
    running: usize,
    load_end: Option<Instant>,
    /// The latest instant any event carried.
    latest: Instant,
}

impl Tally {
    /// A tally over `metrics` (empty, shaped like the plan); without a clock it never closes
    /// an interval (a recorder for a test or a single shard).
    pub fn new(metrics: Metrics, clock: Option<Clock>) -> Self {
        let now = Instant::now();
        // A century on: later than any run, and far from overflowing.
        let never = now + Duration::from_secs(100 * 365 * 86_400);
        let start = clock.as_ref().map_or(now, |c| c.origin);
        let boundary = match &clock {
            Some(c) if c.last > 0 => c.origin + c.length,
            _ => never,
        };
        let workloads = metrics.workloads.len();
        Tally {
            vu_time: (0..workloads)
                .map(|_| VuTime {
                    since: start,
                    end: None,
                    cap: never,
                })
                .collect(),
            running: workloads,
            metrics,
            boundary,
            never,
            index: 0,
            clock,
            load_end: None,
            latest: start,
        }
    }

    /// Moves the thread's time to `t`: closes the current interval first if `t` is past it.
    #[inline]
    pub fn at(&mut self, t: Instant) {
        if t >= self.boundary {
            self.close_until(t);
        }
    }

    /// A step completed at `done`: [`Self::at`], and `done` is the thread's latest completion.
    #[inline]
    pub fn completed_at(&mut self, done: Instant) {
        // Completions are recorded as they happen, so the last one is the latest (a store is
        // cheaper than a comparison on this path).
        self.latest = done;
        self.at(done);
    }

    /// The latest completion recorded on this thread, but not earlier than `floor`. A VU
    /// that ends an iteration asks for it: with no await between its last step and that
    /// moment, it is the iteration's end without reading the clock again.
    #[inline]
    pub fn latest(&self, floor: Instant) -> Instant {
        self.latest.max(floor)
    }

    /// When the current interval is due to close, if the thread is still closing intervals.
    pub fn next_close(&self) -> Option<Instant> {
        (self.boundary != self.never).then_some(self.boundary)
    }

    #[cold]
    fn close_until(&mut self, t: Instant) {
        let Some(clock) = &self.clock else {
            return;
        };
        let (sink, thread, length, last) =
            (clock.sink.clone(), clock.thread, clock.length, clock.last);
        while t >= self.boundary {
            let end = self.boundary;
            for w in 0..self.vu_time.len() {
                self.integrate(w, end);
            }
            let metrics = self.take_metrics();
            sink.send(Msg::Interval {
                thread,
                index: self.index,
                metrics,
            });
            self.index += 1;
            self.boundary = if self.index >= last {
                self.never
            } else {
                end + length
            };
        }
    }

    /// Takes the interval's metrics, leaving empty ones that carry the gauges (they describe
    /// the present, not the interval) and start the peaks at the present level.
    pub fn take_metrics(&mut self) -> Metrics {
        let m = &self.metrics;
        let mut fresh = Metrics::new(m.steps.len(), m.workloads.len());
        fresh.custom = m.custom.iter().map(CustomValue::fresh).collect();
        for (new, old) in fresh.steps.iter_mut().zip(&m.steps) {
            new.status_latency = old.fresh_status_latency();
        }
        for (new, old) in fresh.workloads.iter_mut().zip(&m.workloads) {
            new.active_vus = old.active_vus;
            new.peak_active_vus = old.active_vus;
            new.allocated_vus = old.allocated_vus;
            new.online_vus = old.online_vus;
            new.peak_online_vus = old.online_vus;
        }
        std::mem::replace(&mut self.metrics, fresh)
    }

    /// Adds the VU counts' area since the last change, up to `t` (and the load end).
    #[inline]
    fn integrate(&mut self, w: usize, t: Instant) {
        let vt = &mut self.vu_time[w];
        let t = match vt.end {
            Some(end) if end < t => end,
            _ => t.min(vt.cap),
        };
        if t > vt.since {
            let d = t - vt.since;
            let ns = d.as_secs() * 1_000_000_000 + u64::from(d.subsec_nanos());
            vt.since = t;
            let m = &mut self.metrics.workloads[w];
            m.busy_vu_ns = m.busy_vu_ns.saturating_add(m.active_vus.saturating_mul(ns));
            m.online_vu_ns = m
                .online_vus
                .saturating_mul(ns)
                .saturating_add(m.online_vu_ns);
        }
    }

    /// A VU of workload `w` starts an iteration at `t`.
    #[inline]
    pub fn vu_busy(&mut self, w: usize, t: Instant) {
        self.at(t);
        self.integrate(w, t);
        let m = &mut self.metrics.workloads[w];
        m.active_vus += 1;
        m.peak_active_vus = m.peak_active_vus.max(m.active_vus);
    }

    /// A VU of workload `w` ends an iteration at `t`; returns the VUs still busy.
    #[inline]
    pub fn vu_idle(&mut self, w: usize, t: Instant) -> u64 {
        self.at(t);
        self.integrate(w, t);
        let m = &mut self.metrics.workloads[w];
        m.active_vus = m.active_vus.saturating_sub(1);
        m.active_vus
    }

    /// A VU of workload `w` comes online at `t`.
    pub fn vu_online(&mut self, w: usize, t: Instant) {
        self.at(t);
        self.integrate(w, t);
        let m = &mut self.metrics.workloads[w];
        m.online_vus += 1;
        m.peak_online_vus = m.peak_online_vus.max(m.online_vus);
    }

    /// A VU of workload `w` goes offline at `t`.
    pub fn vu_offline(&mut self, w: usize, t: Instant) {
        self.at(t);
        self.integrate(w, t);
        let m = &mut self.metrics.workloads[w];
        m.online_vus = m.online_vus.saturating_sub(1);
    }

    /// Workload `w`'s schedule ends at `at` (its load may end earlier, never later).
    pub fn planned_end(&mut self, w: usize, at: Instant) {
        self.vu_time[w].cap = at;
    }

    /// Workload `w` starts no iteration after `t` (schedule end, stop, last iteration done).
    /// Once every workload has ended, the thread closes no more intervals.
    pub fn load_ended(&mut self, w: usize, t: Instant) {
        // The end instant belongs to the interval before it (see `interval_holding`).
        self.at(t.checked_sub(Duration::from_nanos(1)).unwrap_or(t));
        self.integrate(w, t);
        let vt = &mut self.vu_time[w];
        if vt.end.is_none() {
            vt.end = Some(t);
            self.running = self.running.saturating_sub(1);
        }
        self.load_end = Some(self.load_end.map_or(t, |e| e.max(t)));
        if self.running == 0 {
            self.boundary = self.never;
        }
    }

    /// Integrates every workload up to `t` (and its load end), for a final take.
    pub fn integrate_all(&mut self, t: Instant) {
        for w in 0..self.vu_time.len() {
            self.integrate(w, t);
        }
    }

    /// The thread's last interval, as the message that ends its part of the run.
    pub fn finish(&mut self) -> Option<Msg> {
        let now = Instant::now();
        self.integrate_all(now);
        let metrics = self.take_metrics();
        let clock = self.clock.as_ref()?;
        Some(Msg::Final {
            thread: clock.thread,
            index: self.index,
            metrics,
            load_end: self.load_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn the_end_instant_belongs_to_the_interval_before_it() {
        let i = secs(1.0);
        assert_eq!(interval_holding(secs(5.0), i), 4);
        assert_eq!(interval_holding(secs(3.5), i), 3);
        assert_eq!(interval_holding(secs(0.4), i), 0);
        assert_eq!(interval_holding(Duration::ZERO, i), 0);
        assert_eq!(interval_holding(secs(1.000_001), i), 1);
    }

    fn tally(last: u64) -> (Tally, std::sync::mpsc::Receiver<Msg>, Instant) {
        let (tx, rx, _) = crate::handoff::handoff(1);
        let origin = Instant::now();
        let clock = Clock {
            thread: 0,
            origin,
            length: secs(1.0),
            last,
            sink: tx,
        };
        (Tally::new(Metrics::new(1, 1), Some(clock)), rx, origin)
    }

    fn step_done(t: &mut Tally, at: Instant) {
        t.completed_at(at);
        t.metrics.steps[0].counts[0] += 1;
    }

    fn sent(rx: &std::sync::mpsc::Receiver<Msg>) -> Vec<(u64, u64, u64)> {
        rx.try_iter()
            .map(|m| match m {
                Msg::Interval { index, metrics, .. } | Msg::Final { index, metrics, .. } => (
                    index,
                    metrics.total_requests(),
                    metrics.workloads[0].busy_vu_ns,
                ),
            })
            .collect()
    }

    #[test]
    fn completions_count_in_the_interval_of_their_instant_however_late_they_are_recorded() {
        let (mut t, rx, o) = tally(4);
        step_done(&mut t, o + secs(0.5));
        // Nothing recorded in interval 1; the first completion of interval 2 closes 0 and 1.
        step_done(&mut t, o + secs(2.1));
        step_done(&mut t, o + secs(2.9));
        assert_eq!(sent(&rx), vec![(0, 1, 0), (1, 0, 0)]);
        // Interval 4 holds the plan's end (5 s): never closed by the thread; later ones fold in.
        step_done(&mut t, o + secs(4.5));
        step_done(&mut t, o + secs(5.0));
        step_done(&mut t, o + secs(5.2));
        assert_eq!(sent(&rx), vec![(2, 2, 0), (3, 0, 0)]);
        let fin = t.finish();
        assert!(
            matches!(fin, Some(Msg::Final { index: 4, ref metrics, .. }) if metrics.total_requests() == 3)
        );
    }

    #[test]
    fn vu_areas_are_split_at_interval_ends_and_stop_at_the_load_end() {
        let (mut t, rx, o) = tally(2);
        t.vu_online(0, o);
        t.vu_busy(0, o + secs(0.25));
        t.vu_idle(0, o + secs(1.5));
        t.load_ended(0, o + secs(2.5));
        // After the load end nothing is integrated or closed.
        t.vu_busy(0, o + secs(2.75));
        t.vu_idle(0, o + secs(4.0));
        let Some(Msg::Final {
            index,
            metrics,
            load_end,
            ..
        }) = t.finish()
        else {
            panic!("a final message");
        };
        let ms = |ns: u64| ns / 1_000_000;
        let closed: Vec<_> = rx
            .try_iter()
            .map(|m| match m {
                Msg::Interval { metrics, .. } => metrics.workloads[0].clone(),
                Msg::Final { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(closed.len(), 2);
        assert_eq!(ms(closed[0].busy_vu_ns), 750);
        assert_eq!(ms(closed[0].online_vu_ns), 1000);
        assert_eq!(closed[0].peak_active_vus, 1);
        assert_eq!(ms(closed[1].busy_vu_ns), 500);
        assert_eq!(ms(closed[1].online_vu_ns), 1000);
        assert_eq!(closed[1].peak_active_vus, 1, "busy at the interval's start");
        assert_eq!(index, 2);
        assert_eq!(load_end, Some(o + secs(2.5)));
        let w = &metrics.workloads[0];
        assert_eq!(ms(w.busy_vu_ns), 0);
        assert_eq!(ms(w.online_vu_ns), 500);
    }
}
