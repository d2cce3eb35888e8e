//! The pre-encoded HTTP/1.1 fast path: plain TCP, requests written as pre-built bytes,
//! responses parsed with `httparse` from a read buffer the worker thread lends per answer.
//!
//! hyper builds a header map and header names for every request and response, allocates a
//! handful of times per exchange and hops between the session and its connection task. For
//! the common load-test case — plain `http://`, HTTP/1.1, one request at a time per
//! connection — none of that is needed. This module does the same exchange with:
//!
//! * **Pre-encoded requests.** Each step's request line and headers are encoded once, when
//!   the factory is built, in the exact bytes hyper would send (same header order, lower-case
//!   names, `content-length` only for a non-empty body). A step with no placeholders is one
//!   [`Bytes`](bytes::Bytes) written as is; otherwise only the templated parts are rendered
//!   per request, into a per-VU buffer, consuming the VU's random generator in the same order
//!   as the hyper path (path, body, headers).
//! * **One write** per request on a `TCP_NODELAY` tokio `TcpStream`.
//! * **`httparse` responses** read into a buffer lent by the thread's small pool once the
//!   answer is readable and given back when it is read (8 KiB, grown for a large head or a
//!   large body; a VU holds none while it waits, so memory does not grow with connections).
//!   Headers are looked at once, never copied.
//!
//! What the wire handles and refuses, and where it differs from hyper, is in
//! [`loadgen_h1`], which owns it ([`H1Link`]); this module owns what that crate must not
//! know: which factories take the path (`plan`), each step pre-encoded, and judging each
//! answer against the step's `Expect` and captures (`Verdict`).
//!
//! # When hyper is used instead
//!
//! The fast path is chosen per factory, for every step, when all of these hold: the
//! [`ClientConfig::fast_path`](crate::ClientConfig::fast_path) switch is on (the default),
//! the base URL is `http://`, the version is HTTP/1.1, and no step needs hyper's handling of
//! the request framing — no `CONNECT` method, no `content-length`, `transfer-encoding`,
//! `connection` or `upgrade` header among the default or step headers, and no `#` in a
//! request target (hyper drops the fragment), no cookie jar (`[http] cookies = true`) and no
//! step following redirects. TLS and those workloads use hyper; HTTP/2 takes the lean
//! HTTP/2 path ([`h2`], the same design for a VU's own HTTP/2 connection) or the `h2` crate.
//!
//! # Journeys
//!
//! A journey's steps render the iteration's captures into the templated parts (escaped for
//! their place, as on hyper's path) and fill their own captures from the answer without a
//! copy of the head or a document of the body: each header of the final head is offered to
//! the header and cookie captures while it is parsed (the first match kept in a per-VU
//! buffer), and the body, kept in the per-VU body buffer, is scanned once per JSON capture
//! (`loadgen_h1::json`) or searched by the capture's regex. Values go into the VU's reused
//! capture buffers only once the answer is judged a success.
//!
//! # Requests encoded elsewhere
//!
//! [`RawLink`] is the same connection and exchange for a request another crate writes itself
//! (signed webhook deliveries: `loadgen-webhook` lays each delivery's head out once and writes
//! the signature into it per attempt). The same rules of [`applies`] hold, and the caller
//! leaves the framing headers to hyper ([`leaves_framing_to_hyper`]).
//!
//! # Timings and faults
//!
//! As on the hyper path: `connect_timeout` bounds opening the connection, `request_timeout`
//! bounds the write, the response head and the whole body; `first_byte` is taken when the
//! final (non-1xx) head has been parsed, `done` when the body is complete. I/O errors are
//! classified by [`classify_io`](crate::classify_io), an early end of stream is a `Reset`.
//! Before a request goes out on a kept connection, its readiness is checked without a
//! system call: if the runtime saw it readable (the server closed it, or sent something
//! unasked), one non-blocking read decides, and a dead connection is replaced silently — the
//! same thing hyper's connection task does for an idle connection.

mod encode;
pub mod h2;
mod raw;
mod verdict;

pub(crate) use encode::Encoded;
pub(crate) use loadgen_h1::H1Link;
pub use raw::{applies, leaves_framing_to_hyper, RawAnswer, RawLink};
pub(crate) use verdict::{Take, Verdict};

use crate::config::{ClientConfig, HttpVersion};
use crate::expect::Expect;
use crate::request::{Step, Target};
use loadgen_engine::Outcome;
use loadgen_h1::H1Ready;
use loadgen_template::Vars;
use tokio::time::Instant;

