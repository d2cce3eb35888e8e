//! Integration tests of the demo target over real HTTP on loopback.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod api;
mod auth;
mod counters;
mod injection;
mod lifecycle;
mod support;
mod webhooks;
