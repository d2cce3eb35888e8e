//! Integration tests for loadgen-redis: real sessions run by the engine against throwaway
//! `redis-server` instances (`loadgen_testkit::redis`), counts checked against the server's
//! own `INFO stats`, and the faults a cache tier has in production.

// A test may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod counts;
mod errors;
mod faults;
mod support;
mod tls;
