//! WebSocket sessions on tokio-tungstenite.
//!
//! This crate owns `ws://` and `wss://` sessions a VU runs: connect (TCP bound to a chosen
//! source address, TLS, upgrade), a session script of sends, subscriptions, replies, holds
//! and clean closes, reconnects with backoff, and message latency (correlated by id, or from
//! a timestamp the server puts in a push). It implements the engine's session seam with
//! [`WsFactory`]; one iteration is one connection's life. What it measures beyond the
//! per-step samples (`connect`, `session`) is the list of custom metrics in [`metrics`].
//!
//! It must not know about scenario files, the command line or the embedded target.
//!
//! Scale: a connection costs its socket, a 4 KiB read buffer and the task state; nothing
//! per connection is sized for throughput (see `connect.rs`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod connect;
mod error;
mod json;
pub mod metrics;
mod session;
mod tls;
mod url;

pub use config::{json_path, LatencySpec, Periodic, Reconnect, Script, TimeUnit, WsConfig};
pub use error::WsError;
pub use loadgen_tls::ClientStream as Conn;
pub use metrics::custom_metrics;
pub use session::{WsFactory, WsSession};
pub use url::WsUrl;
