//! Integration tests for loadgen-ws.
