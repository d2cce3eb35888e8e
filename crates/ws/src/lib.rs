//! WebSocket sessions on tokio-tungstenite.
//!
//! This crate owns `ws://` and `wss://` sessions a VU runs: connect (TCP, TLS, upgrade),
//! a session script of sends, subscriptions, holds and clean closes, reconnects with backoff,
//! and message latency (correlated by id, or from a timestamp the server puts in a push).
//!
//! It must not know about scenario files, the command line or the embedded target.

#![forbid(unsafe_code)]
