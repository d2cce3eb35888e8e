//! The byte-level half of the fault modes: a connection's mode, the faulted answers and the
//! socket wrapper ([`FaultStream`]) that misbehaves on the response bytes (see `faults.rs`
//! for how a fault is chosen).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::faults::{Fault, HUGE_BODY, SLOW_BYTE_DELAY, STALL_FOR};

/// Body bytes a `reset-body` answer sends before the reset.
const RESET_AFTER_BODY_BYTES: usize = 16;
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
    fn wrong_length_raises_the_announced_length() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 37\r\n\r\n{}";
        let out = String::from_utf8(lengthen(head).unwrap()).unwrap();
        assert!(out.contains("content-length: 101\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\n{}"));
        assert!(lengthen(b"HTTP/1.1 200 OK\r\n\r\n").is_none());
    }
}
