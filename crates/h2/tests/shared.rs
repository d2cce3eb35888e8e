//! Seats of one shared lean connection (`H2Shared`) polled by hand, each with a waker that
//! counts its wakes, so the order of events is fixed, against a scripted peer on a std
//! thread that records every frame the client sends and writes what the test tells it.
//! Every wait is for a condition (a frame seen, a wake counted), bounded at 5 s.

// A test may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use loadgen_engine::Outcome;
use loadgen_h2::hpack::put_field;
use loadgen_h2::{H2Link, H2Shared, Judge};
use loadgen_tls::ClientStream;
use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

struct Plain;
impl Judge for Plain {
    fn header(&mut self, _: &[u8], _: &[u8]) {}
    fn sees_headers(&self) -> bool {
        false
    }
    fn status(&mut self, _: u16) -> Result<(), Outcome> {
        Ok(())
    }
    fn needs_body(&self) -> bool {
        false
    }
    fn finish(&mut self, _: &[u8], _: bool) -> Outcome {
        Outcome::Success
    }
}

struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
fn counter() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (Arc::clone(&c), Waker::from(Arc::clone(&c)))
}
fn n(c: &Arc<Count>) -> usize {
    c.0.load(Ordering::SeqCst)
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

type Frames = Arc<Mutex<Vec<(u8, u8, u32, usize)>>>;

/// The peer's writer: what it is sent, it writes, then says so.
struct Writer {
    tx: mpsc::Sender<Vec<u8>>,
    written: mpsc::Receiver<()>,
}

impl Writer {
    /// Has the peer write `bytes` (on loopback they are then in our socket), then lets the
    /// runtime's reactor look at the socket once.
    async fn deliver(&self, bytes: Vec<u8>) {
        self.tx.send(bytes).unwrap();
        self.written.recv_timeout(Duration::from_secs(5)).unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A peer: records client frames, writes what its [`Writer`] is sent.
fn peer() -> (std::net::SocketAddr, Writer, Frames) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let (done, written) = mpsc::channel::<()>();
    let frames: Frames = Arc::default();
    let seen = Arc::clone(&frames);
    std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().unwrap();
        let mut r = tcp.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            let mut pre = false;
            loop {
                let k = match r.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => k,
                };
                buf.extend_from_slice(&chunk[..k]);
                if !pre && buf.len() >= 24 {
                    buf.drain(..24);
                    pre = true;
                }
                while pre && buf.len() >= 9 {
                    let len = (buf[0] as usize) << 16 | (buf[1] as usize) << 8 | buf[2] as usize;
                    if buf.len() < 9 + len {
                        break;
                    }
                    let f: Vec<u8> = buf.drain(..9 + len).collect();
                    let s = u32::from_be_bytes([f[5], f[6], f[7], f[8]]);
                    seen.lock().unwrap().push((f[3], f[4], s, len));
                }
            }
        });
        while let Ok(b) = rx.recv() {
            tcp.write_all(&b).unwrap();
            let _ = done.send(());
        }
    });
    (addr, Writer { tx, written }, frames)
}

fn ok(stream: u32) -> Vec<u8> {
    frame(0x1, 0x5, stream, &[0x88]) // :status 200, END_STREAM | END_HEADERS
}

/// Lets the runtime run (its reactor delivers readiness) until `done`, for at most 5 s.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited 5 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The frames the peer has seen of `kind`: (stream, length).
fn seen(frames: &Frames, kind: u8) -> Vec<(u32, usize)> {
    frames
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.0 == kind)
        .map(|f| (f.2, f.3))
        .collect()
}

fn get(out: &mut Vec<u8>) {
    put_field(out, b":method", b"GET");
    put_field(out, b":scheme", b"http");
    put_field(out, b":authority", b"localhost");
    put_field(out, b":path", b"/");
}

type Ex<'a> = Pin<Box<dyn Future<Output = Result<(Outcome, bool), Outcome>> + 'a>>;

