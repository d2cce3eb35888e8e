//! Paced connections (`loadgen_pace::set`): an answer waits for a tick, is timed by its
//! arrival, and a close is never lost, whether the connection is idle or mid-answer.
#![cfg(target_os = "linux")]

use super::tests::AnyStatus;
use super::*;
use loadgen_pace::set::Installed;
use std::io::{Read, Write};
use std::net::TcpStream as StdTcp;
use std::time::Duration;

const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";

/// Reads one request head from `tcp`; false when the client closed first.
fn read_request(tcp: &mut StdTcp) -> bool {
    let (mut got, mut buf) = (Vec::new(), [0u8; 1024]);
    while !got.ends_with(b"\r\n\r\n") {
        match tcp.read(&mut buf).unwrap() {
            0 => return false,
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// Runs `test` on a current-thread runtime with this thread's paced set installed, handing it
/// the set and a paced link to a server thread that runs `serve` on the accepted connection
/// (and the server's handle).
fn with_paced_link<S, T, F>(serve: S, test: T)
where
    S: FnOnce(StdTcp) + Send + 'static,
    T: FnOnce(Installed, H1Link, std::thread::JoinHandle<()>) -> F,
    F: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, async {
        let installed = Installed::on_this_thread().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || serve(listener.accept().unwrap().0));
        let mut link = H1Link::new().with_paced_reads(true);
        link.attach(TcpStream::connect(addr).await.unwrap());
        test(installed, link, server).await;
    });
}

/// One exchange of a GET on `link`, in a task of its own; gives the link back with the answer
/// and the first-byte instant.
type Exchanged = (Result<(Outcome, bool), Outcome>, Option<Instant>, H1Link);

fn spawn_exchange(mut link: H1Link) -> tokio::task::JoinHandle<Exchanged> {
    tokio::task::spawn_local(async move {
        let (mut body, mut first, mut status) = (Vec::new(), None, 0);
        let answer = link
            .ready(GET, false)
            .exchange(AnyStatus, &mut body, 0, &mut first, &mut status)
            .await;
        (answer, first, link)
    })
}

/// Ticks until `done` says so, letting other tasks run and pausing a millisecond between
/// ticks, for at most 2 s; whether it came to pass.
async fn tick_until(installed: &Installed, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..2_000 {
        if done() {
            return true;
        }
        installed.pacer().tick();
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// A paced connection's answer is not read when it arrives but at the next tick, and the
/// exchange is timed by when the kernel received it, which is before that tick.
#[test]
fn a_paced_answer_waits_for_a_tick_and_is_timed_by_its_arrival() {
    let (written, answered) = std::sync::mpsc::channel();
    let serve = move |mut tcp: StdTcp| {
        while read_request(&mut tcp) {
            tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .unwrap();
            written.send(()).unwrap();
        }
    };
    with_paced_link(serve, |installed, mut link, server| async move {
        // The kernel may leave the first segments after timestamps are switched on unstamped
        // (it switches them on in the background): exchange until one is.
        for _ in 0..50 {
            let exchange = spawn_exchange(link);
            while answered.try_recv().is_err() {
                tokio::task::yield_now().await;
            }
            // The answer is in the socket, and stays unread however often the task runs.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            // Loopback may hand the segment over a moment after the server's write returned
            // (the kernel's softirq thread): tick until the tick sees it.
            let tick = loop {
                assert!(!exchange.is_finished(), "read without a tick");
                let tick = Instant::now();
                if installed.pacer().tick() == 1 {
                    break tick;
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            let (answer, first, done) = exchange.await.unwrap();
            link = done;
            assert_eq!(answer, Ok((Outcome::Success, true)));
            let Some(arrived) = link.answered_at() else {
                continue;
            };
            assert!(arrived < tick, "timed when read, not when it arrived");
            assert_eq!(
                first,
                Some(arrived),
                "one read: the head's arrival is the end's"
            );
            drop(link);
            server.join().unwrap();
            return;
        }
        panic!("no answer in 50 was stamped by the kernel");
    });
}

/// A paced connection is not in tokio's reactor, so nobody but a tick sees the server close it
/// while it is idle; the dispatcher's next tick does, before it hands the VU an arrival, and
/// the VU reconnects instead of sending into a closed connection.
#[test]
fn a_paced_idle_connection_the_server_closed_is_seen_closed_after_a_tick() {
    let serve = |mut tcp: StdTcp| {
        assert!(read_request(&mut tcp));
        tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .unwrap();
        // Then closes the idle connection.
    };
    with_paced_link(serve, |installed, link, server| async move {
        let exchange = spawn_exchange(link);
        assert!(tick_until(&installed, || exchange.is_finished()).await);
        let (answer, _, mut link) = exchange.await.unwrap();
        assert_eq!(answer, Ok((Outcome::Success, true)));
        server.join().unwrap();
        // The server has closed its end; its FIN reaches the socket promptly on loopback.
        let closed = tick_until(&installed, || !link.is_open()).await;
        assert!(
            closed,
            "the closed connection still looks open after the ticks"
        );
    });
}

/// An answer whose body ends when the server closes, with the close arriving with the bytes:
/// one tick sees both, and the end of the stream must still be read (edge-triggered epoll
/// reports the close once; the paced set keeps it).
#[test]
fn a_paced_body_that_ends_with_the_close_is_read_to_its_end() {
    let serve = |mut tcp: StdTcp| {
        assert!(read_request(&mut tcp));
        // No length: the body ends with the connection.
        tcp.write_all(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
            .unwrap();
    };
    with_paced_link(serve, |installed, link, server| async move {
        let exchange = spawn_exchange(link);
        // Both the bytes and the close are in before the first tick looks (the exchange task
        // sends the request meanwhile).
        while !server.is_finished() {
            tokio::task::yield_now().await;
        }
        server.join().unwrap();
        let read = tick_until(&installed, || exchange.is_finished()).await;
        assert!(read, "the end of the stream was never read");
        let (answer, _, _) = exchange.await.unwrap();
        assert_eq!(answer, Ok((Outcome::Success, false)));
    });
}
