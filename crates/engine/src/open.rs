//! The open-model driver: releases arrivals on schedule to idle VUs; when none is free and
//! the pool is full, arrivals wait in a bounded backlog for the next VU, then are dropped.

use crate::arrival::ArrivalSchedule;
use crate::ctx::{join_all, ShardCtx};
use crate::histogram::record_micros;
use crate::model::{OpenModel, VuOrder};
use crate::open_vu::{Crew, Mailbox, Tasks, Vu};
use crate::pacing::{worth_pacing, Pacing};
use crate::session::{Session, SessionFactory, VuInfo};
use crate::steer::Steer;
use loadgen_pace::ArrivalTimer;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use tokio::sync::Notify;
use tokio::time::Instant;

pub(crate) async fn drive<F: SessionFactory>(factory: &F, m: &OpenModel, ctx: ShardCtx) {
    let max_local = ctx.segment.share_of(m.max_vus);
    // Before the first session: sessions made while it is on pace their reads.
    let pacing = Pacing::new(
        worth_pacing(m, ctx.steps, ctx.segment, ctx.arrival_granularity),
        ctx.arrival_granularity,
    );
    let paced_reads = pacing.is_on();
    let mut allocated = 0u64;
    // `online`: when the VU comes online (`None` for pre-allocated ones: at the clock's start).
    let new_vu = |allocated: &mut u64, online: Option<Instant>| {
        let info = ctx.vu_info(*allocated);
        let slot = *allocated as usize;
        *allocated += 1;
        ctx.recorder.tally(|t| {
            t.metrics.workloads[ctx.workload].allocated_vus += 1;
            if let Some(at) = online {
                t.vu_online(ctx.workload, at);
            }
        });
        Vu {
            id: info.id,
            slot,
            iterations: 0,
            session: factory.session(VuInfo {
                paced_reads,
                ..info
            }),
        }
    };
    let pre = ctx.segment.share_of(m.pre_allocated_vus.min(m.max_vus));
    let mut warming: Vec<_> = (0..pre).map(|_| new_vu(&mut allocated, None)).collect();

    let mut timer = ArrivalTimer::new(ctx.arrival_granularity);
    warm_up(&mut warming, &mut timer, &ctx).await;
    if Instant::now() < ctx.start {
        // Warm before the start: the pool comes online with the clock, not earlier.
        tokio::select! {
            biased;
            _ = ctx.control.stop.cancelled() => {}
            _ = timer.sleep_until(ctx.start) => {}
        }
    }
    let online = Instant::now();
    ctx.recorder.tally(|t| {
        for _ in 0..pre {
            t.vu_online(ctx.workload, online);
        }
    });

    let mut schedule =
        ArrivalSchedule::new(m.rate.clone(), m.duration, m.spacing, ctx.seed, ctx.segment);
    // One task per VU for its life (open_vu.rs); the drain aborts what is still running, and
    // the crew's `all_idle` wakes it when the last busy VU goes idle.
    let crew = Rc::new(Crew {
        recorder: ctx.recorder.clone(),
        workload: ctx.workload,
        step_base: ctx.step_base,
        custom_base: ctx.custom_base,
        derived: ctx.iteration_as_step,
        idle_pool: RefCell::new((0..warming.len()).collect()),
        backlog: RefCell::new(VecDeque::new()),
        all_idle: Notify::new(),
    });
    let mut tasks = Tasks::default();
    for vu in warming {
        tasks.start(vu, Mailbox::default(), &crew);
    }
    let backlog_cap = ctx.segment.share_of(m.backlog);
    // Arrivals already due are released without sleeping; when the thread is behind
    // schedule, yield now and then so the VUs it started get to run (and come back to the
    // pool) instead of the dispatcher starving them and dropping everything after.
    let mut released_without_yield = 0u32;
    // The duration is a promise: however far behind the generator is, it stops releasing at
    // the planned end plus the graceful stop, and what was never sent is counted as dropped
    // (counting the rest of the schedule is cheap next to releasing it).
    let hard_end = ctx.start + m.duration + ctx.graceful;
    ctx.recorder
        .tally(|t| t.planned_end(ctx.workload, ctx.start + m.duration));
    // Changes by hand reach this loop where it waits anyway (see control.rs).
    let mut steer = Steer::new(ctx.control.subscribe(), ctx.origin, ctx.start);
    let mut next = schedule.next();
    while let Some((_, offset)) = next {
        let intended = ctx.start + offset;
        let mut now = Instant::now();
        if now >= hard_end {
            let unsent = 1 + schedule.by_ref().count() as u64;
            ctx.with_workload(|w| w.dropped += unsent);
            break;
        }
        if intended > now {
            released_without_yield = 0;
        } else {
            released_without_yield += 1;
            if released_without_yield >= 64 {
                released_without_yield = 0;
                // Ticked first: the VUs whose answers came run in this yield, not 64 later.
                pacing.tick();
                tokio::task::yield_now().await;
                if steer.has_news() {
                    next = steer.apply_open(&mut schedule, next);
                    continue;
                }
            }
        }
        if ctx.control.is_stopped() {
            break;
        }
        if intended > now {
            tokio::select! {
                biased;
                _ = ctx.control.stop.cancelled() => break,
                _ = steer.changed() => {
                    next = steer.apply_open(&mut schedule, next);
                    continue;
                }
                woke = pacing.sleep_until(&mut timer, intended) => now = woke,
            }
        }
        next = schedule.next();
        if steer.paused(offset) {
            ctx.with_workload(|w| w.skipped_paused += 1);
            continue;
        }
        let free = match m.vu_order {
            VuOrder::Fifo => crew.idle_pool.borrow_mut().pop_front(),
            VuOrder::Lifo => crew.idle_pool.borrow_mut().pop_back(),
        };
        match free {
            Some(slot) => {
                ctx.recorder.tally(|t| t.vu_busy(ctx.workload, now));
                tasks.post(slot, intended);
            }
            None if allocated < max_local => {
                let vu = new_vu(&mut allocated, Some(now));
                ctx.recorder.tally(|t| t.vu_busy(ctx.workload, now));
                tasks.start(vu, Mailbox::holding(intended), &crew);
            }
            None => {
                let mut waiting = crew.backlog.borrow_mut();
                if (waiting.len() as u64) < backlog_cap {
                    waiting.push_back(intended);
                    // Lag is the generator's lateness, taken now; the wait for a VU that
                    // follows is the pool's, and shows in latency and in `queued`.
                    let lag = Instant::now().saturating_duration_since(intended);
                    ctx.with_workload(|w| {
                        w.queued += 1;
                        record_micros(&mut w.lag, lag.as_micros() as u64);
                    });
                } else {
                    ctx.with_workload(|w| w.dropped += 1);
                }
            }
        }
    }
    // The load runs to the schedule's end, not to its last arrival (a ramp from 0/s may have
    // its last arrival seconds before the end): VUs keep taking waiting arrivals meanwhile.
    let end = ctx.start + m.duration;
    let ended = if ctx.control.is_stopped() {
        Instant::now()
    } else {
        // Ticking meanwhile for the paced VUs still at work.
        tokio::select! {
            biased;
            _ = ctx.control.stop.cancelled() => Instant::now(),
            _ = pacing.sleep_until(&mut timer, end) => end,
        }
    };
    ctx.recorder
        .tally(|t| t.load_ended(ctx.workload, ended.min(end)));
    let mut ticks = Ticks {
        pacing: &pacing,
        timer: &mut timer,
    };
    drain(&ctx, &tasks, &crew, hard_end, &mut ticks).await;
    // Idle VUs wait for arrivals that will not come: their sessions close now.
    tasks.abort_all();
}

