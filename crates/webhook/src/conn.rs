//! One VU's connection for deliveries and callback requests, on the HTTP crate's
//! [`Dialer`](loadgen_http::Dialer): TCP, TLS (with ALPN) and HTTP/1.1 or HTTP/2 as the
//! workload's `[http]` settings say. Opened lazily, kept alive, dropped after any fault and
//! reopened by the next attempt; faults become engine outcomes through `loadgen_http::classify`.

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use loadgen_engine::{Outcome, Setup};
use loadgen_http::Dialer;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant};

/// What one exchange gave.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer {
    /// The status, or the fault class when no complete answer came.
    pub(crate) status: Result<u16, Outcome>,
    /// When the request went out (after any connect).
    pub(crate) sent: Instant,
    /// When the response head arrived.
    pub(crate) first_byte: Option<Instant>,
    /// When the body was read or the fault seen.
    pub(crate) done: Instant,
    /// Connect time, when this exchange opened the connection.
    pub(crate) connect: Option<Duration>,
}

impl Answer {
    /// A request that failed before anything was sent.
    pub(crate) fn failed(outcome: Outcome, connect: Option<Duration>) -> Self {
        let now = Instant::now();
        Answer {
            status: Err(outcome),
            sent: now,
            first_byte: None,
            done: now,
            connect,
        }
    }
}

/// A lazily opened connection to the target.
pub(crate) struct Conn {
    dialer: Arc<Dialer>,
    conn: Option<loadgen_http::Conn>,
    /// The set-up phases of the connection the last `open` made, until a step records them.
    pub(crate) setup: Setup,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Conn {
    pub(crate) fn new(
        dialer: Arc<Dialer>,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Self {
        Conn {
            dialer,
            conn: None,
            setup: Setup::default(),
            connect_timeout,
            request_timeout,
        }
    }

    /// Makes sure a usable connection is open: `Ok(Some(connect time))` when this call
    /// opened it, `Err(outcome)` when it could not.
    pub(crate) async fn open(&mut self) -> Result<Option<Duration>, Outcome> {
        if let Some(c) = &mut self.conn {
            if c.is_ready() || timeout(self.connect_timeout, c.ready()).await == Ok(true) {
                return Ok(None);
            }
            self.conn = None;
        }
        match timeout(self.connect_timeout, self.dialer.dial_timed()).await {
            Ok(Ok((c, phases))) => {
                self.conn = Some(c);
                self.setup = phases.setup;
                Ok(Some(phases.connect))
            }
            Ok(Err(outcome)) => Err(outcome),
            Err(_) => Err(Outcome::Timeout),
        }
    }

    /// True when the open connection speaks HTTP/2 (requests then carry an absolute URI).
    pub(crate) fn is_h2(&self) -> bool {
        self.conn.as_ref().is_some_and(loadgen_http::Conn::is_h2)
    }

    /// Sends `req` on the connection [`Conn::open`] made and reads the whole answer (its
    /// body is drained, not kept).
    pub(crate) async fn exchange(
        &mut self,
        req: Request<Full<Bytes>>,
        connect: Option<Duration>,
    ) -> Answer {
        let Some(conn) = self.conn.as_mut() else {
            return Answer::failed(Outcome::Connect, connect);
        };
        let sent = Instant::now();
        let mut first_byte = None;
        let result = timeout(self.request_timeout, async {
            let mut reply = conn.send(req).await?;
            first_byte = Some(Instant::now());
            let status = reply.head.status.as_u16();
            let close = reply
                .head
                .headers
                .get(http::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            while let Some(chunk) = reply.chunk().await {
                chunk?;
            }
            Ok::<_, Outcome>((status, close))
        })
        .await;
        let done = Instant::now();
        let status = match result {
            Ok(Ok((status, close))) => {
                if close {
                    self.conn = None;
                }
                Ok(status)
            }
            Ok(Err(outcome)) => {
                self.conn = None;
                Err(outcome)
            }
            Err(_) => {
                self.conn = None;
                Err(Outcome::Timeout)
            }
        };
        Answer {
            status,
            sent,
            first_byte,
            done,
            connect,
        }
    }
}
