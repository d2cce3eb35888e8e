//! The callback sink matches callbacks to waiting requests by header or JSON field, and
//! counts the ones nobody waits for.

use loadgen_webhook::sink::{correlation_text, CallbackSink};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn post(sink: &CallbackSink, headers: &str, body: &str) -> String {
    let mut s = TcpStream::connect(sink.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /callback HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

#[test]
fn callbacks_reach_their_waiters() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sink = CallbackSink::start().unwrap();
    assert!(sink.url().starts_with("http://127.0.0.1:"));
    let by_header = sink.register(7);
    let by_body = sink.register(8);
    let resp = post(
        &sink,
        &format!("x-correlation-id: {}\r\n", correlation_text(7)),
        "",
    );
    assert!(resp.contains(r#"{"matched":true}"#), "{resp}");
    let resp = post(
        &sink,
        "",
        &format!(
            r#"{{"correlation_id":"{}","status":"succeeded"}}"#,
            correlation_text(8)
        ),
    );
    assert!(resp.contains(r#"{"matched":true}"#), "{resp}");
    rt.block_on(async {
        by_header.await.expect("header callback delivered");
        by_body.await.expect("body callback delivered");
    });
    // Nobody waits for 9 any more, nor for an id that was never registered.
    let _forgotten = sink.register(9);
    sink.forget(9);
    let resp = post(
        &sink,
        &format!("x-correlation-id: {}\r\n", correlation_text(9)),
        "",
    );
    assert!(resp.contains(r#"{"matched":false}"#), "{resp}");
    post(&sink, "", "not json");
    assert_eq!((sink.received(), sink.unmatched()), (4, 2));
}