fn ex<'a>(
    link: &'a mut H2Link,
    body: &'a [u8],
    sink: &'a mut (Vec<u8>, Option<tokio::time::Instant>, u16),
) -> Ex<'a> {
    let ready = link.render(false, move |out, _, _| {
        get(out);
        body
    });
    let (b, f, s) = sink;
    Box::pin(ready.exchange(Plain, b, 1 << 20, f, s))
}

fn poll(f: &mut Ex<'_>, w: &Waker) -> Poll<Result<(Outcome, bool), Outcome>> {
    f.as_mut().poll(&mut Context::from_waker(w))
}

async fn shared(addr: std::net::SocketAddr) -> H2Shared {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    H2Shared::open(ClientStream::Plain(tcp)).await.unwrap()
}

fn links(sh: &H2Shared, k: usize) -> Vec<H2Link> {
    (0..k)
        .map(|_| {
            let mut l = H2Link::new();
            l.join(sh.seat(Rc::new(())));
            l
        })
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The driver hands the socket to B; B reads its own answer before it parks and leaves: D,
/// still waiting, must be woken to watch the socket (before the mend nobody was, and D's
/// answer sat unread).
#[test]
fn the_socket_is_handed_on_until_every_waiting_seat_is_answered() {
    rt().block_on(async {
        let (addr, tx, frames) = peer();
        let sh = shared(addr).await;
        let mut ls = links(&sh, 3);
        let [la, lb, ld] = &mut ls[..] else { panic!() };
        let (mut sa, mut sb, mut sd) = Default::default();
        let (ca, wa) = counter();
        let (cb, wb) = counter();
        let (cd, wd) = counter();
        let mut fa = ex(la, &[], &mut sa);
        let mut fb = ex(lb, &[], &mut sb);
        let mut fd = ex(ld, &[], &mut sd);
        assert!(poll(&mut fa, &wa).is_pending()); // A opens stream 1 and yields to flush
        assert!(poll(&mut fb, &wb).is_pending());
        assert!(poll(&mut fd, &wd).is_pending());
        assert!(poll(&mut fa, &wa).is_pending()); // A writes 1, 3, 5 and drives
        until("three requests", || seen(&frames, 1).len() == 3).await;
        let heads: Vec<u32> = seen(&frames, 1).iter().map(|f| f.0).collect();
        assert_eq!(heads, [1, 3, 5], "in one write, in order");
        tx.deliver(ok(1)).await;
        until("A woken by its answer", || n(&ca) >= 1).await;
        assert!(poll(&mut fa, &wa).is_ready());
        drop(fa);
        assert!(n(&cb) >= 1, "B was handed the socket");
        // B's answer is in before B runs: B reads it at once and leaves without parking.
        tx.deliver(ok(3)).await;
        assert!(poll(&mut fb, &wb).is_ready());
        drop(fb);
        assert!(n(&cd) >= 1, "D was handed the socket when B left");
        let before = n(&cd);
        assert!(poll(&mut fd, &wd).is_pending()); // D parks as the driver
        tx.deliver(ok(5)).await;
        until("D woken by its answer", || n(&cd) > before).await;
        assert!(matches!(poll(&mut fd, &wd), Poll::Ready(Ok(_))));
    });
}

/// Two streams end in one read with the peer's limit at 2: both queued seats are woken.
#[test]
fn every_queued_seat_with_room_is_woken() {
    rt().block_on(async {
        let (addr, tx, frames) = peer();
        let sh = shared(addr).await;
        let mut ls = links(&sh, 4);
        // SETTINGS_MAX_CONCURRENT_STREAMS 2, taken in by the idle check.
        tx.deliver(frame(0x4, 0, 0, &[0, 3, 0, 0, 0, 2])).await;
        assert!(ls[0].is_open());
        let [la, lb, lc, ld] = &mut ls[..] else {
            panic!()
        };
        let (mut sa, mut sb, mut sc, mut sd) = Default::default();
        let (ca, wa) = counter();
        let (_cb, wb) = counter();
        let (cc, wc) = counter();
        let (cd, wd) = counter();
        let mut fa = ex(la, &[], &mut sa);
        let mut fb = ex(lb, &[], &mut sb);
        let mut fc = ex(lc, &[], &mut sc);
        let mut fd = ex(ld, &[], &mut sd);
        assert!(poll(&mut fa, &wa).is_pending());
        assert!(poll(&mut fb, &wb).is_pending());
        assert!(poll(&mut fc, &wc).is_pending()); // queued: the limit is 2
        assert!(poll(&mut fd, &wd).is_pending()); // queued
        assert!(poll(&mut fa, &wa).is_pending()); // writes 1 and 3
        until("two requests", || seen(&frames, 1).len() == 2).await;
        let mut both = ok(1);
        both.extend(ok(3));
        tx.deliver(both).await;
        until("A woken", || n(&ca) >= 1).await;
        assert!(poll(&mut fa, &wa).is_ready()); // reads both answers
        assert!(poll(&mut fb, &wb).is_ready());
        assert_eq!((n(&cc), n(&cd)), (1, 1), "both queued seats woken");
        assert!(poll(&mut fc, &wc).is_pending()); // opens stream 5
        assert!(poll(&mut fd, &wd).is_pending()); // opens stream 7
    });
}

/// An answer before the whole posted body went out: the rest is cancelled with
/// RST_STREAM(CANCEL), as on a VU's own connection.
#[test]
fn an_answer_before_the_body_is_sent_resets_the_stream() {
    rt().block_on(async {
        let (addr, tx, frames) = peer();
        let sh = shared(addr).await;
        let mut ls = links(&sh, 1);
        let big = vec![b'x'; 100_000];
        let mut s1 = Default::default();
        let (c, w) = counter();
        let mut f = ex(&mut ls[0], &big, &mut s1);
        assert!(poll(&mut f, &w).is_pending());
        assert!(poll(&mut f, &w).is_pending());
        let sent = || seen(&frames, 0).iter().map(|f| f.1).sum::<usize>();
        until("the first window of the body", || sent() == 65_535).await;
        tx.deliver(ok(1)).await;
        until("woken by the answer", || n(&c) >= 1).await;
        assert!(matches!(poll(&mut f, &w), Poll::Ready(Ok(_))));
        until("RST_STREAM(1)", || {
            seen(&frames, 3).iter().any(|r| r.0 == 1)
        })
        .await;
    });
}

/// Limit 1: a timed-out stream's RST_STREAM reaches the peer before the HEADERS of the
/// stream opened in its place.
#[test]
fn a_cancelled_streams_reset_goes_before_the_next_stream() {
    rt().block_on(async {
        let (addr, tx, frames) = peer();
        let sh = shared(addr).await;
        let mut ls = links(&sh, 2);
        // SETTINGS_MAX_CONCURRENT_STREAMS 1, taken in by the idle check.
        tx.deliver(frame(0x4, 0, 0, &[0, 3, 0, 0, 0, 1])).await;
        assert!(ls[0].is_open());
        let [la, lb] = &mut ls[..] else { panic!() };
        let (mut sa, mut sb) = Default::default();
        let (_c, w) = counter();
        {
            let mut f = ex(la, &[], &mut sa);
            let _ = poll(&mut f, &w);
            let _ = poll(&mut f, &w);
            until("stream 1", || seen(&frames, 1).len() == 1).await;
        } // dropped, as by a timeout
        let mut f = ex(lb, &[], &mut sb);
        let _ = poll(&mut f, &w);
        let _ = poll(&mut f, &w);
        until("stream 3", || seen(&frames, 1).len() == 2).await;
        let order: Vec<(u8, u32)> = frames
            .lock()
            .unwrap()
            .iter()
            .filter(|f| f.0 == 1 || f.0 == 3)
            .map(|f| (f.0, f.2))
            .collect();
        assert_eq!(order, [(1, 1), (3, 1), (1, 3)]);
    });
}
