//! Fault modes: the ways a real target misbehaves, on demand, so tests and demos can show
//! that the load generator counts and classifies every one of them.
//!
//! A fault is chosen per request by the `x-loadgen-fault: NAME` header (any route but the
//! counters), or drawn for `/api/` requests from the `--fault NAME=SHARE` rules. The two
//! connection-level faults (`refuse`, `tls`) are drawn per accepted connection and cannot be
//! asked for by header (there is no request yet). A faulted response always closes its
//! connection, so a fault never leaks into the next request on a keep-alive connection.
//!
//! Byte-level faults (resets, garbage, wrong length, slow bytes) are done by [`FaultStream`],
//! which wraps the accepted socket: the request handler sets the connection's mode, the
//! stream misbehaves on the response bytes. On an HTTP/2 connection they break the whole
//! connection, as they would in life.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// The request header that asks for a fault.
pub const FAULT_HEADER: &str = "x-loadgen-fault";
/// Size of the `huge-body` answer.
pub const HUGE_BODY: u64 = 64 << 20;
/// Pause between bytes of a `slow` answer.
pub const SLOW_BYTE_DELAY: Duration = Duration::from_millis(10);
/// How long a `stall` keeps the request unanswered (the client gives up long before).
pub const STALL_FOR: Duration = Duration::from_secs(3600);
/// Body bytes a `reset-body` answer sends before the reset.
const RESET_AFTER_BODY_BYTES: usize = 16;

/// One way to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Accept the connection and reset it at once (per connection).
    Refuse,
    /// Fail the TLS handshake with a fatal `handshake_failure` alert (per connection).
    Tls,
    /// Reset the connection after reading the request, before answering.
    Reset,
    /// Send the head and a few body bytes, then reset.
    ResetBody,
    /// Never answer.
    Stall,
    /// Answer one byte at a time, [`SLOW_BYTE_DELAY`] apart.
    Slow,
    /// Answer bytes that are not HTTP, then close.
    Garbage,
    /// Announce a longer `Content-Length` than the body, then close.
    WrongLength,
    /// A 200 with a [`HUGE_BODY`]-byte body.
    HugeBody,
    /// 503 Service Unavailable.
    Unavailable,
    /// 429 Too Many Requests with `Retry-After: 1`.
    TooManyRequests,
}

impl Fault {
    /// Every fault, in the order `--help` lists them.
    pub const ALL: [Fault; 11] = [
        Fault::Refuse,
        Fault::Tls,
        Fault::Reset,
        Fault::ResetBody,
        Fault::Stall,
        Fault::Slow,
        Fault::Garbage,
        Fault::WrongLength,
        Fault::HugeBody,
        Fault::Unavailable,
        Fault::TooManyRequests,
    ];

    /// The name used on the command line, in the header and in the counters.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Refuse => "refuse",
            Fault::Tls => "tls",
            Fault::Reset => "reset",
            Fault::ResetBody => "reset-body",
            Fault::Stall => "stall",
            Fault::Slow => "slow",
            Fault::Garbage => "garbage",
            Fault::WrongLength => "wrong-length",
            Fault::HugeBody => "huge-body",
            Fault::Unavailable => "503",
            Fault::TooManyRequests => "429",
        }
    }

    /// Decided per connection, before any request.
    pub fn is_per_connection(self) -> bool {
        matches!(self, Fault::Refuse | Fault::Tls)
    }

    pub(crate) fn index(self) -> usize {
        Fault::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// Why a `--fault` rule or a fault name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseError {
    #[error("unknown fault `{0}` (use {names})", names = fault_names())]
    UnknownFault(String),
    #[error("fault share `{0}` is not a number or a percentage")]
    ShareNotANumber(String),
    #[error("fault share `{0}` is outside 0%..100%")]
    ShareOutOfRange(String),
}

fn fault_names() -> String {
    let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
    names.join(", ")
}

impl FromStr for Fault {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, FaultParseError> {
        let s = s.trim();
        Fault::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| FaultParseError::UnknownFault(s.to_string()))
    }
}

/// A fault with the share of requests (or connections) it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRule {
    /// What goes wrong.
    pub fault: Fault,
    /// Share 0..=1 of `/api/` requests (connections, for per-connection faults).
    pub share: f64,
}

impl FromStr for FaultRule {
    type Err = FaultParseError;
    /// `NAME` (every time) or `NAME=SHARE` with SHARE as `10%` or `0.1`.
    fn from_str(s: &str) -> Result<Self, FaultParseError> {
        let (name, share) = match s.split_once('=') {
            Some((n, v)) => (n, parse_share(v)?),
            None => (s, 1.0),
        };
        Ok(FaultRule {
            fault: name.parse()?,
            share,
        })
    }
}

