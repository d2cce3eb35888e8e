//! Integration tests for loadgen-dist.
