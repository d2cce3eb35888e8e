//! Opening one connection: TCP (`TCP_NODELAY`), TLS as the URL's `sslmode` says, startup and
//! authentication — all within the connect timeout, every fault an outcome class.

use crate::classify::classify;
use crate::error::PgError;
use crate::tls::{RustlsConnect, TimedTls};
use crate::url::DbUrl;
use loadgen_engine::{Code, Outcome};
use loadgen_http::TlsOptions;
use std::cell::Cell;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_postgres::Client;

/// A failed connect: its class, and the SQLSTATE when the server refused (`53300`).
pub(crate) type Refused = (Outcome, Option<Code>);

/// An open connection: the client, and the task that drives its socket (aborted on drop).
pub(crate) struct Conn {
    pub(crate) client: Client,
    driver: JoinHandle<()>,
}

/// How long opening a connection took: `connect` (TCP, then the startup and authentication
/// exchange) and, apart, the TLS handshake.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    pub(crate) connect: Duration,
    pub(crate) tls: Option<Duration>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Everything needed to open connections, prepared once per workload.
pub(crate) struct Connector {
    config: tokio_postgres::Config,
    host: (String, u16),
    addrs: Vec<SocketAddr>,
    tls: RustlsConnect,
    timeout: Duration,
}

impl Connector {
    /// Resolves the host once (a storm of reconnects must not hit the resolver) and builds the
    /// TLS client. A name that does not resolve now (`loadgen validate` offline) is resolved
    /// again at each connect, where a failure is a `connect` outcome.
    pub(crate) fn new(
        url: &DbUrl,
        tls: &TlsOptions,
        timeout: Duration,
    ) -> Result<Connector, PgError> {
        let addrs: Vec<SocketAddr> = (url.host(), url.port())
            .to_socket_addrs()
            .map(|a| a.collect())
            .unwrap_or_default();
        Ok(Connector {
            config: url.config.clone(),
            host: (url.host().to_owned(), url.port()),
            addrs,
            tls: RustlsConnect::new(url.host(), tls)?,
            timeout,
        })
    }

    /// Opens one connection.
    pub(crate) async fn connect(&self) -> Result<(Conn, Opened), Refused> {
        match tokio::time::timeout(self.timeout, self.open()).await {
            Ok(r) => r,
            Err(_) => Err((Outcome::Timeout, None)),
        }
    }

    async fn open(&self) -> Result<(Conn, Opened), Refused> {
        let start = Instant::now();
        let tcp = match self.addrs.is_empty() {
            true => TcpStream::connect((self.host.0.as_str(), self.host.1)).await,
            false => TcpStream::connect(&self.addrs[..]).await,
        };
        let tcp = tcp.map_err(|e| match loadgen_http::classify_io(&e) {
            Outcome::Timeout => (Outcome::Timeout, None),
            _ => (Outcome::Connect, None),
        })?;
        // Nagle would hold each small message for the server's delayed ACK.
        let _ = tcp.set_nodelay(true);
        let took = Rc::new(Cell::new(None));
        let tls = TimedTls {
            inner: self.tls.clone(),
            took: took.clone(),
        };
        let (client, connection) =
            self.config
                .connect_raw(tcp, tls)
                .await
                .map_err(|e| match classify(&e) {
                    // tokio-postgres tells a server without TLS (under `sslmode=require`) only in
                    // its message; formatting it here costs nothing per query.
                    (Outcome::Protocol, None) if e.to_string().contains("TLS") => {
                        (Outcome::Tls, None)
                    }
                    // A connection the server closed during startup could not be opened.
                    (Outcome::Reset | Outcome::Protocol, code) => (Outcome::Connect, code),
                    other => other,
                })?;
        // The socket's own task; its error reaches the client as a closed connection, which
        // the next statement reports (`reset`).
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let tls = took.get();
        let connect = start.elapsed().saturating_sub(tls.unwrap_or_default());
        Ok((Conn { client, driver }, Opened { connect, tls }))
    }
}
