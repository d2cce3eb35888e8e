//! Integration tests for loadgen-fleet.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod clock;
mod garbage;
mod merge_files;
mod untrusted;
