//! Engine tests: scheduler and latency arithmetic on tokio's paused clock, and the threaded
//! runner in real time. Sessions here are scripted stand-ins for a protocol (the engine knows
//! none); the real protocols are tested against real servers in their own crates.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]
// Test fixtures share what sessions saw across threads; the engine's own ban does not apply.
#![allow(clippy::disallowed_types)]

mod closed_model;
mod common;
mod custom;
mod open_model;
mod runner;
mod segments;
mod steering;
