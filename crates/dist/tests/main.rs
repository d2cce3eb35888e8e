//! Integration tests for loadgen-dist.

mod clock;
mod merge_files;
