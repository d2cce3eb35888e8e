//! HTTP/1.1 conformance against real servers — the hyper fixture and nginx (required under CI) —
//! on both client paths: keep-alive, `Content-Length` and chunked bodies (with body checks),
//! trailers, `Connection: close`, `100 Continue`, HEAD and 204. Every case also checks the
//! accounting: what the client counted, the server saw.

use crate::support::nginx::{Nginx, BIG_LINES};
use crate::support::server::Server;
use crate::support::{config_h1, config_h2, counts, get, get_expect, run, Wire};
use http::{HeaderName, HeaderValue, Method};
use loadgen_http::{Expect, RequestSpec, Template};

/// A server under test and what its routes answer.
struct Peer {
    url: String,
    /// A small `Content-Length` body at `/ok`.
    ok_body: &'static str,
    /// A multi-chunk body, and a text found only at its end.
    chunked: &'static str,
    chunked_tail: String,
    /// A route that takes a POST body (and so answers `Expect: 100-continue`).
    post: &'static str,
    /// (connections, requests) seen so far.
    counts: Box<dyn Fn() -> (u64, u64)>,
    _keep: Box<dyn std::any::Any>,
}

fn fixture() -> Option<Peer> {
    let server = Server::start();
    let stats = server.stats.clone();
    Some(Peer {
        url: server.url(),
        ok_body: "hello world",
        chunked: "/chunked",
        chunked_tail: "part2-end".into(),
        post: "/echo",
        counts: Box::new(move || (stats.connections(), stats.requests())),
        _keep: Box::new(server),
    })
}

/// nginx for the test named `test`: `None` (after a note) only when it is missing outside CI.
fn nginx(test: &str) -> Option<Peer> {
    let nginx = std::rc::Rc::new(Nginx::start(test)?);
    let n = nginx.clone();
    Some(Peer {
        url: nginx.url(),
        ok_body: "ok",
        chunked: "/static/big.txt",
        chunked_tail: format!("line {:05} needle\n", BIG_LINES - 1),
        post: "/ok",
        counts: Box::new(move || n.counts()),
        _keep: Box::new(nginx),
    })
}

/// Runs `fn $case(peer: &Peer, wire: Wire)` against each server on each client path.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test]
            fn hyper_server_fast_path() {
                super::$case(&fixture().unwrap(), Wire::Fast)
            }
            #[test]
            fn hyper_server_hyper_path() {
                super::$case(&fixture().unwrap(), Wire::Hyper)
            }
            #[test]
            fn nginx_fast_path() {
                if let Some(peer) = nginx(concat!(stringify!($case), "::nginx_fast_path")) {
                    super::$case(&peer, Wire::Fast)
                }
            }
            #[test]
            fn nginx_hyper_path() {
                if let Some(peer) = nginx(concat!(stringify!($case), "::nginx_hyper_path")) {
                    super::$case(&peer, Wire::Hyper)
                }
            }
        }
    )*};
}

conformance!(
    keep_alive_sends_every_request_on_one_connection,
    content_length_bodies_are_read_and_checked,
    chunked_bodies_are_read_to_the_end_and_checked,
    connection_close_is_honoured_and_counted,
    continue_and_other_1xx_heads_are_skipped,
    head_responses_have_no_body,
    no_content_has_no_body,
);

fn contains(s: &str) -> Expect {
    Expect {
        body_contains: Some(s.to_owned()),
        ..Expect::default()
    }
}

fn keep_alive_sends_every_request_on_one_connection(peer: &Peer, wire: Wire) {
    let steps = vec![get("a", "/ok"), get("b", "/ok"), get("c", "/ok")];
    let m = run(config_h1(&peer.url, wire), steps, 20);
    for step in 0..3 {
        assert_eq!(counts(&m, step), [("success", 20)]);
        assert_eq!(m.steps[step].ttfb.len(), 20, "first byte timed");
    }
    assert_eq!((peer.counts)(), (1, 60));
    assert_eq!(m.steps[0].connect.len(), 1);
}

fn content_length_bodies_are_read_and_checked(peer: &Peer, wire: Wire) {
    let steps = vec![
        get_expect("hit", "/ok", contains(peer.ok_body)),
        get_expect("miss", "/ok", contains("not in the body")),
    ];
    let m = run(config_h1(&peer.url, wire), steps, 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("check_failed", 5)]);
    assert_eq!((peer.counts)(), (1, 10));
}

