//! Integration tests for loadgen-webhook.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod callbacks;
mod delivery;
mod fast_path;
mod providers;
mod signatures;
