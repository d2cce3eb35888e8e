//! Opening a VU's connection: resolve, TCP connect (`TCP_NODELAY`), TLS with ALPN, then the
//! hyper HTTP/1.1 or HTTP/2 handshake. The connection task runs with `spawn_local` on the
//! VU's thread and is aborted when the [`Conn`] is dropped, so a dropped connection closes its
//! socket at once even with a request in flight.

use crate::base_url::BaseUrl;
use crate::classify::classify;
use crate::config::{HostOverrides, HttpVersion};
use crate::error::HttpError;
use crate::proxy::Proxy;
use crate::tls;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use loadgen_engine::{Outcome, Setup};
use loadgen_tls::TlsOptions;
use rustls::pki_types::ServerName;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};
use tokio_rustls::TlsConnector;

/// One open HTTP connection (public so that other protocol crates, such as webhook
/// deliveries, share this crate's connect, TLS and HTTP/2 handling).
pub struct Conn {
    sender: Sender,
    driver: JoinHandle<()>,
}

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Conn {
    /// True when the connection speaks HTTP/2.
    pub fn is_h2(&self) -> bool {
        matches!(self.sender, Sender::H2(_))
    }

    /// True when a request can be sent right now (the common case, checked without waiting).
    pub fn is_ready(&self) -> bool {
        match &self.sender {
            Sender::H1(s) => s.is_ready(),
            Sender::H2(s) => s.is_ready(),
        }
    }

    /// Waits until the connection can take a request; false when it has been closed (by the
    /// peer, `Connection: close`, or a failure).
    pub async fn ready(&mut self) -> bool {
        match &mut self.sender {
            Sender::H1(s) => !s.is_closed() && s.ready().await.is_ok(),
            Sender::H2(s) => !s.is_closed() && s.ready().await.is_ok(),
        }
    }

    /// Sends a request; resolves when the response head has arrived.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> hyper::Result<Response<Incoming>> {
        match &mut self.sender {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
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

async fn handshake<T>(io: T, h2: bool) -> Result<Conn, Outcome>
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let io = TokioIo::new(io);
    let (sender, driver) = if h2 {
        let (sender, conn) = http2::handshake(LocalExec, io)
            .await
            .map_err(|e| classify(&e))?;
        (Sender::H2(sender), spawn(conn))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(|e| classify(&e))?;
        (Sender::H1(sender), spawn(conn))
    };
    Ok(Conn { sender, driver })
}

/// Runs a connection task on the current thread's `LocalSet`; its error, if any, also reaches
/// the request that was in flight, which is where it is counted.
fn spawn<F: Future + 'static>(conn: F) -> JoinHandle<()> {
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    })
}

/// hyper's HTTP/2 executor for stream tasks: the VU's thread, no `Send` needed.
#[derive(Clone, Copy)]
struct LocalExec;

impl<F: Future + 'static> hyper::rt::Executor<F> for LocalExec {
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}
