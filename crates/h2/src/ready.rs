//! The exchange of one rendered request: written, answered, and judged through the
//! caller's [`Judge`] (`loadgen-h1`'s, shared with the HTTP/1.1 link) (which knows what the step expects and what it captures; this crate
//! only reads the answer).

use crate::conn::{Conn, Phase, Stream};
use crate::frame::*;
use crate::head::decode_head;
use crate::mux::H2Seat;
use crate::wire::{frames, room, Taken, Wire, READ_BUF};
use loadgen_engine::Outcome;
use loadgen_h1::Judge;
use loadgen_tls::{classify_io, read_answer};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// The last client stream id (2^31 - 1): a connection that reaches it is closed.
pub(crate) const LAST_STREAM: u32 = (1 << 31) - 1;

/// A rendered request on its connection, ready to exchange.
pub struct H2Ready<'a> {
    pub(crate) wire: Option<&'a mut Wire>,
    /// The VU's seat on a shared connection (then `wire` is `None`).
    pub(crate) seat: Option<&'a H2Seat>,
    pub(crate) rbuf: &'a mut Vec<u8>,
    pub(crate) wbuf: &'a mut Vec<u8>,
    pub(crate) used_big: &'a mut bool,
    pub(crate) body: &'a [u8],
    pub(crate) is_head: bool,
}

impl H2Ready<'_> {
    /// Writes the request, reads the whole answer and has `judge` judge it:
    /// `Ok((outcome, keep_connection))` for a complete answer,
    /// `Err(outcome)` for a failure of the stream or the connection. Body bytes go to `body`
    /// when `judge` needs them (up to `max_body`); `first_byte` is taken when the final head
    /// is decoded, and `status` is its code.
    pub async fn exchange<J: Judge>(
        self,
        mut judge: J,
        body: &mut Vec<u8>,
        max_body: usize,
        first_byte: &mut Option<Instant>,
        status: &mut u16,
    ) -> Result<(Outcome, bool), Outcome> {
        let H2Ready {
            wire,
            seat,
            rbuf,
            wbuf,
            used_big,
            body: request_body,
            is_head,
        } = self;
        if let Some(seat) = seat {
            let request = (&mut wbuf[..], request_body, is_head);
            return crate::mux::exchange(seat, request, judge, body, max_body, first_byte, status)
                .await;
        }
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
                        let (code, len) =
                            decode_head(&mut conn.hpack, block, |n, v| judge.header(n, v))
                                .map_err(|_| Outcome::Protocol)?;
                        length = len;
                        if code < 200 {
                            // An informational head: skipped, as the `h2` path does.
                            return match end {
                                true => Err(Outcome::Protocol),
                                false => Ok(()),
                            };
                        }
                        *first_byte = Some(Instant::now());
                        *status = code;
                        let verdict = judge.status(code);
                        let keep_body = verdict.is_ok() && judge.needs_body();
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
            let n = read_answer(&mut w.io, &mut rbuf[w.end..]).await?;
            w.end += n;
            *used_big |= w.end > READ_BUF;
        }
        let Some((verdict, _)) = judged else {
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
            Ok(()) => judge.finish(body, overflow),
        };
        Ok((outcome, keep))
    }
}

/// Appends DATA frames for as much of the request body as the windows allow; the last one
/// ends the stream.
pub(crate) fn send_body(
    conn: &mut Conn,
    s: &mut Stream,
    body: &[u8],
    sent: &mut usize,
    out: &mut Vec<u8>,
) {
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
