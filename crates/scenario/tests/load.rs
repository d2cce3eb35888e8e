//! Good scenarios: every field lands in the validated types.

use crate::common::load;
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use loadgen_scenario::threshold::{Metric, Op, Stat, Unit};
use loadgen_scenario::{BodySpec, HttpVersion, ModelSpec, RateSpec, Target};
use serde_json::json;
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn full_scenario() {
    let s = load("good/full.toml", &[]).unwrap();
    assert_eq!(s.name, "ecommerce-burst");
    assert_eq!(
        s.description.as_deref(),
        Some("Checkout under a flash sale, with browsing beside it")
    );
    assert_eq!(s.target, Target::Embedded);
    assert_eq!(s.seed, 42);
    assert_eq!(s.graceful_stop, secs(3));
    // checkout: starts at 5 s, stages 30 s + 1 m + 10 s.
    assert_eq!(s.duration, secs(105));
    assert_eq!(s.http.version, HttpVersion::Http2);
    assert!(s.http.insecure);
    assert_eq!(s.http.connect_timeout, secs(2));
    assert_eq!(s.http.timeout, secs(7));
    assert_eq!(
        s.http.headers[1],
        ("accept".into(), "application/json".into())
    );

    let checkout = &s.workloads[0];
    assert_eq!(checkout.start, secs(5));
    assert_eq!(
        checkout.model,
        ModelSpec::Open {
            rate: RateSpec::Stages {
                start: 0.0,
                stages: vec![(secs(30), 100.0), (secs(60), 100.0), (secs(10), 0.0)],
            },
            duration: secs(100),
            arrivals: Spacing::Poisson,
            max_vus: 200,
            pre_allocated_vus: 20,
        }
    );
    let pay = &checkout.steps[0];
    assert_eq!(pay.name, "create-payment");
    assert_eq!(pay.http.method, "POST");
    assert_eq!(
        pay.http.headers,
        vec![("Idempotency-Key".into(), "{{uuid}}".into())]
    );
    assert_eq!(
        pay.http.body,
        Some(BodySpec::Json(
            json!({"amount": 1250, "currency": "AUD", "reference": "order-{{vu}}-{{iteration}}"})
        ))
    );
    assert_eq!(pay.expect.status, vec![201]);
    assert_eq!(pay.expect.expected_failure_status, vec![402]);
    assert_eq!(pay.expect.body_contains.as_deref(), Some("succeeded"));
    assert_eq!(pay.expect.json, vec![("status".into(), json!("succeeded"))]);
    let get = &checkout.steps[1];
    assert_eq!(get.http.method, "GET");
    assert_eq!(get.http.body, Some(BodySpec::Text("ping".into())));
    assert!(get.expect.status.is_empty());

    let browse = &s.workloads[1];
    assert_eq!(
        browse.model,
        ModelSpec::Closed {
            stages: VuStages::constant(10, secs(60)),
            think: ThinkTime::Uniform(Duration::from_millis(500), secs(2)),
            iterations: Some(100),
        }
    );
    assert_eq!(s.thresholds.len(), 3);
    let t = &s.thresholds[1];
    assert_eq!(t.key, "latency{step=create-payment}");
    assert_eq!(t.expression, "p(99) < 1s");
    assert_eq!(
        (t.metric, t.stat, t.op, t.limit, t.unit),
        (
            Metric::Latency,
            Stat::Percentile(99.0),
            Op::Lt,
            1000.0,
            Unit::Millis
        )
    );
    assert_eq!(t.filter.step.as_deref(), Some("create-payment"));
}

#[test]
fn closed_stages_and_every_threshold_word() {
    let s = load("good/closed-stages.toml", &[]).unwrap();
    assert_eq!(s.target, Target::Url("https://staging.example.com".into()));
    assert_eq!(s.seed, 1);
    assert_eq!(s.graceful_stop, secs(5));
    assert_eq!(s.duration, secs(135));
    assert_eq!(
        s.workloads[0].model,
        ModelSpec::Closed {
            stages: VuStages {
                start: 2,
                stages: vec![(secs(30), 20), (secs(90), 20), (secs(15), 0)]
            },
            think: ThinkTime::Exponential(secs(1)),
            iterations: None,
        }
    );
    match &s.workloads[1].model {
        ModelSpec::Open {
            rate: RateSpec::Constant(r),
            duration,
            pre_allocated_vus,
            ..
        } => {
            assert!((r - 50.0 / 60.0).abs() < 1e-12);
            assert_eq!(*duration, secs(120));
            assert_eq!(*pre_allocated_vus, 5); // min(max_vus, 10)
        }
        m => panic!("{m:?}"),
    }
    let abort = s.thresholds.iter().find(|t| t.abort_on_fail).unwrap();
    assert_eq!(abort.delay_abort_eval, secs(10));
    assert_eq!(abort.filter.workload.as_deref(), Some("steady"));
    let aliased = s
        .thresholds
        .iter()
        .find(|t| t.key.starts_with("http_req_duration"))
        .unwrap();
    assert_eq!(aliased.metric, Metric::Latency);
    assert_eq!(s.thresholds.len(), 21);
}
