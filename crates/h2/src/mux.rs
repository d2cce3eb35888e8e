//! One lean HTTP/2 connection shared by several VUs of a thread (`streams_per_connection` >
//! 1, as h2load's `-m`): each VU still sends one request at a time, as a stream of its own
//! on the shared connection.
//!
//! No connection task: whichever VU waits for an answer drives the socket. It writes what
//! is queued, reads, and sorts every whole frame to the stream it belongs to, decoding each
//! head as it comes (the HPACK table is the connection's, so blocks are decoded in the order
//! they arrive), and wakes the VU whose answer is complete. Only the fields a VU's judge
//! looks at are copied for it (none in the plain loop); a body is kept only for a judge
//! that needs it, in the VU's own buffer lent to its stream. All of it lives on the VU's
//! thread (`Rc<RefCell<_>>`): no lock, no channel.
//!
//! tokio remembers one task to wake per direction of a socket: the last one that polled it.
//! So the VU that last found the socket not ready is noted, and when it stops waiting (its
//! answer came, or its future was dropped) it wakes another waiting VU to take its place.
//!
//! Requests are written in batches, as h2load writes its streams' requests: a read that
//! completes several answers wakes their VUs together, and the first of them to queue a
//! request yields once before it writes, so the others' requests go out in the same write.
//!
//! A stream's fault (`RST_STREAM`, a malformed head, a body that does not match its
//! length) fails that stream alone; a connection's fault (an I/O error, the end of the
//! stream, garbage, a head that does not decode) fails every stream on it, and `GOAWAY`
//! those it leaves out. A VU whose exchange is dropped (its request timed out) cancels its
//! stream with `RST_STREAM(CANCEL)`; the connection goes on. No more streams are opened at
//! once than the peer's `SETTINGS_MAX_CONCURRENT_STREAMS`: a VU past it waits for one to end.

use crate::conn::{remote_fault, Conn, Phase, Stream};
use crate::frame::*;
use crate::head::{decode_head, Bad};
use crate::ready::{send_body, LAST_STREAM};
use crate::wire::READ_BUF;
use loadgen_engine::Outcome;
use loadgen_h1::Judge;
use loadgen_tls::{classify_io, ClientStream};
use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

/// A read buffer may grow to this for a frame larger than [`READ_BUF`].
const BIG_READ_BUF: usize = 64 << 10;

/// A lean HTTP/2 connection that VUs of one thread share; cloning it makes another handle.
#[derive(Clone)]
pub struct H2Shared(Rc<RefCell<Mux>>);

/// A VU's place on a shared connection: the slot its streams report to. Dropping it gives
/// the slot back.
pub struct H2Seat {
    mux: Rc<RefCell<Mux>>,
    slot: usize,
    /// The caller's token, held while the seat lives (a pool counts its users by it).
    _token: Rc<()>,
}

impl H2Shared {
    /// Makes `io` a shared connection and sends the preface (our settings and windows).
    pub async fn open(mut io: ClientStream) -> Result<H2Shared, Outcome> {
        let mut preface = Vec::new();
        put_preface(&mut preface);
        io.write_all(&preface).await.map_err(|e| classify_io(&e))?;
        Ok(H2Shared(Rc::new(RefCell::new(Mux {
            io,
            conn: Conn::new(),
            rbuf: vec![0; READ_BUF],
            start: 0,
            end: 0,
            out: Vec::new(),
            written: 0,
            last: 0,
            slots: Vec::new(),
            dead: None,
            driver: None,
            flusher: None,
        }))))
    }

    /// True while new streams can be opened on it: not failed, no `GOAWAY`, ids left.
    pub fn is_open(&self) -> bool {
        self.0.borrow_mut().usable()
    }

    /// A seat on the connection for one VU, holding `token` while it lives.
    pub fn seat(&self, token: Rc<()>) -> H2Seat {
        let mut m = self.0.borrow_mut();
        let slot = match m.slots.iter().position(|s| !s.used) {
            Some(i) => i,
            None => {
                m.slots.push(Slot::default());
                m.slots.len() - 1
            }
        };
        m.slots[slot].used = true;
        H2Seat {
            mux: Rc::clone(&self.0),
            slot,
            _token: token,
        }
    }
}

