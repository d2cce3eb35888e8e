//! Opening a VU's connection: resolve, TCP connect (`TCP_NODELAY`), TLS with ALPN, then the
//! HTTP/1.1 (hyper) or HTTP/2 (the `h2` crate) handshake. The connection task runs with `spawn_local` on the
//! VU's thread and is aborted when the [`Conn`] is dropped, so a dropped connection closes its
//! socket at once even with a request in flight.

use crate::base_url::BaseUrl;
use crate::classify::{classify, classify_h2_error};
use crate::config::{HostOverrides, HttpVersion};
use crate::error::HttpError;
use crate::proxy::Proxy;
use crate::reply::Reply;
use crate::tls;
use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use loadgen_engine::{Outcome, Setup};
use loadgen_tls::TlsOptions;
use rustls::pki_types::ServerName;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};
use tokio_rustls::TlsConnector;

/// One open HTTP connection (public so that other protocol crates, such as webhook
/// deliveries, share this crate's connect, TLS and HTTP/2 handling).
pub struct Conn {
    sender: Sender,
    /// Shared by every handle on an HTTP/2 connection; the last one dropped stops the
    /// connection task.
    driver: Rc<Driver>,
    /// Held while a VU uses a shared connection (the pool counts its users by these).
    _seat: Option<Rc<()>>,
}

struct Driver(JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    // The `h2` crate itself rather than hyper's HTTP/2 client: hyper spawns a task per
    // request to forward each response and wraps every stream; measured with callgrind that
    // was about a fifth of the client's instructions per request.
    H2(h2::client::SendRequest<Bytes>),
}

impl Conn {
    /// True when the connection speaks HTTP/2.
    pub fn is_h2(&self) -> bool {
        matches!(self.sender, Sender::H2(_))
    }

    /// Another handle on this HTTP/2 connection, holding `seat`: requests sent through
    /// either are concurrent streams of the one connection. `None` for HTTP/1.1.
    pub(crate) fn share_with_seat(&self, seat: Rc<()>) -> Option<Conn> {
        match &self.sender {
            Sender::H1(_) => None,
            Sender::H2(s) => Some(Conn {
                sender: Sender::H2(s.clone()),
                driver: Rc::clone(&self.driver),
                _seat: Some(seat),
            }),
        }
    }

    /// False once the connection task has ended (closed by either side, or failed).
    pub(crate) fn is_open(&self) -> bool {
        !self.driver.0.is_finished()
    }

    /// True when a request can be sent right now (the common case, checked without waiting).
    pub fn is_ready(&mut self) -> bool {
        match &mut self.sender {
            Sender::H1(s) => s.is_ready(),
            Sender::H2(s) => {
                let mut cx = Context::from_waker(Waker::noop());
                !self.driver.0.is_finished() && matches!(s.poll_ready(&mut cx), Poll::Ready(Ok(())))
            }
        }
    }

    /// Waits until the connection can take a request; false when it has been closed (by the
    /// peer, `Connection: close`, `GOAWAY`, or a failure).
    pub async fn ready(&mut self) -> bool {
        match &mut self.sender {
            Sender::H1(s) => !s.is_closed() && s.ready().await.is_ok(),
            Sender::H2(s) => {
                !self.driver.0.is_finished() && poll_fn(|cx| s.poll_ready(cx)).await.is_ok()
            }
        }
    }

    /// Sends a request; resolves when the response head has arrived.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Reply, Outcome> {
        match &mut self.sender {
            Sender::H1(s) => s
                .send_request(req)
                .await
                .map(Reply::h1)
                .map_err(|e| classify(&e)),
            Sender::H2(s) => {
                let (head, body) = req.into_parts();
                // A `Full` body is one frame, ready at once.
                let body = match body.collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(never) => match never {},
                };
                poll_fn(|cx| s.poll_ready(cx))
                    .await
                    .map_err(|e| classify_h2_error(&e))?;
                let mut head = Request::from_parts(head, ());
                // Connection-specific headers are not allowed in HTTP/2 (RFC 9113 8.2.2).
                strip_connection_headers(head.headers_mut());
                if !body.is_empty() {
                    head.headers_mut()
                        .entry(http::header::CONTENT_LENGTH)
                        .or_insert_with(|| http::HeaderValue::from(body.len()));
                }
                let (answer, mut stream) = s
                    .send_request(head, body.is_empty())
                    .map_err(|e| classify_h2_error(&e))?;
                if !body.is_empty() {
                    // Buffered by h2 beyond the peer's window and sent as it opens.
                    stream
                        .send_data(body, true)
                        .map_err(|e| classify_h2_error(&e))?;
                }
                let resp = answer.await.map_err(|e| classify_h2_error(&e))?;
                Ok(Reply::h2(resp))
            }
        }
    }
}

/// Removes the headers HTTP/2 forbids (a user's `connection: keep-alive` would otherwise
/// make the request malformed).
fn strip_connection_headers(headers: &mut http::HeaderMap) {
    use http::header::{CONNECTION, TE, TRANSFER_ENCODING, UPGRADE};
    for name in [CONNECTION, TRANSFER_ENCODING, UPGRADE] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    if headers.get(TE).is_some_and(|v| v != "trailers") {
        headers.remove(TE);
    }
}

/// How long opening a connection took: `connect` to the target (TCP, or the proxy's tunnel,
/// and the HTTP handshake), and the phases kept apart ([`Setup`]: the TLS handshake, the TCP
/// connect to a proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Everything but the phases in `setup`.
    pub connect: Duration,
    /// The TLS handshake and the TCP connect to a proxy, when there were any.
    pub setup: Setup,
}

