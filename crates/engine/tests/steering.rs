//! Changes by hand in real time (threaded runner): pause/resume skips exactly the arrivals of
//! the paused span, scale changes the rate from the change's instant, a VU count set by hand
//! starts VUs past the plan's most, and a stop by hand stops the run. The figures compared are
//! counts of the schedule at the recorded instants, not wall-clock samples.

use crate::common::*;
use loadgen_engine::{
    run, Change, ClosedModel, Command, ConstantRate, Event, Model, OpenModel, RunControl,
    RunOptions, Spacing, ThinkTime, VuStages, Workload,
};
use std::sync::Arc;
use std::time::Duration;

const RATE: f64 = 200.0;

fn open_workload(secs: u64) -> Workload {
    let script = Scripted::fixed(ms(1));
    *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
    let m = OpenModel {
        rate: Arc::new(ConstantRate(RATE)),
        duration: Duration::from_secs(secs),
        spacing: Spacing::Uniform,
        max_vus: 50,
        pre_allocated_vus: 4,
        backlog: 0,
        vu_order: Default::default(),
    };
    Workload::new("o", vec!["s".into()], Model::Open(m), script)
}

/// Runs `w` on 2 threads with 250 ms intervals, asking `ask(interval index)` for a change after
/// each interval; returns the report and the changes in the order the run emitted them.
fn steer(
    w: Workload,
    ask: impl Fn(u64) -> Option<Command>,
) -> (loadgen_engine::FinalReport, Vec<Change>, RunControl) {
    let opts = RunOptions {
        threads: 2,
        interval: ms(250),
        ..RunOptions::default()
    };
    let control = RunControl::new();
    let mut changes = Vec::new();
    let report = run(&plan(w), &opts, &control, |e| match e {
        Event::Interval(r) => {
            if let Some(what) = ask(r.index) {
                control.request("test", what).unwrap();
            }
        }
        Event::Changed(c) => changes.push((*c).clone()),
        Event::Started { .. } => {}
    })
    .unwrap();
    (report, changes, control)
}

/// Arrivals of the uniform schedule at `RATE` in `[from, to)`, give or take one at each end
/// (an arrival can sit exactly on a millisecond boundary).
fn arrivals(from: Duration, to: Duration) -> f64 {
    (to.as_secs_f64() - from.as_secs_f64()) * RATE
}

#[test]
fn a_paused_span_skips_exactly_its_arrivals_and_drops_none() {
    let (report, changes, _) = steer(open_workload(2), |i| match i {
        1 => Some(Command::Pause),
        4 => Some(Command::Resume),
        _ => None,
    });
    let what: Vec<Command> = changes.iter().map(|c| c.what).collect();
    assert_eq!(what, [Command::Pause, Command::Resume]);
    let w = &report.totals.workloads[0];
    let skipped = arrivals(changes[0].at, changes[1].at);
    assert!(
        (w.skipped_paused as f64 - skipped).abs() <= 2.0,
        "{} skipped, {skipped} in the span",
        w.skipped_paused
    );
    assert!(w.skipped_paused > 0);
    let sent = report.totals.total_requests();
    assert_eq!(sent + w.skipped_paused + w.dropped, 400, "no arrival lost");
}

#[test]
fn scaling_by_two_doubles_the_arrivals_after_the_change() {
    let (report, changes, _) = steer(open_workload(2), |i| {
        (i == 2).then_some(Command::Scale(2.0))
    });
    assert_eq!(changes.len(), 1);
    let at = changes[0].at;
    let expected = arrivals(Duration::ZERO, at) + 2.0 * arrivals(at, Duration::from_secs(2));
    let sent = report.totals.total_requests() + report.totals.total_dropped();
    assert!(
        (sent as f64 - expected).abs() <= 2.0,
        "{sent} vs {expected}"
    );
    assert!(sent > 500, "{sent}: the second part ran at twice the rate");
}

#[test]
fn a_vu_count_set_by_hand_starts_vus_past_the_plan_and_a_stop_ends_the_run() {
    let script = Scripted::fixed(ms(5));
    *script.origin.lock().unwrap() = Some(tokio::time::Instant::now());
    let m = ClosedModel {
        stages: VuStages::constant(2, Duration::from_secs(30)),
        think: ThinkTime::None,
        iterations: None,
    };
    let w = Workload::new("c", vec!["s".into()], Model::Closed(m), script);
    let (report, changes, control) = steer(w, |i| match i {
        0 => Some(Command::Vus(5)),
        3 => Some(Command::Stop),
        _ => None,
    });
    assert_eq!(changes.len(), 2);
    let w = &report.totals.workloads[0];
    assert_eq!(w.allocated_vus, 5, "three VUs started past the plan's two");
    assert_eq!(w.peak_online_vus, 5);
    assert!(report.stopped_early && control.stopped_by_hand());
    assert!(
        report.elapsed < Duration::from_secs(10),
        "{:?}",
        report.elapsed
    );
    // A pause needs an open workload.
    assert!(control.request("t", Command::Pause).is_err());
}
