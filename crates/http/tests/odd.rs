//! Responses that need care, from a scripted peer that writes them in pieces: chunk
//! extensions and trailers split anywhere, close-delimited bodies, HTTP/1.0, 1xx heads,
//! bytes nobody asked for, servers that close idle connections — and the ones that must be
//! refused as protocol errors. Both client paths must agree, except where noted.

use crate::support::scripted::{Reply, Scripted};
use crate::support::{
    config_h1, counts, drive_with_pause, get, get_expect, on_both_wires, run, Wire,
};
use loadgen_engine::Metrics;
use loadgen_http::{Expect, HttpFactory, RequestSpec};
use std::sync::Arc;
use std::time::Duration;

fn contains(s: &str) -> Expect {
    Expect {
        body_contains: Some(s.to_owned()),
        ..Expect::default()
    }
}

/// Three iterations of one checked step against a peer answering `reply` every time.
fn against(reply: Reply, step: RequestSpec, wire: Wire) -> (Metrics, Scripted) {
    let peer = Scripted::always(reply);
    let m = run(config_h1(&peer.url(), wire), vec![step], 3);
    (m, peer)
}

on_both_wires!(
    chunk_extensions_and_trailers_split_across_reads,
    content_length_bodies_split_across_reads,
    informational_heads_before_the_answer_are_skipped,
    bodies_delimited_by_the_close_are_read_to_the_end,
    http10_answers_close_the_connection_after_them,
    bytes_after_the_answer_cost_the_connection_not_the_step,
    a_server_closing_an_idle_connection_causes_a_silent_reconnect,
    bytes_arriving_on_an_idle_connection_cause_a_silent_reconnect,
    malformed_answers_are_protocol_errors,
    an_early_end_of_a_body_is_a_reset,
    a_body_that_stalls_times_out_after_its_first_byte,
);

fn chunk_extensions_and_trailers_split_across_reads(wire: Wire) {
    let reply = Reply::pieces(&[
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
        b"\r\n5;name=\"v\"\r\nhel",
        b"lo\r\n6 ; x=1\r",
        b"\n wor",
        b"ld\r\n0;end\r\nX-Trailer: 1\r\n",
        b"X-Other: 2\r\n\r",
        b"\n",
    ]);
    let (m, peer) = against(reply, get_expect("c", "/", contains("hello world")), wire);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 1);
}

fn content_length_bodies_split_across_reads(wire: Wire) {
    let reply = Reply::pieces(&[
        b"HTTP/1.1 200 OK\r\nCont",
        b"ent-Length: 11\r\n\r\nhel",
        b"lo world",
    ]);
    let (m, peer) = against(reply, get_expect("c", "/", contains("hello world")), wire);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 1);
    assert_eq!(m.steps[0].ttfb.len(), 3);
}

fn informational_heads_before_the_answer_are_skipped(wire: Wire) {
    let reply = Reply::pieces(&[
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]);
    let (m, peer) = against(reply, get_expect("c", "/", contains("ok")), wire);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 1);
}

fn bodies_delimited_by_the_close_are_read_to_the_end(wire: Wire) {
    let reply = Reply::pieces(&[b"HTTP/1.1 200 OK\r\n\r\nuntil ", b"the end"]).then_close();
    let (m, peer) = against(reply, get_expect("c", "/", contains("until the end")), wire);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 3);
    assert_eq!(m.steps[0].connect.len(), 3);
}

