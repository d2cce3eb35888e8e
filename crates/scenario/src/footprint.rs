//! What a scenario asks of the machine it runs on: the connections it may hold at once and
//! the local addresses they are spread over, for the open-file and port preflight
//! (`loadgen_engine::limits::preflight`).

use crate::model::{ModelSpec, Scenario};
use crate::protocol::ProtocolSpec;

impl Scenario {
    /// The most connections the whole plan may hold at once: one per VU, every workload's
    /// ceiling summed (HTTP or WebSocket alike).
    pub fn peak_connections(&self) -> u64 {
        self.workloads
            .iter()
            .map(|w| match &w.model {
                ModelSpec::Open { max_vus, .. } => *max_vus,
                ModelSpec::Closed { stages, .. } => stages.max_vus(),
            })
            .sum()
    }

    /// How many local addresses client sockets are spread over (WebSocket `source_addrs`,
    /// each with its own ephemeral ports): the fewest of any workload that spreads them, 1
    /// when none does.
    pub fn source_addresses(&self) -> u64 {
        self.workloads
            .iter()
            .filter_map(|w| match &w.protocol {
                ProtocolSpec::WebSocket(ws) => Some(ws.source_count()),
                _ => None,
            })
            .min()
            .unwrap_or(1)
    }
}
