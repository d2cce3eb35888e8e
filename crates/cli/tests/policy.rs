//! A worker does only what its owner allowed (issue 17, items 11–13): every address of every
//! protocol passes `--allow-target`, `--max-rate` holds for closed models, and `{{uuid}}`
//! keys are fresh for every run a long-lived worker serves. Real worker, coordinator and
//! target processes on loopback; every run is a few seconds long.

use crate::live::{coordinator, worker, SECRET};
use crate::support::*;

/// A worker allowed only 127.0.0.1 runs one workload of `protocol`; the coordinator aims it
/// at `target`. Returns the coordinator's exit code and log.
fn allowed_only_loopback_one(name: &str, workload: &str, target: &str) -> (Option<i32>, String) {
    let dir = scratch(&format!("policy-allow-{name}"));
    let f = write(
        &dir,
        "s.toml",
        &format!("name = \"{name}\"\ntarget = \"embedded\"\nduration = \"1s\"\n{workload}"),
    );
    let allow = ["--allow-target", "127.0.0.1/32"];
    let (mut w, addr) = worker("127.0.0.3", &dir.join("w"), &allow, SECRET);
    let mut c = coordinator(&f, &[addr], target, &dir.join("m"), &[], Some(SECRET));
    let out = c.finish(60);
    let _ = w.child.kill();
    out
}

#[test]
fn every_address_of_every_protocol_must_pass_allow_target() {
    let home = Target::start(&[]);
    let other = Target::start_on("127.0.0.2:0", &[]);
    let port = other.url.rsplit(':').next().unwrap().to_string();
    let http = "[[workload]]\nname = \"plain\"\nmodel = \"open\"\nrate = \"20/s\"\nmax_vus = 5\n\
                [[workload.step]]\nname = \"s\"\nhttp = { method = \"GET\", path = \"/api/health\" }\n";
    let callback = "[[workload]]\nname = \"async\"\nmodel = \"open\"\nrate = \"20/s\"\nmax_vus = 5\n\
                    [[workload.step]]\nname = \"pay\"\n\
                    callback = { path = \"/api/payments/async\", json = { amount = 1 }, within = \"1s\" }\n";
    let ws = format!(
        "[[workload]]\nname = \"feed\"\nmodel = \"closed\"\nvus = 2\n\
         [workload.ws]\nurl = \"ws://127.0.0.2:{port}/ws/echo\"\nhold = \"1s\"\n"
    );
    // HTTP and webhook workloads dial the base URL (here the forbidden one); the WebSocket
    // workload's base is allowed but its own URL is not.
    for (name, workload, target, names) in [
        ("http", http, &other.url, "plain"),
        ("callback", callback, &other.url, "async"),
        ("ws", ws.as_str(), &home.url, "feed"),
    ] {
        let (code, log) = allowed_only_loopback_one(name, workload, target);
        assert_eq!(code, Some(2), "{name}: {log}");
        assert!(
            log.contains("allow-target") && log.contains("127.0.0.2") && log.contains(names),
            "{name}: {log}"
        );
    }
    let c = other.counters();
    assert_eq!(c["requests_total"], 0, "{c}");
    assert_eq!(c["ws"]["connections_total"], 0, "{c}");
}