/// Pre-encodes every step when the fast path applies to this configuration; `None` means
/// the sessions use hyper.
pub(crate) fn plan(config: &ClientConfig, steps: &[Step], target: &Target) -> Option<Vec<Encoded>> {
    if !config.fast_path || config.base.is_tls() || config.version != HttpVersion::Http1 {
        return None;
    }
    steps.iter().map(|s| Encoded::new(s, target)).collect()
}

/// A VU's fast-path connections: it uses the one its factory's path plans, if any.
pub(crate) struct Links {
    /// The HTTP/1.1 fast path's.
    pub(crate) h1: H1Link,
    /// The lean HTTP/2 path's.
    pub(crate) h2: h2::H2Link,
}

/// Either fast path's link, as a session's fast step drives it: picked out of the VU's
/// [`Links`], a pre-encoded request rendered on it (before the `sent` instant is taken),
/// closed after a fault, trimmed after each answer. Generic, never `dyn`: each path's step
/// compiles to its own exchange.
pub(crate) trait FastLink {
    /// A step's pre-encoded request.
    type Req;
    /// A rendered request on the link's connection.
    type Ready<'a>: Exchange
    where
        Self: 'a;
    fn of(links: &mut Links) -> &mut Self;
    fn render<'a>(&'a mut self, req: &'a Self::Req, vars: &mut Vars<'_>) -> Self::Ready<'a>;
    fn close(&mut self);
    /// Gives back buffers that grew for an unusual request or answer.
    fn trim(&mut self);
    /// When the last answer arrived, where the kernel said (a paced connection); else `None`,
    /// and the answer is timed when it was read.
    fn answered_at(&self) -> Option<Instant> {
        None
    }
}

/// A rendered request on either fast path, ready to exchange.
pub(crate) trait Exchange {
    /// Writes the request, reads the whole answer and judges it: `Ok((outcome,
    /// keep_connection))` for a complete answer, `Err(outcome)` for a connection-level
    /// failure. Body bytes go to `body` when a body check or a capture needs them (up to
    /// `max_body`); a success is then handed to `take` (a capture's miss: `CheckFailed`).
    #[allow(clippy::too_many_arguments)]
    async fn exchange<T: Take>(
        self,
        take: &mut T,
        expect: &Expect,
        built_to_fail: Option<u16>,
        body: &mut Vec<u8>,
        max_body: usize,
        first_byte: &mut Option<Instant>,
        status: &mut u16,
    ) -> Result<(Outcome, bool), Outcome>;
}

impl FastLink for H1Link {
    type Req = Encoded;
    type Ready<'a> = H1Ready<'a>;

    fn of(links: &mut Links) -> &mut Self {
        &mut links.h1
    }

    /// Renders the request into the link's write buffer (when it has templated parts). Call
    /// before taking the `sent` instant, as the hyper path builds its request before sending.
    #[inline]
    fn render<'a>(&'a mut self, req: &'a Encoded, vars: &mut Vars<'_>) -> H1Ready<'a> {
        H1Link::render(self, req.is_head, |wbuf, scratch| {
            req.bytes(vars, wbuf, scratch)
        })
    }

    fn close(&mut self) {
        H1Link::close(self);
    }

    fn trim(&mut self) {
        H1Link::trim(self);
    }

    #[inline]
    fn answered_at(&self) -> Option<Instant> {
        H1Link::answered_at(self)
    }
}

impl<'r> Exchange for H1Ready<'r> {
    /// The link's exchange itself, judged by a [`Verdict`] it holds: no future wrapped
    /// around it (the plain loop's per-request count stays as when the exchange lived here).
    #[inline]
    fn exchange<'t, 'e, 'b, 'f, 's, T: Take>(
        self,
        take: &'t mut T,
        expect: &'e Expect,
        built_to_fail: Option<u16>,
        body: &'b mut Vec<u8>,
        max_body: usize,
        first_byte: &'f mut Option<Instant>,
        status: &'s mut u16,
    ) -> impl std::future::Future<Output = Result<(Outcome, bool), Outcome>>
           + use<'r, 't, 'e, 'b, 'f, 's, T> {
        let verdict = Verdict {
            take,
            expect,
            built_to_fail,
        };
        H1Ready::exchange(self, verdict, body, max_body, first_byte, status)
    }
}
