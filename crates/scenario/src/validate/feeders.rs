//! `[feeder.NAME]` data checked: each file read, its order known, every
//! `{{feeder.column}}` a step uses a column the file has, and a unique feeder with rows
//! enough for the iterations that read it.

use crate::check::Checker;
use crate::feeder::{Feeder, Order};
use crate::model::{ModelSpec, WorkloadSpec};
use crate::protocol::http::templated;
use crate::raw::RawScenario;
use std::path::Path;
use std::sync::Arc;

/// Every feeder whose order is known and whose file reads.
pub(super) fn load(c: &mut Checker<'_>, raw: &RawScenario, base_dir: &Path) -> Vec<Arc<Feeder>> {
    let mut feeders = Vec::new();
    for (name, f) in &raw.feeder {
        let order = match f
            .get_ref()
            .order
            .as_ref()
            .map(|o| (o, o.get_ref().as_str()))
        {
            None | Some((_, "sequential")) => Order::Sequential,
            Some((_, "random")) => Order::Random,
            Some((_, "unique")) => Order::Unique,
            Some((o, other)) => {
                c.at(
                    o,
                    format!("feeder.{name}.order"),
                    format!("unknown order `{other}` (use sequential, random or unique)"),
                );
                continue;
            }
        };
        let path = base_dir.join(f.get_ref().file.get_ref());
        match Feeder::load(name, &path, order) {
            Ok(feeder) => feeders.push(Arc::new(feeder)),
            Err(e) => c.at(&f.get_ref().file, format!("feeder.{name}.file"), e),
        }
    }
    feeders
}

/// A unique feeder's rows never repeat: a workload reading one must be closed with
/// `iterations`, and the rows must cover every iteration it may run. A feeder only
/// once-per-VU steps read (per-VU credentials: each VU keeps its first row) needs a row per
/// VU instead, in any model.
pub(super) fn unique_rows(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    feeders: &[Arc<Feeder>],
    workloads: &[WorkloadSpec],
) {
    for (i, w) in workloads.iter().enumerate() {
        for f in feeders.iter().filter(|f| f.order == Order::Unique) {
            let needle = format!("{{{{{}.", f.name);
            if !w
                .protocol
                .template_texts()
                .iter()
                .any(|t| t.contains(&needle))
            {
                continue;
            }
            let per_vu = match &w.protocol {
                crate::protocol::ProtocolSpec::Http(h) => h
                    .steps
                    .iter()
                    .all(|s| s.once_per_vu || !s.template_text().contains(&needle)),
                _ => false,
            };
            if per_vu {
                let vus = w.model.max_vus();
                if vus > f.rows.len() as u64 {
                    c.at(
                        &raw.workload[i].get_ref().name,
                        format!("workload[{i}]"),
                        format!(
                            "unique feeder `{}` has {} rows but this workload may run {vus} VUs, and each VU logs in with a row of its own (scope = \"vu\")",
                            f.name,
                            f.rows.len()
                        ),
                    );
                }
                continue;
            }
            let bound = match &w.model {
                ModelSpec::Closed {
                    stages,
                    iterations: Some(n),
                    ..
                } => Some(stages.max_vus() * n),
                _ => None,
            };
            let message = match bound {
                Some(b) if b <= f.rows.len() as u64 => continue,
                Some(b) => format!(
                    "unique feeder `{}` has {} rows but this workload may run {b} iterations (unique rows never repeat)",
                    f.name,
                    f.rows.len()
                ),
                None => format!(
                    "unique feeder `{}` needs a closed workload with `iterations` (so the rows it needs are known); use order = \"sequential\" or \"random\" here",
                    f.name
                ),
            };
            c.at(
                &raw.workload[i].get_ref().name,
                format!("workload[{i}]"),
                message,
            );
        }
    }
}

/// `{{feeder.column}}` in a step's path, headers or body names a column the feeder has:
/// checked here, where the step's line is known, rather than when the plan is built.
pub(super) fn columns(c: &mut Checker<'_>, raw: &RawScenario, feeders: &[Arc<Feeder>]) {
    for (i, w) in raw.workload.iter().enumerate() {
        for (j, s) in w.get_ref().step.iter().enumerate() {
            let Some(http) = &s.get_ref().http else {
                continue;
            };
            for part in templated::parts(http) {
                for (feeder, column) in templated::placeholders(&part.text)
                    .filter_map(|p| p.split_once('.'))
                    .map(|(f, col)| (f.trim(), col.trim()))
                {
                    let Some(f) = feeders.iter().find(|f| f.name == feeder) else {
                        continue;
                    };
                    if !f.columns.iter().any(|c| c == column) {
                        c.at_offset(
                            part.at,
                            format!("workload[{i}].step[{j}].http.{}", part.field),
                            format!(
                                "feeder `{feeder}` has no column `{column}` (its columns: {})",
                                f.columns.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
}
