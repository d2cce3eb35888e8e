//! Live distributed runs on one machine: workers on 127.0.0.2/.3/.4, a coordinator, one
//! standalone target. Every process is real; every run is a few seconds long.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const SECRET: &str = "test-secret-0123456789abcdef";

fn scenario(rate: &str, duration: &str) -> String {
    format!(
        r#"name = "live"
target = "embedded"
duration = "{duration}"

[[workload]]
name = "pay"
model = "open"
rate = "{rate}"
max_vus = 50

  [[workload.step]]
  name = "create"
  http = {{ method = "POST", path = "/api/payments", json = {{ amount = 100, currency = "AUD", reference = "{{{{uuid}}}}" }} }}
  expect = {{ status = [201] }}

[thresholds]
"errors" = ["rate < 1%"]
"#
    )
}

/// A process whose stdout lines arrive on a channel (and are kept for the failure message).
pub(crate) struct Proc {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    pub(crate) fn spawn(args: &[&str], secret: Option<&str>) -> Proc {
        let mut c = bin();
        c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        match secret {
            Some(s) => c.env("LOADGEN_SECRET", s),
            None => c.env_remove("LOADGEN_SECRET"),
        };
        let mut child = c.spawn().expect("spawn loadgen");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {l}"));
            }
        });
        Proc {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 60 s) for a line containing `needle`; returns it.
    pub(crate) fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.seen.push(l.clone());
                if l.contains(needle) {
                    return l;
                }
            }
        }
        panic!("no line with {needle:?}; saw:\n{}", self.seen.join("\n"));
    }

    /// Waits (at most `secs`) for the exit; returns the code and every line.
    pub(crate) fn finish(&mut self, secs: u64) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                self.seen.extend(self.lines.try_iter());
                return (s.code(), self.seen.join("\n"));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                self.seen.extend(self.lines.try_iter());
                panic!("did not exit in {secs}s:\n{}", self.seen.join("\n"));
            }
            self.seen.extend(self.lines.try_iter());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `loadgen worker --once` on `ip`; returns it and its address.
/// Workers on 127.0.0.2, .3 and .4 (results under `dir/<ip>`), and their addresses.
fn three_workers(dir: &Path) -> (Vec<Proc>, Vec<String>) {
    ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .into_iter()
        .map(|ip| worker(ip, &dir.join(ip), &[], SECRET))
        .unzip()
}

