use crate::common::*;
use loadgen_engine::{ClosedModel, Model, RunControl, Segment, ThinkTime, VuStages, Workload};
use std::time::Duration;
use tokio::time::Instant;

fn closed(
    stages: VuStages,
    think: ThinkTime,
    iterations: Option<u64>,
    script: &Scripted,
) -> Workload {
    Workload::new(
        "c",
        vec!["s".into()],
        Model::Closed(ClosedModel {
            stages,
            think,
            iterations,
        }),
        script.clone(),
    )
}

#[tokio::test(start_paused = true)]
async fn constant_vus_loop_back_to_back() {
    let script = Scripted::fixed(ms(10));
    let w = closed(
        VuStages::constant(5, Duration::from_secs(2)),
        ThinkTime::None,
        None,
        &script,
    );
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.workloads[0].iterations, 5 * 200);
    let lat = m.steps[0].latency_all();
    assert!(lat.min() >= 10_000 && lat.max() <= 10_010);
    // One step of 10 ms per iteration: each iteration lasted as long as its step.
    let took = &m.workloads[0].iteration_duration;
    assert_eq!(took.len(), 5 * 200);
    assert!(
        took.min() >= 10_000 && took.max() <= 10_010,
        "{}",
        took.max()
    );
}

#[tokio::test(start_paused = true)]
async fn think_time_and_iteration_limits_are_respected() {
    let script = Scripted::fixed(ms(10));
    let w = closed(
        VuStages::constant(4, Duration::from_secs(2)),
        ThinkTime::Fixed(ms(90)),
        None,
        &script,
    );
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.workloads[0].iterations, 4 * 20);

    let script = Scripted::fixed(ms(10));
    let w = closed(
        VuStages::constant(3, Duration::from_secs(5)),
        ThinkTime::None,
        Some(7),
        &script,
    );
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    assert_eq!(m.workloads[0].iterations, 21);
}

#[tokio::test(start_paused = true)]
async fn ramping_vus_start_when_the_ramp_reaches_them() {
    // 0 -> 10 VUs over 10 s: VU v starts at t = v + 1 and runs 100 ms iterations until 10 s.
    let script = Scripted::fixed(ms(100));
    let stages = VuStages {
        start: 0,
        stages: vec![(Duration::from_secs(10), 10)],
    };
    let w = closed(stages, ThinkTime::None, None, &script);
    let m = run_segment(
        &plan(w),
        &script,
        Segment::WHOLE,
        Instant::now(),
        &RunControl::new(),
    )
    .await;
    let seen = script.seen_sorted();
    for v in 0..10u64 {
        let first = seen.iter().find(|s| s.0 == v).map(|s| s.2);
        if v < 9 {
            assert_eq!(first, Some(Duration::from_secs(v + 1)), "vu {v}");
        }
        let n = seen.iter().filter(|s| s.0 == v).count() as u64;
        assert_eq!(n, (10 - (v + 1)) * 10, "vu {v} iterations");
    }
    assert_eq!(m.workloads[0].interrupted, 0);
}

#[tokio::test(start_paused = true)]
async fn in_flight_iterations_past_the_graceful_stop_are_interrupted() {
    let script = Scripted::fixed(Duration::from_secs(30));
    let w = closed(
        VuStages::constant(3, Duration::from_secs(1)),
        ThinkTime::None,
        None,
        &script,
    );
    let t0 = Instant::now();
    let m = run_segment(&plan(w), &script, Segment::WHOLE, t0, &RunControl::new()).await;
    assert_eq!(m.workloads[0].interrupted, 3);
    assert_eq!(m.workloads[0].iterations, 0);
    let took = Instant::now() - t0;
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );
}
