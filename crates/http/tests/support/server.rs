//! A small hyper server (HTTP/1.1 and h2c, optionally TLS) on 127.0.0.1:0, in a background
//! thread with its own multi-thread runtime. It counts connections and requests.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio_rustls::TlsAcceptor;

/// What the server saw.
#[derive(Default, Debug)]
pub struct Stats {
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    pub h2_requests: AtomicU64,
}

impl Stats {
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
    pub fn h2_requests(&self) -> u64 {
        self.h2_requests.load(Ordering::SeqCst)
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
}

impl Server {
    /// Plain TCP: HTTP/1.1 and h2c prior knowledge.
    pub fn start() -> Server {
        start(None)
    }

    /// TLS with `acceptor` (ALPN decides the version).
    pub fn start_tls(acceptor: TlsAcceptor) -> Server {
        start(Some(acceptor))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn start(tls: Option<TlsAcceptor>) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let st = stats.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                st.connections.fetch_add(1, Ordering::SeqCst);
                let (st, tls) = (st.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve(tcp, st).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                serve(stream, st).await
                            }
                        }
                    }
                });
            }
        });
    });
    Server { addr, stats }
}

async fn serve<IO>(io: IO, stats: Arc<Stats>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| handle(req, stats.clone()));
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

type Out = Response<BoxBody<Bytes, Infallible>>;

fn full(status: u16, body: impl Into<Bytes>) -> Out {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

async fn handle(req: Request<Incoming>, stats: Arc<Stats>) -> Result<Out, Infallible> {
    stats.requests.fetch_add(1, Ordering::SeqCst);
    if req.version() == http::Version::HTTP_2 {
        stats.h2_requests.fetch_add(1, Ordering::SeqCst);
    }
    let path = req.uri().path().to_owned();
    Ok(match path.as_str() {
        "/ok" => full(200, "hello world"),
        "/json" => {
            let mut r = full(
                201,
                r#"{"id":"p-1","status":"created","amount":12.5,"items":[{"n":1},{"n":2}]}"#,
            );
            r.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            r
        }
        "/set-cookie" => {
            let mut r = full(200, "set");
            r.headers_mut().insert(
                "set-cookie",
                "session=s1; Path=/; HttpOnly".parse().unwrap(),
            );
            r
        }
        // 200 only for a request carrying the cookie `/set-cookie` sets.
        "/need-cookie" => {
            let has = req
                .headers()
                .get_all("cookie")
                .iter()
                .any(|v| v.to_str().unwrap_or("").contains("session=s1"));
            full(if has { 200 } else { 401 }, "")
        }
        "/404" => full(404, "not found"),
        "/204" => full(204, ""),
        "/500" => full(500, "boom"),
        "/302" => full(302, ""),
        "/close" => {
            let mut r = full(200, "bye");
            r.headers_mut()
                .insert("connection", "close".parse().unwrap());
            r
        }
        "/chunked" => Response::new(Chunks::new(["part1-", "part2-", "end"], None).boxed()),
        // Trailers are sent only to a client that asked with `te: trailers`.
        "/trailers" => {
            let mut t = http::HeaderMap::new();
            t.insert("x-checksum", "abc".parse().unwrap());
            t.insert("x-count", "3".parse().unwrap());
            Response::new(Chunks::new(["one-", "two-", "three"], Some(t)).boxed())
        }
        // 3 MiB: more than an HTTP/2 client's stream window (2 MiB).
        "/big" => full(200, "x".repeat(3 << 20)),
        "/slow" => {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            full(200, "late")
        }
        _ if path.contains("/echo") => echo(req).await,
        _ => full(404, "no route"),
    })
}

/// Answers with what was received, as JSON.
async fn echo(req: Request<Incoming>) -> Out {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").into()))
        .collect();
    let doc = serde_json::json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "authority": parts.uri.authority().map(|a| a.as_str()),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    full(200, doc.to_string())
}

/// A body of several frames with no known length: sent chunked over HTTP/1.1, with
/// trailers when given.
struct Chunks(VecDeque<Bytes>, Option<http::HeaderMap>);

impl Chunks {
    fn new<const N: usize>(parts: [&'static str; N], trailers: Option<http::HeaderMap>) -> Self {
        Chunks(parts.into_iter().map(Bytes::from).collect(), trailers)
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(b) = self.0.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        Poll::Ready(self.1.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
