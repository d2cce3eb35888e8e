//! Threads, the interval clock and the aggregator that merges the threads' metrics.

use crate::control::RunControl;
use crate::custom::GaugeMerge;
use crate::error::EngineError;
use crate::handoff::handoff;
use crate::handoff::Msg;
use crate::interval::{interval_holding, Clock};
use crate::metrics::Metrics;
use crate::model::Model;
use crate::plan::Plan;
use crate::report::{Event, FinalReport, IntervalReport};
use crate::segment::Segment;
use crate::session::Recorder;
use crate::shard::run_shard;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// The run's origin as every worker runtime sees it: each thread has its own tokio runtime
/// (and a paused test clock would be per runtime), so the one instant they share is std's.
#[allow(clippy::disallowed_types)]
type ProcessInstant = std::time::Instant;

/// Most worker threads one run may have (each is a tokio runtime with its own descriptors).
pub const MAX_THREADS: usize = 1024;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (each a current-thread runtime).
    pub threads: usize,
    /// Which share of the plan this process runs.
    pub segment: Segment,
    /// Length of a reporting interval.
    pub interval: Duration,
    /// How long in-flight iterations may finish after the schedule ends or a stop.
    pub graceful_stop: Duration,
    /// Start the clock at this wall-clock time (for synchronised distributed starts).
    pub start_at: Option<SystemTime>,
    /// Open model: the shortest time between two wakes of a thread's arrival timer.
    ///
    /// Arrivals are never released before their intended time; arrivals due within this
    /// window of a wake are released together by the next one. Waking an idle thread costs
    /// far more than releasing an arrival, so this trades schedule lag (bounded by about this
    /// much) against CPU at high rates. Zero wakes for every arrival.
    pub arrival_granularity: Duration,
}

/// Default [`RunOptions::arrival_granularity`]: schedule lag p99 about 0.6 ms at 50,000
/// arrivals/s, against about 1.5–2.5 ms with tokio's 1 ms timer (docs/performance.md).
pub const DEFAULT_ARRIVAL_GRANULARITY: Duration = Duration::from_micros(500);

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 1,
            segment: Segment::WHOLE,
            interval: Duration::from_secs(1),
            graceful_stop: Duration::from_secs(5),
            start_at: None,
            arrival_granularity: DEFAULT_ARRIVAL_GRANULARITY,
        }
    }
}

/// Time the threads get before the clock starts: to build their runtimes (20 ms), and for
/// pre-allocated open-model VUs to open their connections (about 150 µs each, counted per
/// thread, at most 2 s), so that nobody starts behind schedule.
fn lead_time(plan: &Plan, threads: usize) -> Duration {
    let pre_allocated: u64 = plan
        .workloads
        .iter()
        .map(|w| match &w.model {
            Model::Open(m) => m.pre_allocated_vus.min(m.max_vus),
            Model::Closed(_) => 0,
        })
        .sum();
    let per_thread = pre_allocated.div_ceil(threads.max(1) as u64);
    let warm_up = Duration::from_micros(per_thread.saturating_mul(150));
    Duration::from_millis(20) + warm_up.min(Duration::from_secs(2))
}

