//! End-to-end tests of the `loadgen` binary: real processes, real sockets, real files.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]
// Tests print their notes directly; the binary's console rule (loadgen-console) is for users' pipes.
#![allow(clippy::disallowed_macros)]

mod support;

mod dashboard;
mod deploy;
mod docs;
mod fault_matrix;
mod faults;
mod fleet_dashboard;
mod gates;
mod har;
mod hostile;
mod intervals;
mod journeys;
mod journeys_flow;
mod live;
mod long_runs;
mod output;
mod paced;
mod policy;
mod postgres;
mod proxy;
mod redis;
mod resilience;
mod runs;
mod scrape;
mod shared_nothing;
mod signals;
mod tls;
mod validate;
mod webhooks;
mod windows;
mod ws;
