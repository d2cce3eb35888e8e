use crate::common::*;
use loadgen_engine::{ConstantRate, Model, OpenModel, RunControl, Segment, Spacing, Workload};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

fn open(rate: f64, secs: u64, max_vus: u64, script: &Scripted) -> Workload {
    let m = OpenModel {
        rate: Arc::new(ConstantRate(rate)),
        duration: Duration::from_secs(secs),
        spacing: Spacing::Uniform,
        max_vus,
        pre_allocated_vus: 1,
        backlog: 0,
        vu_order: Default::default(),
    };
    Workload::new("w", vec!["s".into()], Model::Open(m), script.clone())
}

#[tokio::test(start_paused = true)]
async fn constant_rate_runs_exactly_the_scheduled_arrivals() {
    let script = Scripted::fixed(ms(5));
    let p = plan(open(100.0, 2, 10, &script));
    let m = run_segment(
        &p,
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.steps[0].count(loadgen_engine::Outcome::Success), 200);
    assert_eq!(m.workloads[0].iterations, 200);
    assert_eq!(m.workloads[0].dropped, 0);
    let lat = m.steps[0].latency_all();
    assert_eq!(lat.min(), 5000);
    assert!(lat.max() <= 5005, "{}", lat.max());
    // Intended starts are exactly every 10 ms.
    let seen = script.seen_sorted();
    let mut starts: Vec<_> = seen.iter().map(|s| s.2).collect();
    starts.sort();
    assert_eq!(starts[0], Duration::ZERO);
    assert_eq!(starts[199], ms(1990));
    // One VU suffices at 5 ms per 10 ms arrival: the pool did not grow.
    assert_eq!(m.workloads[0].allocated_vus, 1);
}

