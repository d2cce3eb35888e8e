//! Integration tests for loadgen-dist.

mod merge_files;
