//! What a WebSocket session does: where it connects, how, and its script.

use crate::url::WsUrl;
use loadgen_template::Template;
use std::net::IpAddr;
use std::time::Duration;

/// Everything a WebSocket workload's sessions share.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// The endpoint.
    pub url: WsUrl,
    /// Extra handshake headers.
    pub headers: Vec<(String, String)>,
    /// Offered subprotocols (`Sec-WebSocket-Protocol`), in preference order.
    pub subprotocols: Vec<String>,
    /// TCP connect + TLS + upgrade must finish within this.
    pub connect_timeout: Duration,
    /// Trust, client identity and lowest version for `wss://`.
    pub tls: loadgen_http::TlsOptions,
    /// Addresses to use instead of looking names up (the name stays the TLS name and `Host`).
    pub hosts: loadgen_http::HostOverrides,
    /// Reach the endpoint through this HTTP proxy (a `CONNECT` tunnel per connection).
    pub proxy: Option<loadgen_http::Proxy>,
    /// Local addresses to bind client sockets to, spread by VU (empty: the kernel picks).
    pub source_addrs: Vec<IpAddr>,
    /// The session script.
    pub script: Script,
    /// Reconnects after a drop.
    pub reconnect: Reconnect,
    /// How message latency is measured.
    pub latency: LatencySpec,
    /// How long a clean close waits for the server's close frame.
    pub close_timeout: Duration,
}

impl WsConfig {
    /// A configuration for `url` that connects, holds for `hold` and closes.
    pub fn new(url: WsUrl, hold: Duration) -> Self {
        WsConfig {
            url,
            headers: Vec::new(),
            subprotocols: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            tls: loadgen_http::TlsOptions::default(),
            hosts: loadgen_http::HostOverrides::new(),
            proxy: None,
            source_addrs: Vec::new(),
            script: Script {
                on_open: Vec::new(),
                periodic: None,
                reply: None,
                ping_every: None,
                hold,
            },
            reconnect: Reconnect::default(),
            latency: LatencySpec::None,
            close_timeout: Duration::from_secs(2),
        }
    }
}

/// One connection's life after the upgrade.
#[derive(Debug, Clone)]
pub struct Script {
    /// Sent once, in order, right after each connect (subscriptions, logins).
    pub on_open: Vec<Template>,
    /// Sent repeatedly during the hold.
    pub periodic: Option<Periodic>,
    /// Sent in reply to every data message received.
    pub reply: Option<Template>,
    /// Client pings at this interval (the server's pings are always answered).
    pub ping_every: Option<Duration>,
    /// How long the session keeps its connection (from the iteration's start), then closes.
    pub hold: Duration,
}

/// A message sent at a steady rate per connection.
#[derive(Debug, Clone)]
pub struct Periodic {
    /// The message.
    pub message: Template,
    /// Gap between sends.
    pub every: Duration,
    /// Stop after this many sends per connection (none: until the hold ends).
    pub count: Option<u64>,
}

/// Reconnects after a drop: exponential backoff from `backoff` up to `max_backoff`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reconnect {
    /// Most reconnects per session (0: a drop ends the session).
    pub max: u32,
    /// First wait.
    pub backoff: Duration,
    /// Longest wait.
    pub max_backoff: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            max: 0,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl Reconnect {
    /// The wait before reconnect number `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32 << n.min(20);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// Where message latency comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum LatencySpec {
    /// Not measured.
    None,
    /// A reply carries the id of the message it answers, at this JSON path (dotted).
    Correlate {
        /// Path of the id in both the sent message and the reply.
        id: Vec<String>,
    },
    /// A pushed message carries the server's send time at this JSON path.
    Timestamp {
        /// Path of the timestamp.
        field: Vec<String>,
        /// What one unit of the timestamp is.
        unit: TimeUnit,
    },
}

/// Unit of a timestamp counted from the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds.
    Micros,
    /// Nanoseconds.
    Nanos,
}

impl TimeUnit {
    /// Parses `s`, `ms`, `us` or `ns`.
    pub fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "s" => TimeUnit::Seconds,
            "ms" => TimeUnit::Millis,
            "us" | "µs" => TimeUnit::Micros,
            "ns" => TimeUnit::Nanos,
            _ => return None,
        })
    }

    /// Microseconds in `v` of this unit.
    pub fn to_micros(self, v: f64) -> f64 {
        match self {
            TimeUnit::Seconds => v * 1e6,
            TimeUnit::Millis => v * 1e3,
            TimeUnit::Micros => v,
            TimeUnit::Nanos => v / 1e3,
        }
    }
}

/// Splits a dotted JSON path (`data.ts`) into its keys.
pub fn json_path(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}
