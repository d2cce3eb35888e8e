//! Sorting the frames a shared connection reads to the streams they belong to.

use super::drive::Mux;
use super::slot::{reset, take_block, take_data, State};
use crate::conn::{remote_fault, Event, Phase, Stream};
use crate::frame::*;
use crate::wire::next_frame;
use loadgen_engine::Outcome;

impl Mux {
    /// Sorts every whole frame in the buffer to its stream. An `Err` is the connection's.
    pub(super) fn take_frames(&mut self) -> Result<(), Outcome> {
        while let Some((h, payload)) = next_frame(&self.rbuf, &mut self.start, self.end)? {
            let Mux {
                rbuf, conn, slots, ..
            } = self;
            let payload = &rbuf[payload];
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
                Event::Nothing => {}
                Event::Block(block, end) => {
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
                Event::Data(data, end) => {
                    if let Some(i) = slot {
                        take_data(&mut slots[i], data, end);
                    }
                }
                Event::Failed(outcome) => {
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
    pub(super) fn wake_senders(&mut self) {
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
