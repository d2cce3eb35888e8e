//! What a workload driver needs on its thread ([`ShardCtx`]) and the small waiting helpers the
//! open and closed drivers share.

use crate::control::RunControl;
use crate::metrics::WorkloadMetrics;
use crate::model::Model;
use crate::segment::Segment;
use crate::session::{Recorder, VuInfo};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

/// What a workload driver needs on its thread. Owned, so driver futures are `'static`.
pub(crate) struct ShardCtx {
    pub workload: usize,
    pub model: Model,
    pub step_base: usize,
    /// How many steps the workload's iterations report.
    pub steps: usize,
    /// The iteration's duration is derived from a step's latency per interval (see
    /// [`crate::Workload::with_iteration_as_step`]): VUs only count iterations.
    pub iteration_as_step: bool,
    /// Global index of the workload's first custom metric.
    pub custom_base: usize,
    pub recorder: Recorder,
    pub segment: Segment,
    /// When the run's clock starts (changes by hand are timed from it).
    pub origin: Instant,
    /// When this workload's clock starts.
    pub start: Instant,
    pub seed: u64,
    pub control: RunControl,
    pub graceful: Duration,
    pub arrival_granularity: Duration,
}

impl ShardCtx {
    /// Global id of this shard's `local`-th VU: unique across segments.
    pub fn vu_info(&self, local: u64) -> VuInfo {
        let id = self.segment.index + local * self.segment.count;
        VuInfo {
            id,
            workload: self.workload,
            seed: mix(self.seed ^ mix(id.wrapping_add(1) ^ ((self.workload as u64) << 48))),
            paced_reads: false,
        }
    }

    pub fn with_workload<R>(&self, f: impl FnOnce(&mut WorkloadMetrics) -> R) -> R {
        self.recorder.with(|m| f(&mut m.workloads[self.workload]))
    }

    /// Waits for in-flight iterations up to the graceful stop, then cancels the rest and
    /// counts them as interrupted.
    pub async fn drain(&self, tasks: &mut JoinSet<()>) {
        let deadline = Instant::now() + self.graceful;
        loop {
            tokio::select! {
                biased;
                _ = self.control.kill.cancelled() => break,
                _ = sleep_until(deadline) => break,
                next = tasks.join_next() => if next.is_none() { return },
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        self.with_workload(|w| {
            w.interrupted += w.active_vus;
            w.active_vus = 0;
        });
    }
}

/// SplitMix64 finaliser: spreads seeds so neighbouring VU ids get unrelated streams.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `futures` to their ends in the calling task (no spawn), polling only the unfinished.
pub(crate) async fn join_all<F: Future<Output = ()> + ?Sized>(mut futures: Vec<Pin<Box<F>>>) {
    std::future::poll_fn(|cx| {
        futures.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

/// Waits until `at`, or returns `false` at once if `stop` fires first.
pub(crate) async fn wait_until(at: Instant, stop: &CancellationToken) -> bool {
    if at <= Instant::now() {
        return !stop.is_cancelled();
    }
    tokio::select! {
        biased;
        _ = stop.cancelled() => false,
        _ = sleep_until(at) => true,
    }
}
