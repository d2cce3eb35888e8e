//! Windowed thresholds end to end: a target that answers 20% of requests 503 only between
//! 4 s and 6 s of a 14 s run passes `rate < 5%` over the run, fails `rate < 5% over 2s` and
//! `for 2s`, and names the worst window within one interval of the truth — in a single run,
//! after `loadgen merge` of two segments, and from a live coordinator's merged stream. The
//! same three judge `latency{status=N}` on the statuses the scenario names.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

// The target comes from each run's environment or `--target`; the merge runs without it.
const SCENARIO: &str = r#"name = "windows"
target = "${WINDOWS_TEST_TARGET:-embedded}"
duration = "14s"

[[workload]]
name = "pay"
model = "open"
rate = "100/s"
max_vus = 40

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD", reference = "{{uuid}}" } }
  expect = { status = [201] }

[thresholds]
"errors" = ["rate < 5%", "rate < 5% over 2s", "rate < 5% for 2s"]
"errors{class=http_5xx}" = ["count < 1 from 7s"]
"requests{status=503}" = ["count > 10"]
"latency{status=503}" = ["p(99) < 10s", "max < 10s over 2s"]
"latency{status=201}" = ["p(50) < 10s"]
"latency{status=418}" = ["p(95) < 1s"]
"#;

/// The fault: 20% of API requests answered 503 from 4 s to 6 s after the first one.
const FAULT: &str = "503=20%@4s..6s";

fn spawn_run(f: &Path, target: &str, out: &Path, extra: &[&str]) -> Child {
    bin()
        .args(["run", f.to_str().unwrap(), "--threads", "1", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .env("WINDOWS_TEST_TARGET", target)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(c: Child) -> std::process::Output {
    let o = c.wait_with_output().unwrap();
    // Exit 3: a threshold failed (the windowed ones must).
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    o
}

fn threshold<'a>(s: &'a serde_json::Value, metric: &str, expr: &str) -> &'a serde_json::Value {
    s["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["metric"] == metric && t["expression"] == expr)
        .unwrap_or_else(|| panic!("no threshold {metric}: {expr} in {s}"))
}

/// The verdicts the fault must produce, and the worst windows near 4 s..6 s. Returns the
/// worst `over` and `for` windows as `(start, end, value)` for the note.
fn check(dir: &Path) -> [(f64, f64, f64); 2] {
    let s = summary(dir);
    assert_eq!(s["schema_version"], 4, "{s}");
    let whole = threshold(&s, "errors", "rate < 5%");
    assert_eq!(whole["passed"], true, "{s}");
    assert_eq!(whole["window"], serde_json::Value::Null);
    let m = whole["measured"].as_f64().unwrap();
    assert!(
        m > 0.01 && m < 0.05,
        "20% of 2 s of 14 s is about 2.9%: {m}"
    );
    let mut worst = [(0.0, 0.0, 0.0); 2];
    for (i, (expr, kind)) in [("rate < 5% over 2s", "over"), ("rate < 5% for 2s", "for")]
        .into_iter()
        .enumerate()
    {
        let t = threshold(&s, "errors", expr);
        assert_eq!(t["passed"], false, "{expr}: {t}");
        let w = &t["window"];
        assert_eq!(
            (w["kind"].as_str(), w["seconds"].as_f64()),
            (Some(kind), Some(2.0)),
            "{t}"
        );
        let span = &w["worst"];
        let (start, end) = (
            span["start"].as_f64().unwrap(),
            span["end"].as_f64().unwrap(),
        );
        let value = t["measured"].as_f64().unwrap();
        // The truth is 4 s..6 s at 20%: within one interval, and well above the limit.
        assert!(
            (start - 4.0).abs() <= 1.0 && (end - 6.0).abs() <= 1.0,
            "{expr}: {t}"
        );
        assert!(value > 0.1 && value < 0.3, "{expr}: {t}");
        if kind == "for" {
            assert!(span["broken_seconds"].as_f64().unwrap() >= 2.0, "{t}");
        }
        worst[i] = (start, end, value);
    }
    // Filters and warm-up: no 5xx after 7 s; the 503s were counted by status.
    let late = threshold(&s, "errors{class=http_5xx}", "count < 1 from 7s");
    assert_eq!(
        (&late["passed"], late["from_seconds"].as_f64()),
        (&true.into(), Some(7.0)),
        "{late}"
    );
    let by_status = threshold(&s, "requests{status=503}", "count > 10");
    assert_eq!(by_status["passed"], true, "{by_status}");
    // 20% of the 200 requests of 4 s..6 s.
    let n = by_status["measured"].as_f64().unwrap();
    assert!((15.0..=70.0).contains(&n), "{by_status}");
    // Latency per status: kept for the named statuses only, the 503s only where they were.
    for (key, expr) in [
        ("latency{status=503}", "p(99) < 10s"),
        ("latency{status=201}", "p(50) < 10s"),
    ] {
        let t = threshold(&s, key, expr);
        assert_eq!(t["passed"], true, "{t}");
        assert!(t["measured"].as_f64().unwrap() > 0.0, "{t}");
    }
    let w = threshold(&s, "latency{status=503}", "max < 10s over 2s");
    assert_eq!(w["passed"], true, "{w}");
    let (start, end) = (
        w["window"]["worst"]["start"].as_f64().unwrap(),
        w["window"]["worst"]["end"].as_f64().unwrap(),
    );
    // Windows without a 503 have no data and are skipped: the worst one meets 4 s..6 s.
    assert!(start >= 2.0 && end <= 8.0 + 1.0, "{w}");
    let none = threshold(&s, "latency{status=418}", "p(95) < 1s");
    assert_eq!(
        (&none["passed"], &none["measured"]),
        (&false.into(), &serde_json::Value::Null),
        "no 418 was answered, and no other status is kept under it: {none}"
    );
    assert!(schema_errors(&s).is_empty(), "{:?}", schema_errors(&s));
    // The text, JUnit and HTML name the worst window.
    let txt = std::fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(txt.contains("broken for") && txt.contains("s–"), "{txt}");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        junit.contains("rate &lt; 5% over 2s: measured") && junit.contains(" in "),
        "{junit}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains(",true,\"worst window of "),
        "no shaded failed window in the charts' data"
    );
    worst
}

