//! Shared-nothing distribution: segments run as separate processes against one target and
//! `loadgen merge` rebuilds the whole run from their folders.

use crate::support::*;
use std::path::{Path, PathBuf};

// The target comes from the environment of the runs; merges run without it.
const SCENARIO: &str = r#"name = "split"
target = "${DIST_TEST_TARGET}"
duration = "2s"

[[workload]]
name = "pay"
model = "open"
rate = "100/s"
max_vus = 50

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD", reference = "{{uuid}}" } }
  expect = { status = [201] }

[[workload]]
name = "browse"
model = "closed"
vus = 2
iterations = 15

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }

[thresholds]
"errors" = ["rate < 1%"]
"latency{step=create}" = ["p(99) < 10s"]
"#;

fn start_in(secs: u64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs as i64);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn count(s: &serde_json::Value, step: &str) -> u64 {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["step"] == step)
        .unwrap_or_else(|| panic!("no step {step} in {s}"))["count"]
        .as_u64()
        .unwrap()
}

/// Runs segments `indices` of `n` at one start instant, in parallel processes, each
/// exiting with `expect`.
fn run_segments(
    f: &Path,
    target: &str,
    dir: &Path,
    (n, indices): (u64, &[u64]),
    expect: i32,
) -> Vec<PathBuf> {
    let at = start_in(2);
    let children: Vec<_> = indices
        .iter()
        .map(|i| {
            let out = dir.join(format!("seg{i}"));
            let seg = format!("{i}/{n}");
            let mut c = bin();
            c.args(["run", f.to_str().unwrap()])
                .env("DIST_TEST_TARGET", target)
                .args(["--out", out.to_str().unwrap(), "--threads", "1", "--quiet"])
                .args(["--segment", &seg, "--start-at", &at])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            (out, c.spawn().unwrap())
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let o = child.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(expect), "{}", text(&o));
            out
        })
        .collect()
}

