//! HTTP/1.1 response framing for the pre-encoded fast path: a response head parsed with
//! `httparse` from bytes already read ([`head`]: status, framing, keep-alive, 1xx heads) and
//! `Transfer-Encoding: chunked` bodies decoded as they arrive ([`chunked`]). Pure functions
//! over byte slices: no socket, no buffer management (that is `loadgen-http`'s `fast::link`),
//! no allocation per response. Anything malformed is a `Protocol` outcome, never a panic.

pub mod chunked;
pub mod head;
