//! Which values of an answer later requests send back: each becomes a capture on the step
//! that received it, and its occurrences in later requests become `{{name}}`.
//!
//! A candidate is a JSON leaf of the answer's body (a string, or an integer), a cookie the
//! answer sets, or one of its headers (`Location`, `ETag`, …). It is inferred when it appears
//! as a whole word in a later request and no request up to and including the one that got
//! the answer sent it already (so an echoed `amount` or user name is not mistaken for a value
//! the server made). Values shorter than [`MIN_LEN`] are passed over: `1` or `ok` would match
//! anywhere. JSON fields are tried before cookies and headers (`"id": "pay_1"` rather than
//! `Location: /api/payments/pay_1`), longer values before shorter ones, so a token is not cut
//! into pieces by a value inside it. A value that a path would percent-encode (a `/` in it)
//! is not inferred where a path sends it.

use crate::har::Exchange;
use crate::request::Req;

/// The shortest value worth inferring.
pub const MIN_LEN: usize = 4;
/// At most this many candidates per answer (a huge listing is not scanned to the end).
const MAX_CANDIDATES: usize = 5_000;
/// Names of built-in template variables, which a capture must not take.
const BUILT_IN: [&str; 9] = [
    "vu",
    "iteration",
    "seq",
    "step",
    "uuid",
    "timestamp",
    "timestamp_ms",
    "random_int",
    "random_zipf",
];
/// Answer headers that never carry a value a client sends back.
const PLAIN_HEADERS: [&str; 12] = [
    "date",
    "content-length",
    "content-type",
    "server",
    "connection",
    "vary",
    "cache-control",
    "expires",
    "last-modified",
    "transfer-encoding",
    "keep-alive",
    "set-cookie",
];

/// Where an inferred capture reads its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A JSON path of the body: `$.data.id`.
    Json(String),
    /// A cookie the answer sets.
    Cookie(String),
    /// A header's whole value.
    Header(String),
}

/// One inferred capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// Its name in the scenario (`{{name}}`).
    pub name: String,
    /// The step (0-based) whose answer it reads.
    pub step: usize,
    /// Where in the answer.
    pub source: Source,
    /// The later steps (0-based) that send it.
    pub used_by: Vec<usize>,
}

/// Infers the captures of `exchanges` and puts them into `reqs` (one per exchange).
pub(crate) fn infer(exchanges: &[Exchange], reqs: &mut [Req]) -> Vec<Inferred> {
    let mut out: Vec<Inferred> = Vec::new();
    let mut taken_values: Vec<String> = Vec::new();
    for (i, e) in exchanges.iter().enumerate() {
        let mut candidates = candidates(e);
        candidates.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(b.1.len().cmp(&a.1.len())));
        for (source, value) in candidates {
            if value.len() < MIN_LEN || taken_values.contains(&value) {
                continue;
            }
            // Sent before the answer came: the client knew it, the server did not make it.
            if reqs[..=i]
                .iter()
                .any(|r| r.texts().any(|t| t.contains(&value)))
            {
                continue;
            }
            let used_by: Vec<usize> = (i + 1..reqs.len())
                .filter(|j| reqs[*j].texts().any(|t| t.contains(&value)))
                .collect();
            if used_by.is_empty()
                || (!path_safe(&value) && used_by.iter().any(|j| reqs[*j].path.contains(&value)))
            {
                continue;
            }
            let n = out.len();
            for j in &used_by {
                for t in reqs[*j].texts_mut() {
                    t.replace(&value, n);
                }
            }
            let name = unique_name(&base_name(&source), &out);
            taken_values.push(value);
            out.push(Inferred {
                name,
                step: i,
                source,
                used_by,
            });
        }
    }
    out
}

/// JSON first, then cookies, then headers.
fn rank(s: &Source) -> u8 {
    match s {
        Source::Json(_) => 0,
        Source::Cookie(_) => 1,
        Source::Header(_) => 2,
    }
}

