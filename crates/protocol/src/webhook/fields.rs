//! Readers of one field of a hand-read `webhook`/`callback` table, each failing with the
//! sub-field and message of its problem ([`Bad`]).

use loadgen_grammar::units::parse_duration;
use std::time::Duration;

/// A problem: sub-field (after the step's field path) and message.
pub(crate) type Bad = (String, String);

pub(super) fn bad(field: impl Into<String>, message: impl std::fmt::Display) -> Bad {
    (field.into(), message.to_string())
}

/// The value of `r`, or `None` with its problem added to `all`: a table's fields are read
/// one by one and every problem is kept.
pub(super) fn take<T>(all: &mut Vec<Bad>, r: Result<T, Bad>) -> Option<T> {
    r.map_err(|e| all.push(e)).ok()
}

pub(super) fn string<'t>(t: &'t toml::Table, key: &str) -> Result<Option<&'t str>, Bad> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(key, "expected a string")),
    }
}

pub(super) fn required<'t>(t: &'t toml::Table, key: &str, example: &str) -> Result<&'t str, Bad> {
    string(t, key)?.ok_or_else(|| bad(key, format!("required (e.g. {key} = {example})")))
}

pub(super) fn unknown(t: &toml::Table, known: &[&str]) -> Result<(), Bad> {
    match t.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            k.as_str(),
            format!("unknown field (known: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

pub(super) fn path(t: &toml::Table) -> Result<String, Bad> {
    let p = required(t, "path", "\"/webhooks/stripe\"")?;
    if !p.starts_with('/') {
        return Err(bad("path", "a path starts with `/`"));
    }
    Ok(p.to_string())
}

pub(super) fn weight(v: &toml::Value) -> Option<f64> {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .filter(|w| w.is_finite() && *w > 0.0)
}

pub(super) fn payload_ref(text: &str, key: &str, payloads: &[String]) -> Result<usize, Bad> {
    let name = text
        .strip_prefix('@')
        .ok_or_else(|| bad(key, "expected \"@NAME\" naming a [payload.NAME]"))?;
    payloads.iter().position(|p| p == name).ok_or_else(|| {
        let known = if payloads.is_empty() {
            "none defined".to_string()
        } else {
            payloads.join(", ")
        };
        bad(key, format!("no [payload.{name}] (known: {known})"))
    })
}

pub(super) fn headers(t: &toml::Table) -> Result<Vec<(String, String)>, Bad> {
    let Some(h) = t.get("headers") else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(h) = h else {
        return Err(bad("headers", "expected { name = \"value\" }"));
    };
    h.iter()
        .map(|(k, v)| match v {
            toml::Value::String(s)
                if http::HeaderName::from_bytes(k.as_bytes()).is_ok()
                    && http::HeaderValue::from_str(s).is_ok() =>
            {
                Ok((k.clone(), s.clone()))
            }
            _ => Err(bad(
                format!("headers.{k}"),
                "not a valid header name and string value",
            )),
        })
        .collect()
}

pub(super) fn duration(t: &toml::Table, key: &str) -> Result<Option<Duration>, Bad> {
    string(t, key)?
        .map(|s| parse_duration(s).map_err(|m| bad(key, m)))
        .transpose()
}
