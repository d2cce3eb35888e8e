//! The lean HTTP/2 path: one request at a time per VU, on its own connection or on one
//! shared by the VUs of its thread (`streams_per_connection` > 1, opened and joined through
//! `h2_pool`), frames written and read by the `loadgen-h2` crate ([`loadgen_h2`]: the wire,
//! its faults and how it differs from the `h2` crate) instead of by the `h2` crate. This
//! module mirrors the
//! HTTP/1.1 fast path ([`crate::fast`]) and owns what that crate must not know: which
//! factories take the path (`plan`), each step's request pre-encoded (`encode`), and
//! judging each answer against the step's [`Expect`] and captures (the fast paths'
//! one `Verdict`), behind their common `FastLink` and `Exchange`.
//!
//! Each step's HPACK block is encoded once, when the factory is built: the `h2` path's
//! fields in its order (`:method`, `:scheme`, `:authority`, `:path`, then user-agent, the
//! default headers, content-type, the step's headers and a `content-length` for a non-empty
//! body). Per request only the templated values are rendered (each through a scratch
//! buffer, for its length), into the VU's reused write buffer; the link frames it (HEADERS,
//! CONTINUATION when larger than the peer's frame size). `request_timeout` bounds the write,
//! the head and the whole body; a timed-out connection is dropped (a shared one cancels the
//! stream and goes on); a connection's `GOAWAY` costs the next step a reconnect, which
//! reports its connect time.
//!
//! # When the `h2` crate is used instead
//!
//! The path is chosen per factory, for every step, when all of these hold: the
//! [`ClientConfig::fast_path`](crate::ClientConfig::fast_path) switch is on (the default),
//! the version is HTTP/2, no proxy, no cookie jar and no step following redirects, and
//! every step can be pre-encoded: no `CONNECT` method, no `host`, `content-length`,
//! `transfer-encoding`, `connection`, `upgrade`, `keep-alive` or `proxy-connection` header
//! and no `te` other than `trailers` among the default or step headers, no `#` in a request
//! target. Those workloads use the `h2` crate, unchanged (shared connections too). Over
//! TLS, a server that does not choose `h2` by ALPN gets hyper's HTTP/1.1 connection, as on
//! the `h2` path.

pub(crate) mod encode;

pub(crate) use encode::H2Encoded;
pub(crate) use loadgen_h2::H2Link;

use super::{Exchange, FastLink, Links, Take, Verdict};
use crate::config::{ClientConfig, HttpVersion};
use crate::expect::Expect;
use crate::request::{Step, Target};
use loadgen_engine::Outcome;
use loadgen_h2::H2Ready;
use loadgen_template::Vars;
use tokio::time::Instant;

/// Pre-encodes every step when the lean HTTP/2 path applies to this configuration; `None`
/// means the sessions use the `h2` crate (or HTTP/1.1).
pub(crate) fn plan(
    config: &ClientConfig,
    steps: &[Step],
    target: &Target,
) -> Option<Vec<H2Encoded>> {
    if !config.fast_path || config.version != HttpVersion::Http2 || config.proxy.is_some() {
        return None;
    }
    steps.iter().map(|s| H2Encoded::new(s, target)).collect()
}

impl FastLink for H2Link {
    type Req = H2Encoded;
    type Ready<'a> = H2Ready<'a>;

    fn of(links: &mut Links) -> &mut Self {
        &mut links.h2
    }

    fn render<'a>(&'a mut self, req: &'a H2Encoded, vars: &mut Vars<'_>) -> H2Ready<'a> {
        H2Link::render(self, req.is_head, |out, scratch, body| {
            req.render(vars, out, scratch, body)
        })
    }

    fn close(&mut self) {
        H2Link::close(self);
    }

    fn trim(&mut self) {
        H2Link::trim(self);
    }

    #[inline]
    fn answered_at(&self) -> Option<Instant> {
        H2Link::answered_at(self)
    }
}

impl<'r> Exchange for H2Ready<'r> {
    /// The wire's exchange itself, judged by a [`Verdict`] it holds: no future wrapped around
    /// it, as on HTTP/1.1.
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
        H2Ready::exchange(self, verdict, body, max_body, first_byte, status)
    }
}
