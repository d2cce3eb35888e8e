//! The link against a scripted peer on a loopback socket: what the caller's [`Judge`] is told
//! and what the exchange returns for it, without `loadgen-http`'s steps or expectations (its
//! own tests run the whole path against nginx and a raw-frame server).

// A test may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use loadgen_engine::Outcome;
use loadgen_h2::hpack::{put_content_length, put_field};
use loadgen_h2::{H2Link, Judge};
use loadgen_tls::ClientStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Records what it is told; fails the status `fail`.
#[derive(Default)]
struct Seen {
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    status: Option<u16>,
    finished: Option<(Vec<u8>, bool)>,
    fail: Option<u16>,
}

impl Judge for Seen {
    fn header(&mut self, name: &[u8], value: &[u8]) {
        self.headers.push((name.to_vec(), value.to_vec()));
    }
    fn sees_headers(&self) -> bool {
        true
    }
    fn status(&mut self, code: u16) -> Result<(), Outcome> {
        self.status = Some(code);
        match self.fail == Some(code) {
            true => Err(Outcome::Http5xx),
            false => Ok(()),
        }
    }
    fn needs_body(&self) -> bool {
        true
    }
    fn finish(&mut self, body: &[u8], overflow: bool) -> Outcome {
        self.finished = Some((body.to_vec(), overflow));
        Outcome::Success
    }
}

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len();
    out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// The peer's empty SETTINGS, then `answer` once the request has come.
async fn peer(listener: TcpListener, answer: Vec<u8>) -> TcpStream {
    let (mut tcp, _) = listener.accept().await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let mut settings = Vec::new();
    frame(&mut settings, 0x4, 0, 0, &[]);
    tcp.write_all(&settings).await.unwrap();
    // The preface (24), our SETTINGS (9 + 12), the WINDOW_UPDATE (13), then a HEADERS frame.
    while seen.len() <= 24 + 21 + 13 + 9 {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "the client closed before its request");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    tcp.write_all(&answer).await.unwrap();
    tcp
}

/// One GET on a fresh link against a peer answering `answer`.
async fn exchange(answer: Vec<u8>, judge: &mut Seen) -> (Result<(Outcome, bool), Outcome>, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(peer(listener, answer));
    let mut link = H2Link::new();
    let tcp = TcpStream::connect(addr).await.unwrap();
    link.attach(ClientStream::Plain(tcp)).await.unwrap();
    assert!(link.is_open());
    let ready = link.render(false, |out, _, _| {
        put_field(out, b":method", b"GET");
        put_field(out, b":scheme", b"http");
        put_field(out, b":authority", b"localhost");
        put_field(out, b":path", b"/");
        &[]
    });
    let (mut body, mut first_byte, mut status) = (Vec::new(), None, 0);
    let got = ready
        .exchange(judge, &mut body, 1 << 20, &mut first_byte, &mut status)
        .await;
    assert_eq!(first_byte.is_some(), status != 0);
    let _tcp = server.await.unwrap();
    (got, status)
}

fn head(status: &[u8], length: usize) -> Vec<u8> {
    let mut block = Vec::new();
    put_field(&mut block, b":status", status);
    put_content_length(&mut block, length);
    block
}

#[tokio::test]
async fn a_passing_status_hands_over_the_headers_and_the_body() {
    let mut answer = Vec::new();
    frame(&mut answer, 0x1, 0x4, 1, &head(b"200", 2));
    frame(&mut answer, 0x0, 0x1, 1, b"ok");
    let mut judge = Seen::default();
    let (got, status) = exchange(answer, &mut judge).await;
    assert_eq!(got, Ok((Outcome::Success, true)));
    assert_eq!((status, judge.status), (200, Some(200)));
    assert_eq!(judge.headers, [(b"content-length".to_vec(), b"2".to_vec())]);
    assert_eq!(judge.finished, Some((b"ok".to_vec(), false)));
}

#[tokio::test]
async fn a_failing_status_is_the_verdict_and_the_body_is_not_judged() {
    let mut answer = Vec::new();
    frame(&mut answer, 0x1, 0x4, 1, &head(b"500", 4));
    frame(&mut answer, 0x0, 0x1, 1, b"oops");
    let mut judge = Seen {
        fail: Some(500),
        ..Seen::default()
    };
    let (got, status) = exchange(answer, &mut judge).await;
    assert_eq!(got, Ok((Outcome::Http5xx, true)));
    assert_eq!(status, 500);
    assert_eq!(judge.finished, None);
}

#[tokio::test]
async fn a_reset_stream_fails_the_exchange_without_a_verdict() {
    let mut answer = Vec::new();
    frame(&mut answer, 0x3, 0, 1, &0x7u32.to_be_bytes()); // REFUSED_STREAM
    let mut judge = Seen::default();
    let (got, status) = exchange(answer, &mut judge).await;
    assert_eq!(got, Err(Outcome::Reset));
    assert_eq!((status, judge.status), (0, None));
}

#[tokio::test]
async fn a_body_longer_than_its_content_length_is_a_protocol_fault() {
    let mut answer = Vec::new();
    frame(&mut answer, 0x1, 0x4, 1, &head(b"200", 1));
    frame(&mut answer, 0x0, 0x1, 1, b"ok");
    let (got, _) = exchange(answer, &mut Seen::default()).await;
    assert_eq!(got, Err(Outcome::Protocol));
}
