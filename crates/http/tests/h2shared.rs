//! VUs of one thread sharing HTTP/2 connections (`streams_per_connection` > 1), on the lean
//! path and the `h2` crate's, against the scripted raw server (`support::h2raw`): answers
//! that come back out of order and interleaved reach their own VUs, the peer's concurrency
//! limit is kept, and one stream's reset or timeout costs that stream alone.

use crate::support::h2raw::{H2Raw, Script};
use crate::support::{config_h2, counts, drive_side_by_side, get, Wire};
use loadgen_http::HttpFactory;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Runs `fn $test(fast_path: bool)` on the lean path (`lean`) and the `h2` crate's (`h2_crate`).
macro_rules! on_both_shared_paths {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            fn lean() {
                super::$test(true)
            }
            #[test]
            fn h2_crate() {
                super::$test(false)
            }
        }
    )*};
}

on_both_shared_paths!(
    interleaved_answers_out_of_order_reach_their_own_vus,
    the_peers_concurrency_limit_is_kept,
    a_reset_stream_costs_that_stream_alone,
    a_timed_out_stream_is_cancelled_and_the_others_go_on,
);

/// A factory of one GET on connections shared `streams` to one.
fn shared(server: &H2Raw, fast_path: bool, streams: usize, timeout: Duration) -> HttpFactory {
    let mut cfg = config_h2(&server.url(), Wire::Shared);
    cfg.fast_path = fast_path;
    cfg.streams_per_connection = streams;
    cfg.request_timeout = timeout;
    let factory = HttpFactory::new(Arc::new(cfg), vec![get("a", "/")]).unwrap();
    assert_eq!(factory.fast_h2(), fast_path);
    factory
}

fn interleaved_answers_out_of_order_reach_their_own_vus(fast_path: bool) {
    // The server answers three streams at once, last first, their bodies' DATA interleaved
    // 4 bytes at a time and each body as long as its stream id makes it: a piece sorted to
    // the wrong stream breaks that stream's content-length (a protocol error).
    let server = H2Raw::start(Script::Interleave);
    let factory = shared(&server, fast_path, 3, Duration::from_secs(5));
    let m = drive_side_by_side(&factory, 3, 10);
    assert_eq!(counts(&m, 0), [("success", 30)]);
    assert_eq!(server.connections(), 1);
    assert_eq!(m.steps[0].ttfb.len(), 30, "every first byte timed");
}

fn the_peers_concurrency_limit_is_kept(fast_path: bool) {
    // SETTINGS_MAX_CONCURRENT_STREAMS 1 and each answer held 20 ms: four VUs on one
    // connection must wait their turn rather than open a second stream.
    let server = H2Raw::start(Script::OneStream);
    let factory = shared(&server, fast_path, 4, Duration::from_secs(5));
    let m = drive_side_by_side(&factory, 4, 5);
    assert_eq!(counts(&m, 0), [("success", 20)]);
    assert_eq!(server.seen().violations.load(Ordering::SeqCst), 0);
    assert_eq!(server.connections(), 1);
}

fn a_reset_stream_costs_that_stream_alone(fast_path: bool) {
    // Streams 5, 11, 17, … are refused; the others are answered, on the same connection.
    let server = H2Raw::start(Script::ResetEveryThird);
    let factory = shared(&server, fast_path, 3, Duration::from_secs(5));
    let m = drive_side_by_side(&factory, 3, 6);
    assert_eq!(counts(&m, 0), [("success", 12), ("reset", 6)]);
    assert_eq!(
        server.connections(),
        1,
        "a refused stream is not the connection's fault"
    );
}

fn a_timed_out_stream_is_cancelled_and_the_others_go_on(fast_path: bool) {
    // The first request is never answered: it times out after 300 ms and is cancelled with
    // RST_STREAM(CANCEL); the other VU's requests are answered meanwhile (50 ms each), on
    // the same connection, which the first VU goes on using.
    let server = H2Raw::start(Script::StallFirst);
    let factory = shared(&server, fast_path, 2, Duration::from_millis(300));
    let m = drive_side_by_side(&factory, 2, 10);
    assert_eq!(counts(&m, 0), [("success", 19), ("timeout", 1)]);
    assert_eq!(server.seen().cancels.load(Ordering::SeqCst), 1);
    assert_eq!(server.connections(), 1);
}
