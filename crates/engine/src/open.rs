//! The open-model driver: releases arrivals on schedule to idle VUs, drops when none is free.

use crate::arrival::ArrivalSchedule;
use crate::histogram::record_micros;
use crate::plan::OpenModel;
use crate::session::{Iteration, Session, SessionFactory};
use crate::shard::{wait_until, ShardCtx};
use std::cell::RefCell;
use std::rc::Rc;
use tokio::task::JoinSet;
use tokio::time::Instant;

struct IdleVu<S> {
    id: u64,
    iterations: u64,
    session: S,
}

pub(crate) async fn drive<F: SessionFactory>(factory: &F, m: &OpenModel, ctx: ShardCtx) {
    let max_local = ctx.segment.share_of(m.max_vus);
    let pool: Rc<RefCell<Vec<IdleVu<F::Session>>>> = Rc::new(RefCell::new(Vec::new()));
    let mut allocated = 0u64;
    let new_vu = |allocated: &mut u64| {
        let info = ctx.vu_info(*allocated);
        *allocated += 1;
        ctx.with_workload(|w| w.allocated_vus += 1);
        IdleVu {
            id: info.id,
            iterations: 0,
            session: factory.session(info),
        }
    };
    let pre = ctx.segment.share_of(m.pre_allocated_vus.min(m.max_vus));
    for _ in 0..pre {
        let vu = new_vu(&mut allocated);
        pool.borrow_mut().push(vu);
    }

    let schedule =
        ArrivalSchedule::new(m.rate.clone(), m.duration, m.spacing, ctx.seed, ctx.segment);
    let mut tasks = JoinSet::new();
    // Arrivals already due are released without sleeping; when the thread is behind
    // schedule, yield now and then so the VUs it started get to run (and come back to the
    // pool) instead of the dispatcher starving them and dropping everything after.
    let mut released_without_yield = 0u32;
    for (_, offset) in schedule {
        let intended = ctx.start + offset;
        if intended > Instant::now() {
            released_without_yield = 0;
        } else {
            released_without_yield += 1;
            if released_without_yield >= 64 {
                released_without_yield = 0;
                tokio::task::yield_now().await;
            }
        }
        if !wait_until(intended, &ctx.control.stop).await {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let idle = pool.borrow_mut().pop();
        let mut vu = match idle {
            Some(vu) => vu,
            None if allocated < max_local => new_vu(&mut allocated),
            None => {
                ctx.with_workload(|w| w.dropped += 1);
                continue;
            }
        };
        ctx.with_workload(|w| w.vu_busy());
        let (recorder, pool, workload, step_base) = (
            ctx.recorder.clone(),
            pool.clone(),
            ctx.workload,
            ctx.step_base,
        );
        tasks.spawn_local(async move {
            let lag = Instant::now().saturating_duration_since(intended);
            recorder
                .with(|m| record_micros(&mut m.workloads[workload].lag, lag.as_micros() as u64));
            let it = Iteration::new(&recorder, step_base, vu.id, vu.iterations, intended);
            vu.session.iteration(&it).await;
            vu.iterations += 1;
            recorder.with(|m| {
                let w = &mut m.workloads[workload];
                w.iterations += 1;
                w.active_vus -= 1;
            });
            pool.borrow_mut().push(vu);
        });
    }
    ctx.drain(&mut tasks).await;
}
