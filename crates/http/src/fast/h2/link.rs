//! One VU's lean HTTP/2 connection, its buffers, and the exchange of one request on it.

use super::conn::{Conn, Event, Phase, Stream};
use super::encode::H2Encoded;
use super::frame::*;
use crate::classify::classify_io;
use crate::expect::Expect;
use crate::fast::Take;
use bytes::BytesMut;
use loadgen_engine::Outcome;
use loadgen_template::Vars;
use loadgen_tls::ClientStream;

use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use tokio::time::Instant;

/// Size of a fresh read buffer.
const READ_BUF: usize = 8 << 10;
/// A read buffer may grow to this: a whole frame of the largest size we allow, and room to
/// take large bodies in fewer reads.
const BIG_READ_BUF: usize = 64 << 10;
/// A write buffer grown past this is given back after the request.
const KEEP_WRITE_CAPACITY: usize = 64 << 10;
/// The last client stream id (2^31 - 1): a connection that reaches it is closed.
const LAST_STREAM: u32 = (1 << 31) - 1;

/// The connection's socket, read buffer and state.
struct Wire {
    io: ClientStream,
    conn: Conn,
    /// The last stream opened (0: none yet).
    last: u32,
    /// Bytes read and not yet taken as frames: `rbuf[start..end]`.
    start: usize,
    end: usize,
}

/// A VU's lean HTTP/2 connection (when open) and the buffers every request reuses.
pub(crate) struct H2Link {
    wire: Option<Wire>,
    /// Read buffer; its length is its usable size.
    rbuf: Vec<u8>,
    /// The request's frames (after any queued control frames).
    wbuf: Vec<u8>,
    /// A templated value, rendered before its length is known.
    scratch: BytesMut,
    /// A templated body.
    body: BytesMut,
    /// The last exchange needed more than [`READ_BUF`]: a grown buffer is kept while answers
    /// use it and given back after one that does not.
    used_big: bool,
}

impl H2Link {
    /// No connection, no buffers yet.
    pub(crate) fn new() -> Self {
        H2Link {
            wire: None,
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            scratch: BytesMut::new(),
            body: BytesMut::new(),
            used_big: false,
        }
    }

    /// Makes `io` the VU's connection and sends the preface (our settings and windows):
    /// the opening the `h2` path times as its handshake.
    pub(crate) async fn attach(&mut self, mut io: ClientStream) -> Result<(), Outcome> {
        self.wire = None;
        if self.rbuf.len() < READ_BUF {
            self.rbuf = vec![0; READ_BUF];
        }
        self.wbuf.clear();
        put_preface(&mut self.wbuf);
        io.write_all(&self.wbuf)
            .await
            .map_err(|e| classify_io(&e))?;
        self.wbuf.clear();
        self.wire = Some(Wire {
            io,
            conn: Conn::new(),
            last: 0,
            start: 0,
            end: 0,
        });
        Ok(())
    }

    /// Closes the connection.
    pub(crate) fn close(&mut self) {
        self.wire = None;
    }

    /// True when a kept connection can take a request. Costs no system call unless the
    /// runtime has seen the socket readable since the last answer was read: then what came
    /// (settings, pings, window updates, a `GOAWAY`, the end of the stream) is read without
    /// waiting and taken in. A connection the peer closed, sent `GOAWAY` on, or sent
    /// garbage on is dropped; acks are queued for the next request's write.
    pub(crate) fn is_open(&mut self) -> bool {
        let Some(w) = &mut self.wire else {
            return false;
        };
        let alive = idle(w, &mut self.rbuf).is_ok() && !w.conn.going_away;
        if !alive {
            self.wire = None;
        }
        alive
    }

