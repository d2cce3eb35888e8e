//! loadgen-scenario tests: real scenario files (good and bad) with exact error text, threshold
//! verdicts on hand-built engine metrics, the run summary, and no-panic property tests.

mod common;
mod errors;
mod fuzz;
mod interpolation;
mod load;
mod overrides;
mod summary;
mod thresholds;
