//! The phases of opening a connection kept apart from a step's connect time.

use std::time::Duration;

/// The phases of opening a connection that [`crate::StepSample::connect`] leaves out, for a step
/// that had to open one: recorded with [`crate::Iteration::record_setup`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Setup {
    /// The TCP connect to an HTTP proxy, when the connection is tunnelled through one
    /// (`connect` is then the `CONNECT` tunnel to the target).
    pub proxy_connect: Option<Duration>,
    /// The TLS handshake (after `connect`).
    pub tls: Option<Duration>,
}

impl Setup {
    /// The time these phases took together: what a connection's total set-up time less
    /// them leaves as its `connect` time.
    pub fn apart(&self) -> Duration {
        self.tls.unwrap_or_default() + self.proxy_connect.unwrap_or_default()
    }

    /// True when no phase was measured.
    pub fn is_empty(&self) -> bool {
        self.proxy_connect.is_none() && self.tls.is_none()
    }
}