    /// Renders the request (HEADERS, and DATA as far as the peer's windows allow) into the
    /// write buffer, after any queued control frames. Call before taking the `sent` instant.
    pub(crate) fn render<'a>(&'a mut self, req: &'a H2Encoded, vars: &mut Vars<'_>) -> H2Ready<'a> {
        self.wbuf.clear();
        let Some(w) = &mut self.wire else {
            return H2Ready {
                wire: None,
                rbuf: &mut self.rbuf,
                wbuf: &mut self.wbuf,
                used_big: &mut self.used_big,
                body: &[],
                is_head: req.is_head,
            };
        };
        self.wbuf.append(&mut w.conn.out);
        let id = w.last + 2 - (w.last == 0) as u32;
        let at = self.wbuf.len();
        self.wbuf.extend_from_slice(&[0; HEAD]);
        let body = req.render(vars, &mut self.wbuf, &mut self.scratch, &mut self.body);
        let block = self.wbuf.len() - at - HEAD;
        let end = if body.is_empty() { END_STREAM } else { 0 };
        if block <= w.conn.peer_max_frame {
            set_head(&mut self.wbuf, at, block, HEADERS, END_HEADERS | end, id);
        } else {
            // A block over the peer's frame size: HEADERS, then CONTINUATION frames.
            let rest = self.wbuf.split_off(at + HEAD);
            let max = w.conn.peer_max_frame;
            let mut chunks = rest.chunks(max).peekable();
            let first = chunks.next().unwrap_or_default();
            set_head(&mut self.wbuf, at, first.len(), HEADERS, end, id);
            self.wbuf.extend_from_slice(first);
            while let Some(c) = chunks.next() {
                let last = chunks.peek().is_none();
                let flags = if last { END_HEADERS } else { 0 };
                put_head(&mut self.wbuf, c.len(), CONTINUATION, flags, id);
                self.wbuf.extend_from_slice(c);
            }
        }
        w.last = id;
        H2Ready {
            wire: Some(w),
            rbuf: &mut self.rbuf,
            wbuf: &mut self.wbuf,
            used_big: &mut self.used_big,
            body,
            is_head: req.is_head,
        }
    }

    /// Gives back buffers that grew for an unusual request or answer.
    pub(crate) fn trim(&mut self) {
        if self.rbuf.len() > READ_BUF && !std::mem::take(&mut self.used_big) {
            let keep = self.wire.as_ref().map_or(0, |w| w.end - w.start);
            if keep <= READ_BUF {
                if let Some(w) = &mut self.wire {
                    self.rbuf.copy_within(w.start..w.end, 0);
                    (w.start, w.end) = (0, keep);
                }
                self.rbuf.truncate(READ_BUF);
                self.rbuf.shrink_to_fit();
            }
        }
        if self.wbuf.capacity() > KEEP_WRITE_CAPACITY {
            self.wbuf = Vec::new();
            self.scratch = BytesMut::new();
            self.body = BytesMut::new();
        }
    }
}

/// Takes in whatever the peer sent between requests, without waiting.
fn idle(w: &mut Wire, rbuf: &mut Vec<u8>) -> Result<(), Outcome> {
    let mut s = Stream::idle(w.last);
    loop {
        frames(w, rbuf, &mut s, &mut |_| Ok(()))?;
        room(w, rbuf, &mut false)?;
        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = ReadBuf::new(&mut rbuf[w.end..]);
        match Pin::new(&mut w.io).poll_read(&mut cx, &mut buf) {
            Poll::Pending => return Ok(()),
            Poll::Ready(Ok(())) if buf.filled().is_empty() => return Err(Outcome::Reset),
            Poll::Ready(Ok(())) => w.end += buf.filled().len(),
            Poll::Ready(Err(e)) => return Err(classify_io(&e)),
        }
    }
}

/// Takes every whole frame in the buffer, handing the stream's events to `on`; stops early
/// once the stream is done (what follows is the next exchange's, or the idle check's).
fn frames(
    w: &mut Wire,
    rbuf: &[u8],
    s: &mut Stream,
    on: &mut dyn FnMut(Taken<'_>) -> Result<(), Outcome>,
) -> Result<(), Outcome> {
    let was_done = s.phase == Phase::Done;
    while w.end - w.start >= HEAD {
        let h = Head::parse(&rbuf[w.start..]);
        if h.len > MAX_FRAME {
            return Err(Outcome::Protocol);
        }
        if w.end - w.start < HEAD + h.len {
            break;
        }
        let payload = &rbuf[w.start + HEAD..w.start + HEAD + h.len];
        w.start += HEAD + h.len;
        match w.conn.frame(h, payload, s)? {
            Event::Nothing => {}
            Event::Block(block, end) => on(Taken::Block {
                block,
                end,
                conn: &mut w.conn,
                s,
            })?,
            Event::Data(data, end) => on(Taken::Data { data, end, s })?,
            Event::Failed(outcome) => return Err(outcome),
        }
        if !was_done && s.phase == Phase::Done {
            break;
        }
    }
    if w.start == w.end {
        (w.start, w.end) = (0, 0);
    }
    Ok(())
}

/// What the stream in flight is handed.
enum Taken<'a> {
    Block {
        block: Option<&'a [u8]>,
        end: bool,
        conn: &'a mut Conn,
        s: &'a mut Stream,
    },
    Data {
        data: &'a [u8],
        end: bool,
        s: &'a mut Stream,
    },
}

