//! Integration tests for loadgen-dist.

mod clock;
mod garbage;
mod merge_files;
