//! Thresholds judged on measured metrics: a whole run's figures ([`evaluate`]), windows of
//! it (`over` and `for`, exact merges of interval histograms and counts, never averaged
//! percentiles) and the live check behind `abort_on_fail` ([`Judge`]).
//!
//! Owns the arithmetic of a verdict's inputs: what each threshold measures on a `Metrics`,
//! how a window slides and what it may keep (a bounded running window, never one histogram
//! per interval of the run). Must not know files, formats or how results are written and
//! shown (that is `loadgen-report`, which calls it), nor the scenario file's syntax (it gets
//! parsed `Threshold`s).

mod evaluate;
mod judge;
mod sample;
mod window;

pub use evaluate::*;
pub use judge::*;
pub use window::WorstWindow;
