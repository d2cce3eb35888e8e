//! The crate's error type. Parse errors of durations, latency models and faults live beside
//! their parsers (`duration.rs`, `latency.rs`, `faults.rs`).

use std::net::SocketAddr;

use crate::LatencyError;

/// Everything that can go wrong configuring, starting or running the demo target.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A latency model string did not parse or describes an impossible distribution.
    #[error(
        "invalid latency model {input:?}: {reason} \
         (expected \"0\", a duration like \"5ms\", \"uniform:1ms..20ms\" \
         or \"lognormal:median=5ms,p99=50ms\")"
    )]
    InvalidLatency { input: String, reason: LatencyError },
    /// The webhook secret is not `whsec_` and base64.
    #[error("webhook secret must be `whsec_` followed by base64 (not shown)")]
    BadWebhookSecret,
    /// A configuration value is out of range.
    #[error("invalid target configuration: {0}")]
    InvalidConfig(String),
    /// The listening socket could not be created or bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The tokio runtime or a server thread could not be started.
    #[error("cannot start the target runtime")]
    Runtime(#[source] std::io::Error),
    /// Ctrl-C / SIGTERM handlers could not be installed (`serve_blocking` only).
    #[error("cannot install signal handlers")]
    Signal(#[source] std::io::Error),
    /// The server thread panicked.
    #[error("the target server thread panicked")]
    Panicked,
}