/// True when a path sends the value as it is (captures are percent-encoded in a path).
fn path_safe(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The answer's values that could be captured, with where they are.
fn candidates(e: &Exchange) -> Vec<(Source, String)> {
    let mut out = Vec::new();
    if let Some(body) = &e.response_body {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
            leaves(&json, &mut String::from("$"), &mut out);
        }
    }
    for (name, value) in &e.response_headers {
        let lower = name.to_ascii_lowercase();
        if lower == "set-cookie" {
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                let (k, v) = (k.trim(), v.trim().trim_matches('"'));
                if !k.is_empty() && !v.is_empty() {
                    out.push((Source::Cookie(k.to_owned()), v.to_owned()));
                }
            }
        } else if !PLAIN_HEADERS.contains(&lower.as_str()) {
            out.push((Source::Header(name.clone()), value.clone()));
        }
    }
    out.truncate(MAX_CANDIDATES);
    out
}

/// Strings and integers of a JSON document, each with its path (`$.a[0].b`); keys that the
/// capture grammar cannot name (`.` and `[` inside) are passed over.
fn leaves(v: &serde_json::Value, path: &mut String, out: &mut Vec<(Source, String)>) {
    if out.len() >= MAX_CANDIDATES {
        return;
    }
    let len = path.len();
    match v {
        serde_json::Value::String(s) => out.push((Source::Json(path.clone()), s.clone())),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => {
            out.push((Source::Json(path.clone()), n.to_string()))
        }
        serde_json::Value::Array(items) => {
            for (k, item) in items.iter().enumerate() {
                path.push_str(&format!("[{k}]"));
                leaves(item, path, out);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                if key.is_empty()
                    || !key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    continue;
                }
                path.push('.');
                path.push_str(key);
                leaves(item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A capture name from where the value is: the JSON path's last key, the cookie's or the
/// header's name; letters, digits and `_`, never a built-in's name.
fn base_name(source: &Source) -> String {
    let raw = match source {
        Source::Json(path) => path
            .rsplit('.')
            .map(|seg| seg.split('[').next().unwrap_or(""))
            .find(|seg| !seg.is_empty() && *seg != "$")
            .unwrap_or("value")
            .to_owned(),
        Source::Cookie(c) => c.clone(),
        Source::Header(h) => h.clone(),
    };
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "v_");
    }
    if BUILT_IN.contains(&name.as_str()) {
        name.push_str("_value");
    }
    name
}

fn unique_name(base: &str, taken: &[Inferred]) -> String {
    let free = |n: &str| !taken.iter().any(|t| t.name == n);
    if free(base) {
        return base.to_owned();
    }
    (2..)
        .map(|k| format!("{base}_{k}"))
        .find(|n| free(n))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_where_the_value_is() {
        assert_eq!(base_name(&Source::Json("$.data.items[0].id".into())), "id");
        assert_eq!(base_name(&Source::Json("$[0]".into())), "value");
        assert_eq!(base_name(&Source::Json("$.step".into())), "step_value");
        assert_eq!(
            base_name(&Source::Cookie("Session-Id".into())),
            "session_id"
        );
        assert_eq!(base_name(&Source::Header("ETag".into())), "etag");
        assert_eq!(base_name(&Source::Json("$.2fa".into())), "v_2fa");
    }

    #[test]
    fn leaves_are_strings_and_integers_with_their_paths() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"id": "pay_1", "amount": 4999, "rate": 1.5, "ok": true, "tags": ["a", {"k": 7}], "a.b": "x"}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        leaves(&v, &mut "$".to_owned(), &mut out);
        let mut paths: Vec<String> = out
            .iter()
            .map(|(s, v)| match s {
                Source::Json(p) => format!("{p}={v}"),
                _ => unreachable!(),
            })
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "$.amount=4999",
                "$.id=pay_1",
                "$.tags[0]=a",
                "$.tags[1].k=7"
            ]
        );
    }
}
