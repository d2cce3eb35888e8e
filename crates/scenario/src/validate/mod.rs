//! Raw scenario → validated [`Scenario`]: units parsed, model fields checked against the
//! model, names unique, thresholds parsed and their filters resolved. Every problem is
//! collected with its location; nothing stops at the first.
//!
//! The scenario-wide parts are checked here and in `settings`, `feeders` and `thresholds`;
//! each workload's schedule in `workload`, `open` and `closed`; its steps by the protocol
//! slice its file names (`protocol/validate.rs`).

mod closed;
mod feeders;
mod open;
mod settings;
mod thresholds;
mod workload;

pub(crate) use open::default_backlog;
pub use open::MAX_ARRIVAL_RATE;
pub use settings::TARGET_SCHEMES;

use crate::check::{Checker, MAX_NAME_LEN};
use crate::error::Problem;
use crate::model::{Scenario, WorkloadSpec};
use crate::payload::PaymentGenerator;
use crate::raw::RawScenario;
use std::collections::HashSet;
use std::time::Duration;

/// Validates `raw` (parsed from `text`); returns every problem found.
pub(crate) fn validate(
    raw: RawScenario,
    text: &str,
    base_dir: &std::path::Path,
    places: std::collections::HashMap<String, usize>,
) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker::new(text).with_places(places);
    let duration = match &raw.duration {
        Some(d) => c.duration(d, "duration").unwrap_or_default(),
        None => Duration::from_secs(30),
    };
    let graceful_stop = match &raw.graceful_stop {
        Some(d) => c.duration(d, "graceful_stop").unwrap_or_default(),
        None => Duration::from_secs(5),
    };
    name(&mut c, &raw);
    let target = settings::target(&mut c, &raw);
    let http = settings::http(&mut c, raw.http.as_ref(), base_dir);
    if raw.workload.is_empty() {
        c.problems.push(
            c.loc
                .problem(0, "workload", "a scenario needs at least one [[workload]]"),
        );
    }
    let payloads = payloads(&mut c, &raw);
    let feeders = feeders::load(&mut c, &raw, base_dir);
    feeders::columns(&mut c, &raw, &feeders);
    crate::journey::check_names(&mut c, &raw);
    let payload_names: Vec<String> = raw.payload.keys().cloned().collect();
    let setup = crate::setup::validate(&mut c, &raw.setup, &payload_names);
    let mut workloads = workloads(&mut c, &raw, duration, base_dir);
    time_scale(&mut c, &raw, &mut workloads);
    feeders::unique_rows(&mut c, &raw, &feeders, &workloads);
    let thresholds = thresholds::thresholds(&mut c, &raw, text, &workloads);
    if !c.problems.is_empty() {
        c.problems.sort_by_key(|p| (p.line, p.column));
        return Err(c.problems);
    }
    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        target,
        duration,
        seed: raw.seed.unwrap_or(1),
        graceful_stop,
        http,
        feeders,
        payloads,
        workloads,
        thresholds,
        setup,
        setup_values: Vec::new(),
    })
}

/// `time_scale`: think times (between iterations and between steps) and repeated steps'
/// session lengths divided by it, so the workloads hold wall-clock pauses from here on.
/// Durations and stages are wall-clock as written.
fn time_scale(c: &mut Checker<'_>, raw: &RawScenario, workloads: &mut [WorkloadSpec]) {
    let Some(ts) = &raw.time_scale else {
        return;
    };
    let scale = *ts.get_ref();
    if !(scale > 0.0 && scale.is_finite()) {
        c.at(
            ts,
            "time_scale",
            format!("{scale} is not a speed-up (simulated seconds per real second, > 0)"),
        );
        return;
    }
    for w in workloads {
        if let crate::schedule::ModelSpec::Closed { think, .. } = &mut w.model {
            *think = think.scaled(scale);
        }
        if let crate::protocol::ProtocolSpec::Http(h) = &mut w.protocol {
            crate::protocol::http::flow::scale(h, scale);
        }
    }
}

/// The scenario's name: it names the results folder.
fn name(c: &mut Checker<'_>, raw: &RawScenario) {
    let name = raw.name.get_ref();
    if name.trim().is_empty() {
        c.at(&raw.name, "name", "must not be empty");
    } else if name.len() > MAX_NAME_LEN {
        c.at(
            &raw.name,
            "name",
            format!(
                "is {} characters long; at most {MAX_NAME_LEN} (it names the results folder)",
                name.len()
            ),
        );
    } else if !name
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
    {
        c.at(
            &raw.name,
            "name",
            "use letters, digits, `-`, `_` or `.` (it names the results folder)",
        );
    }
}

/// `[payload.NAME]` generators, in file order (steps refer to them by index).
fn payloads(c: &mut Checker<'_>, raw: &RawScenario) -> Vec<PaymentGenerator> {
    let mut payloads = Vec::new();
    for (name, table) in &raw.payload {
        match crate::payload::parse(name, table.get_ref()) {
            Ok(g) => payloads.push(g),
            Err(all) => {
                for e in all {
                    c.at_place(table, format!("payload.{name}.{}", e.field), e.problem);
                }
            }
        }
    }
    payloads
}

/// Every `[[workload]]` that checks out; names labelled and unique.
fn workloads(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    duration: Duration,
    base_dir: &std::path::Path,
) -> Vec<WorkloadSpec> {
    let payload_names: Vec<String> = raw.payload.keys().cloned().collect();
    let mut names = HashSet::new();
    let mut workloads = Vec::new();
    for (i, w) in raw.workload.iter().enumerate() {
        c.label(&w.get_ref().name, &format!("workload[{i}].name"));
        if !names.insert(w.get_ref().name.get_ref().clone()) {
            c.at(
                &w.get_ref().name,
                format!("workload[{i}].name"),
                format!("duplicate workload name `{}`", w.get_ref().name.get_ref()),
            );
        }
        if let Some(spec) =
            workload::workload(c, w.get_ref(), i, duration, &payload_names, base_dir)
        {
            workloads.push(spec);
        }
    }
    workloads
}
