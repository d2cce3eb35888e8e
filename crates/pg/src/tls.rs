//! TLS for PostgreSQL connections: tokio-postgres's `TlsConnect` on tokio-rustls, with the
//! trust policy every loadgen protocol shares (`loadgen-tls`: roots, CA file, client identity,
//! lowest version, or `insecure`).

use crate::error::PgError;
use loadgen_http::{client_tls_config, TlsOptions};
use rustls::pki_types::ServerName;
use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_postgres::tls::{ChannelBinding, TlsConnect};
use tokio_rustls::TlsConnector;

/// A handshake that failed, told apart from other errors by its type (the `tls` outcome).
#[derive(Debug, thiserror::Error)]
#[error("TLS handshake: {0}")]
pub(crate) struct HandshakeFailed(pub(crate) io::Error);

/// Makes the TLS client for one database host, once per workload.
#[derive(Clone)]
pub(crate) struct RustlsConnect {
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl RustlsConnect {
    pub(crate) fn new(host: &str, opts: &TlsOptions) -> Result<Self, PgError> {
        // PostgreSQL negotiates TLS itself (SSLRequest); ALPN `postgresql` is for direct TLS.
        let config = client_tls_config(opts, &[b"postgresql"])?;
        let name =
            ServerName::try_from(host.to_owned()).map_err(|_| PgError::ServerName(host.into()))?;
        Ok(RustlsConnect {
            connector: TlsConnector::from(Arc::new(config)),
            name,
        })
    }
}

/// [`RustlsConnect`] for one connection, keeping how long its handshake took (the TLS phase,
/// apart from the TCP connect and the authentication).
pub(crate) struct TimedTls {
    pub(crate) inner: RustlsConnect,
    pub(crate) took: Rc<Cell<Option<Duration>>>,
}

impl TlsConnect<TcpStream> for TimedTls {
    type Stream = PgTls;
    type Error = HandshakeFailed;
    type Future = Pin<Box<dyn Future<Output = Result<PgTls, HandshakeFailed>>>>;

    fn connect(self, stream: TcpStream) -> Self::Future {
        Box::pin(async move {
            let start = Instant::now();
            let tls = self
                .inner
                .connector
                .connect(self.inner.name, stream)
                .await
                .map(|s| PgTls(Box::new(s)))
                .map_err(HandshakeFailed);
            self.took.set(Some(start.elapsed()));
            tls
        })
    }
}

/// A TLS connection to the server (boxed: the rustls state is large and moves little).
pub struct PgTls(Box<tokio_rustls::client::TlsStream<TcpStream>>);

impl tokio_postgres::tls::TlsStream for PgTls {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM without channel binding (the server's default accepts it).
        ChannelBinding::none()
    }
}

impl AsyncRead for PgTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PgTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}
