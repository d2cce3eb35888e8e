//! summary.json and summary.txt.

use loadgen_engine::{FinalReport, Metrics, Outcome, StepInfo};
use loadgen_scenario::{RunSummary, ThresholdResult};
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

fn steps() -> Vec<StepInfo> {
    vec![
        StepInfo {
            workload: 0,
            workload_name: "checkout".into(),
            name: "pay".into(),
        },
        StepInfo {
            workload: 1,
            workload_name: "browse".into(),
            name: "list".into(),
        },
    ]
}

fn summary(results: &[ThresholdResult], code: i32) -> RunSummary {
    let mut totals = Metrics::new(2, 2);
    for i in 1..=10 {
        let d = Duration::from_millis(i * 10);
        totals.steps[0].record(Outcome::Success, d, d / 2, Some(d / 4), None);
    }
    totals.steps[0].record(
        Outcome::ExpectedFailure,
        Duration::from_millis(5),
        Duration::from_millis(5),
        None,
        None,
    );
    totals.steps[0].record(
        Outcome::Http5xx,
        Duration::from_millis(7),
        Duration::from_millis(7),
        None,
        None,
    );
    totals.workloads[0].iterations = 12;
    totals.workloads[0].dropped = 1;
    totals.workloads[0].active_vus = 4;
    totals.workloads[0].lag.record(1_500).unwrap();
    let started = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let report = FinalReport {
        started_at: started,
        elapsed: Duration::from_secs(4),
        totals,
        stopped_early: false,
        intervals: 4,
    };
    RunSummary::build(
        "ecommerce-burst",
        started,
        &report,
        &steps(),
        &["checkout".to_string(), "browse".to_string()],
        results,
        code,
    )
}

fn result(passed: bool) -> ThresholdResult {
    let s = loadgen_scenario::parse(
        "name = \"t\"\ntarget = \"embedded\"\nduration = \"1s\"\n[[workload]]\nname = \"checkout\"\nmodel = \"closed\"\nvus = 1\n[[workload.step]]\nname = \"pay\"\nhttp = { method = \"GET\", path = \"/\" }\n[thresholds]\n\"latency{step=pay}\" = [\"p(95) < 500ms\"]\n",
        "t.toml",
        &|_| None,
    )
    .unwrap();
    let mut r =
        s.thresholds[0].evaluate(&Metrics::new(1, 1), &steps()[..1], Duration::from_secs(1));
    r.passed = passed;
    r
}

#[test]
fn json_has_every_field() {
    let s = summary(&[result(true)], 0);
    let v: Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["scenario"], "ecommerce-burst");
    assert_eq!(v["started_at"], "2023-11-14T22:13:20Z");
    assert_eq!(v["elapsed_ms"], 4000.0);
    let pay = &v["steps"][0];
    assert_eq!(pay["workload"], "checkout");
    assert_eq!(pay["step"], "pay");
    assert_eq!(pay["count"], 12);
    assert_eq!(pay["rate"], 3.0);
    assert_eq!(pay["outcomes"]["success"], 10);
    assert_eq!(pay["outcomes"]["expected_failure"], 1);
    assert_eq!(pay["outcomes"]["http_5xx"], 1);
    assert_eq!(pay["errors"], 1);
    assert!((pay["error_rate"].as_f64().unwrap() - 1.0 / 12.0).abs() < 1e-12);
    for k in ["min", "p50", "p90", "p95", "p99", "p999", "max", "mean"] {
        assert!(pay["latency"][k].is_number(), "latency.{k}");
        assert!(pay["service_time"][k].is_number(), "service_time.{k}");
    }
    assert!((pay["latency"]["max"].as_f64().unwrap() - 100.0).abs() < 0.1);
    assert_eq!(v["steps"][1]["latency"], Value::Null);
    assert_eq!(v["steps"][1]["error_rate"], Value::Null);
    let w = &v["workloads"][0];
    assert_eq!(w["workload"], "checkout");
    assert_eq!(
        (
            w["iterations"].as_u64(),
            w["dropped"].as_u64(),
            w["interrupted"].as_u64()
        ),
        (Some(12), Some(1), Some(0))
    );
    assert_eq!(w["max_active_vus"], 4);
    assert!((w["schedule_lag"]["p99"].as_f64().unwrap() - 1.5).abs() < 0.01);
    assert_eq!(v["workloads"][1]["schedule_lag"], Value::Null);
    assert_eq!(v["totals"]["requests"], 12);
    assert_eq!(v["totals"]["errors"], 1);
    assert_eq!(v["totals"]["dropped"], 1);
    let t = &v["thresholds"][0];
    assert_eq!(t["metric"], "latency{step=pay}");
    assert_eq!(t["expression"], "p(95) < 500ms");
    assert_eq!(t["passed"], true);
    assert_eq!(t["measured"], Value::Null);
    assert_eq!(t["measured_text"], "no data");
    assert_eq!(t["unit"], "ms");
    assert_eq!(t["limit"], "500ms");
    assert_eq!(v["verdict"], "passed");
    assert_eq!(v["stopped_early"], false);
    assert_eq!(v["exit_code"], 0);
    // Round trip.
    let back: RunSummary = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn text_shows_steps_thresholds_and_verdict() {
    let s = summary(&[result(true), result(false)], 3);
    assert_eq!(
        serde_json::from_str::<Value>(&s.to_json()).unwrap()["verdict"],
        "failed"
    );
    let text = s.to_text();
    assert!(
        text.starts_with(
            "scenario ecommerce-burst — started 2023-11-14T22:13:20Z, elapsed 4.00s\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "requests 12 (3.00/s), errors 1 (8.333%), iterations 12, dropped 1, interrupted 0"
        ),
        "{text}"
    );
    assert!(text.contains("p99.9"), "{text}");
    assert!(text.contains("http_5xx 1"), "{text}");
    assert!(text.contains('✓') && text.contains('✗'), "{text}");
    assert!(
        text.ends_with("verdict: FAILED (1 of 2 thresholds failed)\n"),
        "{text}"
    );
}

#[test]
fn write_to_creates_both_files() {
    let dir = std::env::temp_dir().join(format!("loadgen-scenario-test-{}", std::process::id()));
    let s = summary(&[], 0);
    s.write_to(&dir.join("run")).unwrap();
    let json = std::fs::read_to_string(dir.join("run/summary.json")).unwrap();
    let text = std::fs::read_to_string(dir.join("run/summary.txt")).unwrap();
    assert_eq!(json, s.to_json());
    assert!(text.ends_with("verdict: PASSED (no thresholds)\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}
