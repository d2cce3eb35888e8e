//! The threaded runner in real time: counts are exact; intervals arrive in order.

use crate::common::*;
use loadgen_engine::{
    run, ClosedModel, ConstantRate, Event, Model, OpenModel, RunControl, RunOptions, Spacing,
    ThinkTime, VuStages, Workload,
};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn threads_split_the_plan_and_the_aggregator_adds_every_interval() {
    let script = Scripted::fixed(ms(1));
    *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
    let m = OpenModel {
        rate: Arc::new(ConstantRate(400.0)),
        duration: Duration::from_millis(1500),
        spacing: Spacing::Uniform,
        max_vus: 100,
        pre_allocated_vus: 4,
        backlog: 0,
        vu_order: Default::default(),
    };
    let p = plan(Workload::new(
        "o",
        vec!["s".into()],
        Model::Open(m),
        script.clone(),
    ));
    let opts = RunOptions {
        threads: 2,
        interval: Duration::from_millis(500),
        ..RunOptions::default()
    };
    let mut indices = Vec::new();
    let mut summed = 0;
    let report = run(&p, &opts, &RunControl::new(), |e| {
        if let Event::Interval(r) = e {
            indices.push(r.index);
            summed += r.metrics.total_requests();
        }
    })
    .unwrap();
    assert_eq!(report.totals.total_requests(), 600);
    assert_eq!(summed, 600);
    let mut sorted = indices.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(indices, sorted, "intervals in order, each once");
    assert!(indices.len() >= 3);
    assert!(!report.stopped_early);
}

/// Runs `workload` on 2 threads with 500 ms intervals; returns (index, length, requests) per
/// row and the report.
fn rows_of(workload: Workload) -> (Vec<(u64, Duration, u64)>, loadgen_engine::FinalReport) {
    let opts = RunOptions {
        threads: 2,
        interval: ms(500),
        ..RunOptions::default()
    };
    let mut rows = Vec::new();
    let report = run(&plan(workload), &opts, &RunControl::new(), |e| {
        if let Event::Interval(r) = e {
            rows.push((r.index, r.length, r.metrics.total_requests()));
        }
    })
    .unwrap();
    (rows, report)
}

fn open_for(rate: f64, duration: Duration, script: &Scripted) -> Workload {
    *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
    let m = OpenModel {
        rate: Arc::new(ConstantRate(rate)),
        duration,
        spacing: Spacing::Uniform,
        max_vus: 50,
        pre_allocated_vus: 4,
        backlog: 0,
        vu_order: Default::default(),
    };
    Workload::new("o", vec!["s".into()], Model::Open(m), script.clone())
}

#[test]
fn rows_end_with_the_schedule_not_with_its_last_arrival_and_add_up() {
    // 2/s for 1.2 s: arrivals at 0, 0.5 and 1.0 s; the load still runs until 1.2 s.
    let script = Scripted::fixed(ms(20));
    let (rows, report) = rows_of(open_for(2.0, ms(1200), &script));
    assert_eq!(report.elapsed, ms(1200));
    let shape: Vec<(u64, Duration)> = rows.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(shape, vec![(0, ms(500)), (1, ms(500)), (2, ms(200))]);
    assert_eq!(rows.iter().map(|r| r.2).sum::<u64>(), 3);
    assert_eq!(report.totals.total_requests(), 3);
    assert_eq!(report.intervals, 3);
}

#[test]
fn a_run_ending_on_an_interval_boundary_has_no_tail_row() {
    // In-flight iterations finish after the end (the graceful stop): counted in the last row.
    let script = Scripted::fixed(ms(40));
    let (rows, report) = rows_of(open_for(200.0, ms(1000), &script));
    assert_eq!(report.elapsed, ms(1000));
    let shape: Vec<(u64, Duration)> = rows.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(shape, vec![(0, ms(500)), (1, ms(500))]);
    assert_eq!(rows.iter().map(|r| r.2).sum::<u64>(), 200);
}