/// Runs `plan` to its end on `opts.threads` threads, calling `on_event` on this thread for
/// every completed interval, and returns the totals. Blocks the calling thread.
pub fn run(
    plan: &Plan,
    opts: &RunOptions,
    control: &RunControl,
    mut on_event: impl FnMut(&Event<'_>),
) -> Result<FinalReport, EngineError> {
    if opts.threads == 0 || opts.threads > MAX_THREADS {
        return Err(EngineError::InvalidPlan(format!(
            "threads must be 1 to {MAX_THREADS}, not {}",
            opts.threads
        )));
    }
    if opts.interval.is_zero() {
        return Err(EngineError::InvalidPlan("interval must be positive".into()));
    }
    let empty = plan.empty_metrics();
    let lead = lead_time(plan, opts.threads);
    let (origin_std, started_at) = match opts.start_at {
        Some(at) => {
            let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
            (ProcessInstant::now() + wait, at)
        }
        None => (ProcessInstant::now() + lead, SystemTime::now() + lead),
    };
    let origin = Instant::from_std(origin_std);
    let last = interval_holding(plan.duration(), opts.interval);
    let (tx, rx, waited) = handoff(opts.threads);
    let mut handles = Vec::with_capacity(opts.threads);
    for thread in 0..opts.threads {
        let plan = plan.clone();
        let tx = tx.clone();
        let control = control.clone();
        let segment = opts.segment.refine(thread as u64, opts.threads as u64);
        let (interval, graceful, granularity) =
            (opts.interval, opts.graceful_stop, opts.arrival_granularity);
        let h = std::thread::Builder::new()
            .name(format!("loadgen-worker-{thread}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, async move {
                    let clock = Clock {
                        thread,
                        origin,
                        length: interval,
                        last,
                        sink: tx.clone(),
                    };
                    let recorder = Recorder::with_clock(&plan, clock);
                    // Closes intervals on a thread that records nothing for a while; a busy
                    // thread closes them itself by the completion instants it records.
                    let ticker = {
                        let recorder = recorder.clone();
                        tokio::task::spawn_local(async move {
                            while let Some(at) = recorder.tally(|t| t.next_close()) {
                                tokio::time::sleep_until(at).await;
                                recorder.tally(|t| t.at(Instant::now()));
                            }
                        })
                    };
                    // Not sleeping until the origin here: each driver waits for its own start,
                    // and open-model VUs warm up their connections until then.
                    run_shard(
                        &plan,
                        segment,
                        origin,
                        &control,
                        graceful,
                        granularity,
                        &recorder,
                    )
                    .await;
                    ticker.abort();
                    if let Some(last) = recorder.tally(|t| t.finish()) {
                        tx.send(last);
                    }
                    Ok::<Option<Duration>, String>(crate::cpu::thread_cpu_time())
                })
            })
            .map_err(|e| EngineError::Worker {
                thread,
                reason: e.to_string(),
            })?;
        handles.push(h);
    }
    drop(tx);

    let has = |open: bool| {
        plan.workloads
            .iter()
            .any(|w| matches!(w.model, Model::Open(_)) == open)
    };
    control.begin(origin_std, has(true), has(false));
    on_event(&Event::Started { at: started_at });
    let mut agg = Aggregator::new(opts.threads, empty, opts.interval, last, origin);
    agg.as_steps = plan.iterations_as_steps();
    // Changes by hand go out before the interval their instant falls in (the log is read
    // once per interval; it only moves when someone asks for a change).
    let mut told = 0;
    let mut tell = |until: Option<Duration>, on_event: &mut dyn FnMut(&Event<'_>)| {
        let changes = control.changes();
        for c in changes.iter().skip(told) {
            if until.is_some_and(|u| c.at >= u) {
                break;
            }
            on_event(&Event::Changed(c));
            told += 1;
        }
    };
    for msg in rx {
        for report in agg.accept(msg) {
            tell(Some(report.start + report.length), &mut on_event);
            on_event(&Event::Interval(&report));
            agg.totals.add(&report.metrics, GaugeMerge::Max);
        }
    }
    tell(None, &mut on_event);
    let mut worker_cpu = Vec::with_capacity(handles.len());
    for (thread, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Ok(cpu)) => worker_cpu.push(cpu),
            Ok(Err(reason)) => return Err(EngineError::Worker { thread, reason }),
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".into());
                return Err(EngineError::Worker { thread, reason });
            }
        }
    }
    Ok(FinalReport {
        started_at,
        elapsed: agg.elapsed(),
        totals: agg.totals,
        stopped_early: control.is_stopped(),
        intervals: agg.next,
        worker_cpu,
        results_wait: waited.total(),
    })
}

