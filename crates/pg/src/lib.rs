//! loadgen-pg: PostgreSQL sessions for the engine, on tokio-postgres and rustls.
//!
//! This crate owns what a VU does against a PostgreSQL server: one connection per VU (opened
//! in warm-up, replaced after a fault, its connect and TLS handshake timed apart from
//! query latency), statements prepared once per connection with templated parameters sent as text
//! ([`Sql`]), transactions measured as one step and per statement ([`StepKind::Transaction`]),
//! checks on row counts ([`Rows`]), captures from a returned row ([`RowCapture`]), and every
//! fault as an engine outcome with its SQLSTATE kept beside it ([`classify`]). It implements
//! the engine's session seam with [`PgFactory`], and runs a scenario's run-once setup
//! ([`run_setup`]).
//!
//! It must not know about scenario files, the command line or thresholds: the scenario crate
//! builds [`PgConfig`] and [`PgStep`]s. Passwords live only inside [`DbUrl`], whose `Debug` and
//! `Display` leave them out; no error here repeats a URL.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod classify;
mod connect;
mod error;
pub mod metrics;
mod session;
mod setup;
mod step;
mod tls;
mod types;
mod url;

pub use classify::{classify, sqlstate_outcome};
pub use error::PgError;
pub use metrics::custom_metrics;
pub use session::{PgConfig, PgFactory, PgSession};
pub use setup::{run_setup, run_setup_blocking};
pub use step::{Isolation, PgStep, RowCapture, Rows, Sql, StepKind};
pub use types::type_named;
pub use url::{DbUrl, TlsMode};
