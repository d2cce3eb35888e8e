//! Opening one WebSocket: TCP (bound to a source address when asked), a `CONNECT` tunnel
//! when a proxy is set, TLS for `wss://`, the HTTP/1.1 upgrade — all within the connect timeout, every fault an [`Outcome`].

use crate::config::WsConfig;
use crate::error::WsError;
use loadgen_engine::{Outcome, Setup};
use loadgen_tls::ClientStream as Conn;
use rustls::pki_types::ServerName;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as TError;
use tokio_tungstenite::WebSocketStream;

/// Per-connection buffers. tungstenite's defaults allocate a 128 KiB read buffer per socket
/// up front; a few KiB keep 15,000+ idle connections cheap, and larger messages still fit
/// (the buffer grows to the frame size and shrinks back as it is consumed).
const READ_BUFFER: usize = 4 * 1024;
/// Write each message at once (no batching buffer kept per connection).
const WRITE_BUFFER: usize = 0;

/// Everything needed to open connections, prepared once per workload.
pub(crate) struct Connector {
    addrs: Vec<SocketAddr>,
    /// With a proxy, `addrs` are the proxy's and this is the `CONNECT` destination.
    tunnel_to: Option<(loadgen_http::Proxy, String, u16)>,
    sources: Vec<IpAddr>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    request: Request,
    ws_config: WebSocketConfig,
    timeout: std::time::Duration,
}

impl Connector {
    /// Resolves the host (once, here: a storm of connects must not hit the resolver) and
    /// builds the TLS client and the upgrade request.
    pub(crate) fn new(cfg: &WsConfig) -> Result<Connector, WsError> {
        let pinned = cfg.hosts.get(&cfg.url.host.to_ascii_lowercase());
        // Through a proxy: connect to it, and ask for the `hosts` address or the name.
        let tunnel_to = cfg.proxy.as_ref().map(|proxy| {
            let host = pinned.map_or_else(|| cfg.url.host.clone(), |ip| ip.to_string());
            (proxy.clone(), host, cfg.url.port)
        });
        let (host, port, pinned) = match &cfg.proxy {
            Some(p) => (p.host(), p.port(), None),
            None => (cfg.url.host.as_str(), cfg.url.port, pinned),
        };
        let addrs: Vec<SocketAddr> = match pinned {
            Some(ip) => vec![SocketAddr::new(*ip, port)],
            None => (host, port)
                .to_socket_addrs()
                .map_err(|source| WsError::Resolve {
                    host: cfg
                        .proxy
                        .as_ref()
                        .map_or_else(|| cfg.url.authority(), |p| p.authority()),
                    source,
                })?
                .collect(),
        };
        let tls = match cfg.url.tls {
            true => Some(crate::tls::connector(&cfg.url.host, &cfg.tls)?),
            false => None,
        };
        let bad_url = |_| WsError::Url {
            url: cfg.url.to_string(),
            reason: "not a valid request URI",
        };
        let mut request = cfg.url.to_string().into_client_request().map_err(bad_url)?;
        let headers = request.headers_mut();
        for (k, v) in &cfg.headers {
            let bad = || WsError::Header(k.clone());
            headers.insert(
                HeaderName::try_from(k.as_str()).map_err(|_| bad())?,
                HeaderValue::try_from(v.as_str()).map_err(|_| bad())?,
            );
        }
        if !cfg.subprotocols.is_empty() {
            let list = cfg.subprotocols.join(", ");
            let v = HeaderValue::try_from(list.as_str())
                .map_err(|_| WsError::Header("Sec-WebSocket-Protocol".into()))?;
            headers.insert("sec-websocket-protocol", v);
        }
        Ok(Connector {
            addrs,
            tunnel_to,
            sources: cfg.source_addrs.clone(),
            tls,
            request,
            ws_config: WebSocketConfig::default()
                .read_buffer_size(READ_BUFFER)
                .write_buffer_size(WRITE_BUFFER),
            timeout: cfg.connect_timeout,
        })
    }

