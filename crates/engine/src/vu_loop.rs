//! The closed-model driver: each VU loops iteration → think time while the stages keep it on.

use crate::ctx::{wait_until, ShardCtx};
use crate::model::ClosedModel;
use crate::session::{Iteration, Session, SessionFactory};
use crate::steer::{Steer, VuCount};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::rc::Rc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub(crate) async fn drive<F: SessionFactory>(factory: &F, m: &ClosedModel, ctx: ShardCtx) {
    // `ending` fires at the end of the stages or on stop: VUs waiting or thinking leave then,
    // VUs inside an iteration finish it (graceful) unless the drain deadline passes.
    let ending = ctx.control.stop.child_token();
    let end = ctx.start + m.stages.total_duration();
    ctx.recorder.tally(|t| t.planned_end(ctx.workload, end));
    let mut tasks = JoinSet::new();
    let count = Rc::new(VuCount::default());
    let mut spawned = 0u64;
    let mut spawn = |tasks: &mut JoinSet<()>, upto: u64| {
        for vu in spawned..upto {
            if ctx.segment.contains(vu) {
                spawn_vu(factory, m, &ctx, &ending, &count, vu, tasks);
            }
        }
        spawned = spawned.max(upto);
    };
    spawn(&mut tasks, m.stages.max_vus());
    // VU counts set by hand: the VUs re-read the count, and ids past the plan's most are
    // started here.
    let mut steer = Steer::new(ctx.control.subscribe(), ctx.origin, ctx.start);
    // The load ends at the end of the stages, on a stop, or when every VU has left (all ran
    // their `iterations`): nothing starts after it, in-flight iterations drain.
    let ended = loop {
        tokio::select! {
            biased;
            _ = ctx.control.stop.cancelled() => break Instant::now(),
            _ = tokio::time::sleep_until(end) => break end,
            _ = steer.changed() => {
                for (at, n) in steer.take_vus() {
                    let from = at.saturating_duration_since(ctx.start).as_secs_f64();
                    count.set(from, n);
                    spawn(&mut tasks, n);
                }
            }
            _ = async { while tasks.join_next().await.is_some() {} } => {
                // The last iteration's end (its last completion), never a future instant.
                break ctx.recorder.tally(|t| t.latest(ctx.start)).min(Instant::now());
            }
        }
    };
    ctx.recorder
        .tally(|t| t.load_ended(ctx.workload, ended.min(end)));
    ending.cancel();
    ctx.drain(&mut tasks).await;
}

/// Starts VU `vu` of the workload on this thread (it must be in the thread's segment).
fn spawn_vu<F: SessionFactory>(
    factory: &F,
    m: &ClosedModel,
    ctx: &ShardCtx,
    ending: &CancellationToken,
    count: &Rc<VuCount>,
    vu: u64,
    tasks: &mut JoinSet<()>,
) {
    {
        let local = (vu - ctx.segment.index) / ctx.segment.count.max(1);
        let info = ctx.vu_info(local);
        debug_assert_eq!(info.id, vu);
        let mut session = factory.session(info);
        let stages = m.stages.clone();
        let (think, limit) = (m.think, m.iterations);
        let (recorder, ending, start) = (ctx.recorder.clone(), ending.clone(), ctx.start);
        let (workload, step_base, custom_base) = (ctx.workload, ctx.step_base, ctx.custom_base);
        let derived = ctx.iteration_as_step;
        let count = count.clone();
        ctx.with_workload(|w| w.allocated_vus += 1);
        tasks.spawn_local(async move {
            let mut rng = SmallRng::seed_from_u64(info.seed);
            let mut number = 0u64;
            // Online from the moment the stages turn this VU on until it leaves; think time
            // included (k6 counts such a VU in `vus`).
            let mut online = false;
            // Busy from an iteration's start until the VU pauses (think time, a wait for the
            // stages, leaving): back-to-back iterations keep it busy without touching the
            // tally, so the no-think loop pays nothing per iteration for the VU counts. The
            // pause starts at the last iteration's last completion (no await came between).
            let mut busy_since: Option<Instant> = None;
            let idle = |busy_since: &mut Option<Instant>| {
                if let Some(began) = busy_since.take() {
                    recorder.tally(|t| {
                        let done = t.latest(began);
                        t.vu_idle(workload, done);
                    });
                }
            };
            loop {
                let now = Instant::now();
                let t = now.saturating_duration_since(start).as_secs_f64();
                let Some(on) = count.next_active(&stages, vu, t) else {
                    // Off for the rest of the stages, unless a VU count set by hand turns it
                    // on again: wait for one, offline.
                    idle(&mut busy_since);
                    if online {
                        recorder.tally(|t| t.vu_offline(workload, now));
                        online = false;
                    }
                    tokio::select! {
                        biased;
                        _ = ending.cancelled() => break,
                        _ = count.changed.notified() => continue,
                    }
                };
                // On already (`t` itself, the clock past the start): now, without a round trip
                // through seconds that could land a nanosecond past it and sleep for nothing.
                let on = if on <= t && now >= start {
                    now
                } else {
                    start + Duration::from_secs_f64(on)
                };
                if on > now {
                    idle(&mut busy_since);
                    if online {
                        // A ramp-down turned it off until the stages reach it again.
                        recorder.tally(|t| t.vu_offline(workload, now));
                        online = false;
                    }
                }
                if on > now {
                    // A VU count set by hand may turn it on (or keep it off) meanwhile.
                    tokio::select! {
                        biased;
                        _ = ending.cancelled() => break,
                        _ = count.changed.notified() => continue,
                        _ = tokio::time::sleep_until(on) => {}
                    }
                } else if ending.is_cancelled() {
                    break;
                }
                // Without a wait for the stages nothing was awaited since `now` was read: it is
                // the iteration's start, without reading the clock again.
                let intended = if on > now { Instant::now() } else { now };
                if busy_since.is_none() {
                    recorder.tally(|t| {
                        if !online {
                            t.vu_online(workload, intended);
                        }
                        t.vu_busy(workload, intended);
                    });
                    online = true;
                }
                busy_since = Some(intended);
                let it = Iteration::new(&recorder, step_base, vu, number, intended)
                    .with_custom_base(custom_base)
                    .with_ending(&ending);
                session.iteration(&it).await;
                let took = if derived { None } else { it.duration() };
                recorder.with(|m| m.workloads[workload].iteration_done(took));
                number += 1;
                if limit.is_some_and(|l| number >= l) {
                    break;
                }
                let pause = think.sample(&mut rng);
                if !pause.is_zero() {
                    idle(&mut busy_since);
                    if !wait_until(Instant::now() + pause, &ending).await {
                        break;
                    }
                }
            }
            idle(&mut busy_since);
            if online {
                recorder.tally(|t| t.vu_offline(workload, Instant::now()));
            }
        });
    }
}