/// Merges per-thread interval metrics and releases each interval once every thread has
/// reported it (or has finished).
///
/// Threads close every interval up to the one holding the plan's end, and none after their
/// load ended; so rows before that one are released as they complete, and the last row waits
/// for every thread's final message. It then spans its start to the end of the load (the
/// latest load end any thread reported), whatever completed in the graceful stop included.
struct Aggregator {
    pending: BTreeMap<u64, Metrics>,
    reported: Vec<Option<u64>>,
    finished: Vec<bool>,
    /// The next row to release.
    next: u64,
    totals: Metrics,
    empty: Metrics,
    interval: Duration,
    /// Index of the interval holding the plan's end.
    last: u64,
    origin: Instant,
    load_end: Option<Instant>,
    /// Workloads whose iteration duration is derived from a step's latency, per row.
    as_steps: Vec<(usize, usize)>,
}

impl Aggregator {
    fn new(threads: usize, empty: Metrics, interval: Duration, last: u64, origin: Instant) -> Self {
        Aggregator {
            pending: BTreeMap::new(),
            reported: vec![None; threads],
            finished: vec![false; threads],
            next: 0,
            totals: empty.clone(),
            empty,
            interval,
            last,
            origin,
            load_end: None,
            as_steps: Vec::new(),
        }
    }

    /// How long the load ran: from the origin to the latest load end a thread reported.
    fn elapsed(&self) -> Duration {
        self.load_end
            .unwrap_or_else(Instant::now)
            .saturating_duration_since(self.origin)
    }

    fn accept(&mut self, msg: Msg) -> Vec<IntervalReport> {
        let (thread, index, metrics, last) = match msg {
            Msg::Interval {
                thread,
                index,
                metrics,
            } => (thread, index, metrics, false),
            Msg::Final {
                thread,
                index,
                metrics,
                load_end,
            } => {
                if let Some(end) = load_end {
                    self.load_end = Some(self.load_end.map_or(end, |e| e.max(end)));
                }
                (thread, index, metrics, true)
            }
        };
        self.pending
            .entry(index)
            .and_modify(|m| m.add(&metrics, GaugeMerge::Sum))
            .or_insert(metrics);
        self.reported[thread] = Some(index);
        self.finished[thread] |= last;
        let mut out = Vec::new();
        if self.finished.iter().all(|f| *f) {
            return self.release_rest();
        }
        while self.next < self.last {
            let k = self.next;
            let complete = (0..self.reported.len())
                .all(|t| self.finished[t] || self.reported[t].is_some_and(|r| r >= k));
            if !complete {
                break;
            }
            let metrics = self
                .pending
                .remove(&k)
                .unwrap_or_else(|| self.empty.clone());
            out.push(self.row(k, self.interval, metrics));
        }
        out
    }

    fn row(&mut self, k: u64, length: Duration, mut metrics: Metrics) -> IntervalReport {
        self.next = k + 1;
        metrics.derive_iteration_durations(&self.as_steps);
        IntervalReport {
            index: k,
            start: self.interval * k as u32,
            length,
            metrics,
        }
    }

