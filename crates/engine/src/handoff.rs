//! The bounded hand-off of finished intervals from the worker threads to the results thread.
//!
//! The results thread (the aggregator and every sink behind it: metrics.jsonl, the report's
//! series, the live judge, the dashboard) normally keeps up with ten intervals a second. If it
//! falls behind (a debug build at 100 ms intervals, a disk that stalls), an unbounded queue
//! would hold every interval it has not taken yet, and the run's memory would grow with its
//! length. The queue is bounded instead: a worker that finds it full waits for room. Waiting
//! holds its schedule back, so the wait is measured and the summary names it as generator
//! saturation (the numbers after such a wait describe loadgen as much as the target).

use crate::metrics::Metrics;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// What a worker thread sends the aggregator.
pub(crate) enum Msg {
    /// A finished interval.
    Interval {
        thread: usize,
        index: u64,
        metrics: Metrics,
    },
    /// The thread's last interval, sent when its shard has run to the end.
    Final {
        thread: usize,
        index: u64,
        metrics: Metrics,
        /// When the last workload on the thread ended its load (`None`: it had none).
        load_end: Option<Instant>,
    },
}

/// Intervals one worker thread may have handed off and not yet taken by the results thread.
/// Each holds one interval's metrics (a few histograms per step), so this bounds the queue's
/// memory whatever the run's length: 32 seconds of backlog at the default 1 s interval, 3.2 s at
/// 100 ms (an interval's metrics are a few KiB to a few hundred KiB per step, by how widely its
/// latencies spread).
pub const BACKLOG_PER_THREAD: usize = 32;

/// How long the worker threads waited for room, all of them together.
#[derive(Debug, Default)]
pub(crate) struct Waited {
    waits: AtomicU64,
    nanos: AtomicU64,
}

impl Waited {
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    #[cfg(test)]
    fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }
}

/// A worker thread's end of the hand-off.
#[derive(Clone)]
pub(crate) struct Handoff {
    sink: SyncSender<Msg>,
    waited: Arc<Waited>,
}

/// A hand-off for `threads` workers, the results thread's receiver, and the shared wait total.
pub(crate) fn handoff(threads: usize) -> (Handoff, Receiver<Msg>, Arc<Waited>) {
    let (sink, rx) = sync_channel(BACKLOG_PER_THREAD * threads.max(1));
    let waited = Arc::new(Waited::default());
    let end = Handoff {
        sink,
        waited: waited.clone(),
    };
    (end, rx, waited)
}

impl Handoff {
    /// Hands `msg` over, waiting for room when the results thread is a full backlog behind.
    /// A closed channel means the run is being torn down; the totals no longer matter.
    pub fn send(&self, msg: Msg) {
        match self.sink.try_send(msg) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(msg)) => self.wait_and_send(msg),
        }
    }

    #[cold]
    fn wait_and_send(&self, msg: Msg) {
        // std's Instant: the wait is real time even under a paused test clock.
        #[allow(clippy::disallowed_types)]
        let start = std::time::Instant::now();
        self.waited.waits.fetch_add(1, Ordering::Relaxed);
        let _ = self.sink.send(msg);
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waited.nanos.fetch_add(ns.max(1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(index: u64) -> Msg {
        Msg::Interval {
            thread: 0,
            index,
            metrics: Metrics::new(1, 1),
        }
    }

    fn index(m: Msg) -> u64 {
        match m {
            Msg::Interval { index, .. } | Msg::Final { index, .. } => index,
        }
    }

    #[test]
    fn a_full_backlog_makes_the_worker_wait_and_the_wait_is_counted() {
        let (end, rx, waited) = handoff(1);
        for i in 0..BACKLOG_PER_THREAD as u64 {
            end.send(msg(i));
        }
        assert_eq!(
            waited.waits(),
            0,
            "room for a whole backlog without waiting"
        );
        let worker = std::thread::spawn({
            let end = end.clone();
            move || end.send(msg(BACKLOG_PER_THREAD as u64))
        });
        // Nobody takes anything until the worker has found the queue full, so it must wait.
        for _ in 0..10_000 {
            if waited.waits() == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(waited.waits(), 1, "the worker found the backlog full");
        let taken: Vec<u64> = (0..=BACKLOG_PER_THREAD)
            .map(|_| index(rx.recv().unwrap()))
            .collect();
        worker.join().unwrap();
        assert_eq!(
            taken,
            (0..=BACKLOG_PER_THREAD as u64).collect::<Vec<_>>(),
            "nothing lost, in order"
        );
        assert!(waited.total() > Duration::ZERO);
    }

    #[test]
    fn a_closed_results_thread_never_blocks_a_worker() {
        let (end, rx, waited) = handoff(1);
        drop(rx);
        for i in 0..2 * BACKLOG_PER_THREAD as u64 {
            end.send(msg(i));
        }
        assert_eq!(waited.waits(), 0);
    }
}
