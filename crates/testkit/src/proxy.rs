//! A CONNECT proxy for tests, on 127.0.0.1: every tunnel goes to 127.0.0.1 at the port asked
//! for (so a name that resolves nowhere still reaches a loopback server), and the request
//! lines are kept for the test to check. Plain threads, stopped on drop.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A CONNECT proxy on 127.0.0.1: each tunnel goes to 127.0.0.1 at the requested port, and the
/// request lines are kept. Stopped on drop.
pub struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl ConnectProxy {
    /// Starts the proxy on a free port.
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start() -> ConnectProxy {
        Self::start_inner(None)
    }

    /// Starts a proxy that answers `407 Proxy Authentication Required` to any `CONNECT`
    /// without the header `Proxy-Authorization: {authorization}` (e.g. `Basic dXNlcjpwdw==`).
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start_with_authorization(authorization: &str) -> ConnectProxy {
        Self::start_inner(Some(authorization.to_owned()))
    }

    fn start_inner(authorization: Option<String>) -> ConnectProxy {
        let authorization = Arc::new(authorization);
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the test proxy");
        let port = listener.local_addr().expect("its address").port();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (Arc::clone(&seen), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            for client in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let log = Arc::clone(&log);
                let authorization = Arc::clone(&authorization);
                std::thread::spawn(move || tunnel(client, &log, authorization.as_deref()));
            }
        });
        ConnectProxy {
            port,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines received so far (`CONNECT host:port HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocked accept so the thread sees the flag and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>, authorization: Option<&str>) {
    let Ok(read_half) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut line = String::new();
    let mut authorized = authorization.is_none();
    while reader.read_line(&mut line).unwrap_or(0) > 2 {
        if let (Some(want), Some((name, value))) = (authorization, line.split_once(':')) {
            authorized |= name.eq_ignore_ascii_case("proxy-authorization") && value.trim() == want;
        }
        line.clear();
    }
    let first = first.trim_end().to_owned();
    if let Ok(mut log) = log.lock() {
        log.push(first.clone());
    }
    if !authorized {
        let _ = (&client).write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n",
        );
        return;
    }
    let port = first
        .split(' ')
        .nth(1)
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse::<u16>().ok());
    let (Some(port), true) = (port, first.starts_with("CONNECT ")) else {
        let _ =
            (&client).write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut up_r), Ok(mut down_w)) = (upstream.try_clone(), client.try_clone()) else {
        return;
    };
    let mut up_w = upstream;
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut down_w);
        let _ = down_w.shutdown(Shutdown::Write);
    });
    // What the client sent after the head may already sit in the reader's buffer.
    let _ = std::io::copy(&mut reader, &mut up_w);
    let _ = up_w.shutdown(Shutdown::Write);
    let _ = back.join();
}
