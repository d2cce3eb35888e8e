//! One VU's HTTP/1.1 connection and its write buffers ([`H1Link`]: attach, check, render),
//! and the exchange of one request on it ([`H1Ready::exchange`]): written, answered (the
//! head parsed, or taken from the connection's [`Memo`]; the body framed), and judged through
//! the caller's [`Judge`].

use crate::chunked::Chunked;
use crate::conn::Conn;
use crate::head::{self, Framing, Parsed};
use crate::lease::{Lease, Pool, BODY_READ_BUF, READ_BUF};
use crate::memo::Memo;
use crate::Judge;
use bytes::BytesMut;
use loadgen_engine::Outcome;
use loadgen_tls::{classify_io, read_answer};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A head may grow the buffer to this (hyper's default `max_buf_size`); past it, `Protocol`.
const MAX_HEAD: usize = 8192 + 4096 * 100;
/// A write buffer grown past this is given back after the request.
const KEEP_WRITE_CAPACITY: usize = 64 << 10;

/// A VU's connection (when open) and the write buffers reused by every request. Answers
/// are read into a buffer lent by the thread's pool (`lease`) while they are read.
pub struct H1Link {
    tcp: Option<Conn>,
    /// Connections attached are paced when the thread paces reads (open-model VUs).
    paced: bool,
    /// The worker thread's read buffers.
    pool: Rc<Pool>,
    /// Rendered requests.
    wbuf: BytesMut,
    /// A templated body, rendered before it is framed.
    scratch: BytesMut,
    /// The last answer's head: the next identical one is not parsed again.
    memo: Memo,
}

impl Default for H1Link {
    fn default() -> Self {
        Self::new()
    }
}

impl H1Link {
    /// No connection, no buffers yet.
    pub fn new() -> Self {
        H1Link {
            tcp: None,
            paced: false,
            pool: Pool::of_this_thread(),
            wbuf: BytesMut::new(),
            scratch: BytesMut::new(),
            memo: Memo::default(),
        }
    }

    /// True when a kept connection can take a request. Costs no system call unless the
    /// runtime has seen the socket readable since the last response was read (`try_read`
    /// answers from that cached readiness); then one non-blocking read tells a live
    /// connection (nothing to read) from a closed one (end of stream, error, or bytes nobody
    /// asked for). A dead connection is dropped. Not async: it never waits, and a plain call
    /// stays out of the step's future.
    #[inline]
    pub fn is_open(&mut self) -> bool {
        let Some(tcp) = &mut self.tcp else {
            return false;
        };
        let alive = matches!(
            tcp.try_read(&mut [0u8; 1]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        );
        if !alive {
            self.tcp = None;
        }
        alive
    }

    /// Asks for paced reads (see [`loadgen_pace::set`]): the connections attached from now
    /// on are read when the thread's open-model dispatcher wakes, and timed by the kernel's
    /// receive timestamps ([`H1Link::answered_at`]). Ignored on a thread that paces nothing.
    pub fn with_paced_reads(mut self, paced: bool) -> Self {
        self.paced = paced;
        self
    }

    /// Makes `tcp` the VU's connection.
    #[inline]
    pub fn attach(&mut self, tcp: TcpStream) {
        self.tcp = Conn::new(tcp, self.paced);
    }

    /// When the last answer's last bytes arrived, by the kernel's receive timestamp, on a
    /// paced connection; `None` on one the runtime woke for (time it now).
    #[inline]
    pub fn answered_at(&self) -> Option<Instant> {
        self.tcp.as_ref().and_then(Conn::stamped_arrival)
    }

    /// A request the caller holds whole (head and body) on this connection, ready to
    /// exchange.
    #[inline]
    pub fn ready<'a>(&'a mut self, bytes: &'a [u8], is_head: bool) -> H1Ready<'a> {
        self.render(is_head, |_, _| bytes)
    }

    /// A request rendered by `request` on this connection, ready to exchange. Call before
    /// taking the `sent` instant. `request` is handed the link's write buffer and a scratch
    /// buffer (for a templated body, rendered before it is framed) and returns the request's
    /// bytes: its own (a request without templated parts) or those it wrote into the write
    /// buffer. `is_head`: the request is a HEAD (its answer has no body).
    #[inline]
    pub fn render<'a, R>(&'a mut self, is_head: bool, request: R) -> H1Ready<'a>
    where
        R: FnOnce(&'a mut BytesMut, &mut BytesMut) -> &'a [u8],
    {
        let bytes = request(&mut self.wbuf, &mut self.scratch);
        H1Ready {
            tcp: self.tcp.as_mut(),
            pool: &self.pool,
            memo: &mut self.memo,
            bytes,
            is_head,
        }
    }

    /// Closes the connection (after a fault, or when the server asked).
    #[inline]
    pub fn close(&mut self) {
        self.tcp = None;
    }

    /// Gives back write buffers that grew for an unusual request, past
    /// `KEEP_WRITE_CAPACITY` (64 KiB). (Read buffers go back to the thread's pool after each
    /// answer.)
    #[inline]
    pub fn trim(&mut self) {
        if self.wbuf.capacity() > KEEP_WRITE_CAPACITY {
            self.wbuf = BytesMut::new();
            self.scratch = BytesMut::new();
        }
    }
}

/// A rendered request on its connection, ready to exchange.
pub struct H1Ready<'a> {
    tcp: Option<&'a mut Conn>,
    pool: &'a Pool,
    memo: &'a mut Memo,
    bytes: &'a [u8],
    is_head: bool,
}

impl H1Ready<'_> {
    /// Writes the request, reads the whole answer and has `judge` judge it (`judge` is taken
    /// by value, so a caller's adapter lives in this future, not in one wrapped around it):
    /// `Ok((outcome, keep_connection))` for a complete answer, `Err(outcome)` for a
    /// connection-level failure. Body bytes go to `body` when `judge` needs them (up to
    /// `max_body`); `first_byte` is taken when the final (non-1xx) head is parsed, and
    /// `status` is its code. The connection is worth keeping only when the head allows it and
    /// no byte came past the answer.
    pub async fn exchange<J: Judge>(
        self,
        mut judge: J,
        body: &mut Vec<u8>,
        max_body: usize,
        first_byte: &mut Option<Instant>,
        status: &mut u16,
    ) -> Result<(Outcome, bool), Outcome> {
        let H1Ready {
            tcp,
            pool,
            memo,
            bytes,
            is_head,
        } = self;
        let tcp = tcp.ok_or(Outcome::Reset)?;
        tcp.begin();
        // Usually the socket takes the whole request at once, without the future.
        let written = match tcp.try_write(bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(classify_io(&e)),
        };
        if written < bytes.len() {
            let rest = &bytes[written..];
            tcp.write_all(rest).await.map_err(|e| classify_io(&e))?;
        }

        // The head, after any 1xx heads. No buffer is held while the answer is awaited.
        let (mut lease, n) = first_read(tcp, pool).await?;
        let Lease {
            buf: rbuf,
            used_big,
            ..
        } = &mut lease;
        let (mut start, mut end) = (0, n);
        let head = loop {
            if end > start {
                let head = &rbuf[start..end];
                let parsed = match judge.sees_headers() {
                    true => head::parse_with(head, is_head, |n, v| judge.header(n, v))?,
                    false => memo.parse(head, is_head)?,
                };
                match parsed {
                    Parsed::Final(h) => break h,
                    Parsed::Informational(n) => {
                        start += n;
                        continue;
                    }
                    Parsed::Partial => {}
                }
            }
            if end == rbuf.len() {
                if start > 0 {
                    rbuf.copy_within(start..end, 0);
                    (start, end) = (0, end - start);
                } else if rbuf.len() < MAX_HEAD {
                    rbuf.resize((rbuf.len() * 2).min(MAX_HEAD), 0);
                    *used_big = true;
                } else {
                    return Err(Outcome::Protocol);
                }
            }
            end += read_answer(tcp, &mut rbuf[end..]).await?;
            *used_big |= end > READ_BUF;
        };
        *first_byte = Some(tcp.arrival());
        *status = head.status;
        start += head.len;

        let verdict = judge.status(head.status);
        let keep_body = verdict.is_ok() && judge.needs_body();
        body.clear();
        let mut overflow = false;
        let mut sink = |data: &[u8]| {
            if keep_body {
                if body.len() + data.len() <= max_body {
                    body.extend_from_slice(data);
                } else {
                    overflow = true;
                }
            }
        };
        match head.framing {
            Framing::Empty => {}
            Framing::Length(mut left) => loop {
                let n = ((end - start) as u64).min(left) as usize;
                sink(&rbuf[start..start + n]);
                start += n;
                left -= n as u64;
                if left == 0 {
                    break;
                }
                (start, end) = (0, refill(tcp, rbuf, used_big).await?);
            },
            Framing::Chunked => {
                let mut chunks = Chunked::new();
                loop {
                    start += chunks.feed(&rbuf[start..end], &mut sink)?;
                    if chunks.is_done() {
                        break;
                    }
                    (start, end) = (0, refill(tcp, rbuf, used_big).await?);
                }
            }
            Framing::UntilClose => loop {
                sink(&rbuf[start..end]);
                start = end;
                // The end of stream ends the body; a reset is still a reset.
                match tcp.read(rbuf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        *used_big |= n > READ_BUF;
                        (start, end) = (0, n);
                    }
                    Err(e) => return Err(classify_io(&e)),
                }
            },
        }
        // Bytes past the response were not asked for: the connection cannot be trusted.
        let keep = head.keep_alive && start == end;
        let outcome = match verdict {
            Err(outcome) => outcome,
            Ok(()) => judge.finish(body, overflow),
        };
        Ok((outcome, keep))
    }
}

