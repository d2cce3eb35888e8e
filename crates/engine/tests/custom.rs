//! Custom metrics declared by a workload reach the final report exactly, across threads and
//! intervals, beside a second workload whose indices they must not disturb.

use crate::common::*;
use loadgen_engine::{
    run, ClosedModel, CustomKind, CustomMetric, CustomValue, Iteration, Model, Outcome, RunControl,
    RunOptions, Session, SessionFactory, StepSample, ThinkTime, VuInfo, VuStages, Workload,
};
use std::time::Duration;
use tokio::time::Instant;

/// Each iteration: counter +2, gauge +1 then -1 (+1 left open on odd iterations), a rate hit
/// on even iterations, and a trend of 3 ms.
#[derive(Clone)]
struct Counting;

struct CountingSession;

impl SessionFactory for Counting {
    type Session = CountingSession;
    fn session(&self, _: VuInfo) -> CountingSession {
        CountingSession
    }
}

impl Session for CountingSession {
    async fn iteration(&mut self, it: &Iteration<'_>) {
        it.count(0, 2);
        it.gauge_add(1, 1);
        if it.number.is_multiple_of(2) {
            it.gauge_add(1, -1);
        }
        it.rate(2, it.number.is_multiple_of(2));
        it.trend(3, Duration::from_millis(3));
        it.count(99, 1); // undeclared: ignored, never a panic
        let now = Instant::now();
        it.record(&StepSample {
            step: 0,
            outcome: Outcome::Success,
            intended: it.intended,
            sent: now,
            first_byte: None,
            done: now,
            connect: None,
        });
    }
}

fn closed(vus: u64, iterations: u64) -> Model {
    Model::Closed(ClosedModel {
        stages: VuStages::constant(vus, Duration::from_secs(5)),
        think: ThinkTime::None,
        iterations: Some(iterations),
    })
}

#[test]
fn custom_metrics_add_up_exactly_over_threads() {
    let script = Scripted::fixed(ms(1));
    *script.origin.lock().unwrap() = Some(Instant::now());
    let plain = Workload::new("plain", vec!["p".into()], closed(2, 3), script);
    let custom =
        Workload::new("custom", vec!["c".into()], closed(4, 10), Counting).with_custom(vec![
            CustomMetric::new("things", CustomKind::Counter),
            CustomMetric::new("open", CustomKind::Gauge),
            CustomMetric::new("even", CustomKind::Rate),
            CustomMetric::new("wait", CustomKind::Trend),
        ]);
    let mut p = plan(plain);
    p.workloads.push(custom);
    let infos = p.custom_metrics();
    assert_eq!(infos.len(), 4);
    assert_eq!(infos[3].workload, 1);
    assert_eq!(p.custom_bases(), vec![0, 0]);
    let opts = RunOptions {
        threads: 2,
        interval: Duration::from_millis(200),
        ..RunOptions::default()
    };
    let report = run(&p, &opts, &RunControl::new(), |_| {}).unwrap();
    assert_eq!(
        report.totals.steps[0].total(),
        6,
        "the plain workload ran undisturbed"
    );
    assert_eq!(report.totals.steps[1].total(), 40);
    let c = &report.totals.custom;
    assert_eq!(c.len(), 4);
    // 4 VUs × 10 iterations = 40 iterations.
    assert!(matches!(c[0], CustomValue::Counter(80)), "{:?}", c[0]);
    match &c[1] {
        // 20 odd iterations leave one connection open each.
        CustomValue::Gauge { value, peak } => {
            assert_eq!(*value, 20);
            assert!(*peak >= 20);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(
            c[2],
            CustomValue::Rate {
                hits: 20,
                total: 40
            }
        ),
        "{:?}",
        c[2]
    );
    match &c[3] {
        CustomValue::Trend(h) => {
            assert_eq!(h.len(), 40);
            assert!((2990..=3010).contains(&h.value_at_quantile(0.5)));
        }
        other => panic!("{other:?}"),
    }
}