fn chunked_bodies_are_read_to_the_end_and_checked(peer: &Peer, wire: Wire) {
    let steps = vec![
        get_expect("tail", peer.chunked, contains(&peer.chunked_tail)),
        get("unchecked", peer.chunked),
        get_expect("miss", peer.chunked, contains("NEEDLE-part9")),
        get("then", "/ok"),
    ];
    let m = run(config_h1(&peer.url, wire), steps, 4);
    assert_eq!(counts(&m, 0), [("success", 4)]);
    assert_eq!(counts(&m, 1), [("success", 4)]);
    assert_eq!(counts(&m, 2), [("check_failed", 4)]);
    assert_eq!(counts(&m, 3), [("success", 4)]);
    assert_eq!(
        (peer.counts)(),
        (1, 16),
        "fully read bodies keep the connection"
    );
}

fn connection_close_is_honoured_and_counted(peer: &Peer, wire: Wire) {
    let steps = vec![
        get_expect("close", "/close", contains("bye")),
        get("ok", "/ok"),
    ];
    let m = run(config_h1(&peer.url, wire), steps, 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("success", 5)]);
    // Each close costs a reconnect, made (and timed) by the step after it.
    assert_eq!((peer.counts)(), (6, 10));
    assert_eq!(m.steps[0].connect.len(), 1);
    assert_eq!(m.steps[1].connect.len(), 5);
}

fn continue_and_other_1xx_heads_are_skipped(peer: &Peer, wire: Wire) {
    let post = RequestSpec {
        headers: vec![(
            HeaderName::from_static("expect"),
            Template::parse("100-continue").unwrap(),
        )],
        body: Some(Template::parse("hello {{seq}}").unwrap()),
        content_type: Some(HeaderValue::from_static("text/plain")),
        ..RequestSpec::new("post", Method::POST, Template::parse(peer.post).unwrap())
    };
    let m = run(config_h1(&peer.url, wire), vec![post, get("ok", "/ok")], 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("success", 5)]);
    assert_eq!((peer.counts)(), (1, 10));
}

fn head_responses_have_no_body(peer: &Peer, wire: Wire) {
    // The head announces a body that never comes: reading it would time out.
    let head = RequestSpec::new("head", Method::HEAD, Template::parse("/ok").unwrap());
    let m = run(config_h1(&peer.url, wire), vec![head, get("ok", "/ok")], 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("success", 5)]);
    assert_eq!((peer.counts)(), (1, 10));
}

fn no_content_has_no_body(peer: &Peer, wire: Wire) {
    let only_204 = Expect {
        status: vec![204],
        ..Expect::default()
    };
    let steps = vec![get_expect("204", "/204", only_204), get("ok", "/ok")];
    let m = run(config_h1(&peer.url, wire), steps, 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("success", 5)]);
    assert_eq!((peer.counts)(), (1, 10));
}

#[test]
fn trailers_from_the_hyper_server_are_read_and_ignored() {
    for wire in [Wire::Fast, Wire::Hyper] {
        let server = Server::start();
        let te = RequestSpec {
            headers: vec![(
                HeaderName::from_static("te"),
                Template::parse("trailers").unwrap(),
            )],
            expect: contains("one-two-three"),
            ..RequestSpec::new(
                "trailers",
                Method::GET,
                Template::parse("/trailers").unwrap(),
            )
        };
        let m = run(
            config_h1(&server.url(), wire),
            vec![te, get("ok", "/ok")],
            3,
        );
        assert_eq!(counts(&m, 0), [("success", 3)], "{wire:?}");
        assert_eq!(counts(&m, 1), [("success", 3)], "{wire:?}");
        assert_eq!(server.stats.connections(), 1, "{wire:?}");
    }
}

