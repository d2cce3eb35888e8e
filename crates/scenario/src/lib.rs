//! loadgen-scenario: scenario files in, validated scenarios, threshold verdicts and run
//! summaries out.
//!
//! # What it owns
//!
//! * The scenario format (see *The scenario format* below): `${VAR}` interpolation, TOML parsing with spans, and validation that
//!   reports **every** problem at once as `file:line:col: field.path: message`.
//! * The validated [`Scenario`]: engine types ([`loadgen_engine::VuStages`],
//!   [`loadgen_engine::ThinkTime`], [`loadgen_engine::Spacing`]) and plain data; no string is
//!   left to parse except the protocol's own (paths, headers, bodies with `{{...}}`).
//! * Units ([`parse_duration`], [`parse_rate`], [`parse_ratio`]).
//! * SLA thresholds in k6's words ([`threshold`]) and their verdict on engine metrics.
//! * The run summary ([`RunSummary`]): `summary.json` and `summary.txt`.
//!
//! # What it must not know
//!
//! Nothing here sends traffic, starts threads, prints, or reads the process environment
//! (the caller passes a lookup function). It names no protocol crate: the caller turns
//! [`StepSpec`]s into sessions and a [`Scenario`] into an engine plan.
//!
//! # The pipeline
//!
//! text → `${VAR}` interpolation (line numbers kept; columns mapped back) → TOML with spans
//! (serde, `deny_unknown_fields`; its first error is reported with a field path) →
//! validation (all problems collected) → [`Scenario`].
//!
//! # The scenario format
//!
//! ```toml
//! name = "ecommerce-burst"
//! target = "${TARGET_URL:-embedded}"
//! duration = "60s"
//!
//! [[workload]]
//! name = "checkout"
//! model = "open"
//! rate = "50/s"
//! max_vus = 200
//!
//!   [[workload.step]]
//!   name = "create-payment"
//!   http = { method = "POST", path = "/api/payments", json = { amount = 1250 } }
//!   expect = { status = [201], expected_failure_status = [402] }
//!
//! [thresholds]
//! "latency{step=create-payment}" = ["p(95) < 500ms"]
//! "errors" = ["rate < 0.1%"]
//! ```
//!
//! Every field, default and rule is listed in the `raw` module's documentation
//! (`src/raw.rs`); the threshold words in [`threshold`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod interpolate;
mod location;
mod model;
mod overrides;
mod raw;
mod raw_de;
mod summary;
pub mod threshold;
mod tree;
mod units;
mod validate;

pub use error::{Problem, ScenarioError};
pub use model::{
    BodySpec, ExpectSpec, HttpDefaults, HttpStepSpec, HttpVersion, ModelSpec, RateSpec, Scenario,
    StepSpec, Target, WorkloadSpec,
};
pub use overrides::OverrideError;
pub use summary::{
    LagStats, RunSummary, StepSummary, ThresholdSummary, TimeStats, Totals, Verdict,
    WorkloadSummary, SCHEMA_VERSION,
};
pub use threshold::{evaluate_all, LiveThresholds, Threshold, ThresholdResult};
pub use units::{parse_duration, parse_rate, parse_ratio, UnitError};

use error::Problems;
use location::{Locator, OffsetMap};
use std::path::Path;

/// Reads and validates the scenario at `path`; `env` looks up `${VAR}`s (pass
/// `&|k| std::env::var(k).ok()` for the process environment).
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string(), env)
}

/// Validates scenario `text`; `file_name` is only used in error messages.
pub fn parse(
    text: &str,
    file_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, ScenarioError> {
    let interpolated = match interpolate::interpolate(text, env) {
        Ok(i) => i,
        Err(errors) => {
            let locator = Locator::new(text, OffsetMap::default());
            let mut p = Problems::new(&locator);
            for e in errors {
                p.at_original(e.offset, "", e.message);
            }
            return Err(into_error(p, file_name));
        }
    };
    let locator = Locator::new(text, interpolated.map);
    let mut p = Problems::new(&locator);
    let raw: raw::RawScenario = match toml::from_str(&interpolated.text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let path = tree::path_at(&interpolated.text, &span);
            p.at(span, path, toml_message(e.message()));
            return Err(into_error(p, file_name));
        }
    };
    match validate::scenario(&raw, &mut p) {
        Some(s) if p.is_empty() => Ok(s),
        _ => Err(into_error(p, file_name)),
    }
}

fn into_error(p: Problems, file: &str) -> ScenarioError {
    p.into_error(file)
        .unwrap_or_else(|| ScenarioError::Invalid {
            file: file.to_string(),
            problems: vec![Problem {
                line: 1,
                column: 1,
                path: String::new(),
                message: "invalid scenario".into(),
            }],
        })
}

/// toml's messages can span lines ("invalid table header\nexpected `.`, `]`"); one line
/// reads better after `file:line:col:`.
fn toml_message(m: &str) -> String {
    m.trim().replace('\n', ": ")
}
