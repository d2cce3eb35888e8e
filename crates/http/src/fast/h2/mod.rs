//! The lean HTTP/2 path: each VU's own connection, one request at a time, frames written
//! and read here instead of by the `h2` crate.
//!
//! The `h2` crate is a general HTTP/2 implementation: a connection task, stream slabs,
//! send and receive queues, a waker hop between the request and its connection for every
//! frame, header maps built for every answer. A load-test VU that owns its connection and
//! sends one request at a time needs none of that. This module mirrors the HTTP/1.1 fast
//! path ([`crate::fast`]):
//!
//! * **Pre-encoded header blocks.** Each step's HPACK block is encoded once, when the factory
//!   is built: the `h2` path's fields in its order (`:method`, `:scheme`, `:authority`,
//!   `:path`, then user-agent, the default headers, content-type, the step's headers and a
//!   `content-length` for a non-empty body), each a static-table index or a literal without
//!   indexing, strings raw. The block never uses the dynamic table, so the peer's
//!   `SETTINGS_HEADER_TABLE_SIZE` never matters. Per request only the templated values are
//!   rendered (each through a scratch buffer, for its length), into the VU's reused write
//!   buffer, after the 9 bytes of the HEADERS frame header filled in last; a block larger
//!   than the peer's frame size goes out as HEADERS + CONTINUATION.
//! * **One write** for HEADERS, the body's DATA frames as far as the peer's windows allow,
//!   and any queued acks or window updates.
//! * **Frames read into the VU's buffer** (8 KiB, grown to 64 KiB for large frames and
//!   bodies, given back after an answer that did not need it), taken in place: the head's
//!   block decoded with `httlib-hpack`'s static table and `httlib-huffman` (raw strings are
//!   handed over without a copy; the last 16 Huffman strings are remembered, as a server
//!   repeats them answer after answer; the dynamic table lives as long as the connection
//!   and reuses the buffers of the entries it evicts), `:status` and the headers captures
//!   ask for looked at, nothing copied. The VU's own task drives the connection:
//!   no spawned task, no lock, no channel.
//!
//! # What it handles
//!
//! The preface with our settings (no push, a 2 MiB stream window) and a 5 MiB connection
//! window, as the `h2` path sends them; the peer's `SETTINGS` (acked; `MAX_FRAME_SIZE` and
//! `INITIAL_WINDOW_SIZE` honoured when sending, the latter also for the stream in flight);
//! `PING` (acked); `WINDOW_UPDATE` (a posted body waits for the peer's windows, stream and
//! connection); our receive windows given back with `WINDOW_UPDATE` once half is used;
//! `CONTINUATION`; padding and the priority fields of `HEADERS`; `PRIORITY` and unknown
//! frame types (ignored); 1xx heads (skipped); trailers (decoded, dropped); HEAD, 204 and
//! 304 answers; an answer that ends before the posted body did (the rest is cancelled with
//! `RST_STREAM(CANCEL)`); TLS where ALPN chose `h2`.
//!
//! # Faults
//!
//! As the `h2` path classifies them ([`crate::classify`]): `RST_STREAM` on the stream, or a
//! `GOAWAY` that leaves it out, is a `Reset` unless its code is `PROTOCOL_ERROR`,
//! `FLOW_CONTROL_ERROR`, `FRAME_SIZE_ERROR` or `COMPRESSION_ERROR` (then `Protocol`), and
//! the connection is dropped. A `GOAWAY` that includes the stream lets it finish; the
//! connection is then closed and the next step reconnects (reporting its connect time).
//! Anything malformed is `Protocol` and costs the connection, never a panic: a frame larger
//! than 16 KiB (our `MAX_FRAME_SIZE`), a frame on the wrong stream (DATA or HEADERS on
//! stream 0, an even or unopened stream; SETTINGS, PING or GOAWAY on a stream), a bad
//! length, padding longer than its frame, a `CONTINUATION` out of place, `PUSH_PROMISE`
//! (push is off), a window overflow or a peer sending past our window, a head without a
//! valid `:status` (or with a field before it), a block that does not decode, a body that
//! does not match its `content-length`. The end of the stream mid-answer is a `Reset`; I/O
//! errors go through [`crate::classify_io`]; `request_timeout` bounds the write, the head
//! and the whole body, and a timed-out connection is dropped.
//!
//! Between requests, a kept connection is checked without a system call unless the runtime
//! saw it readable: then what came is read without waiting and taken in (settings, pings,
//! window updates), and a `GOAWAY`, an end of stream or garbage drops it silently — the
//! next step opens a new one, as the `h2` path's readiness check does.
//!
//! # When the `h2` crate is used instead
//!
//! The path is chosen per factory, for every step, when all of these hold: the
//! [`ClientConfig::fast_path`](crate::ClientConfig::fast_path) switch is on (the default),
//! the version is HTTP/2, each VU has its own connection (`streams_per_connection` 1, or a
//! connection per iteration), no proxy, no cookie jar and no step following redirects, and
//! every step can be pre-encoded: no `CONNECT` method, no `host`, `content-length`,
//! `transfer-encoding`, `connection`, `upgrade`, `keep-alive` or `proxy-connection` header
//! and no `te` other than `trailers` among the default or step headers, no `#` in a request
//! target. Shared (multiplexed) connections and those workloads use the `h2` crate,
//! unchanged. Over TLS, a server that does not choose `h2` by ALPN gets hyper's HTTP/1.1
//! connection, as on the `h2` path.
//!
//! Where this differs from the `h2` crate: our receive windows are given back in larger
//! steps (once half is used, not as each chunk is read), the request waits for nothing
//! (the `h2` crate sends the request before the server's settings arrive too), and a
//! `MAX_CONCURRENT_STREAMS` of 0 is not waited on (one stream at a time is always asked).

mod conn;
pub(crate) mod encode;
mod frame;
mod hpack;
mod link;

pub(crate) use encode::H2Encoded;
pub(crate) use link::H2Link;

use crate::config::{ClientConfig, HttpVersion};
use crate::request::{Step, Target};

/// Pre-encodes every step when the lean HTTP/2 path applies to this configuration; `None`
/// means the sessions use the `h2` crate (or HTTP/1.1).
pub(crate) fn plan(
    config: &ClientConfig,
    steps: &[Step],
    target: &Target,
) -> Option<Vec<H2Encoded>> {
    let own_connection = config.streams_per_connection <= 1 || config.new_connection_per_iteration;
    if !config.fast_path
        || config.version != HttpVersion::Http2
        || !own_connection
        || config.proxy.is_some()
    {
        return None;
    }
    steps.iter().map(|s| H2Encoded::new(s, target)).collect()
}