#[test]
fn a_closed_run_ends_when_its_vus_have_run_their_iterations() {
    let script = Scripted::fixed(ms(100));
    *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
    let m = ClosedModel {
        stages: VuStages::constant(2, Duration::from_secs(30)),
        think: ThinkTime::None,
        iterations: Some(3),
    };
    let (rows, report) = rows_of(Workload::new(
        "c",
        vec!["s".into()],
        Model::Closed(m),
        script,
    ));
    // Three 100 ms iterations: about 0.3 s, and in any case far from the 30 s plan.
    assert!(
        report.elapsed >= ms(300) && report.elapsed < ms(10_000),
        "{:?}",
        report.elapsed
    );
    let (index, length, _) = *rows.last().unwrap();
    assert_eq!(ms(500) * index as u32 + length, report.elapsed);
    assert_eq!(rows.iter().map(|r| r.2).sum::<u64>(), 6);
    let peak = report.totals.workloads[0].peak_online_vus;
    assert_eq!(peak, 2, "both VUs online");
}

/// A workload whose session promises one record per iteration from its intended start gets
/// its iteration durations from the step's latencies, row by row, exactly as if each had
/// been recorded beside its step.
#[test]
fn an_iteration_that_is_its_step_takes_its_duration_from_the_step() {
    let durations = |promise: bool| {
        let script = Scripted::with(|_, i| ms(1 + i % 3));
        *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
        let m = ClosedModel {
            stages: VuStages::constant(2, Duration::from_secs(30)),
            think: ThinkTime::None,
            iterations: Some(60),
        };
        let mut w = Workload::new("c", vec!["s".into()], Model::Closed(m), script);
        if promise {
            w = w.with_iteration_as_step(0);
        }
        let opts = RunOptions {
            threads: 2,
            interval: ms(200),
            ..RunOptions::default()
        };
        let mut rows = Vec::new();
        let report = run(&plan(w), &opts, &RunControl::new(), |e| {
            if let Event::Interval(r) = e {
                let m = &r.metrics;
                rows.push((
                    m.workloads[0].iteration_duration.len(),
                    m.steps[0].latency_all().len(),
                ));
            }
        })
        .unwrap();
        (rows, report)
    };
    for promise in [false, true] {
        let (rows, report) = durations(promise);
        let t = &report.totals;
        assert!(t.workloads[0].iterations > 0);
        assert_eq!(
            t.workloads[0].iteration_duration.len(),
            t.workloads[0].iterations
        );
        assert_eq!(t.workloads[0].iteration_duration, t.steps[0].latency_all());
        for (took, steps) in rows {
            assert_eq!(took, steps, "promise {promise}: every row derives its own");
        }
    }
}

#[test]
fn a_results_thread_that_falls_behind_holds_workers_back_bounded_and_says_so() {
    // 200 intervals of 5 ms in a 1 s run, each taking the results thread at least 10 ms:
    // it can take at most 100 during the run, so the workers run a whole backlog ahead of it.
    let script = Scripted::fixed(ms(1));
    let p = plan(open_for(200.0, ms(1000), &script));
    let opts = RunOptions {
        threads: 1,
        interval: ms(5),
        ..RunOptions::default()
    };
    let mut summed = 0;
    let mut rows = 0u64;
    let report = run(&p, &opts, &RunControl::new(), |e| {
        if let Event::Interval(r) = e {
            rows += 1;
            summed += r.metrics.total_requests();
            std::thread::sleep(ms(10));
        }
    })
    .unwrap();
    assert!(
        rows > loadgen_engine::BACKLOG_PER_THREAD as u64 + 100,
        "{rows} rows"
    );
    // Held back, arrivals bunch up past the VU pool: each is either run or counted dropped.
    let (done, dropped) = (
        report.totals.total_requests(),
        report.totals.total_dropped(),
    );
    assert_eq!(done + dropped, 200, "{done} done, {dropped} dropped");
    assert_eq!(summed, done, "every row reached the results thread");
    assert!(
        report.results_wait > Duration::ZERO,
        "the worker waited for room and the wait was measured"
    );
}