fn merge(args: &[&str]) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn three_segments_merge_to_the_targets_count_and_the_sum_of_the_parts() {
    let target = Target::start(&[]);
    let dir = scratch("split3");
    let f = write(&dir, "split.toml", SCENARIO);
    let parts = run_segments(&f, &target.url, &dir, (3, &[0, 1, 2]), 0);
    let merged = dir.join("merged");
    let mut args: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = merge(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&merged);
    let c = target.counters();
    let part_sums: Vec<serde_json::Value> = parts.iter().map(|p| summary(p)).collect();
    let sum = |step: &str| part_sums.iter().map(|p| count(p, step)).sum::<u64>();
    // 100/s for 2 s is 200 arrivals, split 67/67/66 by arrival index; 2 VUs x 15
    // iterations are one VU each in segments 0 and 1 (VU ids 0 and 1), none in segment 2.
    assert_eq!(count(&s, "create"), 200, "{s}");
    assert_eq!(count(&s, "create"), sum("create"));
    assert_eq!(count(&s, "health"), 30, "{s}");
    assert_eq!(count(&s, "health"), sum("health"));
    let shares: Vec<u64> = part_sums.iter().map(|p| count(p, "create")).collect();
    assert_eq!(shares, vec![67, 67, 66]);
    let health: Vec<u64> = part_sums.iter().map(|p| count(p, "health")).collect();
    assert_eq!(health, vec![15, 15, 0]);
    assert_eq!(c["by_route"]["create_payment"], 200, "{c}");
    assert_eq!(c["requests_total"], s["totals"]["requests"], "{c}");
    assert_eq!(s["verdict"], "passed");
    // The merged histograms hold every sample: the hlog of the merge decodes to the sum.
    let hlog = std::fs::read_to_string(merged.join("latency.hlog")).unwrap();
    let mut samples = 0u64;
    for line in hlog
        .lines()
        .filter(|l| l.starts_with("Tag=latency.pay.create,"))
    {
        use base64::Engine;
        use hdrhistogram::serialization::Deserializer;
        let b64 = line.rsplit(',').next().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let h: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        samples += h.len();
    }
    assert_eq!(samples, 200);
    for f in [
        "timeseries.csv",
        "junit.xml",
        "report.html",
        "summary.txt",
        "run.json",
    ] {
        assert!(merged.join(f).exists(), "{f} missing in the merge");
    }
    // A merge of the merge is the same run (merge files are written by merges too).
    let again = dir.join("again");
    let o = merge(&[merged.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary(&again)["totals"], s["totals"]);
}

#[test]
fn merge_refuses_duplicates_names_missing_segments_and_judges_thresholds() {
    let target = Target::start(&[]);
    let dir = scratch("split-refuse");
    let f = write(
        &dir,
        "split.toml",
        &SCENARIO
            .replace("duration = \"2s\"", "duration = \"1s\"")
            .replace(
                "\"rate < 1%\"",
                "\"rate < 1%\"]\n\"latency{step=health}\" = [\"p(50) < 1us\"",
            ),
    );
    let parts = run_segments(&f, &target.url, &dir, (4, &[0, 2]), 3);
    let (p0, p2) = (parts[0].to_str().unwrap(), parts[1].to_str().unwrap());
    let out = dir.join("m");
    let o = merge(&[p0, p2, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1/4") && err.contains("3/4") && err.contains("50.0%"),
        "{err}"
    );

    let o = merge(&[p0, p0, "--allow-partial", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("duplicate"),
        "{}",
        text(&o)
    );

    // Partial merges are judged and say what they cover; the impossible threshold fails.
    let o = merge(&[p0, p2, "--allow-partial", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("50.0% of the planned load"));
    let s = summary(&out);
    assert_eq!(s["verdict"], "failed");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["missing_segments"], serde_json::json!(["1/4", "3/4"]));

    // A different plan (another seed) is refused.
    let other = dir.join("other");
    let o = bin()
        .args(["run", f.to_str().unwrap(), "--out", other.to_str().unwrap()])
        .args(["--segment", "1/4", "--seed", "9", "--quiet"])
        .env("DIST_TEST_TARGET", &target.url)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = merge(&[p0, other.to_str().unwrap(), "--allow-partial"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("different plans"),
        "{}",
        text(&o)
    );
}

#[test]
fn start_at_in_the_past_is_refused() {
    let dir = scratch("late");
    let f = write(&dir, "split.toml", SCENARIO);
    let o = bin()
        .args(["run", f.to_str().unwrap(), "--segment", "0/2"])
        .args(["--start-at", "2020-01-01T00:00:00Z"])
        .env("DIST_TEST_TARGET", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--start-at"));
}

fn custom(s: &serde_json::Value, name: &str) -> serde_json::Value {
    s["custom"]
        .as_array()
        .unwrap_or_else(|| panic!("no custom metrics in {s}"))
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {s}"))
        .clone()
}

#[test]
fn websocket_custom_metrics_merge_to_the_sum_of_the_segments() {
    let target = Target::start(&[]);
    let dir = scratch("split-ws");
    let f = write(
        &dir,
        "ws.toml",
        r#"name = "split-ws"
target = "${DIST_TEST_TARGET}"
duration = "3s"

[[workload]]
name = "subscribers"
model = "closed"
vus = 4
iterations = 1

  [workload.ws]
  url = "/ws/market?rate=5"
  hold = "2s"
  on_open = ['{"op":"subscribe","symbols":["AAPL"]}']
  latency = { timestamp = "ts", unit = "ms" }

[thresholds]
"ws_msgs_received" = ["count >= 1"]
"#,
    );
    let parts = run_segments(&f, &target.url, &dir, (2, &[0, 1]), 0);
    let merged = dir.join("merged");
    let o = merge(&[
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&merged);
    let p: Vec<serde_json::Value> = parts.iter().map(|d| summary(d)).collect();
    let field =
        |v: &serde_json::Value, name: &str, key: &str| custom(v, name)[key].as_u64().unwrap();
    for (name, key) in [
        ("ws_msgs_received", "count"),
        ("ws_message_latency", "count"),
        ("ws_connect_success", "total"),
    ] {
        let sum: u64 = p.iter().map(|x| field(x, name, key)).sum();
        assert_eq!(field(&s, name, key), sum, "{name}.{key}: {s}");
    }
    // A scenario of another shape is refused as the source of names and thresholds.
    let other = write(&dir, "other.toml", SCENARIO);
    let o = merge(&[
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--scenario",
        other.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not match"),
        "{}",
        text(&o)
    );
    // Each segment held two of the four connections; together all four.
    assert_eq!(field(&s, "ws_connect_success", "total"), 4, "{s}");
    assert!(field(&s, "ws_msgs_received", "count") > 0, "{s}");
}
