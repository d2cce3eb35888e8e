//! loadgen-http integration tests: real sessions against real local servers, driven through
//! the engine's own `Recorder` and `Iteration`.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

mod checks;
mod config;
mod conformance;
mod exchange;
mod faults;
mod h2frames;
mod h2shared;
mod journeys;
mod memory;
mod odd;
mod tls;
mod wire;
