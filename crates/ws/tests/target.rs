//! Sessions against the embedded target: message counts on both sides must agree.

use crate::support::*;
use loadgen_demo::TargetConfig;
use loadgen_engine::Outcome;
use loadgen_ws::metrics::*;
use loadgen_ws::{json_path, LatencySpec, Periodic, TimeUnit};
use std::time::Duration;

fn target() -> loadgen_demo::TargetHandle {
    let cfg = TargetConfig {
        worker_threads: 1,
        ..TargetConfig::default()
    };
    loadgen_demo::spawn(cfg, "127.0.0.1:0".parse().unwrap()).expect("target")
}

#[test]
fn echo_replies_match_by_id_and_counts_agree_with_the_target() {
    let t = target();
    let mut cfg = config(
        &format!("ws://{}/ws/echo", t.addr()),
        // Ten sends take 0.5 s; the rest is margin for a busy machine.
        Duration::from_secs(3),
    );
    cfg.script.periodic = Some(Periodic {
        message: template(r#"{"id":"{{vu}}-{{seq}}","op":"echo"}"#),
        every: Duration::from_millis(50),
        count: Some(10),
    });
    cfg.latency = LatencySpec::Correlate {
        id: json_path("id"),
    };
    let r = run_sessions(cfg, 20, 2);
    let server = t.counters().ws;
    assert_eq!(counter(&r, MSGS_SENT), 200);
    assert_eq!(counter(&r, MSGS_RECEIVED), 200);
    assert_eq!(server.messages_received, 200);
    assert_eq!(server.messages_sent, 200);
    assert_eq!(server.connections_total, 20);
    assert_eq!(
        server.close_frames_received, 20,
        "every session closed cleanly"
    );
    assert_eq!(
        trend(&r, MESSAGE_LATENCY).0,
        200,
        "every echo matched its send"
    );
    assert_eq!(counter(&r, UNANSWERED), 0);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (20, 20));
    assert_eq!(rate(&r, STABLE), (20, 20));
    assert_eq!(trend(&r, HANDSHAKE).0, 20);
    assert_eq!(counter(&r, CLOSE_NORMAL), 20);
    assert_eq!(counter(&r, DROPS), 0);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Success), 20);
    assert_eq!(step_count(&r, STEP_SESSION, Outcome::Success), 20);
    assert_eq!(gauge_peak(&r, OPEN), 20);
    // Both sides dropped their connections: the gauge and the target agree.
    match &r.totals.custom[OPEN] {
        loadgen_engine::CustomValue::Gauge { value, .. } => assert_eq!(*value, 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn market_pushes_are_all_received_and_timed_from_their_timestamp() {
    let t = target();
    let mut cfg = config(
        &format!("ws://{}/ws/market?rate=200", t.addr()),
        Duration::from_millis(1000),
    );
    cfg.script.on_open = vec![template(r#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#)];
    cfg.latency = LatencySpec::Timestamp {
        field: json_path("ts"),
        unit: TimeUnit::Millis,
    };
    let r = run_sessions(cfg, 5, 1);
    let server = t.counters().ws;
    let received = counter(&r, MSGS_RECEIVED);
    // Every push the target counted as sent was read before its close reply.
    assert_eq!(received, server.messages_sent);
    assert_eq!(counter(&r, MSGS_SENT), 5);
    assert_eq!(server.messages_received, 5);
    // One `subscribed` answer per session carries no timestamp; every tick does.
    assert_eq!(trend(&r, MESSAGE_LATENCY).0, received - 5);
    assert!(received > 5 * 20, "200/s for a second: got {received}");
    assert_eq!(rate(&r, STABLE), (5, 5));
}

#[test]
fn order_acks_arrive_after_the_configured_delay() {
    let t = target();
    let mut cfg = config(
        &format!("ws://{}/ws/orders?delay_ms=30", t.addr()),
        Duration::from_secs(3),
    );
    cfg.script.periodic = Some(Periodic {
        message: template(r#"{"id":{{seq}},"side":"buy","qty":{{random_int(1,9)}}}"#),
        every: Duration::from_millis(100),
        count: Some(5),
    });
    cfg.latency = LatencySpec::Correlate {
        id: json_path("id"),
    };
    let r = run_sessions(cfg, 4, 1);
    assert_eq!(counter(&r, MSGS_SENT), 20);
    assert_eq!(counter(&r, MSGS_RECEIVED), 20);
    assert_eq!(t.counters().ws.messages_received, 20);
    let (n, p50) = trend(&r, MESSAGE_LATENCY);
    assert_eq!(n, 20);
    assert!(p50 >= 30_000, "acks wait 30 ms; median {p50} µs");
}

#[test]
fn fifteen_hundred_connections_are_held_at_once() {
    let n = 1500;
    // Both ends of every connection live in this process, with room for the rest.
    loadgen_testkit::limits::ensure_open_files(2 * n + 500);
    let t = target();
    // Each connect must finish within its timeout, and the hold (counted from the iteration's
    // start, the same moment for every VU) outlasts it by 4 s: so once every connect has
    // succeeded, all were open together at the hold's end, however slowly a busy machine
    // opened them. Both times bound a hang; neither is a speed claim.
    let mut cfg = config(
        &format!("ws://{}/ws/echo", t.addr()),
        Duration::from_secs(10),
    );
    cfg.connect_timeout = Duration::from_secs(6);
    let r = run_sessions(cfg, n, 2);
    let server = t.counters().ws;
    assert_eq!(rate(&r, CONNECT_SUCCESS), (n, n));
    assert_eq!(rate(&r, STABLE), (n, n));
    assert_eq!(server.connections_total, n);
    assert_eq!(server.close_frames_received, n);
    assert_eq!(gauge_peak(&r, OPEN), n as i64, "all were open together");
}

#[test]
fn the_open_model_opens_connections_at_the_arrival_rate() {
    let t = target();
    let cfg = config(
        &format!("ws://{}/ws/echo", t.addr()),
        Duration::from_millis(500),
    );
    // 100 arrivals/s for 1 s, each held 0.5 s: 100 connections.
    let r = run_arrivals(cfg, 100.0, Duration::from_secs(1), 200);
    assert_eq!(r.totals.total_dropped(), 0);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (100, 100));
    assert_eq!(t.counters().ws.connections_total, 100);
    assert_eq!(rate(&r, STABLE), (100, 100));
}
