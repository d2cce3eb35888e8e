//! loadgen-scenario: TOML scenarios → validated [`Scenario`] → engine [`Plan`]s; the grammar
//! of SLA thresholds.
//!
//! This crate owns the business meaning of a load test: the file format, its units, the
//! workloads and steps and the thresholds that will decide the verdict. It turns them into
//! engine plans with HTTP sessions ([`build_plan`]). It must not know how requests are sent
//! (that is `loadgen-http`), how VUs are scheduled (that is `loadgen-engine`) or what a run's
//! results look like (summaries, result files and the judging of thresholds are
//! `loadgen-report`'s), and it never prints: the binary decides what goes to the terminal.
//!
//! Loading goes raw → validated → built: serde reads the file into raw structs that reject
//! unknown fields and keep spans; `validate` parses every unit and checks every reference,
//! collecting all problems with file, line, column and field; `build` makes the plan. What a
//! workload speaks is one arm of [`ProtocolSpec`], and each protocol is a slice under
//! `protocol/` owning its own raw → validated → built path (see `docs/architecture.md`,
//! "Adding a protocol").
//!
//! # The format
//!
//! See `docs/scenarios.md` for the full reference (its examples are tested). In short:
//!
//! ```toml
//! name = "checkout"
//! target = "${TARGET_URL:-embedded}"   # a URL, or the embedded demo target
//! duration = "1m"
//!
//! [[workload]]
//! name = "pay"
//! model = "open"                       # open (arrival rate) | closed (VUs)
//! rate = "50/s"
//! max_vus = 100
//!
//!   [[workload.step]]
//!   name = "create-payment"
//!   http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD" } }
//!   expect = { status = [201] }
//!
//! [thresholds]
//! "latency{step=create-payment}" = ["p(95) < 500ms"]
//! "errors" = ["rate < 0.1%"]
//! ```

#![forbid(unsafe_code)]

pub mod adhoc;
mod build;
mod check;
mod destinations;
mod error;
pub mod feeder;
mod http_defaults;
mod http_tls;
mod interpolate;
mod journey;
pub mod load_plan;
mod model;
pub mod pattern;
pub mod payload;
pub mod protocol;
mod raw;
mod redact;
mod schedule;
mod suggest;
mod threshold;
mod units;
mod validate;

pub use build::build_plan;
pub use destinations::Destination;
pub use error::{Problem, ScenarioError};
pub use interpolate::{interpolate, InterpolationError};
pub use model::*;
pub use protocol::ws::WsSpec;
pub use protocol::{BuildContext, BuildError, ProtocolSpec};
pub use redact::{redact_secrets, REDACTED_SECRET};
pub use threshold::{
    key_metric_name, parse_expression, parse_key, Filter, MetricKind, Op, Stat, Threshold,
    ThresholdError,
};
pub use units::{parse_duration, parse_rate, parse_share, UnitError};
pub use validate::{MAX_ARRIVAL_RATE, TARGET_SCHEMES};

use error::Locator;
use std::path::Path;

/// Reads and validates the scenario at `path`; `env` resolves `${VAR}`.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string(), env)
}

/// Validates scenario `text`; `file_name` is used in error locations.
pub fn parse(
    text: &str,
    file_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, ScenarioError> {
    let invalid = |problems| ScenarioError::Invalid {
        file: file_name.to_string(),
        problems,
    };
    let loc = Locator::new(text);
    let expanded = interpolate(text, env).map_err(|errs| {
        invalid(
            errs.into_iter()
                .map(|e| loc.problem(e.offset, "", e.message))
                .collect(),
        )
    })?;
    let loc = Locator::new(&expanded);
    let raw: raw::RawScenario = toml::from_str(&expanded).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        // serde names unknown fields in its message; other errors get the key on that line.
        let field = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
            .or_else(|| {
                message
                    .strip_prefix("missing field `")
                    .and_then(|m| m.split('`').next())
            })
            .map(str::to_string)
            .or_else(|| loc.key_on_line(offset))
            .unwrap_or_default();
        invalid(vec![loc.problem(
            offset,
            field,
            suggest::with_suggestion(&message),
        )])
    })?;
    let base_dir = Path::new(file_name).parent().unwrap_or(Path::new("."));
    validate::validate(raw, &expanded, base_dir).map_err(invalid)
}
