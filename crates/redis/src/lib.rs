//! Redis sessions for the engine: one connection per VU, commands and pipelines with templated
//! arguments, reply checks, and every error reply as an outcome class with its prefix kept.
//!
//! This crate owns `redis://` and `rediss://` URLs (with ACL user and password, never printed),
//! opening a VU's connection (TCP, TLS through `loadgen-tls`'s trust options, `AUTH`,
//! `SELECT`), encoding commands in RESP (a command without placeholders is encoded once, when
//! the factory is built), reading replies with redis-rs's codec, the checks on them
//! ([`Expect`]), the mapping of error replies and faults to engine outcomes ([`classify`]),
//! and the custom metrics of a Redis workload ([`metrics`]). It implements the engine's
//! session seam with [`RedisFactory`].
//!
//! Why redis-rs's codec over our own socket rather than one of its connections or `fred`:
//! measured on one current-thread runtime, 50 connections of sequential GETs, client CPU per
//! GET was 8.2 µs with the codec in the VU's own task, 9.1 µs through redis-rs's
//! `MultiplexedConnection` (a channel and a driver task per command) and 15.0 µs through
//! `fred` (a router task); owning the socket also lets TLS be exactly the rustls
//! configuration every other loadgen protocol uses, and keeps connects, reconnects and
//! timeouts in the engine's terms (see `docs/redis.md`).
//!
//! It must not know about scenario files, the command line or thresholds: the scenario crate
//! turns those into a [`RedisConfig`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod classify;
mod command;
mod config;
mod conn;
mod error;
mod expect;
pub mod metrics;
mod session;
mod url;

pub use classify::{classify, error_code};
pub use command::Command;
pub use config::{RedisConfig, Step, StepKind};
pub use error::RedisError;
pub use expect::Expect;
pub use session::{RedisFactory, RedisSession};
pub use url::{Password, RedisUrl};
