//! Integration tests for loadgen-fleet.

mod clock;
mod garbage;
mod merge_files;
