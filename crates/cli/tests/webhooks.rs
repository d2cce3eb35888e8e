//! Webhook deliveries and callbacks end to end: the shipped scenarios against a standalone
//! demo target, whose counters must agree exactly with what loadgen says it sent.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn scenario(name: &str) -> String {
    format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the shipped `scenarios/NAME.toml` for 3 s against `target`; it must pass. Returns
/// the results folder and its summary.json.
fn run_shipped_for_3s(target: &Target, name: &str) -> (std::path::PathBuf, Value) {
    let out = scratch(name).join("out");
    let o = run_against(
        Path::new(&scenario(&format!("{name}.toml"))),
        &target.url,
        &out,
        &["--duration", "3s"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    (out, s)
}

/// Sum of a custom metric's `field` over every workload that declares it.
fn custom(summary: &Value, name: &str, field: &str) -> u64 {
    summary["custom"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == name)
        .map(|m| m[field].as_u64().unwrap_or(0))
        .sum()
}

/// Sum of a step field (`count`, or an outcome under `outcomes`) over every step.
fn steps_total(summary: &Value, pick: impl Fn(&Value) -> Option<u64>) -> u64 {
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| pick(s).unwrap_or(0))
        .sum()
}

fn files_contain(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file()
            && std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        {
            hits.push(p.display().to_string());
        }
    }
    hits
}

#[test]
fn webhook_storm_every_valid_delivery_is_processed_every_forged_one_refused_every_duplicate_found()
{
    let target = Target::start(&[]);
    let (out, s) = run_shipped_for_3s(&target, "webhook-storm");
    let c = target.counters();
    let w = &c["webhooks"];
    let n = |v: &Value| v.as_u64().unwrap();
    let steps = steps_total(&s, |st| st["count"].as_u64());
    let expected = steps_total(&s, |st| st["outcomes"]["expected_failure"].as_u64());
    let errors = steps_total(&s, |st| st["errors"].as_u64());
    let (forged, dups, ooo) = (
        custom(&s, "webhook_forged_sent", "count"),
        custom(&s, "webhook_duplicates_sent", "count"),
        custom(&s, "webhook_out_of_order_sent", "count"),
    );
    let delivered = custom(&s, "webhook_delivered", "count");
    let retries = custom(&s, "webhook_retries", "count");
    assert!(
        steps > 50 && forged > 0 && dups > 0,
        "a storm with every kind: {s}"
    );
    assert_eq!(errors, 0, "{s}");
    assert_eq!(retries, 0, "nothing to retry against a healthy target");
    // Every attempt reached the target; forged ones were refused, duplicates and late events
    // answered but not processed, and everything else processed exactly once.
    assert_eq!(n(&c["by_route"]["webhook"]), steps, "{c}");
    assert_eq!(n(&w["bad_signature"]) + n(&w["stale"]), forged, "{c}");
    assert_eq!(n(&w["duplicates"]), dups, "{c}");
    assert_eq!(n(&w["out_of_order"]), ooo, "{c}");
    assert_eq!(n(&w["processed"]), delivered - dups - ooo, "{c}");
    assert_eq!(delivered + forged, steps);
    assert_eq!(
        expected,
        forged + dups + ooo,
        "each built-to-fail delivery is an expected failure"
    );
    assert_eq!(custom(&s, "webhook_first_attempt", "count"), steps);
    // The demo secret never reaches the results.
    let hits = files_contain(&out, "bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0");
    assert!(hits.is_empty(), "secret written to {hits:?}");
}