impl Phases {
    /// The phases of a connection opened from `start` until now.
    pub fn since(start: Instant, setup: Setup) -> Phases {
        Phases {
            connect: start.elapsed().saturating_sub(setup.apart()),
            setup,
        }
    }
}

/// Knows how to open connections to one target.
pub struct Dialer {
    host: String,
    ip: Option<IpAddr>,
    port: u16,
    proxy: Option<Proxy>,
    version: HttpVersion,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Dialer {
    /// A dialer for `base`: TLS per `opts` when `https://`; a name in `hosts` connects to
    /// that address, still presenting and checking the name; with `proxy`, every connection
    /// is a `CONNECT` tunnel through it (to the `hosts` address when there is one).
    pub fn new(
        base: &BaseUrl,
        version: HttpVersion,
        opts: &TlsOptions,
        hosts: &HostOverrides,
        proxy: Option<&Proxy>,
    ) -> Result<Dialer, HttpError> {
        let tls = match base.is_tls() {
            true => Some(tls::connector(base, version, opts)?),
            false => None,
        };
        let ip = base
            .host()
            .parse()
            .ok()
            .or_else(|| hosts.get(&base.host().to_ascii_lowercase()).copied());
        Ok(Dialer {
            host: base.host().to_owned(),
            ip,
            port: base.port(),
            proxy: proxy.cloned(),
            version,
            tls,
        })
    }

    /// Opens a connection. Resolution and TCP failures are `Connect`, TLS handshake failures
    /// `Tls`; an HTTP/2 handshake failure is classified like any connection error.
    pub async fn dial(&self) -> Result<Conn, Outcome> {
        self.dial_timed().await.map(|(conn, _)| conn)
    }

    /// [`Dialer::dial`], also telling how long each phase took.
    pub async fn dial_timed(&self) -> Result<(Conn, Phases), Outcome> {
        let start = Instant::now();
        let (tcp, proxy_connect) = self.tcp().await.map_err(|_| Outcome::Connect)?;
        let (conn, tls) = match &self.tls {
            None => (
                handshake(tcp, self.version == HttpVersion::Http2).await?,
                None,
            ),
            Some((connector, name)) => {
                let tls_start = Instant::now();
                let stream = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|_| Outcome::Tls)?;
                let tls = tls_start.elapsed();
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                (handshake(stream, h2).await?, Some(tls))
            }
        };
        let setup = Setup { proxy_connect, tls };
        Ok((conn, Phases::since(start, setup)))
    }

    /// True when connections are TLS (`https://`).
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The TLS handshake over `tcp`, and its length: `Err(Tls)` when it fails (or when the
    /// target is not `https://`).
    pub(crate) async fn tls(
        &self,
        tcp: TcpStream,
    ) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, Duration), Outcome> {
        let (connector, name) = self.tls.as_ref().ok_or(Outcome::Tls)?;
        let start = Instant::now();
        let stream = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|_| Outcome::Tls)?;
        Ok((stream, start.elapsed()))
    }

    /// Resolves (each address in turn) and opens a TCP connection with `TCP_NODELAY`, or a
    /// tunnel through the proxy (then also the time the TCP connect to the proxy took).
    pub(crate) async fn tcp(&self) -> io::Result<(TcpStream, Option<Duration>)> {
        let (stream, proxy_connect) = match (&self.proxy, self.ip) {
            (Some(proxy), Some(ip)) => {
                let (s, p) = proxy.tunnel(&ip.to_string(), self.port).await?;
                (s, Some(p))
            }
            (Some(proxy), None) => {
                let (s, p) = proxy.tunnel(&self.host, self.port).await?;
                (s, Some(p))
            }
            (None, ip) => (self.direct(ip).await?, None),
        };
        stream.set_nodelay(true)?;
        Ok((stream, proxy_connect))
    }

    async fn direct(&self, ip: Option<IpAddr>) -> io::Result<TcpStream> {
        let stream = match ip {
            Some(ip) => TcpStream::connect(SocketAddr::new(ip, self.port)).await?,
            None => {
                // Try each resolved address in turn (`localhost` may list ::1 before 127.0.0.1).
                let mut last = io::Error::new(io::ErrorKind::NotFound, "name has no address");
                let mut found = None;
                for addr in tokio::net::lookup_host((self.host.as_str(), self.port)).await? {
                    match TcpStream::connect(addr).await {
                        Ok(s) => {
                            found = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                found.ok_or(last)?
            }
        };
        Ok(stream)
    }
}

pub(crate) async fn handshake<T>(io: T, h2: bool) -> Result<Conn, Outcome>
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let (sender, driver) = if h2 {
        let (sender, conn) = h2::client::Builder::new()
            // hyper's client windows: a large answer streams without waiting for updates.
            .initial_window_size(2 << 20)
            .initial_connection_window_size(5 << 20)
            .enable_push(false)
            .handshake(io)
            .await
            .map_err(|e| classify_h2_error(&e))?;
        (Sender::H2(sender), spawn(conn))
    } else {
        let io = TokioIo::new(io);
        let (sender, conn) = http1::handshake(io).await.map_err(|e| classify(&e))?;
        (Sender::H1(sender), spawn(conn))
    };
    Ok(Conn {
        sender,
        driver: Rc::new(Driver(driver)),
        _seat: None,
    })
}

/// Runs a connection task on the current thread's `LocalSet`; its error, if any, also reaches
/// the request that was in flight, which is where it is counted.
fn spawn<F: Future + 'static>(conn: F) -> JoinHandle<()> {
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    })
}
