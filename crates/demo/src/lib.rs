//! The embedded demo system under test: a small in-memory payments API.
//!
//! This crate owns the demo target that `loadgen` starts on loopback when a scenario says
//! `target = "embedded"` (and that `loadgen target --listen` serves on its own): the HTTP
//! routes, their validation and built-to-fail rejections, injected latency and errors, and
//! the server-side request counters a test compares with what the load generator reported.
//!
//! WebSocket endpoints (`/ws/echo`, `/ws/market`, `/ws/orders`) are served on the same port
//! (see `ws.rs`); their connections and messages have their own counters.
//!
//! It must not know about scenarios, the engine, the client crates or the command line: the
//! CLI parses flags into a [`TargetConfig`] and calls [`spawn`] or [`serve_blocking`].
//!
//! Signed webhook receivers (`/webhooks/stripe`, `/webhooks/standard`) and the async
//! endpoint that calls back (`/api/payments/async`) live in `webhooks.rs`.
//!
//! # Guarantees
//!
//! * The server runs on its own multi-thread tokio runtime in background threads, so it
//!   never shares (or starves) the load generator's runtimes. [`spawn`] returns once the
//!   socket is listening; [`TargetHandle::shutdown`] drains connections gracefully (at most
//!   a few seconds) and joins the threads. Dropping a handle does the same.
//! * HTTP/1.1 and HTTP/2 over cleartext (prior knowledge) are accepted on the same port;
//!   keep-alive is on and accepted sockets get `TCP_NODELAY`.
//! * Memory stays bounded: the newest 100 000 payments and idempotency
//!   keys are kept, older ones are evicted.
//! * Counters count every request received except those to `/__counters` itself; the route
//!   is counted when a request arrives, its status when the response is produced.
//! * Injected errors are decided before the injected latency, and still wait for it.
//!   Randomness comes from a per-request generator derived from the seed, the connection
//!   number and the request number on that connection: no shared RNG, no lock.

#![forbid(unsafe_code)]

mod api;
mod auth;
mod config;
mod counters;
mod duration;
mod error;
mod fault_stream;
mod faults;
mod latency;
mod routes;
mod server;
mod store;
mod webhooks;
mod ws;
mod ws_counters;

pub use auth::{AuthCounts, AuthMode, AuthPolicy, RateLimit, SESSION_COOKIE};
pub use config::TargetConfig;
pub use counters::{CountersSnapshot, RouteCounts};
pub use duration::DurationError;
pub use error::DemoError;
pub use faults::{Fault, FaultParseError, FaultRule, FAULT_HEADER, HUGE_BODY, SLOW_BYTE_DELAY};
pub use latency::{LatencyError, LatencyModel};
pub use server::{serve_blocking, spawn, TargetHandle};
pub use webhooks::{WebhookCounts, WebhookSecret, TOLERANCE_SECS};
pub use ws_counters::WsCounts;
