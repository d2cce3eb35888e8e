//! HTTP/1.1 response framing for the pre-encoded fast path: a response head parsed with
//! `httparse` from bytes already read ([`head`]: status, framing, keep-alive, 1xx heads, and
//! each header handed to a caller that captures from it) and `Transfer-Encoding: chunked`
//! bodies decoded as they arrive ([`chunked`]); and the one-pass JSON scan a journey's
//! capture reads a body with ([`json`]); and a connection's last head ([`memo`]), so that a
//! head identical to it is compared instead of parsed. Pure functions over byte slices: no
//! socket, no buffer management (that is `loadgen-http`'s `fast::link`), no allocation per
//! response (the memo copies a head only when it changes).
//! Anything malformed is a `Protocol` outcome (a JSON text that is not JSON finds nothing),
//! never a panic.

pub mod chunked;
pub mod head;
pub mod json;
pub mod memo;
