//! Every fault becomes its outcome class, the iteration goes on, and the next step reconnects.

use crate::support::raw::{self, Raw};
use crate::support::server::Server;
use crate::support::{config, config_h1, config_h2, counts, get, on_both_wires, run, Wire};
use loadgen_engine::{Metrics, Outcome};
use loadgen_http::{ClientConfig, HttpVersion};
use std::time::Duration;

fn against(kind: Raw, cfg: impl FnOnce(&str) -> ClientConfig) -> Metrics {
    let url = format!("http://{}", raw::start(kind));
    run(cfg(&url), vec![get("a", "/ok"), get("b", "/ok")], 2)
}

on_both_wires!(
    garbage_to_http2_is_a_protocol_error_or_reset,
    refused_connections_are_connect_errors_and_the_iteration_goes_on,
    unresolvable_names_are_connect_errors,
    garbage_is_a_protocol_error,
    a_reset_is_a_reset,
    a_close_without_an_answer_is_a_reset,
    a_stalled_server_times_out_no_sooner_than_the_request_timeout,
    after_a_timeout_the_next_step_reconnects_and_succeeds,
);

/// The smallest recorded latency of `outcome` at step 0, in µs, rounded up to the top of its
/// histogram bucket (bucket bottoms can sit just under the recorded value).
fn min_latency_us(m: &Metrics, outcome: Outcome) -> u64 {
    let h = m.steps[0].latency[outcome as usize]
        .as_ref()
        .expect("latency recorded");
    h.highest_equivalent(h.min())
}

fn refused_connections_are_connect_errors_and_the_iteration_goes_on(wire: Wire) {
    let url = format!("http://{}", raw::refused());
    let m = run(
        config_h1(&url, wire),
        vec![get("a", "/ok"), get("b", "/ok")],
        3,
    );
    assert_eq!(counts(&m, 0), [("connect", 3)]);
    assert_eq!(counts(&m, 1), [("connect", 3)]);
    assert_eq!(
        m.steps[0].connect.len(),
        0,
        "failed connects record no connect time"
    );
}

fn unresolvable_names_are_connect_errors(wire: Wire) {
    let m = run(
        config_h1("http://no-such-host.invalid:80", wire),
        vec![get("a", "/ok")],
        1,
    );
    assert_eq!(counts(&m, 0), [("connect", 1)]);
}

fn garbage_is_a_protocol_error(wire: Wire) {
    let m = against(Raw::Garbage, |url| config_h1(url, wire));
    assert_eq!(counts(&m, 0), [("protocol", 2)]);
    assert_eq!(counts(&m, 1), [("protocol", 2)]);
}

fn garbage_to_http2_is_a_protocol_error_or_reset(wire: Wire) {
    // An h2 client reading non-HTTP/2 bytes sees a framing error (or the peer's close).
    let m = against(Raw::Garbage, |url| config_h2(url, wire));
    let bad = m.steps[0].count(Outcome::Protocol) + m.steps[0].count(Outcome::Reset);
    assert_eq!(bad, 2, "{:?}", counts(&m, 0));
}

fn a_reset_is_a_reset(wire: Wire) {
    let m = against(Raw::Reset, |url| config_h1(url, wire));
    assert_eq!(counts(&m, 0), [("reset", 2)]);
    assert_eq!(counts(&m, 1), [("reset", 2)]);
}

fn a_close_without_an_answer_is_a_reset(wire: Wire) {
    let m = against(Raw::Hangup, |url| config_h1(url, wire));
    assert_eq!(counts(&m, 0), [("reset", 2)]);
    assert_eq!(counts(&m, 1), [("reset", 2)]);
}

fn a_stalled_server_times_out_no_sooner_than_the_request_timeout(wire: Wire) {
    let url = format!("http://{}", raw::start(Raw::Stall));
    let mut cfg = config_h1(&url, wire);
    cfg.request_timeout = Duration::from_millis(300);
    let m = run(cfg, vec![get("a", "/ok")], 2);
    assert_eq!(counts(&m, 0), [("timeout", 2)]);
    assert!(min_latency_us(&m, Outcome::Timeout) >= 300_000);
    assert_eq!(
        m.steps[0].connect.len(),
        2,
        "a timed-out connection is replaced"
    );
}

#[test]
fn a_stalled_tls_handshake_is_a_connect_timeout() {
    let url = format!("https://{}", raw::start(Raw::Stall));
    let mut cfg = config(&url, HttpVersion::Http1);
    cfg.tls.insecure = true;
    cfg.connect_timeout = Duration::from_millis(300);
    let m = run(cfg, vec![get("a", "/ok")], 1);
    assert_eq!(counts(&m, 0), [("timeout", 1)]);
    assert!(min_latency_us(&m, Outcome::Timeout) >= 300_000);
}

fn after_a_timeout_the_next_step_reconnects_and_succeeds(wire: Wire) {
    let server = Server::start();
    let mut cfg = config_h1(&server.url(), wire);
    cfg.request_timeout = Duration::from_millis(200);
    let m = run(cfg, vec![get("slow", "/slow"), get("ok", "/ok")], 3);
    assert_eq!(counts(&m, 0), [("timeout", 3)]);
    assert_eq!(counts(&m, 1), [("success", 3)]);
    // slow on #1, ok on #2; each later iteration's slow step kills the ok step's connection.
    assert_eq!(server.stats.connections(), 4);
    assert_eq!(m.steps[1].connect.len(), 3);
}
