//! Requests that succeed: keep-alive, h2c, chunked bodies, `Connection: close`, and what goes
//! on the wire (templates, headers, prefixes).

use crate::support::server::Server;
use crate::support::{
    config, config_h1, config_h2, counts, drive_side_by_side, drive_warmed, get, get_expect,
    on_both_wires, run, Wire,
};
use http::{HeaderName, HeaderValue, Method};
use loadgen_engine::Outcome;
use loadgen_http::{Expect, HttpFactory, HttpVersion, RequestSpec, Template};
use serde_json::json;
use std::sync::Arc;

on_both_wires!(
    h2c_prior_knowledge_multiplexes_on_one_connection,
    http2_requests_carry_the_authority_instead_of_a_host_header,
    http2_answers_larger_than_the_receive_windows_are_read_whole,
    http2_trailers_and_posted_bodies_reach_their_ends,
    a_warmed_up_session_sends_its_first_request_on_an_open_connection,
    a_failed_warm_up_leaves_the_failure_to_the_iteration,
    keep_alive_reuses_one_connection_for_every_iteration,
    connection_close_is_followed_by_a_silent_reconnect,
    chunked_bodies_are_read_to_the_end_and_checked,
    templates_headers_and_body_reach_the_server,
    host_names_are_resolved_at_connect_time,
);

fn a_warmed_up_session_sends_its_first_request_on_an_open_connection(wire: Wire) {
    let server = Server::start();
    let factory = HttpFactory::new(
        Arc::new(config_h1(&server.url(), wire)),
        vec![get("a", "/ok")],
    )
    .unwrap();
    let m = drive_warmed(&factory, 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(
        m.steps[0].connect.len(),
        0,
        "the warm-up connected, not a step"
    );
}

fn a_failed_warm_up_leaves_the_failure_to_the_iteration(wire: Wire) {
    // Nothing listens on the port: warming up fails quietly, the step reports it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let factory = HttpFactory::new(
        Arc::new(config_h1(&format!("http://127.0.0.1:{port}"), wire)),
        vec![get("a", "/ok")],
    )
    .unwrap();
    let m = drive_warmed(&factory, 2);
    assert_eq!(counts(&m, 0), [("connect", 2)]);
}

fn keep_alive_reuses_one_connection_for_every_iteration(wire: Wire) {
    let server = Server::start();
    let m = run(
        config_h1(&server.url(), wire),
        vec![get("a", "/ok"), get("b", "/ok")],
        20,
    );
    assert_eq!(counts(&m, 0), [("success", 20)]);
    assert_eq!(counts(&m, 1), [("success", 20)]);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(server.stats.requests(), 40);
    assert_eq!(m.steps[0].connect.len(), 1, "only the first step connected");
    assert_eq!(m.steps[1].connect.len(), 0);
    assert_eq!(m.steps[0].ttfb.len(), 20);
}

fn h2c_prior_knowledge_multiplexes_on_one_connection(wire: Wire) {
    let server = Server::start();
    let m = run(
        config_h2(&server.url(), wire),
        vec![get("a", "/ok"), get("b", "/json")],
        10,
    );
    assert_eq!(counts(&m, 0), [("success", 10)]);
    assert_eq!(counts(&m, 1), [("success", 10)]);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(server.stats.h2_requests(), 20);
}

fn connection_close_is_followed_by_a_silent_reconnect(wire: Wire) {
    let server = Server::start();
    let m = run(
        config_h1(&server.url(), wire),
        vec![get("close", "/close")],
        5,
    );
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(server.stats.connections(), 5);
    assert_eq!(m.steps[0].connect.len(), 5);
}

fn chunked_bodies_are_read_to_the_end_and_checked(wire: Wire) {
    let server = Server::start();
    let contains = |s: &str| Expect {
        body_contains: Some(s.to_owned()),
        ..Expect::default()
    };
    let m = run(
        config_h1(&server.url(), wire),
        vec![
            get_expect("chunked", "/chunked", contains("part1-part2-end")),
            get("unchecked", "/chunked"),
        ],
        3,
    );
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(counts(&m, 1), [("success", 3)]);
    assert_eq!(
        server.stats.connections(),
        1,
        "fully read bodies keep the connection"
    );
}

fn field(path: &str, v: serde_json::Value) -> (String, serde_json::Value) {
    (path.to_owned(), v)
}

