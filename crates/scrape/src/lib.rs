//! loadgen-scrape: the `--metrics-addr` Prometheus scrape endpoint, a small HTTP/1.1 server. Serves the latest exposition text
//! (replaced once per interval) at `/metrics`; one short-lived connection per scrape.
//!
//! Whoever can reach the port can connect, so connections are bounded like the worker's
//! control port bounds its set-up: each is served side by side on one small runtime thread,
//! has [`EXCHANGE_TIMEOUT`] for its whole exchange (request head in, answer out: a peer that
//! sends nothing or one byte at a time is closed then), and at most [`MAX_CONNECTIONS`] are
//! open; a new one past that closes the oldest, so peers holding connections open cannot
//! keep a scraper out, and the endpoint never holds more than that many descriptors.
//!
//! It must not know what the text says (`loadgen_report::prometheus` writes it, once per
//! interval) or anything of a run: it serves the latest text it was handed.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The text served; the run replaces it after every interval (not on the request path).
pub type Exposition = Arc<Mutex<String>>;

/// Most connections open at once; a new one past this closes the oldest.
pub const MAX_CONNECTIONS: usize = 64;
/// Time for one whole exchange: the request head in and the answer out.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest request head read.
const MAX_HEAD: usize = 8192;

/// Binds `addr` and serves scrapes from a background thread.
pub fn serve(addr: SocketAddr) -> std::io::Result<(SocketAddr, Exposition)> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let bound = std_listener.local_addr()?;
    let text: Exposition = Arc::new(Mutex::new(String::new()));
    let shared = text.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    std::thread::Builder::new()
        .name("loadgen-metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                let mut open: VecDeque<tokio::task::JoinHandle<()>> = VecDeque::new();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        // Out of descriptors or similar: back off rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    open.retain(|h| !h.is_finished());
                    while open.len() >= MAX_CONNECTIONS {
                        if let Some(oldest) = open.pop_front() {
                            oldest.abort();
                        }
                    }
                    let shared = shared.clone();
                    open.push_back(tokio::spawn(async move {
                        let _ =
                            tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(stream, &shared)).await;
                    }));
                }
            });
        })?;
    Ok((bound, text))
}

/// Reads one request head and answers it.
async fn exchange(mut stream: TcpStream, shared: &Exposition) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf).await? {
            0 => break,
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    let request = String::from_utf8_lossy(&head);
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = if path == "/metrics" || path.starts_with("/metrics?") {
        (
            "200 OK",
            shared.lock().map(|t| t.clone()).unwrap_or_default(),
        )
    } else {
        ("404 Not Found", "see /metrics\n".to_string())
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}
