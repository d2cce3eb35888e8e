//! Integration tests for loadgen-webhook.

mod callbacks;
mod providers;
mod signatures;
