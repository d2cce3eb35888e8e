//! The generator under stress of its own: frozen (saturated), stopped twice, and facing a
//! target that dies and comes back.

use crate::support::*;
use rustix::process::Signal;
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

fn spawn_run(file: &Path, out: &Path, extra: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = bin()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// Reads stdout up to and including the `n`th per-interval line.
fn intervals(lines: &mut Lines<BufReader<ChildStdout>>, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut live = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("req/s") {
            live += 1;
        }
        seen.push(line);
        if live == n {
            break;
        }
    }
    seen
}

fn signal(child: &Child, sig: rustix::process::Signal) {
    crate::support::send_signal(child, sig);
}

fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadgen did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn long_open_run(dir: &Path, target: &str, extra: &str) -> PathBuf {
    write(
        dir,
        "long.toml",
        &format!(
            r#"name = "long"
target = "{target}"
duration = "10m"
{extra}

[[workload]]
name = "w"
model = "open"
rate = "100/s"
max_vus = 50

  [[workload.step]]
  name = "health"
  http = {{ method = "GET", path = "/health" }}

[thresholds]
"errors" = ["rate < 50%"]
"#
        ),
    )
}

#[test]
fn a_frozen_generator_is_reported_saturated_and_its_passing_thresholds_untrusted() {
    let dir = scratch("frozen");
    let out = dir.join("out");
    let file = long_open_run(&dir, "embedded", "");
    let (mut child, mut lines) = spawn_run(&file, &out, &[]);
    intervals(&mut lines, 1);
    // Freeze the whole process: arrivals pile up and leave late when it thaws.
    signal(&child, Signal::STOP);
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, Signal::CONT);
    let after = intervals(&mut lines, 2);
    signal(&child, Signal::INT);
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130));
    assert!(
        after.iter().any(|l| l.contains("generator saturated")),
        "the live line says so: {after:?}"
    );
    let s = summary(&out);
    assert_eq!(s["generator"]["saturated"], true, "{}", s["generator"]);
    assert_eq!(s["trustworthy"], false);
    let reasons = s["generator"]["reasons"].to_string();
    assert!(reasons.contains("schedule lag"), "{reasons}");
    let t = &s["thresholds"][0];
    assert_eq!(t["passed"], true, "{t}");
    assert_eq!(t["untrusted"], true, "{t}");
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(text.contains("⚠ generator saturated"), "{text}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("generator saturated") && html.contains("? untrusted"));
}

#[test]
fn a_second_signal_stops_at_once_and_still_writes_the_results() {
    let dir = scratch("second-signal");
    let out = dir.join("out");
    // Every request asks to stall; a 60 s graceful stop would wait for them.
    let target = Target::start(&[]);
    let file = long_open_run(
        &dir,
        &target.url,
        "graceful_stop = \"60s\"\n[http]\ntimeout = \"60s\"\nheaders = { \"x-loadgen-fault\" = \"stall\" }",
    );
    let (mut child, mut lines) = spawn_run(&file, &out, &[]);
    intervals(&mut lines, 1);
    let first = Instant::now();
    signal(&child, Signal::INT);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, Signal::INT);
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    assert!(
        first.elapsed() < Duration::from_secs(30),
        "not the 60 s graceful stop"
    );
    assert_eq!(status.code(), Some(130));
    let s = summary(&out);
    assert_eq!(s["stopped_early"], true);
    assert!(
        s["workloads"][0]["interrupted"].as_u64().unwrap() > 0,
        "the stalled requests were cut off and counted: {}",
        s["workloads"][0]
    );
    assert!(out.join("latency.hlog").exists() && out.join("junit.xml").exists());
}

#[test]
fn a_target_that_dies_and_comes_back_shows_the_gap_and_the_recovery() {
    let dir = scratch("comeback");
    let out = dir.join("out");
    let port = dead_port();
    let addr = format!("127.0.0.1:{port}");
    let target = Target::start_on(&addr, &[]);
    let file = long_open_run(&dir, &target.url, "[http]\ntimeout = \"1s\"");
    let (mut child, mut lines) = spawn_run(&file, &out, &[]);
    intervals(&mut lines, 1);
    drop(target); // killed: connections reset, then refused
    intervals(&mut lines, 1);
    let target = Target::start_on(&addr, &[]);
    intervals(&mut lines, 2);
    signal(&child, Signal::INT);
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(30)).code(),
        Some(130)
    );
    let s = summary(&out);
    let outcomes = &s["steps"][0]["outcomes"];
    let failed =
        outcomes["connect"].as_u64().unwrap_or(0) + outcomes["reset"].as_u64().unwrap_or(0);
    assert!(failed > 0, "the gap is counted: {outcomes}");
    // The revived target saw requests: loadgen reconnected on its own.
    let after = target.counters()["requests_total"].as_u64().unwrap();
    assert!(after > 0, "{outcomes}");
    // The time series shows the gap: an interval with errors, then one without.
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let errors: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap().parse().unwrap())
        .collect();
    let first_bad = errors
        .iter()
        .position(|e| *e > 0)
        .expect("an interval with errors");
    assert!(
        errors[first_bad..].contains(&0),
        "a clean interval after the gap: {errors:?}"
    );
}