pub(crate) fn worker(ip: &str, out: &Path, extra: &[&str], secret: &str) -> (Proc, String) {
    let listen = format!("{ip}:0");
    let mut args = vec![
        "worker",
        "--listen",
        &listen,
        "--once",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut p = Proc::spawn(&args, Some(secret));
    let line = p.wait_for("listening on");
    let addr = line.rsplit(' ').next().unwrap().to_string();
    (p, addr)
}

pub(crate) fn coordinator(
    f: &Path,
    workers: &[String],
    target: &str,
    out: &Path,
    extra: &[&str],
    secret: Option<&str>,
) -> Proc {
    let list = workers.join(",");
    let mut args = vec![
        "coordinator",
        f.to_str().unwrap(),
        "--workers",
        &list,
        "--target",
        target,
        "--threads",
        "1",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Proc::spawn(&args, secret)
}

fn step_count(s: &serde_json::Value) -> u64 {
    s["steps"][0]["count"].as_u64().unwrap()
}

/// The single results folder a `--once` worker made under `root`.
fn worker_folder(root: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn three_workers_send_exactly_the_plan_and_merge_like_shared_nothing_runs() {
    let target = Target::start(&[]);
    let dir = scratch("live3");
    let f = write(&dir, "live.toml", &scenario("100/s", "2s"));
    let (mut workers, addrs) = three_workers(&dir);
    let out = dir.join("merged");
    let mut c = coordinator(&f, &addrs, &target.url, &out, &[], Some(SECRET));
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("fleet 3/3 workers"), "{log}");
    let s = summary(&out);
    let counters = target.counters();
    // 100/s for 2 s is 200 arrivals; the target saw each one once.
    assert_eq!(step_count(&s), 200, "{s}");
    assert_eq!(counters["by_route"]["create_payment"], 200, "{counters}");
    assert_eq!(counters["requests_total"], s["totals"]["requests"]);
    // Each worker ran exactly its segment's arrivals (index i, i+3, …) and kept its folder.
    let mut folders = Vec::new();
    for (i, ip) in ["127.0.0.2", "127.0.0.3", "127.0.0.4"].iter().enumerate() {
        let (code, wlog) = workers[i].finish(30);
        assert_eq!(code, Some(0), "{wlog}");
        let folder = worker_folder(&dir.join(ip));
        let ws = summary(&folder);
        assert_eq!(step_count(&ws), [67, 67, 66][i], "{ws}");
        folders.push(folder);
    }
    // The workers' folders merge to the live result exactly.
    let remerged = dir.join("remerged");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(folders.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", remerged.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = summary(&remerged);
    assert_eq!(r["totals"]["requests"], s["totals"]["requests"]);
    assert_eq!(
        r["totals"]["latency"]["count"],
        s["totals"]["latency"]["count"]
    );
    assert_eq!(r["totals"]["latency"]["max"], s["totals"]["latency"]["max"]);
    // Three shared-nothing segments of the same plan send the same load.
    let t2 = Target::start(&[]);
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let kids: Vec<_> = (0..3)
        .map(|i| {
            let seg = format!("{i}/3");
            let o = dir.join(format!("sn{i}"));
            let mut cmd = bin();
            cmd.args([
                "run",
                f.to_str().unwrap(),
                "--target",
                &t2.url,
                "--quiet",
                "--threads",
                "1",
            ])
            .args([
                "--segment",
                &seg,
                "--start-at",
                &at,
                "--out",
                o.to_str().unwrap(),
            ])
            .stdout(Stdio::null());
            (o, cmd.spawn().unwrap())
        })
        .collect();
    let mut sn = Vec::new();
    for (o, mut k) in kids {
        assert_eq!(k.wait().unwrap().code(), Some(0));
        sn.push(o);
    }
    let snm = dir.join("snm");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(sn.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", snm.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m = summary(&snm);
    assert_eq!(m["steps"][0]["outcomes"], s["steps"][0]["outcomes"]);
    assert_eq!(
        m["workloads"][0]["iterations"],
        s["workloads"][0]["iterations"]
    );
}

fn freeze(p: &Proc) {
    // SIGSTOP: the process stays, its sockets stay open, it just says nothing any more.
    crate::support::send_signal(&p.child, rustix::process::Signal::STOP);
}

#[test]
fn a_killed_worker_is_reported_and_the_others_finish() {
    lost_worker("live-kill", false);
}

#[test]
fn a_silent_worker_is_reported_and_the_others_finish() {
    lost_worker("live-freeze", true);
}

fn lost_worker(name: &str, silent: bool) {
    let target = Target::start(&[]);
    let dir = scratch(name);
    let f = write(&dir, "live.toml", &scenario("60/s", "4s"));
    let (mut workers, addrs) = three_workers(&dir);
    let out = dir.join("merged");
    let mut c = coordinator(&f, &addrs, &target.url, &out, &[], Some(SECRET));
    c.wait_for("fleet 3/3 workers");
    if silent {
        freeze(&workers[2]);
    } else {
        let _ = workers[2].child.kill();
    }
    let (code, log) = c.finish(60);
    if silent {
        assert!(log.contains("silent for"), "{log}");
    }
    assert_eq!(code, Some(3), "{log}");
    assert!(
        log.contains("lost worker") && log.contains("segment 2/3"),
        "{log}"
    );
    assert!(log.contains("LOST after"), "{log}");
    // One verdict per run, and it is the failure: never "every threshold held" first.
    let verdicts: Vec<&str> = log.lines().filter(|l| l.starts_with("verdict:")).collect();
    assert_eq!(verdicts.len(), 1, "{log}");
    assert!(
        verdicts[0].contains("FAILED") && verdicts[0].contains("lost"),
        "{log}"
    );
    let s = summary(&out);
    assert_eq!(s["verdict"], "failed", "{s}");
    assert_eq!(s["exit_code"], 3, "{s}");
    assert!(
        s["verdict_reason"]
            .as_str()
            .unwrap()
            .contains("segment 2/3"),
        "{s}"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"1\""), "{junit}");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let missing = info["missing_segments"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{info}");
    assert!(missing[0].as_str().unwrap().starts_with("2/3"), "{info}");
    let fleet: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fleet.json")).unwrap()).unwrap();
    let states: Vec<&str> = fleet["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["complete", "complete", "lost"], "{fleet}");
    // Share sent: the two complete segments and part of the lost one.
    let share: f64 = log
        .split("worker(s), ")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no share in {log}"));
    assert!(share > 66.0 && share < 100.0, "{share}");
    // 240 arrivals planned; the two surviving segments (80 each) are all in the merge.
    let s = summary(&out);
    let n = step_count(&s);
    assert!((160..240).contains(&n), "{n}");
    for (i, w) in workers.iter_mut().enumerate().take(2) {
        let (code, wlog) = w.finish(30);
        assert_eq!(code, Some(0), "worker {i}: {wlog}");
    }
}

#[test]
fn workers_stop_their_load_when_the_coordinator_dies() {
    let target = Target::start(&[]);
    let dir = scratch("live-coord-dies");
    let f = write(&dir, "live.toml", &scenario("50/s", "8s"));
    let (mut w, addr) = worker("127.0.0.2", &dir.join("w"), &[], SECRET);
    let mut c = coordinator(&f, &[addr], &target.url, &dir.join("m"), &[], Some(SECRET));
    c.wait_for("fleet 1/1 workers");
    freeze(&c);
    let frozen = Instant::now();
    // Heartbeats stop; the worker notices within its 3 s silence limit and stops at once.
    let (code, wlog) = w.finish(30);
    let stopped_after = frozen.elapsed();
    let _ = c.child.kill();
    assert_eq!(code, Some(0), "{wlog}");
    assert!(wlog.contains("lost the coordinator (silent for"), "{wlog}");
    let folder = worker_folder(&dir.join("w"));
    let ws = summary(&folder);
    assert_eq!(ws["stopped_early"], true, "{ws}");
    assert!(step_count(&ws) < 400, "{ws}");
    // Without the coordinator, the worker's own folder still rebuilds the verdict.
    let rebuilt = dir.join("rebuilt");
    let o = run(&[
        "merge",
        folder.to_str().unwrap(),
        "--out",
        rebuilt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        summary(&rebuilt)["totals"]["requests"],
        ws["totals"]["requests"]
    );
    let sent = target.counters()["requests_total"].as_u64().unwrap();
    assert!(sent < 400, "the worker kept sending: {sent}");
    eprintln!(
        "worker stopped {:.1}s after the coordinator froze",
        stopped_after.as_secs_f64()
    );
}

#[test]
fn wrong_secret_forbidden_targets_and_ceilings_are_refused() {
    let target = Target::start(&[]);
    let dir = scratch("live-refuse");
    let f = write(&dir, "live.toml", &scenario("100/s", "2s"));
    let refused =
        |extra: &[&str], worker_secret: &str, coord_secret: Option<&str>, pin: &[&str]| {
            let (mut w, addr) = worker("127.0.0.3", &dir.join("w"), extra, worker_secret);
            let mut c = coordinator(&f, &[addr], &target.url, &dir.join("m"), pin, coord_secret);
            let (code, log) = c.finish(60);
            assert_eq!(code, Some(2), "{log}");
            let _ = w.child.kill();
            let (_, wlog) = w.finish(10);
            (log, wlog)
        };
    let (log, wlog) = refused(&[], SECRET, Some("another-secret-0123456789"), &[]);
    assert!(log.contains("shared secret"), "{log}");
    assert!(wlog.contains("refused"), "{wlog}");

    let (log, _) = refused(&[], SECRET, None, &[]);
    assert!(log.contains("LOADGEN_SECRET"), "{log}");

    let (log, wlog) = refused(&["--allow-target", "127.0.0.9"], SECRET, Some(SECRET), &[]);
    assert!(
        log.contains("refused the work") && log.contains("allow-target"),
        "{log}"
    );
    assert!(wlog.contains("127.0.0.1"), "{wlog}");

    let (log, _) = refused(&["--max-rate", "10/s"], SECRET, Some(SECRET), &[]);
    assert!(log.contains("max-rate"), "{log}");

    let (log, _) = refused(&["--max-duration", "1s"], SECRET, Some(SECRET), &[]);
    assert!(log.contains("max-duration"), "{log}");

    let pin = ["--worker-fingerprint", "00:11:22"];
    let (log, _) = refused(&[], SECRET, Some(SECRET), &pin);
    assert!(log.contains("pinned"), "{log}");

    // Nothing reached the target.
    assert_eq!(target.counters()["requests_total"], 0);
}

#[test]
fn workers_check_the_real_destination_and_the_proxy_and_refuse_client_certificates() {
    let target = Target::start(&[]);
    let dir = scratch("live-refuse-tls");
    let port = target.url.rsplit(':').next().unwrap().to_owned();
    // A client certificate would be the worker's own files, presented on the coordinator's
    // say-so: refused. `hosts` and `proxy` are checked where the traffic really goes.
    loadgen_testkit::pki::Pki::new("localhost").write(&dir);
    let p = |f: &str| dir.join(f).to_str().unwrap().replace('\\', "/");
    let identity = format!(
        "client_cert = \"{}\"\nclient_key = \"{}\"",
        p("client.pem"),
        p("client.key")
    );
    let staging = format!("http://api.staging.example:{port}");
    let proxy = loadgen_testkit::proxy::ConnectProxy::start();
    for (name, http, target_url, want) in [
        (
            "identity",
            identity,
            target.url.clone(),
            Err("read from their own disk"),
        ),
        (
            // The name maps to an address outside the worker's loopback-only list.
            "hosts-outside",
            "hosts = { \"api.staging.example\" = \"10.9.9.9\" }".to_owned(),
            staging.clone(),
            Err("resolves to 10.9.9.9"),
        ),
        (
            "proxy-outside",
            "proxy = \"http://10.9.9.8:3128\"".to_owned(),
            target.url.clone(),
            Err("resolves to 10.9.9.8"),
        ),
        (
            // Allowed: the name maps to loopback, where the target is.
            "hosts-loopback",
            "hosts = { \"api.staging.example\" = \"127.0.0.1\" }".to_owned(),
            staging.clone(),
            Ok(()),
        ),
        (
            "proxy-loopback",
            format!("proxy = \"{}\"", proxy.url()),
            target.url.clone(),
            Ok(()),
        ),
    ] {
        let text = scenario("20/s", "1s")
            .replace("[[workload]]", &format!("[http]\n{http}\n\n[[workload]]"));
        let f = write(&dir, &format!("{name}.toml"), &text);
        let (mut w, addr) = worker("127.0.0.3", &dir.join(name), &[], SECRET);
        let out = dir.join(format!("m-{name}"));
        let before = target.counters()["requests_total"].as_u64().unwrap();
        let mut c = coordinator(&f, &[addr], &target_url, &out, &[], Some(SECRET));
        let (code, log) = c.finish(60);
        let after = target.counters()["requests_total"].as_u64().unwrap();
        match want {
            Err(why) => {
                assert_eq!(code, Some(2), "{name}: {log}");
                assert!(
                    log.contains("refused the work") && log.contains(why),
                    "{name}: {log}"
                );
                assert_eq!(after, before, "{name}: nothing reached the target");
            }
            Ok(()) => {
                assert_eq!(code, Some(0), "{name}: {log}");
                assert_eq!(after - before, 20, "{name}: the plan's 20 requests arrived");
            }
        }
        let _ = w.child.kill();
        let _ = w.finish(10);
    }
    // The proxied run went through the proxy (one tunnel per connection).
    assert!(!proxy.requests().is_empty());
    assert!(proxy
        .requests()
        .iter()
        .all(|r| r == &format!("CONNECT 127.0.0.1:{port} HTTP/1.1")));
}

#[test]
fn a_live_abort_on_fail_threshold_stops_every_worker() {
    let target = Target::start(&[]);
    let dir = scratch("live-abort");
    let text = scenario("40/s", "8s").replace(
        "\"errors\" = [\"rate < 1%\"]",
        "\"latency{step=create}\" = [{ threshold = \"p(50) < 1us\", abort_on_fail = true }]",
    );
    let f = write(&dir, "live.toml", &text);
    let mut workers = Vec::new();
    let mut addrs = Vec::new();
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let (p, a) = worker(ip, &dir.join(ip), &[], SECRET);
        workers.push(p);
        addrs.push(a);
    }
    let out = dir.join("merged");
    let mut c = coordinator(&f, &addrs, &target.url, &out, &[], Some(SECRET));
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(3), "{log}");
    assert!(log.contains("aborting: threshold"), "{log}");
    let s = summary(&out);
    assert_eq!(s["stopped_early"], true, "{s}");
    // 320 arrivals planned over 8 s; the abort after the first interval cuts that short.
    assert!(step_count(&s) < 320, "{s}");
    for (i, ip) in ["127.0.0.2", "127.0.0.3"].iter().enumerate() {
        let (code, wlog) = workers[i].finish(30);
        assert_eq!(code, Some(0), "{wlog}");
        assert!(wlog.contains("coordinator asks to stop"), "{wlog}");
        let ws = summary(&worker_folder(&dir.join(ip)));
        assert_eq!(ws["stopped_early"], true, "{ws}");
    }
}

#[test]
fn expect_mode_takes_workers_that_dial_in_and_turns_away_a_wrong_secret() {
    let target = Target::start(&[]);
    let dir = scratch("live-expect");
    let f = write(&dir, "live.toml", &scenario("100/s", "2s"));
    let out = dir.join("merged");
    let mut c = Proc::spawn(
        &[
            "coordinator",
            f.to_str().unwrap(),
            "--expect",
            "2",
            "--listen",
            "127.0.0.1:0",
            "--target",
            &target.url,
            "--threads",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(SECRET),
    );
    let line = c.wait_for("listening on");
    let addr = line.rsplit(' ').next().unwrap().to_string();
    let fp = c.wait_for("certificate SHA-256");
    let fp = fp.rsplit(' ').next().unwrap().to_string();
    let dial = |ip_out: &str, secret: &str, pin: &str| {
        let o = dir.join(ip_out);
        Proc::spawn(
            &[
                "worker",
                "--connect",
                &addr,
                "--coordinator-fingerprint",
                pin,
                "--once",
                "--out",
                o.to_str().unwrap(),
            ],
            Some(secret),
        )
    };
    let mut intruder = dial("bad", "not-the-fleet-secret-123", &fp);
    let (code, ilog) = intruder.finish(30);
    assert_eq!(code, Some(0), "{ilog}");
    assert!(ilog.contains("does not hold the shared secret"), "{ilog}");
    c.wait_for("refused");
    let mut w = [dial("a", SECRET, &fp), dial("b", SECRET, &fp)];
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(0), "{log}");
    let s = summary(&out);
    assert_eq!(step_count(&s), 200, "{s}");
    assert_eq!(target.counters()["requests_total"], 200);
    for p in &mut w {
        let (code, wlog) = p.finish(30);
        assert_eq!(code, Some(0), "{wlog}");
    }
    let shares: u64 = ["a", "b"]
        .iter()
        .map(|d| step_count(&summary(&worker_folder(&dir.join(d)))))
        .sum();
    assert_eq!(shares, 200);
    assert!(!dir.join("bad").exists() || std::fs::read_dir(dir.join("bad")).unwrap().count() == 0);
}

#[test]
fn a_silent_connection_does_not_keep_the_coordinator_out() {
    let target = Target::start(&[]);
    let dir = scratch("live-squat");
    let f = write(&dir, "live.toml", &scenario("50/s", "1s"));
    let (mut w, addr) = worker("127.0.0.4", &dir.join("w"), &[], SECRET);
    // Connects and never speaks TLS: it must not hold the worker's only session slot.
    let squatter = std::net::TcpStream::connect(&addr).unwrap();
    let out = dir.join("m");
    let mut c = coordinator(&f, &[addr], &target.url, &out, &[], Some(SECRET));
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(step_count(&summary(&out)), 50);
    let (code, wlog) = w.finish(30);
    assert_eq!(code, Some(0), "{wlog}");
    drop(squatter);
}

#[test]
fn an_interrupted_coordinator_stops_the_fleet_and_keeps_the_results() {
    let target = Target::start(&[]);
    let dir = scratch("live-int");
    let f = write(&dir, "live.toml", &scenario("40/s", "8s"));
    let (mut w, addr) = worker("127.0.0.2", &dir.join("w"), &[], SECRET);
    let out = dir.join("m");
    let mut c = coordinator(&f, &[addr], &target.url, &out, &[], Some(SECRET));
    c.wait_for("fleet 1/1 workers");
    crate::support::send_signal(&c.child, rustix::process::Signal::INT);
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(130), "{log}");
    assert!(log.contains("stopping every worker"), "{log}");
    let s = summary(&out);
    assert_eq!(s["verdict"], "interrupted", "{s}");
    assert!(step_count(&s) < 320, "{s}");
    let (code, wlog) = w.finish(30);
    assert_eq!(code, Some(0), "{wlog}");
    assert!(wlog.contains("coordinator asks to stop"), "{wlog}");
}

#[test]
fn abort_on_worker_loss_stops_the_others() {
    let target = Target::start(&[]);
    let dir = scratch("live-abort-loss");
    let f = write(&dir, "live.toml", &scenario("40/s", "8s"));
    let mut workers = Vec::new();
    let mut addrs = Vec::new();
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let (p, a) = worker(ip, &dir.join(ip), &[], SECRET);
        workers.push(p);
        addrs.push(a);
    }
    let out = dir.join("merged");
    let extra = ["--abort-on-worker-loss"];
    let mut c = coordinator(&f, &addrs, &target.url, &out, &extra, Some(SECRET));
    c.wait_for("fleet 2/2 workers");
    let _ = workers[1].child.kill();
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(3), "{log}");
    assert!(log.contains("aborting: worker"), "{log}");
    let (code, wlog) = workers[0].finish(30);
    assert_eq!(code, Some(0), "{wlog}");
    assert!(wlog.contains("coordinator asks to stop"), "{wlog}");
    let ws = summary(&worker_folder(&dir.join("127.0.0.2")));
    assert_eq!(ws["stopped_early"], true, "{ws}");
    assert!(step_count(&ws) < 160, "{ws}");
}

#[test]
fn a_given_certificate_is_pinned_by_its_openssl_fingerprint() {
    let Some(openssl) = loadgen_testkit::peer::OPENSSL
        .require("a_given_certificate_is_pinned_by_its_openssl_fingerprint")
    else {
        return;
    };
    let target = Target::start(&[]);
    let dir = scratch("live-pem");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let o = std::process::Command::new(&openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=loadgen-worker"])
        .args([
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = std::process::Command::new(&openssl)
        .args([
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            cert.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    // "sha256 Fingerprint=AB:CD:…"
    let printed = String::from_utf8_lossy(&o.stdout);
    let fp = printed.trim().rsplit('=').next().unwrap().to_string();
    let f = write(&dir, "live.toml", &scenario("50/s", "1s"));
    let pem = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let (mut w, addr) = worker("127.0.0.3", &dir.join("w"), &pem, SECRET);
    assert!(w.seen.iter().any(|l| l.contains(&fp)) || w.wait_for(&fp).contains(&fp));
    let out = dir.join("m");
    let pin = ["--worker-fingerprint", &fp];
    let mut c = coordinator(&f, &[addr], &target.url, &out, &pin, Some(SECRET));
    let (code, log) = c.finish(60);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains(&fp), "{log}");
    assert_eq!(step_count(&summary(&out)), 50);
    let _ = w.finish(30);
}
