//! Distributed runs: merging shared-nothing result folders, and the live coordinator and
//! worker over an authenticated TLS control channel.
//!
//! This crate owns the control protocol, its security (TLS, shared-secret HMAC bound to the
//! TLS session, size limits, worker allow-lists and ceilings), clock-offset measurement,
//! segment assignment and the merge of interval histograms.
//!
//! It must not know about the command line or any protocol crate: it runs plans that the
//! scenario crate builds.

#![forbid(unsafe_code)]