#[test]
fn failed_deliveries_are_retried_and_each_retry_is_counted() {
    // 30% of attempts fail with an injected 500, before any processing.
    let target = Target::start(&["--error-rate", "0.3", "--seed", "3"]);
    let dir = scratch("webhook-retries");
    let f = write(
        &dir,
        "retries.toml",
        r#"name = "retries"
duration = "3s"
[[workload]]
name = "hooks"
model = "open"
rate = "30/s"
max_vus = 50
  [[workload.step]]
  name = "deliver"
  webhook = { provider = "standard", secret = "whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0", path = "/webhooks/standard", retries = { max = 6, backoff = "5ms", max_backoff = "40ms" } }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let n = |v: &Value| v.as_u64().unwrap();
    let steps = steps_total(&s, |st| st["count"].as_u64());
    let retries = custom(&s, "webhook_retries", "count");
    let gave_up = custom(&s, "webhook_gave_up", "count");
    let delivered = custom(&s, "webhook_delivered", "count");
    assert!(retries > 0, "{s}");
    assert_eq!(delivered + gave_up, steps);
    // Each failed attempt was either retried or the last one of a delivery given up.
    assert_eq!(n(&c["injected_errors"]), retries + gave_up, "{c}");
    assert_eq!(n(&c["by_route"]["webhook"]), steps + retries, "{c}");
    assert_eq!(n(&c["webhooks"]["processed"]), delivered, "{c}");
    assert_eq!(
        n(&c["webhooks"]["duplicates"]),
        0,
        "a retry after a refused attempt is no duplicate"
    );
    assert_eq!(custom(&s, "webhook_retry_latency", "count"), retries);
    assert_eq!(custom(&s, "webhook_first_attempt", "count"), steps);
}

#[test]
fn every_async_request_is_matched_by_its_callback() {
    let target = Target::start(&["--callback-delay", "20ms"]);
    let (_, s) = run_shipped_for_3s(&target, "async-callback");
    let c = target.counters();
    let steps = steps_total(&s, |st| st["count"].as_u64());
    assert!(steps > 50, "{s}");
    assert_eq!(
        custom(&s, "callback_latency", "count"),
        steps,
        "one callback per request"
    );
    assert_eq!(custom(&s, "callback_received", "total"), steps);
    assert_eq!(custom(&s, "callback_received", "count"), steps);
    assert_eq!(c["webhooks"]["async_accepted"].as_u64(), Some(steps), "{c}");
    assert_eq!(c["webhooks"]["callbacks_sent"].as_u64(), Some(steps), "{c}");
    let cb = s["custom"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "callback_latency")
        .unwrap();
    assert!(
        cb["trend"]["min"].as_f64().unwrap() >= 20.0,
        "no callback before the target's delay: {cb}"
    );
}

#[test]
fn callbacks_missing_at_the_deadline_fail_the_step_and_the_gate() {
    let target = Target::start(&["--callback-delay", "2s"]);
    let dir = scratch("late-callback");
    let f = write(
        &dir,
        "late.toml",
        r#"name = "late"
duration = "1s"
graceful_stop = "3s"
[[workload]]
name = "async"
model = "open"
rate = "10/s"
max_vus = 20
  [[workload.step]]
  name = "pay"
  callback = { path = "/api/payments/async", json = { amount = 100 }, within = "300ms" }
  expect = { status = [202] }
[thresholds]
"callback_received" = ["rate > 99%"]
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    let steps = steps_total(&s, |st| st["count"].as_u64());
    assert!(steps > 0);
    assert_eq!(
        steps_total(&s, |st| st["outcomes"]["timeout"].as_u64()),
        steps,
        "{s}"
    );
    assert_eq!(custom(&s, "callback_received", "total"), steps);
    assert_eq!(custom(&s, "callback_received", "count"), 0);
    assert_eq!(custom(&s, "callback_latency", "count"), 0);
}

#[test]
fn webhook_mistakes_name_the_field_and_never_show_the_secret() {
    let dir = scratch("webhook-bad");
    let f = write(
        &dir,
        "bad.toml",
        r#"name = "bad"
target = "http://127.0.0.1:1"
[[workload]]
name = "w"
model = "closed"
vus = 1
  [[workload.step]]
  name = "s"
  webhook = { provider = "standard", secret = "whsec_!!not-base64-TOPSECRET", path = "/webhooks/standard" }
  [[workload.step]]
  name = "t"
  webhook = { provider = "github", secret = "x", path = "/h", fail = { share = "5%", stale = 1 } }
"#,
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml:9:") && err.contains("workload[0].step[0].webhook.secret"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:12:") && err.contains("webhook.fail.stale"),
        "{err}"
    );
    assert!(!err.contains("TOPSECRET"), "{err}");
}