impl H2Seat {
    /// As [`H2Shared::is_open`]; when no stream is open on the connection, what came since
    /// (settings, pings, a `GOAWAY`, the end of the stream) is taken in first, without
    /// waiting.
    pub(crate) fn is_open(&self) -> bool {
        let mut m = self.mux.borrow_mut();
        if m.driver.is_none() && !m.slots.iter().any(|s| s.state == State::Open) {
            // Nobody waits on the socket, so polling it with a no-op waker steals no wake-up.
            let mut cx = Context::from_waker(Waker::noop());
            while let Poll::Ready(true) = m.poll_read(&mut cx) {}
        }
        m.usable()
    }

    /// The peer's largest frame: a request's header block is split at it.
    pub(crate) fn peer_max_frame(&self) -> usize {
        self.mux.borrow().conn.peer_max_frame
    }
}

impl Drop for H2Seat {
    fn drop(&mut self) {
        if let Ok(mut m) = self.mux.try_borrow_mut() {
            m.leave(self.slot);
            m.slots[self.slot] = Slot::default();
        }
    }
}

/// Where a seat's stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// No request.
    #[default]
    Idle,
    /// Waiting for the peer's concurrency limit to let a stream open.
    Queued,
    /// The stream is open; its answer is awaited.
    Open,
    /// The answer is complete, or the stream failed (`fault`): for the seat's VU to collect.
    Done,
}

/// One seat's stream and what its answer brought.
struct Slot {
    used: bool,
    state: State,
    s: Stream,
    waker: Option<Waker>,
    /// The judge looks at headers: the final head's fields are kept in `fields`.
    sees_headers: bool,
    /// The judge needs the body: it is kept in `body` (up to `max_body`).
    keep_body: bool,
    /// Part of the request's body waits for the peer's windows.
    sending: bool,
    max_body: usize,
    /// The final head's fields: name length, value length (u32 each), name, value.
    fields: Vec<u8>,
    status: u16,
    length: Option<u64>,
    got: u64,
    first_byte: Option<Instant>,
    done_at: Option<Instant>,
    /// The VU's body buffer, lent for the exchange.
    body: Vec<u8>,
    overflow: bool,
    fault: Option<Outcome>,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            used: false,
            state: State::Idle,
            s: Stream::idle(0),
            waker: None,
            sees_headers: false,
            keep_body: false,
            sending: false,
            max_body: 0,
            fields: Vec::new(),
            status: 0,
            length: None,
            got: 0,
            first_byte: None,
            done_at: None,
            body: Vec::new(),
            overflow: false,
            fault: None,
        }
    }
}

