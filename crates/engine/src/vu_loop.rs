//! The closed-model driver: each VU loops iteration → think time while the stages keep it on.

use crate::plan::ClosedModel;
use crate::session::{Iteration, Session, SessionFactory};
use crate::shard::{wait_until, ShardCtx};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub(crate) async fn drive<F: SessionFactory>(factory: &F, m: &ClosedModel, ctx: ShardCtx) {
    // `ending` fires at the end of the stages or on stop: VUs waiting or thinking leave then,
    // VUs inside an iteration finish it (graceful) unless the drain deadline passes.
    let ending = ctx.control.stop.child_token();
    let end = ctx.start + m.stages.total_duration();
    let mut tasks = JoinSet::new();
    let total = m.stages.max_vus();
    for (local, vu) in (0..total).filter(|v| ctx.segment.contains(*v)).enumerate() {
        let info = ctx.vu_info(local as u64);
        debug_assert_eq!(info.id, vu);
        let mut session = factory.session(info);
        let stages = m.stages.clone();
        let (think, limit) = (m.think, m.iterations);
        let (recorder, ending, start) = (ctx.recorder.clone(), ending.clone(), ctx.start);
        let (workload, step_base, custom_base) = (ctx.workload, ctx.step_base, ctx.custom_base);
        ctx.with_workload(|w| w.allocated_vus += 1);
        tasks.spawn_local(async move {
            let mut rng = SmallRng::seed_from_u64(info.seed);
            let mut number = 0u64;
            loop {
                let now = Instant::now();
                let t = now.saturating_duration_since(start).as_secs_f64();
                let Some(on) = stages.next_active(vu, t) else {
                    break;
                };
                if !wait_until(start + Duration::from_secs_f64(on), &ending).await {
                    break;
                }
                let intended = Instant::now();
                recorder.with(|m| m.workloads[workload].vu_busy());
                let it = Iteration::new(&recorder, step_base, vu, number, intended)
                    .with_custom_base(custom_base);
                session.iteration(&it).await;
                recorder.with(|m| {
                    let w = &mut m.workloads[workload];
                    w.iterations += 1;
                    w.active_vus -= 1;
                });
                number += 1;
                if limit.is_some_and(|l| number >= l) {
                    break;
                }
                let pause = think.sample(&mut rng);
                if !pause.is_zero() && !wait_until(Instant::now() + pause, &ending).await {
                    break;
                }
            }
        });
    }
    tokio::select! {
        biased;
        _ = ctx.control.stop.cancelled() => {}
        _ = tokio::time::sleep_until(end) => {}
        _ = async { while tasks.join_next().await.is_some() {} } => {}
    }
    ending.cancel();
    ctx.drain(&mut tasks).await;
}