#[test]
fn one_worker_serving_two_sessions_never_replays_an_idempotency_key() {
    let target = Target::start(&[]);
    let dir = scratch("policy-nonce");
    // Same seed both times: the run is repeatable, its keys must still be new.
    let f = write(
        &dir,
        "s.toml",
        "name = \"keys\"\ntarget = \"embedded\"\nduration = \"1s\"\nseed = 7\n\
         [[workload]]\nname = \"pay\"\nmodel = \"open\"\nrate = \"30/s\"\nmax_vus = 10\n\
         [[workload.step]]\nname = \"create\"\n\
         http = { method = \"POST\", path = \"/api/payments\", headers = { \"Idempotency-Key\" = \"{{uuid}}\" }, json = { amount = 100, currency = \"AUD\" } }\n\
         expect = { status = [201] }\n",
    );
    let out = dir.join("w");
    let mut w = crate::live::Proc::spawn(
        &[
            "worker",
            "--listen",
            "127.0.0.3:0",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(SECRET),
    );
    let addr = w
        .wait_for("listening on")
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    for run in 0..2 {
        let m = dir.join(format!("m{run}"));
        let mut c = coordinator(
            &f,
            std::slice::from_ref(&addr),
            &target.url,
            &m,
            &[],
            Some(SECRET),
        );
        let (code, log) = c.finish(60);
        assert_eq!(code, Some(0), "run {run}: {log}");
        w.wait_for("done:");
    }
    let c = target.counters();
    // 201: a new payment; 200: a key seen before (a replay).
    assert!(c["by_status"]["200"].is_null(), "{c}");
    assert_eq!(c["by_status"]["201"], c["requests_total"], "{c}");
    assert!(c["requests_total"].as_u64().unwrap() >= 40, "{c}");
}

/// A closed workload of `vus` VUs with `think` (a TOML value, or nothing) on a worker whose
/// `--max-rate` is 200/s. Returns the coordinator's exit code and log.
fn closed_on_a_capped_worker(
    name: &str,
    vus: u32,
    think: &str,
    target: &Target,
) -> (Option<i32>, String) {
    let dir = scratch(&format!("policy-rate-{name}"));
    let f = write(
        &dir,
        "s.toml",
        &format!(
            "name = \"{name}\"\ntarget = \"embedded\"\nduration = \"2s\"\n\
             [[workload]]\nname = \"shoppers\"\nmodel = \"closed\"\nvus = {vus}\n{think}\n\
             [[workload.step]]\nname = \"s\"\nhttp = {{ method = \"GET\", path = \"/api/health\" }}\n"
        ),
    );
    let (mut w, addr) = worker(
        "127.0.0.3",
        &dir.join("w"),
        &["--max-rate", "200/s"],
        SECRET,
    );
    let mut c = coordinator(&f, &[addr], &target.url, &dir.join("m"), &[], Some(SECRET));
    let out = c.finish(60);
    let _ = w.child.kill();
    out
}

#[test]
fn max_rate_holds_for_closed_models() {
    let target = Target::start(&[]);
    // No think time: bounded only by the target's speed (it was ~83k/s): refused, named.
    let (code, log) = closed_on_a_capped_worker("unpaced", 10, "", &target);
    assert_eq!(code, Some(2), "{log}");
    assert!(
        log.contains("--max-rate") && log.contains("shoppers") && log.contains("think time"),
        "{log}"
    );
    // An exponential pause can be zero: the same.
    let (code, log) =
        closed_on_a_capped_worker("exp", 2, "think_time = { exponential = \"1s\" }", &target);
    assert_eq!(code, Some(2), "{log}");
    // 10 VUs ÷ 20 ms = 500/s at worst: over the cap, refused with the arithmetic.
    let (code, log) = closed_on_a_capped_worker("fast", 10, "think_time = \"20ms\"", &target);
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("500"), "{log}");
    assert_eq!(target.counters()["requests_total"], 0);

    // 8 VUs ÷ 50 ms = 160/s at worst: accepted, and the target sees no more than the cap
    // allows over the 2 s run plus one iteration per VU (the start's burst).
    let (code, log) = closed_on_a_capped_worker("paced", 8, "think_time = \"50ms\"", &target);
    assert_eq!(code, Some(0), "{log}");
    let sent = target.counters()["requests_total"].as_u64().unwrap();
    eprintln!("closed 8 VUs, 50 ms think, --max-rate 200/s: {sent} requests in 2 s");
    assert!(sent > 0 && sent <= 200 * 2 + 8, "{sent}");
}
