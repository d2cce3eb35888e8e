//! A connection's socket and read buffer, and the taking of whole frames out of that buffer:
//! between requests ([`idle`]) and for the stream in flight ([`frames`]). The pieces a
//! shared connection (`mux`) reads with too: the preface, the next whole frame, room to read.

use crate::conn::{Conn, Event, Phase, Stream};
use crate::frame::{put_preface, Head, HEAD, MAX_FRAME};
use loadgen_engine::Outcome;
use loadgen_tls::{classify_io, ClientStream};
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

/// Size of a fresh read buffer.
pub(crate) const READ_BUF: usize = 8 << 10;
/// A read buffer may grow to this: a whole frame of the largest size we allow, and room to
/// take large bodies in fewer reads.
const BIG_READ_BUF: usize = 64 << 10;

/// The connection's socket, read position and state.
pub(crate) struct Wire {
    pub(crate) io: ClientStream,
    pub(crate) conn: Conn,
    /// The last stream opened (0: none yet).
    pub(crate) last: u32,
    /// Bytes read and not yet taken as frames: `rbuf[start..end]`.
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Takes in whatever the peer sent between requests, without waiting.
pub(crate) fn idle(w: &mut Wire, rbuf: &mut Vec<u8>) -> Result<(), Outcome> {
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
pub(crate) fn frames(
    w: &mut Wire,
    rbuf: &[u8],
    s: &mut Stream,
    on: &mut dyn FnMut(Taken<'_>) -> Result<(), Outcome>,
) -> Result<(), Outcome> {
    let was_done = s.phase == Phase::Done;
    while let Some((h, payload)) = next_frame(rbuf, &mut w.start, w.end)? {
        let payload = &rbuf[payload];
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
pub(crate) enum Taken<'a> {
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
pub(crate) fn room(w: &mut Wire, rbuf: &mut Vec<u8>, used_big: &mut bool) -> Result<(), Outcome> {
    *used_big |= make_room(rbuf, &mut w.start, &mut w.end)?;
    Ok(())
}

/// [`room`] for a buffer holding `rbuf[*start..*end]`: `Ok(true)` when it grew.
pub(crate) fn make_room(
    rbuf: &mut Vec<u8>,
    start: &mut usize,
    end: &mut usize,
) -> Result<bool, Outcome> {
    if *end < rbuf.len() {
        return Ok(false);
    }
    if *start > 0 {
        rbuf.copy_within(*start..*end, 0);
        (*start, *end) = (0, *end - *start);
        return Ok(false);
    }
    if rbuf.len() >= BIG_READ_BUF {
        return Err(Outcome::Protocol);
    }
    rbuf.resize((rbuf.len() * 2).min(BIG_READ_BUF), 0);
    Ok(true)
}

/// The next whole frame of `rbuf[*start..end]`: its head and where its payload lies, with
/// `start` moved past it; `None` while it is not whole. A frame larger than our
/// `MAX_FRAME_SIZE` is a `Protocol` fault.
pub(crate) fn next_frame(
    rbuf: &[u8],
    start: &mut usize,
    end: usize,
) -> Result<Option<(Head, Range<usize>)>, Outcome> {
    if end - *start < HEAD {
        return Ok(None);
    }
    let h = Head::parse(&rbuf[*start..]);
    if h.len > MAX_FRAME {
        return Err(Outcome::Protocol);
    }
    if end - *start < HEAD + h.len {
        return Ok(None);
    }
    let at = *start + HEAD;
    *start = at + h.len;
    Ok(Some((h, at..at + h.len)))
}

/// Writes the connection preface (our settings and windows) through `buf`, which is left
/// empty.
pub(crate) async fn send_preface(io: &mut ClientStream, buf: &mut Vec<u8>) -> Result<(), Outcome> {
    buf.clear();
    put_preface(buf);
    io.write_all(buf).await.map_err(|e| classify_io(&e))?;
    buf.clear();
    Ok(())
}