/// Waits until the answer is readable, then reads it into a buffer lent by the thread's pool;
/// the buffer goes back to the pool while nothing is readable. An end of stream is `Reset`.
#[inline]
async fn first_read<'p>(tcp: &mut Conn, pool: &'p Pool) -> Result<(Lease<'p>, usize), Outcome> {
    poll_fn(|cx| {
        let mut lease = pool.lend();
        let mut into = ReadBuf::new(&mut lease.buf);
        match Pin::new(&mut *tcp).poll_read(cx, &mut into) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => match into.filled().len() {
                0 => Poll::Ready(Err(Outcome::Reset)),
                n => Poll::Ready(Ok((lease, n))),
            },
            Poll::Ready(Err(e)) => Poll::Ready(Err(classify_io(&e))),
        }
    })
    .await
}

/// Reads body bytes into the whole (emptied) buffer, doubling it up to [`BODY_READ_BUF`] when
/// the last read filled it; `used_big` says a read took more than [`READ_BUF`].
#[inline]
async fn refill(tcp: &mut Conn, rbuf: &mut Vec<u8>, used_big: &mut bool) -> Result<usize, Outcome> {
    let n = read_answer(tcp, rbuf).await?;
    if n == rbuf.len() && n < BODY_READ_BUF {
        rbuf.resize((n * 2).min(BODY_READ_BUF), 0);
        *used_big = true;
    }
    *used_big |= n > READ_BUF;
    Ok(n)
}

