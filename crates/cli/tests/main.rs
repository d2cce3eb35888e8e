//! End-to-end tests of the `loadgen` binary: real processes, real sockets, real files.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

mod deploy;
mod fault_matrix;
mod faults;
mod live;
mod resilience;
mod runs;
mod shared_nothing;
mod signals;
mod validate;
mod webhooks;
mod ws;
