//! The dashboard's HTTP server: one page, one event stream, one control endpoint, on its own
//! thread and current-thread runtime, refusing everything else.
//!
//! # What it refuses, and how
//!
//! - Plain HTTP (loopback only): a `Host` that is not the loopback address it listens on
//!   (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`): 403, so a web page elsewhere cannot
//!   reach it through DNS rebinding.
//! - HTTPS (any address; TLS 1.3 with the fleet's certificates): the data needs the token
//!   too, so any `Host` may be named: the page itself is served empty without it, and the
//!   event stream without it (a `loadgen_token` cookie the page sets from the URL's fragment,
//!   or the `Authorization` header) is 401. A TLS handshake not done within 5 s: closed.
//! - An `Origin` other than its own: 403. It sends no CORS header, so no other site's script
//!   can read what it answers either.
//! - A control request without the token (`Authorization: Bearer …`, compared in constant
//!   time; never the cookie, which a browser would attach for another page): 401, and
//!   nothing changes.
//! - A 65th open connection: 503 at once. A request (head and body) over 16 KiB: 413. A head
//!   not complete within 5 s: the connection is closed.
//! - Anything but `GET /`, `GET /events` and `POST /control`: 404 or 405.

use crate::board::Shared;
use crate::token::Token;
use loadgen_engine::{Command, RunControl};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Most connections open at once (pages, event streams, control requests).
pub const MAX_CLIENTS: usize = 64;
/// Largest request, head and body together.
pub const MAX_REQUEST: usize = 16 * 1024;
/// Time to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

const PAGE: &str = include_str!("page.html");

/// What every connection shares.
pub(crate) struct Site {
    pub shared: Shared,
    pub events: broadcast::Sender<Arc<str>>,
    pub control: RunControl,
    pub token: Token,
    pub port: u16,
    /// Served over TLS: everything needs the token.
    pub tls: bool,
    pub open: AtomicUsize,
    pub closing: CancellationToken,
}

/// Accepts connections until `site.closing` fires (over TLS with `tls`).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    site: Arc<Site>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let accepted = tokio::select! {
            _ = site.closing.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((mut stream, peer)) = accepted else {
            // Out of descriptors or similar: back off rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if site.open.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            site.open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream
                .write_all(&answer(
                    503,
                    "text/plain",
                    "too many clients (at most 64)\n",
                ))
                .await;
            continue;
        }
        let site = site.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let closing = site.closing.clone();
            let serving = async {
                match tls {
                    None => connection(&mut stream, peer, &site).await,
                    Some(acceptor) => {
                        let handshake = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream));
                        if let Ok(Ok(mut tls)) = handshake.await {
                            connection(&mut tls, peer, &site).await;
                        }
                    }
                }
            };
            tokio::select! {
                _ = closing.cancelled() => {}
                _ = serving => {}
            }
            site.open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// A request as far as the dashboard reads one.
struct Request {
    method: String,
    path: String,
    host: Option<String>,
    origin: Option<String>,
    authorization: Option<String>,
    cookie: Option<String>,
    body: Vec<u8>,
}

impl Request {
    /// The token the request carries in `Authorization: Bearer …`.
    fn bearer(&self) -> &str {
        self.authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or_default()
    }

    /// The token the page put in its `loadgen_token` cookie.
    fn cookie_token(&self) -> &str {
        self.cookie
            .as_deref()
            .into_iter()
            .flat_map(|c| c.split(';'))
            .find_map(|kv| kv.trim().strip_prefix("loadgen_token="))
            .unwrap_or_default()
    }
}

