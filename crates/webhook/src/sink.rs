//! The callback sink: a small HTTP/1.1 server on loopback that receives the target's
//! asynchronous callbacks and hands each one's arrival instant to the VU waiting for it.
//!
//! A VU registers its correlation id before it sends the request (a callback may arrive
//! before the answer), then waits on a one-shot channel until its deadline. The registry is
//! split into shards, each a small mutex-guarded map, so VUs on different threads rarely
//! meet on the same lock; the lock is held for one map operation, never across an await.
//!
//! A callback is matched by its `x-correlation-id` header, or else by a `correlation_id`
//! field in its JSON body. Callbacks that match nothing (late, duplicated, unknown) are
//! answered 200 and counted in [`CallbackSink::unmatched`].

use crate::error::WebhookError;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use tokio::time::Instant;

const SHARDS: usize = 64;
/// Callback bodies larger than this are not searched for a correlation id.
const MAX_BODY: usize = 64 * 1024;
/// Header that carries the correlation id, both ways.
pub const CORRELATION_HEADER: &str = "x-correlation-id";
/// Header that tells the target where to call back.
pub const CALLBACK_URL_HEADER: &str = "x-callback-url";

type Waiter = oneshot::Sender<Instant>;

struct Registry {
    shards: Box<[Mutex<HashMap<u64, Waiter>>]>,
    received: AtomicU64,
    unmatched: AtomicU64,
}

impl Registry {
    fn shard(&self, id: u64) -> &Mutex<HashMap<u64, Waiter>> {
        &self.shards[(id as usize) % SHARDS]
    }

    fn take(&self, id: u64) -> Option<Waiter> {
        self.shard(id).lock().ok()?.remove(&id)
    }

    fn arrived(&self, id: Option<u64>, at: Instant) -> bool {
        self.received.fetch_add(1, Relaxed);
        let matched = id
            .and_then(|id| self.take(id))
            .is_some_and(|w| w.send(at).is_ok());
        if !matched {
            self.unmatched.fetch_add(1, Relaxed);
        }
        matched
    }
}

/// A running callback sink. Dropping it stops the server and joins its thread.
pub struct CallbackSink {
    addr: SocketAddr,
    registry: Arc<Registry>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CallbackSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackSink")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Formats a correlation id as it travels (`cb-` and 16 hex digits).
pub fn correlation_text(id: u64) -> String {
    format!("cb-{id:016x}")
}

/// Parses what [`correlation_text`] wrote.
pub fn parse_correlation(text: &str) -> Option<u64> {
    u64::from_str_radix(text.trim().strip_prefix("cb-")?, 16).ok()
}

impl CallbackSink {
    /// Starts a sink on `127.0.0.1` on a free port, in its own thread.
    pub fn start() -> Result<Self, WebhookError> {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(WebhookError::Sink)?;
        std_listener
            .set_nonblocking(true)
            .map_err(WebhookError::Sink)?;
        let addr = std_listener.local_addr().map_err(WebhookError::Sink)?;
        let registry = Arc::new(Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            received: AtomicU64::new(0),
            unmatched: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let reg = Arc::clone(&registry);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(WebhookError::Sink)?;
        let thread = std::thread::Builder::new()
            .name("callback-sink".into())
            .spawn(move || runtime.block_on(serve(std_listener, reg, stopped)))
            .map_err(WebhookError::Sink)?;
        Ok(CallbackSink {
            addr,
            registry,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a target calls back (`http://127.0.0.1:PORT/callback`).
    pub fn url(&self) -> String {
        format!("http://{}/callback", self.addr)
    }

    /// Callbacks received so far, matched or not.
    pub fn received(&self) -> u64 {
        self.registry.received.load(Relaxed)
    }

    /// Callbacks that matched no waiting request (late, duplicated or unknown).
    pub fn unmatched(&self) -> u64 {
        self.registry.unmatched.load(Relaxed)
    }

    /// Registers a wait for correlation id `id`; the receiver gets the arrival instant.
    pub fn register(&self, id: u64) -> oneshot::Receiver<Instant> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut shard) = self.registry.shard(id).lock() {
            shard.insert(id, tx);
        }
        rx
    }

    /// Gives up waiting for `id` (a later callback then counts as unmatched).
    pub fn forget(&self, id: u64) {
        let _ = self.registry.take(id);
    }
}

impl Drop for CallbackSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    registry: Arc<Registry>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            a = listener.accept() => a,
        };
        let Ok((tcp, _)) = accepted else {
            // EMFILE and friends: wait a moment instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let reg = Arc::clone(&registry);
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(Arc::clone(&reg), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

async fn handle(
    registry: Arc<Registry>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let at = Instant::now();
    let from_header = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_correlation);
    let body = Limited::new(req.into_body(), MAX_BODY).collect().await;
    let id = from_header.or_else(|| {
        let bytes = body.ok()?.to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        parse_correlation(v.get("correlation_id")?.as_str()?)
    });
    let matched = registry.arrived(id, at);
    let mut resp = Response::new(Full::new(Bytes::from_static(if matched {
        br#"{"matched":true}"#
    } else {
        br#"{"matched":false}"#
    })));
    *resp.status_mut() = StatusCode::OK;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_round_trip() {
        for id in [0, 1, u64::MAX, 0xdead_beef] {
            assert_eq!(parse_correlation(&correlation_text(id)), Some(id));
        }
        assert_eq!(parse_correlation("x-1"), None);
    }
}
