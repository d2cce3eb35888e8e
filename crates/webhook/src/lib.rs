//! Signed webhook deliveries and the asynchronous-callback sink.
//!
//! This crate owns the payment providers' signature schemes (Stripe, GitHub, Standard
//! Webhooks, Square, Shopify and a generic HMAC scheme, [`sign`]), event envelopes for payment
//! events ([`event`]), provider-like delivery with retries and built-to-fail deliveries
//! ([`delivery`]), and the loopback callback sink that measures request-sent →
//! callback-received latency ([`sink`]). [`WebhookFactory`] implements the engine's session
//! seam for webhook workloads; [`metrics`] lists the custom metrics their sessions record.
//!
//! It must not know about scenario files, the command line or the embedded target; it sees
//! secrets only as a [`Secret`] handed to it (whose `Debug` prints `***`) and never writes
//! them anywhere.
//!
//! Requests go out on one keep-alive connection per VU opened by the HTTP crate's
//! [`Dialer`](loadgen_http::Dialer) (HTTP/1.1 or HTTP/2, TLS for `https://`); faults are
//! classified by `loadgen_http::classify` and answers judged by `loadgen_http::Expect`, as in
//! the HTTP crate. Deliveries to plain `http://` over HTTP/1.1 take the HTTP crate's
//! pre-encoded fast path ([`loadgen_http::fast::RawLink`]), their heads laid out once and
//! signed in place per attempt (`fast.rs`); everything else goes through hyper.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conn;
pub mod delivery;
mod error;
pub mod event;
mod fast;
pub mod metrics;
mod secret;
mod session;
pub mod sign;
pub mod sink;
mod step;

pub use delivery::{Fault, FaultMix, RetryPolicy};
pub use error::WebhookError;
pub use event::EventMix;
pub use secret::Secret;
pub use session::{WebhookFactory, WebhookSession, STALE_BY};
pub use sign::{Algorithm, Encoding, GenericScheme, Message, Scheme, Signed, Signer};
pub use sink::CallbackSink;
pub use step::{CallbackStep, DeliveryStep, StepKind, WebhookClient};
