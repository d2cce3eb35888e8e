//! The HTTP/1.1 client wire of the pre-encoded fast path: one VU's own connection and one
//! exchange on it at a time ([`H1Link`], [`H1Ready`]: attach, a kept connection checked
//! without a system call, the request written whole, the answer read and judged through the
//! caller's [`Judge`]), and the worker thread's read buffers, lent per answer (`lease`).
//! `loadgen-h2` judges its answers through the same [`Judge`] (re-exported there).
//!
//! Below that, pure parts over byte slices: a response head parsed with `httparse` from
//! bytes already read ([`head`]: status, framing, keep-alive, 1xx heads, and each header
//! handed to a caller that captures from it), `Transfer-Encoding: chunked` bodies decoded as
//! they arrive ([`chunked`]), the one-pass JSON scan a journey's capture reads a body with
//! ([`json`]), and a connection's last head ([`memo`]), so that a head identical to it is
//! compared instead of parsed. No allocation per response (the memo copies a head only when
//! it changes). Anything malformed is a `Protocol` outcome (a JSON text that is not JSON
//! finds nothing), never a panic; I/O errors go through [`loadgen_tls::classify_io`].
//!
//! It must not know scenarios, steps, templates, captures or expectations (`Expect`): the
//! caller hands each request's bytes over (or renders them into the link's buffer) and
//! judges each answer; `loadgen-http` decides when this path is used, pre-encodes the steps
//! and adapts its `Expect` and captures to [`Judge`] (its `fast` module). Timeouts are the
//! caller's too: it bounds the exchange's future.

pub mod chunked;
pub mod head;
pub mod json;
mod judge;
mod lease;
mod link;
pub mod memo;

pub use judge::Judge;
pub use link::{H1Link, H1Ready};
