//! What goes on the wire: the fast path sends, byte for byte, what hyper sends (templates
//! rendered from the same seeded values in the same order), and it is chosen only where it
//! applies.

use crate::support::scripted::{Reply, Scripted};
use crate::support::{config, config_h1, counts, get, run, Wire};
use http::{HeaderName, HeaderValue, Method};
use loadgen_http::{ClientConfig, HttpFactory, HttpVersion, RequestSpec, Template};
use std::sync::Arc;

fn tpl(s: &str) -> Template {
    Template::parse(s).unwrap()
}

fn header(name: &'static str, value: &str) -> (HeaderName, Template) {
    (HeaderName::from_static(name), tpl(value))
}

/// Requests exercising every way a step is encoded.
fn steps() -> Vec<RequestSpec> {
    vec![
        get("literal", "/static/path?q=1"),
        RequestSpec {
            headers: vec![
                header("x-seq", "{{seq}}"),
                header("x-over", "step wins"),
                header("x-rand", "r{{random_int(1,9)}}-{{vu}}-{{iteration}}"),
                header("x-lit", "plain"),
            ],
            body: Some(tpl(
                r#"{"n":{{random_int(1,1000)}},"id":"{{uuid}}","step":"{{step}}"}"#,
            )),
            content_type: Some(HeaderValue::from_static("application/json")),
            ..RequestSpec::new(
                "templated",
                Method::POST,
                tpl("items/{{vu}}/{{random_int(-5,5)}}?u={{uuid}}"),
            )
        },
        RequestSpec {
            body: Some(tpl("literal body")),
            ..RequestSpec::new("literal-body", Method::PUT, tpl("/put"))
        },
        RequestSpec {
            body: Some(tpl("")),
            ..RequestSpec::new("empty-body", Method::POST, tpl("/{{step}}"))
        },
        RequestSpec {
            body: Some(tpl("{{random_int(0,0)}}")),
            headers: vec![header("x-lit", "only literal headers")],
            ..RequestSpec::new("templated-body", Method::PATCH, tpl("/p"))
        },
        RequestSpec::new("head", Method::HEAD, tpl("")),
    ]
}

fn captured(wire: Wire) -> Vec<Vec<u8>> {
    let peer = Scripted::always(Reply::pieces(&[
        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
    ]));
    let mut cfg = config_h1(&format!("{}/api", peer.url()), wire);
    cfg.headers = vec![
        (
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("payments"),
        ),
        (
            HeaderName::from_static("x-over"),
            HeaderValue::from_static("default"),
        ),
        (
            HeaderName::from_static("user-agent"),
            HeaderValue::from_static("custom/1"),
        ),
    ];
    let m = run(cfg, steps(), 3);
    for step in 0..steps().len() {
        assert_eq!(counts(&m, step), [("success", 3)], "{wire:?} step {step}");
    }
    let wire_bytes = peer.seen.wire();
    // The host header carries the port, which differs between the two peers.
    let host = format!("host: {}\r\n", peer.addr);
    wire_bytes
        .into_iter()
        .map(|r| {
            let text = String::from_utf8(r).unwrap();
            assert!(text.contains(&host), "{text}");
            text.replace(&host, "host: PEER\r\n").into_bytes()
        })
        .collect()
}

#[test]
fn the_fast_path_sends_exactly_what_hyper_sends() {
    let fast = captured(Wire::Fast);
    let hyper = captured(Wire::Hyper);
    assert_eq!(fast.len(), 18);
    for (f, h) in fast.iter().zip(&hyper) {
        assert_eq!(
            String::from_utf8_lossy(f),
            String::from_utf8_lossy(h),
            "fast path vs hyper"
        );
    }
    let templated = String::from_utf8_lossy(&fast[1]);
    assert!(templated.starts_with("POST /api/items/3/"), "{templated}");
    assert!(templated.contains("\r\ncontent-length: "), "{templated}");
    let empty = String::from_utf8_lossy(&fast[3]);
    assert!(!empty.contains("content-length"), "{empty}");
}

fn factory(cfg: ClientConfig, steps: Vec<RequestSpec>) -> HttpFactory {
    HttpFactory::new(Arc::new(cfg), steps).unwrap()
}

#[test]
fn the_fast_path_is_chosen_only_where_it_applies() {
    let url = "http://127.0.0.1:9";
    assert!(factory(config(url, HttpVersion::Http1), steps()).fast_path());
    assert!(!factory(config_h1(url, Wire::Hyper), steps()).fast_path());
    let h2 = factory(config(url, HttpVersion::Http2), steps());
    assert!(
        h2.fast_path() && h2.fast_h2(),
        "h2c on its own connection is the lean path"
    );
    let mut shared = config(url, HttpVersion::Http2);
    shared.streams_per_connection = 4;
    assert!(
        factory(shared, steps()).fast_h2(),
        "shared connections are the lean path's too"
    );
    let mut forced = config(url, HttpVersion::Http2);
    forced.fast_path = false;
    assert!(!factory(forced, steps()).fast_path());
    let tls_h2 = config("https://127.0.0.1:9", HttpVersion::Http2);
    assert!(factory(tls_h2, steps()).fast_h2(), "TLS with ALPN h2 too");
    assert!(!factory(config("https://127.0.0.1:9", HttpVersion::Http1), steps()).fast_path());
    for framing in [
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
    ] {
        let step = RequestSpec {
            headers: vec![(HeaderName::from_static(framing), tpl("x"))],
            ..get("s", "/")
        };
        let f = factory(config(url, HttpVersion::Http1), vec![get("ok", "/"), step]);
        assert!(!f.fast_path(), "{framing} is hyper's");
        let mut cfg = config(url, HttpVersion::Http1);
        cfg.headers = vec![(
            HeaderName::from_static(framing),
            HeaderValue::from_static("x"),
        )];
        assert!(!factory(cfg, vec![get("ok", "/")]).fast_path(), "{framing}");
    }
    let connect = RequestSpec::new("c", Method::CONNECT, tpl("/"));
    assert!(!factory(config(url, HttpVersion::Http1), vec![connect]).fast_path());
    let fragment = get("f", "/a/{{vu}}#frag");
    assert!(!factory(config(url, HttpVersion::Http1), vec![fragment]).fast_path());
}