fn http10_answers_close_the_connection_after_them(wire: Wire) {
    // The peer keeps the connection open; the client must not reuse it.
    let reply = Reply::pieces(&[b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"]);
    let (m, peer) = against(reply, get_expect("c", "/", contains("ok")), wire);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 3);
}

fn bytes_after_the_answer_cost_the_connection_not_the_step(wire: Wire) {
    let reply = Reply::pieces(&[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"]);
    let peer = Scripted::always(reply);
    let factory = HttpFactory::new(
        Arc::new(config_h1(&peer.url(), wire)),
        vec![get_expect("c", "/", contains("ok"))],
    )
    .unwrap();
    let m = drive_with_pause(&factory, 3, Duration::from_millis(30));
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 3);
}

fn a_server_closing_an_idle_connection_causes_a_silent_reconnect(wire: Wire) {
    // No `Connection: close`: the server just closes after answering.
    let reply = Reply::pieces(&[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]).then_close();
    let peer = Scripted::always(reply);
    let factory =
        HttpFactory::new(Arc::new(config_h1(&peer.url(), wire)), vec![get("c", "/")]).unwrap();
    let m = drive_with_pause(&factory, 4, Duration::from_millis(30));
    assert_eq!(counts(&m, 0), [("success", 4)]);
    assert_eq!(peer.seen.connections(), 4);
    assert_eq!(m.steps[0].connect.len(), 4, "each reconnect is timed");
}

fn bytes_arriving_on_an_idle_connection_cause_a_silent_reconnect(wire: Wire) {
    let reply = Reply::pieces(&[
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n",
    ]);
    let peer = Scripted::always(reply);
    let factory =
        HttpFactory::new(Arc::new(config_h1(&peer.url(), wire)), vec![get("c", "/")]).unwrap();
    let m = drive_with_pause(&factory, 3, Duration::from_millis(30));
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(peer.seen.connections(), 3);
}

fn malformed_answers_are_protocol_errors(wire: Wire) {
    let many_headers: String = (0..101).map(|i| format!("x-{i}: v\r\n")).collect();
    let huge_head: String = (0..50)
        .map(|i| format!("x-{i}: {}\r\n", "v".repeat(10_000)))
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not http", b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()),
        ("bad status", b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec()),
        (
            "too many headers",
            format!("HTTP/1.1 200 OK\r\n{many_headers}\r\n").into_bytes(),
        ),
        (
            "conflicting lengths",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok".to_vec(),
        ),
        (
            "bad length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok".to_vec(),
        ),
        (
            "bad chunk size",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "chunk without CRLF",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n".to_vec(),
        ),
        (
            "chunked HTTP/1.0",
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        ),
    ];
    // hyper's buffer limit is not a hard bound on the head (it checks it between reads); the
    // fast path's is.
    let mut cases = cases;
    if wire == Wire::Fast {
        let huge = format!("HTTP/1.1 200 OK\r\n{huge_head}\r\n").into_bytes();
        cases.push(("head over 400 KiB", huge));
    }
    for (what, bytes) in cases {
        // The peer closes after answering, so a client that accepted the answer would see a
        // success or a reset, never a protocol error.
        let peer = Scripted::always(Reply {
            pieces: vec![bytes],
            close: true,
            stall: Some(Duration::from_millis(500)),
        });
        let m = run(config_h1(&peer.url(), wire), vec![get("c", "/")], 2);
        assert_eq!(counts(&m, 0), [("protocol", 2)], "{what}");
    }
    // An upgrade nobody asked for: the fast path refuses it; hyper hands the 101 over as a
    // final answer, which no expectation accepts by default.
    let peer = Scripted::always(Reply::pieces(&[
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    ]));
    let m = run(config_h1(&peer.url(), wire), vec![get("c", "/")], 2);
    let want = match wire {
        Wire::Fast | Wire::Shared => "protocol",
        Wire::Hyper => "http_other",
    };
    assert_eq!(counts(&m, 0), [(want, 2)], "101");
}

fn an_early_end_of_a_body_is_a_reset(wire: Wire) {
    for bytes in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Len",
    ] {
        let (m, _peer) = against(Reply::pieces(&[bytes]).then_close(), get("c", "/"), wire);
        assert_eq!(
            counts(&m, 0),
            [("reset", 3)],
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn a_body_that_stalls_times_out_after_its_first_byte(wire: Wire) {
    let peer = Scripted::always(Reply {
        pieces: vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec()],
        close: false,
        stall: Some(Duration::from_secs(3)),
    });
    let mut cfg = config_h1(&peer.url(), wire);
    cfg.request_timeout = Duration::from_millis(300);
    let m = run(cfg, vec![get("c", "/")], 2);
    assert_eq!(counts(&m, 0), [("timeout", 2)]);
    assert_eq!(m.steps[0].ttfb.len(), 2, "the head arrived in time");
    assert_eq!(
        peer.seen.connections(),
        2,
        "a timed-out connection is replaced"
    );
}
