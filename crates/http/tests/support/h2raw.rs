//! A scripted HTTP/2 server on raw tokio sockets: it speaks frames itself, so a test can
//! send what a well-behaved server library would not (CONTINUATION, padding, PING, GOAWAY,
//! RST_STREAM, a tiny window, garbage). Loopback only; each connection is bounded by the
//! test's own request count and ends when the client goes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// The head in a HEADERS frame and two CONTINUATION frames, then the body.
    Continuation,
    /// A padded head (with the priority flag) and padded DATA.
    Padded,
    /// A PING before each answer; the answer comes only once the PING is acked.
    Ping,
    /// Answers two requests per connection; at the third, GOAWAY without it and a close.
    GoawayRefusing,
    /// Answers two requests per connection; the third is answered after a GOAWAY that
    /// includes it, then the connection is closed.
    GoawayGraceful,
    /// Answers, then sends GOAWAY (the answered stream its last) while the connection is
    /// idle, and closes once the client has gone.
    IdleGoaway,
    /// RST_STREAM(REFUSED_STREAM) for every request.
    Refused,
    /// A 16-byte initial window: the client's posted body must wait for WINDOW_UPDATEs.
    TinyWindow,
    /// Unknown frame types (and a PRIORITY) before each answer: ignored.
    Unknown,
    /// DATA on stream 0: a protocol error.
    Garbage,
    /// Reads the request and never answers.
    Stall,
    /// Answers every request with a few frames of random types, flags, streams and
    /// payloads (a new draw per answer, the same sequence every run), sometimes a valid
    /// answer after them.
    Fuzz,
    /// For VUs sharing a connection: holds requests until three are open, then answers them
    /// last first, their DATA frames interleaved in 4-byte pieces, each body as long as its
    /// stream id makes it (so a piece taken for the wrong stream breaks a `content-length`).
    Interleave,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` 1; once the client has acked it, each answer waits
    /// 20 ms, and a request opened meanwhile is counted as a violation.
    OneStream,
    /// RST_STREAM(REFUSED_STREAM) for every third stream (5, 11, 17, …), answers the others.
    ResetEveryThird,
    /// Never answers the first request it is sent (stream 1 of its first connection);
    /// answers every other after 50 ms.
    StallFirst,
}

/// A running scripted server.
pub struct H2Raw {
    pub addr: SocketAddr,
    connections: Arc<AtomicU64>,
    seen: Arc<Seen>,
}

/// What the server counted, over all its connections.
#[derive(Default)]
pub struct Seen {
    /// Posted bodies that arrived in more than one DATA frame.
    pub split_posts: AtomicU64,
    /// Requests opened past `SETTINGS_MAX_CONCURRENT_STREAMS` (`Script::OneStream`).
    pub violations: AtomicU64,
    /// RST_STREAM(CANCEL) frames received.
    pub cancels: AtomicU64,
    /// `Script::StallFirst` has stalled its one request.
    stalled: std::sync::atomic::AtomicBool,
}

impl H2Raw {
    pub fn start(script: Script) -> H2Raw {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&connections);
        let seen = Arc::new(Seen::default());
        let counted = Arc::clone(&seen);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                while let Ok((tcp, _)) = listener.accept().await {
                    count.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(script, tcp, Arc::clone(&counted)));
                }
            });
        });
        H2Raw {
            addr,
            connections,
            seen,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn split_posts(&self) -> u64 {
        self.seen.split_posts.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> &Seen {
        &self.seen
    }
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// `:status 200`, `content-length` and an `x-script` field, as an HPACK block.
fn head_block(body_len: usize) -> Vec<u8> {
    let mut b = vec![0x88, 0x0f, 0x0d];
    let len = body_len.to_string();
    b.push(len.len() as u8);
    b.extend_from_slice(len.as_bytes());
    b.push(0x00);
    b.push(8);
    b.extend_from_slice(b"x-script");
    b.push(3);
    b.extend_from_slice(b"raw");
    b
}

struct Conn {
    tcp: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// The next frame: (type, flags, stream, payload); `None` when the client is gone.
    async fn next(&mut self) -> Option<(u8, u8, u32, Vec<u8>)> {
        loop {
            if self.buf.len() >= 9 {
                let len = (self.buf[0] as usize) << 16
                    | (self.buf[1] as usize) << 8
                    | self.buf[2] as usize;
                if self.buf.len() >= 9 + len {
                    let f: Vec<u8> = self.buf.drain(..9 + len).collect();
                    let stream = u32::from_be_bytes([f[5], f[6], f[7], f[8]]) & 0x7fff_ffff;
                    return Some((f[3], f[4], stream, f[9..].to_vec()));
                }
            }
            let mut chunk = [0u8; 4096];
            match self.tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        let _ = self.tcp.write_all(bytes).await;
    }
}

async fn serve(script: Script, tcp: TcpStream, seen: Arc<Seen>) {
    let mut c = Conn {
        tcp,
        buf: Vec::new(),
    };
    // The client preface.
    while c.buf.len() < 24 {
        let mut chunk = [0u8; 4096];
        match c.tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => c.buf.extend_from_slice(&chunk[..n]),
        }
    }
    assert_eq!(&c.buf[..24], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    c.buf.drain(..24);
    let settings: Vec<u8> = match script {
        Script::TinyWindow => vec![0, 4, 0, 0, 0, 16],
        Script::OneStream => vec![0, 3, 0, 0, 0, 1],
        _ => Vec::new(),
    };
    c.send(&frame(0x4, 0, 0, &settings)).await;

    let mut answered = 0;
    // Per stream: posted bytes so far, and the window we granted.
    let mut posted = 0usize;
    let mut frames = 0;
    let mut window: i64 = 65_535;
    // Our settings bind the client once it has acked them (RFC 9113 6.5.3).
    let mut acked = false;
    // Requests held for `Script::Interleave`.
    let mut held = Vec::new();
    while let Some((kind, flags, stream, payload)) = c.next().await {
        let ended = match kind {
            0x3 if payload == 8u32.to_be_bytes() => {
                seen.cancels.fetch_add(1, Ordering::SeqCst);
                false
            }
            0x4 if flags & 0x1 != 0 => {
                acked = true;
                false
            }
            0x1 => {
                (posted, frames) = (0, 0);
                let tiny = script == Script::TinyWindow && acked;
                window = if tiny { 16 } else { 65_535 };
                flags & 0x1 != 0
            }
            0x0 => {
                posted += payload.len();
                frames += 1;
                if flags & 0x1 != 0 && frames > 1 {
                    seen.split_posts.fetch_add(1, Ordering::SeqCst);
                }
                window -= payload.len() as i64;
                if window < 0 {
                    // The client sent past the window: FLOW_CONTROL_ERROR.
                    c.send(&frame(0x3, 0, stream, &3u32.to_be_bytes())).await;
                    continue;
                }
                if flags & 0x1 == 0 && script == Script::TinyWindow {
                    // Grant exactly what was used: the next DATA must wait for it.
                    let inc = (payload.len() as u32).to_be_bytes();
                    c.send(&frame(0x8, 0, stream, &inc)).await;
                    c.send(&frame(0x8, 0, 0, &inc)).await;
                    window += payload.len() as i64;
                }
                flags & 0x1 != 0
            }
            _ => false,
        };
        if !ended {
            continue;
        }
        answered += 1;
        let body = match script {
            Script::TinyWindow => format!("posted {posted}"),
            _ => "hello from raw h2".to_owned(),
        };
        let block = head_block(body.len());
        match script {
            Script::Continuation => {
                let (a, rest) = block.split_at(2);
                let (b, d) = rest.split_at(3);
                let mut out = frame(0x1, 0, stream, a);
                out.extend(frame(0x9, 0, stream, b));
                out.extend(frame(0x9, 0x4, stream, d));
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                c.send(&out).await;
            }
            Script::Padded => {
                // PADDED | PRIORITY | END_HEADERS: pad length, priority (5), block, padding.
                let mut p = vec![4];
                p.extend_from_slice(&[0, 0, 0, 0, 16]);
                p.extend_from_slice(&block);
                p.extend_from_slice(&[0; 4]);
                let mut out = frame(0x1, 0x8 | 0x20 | 0x4, stream, &p);
                let mut d = vec![7];
                d.extend_from_slice(body.as_bytes());
                d.extend_from_slice(&[0; 7]);
                out.extend(frame(0x0, 0x8 | 0x1, stream, &d));
                c.send(&out).await;
            }
            Script::Ping => {
                let token = [1, 2, 3, 4, 5, 6, 7, answered as u8];
                c.send(&frame(0x6, 0, 0, &token)).await;
                loop {
                    match c.next().await {
                        Some((0x6, 0x1, 0, p)) if p == token => break,
                        Some(_) => {}
                        None => return,
                    }
                }
                let mut out = frame(0x1, 0x4, stream, &block);
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                c.send(&out).await;
            }
            Script::GoawayRefusing | Script::GoawayGraceful if answered == 3 => {
                let graceful = script == Script::GoawayGraceful;
                let last = if graceful { stream } else { stream - 2 };
                let mut g = last.to_be_bytes().to_vec();
                g.extend_from_slice(&0u32.to_be_bytes());
                let mut out = frame(0x7, 0, 0, &g);
                if graceful {
                    out.extend(frame(0x1, 0x4, stream, &block));
                    out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                }
                c.send(&out).await;
                // Close once the client has read it all (its close, or a moment).
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), c.next()).await;
                return;
            }
            Script::IdleGoaway => {
                let mut out = frame(0x1, 0x4, stream, &block);
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                let mut g = stream.to_be_bytes().to_vec();
                g.extend_from_slice(&0u32.to_be_bytes());
                out.extend(frame(0x7, 0, 0, &g));
                c.send(&out).await;
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), c.next()).await;
                return;
            }
            Script::Refused => {
                c.send(&frame(0x3, 0, stream, &7u32.to_be_bytes())).await;
            }
            Script::Unknown => {
                let mut out = frame(0xfa, 0xff, 0, b"ignore me");
                out.extend(frame(0xfb, 0, stream, b"and me"));
                out.extend(frame(0x2, 0, stream, &[0, 0, 0, 0, 16]));
                out.extend(frame(0x1, 0x4, stream, &block));
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                c.send(&out).await;
            }
            Script::Garbage => {
                c.send(&frame(0x0, 0x1, 0, b"data on the connection")).await;
            }
            Script::Stall => {}
            Script::StallFirst if !seen.stalled.swap(true, Ordering::SeqCst) => {}
            Script::StallFirst => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let mut out = frame(0x1, 0x4, stream, &block);
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                c.send(&out).await;
            }
            Script::ResetEveryThird if (stream / 2) % 3 == 2 => {
                c.send(&frame(0x3, 0, stream, &7u32.to_be_bytes())).await;
            }
            Script::Interleave => {
                held.push(stream);
                if held.len() == 3 {
                    c.send(&interleaved(&held)).await;
                    held.clear();
                }
            }
            Script::OneStream if acked => {
                // Anything the client opens while this stream is unanswered breaks the limit.
                let until = tokio::time::Instant::now() + std::time::Duration::from_millis(20);
                let mut also = Vec::new();
                while let Ok(Some((k, f, s, _))) = tokio::time::timeout_at(until, c.next()).await {
                    if k == 0x1 {
                        seen.violations.fetch_add(1, Ordering::SeqCst);
                        if f & 0x1 != 0 {
                            also.push(s);
                        }
                    }
                }
                for s in std::iter::once(stream).chain(also) {
                    let mut out = frame(0x1, 0x4, s, &block);
                    out.extend(frame(0x0, 0x1, s, body.as_bytes()));
                    c.send(&out).await;
                }
            }
            Script::Fuzz => {
                // A different draw for every answer of the run, the same across runs.
                static DRAWS: AtomicU64 = AtomicU64::new(1);
                let mut seed =
                    0x9e37_79b9_7f4a_7c15u64 ^ DRAWS.fetch_add(1, Ordering::SeqCst) << 20;
                let mut next = move || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed
                };
                let mut out = Vec::new();
                for _ in 0..(1 + next() % 4) {
                    let r = next();
                    let kind = (r % 12) as u8;
                    let flags = (r >> 8) as u8;
                    let on = [0, stream, stream + 2, 2][(r >> 16) as usize % 4];
                    let len = (r >> 24) as usize % 40;
                    let payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                    out.extend(frame(kind, flags, on, &payload));
                }
                if next() % 3 == 0 {
                    out.extend(frame(0x1, 0x4, stream, &block));
                    out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                }
                c.send(&out).await;
            }
            _ => {
                let mut out = frame(0x1, 0x4, stream, &block);
                out.extend(frame(0x0, 0x1, stream, body.as_bytes()));
                c.send(&out).await;
            }
        }
    }
}

/// The answers to `streams`, last first: every head, then the bodies' DATA frames in 4-byte
/// pieces taken in turn; stream `s`'s body is `10 + 7 * s % 50` bytes long.
fn interleaved(streams: &[u32]) -> Vec<u8> {
    let bodies: Vec<(u32, Vec<u8>)> = streams
        .iter()
        .rev()
        .map(|&s| (s, vec![b'a' + (s % 26) as u8; 10 + (7 * s as usize) % 50]))
        .collect();
    let mut out = Vec::new();
    for (s, body) in &bodies {
        out.extend(frame(0x1, 0x4, *s, &head_block(body.len())));
    }
    let mut pieces: Vec<_> = bodies
        .iter()
        .map(|(s, b)| (*s, b.chunks(4).peekable()))
        .collect();
    while pieces.iter_mut().any(|(_, p)| p.peek().is_some()) {
        for (s, p) in pieces.iter_mut() {
            if let Some(piece) = p.next() {
                let end = if p.peek().is_none() { 0x1 } else { 0 };
                out.extend(frame(0x0, end, *s, piece));
            }
        }
    }
    out
}
