//! Journeys on both wires: a capturing workload takes the fast path, its captures (JSON in a
//! chunked body split across reads, a header with a regex, a cookie, a regex over the body)
//! find what hyper's path finds, the values are escaped for their place the same way, byte
//! for byte, and a miss or a refused value ends the iteration the same way.

use crate::support::scripted::{Reply, Scripted};
use crate::support::{config_h1, counts, on_both_wires, on_h2_wires, run, Wire};
use http::{HeaderName, HeaderValue, Method};
use loadgen_engine::Metrics;
use loadgen_http::{
    Capture, CaptureSource, HttpFactory, JsonPath, Named, Place, RequestSpec, Template,
};
use std::sync::Arc;

/// The capture names of these journeys, by slot.
const NAMES: [&str; 7] = ["item", "at", "sid", "etag", "token", "n", "nope"];

fn tpl(text: &str, place: Place) -> Template {
    let lookup = |name: &str| NAMES.iter().position(|n| *n == name).map(Named::Capture);
    Template::parse_in(text, place, &lookup).unwrap()
}

fn capture(name: &str, source: CaptureSource) -> Capture {
    Capture {
        name: name.to_owned(),
        slot: NAMES.iter().position(|n| *n == name).unwrap(),
        source,
    }
}

fn json(path: &str) -> CaptureSource {
    CaptureSource::Json(JsonPath::parse(path).unwrap())
}

fn step(name: &str, method: Method, path: &str) -> RequestSpec {
    RequestSpec::new(name, method, tpl(path, Place::Path))
}

/// The login's answer: headers to capture, and a chunked JSON body in pieces.
const LOGIN: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\nlocation: /api/payments/pay_9\r\nSet-Cookie: a=1; Path=/\r\n",
    b"Set-Cookie: sid = s3cr3t ; HttpOnly\r\nETag: \"v1\"\r\nETag: \"v2\"\r\n",
    b"transfer-encoding: chunked\r\n\r\n32\r\n{\"data\":{\"items\":[{\"id\":\"a\"}",
    b",{\"id\":\"x/y \\\"z\\\"\"}]},\r\n14\r\n\"token\":\"t0k\\u00e9\"}\r\n0\r\n\r\n",
];

