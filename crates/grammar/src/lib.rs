//! loadgen-grammar: the machinery every part of the scenario grammar uses, and nothing of the
//! grammar itself.
//!
//! It owns the located problem ([`Problem`], a file's line, column and field path, and
//! [`ScenarioError`], every problem of a file at once), the problem collector each validation
//! step writes to ([`check::Checker`], [`S`] for a value that keeps its span), the key walk
//! that reports every unknown key and wrongly typed value of a file before serde reads it
//! ([`known`], the `known_fields!` macro), "did you mean" suggestions, the unit parsers
//! (durations, rates, shares) and the removal of secrets from scenario copies.
//!
//! It must not know any field of the scenario format, any protocol, the engine or a run's
//! results: the crates above it (`loadgen-payload`, `loadgen-schedule`, `loadgen-protocol`,
//! `loadgen-scenario`) declare the fields and give them meaning.

#![forbid(unsafe_code)]

pub mod check;
pub mod error;
pub mod known;
pub mod redact;
pub mod suggest;
pub mod units;

pub use check::S;
pub use error::{Locator, Problem, ScenarioError};
pub use redact::{redact_secrets, REDACTED_SECRET};
pub use units::{parse_duration, parse_rate, parse_share, UnitError};