/// Makes room to read: moves a partial frame to the front, grows the buffer for a frame
/// larger than it (up to [`BIG_READ_BUF`]).
fn room(w: &mut Wire, rbuf: &mut Vec<u8>, used_big: &mut bool) -> Result<(), Outcome> {
    if w.end < rbuf.len() {
        return Ok(());
    }
    if w.start > 0 {
        rbuf.copy_within(w.start..w.end, 0);
        (w.start, w.end) = (0, w.end - w.start);
        return Ok(());
    }
    if rbuf.len() >= BIG_READ_BUF {
        return Err(Outcome::Protocol);
    }
    rbuf.resize((rbuf.len() * 2).min(BIG_READ_BUF), 0);
    *used_big = true;
    Ok(())
}

/// A rendered request on its connection, ready to exchange.
pub(crate) struct H2Ready<'a> {
    wire: Option<&'a mut Wire>,
    rbuf: &'a mut Vec<u8>,
    wbuf: &'a mut Vec<u8>,
    used_big: &'a mut bool,
    body: &'a [u8],
    is_head: bool,
}

impl H2Ready<'_> {
    /// Writes the request, reads the whole answer and judges it, as the HTTP/1.1 fast
    /// path's exchange does: `Ok((outcome, keep_connection))` for a complete answer,
    /// `Err(outcome)` for a failure of the stream or the connection.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn exchange<T: Take>(
        self,
        take: &mut T,
        expect: &Expect,
        built_to_fail: Option<u16>,
        body: &mut Vec<u8>,
        max_body: usize,
        first_byte: &mut Option<Instant>,
        status: &mut u16,
    ) -> Result<(Outcome, bool), Outcome> {
        let H2Ready {
            wire,
            rbuf,
            wbuf,
            used_big,
            body: request_body,
            is_head,
        } = self;
        let w = wire.ok_or(Outcome::Reset)?;
        let mut s = Stream::open(w.last, w.conn.peer_window);
        let mut sent = 0;
        send_body(&mut w.conn, &mut s, request_body, &mut sent, wbuf);
        w.io.write_all(wbuf).await.map_err(|e| classify_io(&e))?;
        wbuf.clear();

        body.clear();
        let mut judged: Option<(Result<(), Outcome>, bool)> = None;
        let mut overflow = false;
        let mut length: Option<u64> = None;
        let mut got = 0u64;
        loop {
            let mut on = |taken: Taken<'_>| -> Result<(), Outcome> {
                match taken {
                    Taken::Block {
                        block,
                        end,
                        conn,
                        s,
                    } => {
                        let block = match block {
                            Some(b) => b,
                            None => &conn.block[..],
                        };
                        if s.phase == Phase::Body {
                            // Trailers: read (the table must stay in step) and dropped.
                            conn.hpack
                                .decode(block, |_, _| {})
                                .map_err(|_| Outcome::Protocol)?;
                            if !end {
                                return Err(Outcome::Protocol);
                            }
                            s.phase = Phase::Done;
                            return Ok(());
                        }
                        let mut code: Option<u16> = None;
                        let mut bad = false;
                        conn.hpack
                            .decode(block, |name, value| {
                                if name == b":status" {
                                    code = match (code, parse_status(value)) {
                                        (None, Some(c)) => Some(c),
                                        _ => {
                                            bad = true;
                                            code
                                        }
                                    };
                                } else if code.is_none() || name.first() == Some(&b':') {
                                    // A field before the status, or a request's pseudo-field.
                                    bad = true;
                                } else if code.is_some_and(|c| c >= 200) {
                                    if name == b"content-length" {
                                        length = parse_length(value);
                                        bad |= length.is_none();
                                    }
                                    take.header(name, value);
                                }
                            })
                            .map_err(|_| Outcome::Protocol)?;
                        let code = match code {
                            Some(c) if !bad => c,
                            _ => return Err(Outcome::Protocol),
                        };
                        if code < 200 {
                            // An informational head: skipped, as the `h2` path does.
                            return match end {
                                true => Err(Outcome::Protocol),
                                false => Ok(()),
                            };
                        }
                        *first_byte = Some(Instant::now());
                        *status = code;
                        let verdict = expect.check_status_for(code, built_to_fail);
                        let keep_body =
                            verdict.is_ok() && (expect.needs_body() || take.needs_body());
                        judged = Some((verdict, keep_body));
                        s.phase = if end { Phase::Done } else { Phase::Body };
                        Ok(())
                    }
                    Taken::Data { data, end, s } => {
                        got += data.len() as u64;
                        if let Some((_, true)) = judged {
                            if body.len() + data.len() <= max_body {
                                body.extend_from_slice(data);
                            } else {
                                overflow = true;
                            }
                        }
                        if end {
                            s.phase = Phase::Done;
                        }
                        Ok(())
                    }
                }
            };
            frames(w, rbuf, &mut s, &mut on)?;
            if sent < request_body.len() && s.phase != Phase::Done {
                let mut out = std::mem::take(&mut w.conn.out);
                send_body(&mut w.conn, &mut s, request_body, &mut sent, &mut out);
                w.conn.out = out;
            }
            if s.phase == Phase::Done && sent < request_body.len() {
                // Answered before the whole body went out: the rest is not wanted.
                put_rst(&mut w.conn.out, s.id, 0x8);
                sent = request_body.len();
            }
            if !w.conn.out.is_empty() {
                w.io.write_all(&w.conn.out)
                    .await
                    .map_err(|e| classify_io(&e))?;
                w.conn.out.clear();
            }
            if s.phase == Phase::Done {
                break;
            }
            room(w, rbuf, used_big)?;
            let n = read(&mut w.io, &mut rbuf[w.end..]).await?;
            w.end += n;
            *used_big |= w.end > READ_BUF;
        }
        let Some((verdict, keep_body)) = judged else {
            return Err(Outcome::Protocol);
        };
        // A body that does not match its length is malformed (RFC 9113 8.1.1).
        let no_body = is_head || *status == 204 || *status == 304;
        if length.is_some_and(|l| l != got) && !no_body {
            return Err(Outcome::Protocol);
        }
        let keep = !w.conn.going_away && w.last < LAST_STREAM - 2;
        let outcome = match verdict {
            Err(outcome) => outcome,
            Ok(()) if !keep_body => Outcome::Success,
            Ok(()) if !overflow && expect.check_body(body) => Outcome::Success,
            Ok(()) => Outcome::CheckFailed,
        };
        if outcome == Outcome::Success && !take.finish(body, overflow) {
            return Ok((Outcome::CheckFailed, keep));
        }
        Ok((outcome, keep))
    }
}

