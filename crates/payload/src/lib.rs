//! loadgen-payload: what a request carries. Payment payload generators (`[payload.NAME]`:
//! amounts, currencies, customers, a share built to fail), data feeders (`[feeder.NAME]`: rows
//! from CSV or JSON files) and `${VAR}` interpolation of scenario text.
//!
//! It must not know when requests go (`loadgen-schedule`), which protocol carries them
//! (`loadgen-protocol`) or the rest of the scenario file (`loadgen-scenario`): a generator
//! or a feeder is built from its own table and answers values.

#![forbid(unsafe_code)]

pub mod feeder;
pub mod interpolate;
pub mod payload;

pub use interpolate::{interpolate, InterpolationError};
