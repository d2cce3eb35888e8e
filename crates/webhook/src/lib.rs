//! Signed webhook deliveries and the asynchronous-callback sink.
//!
//! This crate owns the payment providers' signature schemes (Stripe, GitHub, Standard
//! Webhooks, Square, Shopify and a generic HMAC scheme), event envelopes for payment events,
//! provider-like delivery with retries, and the loopback callback sink that measures
//! request-sent → callback-received latency.
//!
//! It must not know about scenario files, the command line or the embedded target; it sees
//! secrets only as bytes handed to it and never writes them anywhere.

#![forbid(unsafe_code)]