/// Reads one request of at most [`MAX_REQUEST`] bytes; `Err(status)` when it is refused.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Request, u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() >= MAX_REQUEST {
            return Err(413);
        }
        let n = match tokio::time::timeout(HEAD_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Err(0),
        };
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(
        req.parse(&buf[..head_end]),
        Ok(httparse::Status::Complete(_))
    ) {
        return Err(400);
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(|s| s.trim().to_string())
    };
    let length: usize = match header("content-length") {
        Some(v) => v.parse().map_err(|_| 400u16)?,
        None => 0,
    };
    if head_end + length > MAX_REQUEST {
        return Err(413);
    }
    let mut r = Request {
        method: req.method.unwrap_or_default().to_string(),
        path: req.path.unwrap_or_default().to_string(),
        host: header("host"),
        origin: header("origin"),
        authorization: header("authorization"),
        cookie: header("cookie"),
        body: buf[head_end..].to_vec(),
    };
    while r.body.len() < length {
        let n = match tokio::time::timeout(HEAD_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Err(0),
        };
        r.body.extend_from_slice(&chunk[..n]);
    }
    r.body.truncate(length);
    Ok(r)
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    peer: SocketAddr,
    site: &Site,
) {
    let req = match read_request(stream).await {
        Ok(r) => r,
        Err(0) => return,
        Err(status) => {
            let _ = stream
                .write_all(&answer(status, "text/plain", "refused\n"))
                .await;
            return;
        }
    };
    let (host_ok, origin_ok) = if site.tls {
        // Nothing is shown without the token, so any name may lead here; an origin must
        // still be this very site.
        let host = req.host.as_deref().unwrap_or_default();
        let origin_ok = req
            .origin
            .as_deref()
            .is_none_or(|o| o.eq_ignore_ascii_case(&format!("https://{host}")));
        (!host.is_empty(), origin_ok)
    } else {
        let allowed = [
            format!("127.0.0.1:{}", site.port),
            format!("localhost:{}", site.port),
            format!("[::1]:{}", site.port),
        ];
        let host_ok = req
            .host
            .as_deref()
            .is_some_and(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h)));
        let origin_ok = req.origin.as_deref().is_none_or(|o| {
            allowed
                .iter()
                .any(|a| o.eq_ignore_ascii_case(&format!("http://{a}")))
        });
        (host_ok, origin_ok)
    };
    if !host_ok || !origin_ok {
        let _ = stream
            .write_all(&answer(403, "text/plain", "foreign host or origin\n"))
            .await;
        return;
    }
    let path = req.path.split('?').next().unwrap_or_default();
    let reply = match (req.method.as_str(), path) {
        // Over TLS, the page without the token is the empty shell: its script reads the
        // token from the fragment and asks for the data.
        ("GET", "/") if site.tls && !may_view(&req, site) => {
            answer(200, "text/html; charset=utf-8", PAGE)
        }
        ("GET", "/events") if site.tls && !may_view(&req, site) => {
            answer(401, "text/plain", "a valid token is required\n")
        }
        ("GET", "/") => {
            let hello = lock(site).hello();
            // `</` cannot close the script element the snapshot sits in.
            let page = PAGE
                .replace("/*CHARTS*/", loadgen_report::charts::JS)
                .replace("/*HELLO*/null", &hello.replace("</", "<\\/"));
            answer(200, "text/html; charset=utf-8", &page)
        }
        ("GET", "/events") => return events(stream, site).await,
        ("POST", "/control") => control(&req, peer, site),
        (_, "/" | "/events" | "/control") => answer(405, "text/plain", "method not allowed\n"),
        _ => answer(404, "text/plain", "not found\n"),
    };
    let _ = stream.write_all(&reply).await;
}

/// Whether `req` may see the run's data over TLS: the token as a header or the page's cookie.
fn may_view(req: &Request, site: &Site) -> bool {
    site.token.matches(req.bearer()) || site.token.matches(req.cookie_token())
}

fn lock(site: &Site) -> std::sync::MutexGuard<'_, crate::board::State> {
    site.shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The event stream: the snapshot so far, then every update until the run ends.
async fn events<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, site: &Site) {
    // Subscribe before the snapshot so nothing falls between the two.
    let mut rx = site.events.subscribe();
    let hello = lock(site).hello();
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n";
    let first = format!("{head}event: hello\ndata: {hello}\n\n");
    if stream.write_all(first.as_bytes()).await.is_err() {
        return;
    }
    // A page that falls behind (Lagged) is closed; its EventSource reconnects and gets a
    // fresh snapshot. A page that goes away frees its slot at once: its end of the
    // connection is watched too (it sends nothing more after its request).
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut scrap = [0u8; 256];
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Ok(msg) = msg else { return };
                if wr.write_all(msg.as_bytes()).await.is_err() {
                    return;
                }
            }
            n = rd.read(&mut scrap) => {
                if !matches!(n, Ok(n) if n > 0) {
                    return;
                }
            }
        }
    }
}

/// `POST /control` with the token and a command (`pause`, `resume`, `scale 2`, `vus 10`,
/// `stop`) as its body.
fn control(req: &Request, peer: SocketAddr, site: &Site) -> Vec<u8> {
    if !site.token.matches(req.bearer()) {
        return answer(401, "text/plain", "a valid token is required\n");
    }
    let text = String::from_utf8_lossy(&req.body);
    let command = match parse_command(text.trim()) {
        Ok(c) => c,
        Err(e) => return answer(400, "text/plain", &format!("{e}\n")),
    };
    match site.control.request(&format!("ctl {peer}"), command) {
        Ok(c) => answer(
            200,
            "text/plain",
            &format!("{} at {:.3}s\n", c.what, c.at.as_secs_f64()),
        ),
        Err(e) => answer(409, "text/plain", &format!("{e}\n")),
    }
}

/// Parses `pause`, `resume`, `scale F`, `vus N` or `stop`.
pub fn parse_command(s: &str) -> Result<Command, String> {
    s.parse()
}

fn answer(status: u16, kind: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let auth = if status == 401 {
        "www-authenticate: Bearer\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nx-frame-options: DENY\r\nreferrer-policy: no-referrer\r\ncontent-security-policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:\r\n{auth}connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