/// The echo route answers with what it received; the step's own JSON checks verify it.
fn templates_headers_and_body_reach_the_server(wire: Wire) {
    let server = Server::start();
    let mut cfg = config_h1(&format!("{}/v1", server.url()), wire);
    cfg.headers = vec![
        (
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("payments"),
        ),
        (
            HeaderName::from_static("x-over"),
            HeaderValue::from_static("default"),
        ),
    ];
    let ua = concat!("loadgen/", env!("CARGO_PKG_VERSION"));
    let post = |name: &str, seq: u64| RequestSpec {
        headers: vec![
            (
                HeaderName::from_static("x-seq"),
                Template::parse("{{seq}}").unwrap(),
            ),
            (
                HeaderName::from_static("x-over"),
                Template::parse("step").unwrap(),
            ),
        ],
        body: Some(Template::parse(r#"{"step":"{{step}}","vu":{{vu}}}"#).unwrap()),
        content_type: Some(HeaderValue::from_static("application/json")),
        expect: Expect {
            json: vec![
                field("method", json!("POST")),
                field("path", json!(format!("/v1/echo/3/{seq}"))),
                field("query", json!("it=0")),
                field("headers.host", json!(server.addr.to_string())),
                field("headers.user-agent", json!(ua)),
                field("headers.content-type", json!("application/json")),
                field("headers.x-team", json!("payments")),
                field("headers.x-over", json!("step")),
                field("headers.x-seq", json!(seq.to_string())),
                field("body", json!(format!(r#"{{"step":"{name}","vu":3}}"#))),
            ],
            ..Expect::default()
        },
        ..RequestSpec::new(
            name,
            Method::POST,
            Template::parse("echo/{{vu}}/{{seq}}?it={{iteration}}").unwrap(),
        )
    };
    let m = run(cfg, vec![post("first", 0), post("second", 1)], 1);
    assert_eq!(counts(&m, 0), [("success", 1)]);
    assert_eq!(counts(&m, 1), [("success", 1)]);
}

fn http2_requests_carry_the_authority_instead_of_a_host_header(wire: Wire) {
    let server = Server::start();
    let expect = Expect {
        json: vec![
            field("authority", json!(server.addr.to_string())),
            field("path", json!("/echo")),
            field("query", json!("a=1")),
        ],
        ..Expect::default()
    };
    let m = run(
        config_h2(&server.url(), wire),
        vec![get_expect("echo", "/echo?a=1", expect)],
        2,
    );
    assert_eq!(counts(&m, 0), [("success", 2)]);
    assert_eq!(server.stats.h2_requests(), 2);
}

fn host_names_are_resolved_at_connect_time(wire: Wire) {
    let server = Server::start();
    let url = format!("http://localhost:{}", server.addr.port());
    let m = run(config_h1(&url, wire), vec![get("ok", "/ok")], 2);
    assert_eq!(counts(&m, 0), [("success", 2)]);
    assert_eq!(m.steps[0].count(Outcome::Success), 2);
}

fn http2_answers_larger_than_the_receive_windows_are_read_whole(wire: Wire) {
    // 3 MiB each: more than the client's stream window (2 MiB), so the exchange must give
    // the window back as it reads, or the answer stalls into a timeout.
    let server = Server::start();
    let ends_with_x = Expect {
        body_contains: Some("xxxxxxxx".to_owned()),
        ..Expect::default()
    };
    let m = run(
        config_h2(&server.url(), wire),
        vec![crate::support::get_expect("big", "/big", ends_with_x)],
        3,
    );
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(server.stats.h2_requests(), 3);
}

fn http2_trailers_and_posted_bodies_reach_their_ends(wire: Wire) {
    let server = Server::start();
    let te = RequestSpec {
        headers: vec![(
            HeaderName::from_static("te"),
            Template::parse("trailers").unwrap(),
        )],
        expect: Expect {
            body_contains: Some("one-two-three".to_owned()),
            ..Expect::default()
        },
        ..RequestSpec::new(
            "trailers",
            Method::GET,
            Template::parse("/trailers").unwrap(),
        )
    };
    let post = RequestSpec {
        body: Some(Template::parse("{\"amount\":12}").unwrap()),
        expect: Expect {
            // The echo repeats the headers (a content-length of the 13 bytes sent) and body.
            body_contains: Some("\"content-length\":\"13\"".to_owned()),
            ..Expect::default()
        },
        ..RequestSpec::new("post", Method::POST, Template::parse("/echo").unwrap())
    };
    let m = run(config_h2(&server.url(), wire), vec![te, post], 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(counts(&m, 1), [("success", 3)]);
    assert_eq!(server.stats.connections(), 1);
}

#[test]
fn http2_vus_of_a_thread_share_connections_up_to_the_stream_limit() {
    // On the lean path and the `h2` crate's.
    for fast_path in [true, false] {
        for (streams, connections) in [(1, 10), (4, 3), (10, 1)] {
            let server = Server::start();
            let mut cfg = config(&server.url(), HttpVersion::Http2);
            cfg.streams_per_connection = streams;
            cfg.fast_path = fast_path;
            let factory = HttpFactory::new(Arc::new(cfg), vec![get("a", "/ok")]).unwrap();
            assert_eq!(factory.fast_h2(), fast_path);
            let m = drive_side_by_side(&factory, 10, 5);
            let case = format!("{streams} streams, fast path {fast_path}");
            assert_eq!(counts(&m, 0), [("success", 50)], "{case}");
            assert_eq!(server.stats.h2_requests(), 50, "{case}");
            assert_eq!(
                server.stats.connections(),
                connections,
                "10 VUs at {streams} per connection"
            );
            // Only the VUs that opened a connection record a connect time.
            assert_eq!(m.steps[0].connect.len(), connections, "{case}");
        }
    }
}
