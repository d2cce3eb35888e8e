//! HTTP/1.1 response framing for the pre-encoded fast path: a response head parsed with
//! `httparse` from bytes already read ([`head`]: status, framing, keep-alive, 1xx heads, and
//! each header handed to a caller that captures from it) and `Transfer-Encoding: chunked`
//! bodies decoded as they arrive ([`chunked`]); and the one-pass JSON scan a journey's
//! capture reads a body with ([`json`]). Pure functions over byte slices: no socket, no
//! buffer management (that is `loadgen-http`'s `fast::link`), no allocation per response.
//! Anything malformed is a `Protocol` outcome (a JSON text that is not JSON finds nothing),
//! never a panic.

pub mod chunked;
pub mod head;
pub mod json;
