//! The connection-level half of the lean HTTP/2 path: settings, pings, flow-control
//! windows, `GOAWAY`, and the sorting of incoming frames into what the stream in flight
//! must see ([`Event`]) and what only the connection cares about.

use crate::frame::*;
use crate::hpack::Decoder;
use loadgen_engine::Outcome;

/// Where the stream in flight (or the last one) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the final response head (1xx heads are skipped).
    Head,
    /// The head is in; reading the body (and maybe trailers).
    Body,
    /// The peer ended the stream (or no stream is open).
    Done,
}

/// The stream in flight.
pub(crate) struct Stream {
    pub(crate) id: u32,
    pub(crate) phase: Phase,
    /// What we may still send on it.
    pub(crate) send_window: i64,
    /// What the peer may still send on it.
    recv_window: i64,
    /// Received and not yet given back with a `WINDOW_UPDATE`.
    unacked: i64,
}

impl Stream {
    /// No stream open (a connection between requests).
    pub(crate) fn idle(last: u32) -> Stream {
        Stream {
            id: last,
            phase: Phase::Done,
            send_window: 0,
            recv_window: 0,
            unacked: 0,
        }
    }

    pub(crate) fn open(id: u32, peer_window: i64) -> Stream {
        Stream {
            id,
            phase: Phase::Head,
            send_window: peer_window,
            recv_window: STREAM_WINDOW,
            unacked: 0,
        }
    }
}

