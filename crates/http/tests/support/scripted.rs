//! A TCP peer that answers every HTTP/1.1 request with scripted bytes, written in pieces (so
//! the client sees split reads), on 127.0.0.1:0 in a background thread. It records every
//! request it reads, byte for byte.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Decides the reply to each request (given its bytes).
type Script = Arc<dyn Fn(&[u8]) -> Reply + Send + Sync>;

/// What to send back for one request.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// Written one after the other, with a short pause between, so they arrive apart.
    pub pieces: Vec<Vec<u8>>,
    /// Close the connection after the last piece.
    pub close: bool,
    /// Then stay silent this long (a stall) before going on.
    pub stall: Option<Duration>,
}

impl Reply {
    /// One response in the given pieces, connection kept.
    pub fn pieces(pieces: &[&[u8]]) -> Reply {
        Reply {
            pieces: pieces.iter().map(|p| p.to_vec()).collect(),
            ..Reply::default()
        }
    }

    /// The same response, then the connection is closed.
    pub fn then_close(mut self) -> Reply {
        self.close = true;
        self
    }
}

/// What the peer saw.
#[derive(Default, Debug)]
pub struct Seen {
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    /// Every request, head and body, as received.
    pub wire: Mutex<Vec<Vec<u8>>>,
}

impl Seen {
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn wire(&self) -> Vec<Vec<u8>> {
        self.wire.lock().unwrap().clone()
    }
}

pub struct Scripted {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
}

impl Scripted {
    /// Answers every request with `reply(request_bytes)`.
    pub fn start(reply: impl Fn(&[u8]) -> Reply + Send + Sync + 'static) -> Scripted {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let (st, reply): (_, Script) = (seen.clone(), Arc::new(reply));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                loop {
                    if let Ok((tcp, _)) = listener.accept().await {
                        st.connections.fetch_add(1, Ordering::SeqCst);
                        tokio::spawn(serve(tcp, st.clone(), reply.clone()));
                    }
                }
            });
        });
        Scripted { addr, seen }
    }

    /// Answers every request with the same reply.
    pub fn always(reply: Reply) -> Scripted {
        Scripted::start(move |_| reply.clone())
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(mut tcp: TcpStream, seen: Arc<Seen>, reply: Script) {
    let _ = tcp.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some(len) = read_request(&mut tcp, &mut buf).await else {
            return;
        };
        let request: Vec<u8> = buf.drain(..len).collect();
        seen.requests.fetch_add(1, Ordering::SeqCst);
        seen.wire.lock().unwrap().push(request.clone());
        let r = reply(&request);
        for (i, piece) in r.pieces.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            if tcp.write_all(piece).await.is_err() {
                return;
            }
        }
        if let Some(d) = r.stall {
            tokio::time::sleep(d).await;
        }
        if r.close {
            return;
        }
    }
}

/// Reads until `buf` holds one whole request (head and `content-length` body); its length.
async fn read_request(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(head) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head_len = head + 4;
            let text = String::from_utf8_lossy(&buf[..head_len]).to_ascii_lowercase();
            let body = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= head_len + body {
                return Some(head_len + body);
            }
        }
        let mut chunk = [0u8; 4096];
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
