//! The threaded runner in real time: counts are exact; intervals arrive in order.

use crate::common::*;
use loadgen_engine::{
    run, ConstantRate, Event, Model, OpenModel, RunControl, RunOptions, Spacing, Workload,
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