impl Slot {
    fn finish(&mut self, fault: Option<Outcome>) {
        self.state = State::Done;
        self.s.phase = Phase::Done;
        self.fault = self.fault.or(fault);
        self.done_at = Some(Instant::now());
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// The shared connection's socket, buffers and streams.
pub(crate) struct Mux {
    io: ClientStream,
    conn: Conn,
    rbuf: Vec<u8>,
    /// Bytes read and not yet taken as frames: `rbuf[start..end]`.
    start: usize,
    end: usize,
    /// Whole frames to write; `out[..written]` went out already.
    out: Vec<u8>,
    written: usize,
    /// The last stream opened (0: none yet).
    last: u32,
    slots: Vec<Slot>,
    /// The connection failed: every stream on it fails with this.
    dead: Option<Outcome>,
    /// The seat whose task the socket will wake: the last one that found it not ready.
    driver: Option<usize>,
    /// The seat that will write what is queued, once the other VUs woken with it have
    /// queued their requests too.
    flusher: Option<usize>,
}

impl Mux {
    fn usable(&self) -> bool {
        self.dead.is_none() && !self.conn.going_away && self.last < LAST_STREAM - 2
    }

    /// Fails the connection and every stream on it.
    fn kill(&mut self, outcome: Outcome) {
        self.dead.get_or_insert(outcome);
        for slot in &mut self.slots {
            match slot.state {
                State::Open => slot.finish(Some(outcome)),
                State::Queued => {
                    if let Some(w) = slot.waker.take() {
                        w.wake();
                    }
                }
                State::Idle | State::Done => {}
            }
        }
    }

    /// Seat `slot` stops waiting: it cancels a stream still open, and when the socket would
    /// wake it or it was to write what is queued, another waiting seat is woken to take its
    /// place.
    fn leave(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        match s.state {
            State::Open => {
                put_rst(&mut self.conn.out, s.s.id, 0x8);
                s.state = State::Idle;
                self.wake_queued();
            }
            State::Queued => {
                // It may have been woken for room it will not use now: pass the wake on.
                s.state = State::Idle;
                self.wake_queued();
            }
            State::Done => s.state = State::Idle,
            State::Idle => {}
        }
        self.slots[slot].waker = None;
        // No driver recorded (the last one left and the seat it woke has not parked since):
        // nobody may be registered on the socket, so this seat hands off too.
        if self.driver.is_none_or(|d| d == slot) || self.flusher == Some(slot) {
            self.driver = self.driver.filter(|d| *d != slot);
            self.flusher = self.flusher.filter(|f| *f != slot);
            if let Some(w) = self
                .slots
                .iter_mut()
                .filter(|s| s.state == State::Open)
                .find_map(|s| s.waker.take())
            {
                w.wake();
            }
        }
    }

    /// A stream ended (or the peer's limit changed): seats waiting for room may open
    /// theirs, as many as there is room for.
    fn wake_queued(&mut self) {
        let open = self.slots.iter().filter(|s| s.state == State::Open).count();
        let room = (self.conn.peer_max_streams.max(1) as usize).saturating_sub(open);
        for w in self
            .slots
            .iter_mut()
            .filter(|s| s.state == State::Queued)
            .filter_map(|s| s.waker.take())
            .take(room)
        {
            w.wake();
        }
    }

    /// Opens seat `slot`'s stream: `frames` (HEADERS and CONTINUATION framed with stream 0)
    /// get its id and are queued with as much of `body` as the windows allow. `Ok(true)`:
    /// the seat is to write the queue, after the tasks already woken have run.
    #[allow(clippy::too_many_arguments)]
    fn poll_open(
        &mut self,
        slot: usize,
        cx: &mut Context<'_>,
        frames: &mut [u8],
        body: &[u8],
        sent: &mut usize,
        judge: (bool, bool, usize),
        lent: &mut Vec<u8>,
    ) -> Poll<Result<bool, Outcome>> {
        if let Some(outcome) = self.dead {
            self.slots[slot].state = State::Idle;
            return Poll::Ready(Err(outcome));
        }
        if !self.usable() {
            self.slots[slot].state = State::Idle;
            return Poll::Ready(Err(Outcome::Reset));
        }
        let open = self.slots.iter().filter(|s| s.state == State::Open).count();
        // A limit of 0 is not waited on, as on a VU's own connection: one stream is asked.
        if open >= self.conn.peer_max_streams.max(1) as usize {
            let s = &mut self.slots[slot];
            s.state = State::Queued;
            s.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let id = self.last + 2 - (self.last == 0) as u32;
        self.last = id;
        let mut at = 0;
        while at + HEAD <= frames.len() {
            frames[at + 5..at + 9].copy_from_slice(&id.to_be_bytes());
            at += HEAD + Head::parse(&frames[at..]).len;
        }
        // Control frames first: a cancelled stream's RST_STREAM must reach the peer before
        // a stream opened in its place (its concurrency limit).
        self.out.append(&mut self.conn.out);
        self.out.extend_from_slice(frames);
        let (sees_headers, keep_body, max_body) = judge;
        let s = &mut self.slots[slot];
        s.state = State::Open;
        s.s = Stream::open(id, self.conn.peer_window);
        s.sees_headers = sees_headers;
        s.keep_body = keep_body;
        s.max_body = max_body;
        s.fields.clear();
        (s.status, s.length, s.got) = (0, None, 0);
        (s.first_byte, s.done_at, s.fault, s.overflow) = (None, None, None, false);
        std::mem::swap(&mut s.body, lent);
        s.body.clear();
        send_body(&mut self.conn, &mut s.s, body, sent, &mut self.out);
        s.sending = *sent < body.len();
        let flusher = self.flusher.is_none();
        if flusher {
            self.flusher = Some(slot);
        }
        Poll::Ready(Ok(flusher))
    }

    /// Drives the connection until seat `slot`'s answer is complete (or failed).
    fn poll_answer(
        &mut self,
        slot: usize,
        cx: &mut Context<'_>,
        body: &[u8],
        sent: &mut usize,
    ) -> Poll<()> {
        loop {
            let s = &mut self.slots[slot];
            if s.state != State::Open {
                if *sent < body.len() && s.fault.is_none() {
                    // Answered before the whole body went out: the rest is not wanted.
                    put_rst(&mut self.out, s.s.id, 0x8);
                    *sent = body.len();
                }
                let queued = !self.conn.out.is_empty() || self.written < self.out.len();
                if queued && self.flusher.is_none() {
                    // What this seat's reads queued (acks, a reset) goes now, not with
                    // whichever request comes next.
                    if let Err(outcome) = self.poll_write(cx) {
                        self.kill(outcome);
                    }
                }
                return Poll::Ready(());
            }
            if *sent < body.len() {
                send_body(&mut self.conn, &mut s.s, body, sent, &mut self.out);
                s.sending = *sent < body.len();
            }
            // One write for the requests of every VU woken together: the seat that opened
            // the first of them writes them all.
            if self.flusher.is_none_or(|f| f == slot) {
                self.flusher = None;
                if let Err(outcome) = self.poll_write(cx) {
                    self.kill(outcome);
                    continue;
                }
            }
            match self.poll_read(cx) {
                Poll::Ready(_) => continue,
                Poll::Pending => {
                    self.driver = Some(slot);
                    let s = &mut self.slots[slot];
                    if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        s.waker = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Writes what is queued, as far as the socket takes it.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<(), Outcome> {
        if !self.conn.out.is_empty() {
            self.out.append(&mut self.conn.out);
        }
        while self.written < self.out.len() {
            match Pin::new(&mut self.io).poll_write(cx, &self.out[self.written..]) {
                Poll::Ready(Ok(0)) => return Err(Outcome::Reset),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => return Err(classify_io(&e)),
                Poll::Pending => return Ok(()),
            }
        }
        self.out.clear();
        self.written = 0;
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(Err(e)) => Err(classify_io(&e)),
            _ => Ok(()),
        }
    }

    /// Reads once and takes every whole frame: `Ready(true)` when bytes came, `Ready(false)`
    /// when the connection failed (now or before), `Pending` when nothing is there.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.dead.is_some() {
            return Poll::Ready(false);
        }
        if self.end == self.rbuf.len() {
            if self.start > 0 {
                self.rbuf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else if self.rbuf.len() < BIG_READ_BUF {
                self.rbuf.resize((self.rbuf.len() * 2).min(BIG_READ_BUF), 0);
            } else {
                self.kill(Outcome::Protocol);
                return Poll::Ready(false);
            }
        }
        let mut buf = ReadBuf::new(&mut self.rbuf[self.end..]);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                self.kill(Outcome::Reset);
                Poll::Ready(false)
            }
            Poll::Ready(Ok(())) => {
                self.end += buf.filled().len();
                if let Err(outcome) = self.take_frames() {
                    self.kill(outcome);
                    return Poll::Ready(false);
                }
                Poll::Ready(true)
            }
            Poll::Ready(Err(e)) => {
                self.kill(classify_io(&e));
                Poll::Ready(false)
            }
        }
    }

    /// Sorts every whole frame in the buffer to its stream. An `Err` is the connection's.
    fn take_frames(&mut self) -> Result<(), Outcome> {
        while self.end - self.start >= HEAD {
            let h = Head::parse(&self.rbuf[self.start..]);
            if h.len > MAX_FRAME {
                return Err(Outcome::Protocol);
            }
            if self.end - self.start < HEAD + h.len {
                break;
            }
            let at = self.start + HEAD;
            self.start = at + h.len;
            let Mux {
                rbuf, conn, slots, ..
            } = self;
            let payload = &rbuf[at..at + h.len];
            let slot = match h.stream {
                0 => None,
                id => slots
                    .iter()
                    .position(|s| s.state == State::Open && s.s.id == id),
            };
            // Body bytes before a head: a malformed answer (RFC 9113 8.1.1), which fails its
            // stream alone; the frame still counts against the connection's window.
            let early = h.kind == DATA && slot.is_some_and(|i| slots[i].s.phase == Phase::Head);
            if let (true, Some(i)) = (early, slot) {
                reset(conn, &mut slots[i], false);
            }
            let ended = slot;
            let slot = slot.filter(|_| !early);
            let mut gone = Stream::idle(self.last);
            let s = match slot {
                Some(i) => &mut slots[i].s,
                None => &mut gone,
            };
            let (window, limit) = (conn.peer_window, conn.peer_max_streams);
            match conn.frame(h, payload, s)? {
                crate::conn::Event::Nothing => {}
                crate::conn::Event::Block(block, end) => {
                    // A block gathered from CONTINUATION frames is lent out of the
                    // connection while the connection's table decodes it.
                    let gathered = block.is_none().then(|| std::mem::take(&mut conn.block));
                    let block = block.or(gathered.as_deref()).unwrap_or_default();
                    let taken = match slot {
                        Some(i) => take_block(conn, &mut slots[i], block, end),
                        None => Ok(()),
                    };
                    if let Some(g) = gathered {
                        conn.block = g;
                    }
                    taken?;
                }
                crate::conn::Event::Data(data, end) => {
                    if let Some(i) = slot {
                        take_data(&mut slots[i], data, end);
                    }
                }
                crate::conn::Event::Failed(outcome) => {
                    if let Some(i) = slot {
                        slots[i].finish(Some(outcome));
                    }
                }
            }
            if let Some(i) = ended {
                if slots[i].state == State::Done {
                    self.wake_queued();
                }
            }
            match h.kind {
                SETTINGS => {
                    if self.conn.peer_window != window {
                        let delta = self.conn.peer_window - window;
                        for s in self.slots.iter_mut().filter(|s| s.state == State::Open) {
                            s.s.send_window += delta;
                        }
                        self.wake_senders();
                    }
                    if self.conn.peer_max_streams > limit {
                        self.wake_queued();
                    }
                }
                WINDOW_UPDATE => self.wake_senders(),
                GOAWAY => {
                    let (last, code) = self.conn.goaway;
                    for s in self.slots.iter_mut() {
                        if s.state == State::Open && s.s.id > last {
                            s.finish(Some(remote_fault(code)));
                        }
                    }
                    for s in self.slots.iter_mut().filter(|s| s.state == State::Queued) {
                        if let Some(w) = s.waker.take() {
                            w.wake();
                        }
                    }
                }
                _ => {}
            }
        }
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        Ok(())
    }

    /// The windows grew: seats still sending a body may send more.
    fn wake_senders(&mut self) {
        for s in self
            .slots
            .iter_mut()
            .filter(|s| s.state == State::Open && s.sending)
        {
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        }
    }
}

/// A whole header block for the seat's stream: its head (1xx skipped) or its trailers.
fn take_block(conn: &mut Conn, slot: &mut Slot, block: &[u8], end: bool) -> Result<(), Outcome> {
    if slot.s.phase == Phase::Body {
        // Trailers: decoded (the table must stay in step) and dropped.
        conn.hpack
            .decode(block, |_, _| {})
            .map_err(|_| Outcome::Protocol)?;
        match end {
            true => slot.finish(None),
            false => reset(conn, slot, false),
        }
        return Ok(());
    }
    let Slot {
        sees_headers,
        fields,
        ..
    } = slot;
    fields.clear();
    let decoded = decode_head(&mut conn.hpack, block, |name, value| {
        if *sees_headers {
            fields.extend_from_slice(&(name.len() as u32).to_ne_bytes());
            fields.extend_from_slice(&(value.len() as u32).to_ne_bytes());
            fields.extend_from_slice(name);
            fields.extend_from_slice(value);
        }
    });
    let (code, length) = match decoded {
        Ok(head) => head,
        Err(Bad::Table) => return Err(Outcome::Protocol),
        Err(Bad::Malformed) => {
            reset(conn, slot, end);
            return Ok(());
        }
    };
    if code < 200 {
        // An informational head: skipped, as the `h2` path does; one that ends the stream
        // leaves it unanswered.
        if end {
            slot.finish(Some(Outcome::Protocol));
        }
        return Ok(());
    }
    slot.first_byte = Some(Instant::now());
    (slot.status, slot.length) = (code, length);
    match end {
        true => slot.finish(None),
        false => slot.s.phase = Phase::Body,
    }
    Ok(())
}

/// Body bytes for the seat's stream.
fn take_data(slot: &mut Slot, data: &[u8], end: bool) {
    slot.got += data.len() as u64;
    if slot.keep_body {
        match slot.body.len() + data.len() <= slot.max_body {
            true => slot.body.extend_from_slice(data),
            false => slot.overflow = true,
        }
    }
    if end {
        slot.finish(None);
    }
}

/// The stream's answer is malformed: it fails, and the peer is told to stop sending it.
fn reset(conn: &mut Conn, slot: &mut Slot, ended: bool) {
    if !ended {
        put_rst(&mut conn.out, slot.s.id, 0x1);
    }
    slot.finish(Some(Outcome::Protocol));
}

/// Seat `seat`'s exchange of a request: its header block framed with stream id 0 (HEADERS,
/// CONTINUATION), its body, and whether it is a HEAD. As [`crate::H2Ready::exchange`].
pub(crate) async fn exchange<J: Judge>(
    seat: &H2Seat,
    (frames, request_body, is_head): (&mut [u8], &[u8], bool),
    mut judge: J,
    body: &mut Vec<u8>,
    max_body: usize,
    first_byte: &mut Option<Instant>,
    status: &mut u16,
) -> Result<(Outcome, bool), Outcome> {
    /// Leaves the seat's stream when the exchange ends or is dropped (a timeout).
    struct Flight<'a>(&'a H2Seat);
    impl Drop for Flight<'_> {
        fn drop(&mut self) {
            if let Ok(mut m) = self.0.mux.try_borrow_mut() {
                m.leave(self.0.slot);
            }
        }
    }
    let flight = Flight(seat);
    let wants = (judge.sees_headers(), judge.needs_body(), max_body);
    let mut sent = 0;
    let flusher = poll_fn(|cx| {
        seat.mux
            .borrow_mut()
            .poll_open(seat.slot, cx, frames, request_body, &mut sent, wants, body)
    })
    .await?;
    if flusher {
        // The VUs woken with this one (by the same read) queue their requests meanwhile.
        tokio::task::yield_now().await;
    }
    poll_fn(|cx| {
        seat.mux
            .borrow_mut()
            .poll_answer(seat.slot, cx, request_body, &mut sent)
    })
    .await;
    let mut m = seat.mux.borrow_mut();
    let s = &mut m.slots[seat.slot];
    std::mem::swap(body, &mut s.body);
    if let Some(outcome) = s.fault {
        drop(m);
        drop(flight);
        return Err(outcome);
    }
    *first_byte = s.first_byte;
    *status = s.status;
    let mut fields = &s.fields[..];
    while fields.len() >= 8 {
        let n = u32::from_ne_bytes([fields[0], fields[1], fields[2], fields[3]]) as usize;
        let v = u32::from_ne_bytes([fields[4], fields[5], fields[6], fields[7]]) as usize;
        judge.header(&fields[8..8 + n], &fields[8 + n..8 + n + v]);
        fields = &fields[8 + n + v..];
    }
    let verdict = judge.status(s.status);
    // A body that does not match its length is malformed (RFC 9113 8.1.1).
    let no_body = is_head || s.status == 204 || s.status == 304;
    let malformed = s.length.is_some_and(|l| l != s.got) && !no_body;
    let overflow = s.overflow;
    let keep = m.usable();
    drop(m);
    drop(flight);
    if malformed {
        return Err(Outcome::Protocol);
    }
    let outcome = match verdict {
        Err(outcome) => outcome,
        Ok(()) => judge.finish(body, overflow),
    };
    Ok((outcome, keep))
}

/// When seat's last answer was complete, as the connection's reader saw it.
pub(crate) fn answered_at(seat: &H2Seat) -> Option<Instant> {
    seat.mux.borrow().slots[seat.slot].done_at
}
