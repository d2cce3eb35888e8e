//! A checked `[workload.ws]`, ready for the ws crate but for its URL.

use loadgen_ws::WsConfig;
use std::time::Duration;

/// A checked `[workload.ws]`.
#[derive(Debug, Clone)]
pub struct WsSpec {
    /// A path on the target (`/ws/echo`) or a full `ws://` / `wss://` URL.
    pub url: String,
    /// Everything else, ready for the ws crate (its `url` is filled in at build time).
    pub config: WsConfig,
}

impl WsSpec {
    /// Stretches or shrinks the hold with its workload's schedule (`--duration`), so a hold
    /// that fitted the schedule still does.
    pub(crate) fn scale_hold(&mut self, old: Duration, new: Duration) {
        if old > Duration::ZERO && new != old {
            let hold = &mut self.config.script.hold;
            *hold = hold.mul_f64(new.as_secs_f64() / old.as_secs_f64());
        }
    }

    /// Source addresses the client sockets are spread over (at least 1 for the port check).
    pub fn source_count(&self) -> u64 {
        self.config.source_addrs.len().max(1) as u64
    }
}

/// True when `step` is one of a WebSocket workload's steps (`connect`, `session`).
pub(crate) fn is_step(step: &str) -> bool {
    loadgen_ws::metrics::STEPS.contains(&step)
}