/// HTTP/2 against nginx over h2c on every HTTP/2 path (the lean one on a VU's own connection
/// and on a shared one, the `h2` crate's): its answers use Huffman strings and the dynamic
/// table, its large bodies many DATA frames.
macro_rules! nginx_h2c {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test]
            fn lean_path() {
                if let Some(nginx) = Nginx::start(concat!(stringify!($case), "::lean_path")) {
                    super::$case(&nginx, Wire::Fast)
                }
            }
            #[test]
            fn h2_crate_path() {
                if let Some(nginx) = Nginx::start(concat!(stringify!($case), "::h2_crate_path")) {
                    super::$case(&nginx, Wire::Hyper)
                }
            }
            #[test]
            fn shared_lean_path() {
                if let Some(nginx) = Nginx::start(concat!(stringify!($case), "::shared_lean_path")) {
                    super::$case(&nginx, Wire::Shared)
                }
            }
        }
    )*};
}

nginx_h2c!(
    h2c_keeps_one_connection_and_reads_every_body,
    h2c_head_and_no_content_have_no_body,
    h2c_posted_bodies_are_answered,
    h2c_vus_share_connections_ten_to_one,
);

fn h2c_keeps_one_connection_and_reads_every_body(nginx: &Nginx, wire: Wire) {
    let tail = format!("line {:05} needle\n", BIG_LINES - 1);
    let steps = vec![
        get_expect("ok", "/ok", contains("ok")),
        get_expect("big", "/static/big.txt", contains(&tail)),
        get_expect("miss", "/ok", contains("not in the body")),
        get_expect("missing", "/nope", Expect::default()),
    ];
    let m = run(config_h2(&nginx.h2c_url(), wire), steps, 10);
    assert_eq!(counts(&m, 0), [("success", 10)]);
    assert_eq!(counts(&m, 1), [("success", 10)]);
    assert_eq!(counts(&m, 2), [("check_failed", 10)]);
    assert_eq!(counts(&m, 3), [("http_4xx", 10)]);
    assert_eq!(m.steps[1].ttfb.len(), 10, "first byte timed");
    assert_eq!(nginx.counts(), (1, 40));
    assert_eq!(m.steps[0].connect.len(), 1);
}

fn h2c_head_and_no_content_have_no_body(nginx: &Nginx, wire: Wire) {
    let head = RequestSpec::new("head", Method::HEAD, Template::parse("/ok").unwrap());
    let steps = vec![head, get("none", "/204")];
    let m = run(config_h2(&nginx.h2c_url(), wire), steps, 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(counts(&m, 1), [("success", 5)]);
    assert_eq!(nginx.counts(), (1, 10));
}

fn h2c_posted_bodies_are_answered(nginx: &Nginx, wire: Wire) {
    let post = RequestSpec {
        body: Some(Template::parse("{\"n\":{{seq}}}").unwrap()),
        headers: vec![(
            HeaderName::from_static("x-seq"),
            Template::parse("{{seq}}").unwrap(),
        )],
        expect: contains("ok"),
        ..RequestSpec::new(
            "post",
            Method::POST,
            Template::parse("/ok?n={{seq}}").unwrap(),
        )
    };
    let m = run(config_h2(&nginx.h2c_url(), wire), vec![post], 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(nginx.counts(), (1, 5));
}

/// 40 VUs, ten to a connection (`streams_per_connection` 10, or the `h2` crate's pool on
/// that wire): large answers read whole and checked, and posted bodies of 100 KiB (past
/// nginx's 64 KiB stream window, so they wait for its WINDOW_UPDATEs) on concurrent streams.
fn h2c_vus_share_connections_ten_to_one(nginx: &Nginx, wire: Wire) {
    let tail = format!("line {:05} needle\n", BIG_LINES - 1);
    let post = RequestSpec {
        body: Some(Template::parse(&"x".repeat(100 << 10)).unwrap()),
        expect: contains("ok"),
        ..RequestSpec::new("post", Method::POST, Template::parse("/ok").unwrap())
    };
    let steps = vec![get_expect("big", "/static/big.txt", contains(&tail)), post];
    let mut cfg = config_h2(&nginx.h2c_url(), wire);
    cfg.streams_per_connection = 10;
    let factory = loadgen_http::HttpFactory::new(std::sync::Arc::new(cfg), steps).unwrap();
    let m = crate::support::drive_side_by_side(&factory, 40, 3);
    assert_eq!(counts(&m, 0), [("success", 120)], "{wire:?}");
    assert_eq!(counts(&m, 1), [("success", 120)], "{wire:?}");
    assert_eq!(nginx.counts(), (4, 240), "{wire:?}");
}