/// Appends DATA frames for as much of the request body as the windows allow; the last one
/// ends the stream.
fn send_body(conn: &mut Conn, s: &mut Stream, body: &[u8], sent: &mut usize, out: &mut Vec<u8>) {
    while *sent < body.len() {
        let room = s
            .send_window
            .min(conn.send_window)
            .min(conn.peer_max_frame as i64);
        if room <= 0 {
            return;
        }
        let n = (body.len() - *sent).min(room as usize);
        let end = if *sent + n == body.len() {
            END_STREAM
        } else {
            0
        };
        put_head(out, n, DATA, end, s.id);
        out.extend_from_slice(&body[*sent..*sent + n]);
        *sent += n;
        s.send_window -= n as i64;
        conn.send_window -= n as i64;
    }
}

fn parse_status(v: &[u8]) -> Option<u16> {
    match v {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
        }
        _ => None,
    }
}

fn parse_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |n, d| match d {
        b'0'..=b'9' => Some(n * 10 + (d - b'0') as u64),
        _ => None,
    })
}

/// Reads into `into`; an end of stream is `Reset` (the answer is incomplete).
async fn read(io: &mut ClientStream, into: &mut [u8]) -> Result<usize, Outcome> {
    use tokio::io::AsyncReadExt;
    match io.read(into).await {
        Ok(0) => Err(Outcome::Reset),
        Ok(n) => Ok(n),
        Err(e) => Err(classify_io(&e)),
    }
}
