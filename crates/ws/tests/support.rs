//! Running WebSocket workloads through the engine and reading their metrics.

use loadgen_engine::{
    run, ClosedModel, ConstantRate, CustomValue, FinalReport, Model, OpenModel, Outcome, Plan,
    RunControl, RunOptions, Spacing, ThinkTime, VuStages, Workload,
};
use loadgen_template::Template;
use loadgen_ws::metrics::{self, STEPS};
use loadgen_ws::{WsConfig, WsFactory, WsUrl};
use std::sync::Arc;
use std::time::Duration;

/// A session config for tests: a generous close wait, so a server slowed down by the other
/// tests running beside it still answers the close and every in-flight message is counted.
pub fn config(url: &str, hold: Duration) -> WsConfig {
    let mut cfg = WsConfig::new(WsUrl::parse(url).expect("url"), hold);
    cfg.close_timeout = Duration::from_secs(10);
    cfg
}

pub fn template(text: &str) -> Template {
    Template::parse(text).expect("template")
}

/// Runs `vus` sessions of one iteration each on `threads` engine threads.
pub fn run_sessions(cfg: WsConfig, vus: u64, threads: usize) -> FinalReport {
    let hold = cfg.script.hold;
    let model = Model::Closed(ClosedModel {
        stages: VuStages::constant(vus, hold + Duration::from_secs(20)),
        think: ThinkTime::None,
        iterations: Some(1),
    });
    run_model(cfg, model, threads)
}

/// Opens connections at `rate` per second for `duration` (the open model), each held for
/// the config's hold.
pub fn run_arrivals(cfg: WsConfig, rate: f64, duration: Duration, max_vus: u64) -> FinalReport {
    let model = Model::Open(OpenModel {
        rate: Arc::new(ConstantRate(rate)),
        duration,
        spacing: Spacing::Uniform,
        max_vus,
        pre_allocated_vus: max_vus,
        backlog: 0,
        vu_order: Default::default(),
    });
    run_model(cfg, model, 1)
}

fn run_model(cfg: WsConfig, model: Model, threads: usize) -> FinalReport {
    let factory = WsFactory::new(cfg).expect("factory");
    let workload = Workload::new(
        "ws",
        STEPS.iter().map(|s| s.to_string()).collect(),
        model,
        factory,
    )
    .with_custom(loadgen_ws::custom_metrics());
    let plan = Plan {
        name: "ws-test".into(),
        seed: 7,
        workloads: vec![workload],
    };
    let opts = RunOptions {
        threads,
        interval: Duration::from_millis(500),
        ..RunOptions::default()
    };
    run(&plan, &opts, &RunControl::new(), |_| {}).expect("run")
}

pub fn counter(r: &FinalReport, idx: usize) -> u64 {
    match &r.totals.custom[idx] {
        CustomValue::Counter(n) => *n,
        other => panic!("{} is not a counter: {other:?}", metrics::METRICS[idx].0),
    }
}

/// (hits, total) of a rate metric.
pub fn rate(r: &FinalReport, idx: usize) -> (u64, u64) {
    match &r.totals.custom[idx] {
        CustomValue::Rate { hits, total } => (*hits, *total),
        other => panic!("{} is not a rate: {other:?}", metrics::METRICS[idx].0),
    }
}

/// (count, p50 in µs) of a trend metric.
pub fn trend(r: &FinalReport, idx: usize) -> (u64, u64) {
    match &r.totals.custom[idx] {
        CustomValue::Trend(h) => (h.len(), h.value_at_quantile(0.5)),
        other => panic!("{} is not a trend: {other:?}", metrics::METRICS[idx].0),
    }
}

/// Peak of a gauge metric.
pub fn gauge_peak(r: &FinalReport, idx: usize) -> i64 {
    match &r.totals.custom[idx] {
        CustomValue::Gauge { peak, .. } => *peak,
        other => panic!("{} is not a gauge: {other:?}", metrics::METRICS[idx].0),
    }
}

/// Samples of step `step` with `outcome`.
pub fn step_count(r: &FinalReport, step: usize, outcome: Outcome) -> u64 {
    r.totals.steps[step].count(outcome)
}