#[test]
fn a_burst_of_errors_fails_the_window_but_not_the_run_alone_and_merged() {
    let dir = scratch("windows");
    let f = write(&dir, "windows.toml", SCENARIO);
    // One target for the single run, one shared by two segments that start together.
    let single = Target::start(&["--fault", FAULT]);
    let shared = Target::start(&["--fault", FAULT]);
    let at =
        loadgen_report::rfc3339(std::time::SystemTime::now() + std::time::Duration::from_secs(2));
    let one = dir.join("single");
    let runs: Vec<Child> = std::iter::once(spawn_run(&f, &single.url, &one, &[]))
        .chain((0..2).map(|i| {
            let seg = format!("{i}/2");
            let out = dir.join(format!("seg{i}"));
            spawn_run(
                &f,
                &shared.url,
                &out,
                &["--segment", &seg, "--start-at", &at],
            )
        }))
        .collect();
    for c in runs {
        finish(c);
    }
    let single_worst = check(&one);
    let merged = dir.join("merged");
    let parts: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("seg{i}"))).collect();
    let o = run(&[
        "merge",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let merged_worst = check(&merged);
    eprintln!(
        "NOTE windows: truth 4.0s-6.0s at 20%; single run over/for {single_worst:?}; merged over/for {merged_worst:?}"
    );
}

#[test]
fn a_live_coordinator_judges_the_window_on_the_merged_stream() {
    use crate::live::{coordinator, worker, SECRET};
    let dir = scratch("windows-live");
    let f = write(&dir, "windows.toml", SCENARIO);
    let target = Target::start(&["--fault", FAULT]);
    let (mut workers, addrs): (Vec<_>, Vec<_>) = ["127.0.0.2", "127.0.0.3"]
        .into_iter()
        .map(|ip| worker(ip, &dir.join(ip), &[], SECRET))
        .unzip();
    let out = dir.join("merged");
    let mut c = coordinator(&f, &addrs, &target.url, &out, &[], Some(SECRET));
    let (code, log) = c.finish(90);
    assert_eq!(code, Some(3), "{log}");
    let worst = check(&out);
    for w in &mut workers {
        let (code, wlog) = w.finish(30);
        assert_eq!(code, Some(0), "{wlog}");
    }
    eprintln!("NOTE windows: truth 4.0s-6.0s at 20%; live coordinator over/for {worst:?}");
}
