//! Field readers shared by the validators: each parses one spanned value, records a problem
//! at its span if it is wrong, and returns `None` then.

use crate::error::Problems;
use crate::raw::S;
use crate::units::{parse_duration, parse_rate};
use std::ops::Range;
use std::time::Duration;

/// A required field: `None` (and a problem at the enclosing table) when it is missing.
pub(crate) fn required<'r, T>(
    p: &mut Problems,
    v: &'r Option<S<T>>,
    table: Range<usize>,
    path: &str,
    what: &str,
) -> Option<&'r S<T>> {
    if v.is_none() {
        p.at(table, path, format!("missing: {what}"));
    }
    v.as_ref()
}

pub(crate) fn duration(p: &mut Problems, v: &S<String>, path: &str) -> Option<Duration> {
    parse_duration(v.get_ref())
        .map_err(|e| p.at(v.span(), path, e.to_string()))
        .ok()
}

pub(crate) fn rate(p: &mut Problems, v: &S<String>, path: &str) -> Option<f64> {
    parse_rate(v.get_ref())
        .map_err(|e| p.at(v.span(), path, e.to_string()))
        .ok()
}

/// An optional duration with a default.
pub(crate) fn duration_or(
    p: &mut Problems,
    v: &Option<S<String>>,
    path: &str,
    default: Duration,
) -> Option<Duration> {
    match v {
        Some(v) => duration(p, v, path),
        None => Some(default),
    }
}

/// An optional duration longer than zero, with a default.
pub(crate) fn positive_duration_or(
    p: &mut Problems,
    v: &Option<S<String>>,
    path: &str,
    default: Duration,
) -> Option<Duration> {
    let d = duration_or(p, v, path, default)?;
    match v {
        Some(v) if d.is_zero() => {
            p.at(v.span(), path, "must be longer than 0s");
            None
        }
        _ => Some(d),
    }
}

/// A whole number of at least `min`.
pub(crate) fn count(p: &mut Problems, v: &S<i64>, path: &str, min: u64) -> Option<u64> {
    match u64::try_from(*v.get_ref()) {
        Ok(n) if n >= min => Some(n),
        _ => {
            p.at(
                v.span(),
                path,
                format!("must be at least {min}, not {}", v.get_ref()),
            );
            None
        }
    }
}

/// A name: non-empty, no surrounding spaces, none of the characters the threshold filter
/// syntax or a results folder would trip on.
pub(crate) fn name(p: &mut Problems, v: &S<String>, path: &str) -> Option<String> {
    let s = v.get_ref();
    let bad = |c: &char| c.is_control() || "{},=\"/\\".contains(*c);
    let reason = if s.is_empty() {
        Some("must not be empty".to_string())
    } else if s.trim() != s {
        Some("must not start or end with spaces".to_string())
    } else {
        s.chars().find(bad).map(|c| {
            format!(
                "{s:?} holds {c:?}; names may not contain {{ }} , = \" / \\ or control characters"
            )
        })
    };
    match reason {
        Some(r) => {
            p.at(v.span(), path, r);
            None
        }
        None => Some(s.clone()),
    }
}

/// One of `choices` (the first is named as an example in the message).
pub(crate) fn choice<T: Copy>(
    p: &mut Problems,
    v: &S<String>,
    path: &str,
    what: &str,
    choices: &[(&str, T)],
) -> Option<T> {
    let found = choices.iter().find(|(n, _)| n == v.get_ref()).map(|c| c.1);
    if found.is_none() {
        let names: Vec<&str> = choices.iter().map(|c| c.0).collect();
        p.at(
            v.span(),
            path,
            format!("unknown {what} {:?} (use {})", v.get_ref(), or_list(&names)),
        );
    }
    found
}

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A header list: names are HTTP tokens, values single-line text.
pub(crate) fn headers(
    p: &mut Problems,
    raw: &crate::raw_de::OrderedMap<S<String>>,
    path: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in &raw.0 {
        let mut here = path.to_string();
        crate::tree::push_key(&mut here, k.get_ref());
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if k.get_ref().is_empty() || !k.get_ref().chars().all(token) {
            p.at(
                k.span(),
                &here,
                format!("{:?} is not a valid header name", k.get_ref()),
            );
        } else if v.get_ref().chars().any(|c| c.is_control() && c != '\t') {
            p.at(
                v.span(),
                &here,
                "header values must be one line without control characters",
            );
        } else {
            out.push((k.get_ref().clone(), v.get_ref().clone()));
        }
    }
    out
}
