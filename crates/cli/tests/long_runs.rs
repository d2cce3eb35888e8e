//! Production-shaped runs: a replayed traffic curve against the embedded target, counted per
//! second from `timeseries.csv` against its file; a run killed with `kill -9` rebuilt by
//! `loadgen report` (judged, never exit 0); intervals longer than a second.

use crate::support::*;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `count` per `interval_start_s` of a run's `timeseries.csv` (all steps added).
fn counts_per_row(out: &Path) -> Vec<(f64, f64, f64)> {
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (start, length, count) = (
        col("interval_start_s"),
        col("interval_length_s"),
        col("count"),
    );
    let mut rows: Vec<(f64, f64, f64)> = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let (s, len, n) = (
            f[start].parse::<f64>().unwrap(),
            f[length].parse::<f64>().unwrap(),
            f[count].parse::<f64>().unwrap(),
        );
        match rows.last_mut() {
            Some(r) if r.0 == s => r.2 += n,
            _ => rows.push((s, len, n)),
        }
    }
    rows
}

#[test]
fn a_replayed_curve_matches_its_file_per_second_within_five_sigma_compressed_and_scaled() {
    let dir = scratch("replay-run");
    // 40 file seconds of a shaped curve, played 4x faster (10 s) at twice the counts.
    let file: Vec<u32> = (0..40).map(|i| 20 + (i * 53) % 130).collect();
    let mut csv = String::from("# test curve\ntimestamp,count\n");
    for (i, n) in file.iter().enumerate() {
        csv.push_str(&format!("2026-12-01T00:00:{i:02}Z,{n}\n"));
    }
    std::fs::create_dir_all(dir.join("data")).unwrap();
    write(&dir, "data/traffic.csv", &csv);
    let f = write(
        &dir,
        "replay.toml",
        r#"name = "replay"
target = "embedded"
seed = 5

[[workload]]
name = "replayed"
model = "open"
arrivals = "poisson"
rate = { replay = "data/traffic.csv", time_scale = 4, scale = 2.0 }
max_vus = 200

  [[workload.step]]
  name = "health"
  http = { path = "/health" }
"#,
    );
    let out = dir.join("out");
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert!(
        (s["elapsed_seconds"].as_f64().unwrap() - 10.0).abs() < 1.0,
        "{s}"
    );
    let rows = counts_per_row(&out);
    assert_eq!(rows.len(), 10, "{rows:?}");
    // A request counts in the second its answer came. On a busy machine a stall of the
    // generator moves answers due at the end of one second into the next, so each second is
    // checked through the running total: the count up to the end of second k must match the
    // file's up to there within 5σ (Poisson: σ = √expected). A curve replayed wrong (shifted,
    // stretched, scaled) fails it; the arrival schedule's own per-second counts are checked
    // without any machine in the scenario crate's tests.
    let (mut got, mut want) = (0.0, 0.0);
    let mut report = Vec::new();
    for (k, (start, length, n)) in rows.iter().enumerate() {
        assert_eq!(*start, k as f64);
        let expected = 2.0 * file[k * 4..k * 4 + 4].iter().sum::<u32>() as f64 * length;
        got += n;
        want += expected;
        let sigma = want.sqrt();
        report.push(format!(
            "{k}: {n} vs {expected}, total {:+.1}σ",
            (got - want) / sigma
        ));
        assert!((got - want).abs() <= 5.0 * sigma, "second {k}: {report:?}");
    }
    eprintln!("replay per second: {}", report.join(", "));
}