fn answer(req: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(req);
    if text.starts_with("POST /login ") {
        Reply::pieces(LOGIN)
    } else if text.starts_with("PUT /items/") {
        Reply::pieces(&[b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nok id=42; bye"])
    } else if text.starts_with("GET /bad ") {
        Reply::pieces(&[
            b"HTTP/1.1 200 OK\r\ncontent-length: 26\r\n\r\n{\"id\":\"line\\r\\nbreak\"}    ",
        ])
    } else if text.starts_with("GET /upgrade ") {
        Reply::pieces(&[
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
        ])
    } else {
        Reply::pieces(&[b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"other\":1}"])
    }
}

/// log in (five captures) → put the item back with them (regex capture) → read it by `n`.
fn journey() -> Vec<RequestSpec> {
    vec![
        RequestSpec {
            captures: vec![
                capture("item", json("$.data.items[1].id")),
                capture(
                    "at",
                    CaptureSource::Header(
                        HeaderName::from_static("location"),
                        Some(regex::bytes::Regex::new("/payments/(.+)$").unwrap()),
                    ),
                ),
                capture("sid", CaptureSource::Cookie("sid".to_owned())),
                capture(
                    "etag",
                    CaptureSource::Header(HeaderName::from_static("etag"), None),
                ),
                capture("token", json("$.token")),
            ],
            ..step("login", Method::POST, "/login")
        },
        RequestSpec {
            headers: vec![
                (
                    HeaderName::from_static("authorization"),
                    tpl("Bearer {{token}}", Place::Header),
                ),
                (
                    HeaderName::from_static("x-sid"),
                    tpl("{{sid}} {{etag}}", Place::Header),
                ),
            ],
            body: Some(tpl(r#"{"item":"{{item}}","at":"{{at}}"}"#, Place::Json)),
            content_type: Some(HeaderValue::from_static("application/json")),
            captures: vec![capture(
                "n",
                CaptureSource::Regex(regex::bytes::Regex::new("id=([0-9]+)").unwrap()),
            )],
            ..step("put", Method::PUT, "/items/{{item}}?at={{at}}")
        },
        step("read", Method::GET, "/n/{{n}}"),
    ]
}

fn drive(wire: Wire, steps: Vec<RequestSpec>, iterations: u64) -> (Metrics, Scripted) {
    let peer = Scripted::start(answer);
    // `run` asserts the factory took the fast path on `Wire::Fast`.
    let m = run(config_h1(&peer.url(), wire), steps, iterations);
    (m, peer)
}

/// What the peer saw, with the port (which differs between two peers) taken out.
fn seen(peer: &Scripted) -> Vec<String> {
    let host = format!("host: {}\r\n", peer.addr);
    peer.seen
        .wire()
        .into_iter()
        .map(|r| {
            String::from_utf8(r)
                .unwrap()
                .replace(&host, "host: PEER\r\n")
        })
        .collect()
}

#[test]
fn captures_on_the_fast_path_send_exactly_what_hyper_sends() {
    let (fast_m, fast) = drive(Wire::Fast, journey(), 2);
    let (hyper_m, hyper) = drive(Wire::Hyper, journey(), 2);
    for s in 0..3 {
        assert_eq!(counts(&fast_m, s), [("success", 2)], "step {s}");
        assert_eq!(counts(&hyper_m, s), [("success", 2)], "step {s}");
    }
    let (fast, hyper) = (seen(&fast), seen(&hyper));
    assert_eq!(fast.len(), 6);
    assert_eq!(fast, hyper, "fast path vs hyper");
    let put = &fast[1];
    assert!(
        put.starts_with("PUT /items/x%2Fy%20%22z%22?at=pay_9 HTTP/1.1\r\n"),
        "{put}"
    );
    assert!(
        put.contains("\r\nauthorization: Bearer t0k\u{e9}\r\n"),
        "{put}"
    );
    assert!(put.contains("\r\nx-sid: s3cr3t \"v1\"\r\n"), "{put}");
    assert!(
        put.ends_with("\r\n\r\n{\"item\":\"x/y \\\"z\\\"\",\"at\":\"pay_9\"}"),
        "{put}"
    );
    assert!(fast[2].starts_with("GET /n/42 HTTP/1.1\r\n"), "{}", fast[2]);
}

#[test]
fn only_the_cookie_jar_and_redirects_keep_a_journey_on_hypers_path() {
    let url = "http://127.0.0.1:9";
    let factory = |cfg, steps| HttpFactory::new(Arc::new(cfg), steps).unwrap();
    assert!(factory(config_h1(url, Wire::Fast), journey()).fast_path());
    let mut jar = config_h1(url, Wire::Fast);
    jar.cookies = true;
    assert!(!factory(jar, journey()).fast_path());
    let mut follow = journey();
    follow[2].follow_redirects = 3;
    assert!(!factory(config_h1(url, Wire::Fast), follow).fast_path());
}

on_both_wires!(
    a_capture_that_finds_nothing_fails_its_step_and_skips_the_rest,
    a_captured_line_break_is_refused_in_a_header,
    a_capturing_step_runs_on_the_path_chosen,
);

fn a_capture_that_finds_nothing_fails_its_step_and_skips_the_rest(wire: Wire) {
    let steps = vec![
        RequestSpec {
            captures: vec![capture("nope", json("$.id"))],
            ..step("create", Method::GET, "/create")
        },
        step("read", Method::GET, "/read/{{nope}}"),
    ];
    let (m, peer) = drive(wire, steps, 3);
    assert_eq!(counts(&m, 0), [("check_failed", 3)]);
    assert_eq!(counts(&m, 1), [], "never sent with an empty value");
    assert_eq!(peer.seen.wire().len(), 3);
    assert_eq!(peer.seen.connections(), 1, "a miss keeps the connection");
}

fn a_captured_line_break_is_refused_in_a_header(wire: Wire) {
    let steps = vec![
        RequestSpec {
            captures: vec![capture("token", json("$.id"))],
            ..step("bad", Method::GET, "/bad")
        },
        RequestSpec {
            headers: vec![(
                HeaderName::from_static("authorization"),
                tpl("Bearer {{token}}", Place::Header),
            )],
            ..step("use", Method::GET, "/use")
        },
        step("after", Method::GET, "/after"),
    ];
    let (m, peer) = drive(wire, steps, 2);
    assert_eq!(counts(&m, 0), [("success", 2)]);
    assert_eq!(counts(&m, 1), [("check_failed", 2)], "refused, not sent");
    assert_eq!(counts(&m, 2), [], "the rest of the iteration is skipped");
    let sent = seen(&peer);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|r| r.starts_with("GET /bad ")), "{sent:?}");
}

/// An answer only the fast path refuses (an unasked-for 101: `protocol` there, hyper hands
/// it over as `http_other`) shows which path a capturing step ran on.
fn a_capturing_step_runs_on_the_path_chosen(wire: Wire) {
    let steps = vec![RequestSpec {
        captures: vec![capture("nope", json("$.id"))],
        ..step("up", Method::GET, "/upgrade")
    }];
    let (m, _peer) = drive(wire, steps, 2);
    let want = match wire {
        Wire::Fast | Wire::Shared => "protocol",
        Wire::Hyper => "http_other",
    };
    assert_eq!(counts(&m, 0), [(want, 2)]);
}

on_h2_wires!(an_http2_journey_captures_from_headers_and_bodies);

/// A journey over HTTP/2 (the lean path, shared or not, or the `h2` crate's): a JSON field and a header
/// captured from one answer, rendered into the next request's path, header and body.
fn an_http2_journey_captures_from_headers_and_bodies(wire: Wire) {
    use crate::support::server::Server;
    let server = Server::start();
    let steps = vec![
        RequestSpec {
            captures: vec![
                capture("item", json("$.id")),
                capture(
                    "etag",
                    CaptureSource::Header(HeaderName::from_static("content-type"), None),
                ),
            ],
            ..step("create", Method::GET, "/json")
        },
        RequestSpec {
            headers: vec![(
                HeaderName::from_static("x-kind"),
                tpl("{{etag}}", Place::Header),
            )],
            body: Some(tpl("{\"item\":\"{{item}}\"}", Place::Json)),
            expect: loadgen_http::Expect {
                body_contains: Some(r#""x-kind":"application/json""#.to_owned()),
                ..Default::default()
            },
            ..step("echo", Method::POST, "/echo/{{item}}")
        },
    ];
    let m = run(crate::support::config_h2(&server.url(), wire), steps, 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(counts(&m, 1), [("success", 3)]);
    assert_eq!(server.stats.h2_requests(), 6);
}
