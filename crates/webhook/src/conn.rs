//! One VU's HTTP/1.1 connection for deliveries and callback requests: opened lazily, kept
//! alive, dropped after any fault and reopened by the next attempt. Faults become engine
//! outcomes through `loadgen_http::classify`, as in the HTTP crate.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use loadgen_engine::Outcome;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
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

/// A lazily opened HTTP/1.1 connection to one address.
pub(crate) struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Conn {
    pub(crate) fn new(
        addr: SocketAddr,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Self {
        Conn {
            addr,
            sender: None,
            connect_timeout,
            request_timeout,
        }
    }

    /// Sends `req` and reads the whole answer (its body is drained, not kept).
    pub(crate) async fn exchange(&mut self, req: Request<Full<Bytes>>) -> Answer {
        let mut connect = None;
        if let Some(s) = &mut self.sender {
            if !s.is_ready()
                && timeout(self.connect_timeout, s.ready())
                    .await
                    .map_or(true, |r| r.is_err())
            {
                self.sender = None;
            }
        }
        if self.sender.is_none() {
            let start = Instant::now();
            match timeout(self.connect_timeout, self.open()).await {
                Ok(Ok(s)) => {
                    connect = Some(start.elapsed());
                    self.sender = Some(s);
                }
                Ok(Err(outcome)) => return failed(outcome, connect),
                Err(_) => return failed(Outcome::Timeout, connect),
            }
        }
        let Some(sender) = self.sender.as_mut() else {
            return failed(Outcome::Connect, connect);
        };
        let sent = Instant::now();
        let mut first_byte = None;
        let result = timeout(self.request_timeout, async {
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| loadgen_http::classify(&e))?;
            first_byte = Some(Instant::now());
            let status = resp.status().as_u16();
            let close = resp
                .headers()
                .get(http::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            let mut body = resp.into_body();
            while let Some(frame) = body.frame().await {
                frame.map_err(|e| loadgen_http::classify(&e))?;
            }
            Ok::<_, Outcome>((status, close))
        })
        .await;
        let done = Instant::now();
        let status = match result {
            Ok(Ok((status, close))) => {
                if close {
                    self.sender = None;
                }
                Ok(status)
            }
            Ok(Err(outcome)) => {
                self.sender = None;
                Err(outcome)
            }
            Err(_) => {
                self.sender = None;
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

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>, Outcome> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Outcome::Connect)?;
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| loadgen_http::classify(&e))?;
        // Sessions run inside the engine's LocalSet.
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}

fn failed(outcome: Outcome, connect: Option<Duration>) -> Answer {
    let now = Instant::now();
    Answer {
        status: Err(outcome),
        sent: now,
        first_byte: None,
        done: now,
        connect,
    }
}
