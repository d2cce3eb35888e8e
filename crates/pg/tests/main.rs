//! loadgen-pg against real PostgreSQL servers (throwaway ones from loadgen-testkit): counts
//! equal the server's own counters, every SQLSTATE class produced for real, and the faults a
//! run must survive.
#![allow(clippy::unwrap_used)]

mod counts;
mod faults;
mod journeys;
mod server_faults;
mod support;
mod tls;
