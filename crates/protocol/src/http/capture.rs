//! Where an HTTP step captures values from its answer (`capture = { NAME = { json | header |
//! cookie | regex } }`) and `scope = "vu"`: each capture checked here (one source; JSON
//! path, header name and regex valid). The runtime side (extraction, escaping, skipping) is
//! `loadgen_http`'s; the one-namespace rule across steps is `journey`'s.

use super::raw::RawCapture;
use super::spec::{CaptureFrom, CaptureSpec, HttpWorkload};
use crate::raw::RawStep;
use loadgen_engine::{CustomKind, CustomMetric};
use loadgen_grammar::check::Checker;

/// Where an HTTP answer can give a step's values: the keys of one `capture` entry.
pub const CAPTURE_FROM: [&str; 4] = ["json", "header", "cookie", "regex"];

/// The custom counters a journey workload records, in the order `loadgen_http` indexes them
/// (`SKIPPED_METRIC`, `REAUTH_METRIC`, `GUARDED_METRIC`, then one `capture_missed_NAME` per
/// capture, in file order). A workload without captures, once-per-VU steps, think time,
/// guards or repeats is no journey and declares none.
pub(crate) fn custom_metrics(w: &HttpWorkload) -> Vec<CustomMetric> {
    let names = w.capture_names();
    let flow = w.steps.iter().any(|s| s.once_per_vu || s.flow.is_journey());
    if names.is_empty() && !flow {
        return Vec::new();
    }
    ["skipped", "reauth", "guarded"]
        .into_iter()
        .map(|n| CustomMetric::new(n, CustomKind::Counter))
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

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_has_exactly_one_source() {
        let raw = |json: Option<&str>, header: Option<&str>, regex: Option<&str>| RawCapture {
            json: json.map(str::to_string),
            header: header.map(str::to_string),
            cookie: None,
            regex: regex.map(str::to_string),
            column: None,
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
