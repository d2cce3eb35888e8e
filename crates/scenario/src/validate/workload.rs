//! One `[[workload]]` checked: its start, its schedule (`open`, `closed`) and its protocol
//! (the slice its file names, `protocol/validate.rs`).

use super::closed::closed;
use super::open::open;
use crate::check::Checker;
use crate::model::{ModelSpec, WorkloadSpec};
use crate::raw::RawWorkload;
use std::time::Duration;

pub(super) fn workload(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    default_duration: Duration,
    payloads: &[String],
    base_dir: &std::path::Path,
) -> Option<WorkloadSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    let start = w
        .start
        .as_ref()
        .and_then(|s| c.duration(s, &f("start")))
        .unwrap_or_default();
    let duration = w.duration.as_ref().map(|d| c.duration(d, &f("duration")));
    let model = match w.model.get_ref().as_str() {
        "open" => open(
            c,
            w,
            i,
            duration.flatten().unwrap_or(default_duration),
            base_dir,
        ),
        "closed" => closed(c, w, i, duration.flatten().unwrap_or(default_duration)),
        other => {
            c.at(
                &w.model,
                f("model"),
                format!("unknown model `{other}` (use open or closed)"),
            );
            None
        }
    };
    let checked = crate::protocol::validate::workload(
        c,
        w,
        i,
        payloads,
        model.as_ref().map(ModelSpec::duration),
    );
    Some(WorkloadSpec {
        name: w.name.get_ref().clone(),
        start,
        model: model?,
        protocol: checked.protocol?,
        new_connection_per_iteration: checked.new_connection_per_iteration,
    })
}
