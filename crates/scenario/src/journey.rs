//! User journeys: the one namespace every `{{name}}` lives in (captures themselves are the
//! HTTP slice's, `protocol/http/capture.rs`).
//!
//! Built-ins (`{{uuid}}`…), feeders (`{{customers.id}}`), payloads (`@NAME`) and captures
//! share one namespace: a capture named like any of them, or captured twice in a workload, is
//! refused here with its line; so is a `{{name}}` used by a step before (or in) the step that
//! captures it. The runtime side (extraction, escaping, skipping) is `loadgen_http`'s.

use crate::check::Checker;
use crate::protocol::http::capture::is_identifier;
use crate::protocol::http::templated;
use crate::raw::RawScenario;
use std::collections::HashMap;

/// Names the template language already gives a meaning.
const BUILT_INS: [&str; 9] = [
    "vu",
    "iteration",
    "seq",
    "step",
    "uuid",
    "timestamp_ms",
    "timestamp",
    "random_int",
    "random_zipf",
];

/// The one-namespace rule, per workload, in step order: a capture must not be named like a
/// built-in, a feeder, a payload or another capture; a `{{name}}` must come after the step
/// that captures it.
pub(crate) fn check_names(c: &mut Checker<'_>, raw: &RawScenario) {
    // `{{setup.NAME}}` reads the run-level setup's captures: `setup` is taken.
    if let Some(f) = raw.feeder.get("setup") {
        c.at(
            f,
            "feeder.setup",
            "`setup` names the [[setup]] captures ({{setup.NAME}}): rename the feeder",
        );
    }
    let setup_caps: Vec<&str> = raw
        .setup
        .iter()
        .filter_map(|s| s.get_ref().capture.as_ref())
        .flat_map(|t| t.get_ref().keys().map(String::as_str))
        .collect();
    for (i, w) in raw.workload.iter().enumerate() {
        let steps = &w.get_ref().step;
        // Every capture of the workload and the step that makes it.
        let mut made_at: HashMap<&str, usize> = HashMap::new();
        for (j, s) in steps.iter().enumerate() {
            let Some(table) = &s.get_ref().capture else {
                continue;
            };
            for (name, at) in table.get_ref() {
                let field = format!("workload[{i}].step[{j}].capture.{name}");
                let clash = if BUILT_INS.contains(&name.as_str()) {
                    Some(format!("`{name}` is a built-in template variable"))
                } else if raw.feeder.contains_key(name) {
                    Some(format!("`{name}` is a [feeder.{name}]"))
                } else if raw.payload.contains_key(name) {
                    Some(format!("`{name}` is a [payload.{name}]"))
                } else {
                    made_at.get(name.as_str()).map(|first| {
                        let first = steps[*first].get_ref().name.get_ref();
                        format!("`{name}` is already captured by step `{first}`")
                    })
                };
                match clash {
                    Some(why) => c.at(
                        at,
                        field,
                        format!("{why}; built-ins, feeders, payloads and captures share one namespace: rename the capture"),
                    ),
                    None => {
                        made_at.insert(name.as_str(), j);
                    }
                }
            }
        }
        for (j, s) in steps.iter().enumerate() {
            if let Some(when) = &s.get_ref().when {
                let name = when.get_ref().as_str();
                if made_at.get(name).is_none_or(|by| *by >= j) {
                    c.at(
                        when,
                        format!("workload[{i}].step[{j}].when"),
                        format!("`{name}` is not captured by an earlier step of this workload; when = \"NAME\" runs the step only when that capture holds a value"),
                    );
                }
            }
            let Some(http) = &s.get_ref().http else {
                continue;
            };
            for part in templated::parts(http) {
                // One problem per text: the first name it uses too early.
                let early = templated::placeholders(&part.text)
                    .filter(|name| is_identifier(name))
                    .find_map(|name| {
                        made_at
                            .get(name)
                            .filter(|by| **by >= j)
                            .map(|by| (name, steps[*by].get_ref().name.get_ref()))
                    });
                if let Some((name, by)) = early {
                    c.at_offset(
                        part.at,
                        format!("workload[{i}].step[{j}].http.{}", part.field),
                        format!("`{{{{{name}}}}}` is used before step `{by}` captures it; a step reads only what earlier steps of its iteration captured"),
                    );
                }
                let unknown = templated::placeholders(&part.text)
                    .filter_map(|name| name.trim().strip_prefix("setup."))
                    .find(|key| !setup_caps.contains(key));
                if let Some(key) = unknown {
                    c.at_offset(
                        part.at,
                        format!("workload[{i}].step[{j}].http.{}", part.field),
                        format!("`{{{{setup.{key}}}}}`: no [[setup]] step captures `{key}`"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_skip_feeders_and_functions() {
        let plain: Vec<_> =
            templated::placeholders("/a/{{ id }}/{{c.x}}/{{random_int(1,2)}}?t={{token}}")
                .filter(|name| is_identifier(name))
                .collect();
        assert_eq!(plain, ["id", "token"]);
    }
}
