//! Bodies made per request by the layer above (payment payload generators), and the one
//! thing they may change about judging: a request built to fail names the status a correct
//! target answers.

use bytes::BytesMut;
use rand::rngs::SmallRng;
use std::fmt;
use std::sync::Arc;

/// Writes one request's body. Implemented by the scenario crate's payload generators; the
/// HTTP layer knows nothing of what the bytes mean.
pub trait BodySource: Send + Sync + 'static {
    /// Appends the body to `out`, drawing randomness from the VU's `rng`; `id` is the
    /// request's unique id (its `{{uuid}}`). Returns `Some(status)` for a request built to
    /// fail: that status is then its expected failure, and a 2xx answer is a failed check.
    fn write_body(&self, rng: &mut SmallRng, id: &str, out: &mut BytesMut) -> Option<u16>;
}

/// Supplies a template variable the HTTP layer does not know (`{{customers.email}}` from a
/// data feeder). Must be a pure function of the VU and iteration, so every variable of one
/// iteration reads the same row without shared state.
pub trait ValueSource: Send + Sync + 'static {
    /// Appends the value for iteration `iteration` of VU `vu`.
    fn write_value(&self, vu: u64, iteration: u64, out: &mut BytesMut);
}

/// A shared [`ValueSource`] inside a template.
#[derive(Clone)]
pub(crate) struct Value(pub Arc<dyn ValueSource>);

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Value")
    }
}

/// A shared [`BodySource`] inside a template.
#[derive(Clone)]
pub(crate) struct Generator(pub Arc<dyn BodySource>);

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Generator")
    }
}
