//! Threshold verdicts on hand-built engine metrics.

use crate::common::step_infos;
use loadgen_engine::{IntervalReport, Metrics, Outcome, StepInfo};
use loadgen_scenario::{evaluate_all, parse, LiveThresholds, Scenario, ThresholdResult};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Workloads `checkout` (steps `pay`, `refund`) and `browse` (step `list`), and `thresholds`.
fn scenario(thresholds: &str) -> Scenario {
    let text = format!(
        r#"
name = "t"
target = "embedded"
duration = "10s"
[[workload]]
name = "checkout"
model = "open"
rate = "10/s"
max_vus = 5
  [[workload.step]]
  name = "pay"
  http = {{ method = "POST", path = "/pay" }}
  [[workload.step]]
  name = "refund"
  http = {{ method = "POST", path = "/refund" }}
[[workload]]
name = "browse"
model = "closed"
vus = 1
  [[workload.step]]
  name = "list"
  http = {{ method = "GET", path = "/" }}
[thresholds]
{thresholds}
"#
    );
    parse(&text, "t.toml", &|_| None).unwrap()
}

/// `pay`: 100 successes at 1..=100 ms. `refund`: 50 expected failures at 10 ms, one 5xx at
/// 20 ms, one timeout at 1 s. `browse` has no samples. 2 dropped arrivals, 150 iterations.
fn metrics(steps: &[StepInfo]) -> Metrics {
    let mut m = Metrics::new(steps.len(), 2);
    for i in 1..=100 {
        m.steps[0].record(Outcome::Success, ms(i), ms(i), None, None);
    }
    for _ in 0..50 {
        m.steps[1].record(Outcome::ExpectedFailure, ms(10), ms(10), None, None);
    }
    m.steps[1].record(Outcome::Http5xx, ms(20), ms(20), None, None);
    m.steps[1].record(Outcome::Timeout, ms(1000), ms(1000), None, None);
    m.workloads[0].iterations = 148;
    m.workloads[0].interrupted = 0;
    m.workloads[0].dropped = 2;
    m.workloads[0].lag.record(3_000).unwrap();
    m
}

fn eval(thresholds: &str) -> Vec<ThresholdResult> {
    let s = scenario(thresholds);
    let steps = step_infos(&s);
    evaluate_all(
        &s.thresholds,
        &metrics(&steps),
        &steps,
        Duration::from_secs(10),
    )
}

fn verdicts(r: &[ThresholdResult]) -> Vec<(bool, &str)> {
    r.iter()
        .map(|r| (r.passed, r.measured_text.as_str()))
        .collect()
}

#[test]
fn latency_percentiles_pass_and_fail() {
    let r = eval(
        r#""latency{step=pay}" = ["p(95) < 100ms", "p(95) < 90ms", "p(50) <= 51ms", "max < 100ms", "min == 1ms", "avg > 50ms"]"#,
    );
    assert_eq!(
        verdicts(&r),
        [
            (true, "95.04ms"),
            (false, "95.04ms"),
            (true, "50.02ms"),
            (false, "100.03ms"),
            (true, "1.00ms"),
            (true, "50.50ms"),
        ]
    );
    assert_eq!(r[1].metric, "latency{step=pay}");
    assert_eq!(r[1].expression, "p(95) < 90ms");
    assert_eq!(r[1].limit, "90ms");
    assert_eq!(
        r[1].to_string(),
        "latency{step=pay}: p(95) < 90ms (measured 95.04ms)"
    );
}

#[test]
fn latency_over_no_samples_fails() {
    let r = eval(r#""latency{workload=browse}" = ["p(95) < 1s"]"#);
    assert!(!r[0].passed);
    assert_eq!(r[0].measured, None);
    assert_eq!(r[0].measured_text, "no data");
}

#[test]
fn error_rate_excludes_expected_failures() {
    // 152 requests: 2 errors (5xx, timeout); the 50 expected failures are not errors.
    let r = eval(
        r#""errors" = ["rate < 1.5%", "rate < 1%", "count <= 2"]
"errors{step=refund}" = ["rate < 5%"]"#,
    );
    assert_eq!(
        verdicts(&r),
        [
            (true, "1.316%"),
            (false, "1.316%"),
            (true, "2"),
            (true, "3.846%")
        ]
    );
    assert!((r[0].measured.unwrap() - 2.0 / 152.0).abs() < 1e-12);
}

#[test]
fn checks_rate_counts_answered_requests() {
    // Passed: 100 successes + 50 expected failures; failed: one 5xx; the timeout got no answer.
    let r = eval(r#""checks" = ["rate > 99%", "rate == 100%"]"#);
    assert_eq!(verdicts(&r), [(true, "99.338%"), (false, "99.338%")]);
}

#[test]
fn request_rate_dropped_iterations_and_lag() {
    let r = eval(
        r#""requests" = ["rate > 16/s", "rate > 15/s", "count == 152"]
"dropped{workload=checkout}" = ["count < 1", "rate < 2%"]
"iterations" = ["count == 148", "rate >= 14.8/s"]
"schedule_lag" = ["p(99) < 5ms"]"#,
    );
    assert_eq!(
        verdicts(&r),
        [
            (false, "15.20/s"),
            (true, "15.20/s"),
            (true, "152"),
            (false, "2"),
            (true, "1.333%"),
            (true, "148"),
            (true, "14.80/s"),
            (true, "3.00ms"),
        ]
    );
}

#[test]
fn live_thresholds_abort_only_after_the_delay_and_only_on_data() {
    let s = scenario(
        r#""latency{step=pay}" = [{ threshold = "p(95) < 50ms", abort_on_fail = true, delay_abort_eval = "2s" }]
"latency{step=list}" = [{ threshold = "p(95) < 50ms", abort_on_fail = true }]"#,
    );
    let steps = step_infos(&s);
    let mut live = LiveThresholds::new(&s.thresholds, &steps);
    let interval = |index: u64| IntervalReport {
        index,
        start: Duration::from_secs(index),
        length: Duration::from_secs(1),
        metrics: metrics(&steps),
    };
    assert_eq!(
        live.observe(&interval(0)),
        None,
        "before the delay; `list` has no data"
    );
    let breach = live
        .observe(&interval(1))
        .expect("2 s in: p95 95 ms > 50 ms");
    assert_eq!(breach.expression, "p(95) < 50ms");
    assert_eq!(breach.metric, "latency{step=pay}");
}
