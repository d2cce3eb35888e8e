//! The custom metrics a WebSocket workload records, in the order sessions index them.
//!
//! The scenario crate declares [`custom_metrics`] on the workload; sessions record by the
//! index constants below, so the two cannot disagree.

use loadgen_engine::{CustomKind, CustomMetric};

/// Time from the start of the TCP connect to the end of the upgrade (TLS included): trend.
pub const HANDSHAKE: usize = 0;
/// Connection attempts that completed the upgrade: rate.
pub const CONNECT_SUCCESS: usize = 1;
/// Data messages sent: counter.
pub const MSGS_SENT: usize = 2;
/// Data messages received: counter.
pub const MSGS_RECEIVED: usize = 3;
/// Message latency (reply matched by id, or push timestamp to arrival): trend.
pub const MESSAGE_LATENCY: usize = 4;
/// Sessions whose connection stayed up for the whole hold: rate.
pub const STABLE: usize = 5;
/// Connections lost before the end of the hold: counter.
pub const DROPS: usize = 6;
/// New connections made after a drop or a failed connect: counter.
pub const RECONNECTS: usize = 7;
/// WebSocket connections open now: gauge.
pub const OPEN: usize = 8;
/// Sent messages whose reply never came (counted when the connection ends): counter.
pub const UNANSWERED: usize = 9;
/// Close code 1000 (normal) seen from the server: counter.
pub const CLOSE_NORMAL: usize = 10;
/// Close code 1001 (going away): counter.
pub const CLOSE_GOING_AWAY: usize = 11;
/// No close frame at all (1006, abnormal closure): counter.
pub const CLOSE_ABNORMAL: usize = 12;
/// Close code 1011 (server error): counter.
pub const CLOSE_ERROR: usize = 13;
/// Any other close code: counter.
pub const CLOSE_OTHER: usize = 14;

/// Names and kinds, index-aligned with the constants above.
pub const METRICS: [(&str, CustomKind); 15] = [
    ("ws_handshake", CustomKind::Trend),
    ("ws_connect_success", CustomKind::Rate),
    ("ws_msgs_sent", CustomKind::Counter),
    ("ws_msgs_received", CustomKind::Counter),
    ("ws_message_latency", CustomKind::Trend),
    ("ws_stable", CustomKind::Rate),
    ("ws_drops", CustomKind::Counter),
    ("ws_reconnects", CustomKind::Counter),
    ("ws_open_connections", CustomKind::Gauge),
    ("ws_unanswered", CustomKind::Counter),
    ("ws_close_1000", CustomKind::Counter),
    ("ws_close_1001", CustomKind::Counter),
    ("ws_close_1006", CustomKind::Counter),
    ("ws_close_1011", CustomKind::Counter),
    ("ws_close_other", CustomKind::Counter),
];

/// The metrics to declare on a WebSocket workload.
pub fn custom_metrics() -> Vec<CustomMetric> {
    METRICS
        .iter()
        .map(|(name, kind)| CustomMetric::new(*name, *kind))
        .collect()
}

/// The counter for close code `code` (`None`: the connection ended without a close frame).
pub fn close_metric(code: Option<u16>) -> usize {
    match code {
        Some(1000) => CLOSE_NORMAL,
        Some(1001) => CLOSE_GOING_AWAY,
        None | Some(1006) => CLOSE_ABNORMAL,
        Some(1011) => CLOSE_ERROR,
        Some(_) => CLOSE_OTHER,
    }
}

/// Step names of a WebSocket workload, in the order sessions report them.
pub const STEPS: [&str; 2] = ["connect", "session"];
/// Step index of each connection attempt (its latency is the handshake, from the intended
/// start for the first attempt).
pub const STEP_CONNECT: usize = 0;
/// Step index of a whole session (success: held the connection for the whole hold).
pub const STEP_SESSION: usize = 1;
