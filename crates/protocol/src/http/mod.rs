//! The HTTP slice: `http = {…}` steps with `expect` and `capture` — as written (`raw`),
//! checked (`validate`, `capture`, `flow`), and built into an `HttpFactory` workload (`build`).
//! `templated` walks a raw step's template texts for the checks that need their line.

pub mod build;
pub mod capture;
pub mod flow;
pub(crate) mod raw;
mod spec;
pub mod templated;
pub mod validate;

pub use capture::CAPTURE_FROM;
pub use spec::{
    BodySpec, CaptureFrom, CaptureSpec, ExpectSpec, HttpStepSpec, HttpWorkload, StepFlow, StepSpec,
};
