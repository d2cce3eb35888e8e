//! Messages of the control channel (coordinator ⇄ worker), in the order they flow:
//!
//! 1. both: `Hello` (versions, a fresh nonce), then `Proof` (HMAC over the TLS session's
//!    exported keying material and both nonces) — see [`crate::auth`];
//! 2. coordinator: `Ping`s, worker: `Pong`s (clock offset and round trip);
//! 3. coordinator: `Assign` (scenario text, segment, plan hash), worker: `Ready` or `Refused`;
//! 4. coordinator: `Start` (the instant, in the worker's clock);
//! 5. worker: `Interval` every interval and `Heartbeat`s, then `Done`; coordinator:
//!    `Heartbeat`s, `Control` for a change by hand (every worker applies it at the same
//!    instant of the run's clock), and `Stop` to end the run early.

use loadgen_report::IntervalLine;
use loadgen_report::Overrides;
use serde::{Deserialize, Serialize};

/// Version of this message set; peers with another version are refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// One control-channel message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// First message of each side.
    Hello {
        /// [`PROTOCOL_VERSION`].
        protocol: u32,
        /// loadgen version of the sender (must match exactly).
        loadgen_version: String,
        /// `coordinator` or `worker`.
        role: String,
        /// 32 random bytes, hex.
        nonce: String,
    },
    /// Proof of the shared secret, bound to this TLS session.
    Proof {
        /// HMAC-SHA256, hex.
        mac: String,
    },
    /// Clock probe (coordinator → worker).
    Ping {
        /// Probe number.
        seq: u32,
    },
    /// Answer to a probe with the worker's wall clock.
    Pong {
        /// Probe number.
        seq: u32,
        /// Worker's time, ns since the Unix epoch.
        now_ns: u64,
    },
    /// The work: a segment of a scenario.
    Assign {
        /// Scenario text with `${VAR}` already expanded by the coordinator.
        scenario: String,
        /// `i/n`.
        segment: String,
        /// Overrides applied to the scenario.
        overrides: Overrides,
        /// Base URL replacing the scenario's target, if any.
        target: Option<String>,
        /// [`crate::plan_hash`] of `scenario` and `overrides`.
        plan_hash: String,
        /// Engine threads on the worker (`None`: its CPUs).
        threads: Option<usize>,
    },
    /// The worker accepted the assignment.
    Ready {
        /// The plan hash as the worker computed it.
        plan_hash: String,
        /// Where the worker keeps its own results folder.
        results: String,
        /// The most `scale` this worker allows (its `--max-rate` over the segment's peak
        /// rate); `None`: no ceiling.
        #[serde(default)]
        max_scale: Option<f64>,
    },
    /// The worker refused (policy, bad scenario, version).
    Refused {
        /// Why.
        reason: String,
    },
    /// Start the clock at this instant (worker's clock).
    Start {
        /// ns since the Unix epoch.
        at_ns: u64,
    },
    /// One interval of the worker's segment.
    Interval(IntervalLine),
    /// Liveness, both ways.
    Heartbeat,
    /// A change by hand (coordinator → worker), to apply at `at_us` on the run's clock.
    Control {
        /// Microseconds from the run's start.
        at_us: u64,
        /// Who asked, for the record.
        who: String,
        /// `pause`, `resume`, `scale F`, `vus N` or `stop`.
        what: String,
    },
    /// End the run now (coordinator → worker).
    Stop {
        /// Why.
        reason: String,
    },
    /// The worker's run ended.
    Done {
        /// Seconds from the origin to the end.
        elapsed_s: f64,
        /// Stopped before the plan's end.
        stopped_early: bool,
    },
}
