//! Judging responses: status sets, expected failures, body and JSON checks. A failed check
//! never costs the connection.

use crate::support::server::Server;
use crate::support::{config, config_h1, counts, get, get_expect, on_both_wires, run, Wire};
use loadgen_http::Expect;
use serde_json::json;

fn status(s: &[u16]) -> Expect {
    Expect {
        status: s.to_vec(),
        ..Expect::default()
    }
}

on_both_wires!(statuses_are_classified_and_checks_run_on_bodies);

fn statuses_are_classified_and_checks_run_on_bodies(wire: Wire) {
    let server = Server::start();
    let json_eq = |path: &str, v: serde_json::Value| Expect {
        json: vec![(path.to_owned(), v)],
        ..Expect::default()
    };
    let contains = |s: &str| Expect {
        body_contains: Some(s.to_owned()),
        ..Expect::default()
    };
    let steps = vec![
        get_expect("201-in-set", "/json", status(&[201])),
        get_expect("201-not-in-set", "/json", status(&[200])),
        get("404", "/404"),
        get("500", "/500"),
        get("302", "/302"),
        get_expect("404-in-set", "/404", status(&[404])),
        get_expect(
            "declined",
            "/404",
            Expect {
                expected_failure_status: vec![404],
                ..Expect::default()
            },
        ),
        get_expect("contains", "/ok", contains("lo wor")),
        get_expect("contains-miss", "/ok", contains("goodbye")),
        get_expect("json", "/json", json_eq("items.1.n", json!(2))),
        get_expect("json-num", "/json", json_eq("amount", json!(12.5))),
        get_expect("json-miss", "/json", json_eq("status", json!("declined"))),
        get_expect("json-absent", "/json", json_eq("items.7.n", json!(2))),
        get_expect("json-not-json", "/ok", json_eq("a", json!(1))),
        // The status decides first: no body check runs on an unexpected status.
        get_expect("status-before-body", "/500", contains("boom")),
    ];
    let m = run(config_h1(&server.url(), wire), steps, 3);
    let expected: [&[(&str, u64)]; 15] = [
        &[("success", 3)],
        &[("http_other", 3)],
        &[("http_4xx", 3)],
        &[("http_5xx", 3)],
        &[("http_other", 3)],
        &[("success", 3)],
        &[("expected_failure", 3)],
        &[("success", 3)],
        &[("check_failed", 3)],
        &[("success", 3)],
        &[("success", 3)],
        &[("check_failed", 3)],
        &[("check_failed", 3)],
        &[("check_failed", 3)],
        &[("http_5xx", 3)],
    ];
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(counts(&m, i), *want, "step {i}");
    }
    assert_eq!(
        server.stats.connections(),
        1,
        "judging never drops the connection"
    );
}

/// `cookies = true`: a cookie one answer sets goes back on the next request (on hyper's path,
/// which the jar takes); without the jar it does not.
#[test]
fn a_cookie_jar_sends_back_what_an_answer_set() {
    let server = crate::support::server::Server::start();
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    let steps = || vec![get("login", "/set-cookie"), get("account", "/need-cookie")];
    let mut cfg = config(&base, loadgen_http::HttpVersion::Http1);
    cfg.cookies = true;
    let factory =
        loadgen_http::HttpFactory::new(std::sync::Arc::new(cfg.clone()), steps()).unwrap();
    assert!(!factory.fast_path(), "the jar takes hyper's path");
    let m = crate::support::drive(&factory, 3);
    assert_eq!(counts(&m, 1), [("success", 3)]);

    cfg.cookies = false;
    cfg.fast_path = false;
    let m = run(cfg, steps(), 2);
    assert_eq!(counts(&m, 1), [("http_4xx", 2)]);
}
