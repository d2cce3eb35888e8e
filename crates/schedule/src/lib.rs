//! loadgen-schedule: when requests go. Traffic patterns (arrival-rate functions λ(t) of the
//! open model: steady, ramps, bursts, business hours, sums and scales) and a workload's
//! validated schedule ([`ModelSpec`]: open arrival rate or closed VUs).
//!
//! It must not know what a request carries (`loadgen-payload`), which protocol sends it
//! (`loadgen-protocol`) or the scenario file around a workload (`loadgen-scenario`); it
//! turns its own grammar into the engine's schedule types.

#![forbid(unsafe_code)]

pub mod pattern;
pub mod schedule;
pub mod think;

pub use schedule::*;
