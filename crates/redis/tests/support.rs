//! Running Redis workloads through the engine and reading their metrics.

use loadgen_engine::{
    run, ClosedModel, CustomValue, FinalReport, Model, Outcome, Plan, RunControl, RunOptions,
    ThinkTime, VuStages, Workload,
};
use loadgen_redis::{metrics, RedisConfig, RedisFactory, RedisUrl, Step};
use loadgen_template::Template;
use std::time::Duration;

pub fn args(words: &[&str]) -> Vec<Template> {
    words.iter().map(|w| Template::parse(w).unwrap()).collect()
}

pub fn cmd(name: &str, words: &[&str]) -> Step {
    Step::command(name, args(words)).unwrap()
}

pub fn config(url: &str, steps: Vec<Step>) -> RedisConfig {
    RedisConfig::new(RedisUrl::parse(url).unwrap(), steps)
}

/// `vus` VUs running `iterations` iterations each (at most `limit` in time).
pub fn run_iterations(cfg: RedisConfig, vus: u64, iterations: u64) -> FinalReport {
    let model = Model::Closed(ClosedModel {
        stages: VuStages::constant(vus, Duration::from_secs(60)),
        think: ThinkTime::None,
        iterations: Some(iterations),
    });
    run_model(cfg, model, &RunControl::new())
}

/// `vus` VUs iterating until `control` stops them (or 60 s pass).
pub fn run_until_stopped(cfg: RedisConfig, vus: u64, control: &RunControl) -> FinalReport {
    let model = Model::Closed(ClosedModel {
        stages: VuStages::constant(vus, Duration::from_secs(60)),
        think: ThinkTime::None,
        iterations: None,
    });
    run_model(cfg, model, control)
}

fn run_model(cfg: RedisConfig, model: Model, control: &RunControl) -> FinalReport {
    let names = cfg.steps.iter().map(|s| s.name.clone()).collect();
    let factory = RedisFactory::new(cfg).unwrap();
    let workload =
        Workload::new("redis", names, model, factory).with_custom(metrics::custom_metrics());
    let plan = Plan {
        name: "redis-test".into(),
        seed: 7,
        workloads: vec![workload],
    };
    let opts = RunOptions {
        threads: 1,
        interval: Duration::from_millis(500),
        ..RunOptions::default()
    };
    run(&plan, &opts, control, |_| {}).unwrap()
}

pub fn counter(r: &FinalReport, idx: usize) -> u64 {
    match &r.totals.custom[idx] {
        CustomValue::Counter(n) => *n,
        other => panic!("{} is not a counter: {other:?}", metrics::METRICS[idx].0),
    }
}

/// Count of `outcome` over every step.
pub fn outcomes(r: &FinalReport, outcome: Outcome) -> u64 {
    r.totals.steps.iter().map(|s| s.count(outcome)).sum()
}

/// Count of `outcome` at step `step`.
pub fn at(r: &FinalReport, step: usize, outcome: Outcome) -> u64 {
    r.totals.steps[step].count(outcome)
}

/// Codes counted at step `step`, as text.
pub fn codes(r: &FinalReport, step: usize) -> Vec<(String, u64)> {
    r.totals.steps[step]
        .codes
        .iter()
        .map(|(c, n)| (c.to_string(), *n))
        .collect()
}

/// Runs `f` until it is true or `limit` passes; true if it became true.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