    /// Every thread has finished: releases the remaining rows, the last one spanning its
    /// start to the end of the load with everything reported after it folded in.
    fn release_rest(&mut self) -> Vec<IntervalReport> {
        let elapsed = self.elapsed();
        let end = interval_holding(elapsed, self.interval).max(self.next);
        let mut out = Vec::new();
        for k in self.next..end {
            let metrics = self
                .pending
                .remove(&k)
                .unwrap_or_else(|| self.empty.clone());
            out.push(self.row(k, self.interval, metrics));
        }
        let mut metrics = self.empty.clone();
        for (_, m) in std::mem::take(&mut self.pending) {
            metrics.add(&m, GaugeMerge::Sum);
        }
        let start = self.interval * end as u32;
        let length = elapsed.saturating_sub(start).min(self.interval);
        out.push(self.row(end, length, metrics));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(requests: u64) -> Metrics {
        let mut m = Metrics::new(1, 1);
        m.steps[0].counts[0] = requests;
        m
    }

    fn interval(thread: usize, index: u64, requests: u64) -> Msg {
        Msg::Interval {
            thread,
            index,
            metrics: metrics(requests),
        }
    }

    fn last(thread: usize, index: u64, requests: u64, end: Option<Instant>) -> Msg {
        Msg::Final {
            thread,
            index,
            metrics: metrics(requests),
            load_end: end,
        }
    }

    fn rows(out: &[IntervalReport]) -> Vec<(u64, u128, u64)> {
        out.iter()
            .map(|r| (r.index, r.length.as_millis(), r.metrics.total_requests()))
            .collect()
    }

    #[test]
    fn the_last_row_waits_for_every_thread_and_spans_to_the_end_of_the_load() {
        let origin = Instant::now();
        let second = Duration::from_secs(1);
        // A 3.5 s plan: interval 3 holds its end.
        let mut agg = Aggregator::new(2, Metrics::new(1, 1), second, 3, origin);
        assert!(
            agg.accept(interval(0, 0, 10)).is_empty(),
            "thread 1 has not reported"
        );
        assert_eq!(rows(&agg.accept(interval(1, 0, 5))), vec![(0, 1000, 15)]);
        let mut out = Vec::new();
        for t in 0..2 {
            out.extend(agg.accept(interval(t, 1, 10)));
            out.extend(agg.accept(interval(t, 2, 10)));
        }
        assert_eq!(rows(&out), vec![(1, 1000, 20), (2, 1000, 20)]);
        let end = origin + Duration::from_millis(3500);
        assert!(agg.accept(last(0, 3, 7, Some(end))).is_empty());
        let out = agg.accept(last(1, 3, 3, Some(end - Duration::from_millis(2))));
        assert_eq!(
            rows(&out),
            vec![(3, 500, 10)],
            "one last row, its true length"
        );
        assert_eq!(agg.elapsed(), Duration::from_millis(3500));
        assert_eq!(agg.next, 4);
    }

    #[test]
    fn a_load_that_ended_early_ends_the_rows_there_and_fills_silent_intervals() {
        let origin = Instant::now();
        let second = Duration::from_secs(1);
        // A 60 s plan whose VUs ran their iterations in 2.25 s; thread 1 had none.
        let mut agg = Aggregator::new(2, Metrics::new(1, 1), second, 59, origin);
        assert!(agg.accept(last(1, 0, 0, Some(origin))).is_empty() || agg.next == 0);
        let mut out = agg.accept(interval(0, 0, 4));
        out.extend(agg.accept(interval(0, 1, 4)));
        let end = origin + Duration::from_millis(2250);
        out.extend(agg.accept(last(0, 2, 1, Some(end))));
        assert_eq!(rows(&out), vec![(0, 1000, 4), (1, 1000, 4), (2, 250, 1)]);
        assert_eq!(agg.elapsed(), Duration::from_millis(2250));
    }

    #[test]
    fn whatever_a_thread_reports_past_the_end_is_folded_into_the_last_row() {
        let origin = Instant::now();
        let second = Duration::from_secs(1);
        let mut agg = Aggregator::new(2, Metrics::new(1, 1), second, 9, origin);
        let mut out = Vec::new();
        for t in 0..2 {
            out.extend(agg.accept(interval(t, 0, 1)));
        }
        // Thread 1 recorded a completion at exactly 2 s, closing interval 1, then saw the stop
        // at that very instant; thread 0 stopped at 1.5 s. The load ran 2 s: two rows.
        out.extend(agg.accept(interval(1, 1, 1)));
        let at = |ms| Some(origin + Duration::from_millis(ms));
        out.extend(agg.accept(last(1, 2, 1, at(2000))));
        out.extend(agg.accept(last(0, 1, 1, at(1500))));
        assert_eq!(rows(&out), vec![(0, 1000, 2), (1, 1000, 3)]);
    }
}
