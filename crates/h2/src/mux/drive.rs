//! The shared connection's state and how a waiting seat drives it: opening its stream,
//! writing what is queued, reading, handing the socket on when it leaves.

use super::slot::{Slot, State};
use crate::conn::{Conn, Stream};
use crate::frame::*;
use crate::ready::{send_body, LAST_STREAM};
use crate::wire::{make_room, READ_BUF};
use loadgen_engine::Outcome;
use loadgen_tls::{classify_io, ClientStream};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The shared connection's socket, buffers and streams.
pub(crate) struct Mux {
    pub(super) io: ClientStream,
    pub(super) conn: Conn,
    pub(super) rbuf: Vec<u8>,
    /// Bytes read and not yet taken as frames: `rbuf[start..end]`.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Whole frames to write; `out[..written]` went out already.
    pub(super) out: Vec<u8>,
    pub(super) written: usize,
    /// The last stream opened (0: none yet).
    pub(super) last: u32,
    pub(super) slots: Vec<Slot>,
    /// The connection failed: every stream on it fails with this.
    pub(super) dead: Option<Outcome>,
    /// The seat whose task the socket will wake: the last one that found it not ready.
    pub(super) driver: Option<usize>,
    /// The seat that will write what is queued, once the other VUs woken with it have
    /// queued their requests too.
    pub(super) flusher: Option<usize>,
}

impl Mux {
    /// A connection whose preface has been written.
    pub(super) fn new(io: ClientStream) -> Mux {
        Mux {
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
        }
    }

    pub(super) fn usable(&self) -> bool {
        self.dead.is_none() && !self.conn.going_away && self.last < LAST_STREAM - 2
    }

    /// Fails the connection and every stream on it.
    pub(super) fn kill(&mut self, outcome: Outcome) {
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
    pub(super) fn leave(&mut self, slot: usize) {
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
    pub(super) fn wake_queued(&mut self) {
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
    pub(super) fn poll_open(
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
    pub(super) fn poll_answer(
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
    pub(super) fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<(), Outcome> {
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
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.dead.is_some() {
            return Poll::Ready(false);
        }
        if let Err(outcome) = make_room(&mut self.rbuf, &mut self.start, &mut self.end) {
            self.kill(outcome);
            return Poll::Ready(false);
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
}
