//! A VU's connection: TCP (`TCP_NODELAY`), TLS for `rediss://` with the shared trust policy,
//! then `AUTH` and `SELECT` in one write — all within the connect timeout. Replies are read
//! into one buffer per connection and decoded by redis-rs's RESP codec.

use crate::classify::{classify, error_code, io_outcome};
use crate::config::RedisConfig;
use crate::error::RedisError;
use bytes::{Bytes, BytesMut};
use loadgen_engine::{Code, Outcome};
use redis::{Value, ValueCodec};
use rustls::pki_types::ServerName;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_util::codec::Decoder;

/// Room for a typical reply; the buffer grows for larger ones and is reused.
const READ_BUFFER: usize = 4 * 1024;

/// A fault, and the error prefix when the server said why (`WRONGPASS` at `AUTH`).
pub(crate) type Fault = (Outcome, Option<Code>);

/// How long opening a connection took, by phase.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Phases {
    /// The TCP connect plus the `AUTH`/`SELECT` exchange (the step's `connect` time).
    pub(crate) connect: Duration,
    /// The TLS handshake, for `rediss://` (recorded apart, as for HTTP).
    pub(crate) tls: Option<Duration>,
}

/// Everything needed to open connections, prepared once per workload.
pub(crate) struct Connector {
    addrs: Vec<SocketAddr>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// `AUTH` and `SELECT`, encoded once; none when neither is needed.
    hello: Option<(Bytes, usize)>,
    timeout: Duration,
}

impl Connector {
    /// Resolves the host (once, here: a storm of reconnects must not hit the resolver) and
    /// builds the TLS client.
    pub(crate) fn new(cfg: &RedisConfig) -> Result<Connector, RedisError> {
        let url = &cfg.url;
        let addrs = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|source| RedisError::Resolve {
                host: url.authority(),
                source,
            })?
            .collect();
        let tls = match url.tls {
            false => None,
            true => {
                let config = loadgen_tls::client_tls_config(&cfg.tls, &[])?;
                let name = ServerName::try_from(url.host.clone()).map_err(|_| RedisError::Url {
                    url: url.to_string(),
                    reason: "host is not a valid TLS server name",
                })?;
                Some((TlsConnector::from(Arc::new(config)), name))
            }
        };
        let mut hello = Vec::new();
        let mut n = 0;
        if let Some(p) = &url.password {
            let mut auth = redis::cmd("AUTH");
            if let Some(user) = &url.username {
                auth.arg(user.as_str());
            }
            auth.arg(p.expose());
            hello.extend_from_slice(&auth.get_packed_command());
            n += 1;
        }
        if url.db != 0 {
            hello.extend_from_slice(&redis::cmd("SELECT").arg(url.db).get_packed_command());
            n += 1;
        }
        Ok(Connector {
            addrs,
            tls,
            hello: (n > 0).then(|| (Bytes::from(hello), n)),
            timeout: cfg.connect_timeout,
        })
    }

    /// Opens one connection, set up and ready for commands.
    pub(crate) async fn connect(&self) -> Result<(Conn, Phases), Fault> {
        match tokio::time::timeout(self.timeout, self.open()).await {
            Ok(r) => r,
            Err(_) => Err((Outcome::Timeout, None)),
        }
    }

    async fn open(&self) -> Result<(Conn, Phases), Fault> {
        let start = Instant::now();
        let tcp = self
            .tcp()
            .await
            .map_err(|e| (io_outcome(&e, Outcome::Connect), None))?;
        let _ = tcp.set_nodelay(true);
        let mut phases = Phases {
            connect: start.elapsed(),
            tls: None,
        };
        let stream = match &self.tls {
            None => Stream::Plain(tcp),
            Some((connector, name)) => {
                let handshake = Instant::now();
                let tls = connector.connect(name.clone(), tcp).await.map_err(|e| {
                    let o = match io_outcome(&e, Outcome::Tls) {
                        Outcome::Timeout => Outcome::Timeout,
                        Outcome::Reset => Outcome::Reset,
                        _ => Outcome::Tls,
                    };
                    (o, None)
                })?;
                phases.tls = Some(handshake.elapsed());
                Stream::Tls(Box::new(tls))
            }
        };
        let hello_start = Instant::now();
        let mut conn = Conn {
            stream,
            rbuf: BytesMut::with_capacity(READ_BUFFER),
            codec: ValueCodec::default(),
        };
        if let Some((hello, n)) = &self.hello {
            conn.write(hello).await.map_err(|o| (o, None))?;
            for _ in 0..*n {
                match conn.read().await.map_err(|o| (o, None))? {
                    Value::ServerError(e) => return Err((classify(&e), Some(error_code(&e)))),
                    _ => continue,
                }
            }
        }
        phases.connect += hello_start.elapsed();
        Ok((conn, phases))
    }

    async fn tcp(&self) -> io::Result<TcpStream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// One open connection and its read buffer.
pub(crate) struct Conn {
    stream: Stream,
    rbuf: BytesMut,
    codec: ValueCodec,
}

impl Conn {
    /// Writes `buf` whole.
    pub(crate) async fn write(&mut self, buf: &[u8]) -> Result<(), Outcome> {
        let r = match &mut self.stream {
            Stream::Plain(s) => s.write_all(buf).await,
            Stream::Tls(s) => match s.write_all(buf).await {
                Ok(()) => s.flush().await,
                Err(e) => Err(e),
            },
        };
        r.map_err(|e| io_outcome(&e, Outcome::Reset))
    }

    /// Reads one reply (an error reply is a value: [`Value::ServerError`]).
    pub(crate) async fn read(&mut self) -> Result<Value, Outcome> {
        loop {
            match self.codec.decode(&mut self.rbuf) {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(_) => return Err(Outcome::Protocol),
            }
            self.rbuf.reserve(READ_BUFFER);
            let n = match &mut self.stream {
                Stream::Plain(s) => s.read_buf(&mut self.rbuf).await,
                Stream::Tls(s) => s.read_buf(&mut self.rbuf).await,
            }
            .map_err(|e| io_outcome(&e, Outcome::Reset))?;
            if n == 0 {
                return Err(Outcome::Reset);
            }
        }
    }
}