    /// Opens one connection for VU `vu` (which picks the source address); also tells how long
    /// the phases kept apart from the connect time took (the TLS handshake, the TCP connect to
    /// a proxy).
    pub(crate) async fn connect(&self, vu: u64) -> Result<(WebSocketStream<Conn>, Setup), Outcome> {
        match tokio::time::timeout(self.timeout, self.open(vu)).await {
            Ok(r) => r,
            Err(_) => Err(Outcome::Timeout),
        }
    }

    async fn open(&self, vu: u64) -> Result<(WebSocketStream<Conn>, Setup), Outcome> {
        let mut setup = Setup::default();
        let tcp_start = Instant::now();
        let mut tcp = self
            .tcp(vu)
            .await
            .map_err(|e| io_outcome(&e, Outcome::Connect))?;
        if let Some((proxy, host, port)) = &self.tunnel_to {
            setup.proxy_connect = Some(tcp_start.elapsed());
            // A refused tunnel is a connection that could not be opened.
            proxy
                .handshake(&mut tcp, host, *port)
                .await
                .map_err(|e| io_outcome(&e, Outcome::Connect))?;
        }
        let _ = tcp.set_nodelay(true);
        let conn = match &self.tls {
            None => Conn::Plain(tcp),
            Some((connector, name)) => {
                let tls_start = Instant::now();
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| tls_outcome(&e))?;
                setup.tls = Some(tls_start.elapsed());
                Conn::Tls(Box::new(tls))
            }
        };
        // A fresh key per connection: the request is cloned, the key replaced.
        let mut request = self.request.clone();
        request.headers_mut().insert(
            "sec-websocket-key",
            HeaderValue::try_from(
                tokio_tungstenite::tungstenite::handshake::client::generate_key(),
            )
            .map_err(|_| Outcome::Protocol)?,
        );
        let (ws, _response) =
            tokio_tungstenite::client_async_with_config(request, conn, Some(self.ws_config))
                .await
                .map_err(|e| handshake_outcome(&e))?;
        Ok((ws, setup))
    }

    async fn tcp(&self, vu: u64) -> io::Result<TcpStream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in &self.addrs {
            let socket = match addr {
                SocketAddr::V4(_) => TcpSocket::new_v4()?,
                SocketAddr::V6(_) => TcpSocket::new_v6()?,
            };
            let source = (!self.sources.is_empty())
                .then(|| self.sources[(vu % self.sources.len() as u64) as usize]);
            if let Some(ip) = source.filter(|ip| ip.is_ipv4() == addr.is_ipv4()) {
                socket.bind(SocketAddr::new(ip, 0))?;
            }
            match socket.connect(*addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// An I/O failure as an outcome; `otherwise` for kinds that are not resets or timeouts.
pub(crate) fn io_outcome(e: &io::Error, otherwise: Outcome) -> Outcome {
    use io::ErrorKind::*;
    match e.kind() {
        TimedOut => Outcome::Timeout,
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => Outcome::Reset,
        InvalidData => Outcome::Tls,
        _ => otherwise,
    }
}

fn tls_outcome(e: &io::Error) -> Outcome {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => Outcome::Reset,
        io::ErrorKind::TimedOut => Outcome::Timeout,
        _ => Outcome::Tls,
    }
}

/// A failed upgrade: a refusing status by its class, a cut connection as a reset, anything
/// else the server said as a protocol error.
pub(crate) fn handshake_outcome(e: &TError) -> Outcome {
    match e {
        TError::Http(resp) => match resp.status().as_u16() {
            400..=499 => Outcome::Http4xx,
            500..=599 => Outcome::Http5xx,
            _ => Outcome::HttpOther,
        },
        TError::Io(io) => io_outcome(io, Outcome::Reset),
        TError::Tls(_) => Outcome::Tls,
        TError::ConnectionClosed | TError::AlreadyClosed => Outcome::Reset,
        _ => Outcome::Protocol,
    }
}
