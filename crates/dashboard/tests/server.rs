//! Each refusal of the dashboard's server, against a real listener on loopback.

use loadgen_dashboard::{start, DashboardError, RunShape};
use loadgen_engine::{RunControl, StepInfo};
use loadgen_report::Observer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn dashboard() -> (loadgen_dashboard::Dashboard, RunControl) {
    let control = RunControl::new();
    let shape = RunShape {
        steps: vec![StepInfo {
            workload: 0,
            workload_name: "shop".into(),
            name: "pay".into(),
        }],
        workloads: vec!["shop".into()],
        custom: Vec::new(),
        thresholds: Vec::new(),
    };
    let d = start("127.0.0.1:0".parse().unwrap(), control.clone(), shape, None).unwrap();
    (d, control)
}

/// Sends `raw` and returns the whole answer.
fn exchange(port: u16, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).to_string()
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn get(port: u16, path: &str, extra: &str) -> String {
    exchange(
        port,
        format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{extra}\r\n").as_bytes(),
    )
}

fn post(port: u16, token: &str, body: &str) -> String {
    exchange(
        port,
        format!(
            "POST /control HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

#[test]
fn the_page_embeds_the_history_and_sends_no_cors_header() {
    let (mut d, _) = dashboard();
    let mut m = loadgen_engine::Metrics::new(1, 1);
    m.steps[0].counts[0] = 42;
    d.board.interval(&loadgen_engine::IntervalReport {
        index: 0,
        start: Duration::ZERO,
        length: Duration::from_secs(1),
        metrics: m,
    });
    let port = d.port();
    // An Origin header without the port is a foreign origin.
    assert_eq!(status(&get(port, "/", "origin: http://127.0.0.1\r\n")), 403);
    let page = get(port, "/", "");
    assert_eq!(status(&page), 200);
    assert!(
        page.contains("shop/pay") && page.contains("[42.0,"),
        "{page}"
    );
    assert!(!page.to_ascii_lowercase().contains("access-control"));
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "no external asset"
    );
    assert!(
        !page.contains(d.token().reveal()),
        "the page never carries the token"
    );
    d.close();
}

#[test]
fn a_wrong_or_missing_token_is_401_and_changes_nothing() {
    let (d, control) = dashboard();
    let port = d.port();
    assert_eq!(status(&post(port, "", "stop")), 401);
    assert_eq!(
        status(&post(port, "0123456789abcdef0123456789abcdef", "stop")),
        401
    );
    let mut almost = d.token().reveal().to_string();
    almost.pop();
    almost.push('x');
    assert_eq!(status(&post(port, &almost, "stop")), 401);
    assert!(control.changes().is_empty() && !control.is_stopped());
    // The right token reaches the control (which refuses: the run has not started).
    let answer = post(port, d.token().reveal(), "pause");
    assert_eq!(status(&answer), 409, "{answer}");
    assert_eq!(status(&post(port, d.token().reveal(), "jump")), 400);
}

#[test]
fn a_foreign_host_or_origin_is_refused() {
    let (d, _) = dashboard();
    let port = d.port();
    let rebinding = exchange(port, b"GET / HTTP/1.1\r\nhost: evil.example:5665\r\n\r\n");
    assert_eq!(status(&rebinding), 403);
    assert_eq!(
        status(&get(port, "/", "origin: https://evil.example\r\n")),
        403
    );
    let own = format!("origin: http://127.0.0.1:{port}\r\n");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(format!("GET /events HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{own}\r\n").as_bytes())
        .unwrap();
    let mut first = [0u8; 12];
    s.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200", "its own origin is served");
    assert_eq!(status(&get(port, "/nothing", "")), 404);
    assert_eq!(
        status(&exchange(
            port,
            format!("DELETE / HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n").as_bytes()
        )),
        405
    );
}

#[test]
fn requests_over_16_kib_are_refused() {
    let (d, _) = dashboard();
    let port = d.port();
    let big = format!("x-pad: {}\r\n", "a".repeat(17 * 1024));
    assert_eq!(status(&get(port, "/", &big)), 413);
    let long_body = format!(
        "POST /control HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-length: 20000\r\n\r\n"
    );
    assert_eq!(status(&exchange(port, long_body.as_bytes())), 413);
}

#[test]
fn a_65th_client_is_refused_and_a_non_loopback_address_too() {
    let (d, _) = dashboard();
    let port = d.port();
    // 64 open event streams, each past its first event.
    let held: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(
                format!("GET /events HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
            )
            .unwrap();
            let mut first = [0u8; 12];
            s.read_exact(&mut first).unwrap();
            assert_eq!(&first, b"HTTP/1.1 200");
            s
        })
        .collect();
    assert_eq!(status(&get(port, "/", "")), 503);
    drop(held);
    // The slots free up as the streams close.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while status(&get(port, "/", "")) != 200 {
        assert!(std::time::Instant::now() < deadline, "slots never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
    for addr in ["0.0.0.0:0", "192.0.2.1:5665", "[::]:0"] {
        let shape = RunShape {
            steps: Vec::new(),
            workloads: Vec::new(),
            custom: Vec::new(),
            thresholds: Vec::new(),
        };
        let refused = start(addr.parse().unwrap(), RunControl::new(), shape, None);
        assert!(
            matches!(refused, Err(DashboardError::NotLoopback(_))),
            "{addr}"
        );
    }
}
