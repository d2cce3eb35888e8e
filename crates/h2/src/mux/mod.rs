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
//! request puts itself behind the others already woken before it writes, so their requests
//! go out in the same write.
//!
//! A stream's fault (`RST_STREAM`, a malformed head, a body that does not match its
//! length) fails that stream alone; a connection's fault (an I/O error, the end of the
//! stream, garbage, a head that does not decode) fails every stream on it, and `GOAWAY`
//! those it leaves out. A VU whose exchange is dropped (its request timed out) cancels its
//! stream with `RST_STREAM(CANCEL)`; the connection goes on. No more streams are opened at
//! once than the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` (100 until its first `SETTINGS`):
//! a VU past it waits for one to end.
//!
//! Not handled: a VU waiting for room when a `GOAWAY` arrives reports a `Reset` for a request
//! it never sent (the next one opens a new connection).

mod drive;
mod frames;
mod slot;

use drive::Mux;
use loadgen_engine::Outcome;
use loadgen_h1::Judge;
use loadgen_tls::ClientStream;
use slot::{Slot, State};
use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use tokio::time::Instant;

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
        crate::wire::send_preface(&mut io, &mut Vec::new()).await?;
        Ok(H2Shared(Rc::new(RefCell::new(Mux::new(io)))))
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
        // A wake of its own puts the task behind those already woken, and no further:
        // `tokio::task::yield_now` would wait for the reactor's next poll (one more
        // `epoll_wait` per batch; over TLS 12% fewer requests per CPU-second, measured).
        let mut yielded = false;
        poll_fn(|cx| {
            if std::mem::replace(&mut yielded, true) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
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
