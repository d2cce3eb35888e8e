//! Integration tests for loadgen-ws: real sessions run by the engine against the embedded
//! target, small in-test servers that misbehave on purpose, and Python's `websockets`.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod faults;
mod python;
mod support;
mod target;
mod tls;
