//! A seat's slot on a shared connection: where its stream stands, and what the reader put
//! there of its answer (the head's fields its judge looks at, the body it keeps, the
//! outcome of a fault), from the frames sorted to it.

use crate::conn::{Conn, Phase, Stream};
use crate::frame::put_rst;
use crate::head::{decode_head, Bad};
use loadgen_engine::Outcome;
use std::task::Waker;
use tokio::time::Instant;

/// Where a seat's stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum State {
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
pub(super) struct Slot {
    pub(super) used: bool,
    pub(super) state: State,
    pub(super) s: Stream,
    pub(super) waker: Option<Waker>,
    /// The judge looks at headers: the final head's fields are kept in `fields`.
    pub(super) sees_headers: bool,
    /// The judge needs the body: it is kept in `body` (up to `max_body`).
    pub(super) keep_body: bool,
    /// Part of the request's body waits for the peer's windows.
    pub(super) sending: bool,
    pub(super) max_body: usize,
    /// The final head's fields: name length, value length (u32 each), name, value.
    pub(super) fields: Vec<u8>,
    pub(super) status: u16,
    pub(super) length: Option<u64>,
    pub(super) got: u64,
    pub(super) first_byte: Option<Instant>,
    pub(super) done_at: Option<Instant>,
    /// The VU's body buffer, lent for the exchange.
    pub(super) body: Vec<u8>,
    pub(super) overflow: bool,
    pub(super) fault: Option<Outcome>,
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
    pub(super) fn finish(&mut self, fault: Option<Outcome>) {
        self.state = State::Done;
        self.s.phase = Phase::Done;
        self.fault = self.fault.or(fault);
        self.done_at = Some(Instant::now());
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// A whole header block for the seat's stream: its head (1xx skipped) or its trailers.
pub(super) fn take_block(
    conn: &mut Conn,
    slot: &mut Slot,
    block: &[u8],
    end: bool,
) -> Result<(), Outcome> {
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
pub(super) fn take_data(slot: &mut Slot, data: &[u8], end: bool) {
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
pub(super) fn reset(conn: &mut Conn, slot: &mut Slot, ended: bool) {
    if !ended {
        put_rst(&mut conn.out, slot.s.id, 0x1);
    }
    slot.finish(Some(Outcome::Protocol));
}
