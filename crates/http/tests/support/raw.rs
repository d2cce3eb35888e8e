//! Misbehaving TCP peers, each on 127.0.0.1:0 in a background thread.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug)]
pub enum Raw {
    /// Reads the request, answers with bytes that are not HTTP.
    Garbage,
    /// Reads the request, then resets the connection (SO_LINGER 0).
    Reset,
    /// Reads the request, then closes without answering.
    Hangup,
    /// Accepts and never answers (nor completes a TLS handshake).
    Stall,
}

/// Starts a raw peer; returns its address.
pub fn start(kind: Raw) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                if let Ok((tcp, _)) = listener.accept().await {
                    tokio::spawn(misbehave(kind, tcp));
                }
            }
        });
    });
    addr
}

async fn misbehave(kind: Raw, mut tcp: TcpStream) {
    let mut buf = [0u8; 8192];
    if let Raw::Stall = kind {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return;
    }
    let _ = tcp.read(&mut buf).await;
    match kind {
        Raw::Garbage => {
            let _ = tcp
                .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http\r\n\r\n")
                .await;
            // Close only after the client has given up, so it reads the garbage, not a reset.
            while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        Raw::Reset => {
            let _ = tcp.set_zero_linger();
            drop(tcp);
        }
        Raw::Hangup | Raw::Stall => drop(tcp),
    }
}

/// A port nothing listens on: bound, then released.
pub fn refused() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}
