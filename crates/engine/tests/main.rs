//! Engine tests: scheduler and latency arithmetic on tokio's paused clock, and the threaded
//! runner in real time. Sessions here are scripted stand-ins for a protocol (the engine knows
//! none); the real protocols are tested against real servers in their own crates.

mod closed_model;
mod common;
mod custom;
mod open_model;
mod runner;
mod segments;
