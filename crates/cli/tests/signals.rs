//! Ctrl-C: the run stops, still writes its results, and exits 130.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn an_interrupted_run_writes_its_results_and_exits_130() {
    let dir = scratch("interrupt");
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
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait for the marker line, then for the first interval line: requests are in flight.
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let live = line.contains("req/s");
        seen.push(line);
        if live {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.starts_with("loadgen: running")),
        "{seen:?}"
    );
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
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
