//! Integration tests for loadgen-webhook.
