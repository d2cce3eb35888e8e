//! Checked Redis steps and connection settings, ready for the redis crate.

use loadgen_redis::{Expect, RedisUrl};
use std::time::Duration;

/// A checked Redis workload: its connection and its steps.
#[derive(Debug, Clone)]
pub struct RedisWorkload {
    /// The server (the password never prints: see [`loadgen_redis::Password`]).
    pub url: RedisUrl,
    /// Per step (a whole pipeline).
    pub timeout: Duration,
    /// TCP + TLS + `AUTH`/`SELECT`.
    pub connect_timeout: Duration,
    /// The steps, in order.
    pub steps: Vec<RedisStepSpec>,
}

/// One checked step.
#[derive(Debug, Clone)]
pub struct RedisStepSpec {
    /// Step name.
    pub name: String,
    /// The commands, each its arguments as template texts (the name first).
    pub commands: Vec<Vec<String>>,
    /// Sent as one pipeline (`pipeline = […]`), even of one command.
    pub pipeline: bool,
    /// Checks on every reply.
    pub expect: Expect,
}

impl RedisWorkload {
    /// Every argument's text (placeholders that may read feeders).
    pub(crate) fn template_texts(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.commands.iter().flatten().cloned())
            .collect()
    }

    /// Commands one iteration sends.
    pub(crate) fn commands_per_iteration(&self) -> u64 {
        self.steps.iter().map(|s| s.commands.len() as u64).sum()
    }

    /// `redis://host:port` (or `rediss://`), without user or password: what a worker's
    /// allow-list checks.
    pub(crate) fn destination(&self) -> String {
        let scheme = if self.url.tls { "rediss" } else { "redis" };
        format!("{scheme}://{}", self.url.authority())
    }
}
