//! HTTP/2 framing against a scripted raw server (`support::h2raw`), on every HTTP/2 path:
//! the lean one on a VU's own connection and on a shared one, and the `h2` crate's. Each
//! case asserts the outcomes all report.

use crate::support::h2raw::{H2Raw, Script};
use crate::support::{
    config_h2, counts, drive_with_pause, get, get_expect, on_h2_wires, run, Wire,
};
use http::Method;
use loadgen_http::{Expect, HttpFactory, RequestSpec, Template};
use std::sync::Arc;
use std::time::Duration;

on_h2_wires!(
    continuation_frames_carry_the_rest_of_a_head,
    padding_and_priority_are_stripped,
    pings_are_acked,
    a_goaway_without_the_stream_is_a_reset_and_the_next_step_reconnects,
    a_graceful_goaway_finishes_the_stream_and_the_next_step_reconnects,
    refused_streams_are_resets,
    a_goaway_between_requests_is_a_silent_reconnect,
    a_posted_body_waits_for_the_peers_window,
    unknown_frames_are_ignored,
    data_on_the_connection_is_a_protocol_error,
    a_stalled_stream_times_out,
    random_frames_are_outcomes_never_a_panic,
);

fn hello() -> Expect {
    Expect {
        body_contains: Some("hello from raw h2".to_owned()),
        ..Expect::default()
    }
}

fn continuation_frames_carry_the_rest_of_a_head(wire: Wire) {
    let server = H2Raw::start(Script::Continuation);
    let m = run(
        config_h2(&server.url(), wire),
        vec![get_expect("a", "/", hello())],
        3,
    );
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.connections(), 1);
}

fn padding_and_priority_are_stripped(wire: Wire) {
    let server = H2Raw::start(Script::Padded);
    let m = run(
        config_h2(&server.url(), wire),
        vec![get_expect("a", "/", hello())],
        3,
    );
    assert_eq!(counts(&m, 0), [("success", 3)]);
}

fn pings_are_acked(wire: Wire) {
    // The server answers only once its PING is acked: no ack, a timeout.
    let server = H2Raw::start(Script::Ping);
    let mut cfg = config_h2(&server.url(), wire);
    cfg.request_timeout = Duration::from_secs(2);
    let m = run(cfg, vec![get_expect("a", "/", hello())], 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.connections(), 1);
}

fn a_goaway_without_the_stream_is_a_reset_and_the_next_step_reconnects(wire: Wire) {
    // Two answers per connection, then GOAWAY leaving the third request out.
    let server = H2Raw::start(Script::GoawayRefusing);
    let m = run(config_h2(&server.url(), wire), vec![get("a", "/")], 6);
    assert_eq!(counts(&m, 0), [("success", 4), ("reset", 2)]);
    assert_eq!(server.connections(), 2);
}

fn a_graceful_goaway_finishes_the_stream_and_the_next_step_reconnects(wire: Wire) {
    let server = H2Raw::start(Script::GoawayGraceful);
    let m = run(
        config_h2(&server.url(), wire),
        vec![get_expect("a", "/", hello())],
        6,
    );
    assert_eq!(counts(&m, 0), [("success", 6)]);
    assert_eq!(server.connections(), 2);
}

fn a_goaway_between_requests_is_a_silent_reconnect(wire: Wire) {
    // Each connection answers once, then says GOAWAY while idle: the next step sees it
    // before sending and opens a new connection, reporting its connect time.
    let server = H2Raw::start(Script::IdleGoaway);
    let factory = HttpFactory::new(
        Arc::new(config_h2(&server.url(), wire)),
        vec![get_expect("a", "/", hello())],
    )
    .unwrap();
    let m = drive_with_pause(&factory, 3, Duration::from_millis(50));
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.connections(), 3);
    assert_eq!(m.steps[0].connect.len(), 3);
}

fn refused_streams_are_resets(wire: Wire) {
    let server = H2Raw::start(Script::Refused);
    let m = run(config_h2(&server.url(), wire), vec![get("a", "/")], 3);
    assert_eq!(counts(&m, 0), [("reset", 3)]);
}

fn a_posted_body_waits_for_the_peers_window(wire: Wire) {
    // A 16-byte window, granted back only as each DATA frame arrives: 100 bytes take
    // several rounds, and a frame past the window would be refused (FLOW_CONTROL_ERROR).
    let server = H2Raw::start(Script::TinyWindow);
    let post = RequestSpec {
        body: Some(Template::parse(&"x".repeat(100)).unwrap()),
        expect: Expect {
            body_contains: Some("posted 100".to_owned()),
            ..Expect::default()
        },
        ..RequestSpec::new("post", Method::POST, Template::parse("/").unwrap())
    };
    let m = run(config_h2(&server.url(), wire), vec![post], 4);
    assert_eq!(counts(&m, 0), [("success", 4)]);
    assert_eq!(server.connections(), 1);
    // The first request may go out before the server's settings arrive; the rest cannot.
    assert!(server.split_posts() >= 3, "{}", server.split_posts());
}

fn unknown_frames_are_ignored(wire: Wire) {
    let server = H2Raw::start(Script::Unknown);
    let m = run(
        config_h2(&server.url(), wire),
        vec![get_expect("a", "/", hello())],
        3,
    );
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.connections(), 1);
}

fn data_on_the_connection_is_a_protocol_error(wire: Wire) {
    let server = H2Raw::start(Script::Garbage);
    let m = run(config_h2(&server.url(), wire), vec![get("a", "/")], 2);
    assert_eq!(counts(&m, 0), [("protocol", 2)]);
    assert_eq!(
        server.connections(),
        2,
        "the connection is not reused after it"
    );
}

fn a_stalled_stream_times_out(wire: Wire) {
    let server = H2Raw::start(Script::Stall);
    let mut cfg = config_h2(&server.url(), wire);
    cfg.request_timeout = Duration::from_millis(300);
    let m = run(cfg, vec![get("a", "/")], 2);
    assert_eq!(counts(&m, 0), [("timeout", 2)]);
    assert_eq!(server.connections(), 2, "a timed-out connection is dropped");
}

fn random_frames_are_outcomes_never_a_panic(wire: Wire) {
    // 60 requests, each answered with random frames: every one ends as an outcome (a hang
    // would be a timeout, a panic would end the test), and the session goes on.
    let server = H2Raw::start(Script::Fuzz);
    let mut cfg = config_h2(&server.url(), wire);
    cfg.request_timeout = Duration::from_millis(100);
    let m = run(cfg, vec![get("a", "/")], 60);
    let total: u64 = counts(&m, 0).iter().map(|(_, n)| n).sum();
    assert_eq!(total, 60, "{:?}", counts(&m, 0));
}
