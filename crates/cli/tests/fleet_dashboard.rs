//! The coordinator's dashboard end to end, with two workers on 127.0.0.2 and .3: changes by
//! hand (`loadgen ctl` against the coordinator) are relayed to every worker at one instant,
//! recorded once in the merged run, and seen in every worker's own recorded intervals (by
//! the change's instant, never by wall-clock sampling); a wrong token changes nothing; a
//! scale past a worker's `--max-rate` is refused; the page lists the workers.

use crate::dashboard::rows;
use crate::live::{coordinator, worker, Proc, SECRET};
use crate::support::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SCENARIO: &str =
    "name = \"fleetdash\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"11s\"\n\
    [[workload]]\nname = \"checkout\"\nmodel = \"open\"\nrate = \"50/s\"\nmax_vus = 50\n\
    [[workload.step]]\nname = \"health\"\nhttp = { method = \"GET\", path = \"/health\" }\n\
    [thresholds]\n\"errors\" = [\"rate < 1%\"]\n";

fn ctl(base: &str, token: &str, command: &[&str]) -> std::process::Output {
    bin()
        .args(["ctl", base])
        .args(command)
        .env("LOADGEN_TOKEN", token)
        .output()
        .unwrap()
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `(what, at_s)` of each change in a folder's run.json.
fn changes(folder: &Path) -> Vec<(String, f64)> {
    json(folder.join("run.json"))["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["what"].as_str().unwrap().to_string(),
                c["at_s"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The page as a plain GET returns it (its embedded snapshot holds the workers' lines).
fn page(base: &str) -> String {
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET / HTTP/1.1\r\nhost: {host}\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Arrivals per second over the rows that `keep` selects (by their start and end).
fn rate(rows: &[(f64, f64, f64, f64)], keep: &dyn Fn(f64, f64) -> bool) -> f64 {
    let kept: Vec<_> = rows.iter().filter(|r| keep(r.0, r.0 + r.1)).collect();
    assert!(!kept.is_empty(), "no rows in the span: {rows:?}");
    kept.iter().map(|r| r.2).sum::<f64>() / kept.iter().map(|r| r.1).sum::<f64>()
}

/// Rows wholly inside the pause (from a second after it) only skipped arrivals.
fn assert_paused(rows: &[(f64, f64, f64, f64)], pause: f64, resume: f64, whose: &str) {
    let paused: Vec<_> = rows
        .iter()
        .filter(|r| r.0 >= pause + 1.0 && r.0 + r.1 <= resume)
        .collect();
    assert!(!paused.is_empty(), "{whose}: {rows:?}");
    for r in paused {
        assert_eq!(r.2, r.3, "{whose}: a paused row only skips: {r:?}");
        assert!(r.3 > 0.0, "{whose}: {r:?}");
    }
}

#[test]
fn ctl_against_the_coordinator_changes_every_worker_at_one_instant() {
    let target = Target::start(&[]);
    let dir = scratch("fleet-dashboard");
    let f = write(&dir, "fleet.toml", SCENARIO);
    // Each worker runs 25/s of the 50/s: at most 40× that within its 1000/s.
    let limit = ["--max-rate", "1000/s"];
    let (mut w1, a1) = worker("127.0.0.2", &dir.join("w1"), &limit, SECRET);
    let (mut w2, a2) = worker("127.0.0.3", &dir.join("w2"), &limit, SECRET);
    let out = dir.join("merged");
    let mut c: Proc = coordinator(
        &f,
        &[a1.clone(), a2.clone()],
        &target.url,
        &out,
        &["--dashboard=127.0.0.1:0"],
        Some(SECRET),
    );
    let line = c.wait_for("coordinator: dashboard at ");
    let url = line.split("dashboard at ").nth(1).unwrap();
    let url = url.split(' ').next().unwrap();
    let (base, token) = url.split_once("#token=").unwrap();
    c.wait_for("fleet 2/2");
    // A wrong token: 401, nothing changes (the records below hold only the right ones).
    let wrong = ctl(base, "0123456789abcdef0123456789abcdef", &["pause"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"));
    // Past the workers' ceiling: refused before anything is relayed.
    let over = ctl(base, token, &["scale", "100"]);
    assert_eq!(over.status.code(), Some(2));
    let over = String::from_utf8_lossy(&over.stderr);
    assert!(over.contains("409") && over.contains("ceiling"), "{over}");
    // The page lists both workers, running.
    let p = page(base);
    assert!(p.contains(&a1) && p.contains(&a2), "{p}");
    assert!(p.contains("\"state\":\"running\""), "{p}");

    std::thread::sleep(Duration::from_millis(1500));
    assert!(ctl(base, token, &["scale", "2"]).status.success());
    std::thread::sleep(Duration::from_millis(3000));
    assert!(ctl(base, token, &["pause"]).status.success());
    std::thread::sleep(Duration::from_millis(3000));
    assert!(ctl(base, token, &["resume"]).status.success());
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(0), "the thresholds' exit code stands: {log}");

    // Recorded once, on the coordinator's merged run, as on a single run.
    let merged = changes(&out);
    let what: Vec<&str> = merged.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(what, ["scale 2", "pause", "resume"], "{log}");
    let at: Vec<f64> = merged.iter().map(|c| c.1).collect();
    assert_eq!(json(out.join("summary.json"))["as_planned"], false);
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    // "PASSED, BUT CHANGED BY HAND" (or "BUT UNTRUSTED AND CHANGED BY HAND" on a busy machine).
    assert!(text.contains("CHANGED BY HAND"), "{text}");
    let marks = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(marks.contains("scale 2@"), "{marks}");

    // The merged rate doubles at the recorded instant (the schedule is exact: 50/s, then
    // 100/s; completions move a request between rows by its latency only).
    let m = rows(&out);
    let before = rate(&m, &|_, end| end <= at[0]);
    let after = rate(&m, &|start, end| start >= at[0] && end <= at[1]);
    assert!(
        (1.6..=2.4).contains(&(after / before)),
        "{before}/s before, {after}/s after: {m:?}"
    );
    assert_paused(&m, at[1], at[2], "merged");

    // Every worker applied each change at the coordinator's instant, and its own intervals
    // show the pause.
    for (w, name) in [(&mut w1, "w1"), (&mut w2, "w2")] {
        let (code, wlog) = w.finish(30);
        assert_eq!(code, Some(0), "{wlog}");
        let folder = std::fs::read_dir(dir.join(name))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(changes(&folder), merged, "{name}: {wlog}");
        let r = rows(&folder);
        assert_paused(&r, at[1], at[2], name);
        let (b, a) = (
            rate(&r, &|_, end| end <= at[0]),
            rate(&r, &|start, end| start >= at[0] && end <= at[1]),
        );
        assert!((1.5..=2.5).contains(&(a / b)), "{name}: {b}/s, then {a}/s");
    }
}

#[test]
fn the_fleet_page_shows_a_lost_worker() {
    let target = Target::start(&[]);
    let dir = scratch("fleet-dashboard-lost");
    let f = write(&dir, "fleet.toml", &SCENARIO.replace("11s", "6s"));
    let (_w1, a1) = worker("127.0.0.2", &dir.join("w1"), &[], SECRET);
    let (mut w2, a2) = worker("127.0.0.3", &dir.join("w2"), &[], SECRET);
    let mut c: Proc = coordinator(
        &f,
        &[a1.clone(), a2.clone()],
        &target.url,
        &dir.join("merged"),
        &["--dashboard=127.0.0.1:0"],
        Some(SECRET),
    );
    let line = c.wait_for("coordinator: dashboard at ");
    let url = line.split("dashboard at ").nth(1).unwrap();
    let base = url.split('#').next().unwrap().to_string();
    c.wait_for("fleet 2/2");
    let _ = w2.child.kill();
    // The page's snapshot names the lost worker as soon as the coordinator noticed.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let lost = loop {
        let p = page(&base);
        if p.contains("\"state\":\"lost\"") {
            break p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never shown lost: {p}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let entry = lost
        .split("{\"addr\":")
        .find(|e| e.contains("\"state\":\"lost\""))
        .unwrap();
    assert!(entry.starts_with(&format!("\"{a2}\"")), "{entry}");
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(3), "a lost worker fails the run: {log}");
}

#[test]
fn ctl_stop_against_the_coordinator_stops_the_fleet_with_130() {
    let target = Target::start(&[]);
    let dir = scratch("fleet-dashboard-stop");
    let f = write(&dir, "fleet.toml", &SCENARIO.replace("11s", "60s"));
    let (mut w, a) = worker("127.0.0.2", &dir.join("w1"), &[], SECRET);
    let out = dir.join("merged");
    let mut c: Proc = coordinator(
        &f,
        &[a],
        &target.url,
        &out,
        &["--dashboard=127.0.0.1:0"],
        Some(SECRET),
    );
    let line = c.wait_for("coordinator: dashboard at ");
    let url = line.split("dashboard at ").nth(1).unwrap();
    let (base, token) = url
        .split(' ')
        .next()
        .unwrap()
        .split_once("#token=")
        .unwrap();
    c.wait_for("fleet 1/1");
    assert!(ctl(base, token, &["stop"]).status.success());
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(130), "as Ctrl-C: {log}");
    let what: Vec<String> = changes(&out).into_iter().map(|c| c.0).collect();
    assert_eq!(what, ["stop"], "{log}");
    let (_, wlog) = w.finish(30);
    assert!(wlog.contains("stop at "), "the worker applied it: {wlog}");
}
