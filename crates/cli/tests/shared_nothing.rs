//! Shared-nothing distribution: segments run as separate processes against one target and
//! `loadgen merge` rebuilds the whole run from their folders.

use crate::support::*;
use std::path::{Path, PathBuf};

const SCENARIO: &str = r#"name = "split"
target = "embedded"
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
            c.args(["run", f.to_str().unwrap(), "--target", target])
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
    let o = run_against(
        &f,
        &target.url,
        &other,
        &["--segment", "1/4", "--seed", "9", "--quiet"],
    );
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
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--segment",
        "0/2",
        "--start-at",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--start-at"));
}