#[tokio::test(start_paused = true)]
async fn a_late_generator_shows_in_latency_not_in_service_time() {
    // The run's origin is 300 ms in the past: the first 30 arrivals (every 10 ms) are due
    // before the thread gets to them, as if the generator had stalled.
    let script = Scripted::fixed(ms(2));
    let p = plan(open(100.0, 1, 100, &script));
    let origin = Instant::now() - ms(300);
    let m = run_segment(&p, &script, Segment::WHOLE, origin, &RunControl::new()).await;
    let s = &m.steps[0];
    assert_eq!(s.total(), 100);
    // An iteration's duration counts from its intended start, so the stall shows there too.
    let took = &m.workloads[0].iteration_duration;
    assert_eq!(took.len(), 100);
    assert!(took.max() >= 290_000, "{}", took.max());
    let lat = s.latency_all();
    assert!(
        lat.max() >= 300_000,
        "latency from intended start includes the stall: {}",
        lat.max()
    );
    assert!(
        s.service.max() < 2_100,
        "service time does not: {}",
        s.service.max()
    );
    let lag = &m.workloads[0].lag;
    assert!(
        lag.max() >= 299_000 && lag.len() == 100,
        "lag {} n {}",
        lag.max(),
        lag.len()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_response_counts_from_its_intended_start() {
    // Iteration 3 of VU 0 stalls for 1 s; the others take 1 ms.
    let script = Scripted::with(|vu, n| if vu == 0 && n == 3 { ms(1000) } else { ms(1) });
    let p = plan(open(50.0, 2, 50, &script));
    let m = run_segment(
        &p,
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    let lat = m.steps[0].latency_all();
    assert_eq!(lat.len(), 100);
    assert!(lat.max() >= 1_000_000);
    assert_eq!(lat.count_between(2_000, 2_000_000), 1);
    assert_eq!(m.workloads[0].dropped, 0);
}

#[tokio::test(start_paused = true)]
async fn arrivals_with_no_free_vu_are_dropped_and_counted() {
    // 100/s, each iteration 50 ms, at most 2 VUs: capacity 40/s.
    let script = Scripted::fixed(ms(50));
    let p = plan(open(100.0, 2, 2, &script));
    let m = run_segment(
        &p,
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    let w = &m.workloads[0];
    assert_eq!(
        w.iterations + w.dropped,
        200,
        "every arrival is either run or dropped"
    );
    assert!(w.dropped >= 100, "dropped {}", w.dropped);
    assert_eq!(w.allocated_vus, 2);
}

/// One VU, 100 arrivals/s for 1 s, 5 ms each, except that iteration 3 takes 55 ms: the five
/// arrivals due meanwhile find the only VU busy.
async fn one_vu_with_a_stall(backlog: u64) -> (loadgen_engine::Metrics, Scripted) {
    let script = Scripted::with(|_, n| if n == 3 { ms(55) } else { ms(5) });
    let mut w = open(100.0, 1, 1, &script);
    if let loadgen_engine::Model::Open(o) = &mut w.model {
        o.backlog = backlog;
    }
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    (m, script)
}

#[tokio::test(start_paused = true)]
async fn without_a_backlog_arrivals_during_a_stall_are_dropped() {
    let (m, _) = one_vu_with_a_stall(0).await;
    assert_eq!(m.workloads[0].dropped, 5);
    assert_eq!(m.workloads[0].queued, 0);
    assert_eq!(m.workloads[0].iterations, 95);
}

#[tokio::test(start_paused = true)]
async fn a_backlog_sends_late_arrivals_with_their_intended_start() {
    let (m, script) = one_vu_with_a_stall(10).await;
    let w = &m.workloads[0];
    assert_eq!(w.dropped, 0);
    assert_eq!(w.iterations, 100);
    // The five that came during the stall, and those the VU found waiting while it caught up.
    assert!((5..=10).contains(&w.queued), "queued {}", w.queued);
    // The waiting arrivals kept their intended starts (every 10 ms)…
    let mut starts: Vec<_> = script.seen_sorted().iter().map(|s| s.2).collect();
    starts.sort();
    let expected: Vec<_> = (0..100).map(|i| ms(10 * i)).collect();
    assert_eq!(starts, expected);
    // …so the wait is in their latency (the first one waited 45 ms for the VU), while schedule
    // lag, the generator's own lateness, stays at zero: every arrival was released on time.
    let lat = m.steps[0].latency_all();
    assert!(lat.max() >= 49_900, "latency max {}", lat.max());
    assert_eq!(w.lag.len(), 100, "one lag sample per arrival");
    assert!(w.lag.max() < 1_000, "lag max {}", w.lag.max());
    assert_eq!(w.allocated_vus, 1);
}

#[tokio::test(start_paused = true)]
async fn a_full_backlog_drops_the_rest() {
    let (m, _) = one_vu_with_a_stall(2).await;
    let w = &m.workloads[0];
    assert_eq!(w.dropped, 3);
    assert_eq!(w.iterations, 97);
    assert!(w.queued >= 2, "queued {}", w.queued);
}

/// Three pre-allocated VUs whose warm-up takes `warm_up`; the clock starts 10 ms from now.
/// Whether or not the warm-up finished, the schedule runs in full and on time.
async fn warmed_run(warm_up: Duration) -> Scripted {
    let script = Scripted::fixed(ms(1)).warming_up_for(warm_up);
    let mut w = open(100.0, 1, 3, &script);
    if let loadgen_engine::Model::Open(o) = &mut w.model {
        o.pre_allocated_vus = 3;
    }
    let origin = Instant::now() + ms(10);
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        origin,
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.workloads[0].iterations, 100);
    let lag = &m.workloads[0].lag;
    assert!(lag.max() < 1_000, "{}", lag.max());
    script
}

#[tokio::test(start_paused = true)]
async fn pre_allocated_vus_warm_up_before_the_clock_starts() {
    let script = warmed_run(ms(4)).await;
    assert_eq!(script.warmed.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_warm_up_still_running_at_the_start_is_abandoned() {
    // Warm-ups of 50 ms against a 10 ms lead: the schedule starts on time regardless.
    let script = warmed_run(ms(50)).await;
    assert_eq!(script.warmed.load(std::sync::atomic::Ordering::SeqCst), 0);
    let starts = script.seen_sorted();
    assert!(
        starts.iter().any(|s| s.2 == Duration::ZERO),
        "first arrival at the start"
    );
}

#[tokio::test(start_paused = true)]
async fn poisson_arrivals_keep_the_mean_rate() {
    let script = Scripted::fixed(ms(1));
    let mut w = open(500.0, 10, 100, &script);
    if let loadgen_engine::Model::Open(o) = &mut w.model {
        o.spacing = Spacing::Poisson;
    }
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    let n = m.workloads[0].iterations;
    assert!((4_700..=5_300).contains(&n), "{n}");
}

#[tokio::test(start_paused = true)]
async fn stop_halts_arrivals_and_graceful_stop_bounds_in_flight_work() {
    // Each iteration takes 10 s; graceful stop is 2 s: everything in flight is interrupted.
    let script = Scripted::fixed(Duration::from_secs(10));
    let p = plan(open(10.0, 60, 100, &script));
    let control = RunControl::new();
    let c2 = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(995)).await;
        c2.stop();
    });
    let t0 = Instant::now();
    let m = run_segment(&p, &script, Segment::WHOLE, t0, &control).await;
    let w = &m.workloads[0];
    assert_eq!(
        w.interrupted, 10,
        "10 arrivals in the first second, all cut off"
    );
    assert_eq!(w.iterations, 0);
    assert!(Instant::now() - t0 >= Duration::from_secs(2));
    assert!(Instant::now() - t0 < Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn the_peak_of_busy_vus_is_seen_between_interval_ends() {
    // 100/s for 1 s, each iteration busy 500 ms: 50 VUs busy at once mid-run, none at the end.
    let script = Scripted::fixed(ms(500));
    let p = plan(open(10.0 * 10.0, 1, 50, &script));
    let m = run_segment(
        &p,
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    let w = &m.workloads[0];
    assert_eq!(w.active_vus, 0);
    assert!(w.peak_active_vus >= 50, "peak {}", w.peak_active_vus);
}

/// How many distinct VUs served iterations at 50/s with 20 pre-allocated VUs taking 20 ms.
async fn vus_used(order: loadgen_engine::VuOrder) -> usize {
    let script = Scripted::fixed(ms(20));
    let m = OpenModel {
        rate: Arc::new(ConstantRate(50.0)),
        duration: Duration::from_secs(2),
        spacing: Spacing::Uniform,
        max_vus: 20,
        pre_allocated_vus: 20,
        backlog: 0,
        vu_order: order,
    };
    let p = plan(Workload::new(
        "w",
        vec!["s".into()],
        Model::Open(m),
        script.clone(),
    ));
    let m = run_segment(
        &p,
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.workloads[0].iterations, 100);
    let vus: std::collections::HashSet<u64> = script.seen_sorted().iter().map(|s| s.0).collect();
    vus.len()
}

#[tokio::test(start_paused = true)]
async fn fifo_spreads_arrivals_over_every_vu_and_lifo_keeps_one_hot() {
    // 20 ms of work every 20 ms: FIFO hands each arrival the VU idle longest, so all 20 VUs
    // (and their connections) take turns; LIFO hands it a VU that just finished, so two VUs
    // carry everything (an arrival due at the instant one finishes takes the other) —
    // "20 users" behaving like two connections.
    assert_eq!(vus_used(loadgen_engine::VuOrder::Fifo).await, 20);
    assert!(vus_used(loadgen_engine::VuOrder::Lifo).await <= 2);
}
