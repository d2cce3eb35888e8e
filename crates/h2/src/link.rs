//! One VU's lean HTTP/2 connection and the buffers every request on it reuses: opening it
//! ([`H2Link::attach`]), checking a kept one ([`H2Link::is_open`]), and framing a request
//! ([`H2Link::render`]) into an [`H2Ready`] to exchange.

use crate::conn::Conn;
use crate::frame::*;
use crate::mux::H2Seat;
use crate::ready::H2Ready;
use crate::wire::{idle, send_preface, Wire, READ_BUF};
use bytes::BytesMut;
use loadgen_engine::Outcome;
use loadgen_tls::ClientStream;

/// A write buffer grown past this is given back after the request.
const KEEP_WRITE_CAPACITY: usize = 64 << 10;

/// A VU's lean HTTP/2 connection (when open) and the buffers every request reuses.
#[derive(Default)]
pub struct H2Link {
    /// Boxed: the connection's state is a few hundred bytes, and every VU of an HTTP/1.1
    /// workload holds an `H2Link` it never opens.
    wire: Option<Box<Wire>>,
    /// Read buffer; its length is its usable size.
    rbuf: Vec<u8>,
    /// The request's frames (after any queued control frames).
    wbuf: Vec<u8>,
    /// Lent to [`H2Link::render`]'s block writer: for a value written before its length is
    /// known.
    scratch: BytesMut,
    /// Lent to the block writer: for a body made per request.
    body: BytesMut,
    /// A seat on a connection shared with other VUs of the thread (instead of `wire`).
    seat: Option<H2Seat>,
    /// The last exchange needed more than [`READ_BUF`]: a grown buffer is kept while answers
    /// use it and given back after one that does not.
    used_big: bool,
}

impl H2Link {
    /// No connection, no buffers yet.
    pub fn new() -> Self {
        H2Link::default()
    }

    /// Makes `io` the VU's connection and sends the preface (our settings and windows):
    /// the opening the `h2` path times as its handshake.
    pub async fn attach(&mut self, mut io: ClientStream) -> Result<(), Outcome> {
        self.wire = None;
        if self.rbuf.len() < READ_BUF {
            self.rbuf = vec![0; READ_BUF];
        }
        send_preface(&mut io, &mut self.wbuf).await?;
        self.wire = Some(Box::new(Wire {
            io,
            conn: Conn::new(),
            last: 0,
            start: 0,
            end: 0,
        }));
        Ok(())
    }

    /// Makes `seat`, on a connection shared with other VUs of the thread, the VU's
    /// connection: its requests are streams of that connection.
    pub fn join(&mut self, seat: H2Seat) {
        self.wire = None;
        self.seat = Some(seat);
    }

    /// Closes the connection (or leaves the shared one).
    pub fn close(&mut self) {
        self.wire = None;
        self.seat = None;
    }

    /// True when a kept connection can take a request. Costs no system call unless the
    /// runtime has seen the socket readable since the last answer was read: then what came
    /// (settings, pings, window updates, a `GOAWAY`, the end of the stream) is read without
    /// waiting and taken in. A connection the peer closed, sent `GOAWAY` on, or sent
    /// garbage on is dropped; acks are queued for the next request's write.
    pub fn is_open(&mut self) -> bool {
        if let Some(seat) = &self.seat {
            let open = seat.is_open();
            if !open {
                self.seat = None;
            }
            return open;
        }
        let Some(w) = &mut self.wire else {
            return false;
        };
        let alive = idle(w, &mut self.rbuf).is_ok() && !w.conn.going_away;
        if !alive {
            self.wire = None;
        }
        alive
    }

    /// Frames the request's header block as HEADERS (and CONTINUATION) in the write buffer,
    /// after any queued control frames; its DATA goes out with the exchange, as far as the
    /// peer's windows allow. Call before taking the `sent` instant.
    ///
    /// `block` appends the request's HPACK header block to the buffer it is handed (a
    /// templated value may be rendered through the scratch buffer first, to be measured) and
    /// returns the request's body: bytes of its own, or rendered into the body buffer it is
    /// handed. It is not called when there is no connection (the exchange then fails with
    /// `Reset`). `is_head`: the request is a HEAD (its answer has no body).
    pub fn render<'a, B>(&'a mut self, is_head: bool, block: B) -> H2Ready<'a>
    where
        B: FnOnce(&mut Vec<u8>, &mut BytesMut, &'a mut BytesMut) -> &'a [u8],
    {
        self.wbuf.clear();
        if let Some(seat) = &self.seat {
            // The stream's id is given when it opens on the shared connection.
            let body = block_frames(&mut self.wbuf, seat.peer_max_frame(), 0, |out| {
                block(out, &mut self.scratch, &mut self.body)
            });
            return H2Ready {
                wire: None,
                seat: Some(seat),
                rbuf: &mut self.rbuf,
                wbuf: &mut self.wbuf,
                used_big: &mut self.used_big,
                body,
                is_head,
            };
        }
        let Some(w) = &mut self.wire else {
            return H2Ready {
                wire: None,
                seat: None,
                rbuf: &mut self.rbuf,
                wbuf: &mut self.wbuf,
                used_big: &mut self.used_big,
                body: &[],
                is_head,
            };
        };
        self.wbuf.append(&mut w.conn.out);
        let id = w.last + 2 - (w.last == 0) as u32;
        let body = block_frames(&mut self.wbuf, w.conn.peer_max_frame, id, |out| {
            block(out, &mut self.scratch, &mut self.body)
        });
        w.last = id;
        H2Ready {
            wire: Some(w),
            seat: None,
            rbuf: &mut self.rbuf,
            wbuf: &mut self.wbuf,
            used_big: &mut self.used_big,
            body,
            is_head,
        }
    }

    /// When the last answer on a shared connection was complete, as its reader saw it; `None`
    /// on a VU's own connection (the answer is timed when it was read).
    pub fn answered_at(&self) -> Option<tokio::time::Instant> {
        self.seat.as_ref().and_then(crate::mux::answered_at)
    }

    /// Gives back buffers that grew for an unusual request or answer.
    pub fn trim(&mut self) {
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

/// Appends the request's header block (written by `block`, which returns the body) framed as
/// HEADERS, then CONTINUATION frames where it is larger than the peer's `max` frame, on
/// stream `id`; the block ends the stream when the body is empty.
fn block_frames<'a>(
    wbuf: &mut Vec<u8>,
    max: usize,
    id: u32,
    block: impl FnOnce(&mut Vec<u8>) -> &'a [u8],
) -> &'a [u8] {
    let at = wbuf.len();
    wbuf.extend_from_slice(&[0; HEAD]);
    let body = block(wbuf);
    let len = wbuf.len() - at - HEAD;
    let end = if body.is_empty() { END_STREAM } else { 0 };
    if len <= max {
        set_head(wbuf, at, len, HEADERS, END_HEADERS | end, id);
        return body;
    }
    // A block over the peer's frame size: HEADERS, then CONTINUATION frames.
    let rest = wbuf.split_off(at + HEAD);
    let mut chunks = rest.chunks(max).peekable();
    let first = chunks.next().unwrap_or_default();
    set_head(wbuf, at, first.len(), HEADERS, end, id);
    wbuf.extend_from_slice(first);
    while let Some(c) = chunks.next() {
        let last = chunks.peek().is_none();
        let flags = if last { END_HEADERS } else { 0 };
        put_head(wbuf, c.len(), CONTINUATION, flags, id);
        wbuf.extend_from_slice(c);
    }
    body
}
