//! Opening one connection: TCP (`TCP_NODELAY`), TLS as the URL's `sslmode` says, startup and
//! authentication — all within the connect timeout, every fault an outcome class — and driving
//! it.
//!
//! tokio-postgres splits a connection into a `Client` and a `Connection` future that does the
//! socket's I/O, meant to be spawned as a task of its own. Here it is not: the VU polls it on
//! its own task while it waits for the server ([`driven`]). A spawned driver costs each query
//! two more trips through the scheduler (the reply wakes the driver, which wakes the VU; the
//! VU's next query wakes the driver again) and an extra wake-up of the VU between a reply's
//! arrival and the next query's send, which on a server-bound select-only run is latency the
//! server waits for (docs/performance.md, PostgreSQL).

use crate::classify::classify;
use crate::error::PgError;
use crate::tls::PgTls;
use crate::tls::{RustlsConnect, TimedTls};
use crate::url::DbUrl;
use loadgen_engine::{Code, Outcome};
use loadgen_http::TlsOptions;
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_postgres::Client;

/// A failed connect: its class, and the SQLSTATE when the server refused (`53300`).
pub(crate) type Refused = (Outcome, Option<Code>);

/// The socket's side of a connection; `None` once it has ended (the client is then closed).
pub(crate) type Driver = Option<tokio_postgres::Connection<TcpStream, PgTls>>;

/// An open connection: the client, and its socket's side, driven by whoever awaits the
/// client ([`driven`]); dropping it closes the socket.
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) driver: Driver,
}

impl Conn {
    /// `call` on the client, the connection driven meanwhile.
    pub(crate) async fn call<'a, T, F: Future<Output = T> + 'a>(
        &'a mut self,
        call: impl FnOnce(&'a Client) -> F,
    ) -> T {
        let Conn { client, driver } = self;
        driven(driver, call(client)).await
    }

    /// Polls the connection once, without waiting: a close or a fatal message the server sent
    /// while the VU was idle (a terminated backend, a restart) ends it now, so the next step
    /// opens a new connection instead of sending on a dead one. With nothing to read this
    /// costs no system call (the socket's readiness is cached).
    pub(crate) async fn is_open(&mut self) -> bool {
        poll_fn(|cx| {
            if let Some(conn) = &mut self.driver {
                if Pin::new(conn).poll(cx).is_ready() {
                    self.driver = None;
                }
            }
            Poll::Ready(())
        })
        .await;
        self.driver.is_some() && !self.client.is_closed()
    }
}

/// Runs `fut`, which talks to the server through the connection's client, while polling the
/// connection on the same task: the connection writes what `fut` queued and hands over what
/// the server answered, and `fut` is polled again at once to take it — one wake-up per reply.
pub(crate) async fn driven<F: Future>(driver: &mut Driver, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        match driver {
            Some(conn) => {
                // Ended (closed, or a fatal error): dropping it fails what `fut` waits for.
                if Pin::new(conn).poll(cx).is_ready() {
                    *driver = None;
                }
                fut.as_mut().poll(cx)
            }
            // Nothing drives the client: its requests fail as closed.
            None => fut.as_mut().poll(cx),
        }
    })
    .await
}

/// How long opening a connection took: `connect` (TCP, then the startup and authentication
/// exchange) and, apart, the TLS handshake.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    pub(crate) connect: Duration,
    pub(crate) tls: Option<Duration>,
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
        let tls = took.get();
        let connect = start.elapsed().saturating_sub(tls.unwrap_or_default());
        let conn = Conn {
            client,
            driver: Some(connection),
        };
        Ok((conn, Opened { connect, tls }))
    }
}
