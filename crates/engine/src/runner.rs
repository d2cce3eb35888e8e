//! Threads, the interval clock and the aggregator that merges the threads' metrics.

use crate::error::EngineError;
use crate::metrics::{GaugeMerge, Metrics};
use crate::plan::{Model, Plan};
use crate::report::{Event, FinalReport, IntervalReport};
use crate::segment::Segment;
use crate::session::Recorder;
use crate::shard::run_shard;
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

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

/// Stops a run from outside (signal handler, threshold abort). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    pub(crate) stop: CancellationToken,
    pub(crate) kill: CancellationToken,
}

impl RunControl {
    /// A control for a new run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Graceful stop: no new iterations; in-flight ones get the graceful-stop period.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Immediate stop: in-flight iterations are cancelled now (counted as interrupted).
    pub fn kill(&self) {
        self.stop.cancel();
        self.kill.cancel();
    }

    /// True once [`RunControl::stop`] or [`RunControl::kill`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}

enum Msg {
    Interval {
        thread: usize,
        index: u64,
        metrics: Metrics,
    },
    Final {
        thread: usize,
        index: u64,
        metrics: Metrics,
    },
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
    let (tx, rx) = mpsc::channel::<Msg>();
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
                    let recorder = Recorder::for_plan(&plan);
                    let ticker = {
                        let (recorder, tx) = (recorder.clone(), tx.clone());
                        tokio::task::spawn_local(async move {
                            let mut index = 0u64;
                            loop {
                                let tick = origin + interval * (index as u32 + 1);
                                tokio::time::sleep_until(tick).await;
                                let metrics = recorder.take();
                                if tx
                                    .send(Msg::Interval {
                                        thread,
                                        index,
                                        metrics,
                                    })
                                    .is_err()
                                {
                                    return index;
                                }
                                index += 1;
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
                    // The ticker is between sends (it only yields in its sleep), so the
                    // partial interval it was waiting for is the next index.
                    let index = interval_index(origin, interval);
                    let _ = tx.send(Msg::Final {
                        thread,
                        index,
                        metrics: recorder.take(),
                    });
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

    on_event(&Event::Started { at: started_at });
    let mut agg = Aggregator::new(opts.threads, empty, opts.interval, origin_std);
    for msg in rx {
        for report in agg.accept(msg) {
            on_event(&Event::Interval(&report));
            agg.totals.add(&report.metrics, GaugeMerge::Max);
        }
    }
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
        elapsed: Instant::now().saturating_duration_since(origin),
        totals: agg.totals,
        stopped_early: control.is_stopped(),
        intervals: agg.next,
        worker_cpu,
    })
}

/// Index of the interval that contains now.
fn interval_index(origin: Instant, interval: Duration) -> u64 {
    let since = Instant::now().saturating_duration_since(origin);
    (since.as_nanos() / interval.as_nanos()) as u64
}

/// Merges per-thread interval metrics and releases each interval once every thread has
/// reported it (or has finished).
struct Aggregator {
    pending: BTreeMap<u64, Metrics>,
    reported: Vec<Option<u64>>,
    finished: Vec<bool>,
    next: u64,
    totals: Metrics,
    interval: Duration,
    origin: ProcessInstant,
}

impl Aggregator {
    fn new(threads: usize, empty: Metrics, interval: Duration, origin: ProcessInstant) -> Self {
        Aggregator {
            pending: BTreeMap::new(),
            reported: vec![None; threads],
            finished: vec![false; threads],
            next: 0,
            totals: empty,
            interval,
            origin,
        }
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
            } => (thread, index, metrics, true),
        };
        self.pending
            .entry(index)
            .and_modify(|m| m.add(&metrics, GaugeMerge::Sum))
            .or_insert(metrics);
        self.reported[thread] = Some(index);
        self.finished[thread] |= last;
        let all_finished = self.finished.iter().all(|f| *f);
        let mut out = Vec::new();
        while let Some((&k, _)) = self.pending.first_key_value() {
            let complete = (0..self.reported.len())
                .all(|t| self.finished[t] || self.reported[t].is_some_and(|r| r >= k));
            if !complete {
                break;
            }
            let metrics = self.pending.remove(&k).expect("key just seen");
            let start = self.interval * k as u32;
            let is_last = all_finished && self.pending.is_empty();
            let length = if is_last {
                self.origin
                    .elapsed()
                    .saturating_sub(start)
                    .min(self.interval)
            } else {
                self.interval
            };
            self.next = k + 1;
            out.push(IntervalReport {
                index: k,
                start,
                length,
                metrics,
            });
        }
        out
    }
}
