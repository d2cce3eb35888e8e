//! The fast path for requests another crate encodes itself (signed webhook deliveries): the
//! caller writes the whole HTTP/1.1 request (head and body) into the link's reused buffer,
//! and [`RawLink::exchange`] sends it and reads the answer exactly as a step of the fast path
//! does: same connection rules, readiness check, timeouts, framing and faults.
//!
//! The caller owns the bytes and so the rules of what it sends; it must leave the framing to
//! this path (a `content-length` for a body, no `transfer-encoding`, `connection` or `upgrade`
//! header: [`leaves_framing_to_hyper`] names the headers that take hyper's path instead).

use super::Exchange;
use crate::base_url::BaseUrl;
use crate::config::HttpVersion;
use crate::connect::{Dialer, Phases};
use crate::deadline::Deadline;
use crate::expect::Expect;
use http::HeaderName;
use loadgen_engine::{Outcome, Setup};
use loadgen_h1::H1Link;
use std::pin::pin;
use tokio::time::{timeout, Duration, Instant};

/// A write buffer grown past this is given back after the request.
const KEEP_CAPACITY: usize = 64 << 10;

/// True when a request to `base` over `version` can take the fast path: plain `http://`
/// and HTTP/1.1 (the rule the HTTP workloads' fast path follows too).
pub fn applies(base: &BaseUrl, version: HttpVersion) -> bool {
    !base.is_tls() && version == HttpVersion::Http1
}

/// True for a header whose meaning is the message framing (`content-length`,
/// `transfer-encoding`, `connection`, `upgrade`): a request that sets one takes hyper's path.
pub fn leaves_framing_to_hyper(name: &HeaderName) -> bool {
    super::encode::frames_the_message(name)
}

/// What one exchange gave.
#[derive(Debug, Clone, Copy)]
pub struct RawAnswer {
    /// The status of a complete answer, or the fault class when none came.
    pub status: Result<u16, Outcome>,
    /// When the request went out.
    pub sent: Instant,
    /// When the final response head was parsed.
    pub first_byte: Option<Instant>,
    /// When the body was read, or the fault seen.
    pub done: Instant,
}

/// One VU's fast-path connection, its request buffer and its deadline timer.
pub struct RawLink {
    link: H1Link,
    request: Vec<u8>,
    deadline: Deadline,
    /// Nothing but the status is judged here: the caller judges the status itself.
    expect: Expect,
    /// Never filled (no body check), but the exchange wants somewhere to put a body.
    body: Vec<u8>,
}

impl Default for RawLink {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for RawLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawLink").finish_non_exhaustive()
    }
}

impl RawLink {
    /// No connection yet; buffers grow on first use.
    pub fn new() -> Self {
        RawLink {
            link: H1Link::new(),
            request: Vec::new(),
            deadline: Deadline::default(),
            expect: Expect::default(),
            body: Vec::new(),
        }
    }

    /// Makes sure a live connection is open: `Ok(None)` when the kept one is fine,
    /// `Ok(Some(phases))` when this call opened one (TCP, or a proxy's `CONNECT` tunnel),
    /// `Err(Connect | Timeout)` when it could not.
    pub async fn open(
        &mut self,
        dialer: &Dialer,
        connect_timeout: Duration,
    ) -> Result<Option<Phases>, Outcome> {
        if self.link.is_open() {
            return Ok(None);
        }
        let start = Instant::now();
        match timeout(connect_timeout, dialer.tcp()).await {
            Ok(Ok((tcp, proxy_connect))) => {
                self.link.attach(tcp);
                let setup = Setup {
                    proxy_connect,
                    tls: None,
                };
                Ok(Some(Phases::since(start, setup)))
            }
            Ok(Err(_)) => Err(Outcome::Connect),
            Err(_elapsed) => Err(Outcome::Timeout),
        }
    }

    /// The request buffer, emptied: write the whole request (head and body) into it.
    pub fn request(&mut self) -> &mut Vec<u8> {
        self.request.clear();
        &mut self.request
    }

    /// Sends the request in [`RawLink::request`] on the connection [`RawLink::open`] made
    /// and reads the whole answer (its body drained, not kept), all within `request_timeout`.
    /// Any fault, and an answer that ends the connection, closes it; the next `open`
    /// reconnects.
    pub async fn exchange(&mut self, request_timeout: Duration, is_head: bool) -> RawAnswer {
        let sent = Instant::now();
        let mut first_byte = None;
        let mut status = 0;
        let exchanged = {
            let ready = self.link.ready(&self.request, is_head);
            let mut nothing = ();
            // The step's exchange (judged by `Expect` through the fast paths' `Verdict`), not
            // the link's own, which wants a `Judge`.
            let exchange = pin!(Exchange::exchange(
                ready,
                &mut nothing,
                &self.expect,
                None,
                &mut self.body,
                0,
                &mut first_byte,
                &mut status,
            ));
            self.deadline.run(sent + request_timeout, exchange).await
        };
        let done = Instant::now();
        let status = match exchanged {
            Some(Ok((_, keep))) => {
                if !keep {
                    self.link.close();
                }
                Ok(status)
            }
            Some(Err(outcome)) => {
                self.link.close();
                Err(outcome)
            }
            None => {
                self.link.close();
                Err(Outcome::Timeout)
            }
        };
        self.link.trim();
        if self.request.capacity() > KEEP_CAPACITY {
            self.request = Vec::new();
        }
        RawAnswer {
            status,
            sent,
            first_byte,
            done,
        }
    }
}