/// What keeps paced VUs reading while the dispatcher has no arrivals to wake for.
struct Ticks<'a> {
    pacing: &'a Pacing,
    timer: &'a mut ArrivalTimer,
}

/// Counts the arrivals still waiting for a VU as dropped: they will not be sent.
fn drop_waiting(ctx: &ShardCtx, backlog: &RefCell<VecDeque<Instant>>) {
    let unsent = backlog.borrow_mut().drain(..).count() as u64;
    ctx.with_workload(|w| w.dropped += unsent);
}

/// Lets the pre-allocated VUs open their connections until the workload's clock starts (as
/// wrk connects before it starts timing), all at once; those not done by then are abandoned
/// and connect in their first iteration instead.
async fn warm_up<S: Session>(vus: &mut [Vu<S>], timer: &mut ArrivalTimer, ctx: &ShardCtx) {
    let warming = vus
        .iter_mut()
        .map(|vu| Box::pin(vu.session.warm_up()))
        .collect();
    let all_warm = join_all(warming);
    tokio::select! {
        biased;
        _ = ctx.control.stop.cancelled() => {}
        _ = timer.sleep_until(ctx.start) => {}
        _ = all_warm => {}
    }
}

/// Waits for in-flight iterations up to the graceful stop, then aborts the rest and counts
/// them as interrupted (an aborted task is dropped without touching the metrics again).
async fn drain(
    ctx: &ShardCtx,
    tasks: &Tasks,
    crew: &Crew,
    hard_end: Instant,
    ticks: &mut Ticks<'_>,
) {
    // Never past the workload's planned end plus the graceful stop, however late the
    // release loop finished.
    let deadline = (Instant::now() + ctx.graceful).min(hard_end);
    loop {
        if ctx.control.is_stopped() {
            // Stopped (before or during the drain): waiting arrivals are not started any more.
            drop_waiting(ctx, &crew.backlog);
        }
        if ctx.with_workload(|w| w.active_vus) == 0 {
            return;
        }
        tokio::select! {
            biased;
            _ = ctx.control.kill.cancelled() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            _ = crew.all_idle.notified() => {}
            _ = ticks.pacing.keep_ticking(ticks.timer) => {}
        }
    }
    drop_waiting(ctx, &crew.backlog);
    tasks.abort_all();
    ctx.with_workload(|w| {
        w.interrupted += w.active_vus;
        w.active_vus = 0;
    });
}
