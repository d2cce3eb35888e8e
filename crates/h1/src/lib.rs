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
//!
//! # What it handles
//!
//! `Content-Length` bodies; `Transfer-Encoding: chunked` (chunk extensions and trailers are
//! read and ignored; the rules are in [`chunked`]); bodies delimited by the close of the
//! connection; `Connection: close` and HTTP/1.0 responses (the connection is closed
//! after the response, the next step reconnects and reports its connect time); 1xx
//! informational responses (skipped, as hyper does); responses without a body (HEAD
//! requests, 204, 304). Every body is read to its end, so keep-alive holds; it is kept only
//! when a body check needs it.
//!
//! # What it refuses
//!
//! Anything odd is a [`Protocol`](loadgen_engine::Outcome::Protocol) outcome and costs the
//! connection, never a panic or a hang: a malformed head, more than 100 headers, a head larger
//! than hyper's buffer limit (400 KiB), `101 Switching Protocols` (nothing asked for an
//! upgrade), an invalid or conflicting `Content-Length`, `Transfer-Encoding` on an HTTP/1.0
//! response, bad chunk framing. Bytes the server sends beyond a complete response make the
//! connection unusable (as hyper's "unexpected message"): the step's outcome stands and the
//! next step reconnects.
//!
//! Where this differs from hyper: hyper hands an unasked-for `101` over as a final answer
//! (an `HttpOther` outcome under the default expectation) and checks its buffer limit only
//! between reads, so it may accept a larger head; a chunk size line without digits is
//! refused here and read as 0 by hyper; and the request (body included) is written whole
//! before the response is read, so an answer the server sends early, while a large body is
//! still going out, is seen only after the write.

pub mod chunked;
mod conn;
pub mod head;
pub mod json;
mod judge;
mod lease;
mod link;
pub mod memo;
#[cfg(target_os = "linux")]
mod paced;

pub use judge::Judge;
pub use link::{H1Link, H1Ready};
