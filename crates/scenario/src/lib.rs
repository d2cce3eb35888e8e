//! loadgen-scenario: TOML scenarios → validated [`Scenario`] → engine [`Plan`]s; the grammar
//! of SLA thresholds.
//!
//! This crate owns the business meaning of a load test: the file as a whole, its workloads
//! and the thresholds that will decide the verdict. It turns them into engine plans
//! ([`build_plan`]). The parts every file is made of live in the crates below it and are
//! re-exported here under their old paths: the grammar machinery (`loadgen-grammar`: located
//! problems, the key walk, units), what a request carries (`loadgen-payload`), when requests
//! go (`loadgen-schedule`) and one slice per protocol (`loadgen-protocol`). It must not know how requests are sent
//! (that is `loadgen-http`), how VUs are scheduled (that is `loadgen-engine`) or what a run's
//! results look like (summaries, result files and the judging of thresholds are
//! `loadgen-report`'s), and it never prints: the binary decides what goes to the terminal.
//!
//! Loading goes raw → validated → built: a key walk over the parsed document reports every
//! unknown key and wrongly typed value at once (`known.rs`), serde reads the rest into raw
//! structs that keep spans; `validate` parses every unit and checks every reference,
//! collecting all problems with file, line, column and field; `build` makes the plan. One run
//! reports every mistake of a file. What a
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
mod destinations;
mod embedded;
mod footprint;
mod http_tls;
mod journey;
pub mod load_plan;
mod model;
mod raw;
mod setup;
mod source;
mod threshold;
mod threshold_filter;
mod threshold_span;
mod threshold_terms;
mod validate;

// The grammar machinery, what a request carries, when requests go and the protocol slices
// live in their own crates (see `docs/architecture.md`); these keep the paths this crate's
// modules and its users have always named (`crate::check`, `loadgen_scenario::payload`…).
use loadgen_grammar::{check, error, known, suggest, units};
pub use loadgen_payload::{feeder, payload};
pub use loadgen_protocol as protocol;
use loadgen_protocol::http_defaults;
pub use loadgen_schedule::{pattern, schedule};

pub use build::{build_plan, prepare};
pub use destinations::{Destination, NO_TARGET};
pub use loadgen_grammar::{
    parse_duration, parse_rate, parse_share, redact_secrets, Problem, ScenarioError, UnitError,
    REDACTED_SECRET,
};
pub use loadgen_payload::{interpolate, InterpolationError};
pub use model::*;
pub use protocol::pg::PgWorkload;
pub use protocol::ws::WsSpec;
pub use protocol::{BuildContext, BuildError, ProtocolSpec};
pub use setup::{run_setup, SetupError};
pub use source::Source;
pub use threshold::{
    check_filter, key_metric_name, parse_clauses, parse_expression, parse_full, parse_key, Clauses,
    Filter, MetricKind, Op, Stat, Threshold, ThresholdError, Window, WindowKind,
};
pub use validate::{MAX_ARRIVAL_RATE, TARGET_SCHEMES};

use error::Locator;

/// The offset of every value of a file by its field path.
type Places = std::collections::HashMap<String, usize>;
use std::path::Path;

/// Reads and validates the scenario at `path`; `env` resolves `${VAR}`. A run that also needs
/// the text (its identity, the results folder's copy) reads a [`Source`] once instead.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Scenario, ScenarioError> {
    Source::read(path)?.parse(env)
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
    let (raw, places, mut problems) = read_raw(&expanded);
    let Some(raw) = raw else {
        return Err(invalid(problems));
    };
    let base_dir = Path::new(file_name).parent().unwrap_or(Path::new("."));
    match validate::validate(raw, &expanded, base_dir, places) {
        Ok(scenario) if problems.is_empty() => return Ok(scenario),
        Ok(_) => {}
        Err(more) => problems.extend(more),
    }
    problems.sort_by_key(|p| (p.line, p.column));
    Err(invalid(problems))
}

/// The raw scenario of `text` and the problems of its structure: every unknown key and
/// every value of the wrong type ([`known`]'s walk, which removes them), then serde's first
/// complaint about what is left, if any (a missing field). `None` when serde cannot read it.
/// Also the offset of every value by its field path (`known::places`).
fn read_raw(text: &str) -> (Option<raw::RawScenario>, Places, Vec<Problem>) {
    let loc = Locator::new(text);
    let serde_problem = |e: &toml_edit::de::Error,
                         accounted: &std::collections::HashSet<String>| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        // serde names unknown and missing fields in its message; other errors get the key on
        // that line.
        let named = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|m| m.split('`').next())
                .map(str::to_string)
        };
        let missing = named("missing field `");
        if missing.as_ref().is_some_and(|m| accounted.contains(m)) {
            return None; // a misspelling or a wrong type of it was reported already
        }
        let field = named("unknown field `")
            .or(missing)
            .or_else(|| loc.key_on_line(offset))
            .unwrap_or_default();
        Some(loc.problem(offset, field, suggest::with_suggestion(&message)))
    };
    let doc = match toml_edit::ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let e = toml_edit::de::Error::from(e);
            let problems = serde_problem(&e, &Default::default()).into_iter().collect();
            return (None, Places::new(), problems);
        }
    };
    let mut root = doc.into_item();
    let mut places = Places::new();
    known::places(&root, "", &mut places);
    let mut walk = known::Walk::new(text);
    <raw::RawScenario as known::Known>::walk(&mut root, "", &mut walk);
    let table = root.into_table().unwrap_or_default();
    let mut problems = walk.problems;
    match toml_edit::de::from_document(toml_edit::DocumentMut::from(table)) {
        Ok(raw) => (Some(raw), places, problems),
        Err(e) => {
            problems.extend(serde_problem(&e, &walk.accounted));
            problems.sort_by_key(|p| (p.line, p.column));
            (None, places, problems)
        }
    }
}