fn parse_share(v: &str) -> Result<f64, FaultParseError> {
    let v = v.trim();
    let x = match v.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => v.parse::<f64>(),
    }
    .map_err(|_| FaultParseError::ShareNotANumber(v.to_string()))?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(FaultParseError::ShareOutOfRange(v.to_string()))
    }
}

/// Why a request's `x-loadgen-fault` header cannot be honoured (answered 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FaultHeaderError {
    #[error("fault header is not text")]
    NotText,
    #[error(transparent)]
    Unknown(#[from] FaultParseError),
    #[error("fault `{0}` happens per connection; start the target with --fault {0}=SHARE")]
    PerConnection(String),
}

/// The configured rules, split by when they are drawn.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultPlan {
    per_request: Vec<FaultRule>,
    per_connection: Vec<FaultRule>,
}

impl FaultPlan {
    pub(crate) fn new(rules: &[FaultRule]) -> Self {
        let (per_connection, per_request) = rules.iter().partition(|r| r.fault.is_per_connection());
        FaultPlan {
            per_request,
            per_connection,
        }
    }

    /// The fault (if any) for a new connection.
    pub(crate) fn for_connection(&self, seed: u64) -> Option<Fault> {
        draw(&self.per_connection, seed)
    }

    /// The fault (if any) for a request: the header wins; `/api/` requests draw from the
    /// rules. `Err` carries the answer to a header naming an unknown or per-connection fault.
    pub(crate) fn for_request<B>(
        &self,
        req: &http::Request<B>,
        seed: u64,
    ) -> Result<Option<Fault>, FaultHeaderError> {
        if let Some(v) = req.headers().get(FAULT_HEADER) {
            let name = v.to_str().map_err(|_| FaultHeaderError::NotText)?;
            let fault: Fault = name.parse()?;
            if fault.is_per_connection() {
                return Err(FaultHeaderError::PerConnection(name.to_string()));
            }
            return Ok(Some(fault));
        }
        if req.uri().path().starts_with("/api/") {
            return Ok(draw(&self.per_request, seed ^ 0xFA17_FA17_FA17_FA17));
        }
        Ok(None)
    }
}

/// One draw across the rules' cumulative shares.
fn draw(rules: &[FaultRule], seed: u64) -> Option<Fault> {
    if rules.is_empty() {
        return None;
    }
    let x: f64 = SmallRng::seed_from_u64(seed).random();
    let mut acc = 0.0;
    rules.iter().find_map(|r| {
        acc += r.share;
        (x < acc).then_some(r.fault)
    })
}

/// What the stream does with the response bytes of a connection.
#[derive(Debug, Default)]
pub(crate) struct ConnMode(AtomicU8);

const NORMAL: u8 = 0;
const RESET_NOW: u8 = 1;
const RESET_BODY: u8 = 2;
const GARBAGE: u8 = 3;
const WRONG_LENGTH: u8 = 4;
const SLOW: u8 = 5;

impl ConnMode {
    fn set(&self, mode: u8) {
        self.0.store(mode, Relaxed);
    }
}

/// The body of a faulted answer: a small buffer, or `huge-body`'s stream.
#[derive(Debug)]
pub(crate) enum FaultBody {
    Small(Option<Bytes>),
    Huge { left: u64 },
}

static HUGE_CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

impl HttpBody for FaultBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        Poll::Ready(match this {
            FaultBody::Small(b) => b.take().map(|b| Ok(Frame::data(b))),
            FaultBody::Huge { left: 0 } => None,
            FaultBody::Huge { left } => {
                let n = (*left).min(HUGE_CHUNK.len() as u64);
                *left -= n;
                Some(Ok(Frame::data(Bytes::from_static(
                    &HUGE_CHUNK[..n as usize],
                ))))
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, FaultBody::Small(None) | FaultBody::Huge { left: 0 })
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            FaultBody::Small(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            FaultBody::Huge { left } => SizeHint::with_exact(*left),
        }
    }
}