#[cfg(test)]
mod paced_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// Any final status passes; nothing is kept or captured.
    pub(super) struct AnyStatus;

    impl Judge for AnyStatus {
        fn header(&mut self, _: &[u8], _: &[u8]) {}
        fn sees_headers(&self) -> bool {
            false
        }
        fn status(&mut self, _: u16) -> Result<(), Outcome> {
            Ok(())
        }
        fn needs_body(&self) -> bool {
            false
        }
        fn finish(&mut self, _: &[u8], _: bool) -> Outcome {
            Outcome::Success
        }
    }

    /// Answers each request on one connection with the next of `bodies`' sizes.
    async fn serve(listener: TcpListener, bodies: Vec<usize>) {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        for size in bodies {
            let mut got = Vec::new();
            while !got.ends_with(b"\r\n\r\n") {
                let n = tcp.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client closed early");
                got.extend_from_slice(&buf[..n]);
            }
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
            tcp.write_all(head.as_bytes()).await.unwrap();
            tcp.write_all(&vec![b'x'; size]).await.unwrap();
        }
    }

    /// One exchange of a plain GET on `link`, then its trim; the size of the read buffer it
    /// gave back to the thread's pool.
    async fn exchange(link: &mut H1Link) -> usize {
        let (mut body, mut first, mut status) = (Vec::new(), None, 0);
        let request = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";
        let answer = link
            .ready(request, false)
            .exchange(AnyStatus, &mut body, 0, &mut first, &mut status)
            .await;
        assert_eq!(answer, Ok((Outcome::Success, true)));
        link.trim();
        let spares = link.pool.spares();
        assert_eq!(
            spares.len(),
            1,
            "one buffer lent and given back: {spares:?}"
        );
        spares[0]
    }

    #[test]
    fn a_grown_read_buffer_is_kept_while_used_and_given_back_after() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let sizes = vec![10, 300_000, 200_000, 10, 10];
            let server = tokio::spawn(serve(listener, sizes));
            let mut link = H1Link::new();
            link.attach(TcpStream::connect(addr).await.unwrap());
            assert_eq!(exchange(&mut link).await, READ_BUF, "a small answer");
            assert_eq!(
                exchange(&mut link).await,
                BODY_READ_BUF,
                "grown by a large one"
            );
            assert_eq!(exchange(&mut link).await, BODY_READ_BUF, "kept while used");
            assert_eq!(
                exchange(&mut link).await,
                READ_BUF,
                "given back after a small one"
            );
            assert_eq!(exchange(&mut link).await, READ_BUF);
            server.await.unwrap();
        });
    }

    /// Heads that repeat are taken from the link's memo; one that differs only at its end
    /// (here: the server's goodbye) is read for what it says.
    #[test]
    fn a_repeated_head_and_then_a_changed_one_are_each_judged_by_their_own_bytes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (mut tcp, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n";
                for last in ["\r\n", "\r\n", "\r\n", "connection: close\r\n\r\n"] {
                    let mut got = Vec::new();
                    while !got.ends_with(b"\r\n\r\n") {
                        let n = tcp.read(&mut buf).await.unwrap();
                        assert!(n > 0, "the client closed early");
                        got.extend_from_slice(&buf[..n]);
                    }
                    tcp.write_all(format!("{ok}{last}ok").as_bytes())
                        .await
                        .unwrap();
                }
            });
            let mut link = H1Link::new();
            link.attach(TcpStream::connect(addr).await.unwrap());
            let (mut body, mut first, mut status) = (Vec::new(), None, 0);
            let mut kept = Vec::new();
            for _ in 0..4 {
                let answer = link
                    .ready(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", false)
                    .exchange(AnyStatus, &mut body, 0, &mut first, &mut status)
                    .await;
                let (outcome, keep) = answer.unwrap();
                assert_eq!((outcome, status), (Outcome::Success, 200));
                kept.push(keep);
            }
            assert_eq!(kept, [true, true, true, false]);
            server.await.unwrap();
        });
    }
}