/// What a frame means for the stream in flight.
pub(crate) enum Event<'a> {
    Nothing,
    /// A whole header block for it: in the frame (`Some`) or gathered from `CONTINUATION`s
    /// in [`Conn::block`] (`None`).
    Block(Option<&'a [u8]>, bool),
    /// Body bytes, and whether they end the stream.
    Data(&'a [u8], bool),
    /// The stream will not be answered: the peer reset it, or went away without it.
    Failed(Outcome),
}

/// One connection's state besides its socket and buffers.
pub(crate) struct Conn {
    pub(crate) hpack: Decoder,
    /// A header block being gathered from `CONTINUATION` frames: its stream and whether its
    /// `HEADERS` ended the stream.
    pending: Option<(u32, bool)>,
    pub(crate) block: Vec<u8>,
    /// The peer's `SETTINGS_MAX_FRAME_SIZE` and `SETTINGS_INITIAL_WINDOW_SIZE`.
    pub(crate) peer_max_frame: usize,
    pub(crate) peer_window: i64,
    /// What we may still send on the connection.
    pub(crate) send_window: i64,
    /// What the peer may still send on the connection, and what it sent that we have not
    /// given back yet.
    recv_window: i64,
    unacked: i64,
    /// The peer sent `GOAWAY`: no new stream on this connection.
    pub(crate) going_away: bool,
    /// The last `GOAWAY`'s last stream id and error code.
    pub(crate) goaway: (u32, u32),
    /// The peer's `SETTINGS_MAX_CONCURRENT_STREAMS` (a shared connection opens no more):
    /// 100 until its first `SETTINGS` says (RFC 9113 6.5.2 suggests no less), then what
    /// that says, or no limit.
    pub(crate) peer_max_streams: u32,
    /// The peer's first `SETTINGS` has been read.
    settings_seen: bool,
    /// Frames to send (acks, window updates), written with the next write.
    pub(crate) out: Vec<u8>,
}

impl Conn {
    pub(crate) fn new() -> Conn {
        Conn {
            hpack: Decoder::new(),
            pending: None,
            block: Vec::new(),
            peer_max_frame: MAX_FRAME,
            peer_window: DEFAULT_WINDOW,
            send_window: DEFAULT_WINDOW,
            recv_window: CONN_WINDOW,
            unacked: 0,
            going_away: false,
            goaway: (0, 0),
            peer_max_streams: 100,
            settings_seen: false,
            out: Vec::new(),
        }
    }

    /// Sorts one frame (`payload` is its whole payload). An `Err` is a fault of the
    /// connection: the outcome of the stream in flight, and the connection is closed.
    pub(crate) fn frame<'a>(
        &mut self,
        h: Head,
        payload: &'a [u8],
        s: &mut Stream,
    ) -> Result<Event<'a>, Outcome> {
        const PROTOCOL: Outcome = Outcome::Protocol;
        if let Some((stream, end)) = self.pending {
            if h.kind != CONTINUATION || h.stream != stream {
                return Err(PROTOCOL);
            }
            self.block.extend_from_slice(payload);
            if h.flags & END_HEADERS == 0 {
                return Ok(Event::Nothing);
            }
            self.pending = None;
            return self.block_done(None, stream, end, s);
        }
        let ours = h.stream == s.id;
        match h.kind {
            DATA => {
                self.check_stream(h.stream, s)?;
                let len = h.len as i64;
                self.recv_window -= len;
                self.unacked += len;
                if self.recv_window < 0 {
                    return Err(PROTOCOL);
                }
                if self.unacked >= CONN_WINDOW / 2 {
                    put_window_update(&mut self.out, 0, self.unacked as u32);
                    self.recv_window += self.unacked;
                    self.unacked = 0;
                }
                let data = unpad(h, payload)?;
                let end = h.flags & END_STREAM != 0;
                if !ours || s.phase != Phase::Body {
                    // A stream already ended (or reset by us), or body bytes before a head.
                    return match ours && s.phase == Phase::Head {
                        true => Err(PROTOCOL),
                        false => Ok(Event::Nothing),
                    };
                }
                s.recv_window -= len;
                if s.recv_window < 0 {
                    return Err(PROTOCOL);
                }
                s.unacked += len;
                if !end && s.unacked >= STREAM_WINDOW / 2 {
                    put_window_update(&mut self.out, s.id, s.unacked as u32);
                    s.recv_window += s.unacked;
                    s.unacked = 0;
                }
                Ok(Event::Data(data, end))
            }
            HEADERS => {
                self.check_stream(h.stream, s)?;
                let mut block = unpad(h, payload)?;
                if h.flags & PRIORITY_FLAG != 0 {
                    block = block.get(5..).ok_or(PROTOCOL)?;
                }
                let end = h.flags & END_STREAM != 0;
                if h.flags & END_HEADERS == 0 {
                    self.block.clear();
                    self.block.extend_from_slice(block);
                    self.pending = Some((h.stream, end));
                    return Ok(Event::Nothing);
                }
                self.block_done(Some(block), h.stream, end, s)
            }
            PRIORITY => match (h.stream, h.len) {
                (0, _) | (_, 1..=4 | 6..) => Err(PROTOCOL),
                _ => Ok(Event::Nothing),
            },
            RST_STREAM => {
                if h.stream == 0 || h.len != 4 {
                    return Err(PROTOCOL);
                }
                let code = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
                match ours && s.phase != Phase::Done {
                    true => Ok(Event::Failed(remote_fault(code))),
                    false => Ok(Event::Nothing),
                }
            }
            SETTINGS => {
                if h.stream != 0 {
                    return Err(PROTOCOL);
                }
                if h.flags & ACK != 0 {
                    return match h.len {
                        0 => Ok(Event::Nothing),
                        _ => Err(PROTOCOL),
                    };
                }
                if !h.len.is_multiple_of(6) {
                    return Err(PROTOCOL);
                }
                if !self.settings_seen {
                    self.settings_seen = true;
                    self.peer_max_streams = u32::MAX;
                }
                for p in payload.chunks_exact(6) {
                    let v = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
                    match u16::from_be_bytes([p[0], p[1]]) {
                        0x2 if v > 1 => return Err(PROTOCOL),
                        0x3 => self.peer_max_streams = v,
                        0x4 => {
                            let v = v as i64;
                            if v > MAX_WINDOW {
                                return Err(PROTOCOL);
                            }
                            if s.phase != Phase::Done {
                                s.send_window += v - self.peer_window;
                            }
                            self.peer_window = v;
                        }
                        0x5 => {
                            if !(MAX_FRAME as u32..=0xff_ffff).contains(&v) {
                                return Err(PROTOCOL);
                            }
                            self.peer_max_frame = v as usize;
                        }
                        // The header table size only bounds an encoder's dynamic table:
                        // ours never uses one. The others do not bind a client.
                        _ => {}
                    }
                }
                put_head(&mut self.out, 0, SETTINGS, ACK, 0);
                Ok(Event::Nothing)
            }
            PUSH_PROMISE => Err(PROTOCOL),
            PING => {
                if h.stream != 0 || h.len != 8 {
                    return Err(PROTOCOL);
                }
                if h.flags & ACK == 0 {
                    put_head(&mut self.out, 8, PING, ACK, 0);
                    self.out.extend_from_slice(payload);
                }
                Ok(Event::Nothing)
            }
            GOAWAY => {
                if h.stream != 0 || h.len < 8 {
                    return Err(PROTOCOL);
                }
                self.going_away = true;
                let last = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                    & 0x7fff_ffff;
                let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
                self.goaway = (last, code);
                match s.phase != Phase::Done && s.id > last {
                    true => Ok(Event::Failed(remote_fault(code))),
                    false => Ok(Event::Nothing),
                }
            }
            WINDOW_UPDATE => {
                if h.len != 4 {
                    return Err(PROTOCOL);
                }
                let inc = (u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                    & 0x7fff_ffff) as i64;
                if inc == 0 {
                    return Err(PROTOCOL);
                }
                let window = match h.stream {
                    0 => &mut self.send_window,
                    id if id == s.id && s.phase != Phase::Done => &mut s.send_window,
                    _ => return Ok(Event::Nothing),
                };
                *window += inc;
                match *window > MAX_WINDOW {
                    true => Err(PROTOCOL),
                    false => Ok(Event::Nothing),
                }
            }
            CONTINUATION => Err(PROTOCOL),
            // Unknown frame types are ignored (RFC 9113 5.5).
            _ => Ok(Event::Nothing),
        }
    }

    /// A stream id the peer may send on: not the connection, not one it could have opened
    /// itself (push is off), not one we have yet to open.
    fn check_stream(&self, id: u32, s: &Stream) -> Result<(), Outcome> {
        match id == 0 || id.is_multiple_of(2) || id > s.id {
            true => Err(Outcome::Protocol),
            false => Ok(()),
        }
    }

    /// A complete header block: the stream in flight's, or one decoded only to keep the
    /// table in step (an ended stream's trailers).
    fn block_done<'a>(
        &mut self,
        block: Option<&'a [u8]>,
        stream: u32,
        end: bool,
        s: &Stream,
    ) -> Result<Event<'a>, Outcome> {
        if stream == s.id && s.phase != Phase::Done {
            return Ok(Event::Block(block, end));
        }
        let decoded = match block {
            Some(b) => self.hpack.decode(b, |_, _| {}),
            None => self.hpack.decode(&self.block, |_, _| {}),
        };
        decoded.map_err(|_| Outcome::Protocol)?;
        Ok(Event::Nothing)
    }
}

/// The payload without its padding (`PADDED` frames).
fn unpad(h: Head, payload: &[u8]) -> Result<&[u8], Outcome> {
    if h.flags & PADDED == 0 {
        return Ok(payload);
    }
    let pad = *payload.first().ok_or(Outcome::Protocol)? as usize;
    if pad >= payload.len() {
        return Err(Outcome::Protocol);
    }
    Ok(&payload[1..payload.len() - pad])
}

/// The outcome of a stream the peer reset or left out of its `GOAWAY`: as the `h2` path
/// classifies it (`loadgen_http::classify`).
pub(crate) fn remote_fault(code: u32) -> Outcome {
    match is_protocol_fault(code) {
        true => Outcome::Protocol,
        false => Outcome::Reset,
    }
}
