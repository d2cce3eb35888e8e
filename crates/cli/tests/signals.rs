//! Ctrl-C: the run stops, still writes its results, and exits 130.

use crate::support::*;
use std::io::{BufRead, BufReader, Lines};
use std::path::PathBuf;
use std::process::Stdio;
use std::process::{Child, ChildStdout};
use std::time::Duration;

/// A 10-minute open-model run on the embedded target, started with `extra` arguments; returns
/// the child, its stdout lines, and the results folder.
fn start_long_run(name: &str, extra: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>, PathBuf) {
    let dir = scratch(name);
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
rate = "50/s"
max_vus = 20

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }
"#,
    );
    let mut child = bin()
        .args(["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines, out)
}

/// Reads lines up to and including the first per-interval line (requests are in flight then).
fn until_first_interval(lines: &mut Lines<BufReader<ChildStdout>>) -> Vec<String> {
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let live = line.contains("req/s");
        seen.push(line);
        if live {
            break;
        }
    }
    seen
}

#[test]
fn an_interrupted_run_writes_its_results_and_exits_130() {
    let (mut child, mut lines, out) = start_long_run("interrupt", &[]);
    let seen = until_first_interval(&mut lines);
    assert!(
        seen.iter().any(|l| l.starts_with("loadgen: running")),
        "{seen:?}"
    );
    crate::support::send_signal(&child, rustix::process::Signal::INT);
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let s = summary(&out);
    assert_eq!(s["stopped_early"], true);
    assert!(s["steps"][0]["count"].as_u64().unwrap() > 0, "{s}");
    assert!(out.join("summary.txt").exists());
}

#[test]
fn the_prometheus_endpoint_serves_valid_metrics_during_the_run() {
    // Asked first, so that under CI a missing promtool fails before the run starts.
    let promtool = loadgen_testkit::peer::PROMTOOL
        .require("the_prometheus_endpoint_serves_valid_metrics_during_the_run");
    let (mut child, mut lines, _out) =
        start_long_run("prometheus", &["--metrics-addr", "127.0.0.1:0"]);
    let seen = until_first_interval(&mut lines);
    let url = seen
        .iter()
        .find_map(|l| l.strip_prefix("loadgen: Prometheus metrics at "))
        .map(str::to_string);
    let url = url.expect("the endpoint is announced before the run");
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::{Read, Write};
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    crate::support::send_signal(&child, rustix::process::Signal::INT);
    let _ = child.wait();
    let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("text/plain; version=0.0.4"),
        "{head}"
    );
    // Every sample line is `name{labels} value` with a declared TYPE for its family.
    let mut types = std::collections::HashSet::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            types.insert(rest.split_whitespace().next().unwrap().to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("value of {line}"));
        let name = series.split('{').next().unwrap();
        let family = name.trim_end_matches("_sum").trim_end_matches("_count");
        assert!(
            types.contains(name) || types.contains(family),
            "{line} has no TYPE"
        );
    }
    let success = body
        .lines()
        .find(|l| l.starts_with("loadgen_requests_total{") && l.contains("outcome=\"success\""))
        .expect("a success counter");
    assert!(
        success.rsplit(' ').next().unwrap().parse::<f64>().unwrap() > 0.0,
        "{success}"
    );
    // Prometheus's own parser (required under CI; elsewhere the checks above stand alone).
    if let Some(promtool) = promtool {
        let mut p = std::process::Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool starts");
        p.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
        let o = p.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
