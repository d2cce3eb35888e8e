//! `--metrics-addr`: a small Prometheus scrape endpoint. Serves the latest exposition text
//! (replaced once per interval) at `/metrics`; one short-lived connection per scrape.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The text served; the run replaces it after every interval (not on the request path).
pub type Exposition = Arc<Mutex<String>>;

/// Binds `addr` and serves scrapes from a background thread.
pub fn serve(addr: SocketAddr) -> std::io::Result<(SocketAddr, Exposition)> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    let text: Exposition = Arc::new(Mutex::new(String::new()));
    let shared = text.clone();
    std::thread::Builder::new().name("loadgen-metrics".into()).spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut head = Vec::with_capacity(512);
            let mut buf = [0u8; 512];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&head);
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = if path == "/metrics" || path.starts_with("/metrics?") {
                ("200 OK", shared.lock().map(|t| t.clone()).unwrap_or_default())
            } else {
                ("404 Not Found", "see /metrics\n".to_string())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    })?;
    Ok((bound, text))
}
