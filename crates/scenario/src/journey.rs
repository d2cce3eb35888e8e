//! User journeys: a step's `capture = { NAME = { json | header | cookie | regex } }` and the
//! one namespace every `{{name}}` lives in.
//!
//! Built-ins (`{{uuid}}`…), feeders (`{{customers.id}}`), payloads (`@NAME`) and captures
//! share one namespace: a capture named like any of them, or captured twice in a workload, is
//! refused here with its line; so is a `{{name}}` used by a step before (or in) the step that
//! captures it. The runtime side (extraction, escaping, skipping) is `loadgen_http`'s.

use crate::model::{CaptureFrom, CaptureSpec, WorkloadSpec};
use crate::raw::{RawCapture, RawScenario, RawStep};
use crate::validate::Checker;
use loadgen_engine::{CustomKind, CustomMetric};
use std::collections::HashMap;

/// Names the template language already gives a meaning.
const BUILT_INS: [&str; 8] = [
    "vu",
    "iteration",
    "seq",
    "step",
    "uuid",
    "timestamp_ms",
    "timestamp",
    "random_int",
];

/// The custom counters a journey workload records, in the order `loadgen_http` indexes them
/// (`SKIPPED_METRIC`, then one `capture_missed_NAME` per capture, in file order). A workload
/// without captures or once-per-VU steps is no journey and declares none.
pub(crate) fn custom_metrics(w: &WorkloadSpec) -> Vec<CustomMetric> {
    let names: Vec<&str> = w
        .steps
        .iter()
        .flat_map(|s| s.captures.iter().map(|c| c.name.as_str()))
        .collect();
    if names.is_empty() && !w.steps.iter().any(|s| s.once_per_vu) {
        return Vec::new();
    }
    std::iter::once(CustomMetric::new("skipped", CustomKind::Counter))
        .chain(
            names
                .into_iter()
                .map(|n| CustomMetric::new(format!("capture_missed_{n}"), CustomKind::Counter)),
        )
        .collect()
}

/// The step's captures, each checked (one source; JSON path, header name and regex valid).
pub(crate) fn captures(c: &mut Checker<'_>, s: &RawStep, field: &str) -> Vec<CaptureSpec> {
    let Some(table) = &s.capture else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, raw) in table.get_ref() {
        let field = format!("{field}.capture.{name}");
        if !is_identifier(name) {
            c.at(
                raw,
                field.clone(),
                format!(
                    "`{name}` is not a capture name (letters, digits and `_`, not first a digit)"
                ),
            );
            continue;
        }
        match source(raw.get_ref()) {
            Ok(from) => out.push(CaptureSpec {
                name: name.clone(),
                from,
            }),
            Err(m) => c.at(raw, field, m),
        }
    }
    out
}

/// `scope = "vu"` → true; `"iteration"` or nothing → false.
pub(crate) fn once_per_vu(c: &mut Checker<'_>, s: &RawStep, field: &str) -> bool {
    match s.scope.as_ref().map(|v| (v, v.get_ref().as_str())) {
        None | Some((_, "iteration")) => false,
        Some((_, "vu")) => true,
        Some((v, other)) => {
            c.at(
                v,
                format!("{field}.scope"),
                format!("unknown scope `{other}` (use \"iteration\", the default, or \"vu\": once per VU)"),
            );
            false
        }
    }
}

fn source(r: &RawCapture) -> Result<CaptureFrom, String> {
    if let Some(re) = &r.regex {
        regex::bytes::Regex::new(re).map_err(|e| format!("regex: {e}"))?;
    }
    let header_name = |h: &str| {
        http::HeaderName::try_from(h)
            .map(|_| h.to_string())
            .map_err(|_| format!("`{h}` is not a header name"))
    };
    Ok(match (&r.json, &r.header, &r.cookie, &r.regex) {
        (Some(path), None, None, None) => {
            loadgen_http::JsonPath::parse(path).map_err(|e| e.to_string())?;
            CaptureFrom::Json(path.clone())
        }
        (None, Some(h), None, re) => CaptureFrom::Header(header_name(h)?, re.clone()),
        (None, None, Some(name), None) if !name.is_empty() => CaptureFrom::Cookie(name.clone()),
        (None, None, None, Some(re)) => CaptureFrom::Regex(re.clone()),
        _ => {
            return Err(
                "give one of json = \"$.id\", header = \"Location\" (optionally with regex), cookie = \"NAME\" or regex = \"…\" (over the body)"
                    .into(),
            )
        }
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// The one-namespace rule, per workload, in step order: a capture must not be named like a
/// built-in, a feeder, a payload or another capture; a `{{name}}` must come after the step
/// that captures it.
pub(crate) fn check_names(c: &mut Checker<'_>, raw: &RawScenario) {
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
            let Some(http) = &s.get_ref().http else {
                continue;
            };
            for part in crate::templated::parts(http) {
                // One problem per text: the first name it uses too early.
                let early = crate::templated::placeholders(&part.text)
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
            crate::templated::placeholders("/a/{{ id }}/{{c.x}}/{{random_int(1,2)}}?t={{token}}")
                .filter(|name| is_identifier(name))
                .collect();
        assert_eq!(plain, ["id", "token"]);
    }

    #[test]
    fn a_capture_has_exactly_one_source() {
        let raw = |json: Option<&str>, header: Option<&str>, regex: Option<&str>| RawCapture {
            json: json.map(str::to_string),
            header: header.map(str::to_string),
            cookie: None,
            regex: regex.map(str::to_string),
        };
        assert!(source(&raw(Some("$.id"), None, None)).is_ok());
        assert!(source(&raw(None, Some("Location"), Some("/p/(.+)"))).is_ok());
        assert!(source(&raw(None, None, Some("id=(\\d+)"))).is_ok());
        assert!(source(&raw(Some("$.id"), Some("Location"), None)).is_err());
        assert!(source(&raw(None, None, None)).is_err());
        assert!(source(&raw(Some("id"), None, None)).is_err());
        assert!(source(&raw(None, None, Some("("))).is_err());
        assert!(source(&raw(None, Some("bad header"), None)).is_err());
    }
}
