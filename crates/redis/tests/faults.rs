//! The faults a cache tier has in production, injected while a run goes on: the server
//! killed and restarted, `CLIENT PAUSE`, `DEBUG SLEEP`, a VU's connection killed.
//!
//! Each test waits for the server to have processed commands before and after the fault
//! (bounded waits, never a timing assert), then stops the run.

use crate::support::*;
use loadgen_engine::{Outcome, RunControl};
use loadgen_redis::{metrics, RedisConfig};
use loadgen_testkit::redis::RedisServer;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `vus` VUs of GET/SET in a thread while `fault` acts on the server; the run is stopped
/// once the server has processed 200 more commands after the fault.
fn under_fault(
    server: &mut RedisServer,
    vus: u64,
    fault: impl FnOnce(&mut RedisServer),
) -> loadgen_engine::FinalReport {
    let steps = vec![
        cmd("set", &["SET", "k:{{vu}}", "{{seq}}"]),
        cmd("get", &["GET", "k:{{vu}}"]),
    ];
    let cfg: RedisConfig = config(&server.url(), steps);
    let control = RunControl::new();
    let ctl = control.clone();
    let run = std::thread::spawn(move || run_until_stopped(cfg, vus, &ctl));
    let processed = |s: &RedisServer| s.info_u64("total_commands_processed");
    let start = processed(server);
    assert!(
        wait_for(LIMIT, || processed(server) > start + 200),
        "load started"
    );
    fault(server);
    let after = processed(server);
    assert!(
        wait_for(LIMIT, || processed(server) > after + 200),
        "load resumed"
    );
    control.stop();
    run.join().unwrap()
}

#[test]
fn server_killed_and_restarted_mid_run_resets_then_recovers() {
    let Some(mut server) = RedisServer::start("redis restart", &[]) else {
        return;
    };
    let r = under_fault(&mut server, 4, |s| {
        s.kill();
        std::thread::sleep(Duration::from_millis(300));
        s.restart();
    });
    let lost = outcomes(&r, Outcome::Reset) + outcomes(&r, Outcome::Connect);
    assert!(lost > 0, "the kill was seen");
    assert!(
        counter(&r, metrics::RECONNECTS) >= 4,
        "every VU reconnected"
    );
    // Nothing but resets and refused connects, and successes after the restart.
    let other = r.totals.total_errors() - lost;
    assert_eq!(other, 0, "{:?}", r.totals.steps[0].counts);
    assert!(at(&r, 0, Outcome::Success) > 100);
}

#[test]
fn client_kill_of_a_vus_connection_is_one_reset_then_a_reconnect() {
    let Some(mut server) = RedisServer::start("redis client kill", &[]) else {
        return;
    };
    let r = under_fault(&mut server, 3, |s| {
        // Kill only normal clients' connections of the load (this admin connection skips
        // itself: SKIPME yes is the default).
        let killed: u64 = s
            .cmd(&["CLIENT", "KILL", "TYPE", "normal"])
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(killed, 3, "the three VUs' connections");
    });
    // A VU learns of the kill on its next command: one reset each, then one reconnect each.
    assert_eq!(outcomes(&r, Outcome::Reset), 3);
    assert_eq!(counter(&r, metrics::RECONNECTS), 3);
    assert_eq!(r.totals.total_errors(), 3);
}

#[test]
fn client_pause_and_debug_sleep_are_latency_not_errors() {
    let Some(mut server) = RedisServer::start("redis pause", &["--enable-debug-command", "local"])
    else {
        return;
    };
    let r = under_fault(&mut server, 2, |s| {
        assert_eq!(s.cmd(&["CLIENT", "PAUSE", "400", "ALL"]).unwrap(), "OK");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(s.cmd(&["DEBUG", "SLEEP", "0.4"]).unwrap(), "OK");
    });
    assert_eq!(r.totals.total_errors(), 0);
    // A command in flight during the pause waited for it: the slowest took at least most
    // of it (a lower bound, true however slow the machine).
    let slowest = r
        .totals
        .steps
        .iter()
        .map(|s| s.latency_all().max())
        .max()
        .unwrap();
    assert!(slowest >= 300_000, "slowest {slowest} µs");
}
