//! The fault matrix: the demo target misbehaves in every way it knows (`loadgen target
//! --fault NAME`, a separate process), and each run must finish on time, count the fault in
//! the right outcome class, stay within its memory, and leave a complete results folder.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

/// A 1.5 s closed-model run, 4 VUs, 500 ms request timeout, 2 s graceful stop.
const SCENARIO: &str = r#"name = "faults"
duration = "1500ms"
graceful_stop = "2s"

[http]
timeout = "500ms"
connect_timeout = "500ms"
insecure = true

[[workload]]
name = "w"
model = "closed"
vus = 4

  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD" } }
"#;

/// Every file a finished run must leave.
const RESULT_FILES: [&str; 6] = [
    "summary.json",
    "summary.txt",
    "timeseries.csv",
    "latency.hlog",
    "junit.xml",
    "report.html",
];

struct Faulted {
    summary: Value,
    target: Value,
}

impl Faulted {
    fn outcome(&self, class: &str) -> u64 {
        self.summary["steps"][0]["outcomes"][class]
            .as_u64()
            .unwrap_or(0)
    }

    fn served(&self, fault: &str) -> u64 {
        self.target["faults"][fault].as_u64().unwrap_or(0)
    }
}

/// Runs the scenario against a target started with `--fault FAULT` (over `scheme`).
fn against_fault(fault: &str, scheme: &str) -> Faulted {
    let dir = scratch(&format!("fault-{fault}"));
    let file = write(&dir, "faults.toml", SCENARIO);
    let target = Target::start(&["--fault", fault]);
    let url = target.url.replacen("http", scheme, 1);
    let out = dir.join("out");
    let started = std::time::Instant::now();
    let o = run_against(&file, &url, &out, &["--quiet"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{fault}: {}", text(&o));
    // 1.5 s of load + at most the 2 s graceful stop, with room for a loaded CI machine.
    assert!(took.as_secs() < 30, "{fault}: the run took {took:?}");
    complete(&out, fault);
    let summary = summary(&out);
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    for class in summary["steps"][0]["outcomes"].as_object().unwrap().keys() {
        if class != "success" {
            assert!(
                text.contains(&format!("  {class}: ")),
                "{fault}: the summary explains `{class}`:\n{text}"
            );
        }
    }
    let rss = summary["generator"]["peak_rss_mib"].as_f64().unwrap();
    assert!(rss > 0.0 && rss < 48.0, "{fault}: peak RSS {rss} MiB");
    let target = if fault == "refuse" || fault == "tls" {
        Value::Null // every connection is broken, the counters' too
    } else {
        target.counters()
    };
    Faulted { summary, target }
}

fn complete(out: &Path, fault: &str) {
    for f in RESULT_FILES {
        let len = std::fs::metadata(out.join(f))
            .unwrap_or_else(|e| panic!("{fault}: {f}: {e}"))
            .len();
        assert!(len > 0, "{fault}: {f} is empty");
    }
}

#[test]
fn a_reset_before_the_answer_is_a_reset_and_each_is_counted_once() {
    let f = against_fault("reset", "http");
    assert!(f.outcome("reset") > 0, "{}", f.summary);
    assert_eq!(f.outcome("reset"), f.served("reset"), "{}", f.target);
    assert_eq!(f.outcome("success"), 0);
}

#[test]
fn a_reset_in_the_body_is_a_reset() {
    let f = against_fault("reset-body", "http");
    assert!(f.outcome("reset") > 0, "{}", f.summary);
    assert_eq!(f.outcome("reset"), f.served("reset-body"), "{}", f.target);
}

#[test]
fn a_stall_is_a_timeout_recorded_at_the_timeout() {
    let f = against_fault("stall", "http");
    let timeouts = f.outcome("timeout");
    assert!(timeouts > 0, "{}", f.summary);
    assert_eq!(timeouts, f.served("stall"), "{}", f.target);
    // Timeouts stay in the latency histogram at their timeout value, never dropped.
    let latency = &f.summary["steps"][0]["latency"];
    assert_eq!(latency["count"].as_u64(), Some(timeouts));
    assert!(latency["min"].as_f64().unwrap() >= 499.0, "{latency}");
}

#[test]
fn a_byte_by_byte_answer_slower_than_the_timeout_is_a_timeout() {
    let f = against_fault("slow", "http");
    assert!(f.outcome("timeout") > 0, "{}", f.summary);
    assert_eq!(f.outcome("timeout"), f.served("slow"), "{}", f.target);
}

#[test]
fn garbage_is_a_protocol_error() {
    let f = against_fault("garbage", "http");
    assert!(f.outcome("protocol") > 0, "{}", f.summary);
    assert_eq!(f.outcome("protocol"), f.served("garbage"), "{}", f.target);
}

#[test]
fn a_body_shorter_than_its_content_length_is_a_reset() {
    let f = against_fault("wrong-length", "http");
    assert!(f.outcome("reset") > 0, "{}", f.summary);
    assert_eq!(f.outcome("reset"), f.served("wrong-length"), "{}", f.target);
    assert_eq!(f.outcome("success"), 0);
}

#[test]
fn huge_bodies_stream_through_without_being_kept() {
    // 64 MiB per answer; the RSS bound in `against_fault` (48 MiB) proves none was kept.
    let f = against_fault("huge-body", "http");
    let done = f.outcome("success") + f.outcome("timeout");
    assert!(done > 0, "{}", f.summary);
    assert_eq!(done, f.served("huge-body"), "{}", f.target);
}

#[test]
fn a_503_storm_is_counted_as_server_errors_in_bounded_memory() {
    let f = against_fault("503", "http");
    let n = f.outcome("http_5xx");
    assert!(n > 0, "{}", f.summary);
    assert_eq!(n, f.target["by_status"]["503"].as_u64().unwrap());
    assert_eq!(f.summary["totals"]["errors"].as_u64(), Some(n));
    assert_eq!(f.summary["steps"][0]["statuses"]["503"].as_u64(), Some(n));
}

#[test]
fn a_429_with_retry_after_is_a_client_error() {
    let f = against_fault("429", "http");
    let n = f.outcome("http_4xx");
    assert!(n > 0, "{}", f.summary);
    assert_eq!(n, f.target["by_status"]["429"].as_u64().unwrap());
    // The status is kept beside the class: 429 is not just "a 4xx".
    assert_eq!(f.summary["steps"][0]["statuses"]["429"].as_u64(), Some(n));
}

#[test]
fn a_failed_tls_handshake_is_a_tls_error() {
    let f = against_fault("tls", "https");
    assert!(f.outcome("tls") > 0, "{}", f.summary);
    assert_eq!(f.outcome("success"), 0);
}

#[test]
fn refused_connections_are_connect_errors_or_resets() {
    let f = against_fault("refuse", "http");
    let outcomes = f.summary["steps"][0]["outcomes"]
        .as_object()
        .unwrap()
        .clone();
    assert!(!outcomes.is_empty());
    for (class, n) in &outcomes {
        assert!(
            matches!(class.as_str(), "reset" | "connect"),
            "{class} {n}: {outcomes:?}"
        );
    }
}

#[test]
fn a_host_that_does_not_resolve_is_a_connect_error() {
    let dir = scratch("no-dns");
    let file = write(&dir, "faults.toml", SCENARIO);
    let out = dir.join("out");
    let o = run_against(
        &file,
        "http://no-such-host.invalid:8080",
        &out,
        &["--quiet"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    complete(&out, "no-dns");
    let s = summary(&out);
    assert!(
        s["steps"][0]["outcomes"]["connect"].as_u64().unwrap() > 0,
        "{s}"
    );
}
