//! Dashboard tests: a real server on loopback.
#![allow(clippy::unwrap_used)]
mod server;
mod tls;
