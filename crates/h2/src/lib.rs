//! The lean HTTP/2 client wire: one request at a time per VU, on the VU's own connection or
//! on one shared by the VUs of its thread ([`H2Shared`], a VU's [`H2Seat`] on it: `mux`),
//! frames written and read here instead of by the `h2` crate. It owns the frames, HPACK
//! ([`hpack`]: the response decoder, and the primitives a caller encodes its request blocks
//! with), the connection and stream state (settings, pings, flow-control windows, `GOAWAY`)
//! and the link a VU keeps ([`H2Link`]: attach or join, check, render, exchange). It must
//! not know scenarios, steps, templates, captures or expectations: the caller writes each
//! request's header block ([`H2Link::render`]) and judges each answer ([`Judge`]:
//! `loadgen-h1`'s, the one trait both lean wires judge through, so `loadgen-http` has one
//! adapter);
//! `loadgen-http` decides when this path is used and pre-encodes the steps (its `fast::h2`).
//!
//! The `h2` crate is a general HTTP/2 implementation: a connection task, stream slabs, send
//! and receive queues, a waker hop between the request and its connection for every frame,
//! header maps built for every answer. A VU that owns its connection and sends one request
//! at a time needs none of that:
//!
//! * **One write** for HEADERS (CONTINUATION when the block is larger than the peer's frame
//!   size), the body's DATA frames as far as the peer's windows allow, and any queued acks
//!   or window updates.
//! * **Frames read into the VU's buffer** (8 KiB, grown to 64 KiB for large frames and
//!   bodies, given back after an answer that did not need it), taken in place: the head's
//!   block decoded with `httlib-hpack`'s static table and `httlib-huffman` (raw strings are
//!   handed over without a copy; the last 16 Huffman strings are remembered, as a server
//!   repeats them answer after answer; the dynamic table lives as long as the connection
//!   and reuses the buffers of the entries it evicts), `:status` and the headers the
//!   [`Judge`] asks for looked at, nothing copied. The VU's own task drives the connection:
//!   no spawned task, no lock, no channel.
//!
//! # Shared connections
//!
//! With `streams_per_connection` > 1 the VUs of a thread share connections ([`H2Shared`];
//! a VU's [`H2Link`] joins one with its [`H2Seat`]). Each VU still has one stream at a time,
//! and the connection has no task of its own: the VU that waits drives the socket and sorts
//! every frame to its stream, and the requests of VUs woken together go out in one write
//! (`mux` says how). A stream's fault (`RST_STREAM`, a malformed head, a body that does not
//! match its length) fails that stream alone, a connection's fault every stream on it; the
//! peer's `MAX_CONCURRENT_STREAMS` is kept (a VU past it waits for a stream to end); an
//! exchange dropped by its timeout cancels its stream with `RST_STREAM(CANCEL)`, and the
//! connection goes on.
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
//! `RST_STREAM(CANCEL)`); TLS where ALPN chose `h2` (a [`ClientStream`](loadgen_tls::ClientStream)).
//!
//! # Faults
//!
//! As the `h2` path classifies them (`loadgen_http::classify`): `RST_STREAM` on the stream,
//! or a `GOAWAY` that leaves it out, is a `Reset` unless its code is `PROTOCOL_ERROR`,
//! `FLOW_CONTROL_ERROR`, `FRAME_SIZE_ERROR` or `COMPRESSION_ERROR` (then `Protocol`), and
//! the connection is dropped. A `GOAWAY` that includes the stream lets it finish; the
//! connection is then closed and the next request reconnects. Anything malformed is
//! `Protocol` and costs the connection, never a panic: a frame larger than 16 KiB (our
//! `MAX_FRAME_SIZE`), a frame on the wrong stream (DATA or HEADERS on stream 0, an even or
//! unopened stream; SETTINGS, PING or GOAWAY on a stream), a bad length, padding longer
//! than its frame, a `CONTINUATION` out of place, `PUSH_PROMISE` (push is off), a window
//! overflow or a peer sending past our window, a head without a valid `:status` (or with a
//! field before it), a block that does not decode, a body that does not match its
//! `content-length`. The end of the stream mid-answer is a `Reset`; I/O errors go through
//! [`loadgen_tls::classify_io`]. Timeouts are the caller's: it bounds the exchange's future.
//!
//! Between requests, a kept connection is checked without a system call unless the runtime
//! saw it readable: then what came is read without waiting and taken in (settings, pings,
//! window updates), and a `GOAWAY`, an end of stream or garbage drops it silently — the
//! next request opens a new one, as the `h2` path's readiness check does.
//!
//! Where this differs from the `h2` crate: our receive windows are given back in larger
//! steps (once half is used, not as each chunk is read), the request waits for nothing
//! (the `h2` crate sends the request before the server's settings arrive too), and a
//! `MAX_CONCURRENT_STREAMS` of 0 is not waited on (one stream at a time is always asked).

mod conn;
mod frame;
mod head;
pub mod hpack;
mod link;
mod mux;
mod ready;
mod wire;

pub use link::H2Link;
pub use loadgen_h1::Judge;
pub use mux::{H2Seat, H2Shared};
pub use ready::H2Ready;