/// The answer to a faulted request; sets the connection's mode for byte-level faults.
/// (`stall` waits here first.)
pub(crate) async fn answer(fault: Fault, mode: &ConnMode) -> Response<FaultBody> {
    let small = |status: StatusCode, body: &'static [u8]| {
        let mut r = Response::new(FaultBody::Small(Some(Bytes::from_static(body))));
        *r.status_mut() = status;
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    let mut response = match fault {
        Fault::Stall => {
            tokio::time::sleep(STALL_FOR).await;
            small(StatusCode::GATEWAY_TIMEOUT, br#"{"error":"stalled"}"#)
        }
        Fault::HugeBody => {
            let mut r = Response::new(FaultBody::Huge { left: HUGE_BODY });
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            r
        }
        Fault::Unavailable => small(
            StatusCode::SERVICE_UNAVAILABLE,
            br#"{"error":"unavailable"}"#,
        ),
        Fault::TooManyRequests => {
            let mut r = small(
                StatusCode::TOO_MANY_REQUESTS,
                br#"{"error":"rate_limited"}"#,
            );
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::ResetBody => {
            mode.set(RESET_BODY);
            small(StatusCode::OK, &[b' '; 4096])
        }
        byte_level => {
            mode.set(match byte_level {
                Fault::Reset | Fault::Refuse | Fault::Tls => RESET_NOW,
                Fault::Garbage => GARBAGE,
                Fault::WrongLength => WRONG_LENGTH,
                _ => SLOW,
            });
            small(StatusCode::OK, br#"{"status":"ok","fault":"byte-level"}"#)
        }
    };
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Applies a per-connection fault to a fresh socket.
pub(crate) async fn break_connection(fault: Fault, stream: TcpStream) {
    use tokio::io::AsyncWriteExt;
    let mut stream = stream;
    if fault == Fault::Tls {
        // A TLS 1.2 record: alert, fatal, handshake_failure.
        let _ = stream
            .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
            .await;
        let _ = stream.flush().await;
        // Let the client read the alert before the socket goes.
        let _ =
            tokio::time::timeout(Duration::from_millis(200), read_until_closed(&mut stream)).await;
        return;
    }
    reset(&stream);
}

async fn read_until_closed(stream: &mut TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// Makes the socket's close a reset (RST) instead of an orderly FIN.
fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

/// The accepted socket, misbehaving on the response bytes as its [`ConnMode`] says.
pub(crate) struct FaultStream {
    inner: TcpStream,
    mode: Arc<ConnMode>,
    /// Response bytes passed through so far, and where the head ended (if seen).
    written: usize,
    head_end: Option<usize>,
    /// How much of `\r\n\r\n` the previous write ended with.
    crlf_matched: usize,
    /// `wrong-length`: the rewritten bytes still to send, and the original length they stand for.
    rewritten: Option<(Vec<u8>, usize, usize)>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl FaultStream {
    pub(crate) fn new(inner: TcpStream) -> (Self, Arc<ConnMode>) {
        let mode = Arc::new(ConnMode::default());
        (
            FaultStream {
                inner,
                mode: Arc::clone(&mode),
                written: 0,
                head_end: None,
                crlf_matched: 0,
                rewritten: None,
                pause: None,
            },
            mode,
        )
    }

    /// Notes where the response head ends within `buf` (which starts at `self.written`).
    fn scan_head(&mut self, buf: &[u8]) {
        if self.head_end.is_some() {
            return;
        }
        for (i, b) in buf.iter().enumerate() {
            let want = b"\r\n\r\n"[self.crlf_matched];
            self.crlf_matched = if *b == want {
                self.crlf_matched + 1
            } else if *b == b'\r' {
                1
            } else {
                0
            };
            if self.crlf_matched == 4 {
                self.head_end = Some(self.written + i + 1);
                return;
            }
        }
    }

    fn broken(&self, why: &'static str) -> io::Error {
        reset(&self.inner);
        io::Error::new(io::ErrorKind::ConnectionReset, why)
    }
}

/// `content-length: N` in `head` replaced by a larger number.
fn lengthen(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let lower = text.to_ascii_lowercase();
    let at = lower.find("content-length:")? + "content-length:".len();
    let end = at + text[at..].find("\r\n")?;
    let n: u64 = text[at..end].trim().parse().ok()?;
    let mut out = Vec::with_capacity(head.len() + 4);
    out.extend_from_slice(&head[..at]);
    out.extend_from_slice(format!(" {}", n + 64).as_bytes());
    out.extend_from_slice(&head[end..]);
    Some(out)
}

impl AsyncRead for FaultStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.mode.0.load(Relaxed) {
            NORMAL => Pin::new(&mut this.inner).poll_write(cx, buf),
            RESET_NOW => Poll::Ready(Err(this.broken("fault: reset before the answer"))),
            GARBAGE => {
                let junk = b"\x16\x00garbage: this is not an HTTP response\r\n\x00\xff\r\n\r\n";
                ready!(Pin::new(&mut this.inner).poll_write(cx, junk))?;
                Poll::Ready(Err(io::Error::other("fault: garbage sent")))
            }
            RESET_BODY => {
                this.scan_head(buf);
                let allowed = match this.head_end {
                    Some(end) => (end + RESET_AFTER_BODY_BYTES).saturating_sub(this.written),
                    None => buf.len(),
                };
                if allowed == 0 {
                    return Poll::Ready(Err(this.broken("fault: reset in the body")));
                }
                let n = ready!(
                    Pin::new(&mut this.inner).poll_write(cx, &buf[..allowed.min(buf.len())])
                )?;
                this.written += n;
                Poll::Ready(Ok(n))
            }
            WRONG_LENGTH => {
                if this.rewritten.is_none() {
                    let bytes = lengthen(buf).unwrap_or_else(|| buf.to_vec());
                    this.rewritten = Some((bytes, 0, buf.len()));
                }
                let (bytes, sent, stands_for) = this.rewritten.as_mut().expect("set above");
                while *sent < bytes.len() {
                    *sent += ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*sent..]))?;
                }
                let n = *stands_for;
                this.rewritten = None;
                // Only the head is rewritten: later writes pass through.
                this.mode.set(NORMAL);
                Poll::Ready(Ok(n))
            }
            _slow => {
                if let Some(p) = this.pause.as_mut() {
                    ready!(p.as_mut().poll(cx));
                    this.pause = None;
                }
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..buf.len().min(1)]))?;
                this.pause = Some(Box::pin(tokio::time::sleep(SLOW_BYTE_DELAY)));
                Poll::Ready(Ok(n))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_shares_and_names_are_listed_on_error() {
        let r: FaultRule = "reset-body=10%".parse().unwrap();
        assert_eq!(r.fault, Fault::ResetBody);
        assert!((r.share - 0.1).abs() < 1e-12);
        assert_eq!("503".parse::<FaultRule>().unwrap().share, 1.0);
        assert_eq!(
            "429=0.5".parse::<FaultRule>().unwrap().fault,
            Fault::TooManyRequests
        );
        let e = "explode".parse::<FaultRule>().unwrap_err().to_string();
        assert!(
            e.contains("unknown fault") && e.contains("wrong-length"),
            "{e}"
        );
        assert!("stall=150%"
            .parse::<FaultRule>()
            .unwrap_err()
            .to_string()
            .contains("outside"));
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().unwrap(), f);
            assert_eq!(Fault::ALL[f.index()], f);
        }
    }

    #[test]
    fn draws_follow_the_shares() {
        let plan = FaultPlan::new(&[
            "503=20%".parse().unwrap(),
            "reset=10%".parse().unwrap(),
            "refuse=50%".parse().unwrap(),
        ]);
        let mut seen = [0u32; 3];
        for seed in 0..20_000u64 {
            let req = http::Request::get("/api/payments").body(()).unwrap();
            match plan.for_request(&req, seed).unwrap() {
                Some(Fault::Unavailable) => seen[0] += 1,
                Some(Fault::Reset) => seen[1] += 1,
                None => seen[2] += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!((3600..4400).contains(&seen[0]), "{seen:?}");
        assert!((1600..2400).contains(&seen[1]), "{seen:?}");
        let conns = (0..10_000u64)
            .filter(|s| plan.for_connection(*s) == Some(Fault::Refuse))
            .count();
        assert!((4500..5500).contains(&conns), "{conns}");
        // Outside /api/ only the header asks for faults.
        let health = http::Request::get("/health").body(()).unwrap();
        assert!((0..1000).all(|s| plan.for_request(&health, s).unwrap().is_none()));
    }

    #[test]
    fn the_header_wins_and_per_connection_faults_are_refused_there() {
        let plan = FaultPlan::default();
        let req = |v: &str| {
            http::Request::get("/health")
                .header(FAULT_HEADER, v)
                .body(())
                .unwrap()
        };
        assert_eq!(plan.for_request(&req("stall"), 1), Ok(Some(Fault::Stall)));
        assert!(plan
            .for_request(&req("tls"), 1)
            .unwrap_err()
            .to_string()
            .contains("per connection"));
        assert!(plan.for_request(&req("nope"), 1).is_err());
    }

    #[test]
    fn wrong_length_raises_the_announced_length() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 37\r\n\r\n{}";
        let out = String::from_utf8(lengthen(head).unwrap()).unwrap();
        assert!(out.contains("content-length: 101\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\n{}"));
        assert!(lengthen(b"HTTP/1.1 200 OK\r\n\r\n").is_none());
    }
}
