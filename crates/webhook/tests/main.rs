//! Integration tests for loadgen-webhook.

mod callbacks;
mod delivery;
mod providers;
mod signatures;
