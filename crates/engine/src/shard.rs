//! Running one segment of a plan on the current thread: one driver per workload.

use crate::control::RunControl;
use crate::ctx::{join_all, mix, ShardCtx};
use crate::plan::Plan;
use crate::segment::Segment;
use crate::session::Recorder;
use std::time::Duration;
use tokio::time::Instant;

/// Runs `segment` of `plan` on the current thread until every workload has finished and
/// drained. Must be called inside a `tokio::task::LocalSet`. Records into `recorder`.
///
/// `origin` is the instant the run's clock starts; workloads start at `origin + start`.
pub async fn run_shard(
    plan: &Plan,
    segment: Segment,
    origin: Instant,
    control: &RunControl,
    graceful: Duration,
    arrival_granularity: Duration,
    recorder: &Recorder,
) {
    let bases = plan.step_bases();
    let custom_bases = plan.custom_bases();
    let mut drivers = Vec::with_capacity(plan.workloads.len());
    for (i, w) in plan.workloads.iter().enumerate() {
        let ctx = ShardCtx {
            workload: i,
            model: w.model.clone(),
            step_base: bases[i],
            steps: w.steps.len(),
            iteration_as_step: w.iteration_as_step.is_some(),
            custom_base: custom_bases[i],
            recorder: recorder.clone(),
            segment,
            origin,
            start: origin + w.start,
            seed: mix(plan.seed ^ (i as u64).wrapping_mul(0x51_7CC1_B727_220A)),
            control: control.clone(),
            graceful,
            arrival_granularity,
        };
        drivers.push(w.driver.clone().drive(ctx));
    }
    // The drivers are polled here, in the caller's future, not spawned: a `LocalSet` polls the
    // future it runs before each batch of its tasks, so a dispatcher whose timer fired runs
    // next instead of queueing behind every VU task that network events woke meanwhile.
    join_all(drivers).await;
}