/// Lines of `metrics.jsonl` in `dir` that are whole (end with a newline).
fn whole_lines(dir: &Path) -> usize {
    std::fs::read(dir.join("metrics.jsonl"))
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn a_run_killed_with_sigkill_is_rebuilt_by_loadgen_report_judged_and_never_exit_0() {
    let dir = scratch("kill9");
    let out = dir.join("out");
    let f = write(
        &dir,
        "long.toml",
        r#"name = "long"
target = "embedded"
duration = "10m"

[[workload]]
name = "w"
model = "open"
rate = "40/s"
max_vus = 20

  [[workload.step]]
  name = "health"
  http = { path = "/health" }

[thresholds]
"errors" = ["rate < 1%"]
"#,
    );
    let mut child = bin()
        .args([
            "run",
            f.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait on the file: three whole intervals written (bounded: a minute).
    let deadline = Instant::now() + Duration::from_secs(60);
    while whole_lines(&out) < 3 {
        assert!(Instant::now() < deadline, "no 3 intervals in 60 s");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: nothing of the run's own ending runs
    child.wait().unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(
        info["elapsed_s"].is_null(),
        "a killed run wrote no end: {info}"
    );
    let written = whole_lines(&out);
    let rebuilt = dir.join("rebuilt");
    let o = run(&[
        "report",
        out.to_str().unwrap(),
        "--out",
        rebuilt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "partial: {}", text(&o));
    assert!(text(&o).contains("did not reach its end"), "{}", text(&o));
    let s = summary(&rebuilt);
    assert_eq!(s["verdict"], "failed", "incomplete: {s}");
    assert!(
        s["verdict_reason"]
            .as_str()
            .unwrap()
            .contains("did not reach its end"),
        "{s}"
    );
    assert!(s["thresholds"][0]["passed"].as_bool().unwrap(), "{s}");
    let rows = counts_per_row(&rebuilt);
    assert_eq!(
        rows.len(),
        written,
        "every whole interval written is in the report"
    );
    let total: f64 = rows.iter().map(|r| r.2).sum();
    assert_eq!(s["totals"]["requests"].as_f64().unwrap(), total);
    assert!(
        total >= 80.0,
        "at 40/s, 3 s hold at least 80 requests: {total}"
    );
    for file in ["report.html", "junit.xml", "latency.hlog", "metrics.jsonl"] {
        assert!(rebuilt.join(file).exists(), "{file}");
    }
    let junit = std::fs::read_to_string(rebuilt.join("junit.xml")).unwrap();
    assert!(junit.contains("run complete"), "{junit}");
    // Default folder: beside the run's, `DIR-report`; the second time it refuses to overwrite.
    let o = run(&["report", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(dir.join("out-report/summary.json").exists());
    let o = run(&["report", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn interval_sets_the_length_of_every_row() {
    let dir = scratch("interval");
    let f = write(
        &dir,
        "short.toml",
        r#"name = "short"
target = "embedded"
duration = "3s"

[[workload]]
name = "w"
model = "open"
rate = "20/s"
max_vus = 5

  [[workload.step]]
  name = "health"
  http = { path = "/health" }
"#,
    );
    let out = dir.join("out");
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--quiet",
        "--interval",
        "500ms",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rows = counts_per_row(&out);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(rows.iter().all(|r| r.1 == 0.5), "{rows:?}");
    let info = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(info.contains("\"interval_ms\": 500"), "{info}");
    for bad in ["50ms", "2h", "1.0005s"] {
        let o = run(&["run", f.to_str().unwrap(), "--interval", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
    }
}

#[test]
fn a_connection_past_its_lifetime_is_replaced_between_iterations() {
    let dir = scratch("lifetime");
    // One closed-model VU looping with a 300 ms pause for 3 s: about ten iterations. With a
    // 1 s lifetime its connection is replaced about every third; without, it keeps one.
    for (lifetime, fewest, most) in [("max_connection_lifetime = \"1s\"\n", 3, 4), ("", 1, 1)] {
        let target = Target::start(&[]);
        let f = write(
            &dir,
            &format!("life-{}.toml", lifetime.len()),
            &format!(
                "name = \"life\"\ntarget = \"http://127.0.0.1:1\"\nduration = \"3s\"\n\
                 [http]\n{lifetime}\
                 [[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\nthink_time = \"300ms\"\n\
                 [[workload.step]]\nname = \"h\"\nhttp = {{ path = \"/health\" }}\n"
            ),
        );
        let out = dir.join(format!("out-{}", lifetime.len()));
        let o = run_against(&f, &target.url, &out, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let c = target.counters();
        // Less the connection that asked for these counters.
        let opened = c["connections_accepted"].as_u64().unwrap() - 1;
        assert!(
            (fewest..=most).contains(&opened),
            "{lifetime:?}: {opened} connections: {c}"
        );
    }
}
