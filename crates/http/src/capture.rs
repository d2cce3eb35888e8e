//! Captures: values taken from one step's answer and rendered into later steps as
//! `{{name}}` (a user journey: log in, keep the token; create, read back by id).
//!
//! A capture reads one of: a JSON field (a JSONPath subset, `$.id`, `$.data.items[0].id`), a
//! response header (`Location`), the value of a `Set-Cookie` cookie, or the first group of a
//! regex over the body (or over the header's value, when both are given). A capture that finds
//! nothing, or finds an empty value, is a miss: the step fails its check and the iteration
//! stops, so no later request goes out with an empty value.
//!
//! Values live in per-VU [`Slots`], one per capture name, whose buffers are reused from one
//! iteration to the next. Nothing here runs for a workload without captures: the factory
//! decides at build time (see `session.rs`).

use crate::error::HttpError;
use http::{HeaderMap, HeaderName};
use serde_json::Value;

/// Where a capture reads its value.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// A JSON field of the body, by a JSONPath subset (`$.a.b[0].c`).
    Json(JsonPath),
    /// The first value of a response header; with a regex, its first group over that value.
    Header(HeaderName, Option<regex::bytes::Regex>),
    /// The value of the cookie of this name set by a `Set-Cookie` header.
    Cookie(String),
    /// The first group (or the whole match, without groups) of a regex over the body.
    Regex(regex::bytes::Regex),
}

/// One capture of a step: where its value comes from and which slot keeps it.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The name later steps render as `{{name}}`.
    pub name: String,
    /// Index of the slot it fills (the order of captures in the workload).
    pub slot: usize,
    /// Where the value is read.
    pub source: CaptureSource,
}

impl Capture {
    /// True when reading this capture needs the response body.
    pub(crate) fn needs_body(&self) -> bool {
        matches!(
            self.source,
            CaptureSource::Json(_) | CaptureSource::Regex(_)
        )
    }

    /// Puts the captured value into `out` (cleared first); `false` on a miss.
    pub(crate) fn extract(&self, headers: &HeaderMap, body: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        match &self.source {
            CaptureSource::Json(path) => {
                let Ok(doc) = serde_json::from_slice::<Value>(body) else {
                    return false;
                };
                match path.find(&doc) {
                    Some(Value::String(s)) => out.extend_from_slice(s.as_bytes()),
                    Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                        out.extend_from_slice(v.to_string().as_bytes())
                    }
                    Some(v @ (Value::Object(_) | Value::Array(_))) => {
                        out.extend_from_slice(v.to_string().as_bytes())
                    }
                    Some(Value::Null) | None => {}
                }
            }
            CaptureSource::Header(name, re) => {
                if let Some(v) = headers.get(name) {
                    match re {
                        Some(re) => group(re, v.as_bytes(), out),
                        None => out.extend_from_slice(v.as_bytes()),
                    }
                }
            }
            CaptureSource::Cookie(name) => {
                for v in headers.get_all(http::header::SET_COOKIE) {
                    if let Some(value) = cookie_value(v.as_bytes(), name.as_bytes()) {
                        out.extend_from_slice(value);
                        break;
                    }
                }
            }
            CaptureSource::Regex(re) => group(re, body, out),
        }
        !out.is_empty()
    }
}

fn group(re: &regex::bytes::Regex, hay: &[u8], out: &mut Vec<u8>) {
    if let Some(c) = re.captures(hay) {
        if let Some(m) = c.get(1).or_else(|| c.get(0)) {
            out.extend_from_slice(m.as_bytes());
        }
    }
}

/// The value of cookie `name` in one `Set-Cookie` header (`name=value; Path=/…`).
fn cookie_value<'a>(header: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let pair = header.split(|b| *b == b';').next()?;
    let eq = pair.iter().position(|b| *b == b'=')?;
    (pair[..eq].trim_ascii() == name).then(|| pair[eq + 1..].trim_ascii())
}

/// A JSONPath subset: `$`, then `.key` and `[index]` segments (`$.data.items[0].id`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl JsonPath {
    /// Parses `$.a.b[0]`; anything else (filters, wildcards, `..`) is refused, naming why.
    pub fn parse(text: &str) -> Result<JsonPath, HttpError> {
        let bad = |reason: &str| HttpError::Capture {
            what: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut rest = text
            .strip_prefix('$')
            .ok_or_else(|| bad("a JSON path starts with `$` (`$.id`)"))?;
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let key = &after[..end];
                if key.is_empty() || key == "*" {
                    return Err(bad("an empty or wildcard key (only `.key` and `[n]`)"));
                }
                segments.push(Segment::Key(key.to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| bad("unclosed `[`"))?;
                let index = after[..end]
                    .trim()
                    .parse()
                    .map_err(|_| bad("an array index is a number (`[0]`)"))?;
                segments.push(Segment::Index(index));
                rest = &after[end + 1..];
            } else {
                return Err(bad("expected `.key` or `[n]` after `$`"));
            }
        }
        Ok(JsonPath { segments })
    }

    fn find<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        self.segments.iter().try_fold(doc, |v, s| match s {
            Segment::Key(k) => v.get(k.as_str()),
            Segment::Index(i) => v.get(*i),
        })
    }
}

/// One VU's captured values, one slot per capture name, buffers kept between iterations.
/// Other protocols (SQL rows) fill slots with [`Slots::put`] and render them through
/// [`crate::Vars::with_captures`].
#[derive(Debug, Default)]
pub struct Slots {
    values: Vec<Vec<u8>>,
    filled: Vec<bool>,
}

impl Slots {
    /// `count` empty slots.
    pub fn new(count: usize) -> Self {
        Slots {
            values: vec![Vec::new(); count],
            filled: vec![false; count],
        }
    }

    /// Forgets every value (a new iteration), keeping the buffers.
    #[cfg(test)]
    pub(crate) fn clear(&mut self) {
        self.filled.iter_mut().for_each(|f| *f = false);
    }

    /// Forgets the values of a new iteration except those of slots marked in `keep` (the
    /// captures of once-per-VU steps), keeping the buffers.
    pub fn clear_except(&mut self, keep: &[bool]) {
        for (i, f) in self.filled.iter_mut().enumerate() {
            *f &= keep.get(i).copied().unwrap_or(false);
        }
    }

    /// The value of slot `i`, if this iteration captured it.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        match self.filled.get(i) {
            Some(true) => self.values.get(i).map(Vec::as_slice),
            _ => None,
        }
    }

    /// Fills slot `i` with what `write` puts in its (cleared) buffer; an empty value is a miss.
    /// Returns whether the slot is filled.
    pub fn put(&mut self, i: usize, write: impl FnOnce(&mut Vec<u8>)) -> bool {
        let (Some(value), Some(filled)) = (self.values.get_mut(i), self.filled.get_mut(i)) else {
            return false;
        };
        value.clear();
        write(value);
        *filled = !value.is_empty();
        *filled
    }

    /// Runs `capture` on an answer; `false` on a miss (the slot stays empty).
    pub(crate) fn fill(&mut self, capture: &Capture, headers: &HeaderMap, body: &[u8]) -> bool {
        let (Some(value), Some(filled)) = (
            self.values.get_mut(capture.slot),
            self.filled.get_mut(capture.slot),
        ) else {
            return false;
        };
        *filled = capture.extract(headers, body, value);
        *filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(source: CaptureSource) -> Capture {
        Capture {
            name: "x".into(),
            slot: 0,
            source,
        }
    }

    fn run(c: &Capture, headers: &HeaderMap, body: &str) -> Option<String> {
        let mut out = Vec::new();
        c.extract(headers, body.as_bytes(), &mut out)
            .then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn json_paths_find_strings_numbers_and_nested_items() {
        let h = HeaderMap::new();
        let body =
            r#"{"id":"pay_1","n":7,"data":{"items":[{"id":"a"},{"id":"b"}]},"z":null,"e":""}"#;
        let get = |p: &str| {
            run(
                &cap(CaptureSource::Json(JsonPath::parse(p).unwrap())),
                &h,
                body,
            )
        };
        assert_eq!(get("$.id").as_deref(), Some("pay_1"));
        assert_eq!(get("$.n").as_deref(), Some("7"));
        assert_eq!(get("$.data.items[1].id").as_deref(), Some("b"));
        assert_eq!(get("$.data.items[2].id"), None);
        assert_eq!(get("$.z"), None, "null is a miss");
        assert_eq!(get("$.e"), None, "an empty value is a miss");
        assert_eq!(get("$.nope"), None);
        let c = cap(CaptureSource::Json(JsonPath::parse("$.id").unwrap()));
        assert_eq!(run(&c, &h, "not json"), None);
    }

    #[test]
    fn json_path_subset_refuses_what_it_does_not_do() {
        for bad in ["id", "$..id", "$.a[*]", "$.a[", "$.", "$x"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
        assert!(JsonPath::parse("$").is_ok());
    }

    #[test]
    fn headers_cookies_and_regex_groups() {
        let mut h = HeaderMap::new();
        h.insert("location", "/api/payments/pay_9".parse().unwrap());
        h.append("set-cookie", "a=1; Path=/".parse().unwrap());
        h.append("set-cookie", "sid = s3cr3t ; HttpOnly".parse().unwrap());
        let loc = HeaderName::from_static("location");
        assert_eq!(
            run(&cap(CaptureSource::Header(loc.clone(), None)), &h, "").as_deref(),
            Some("/api/payments/pay_9")
        );
        let re = regex::bytes::Regex::new("/payments/([^/]+)").unwrap();
        assert_eq!(
            run(&cap(CaptureSource::Header(loc, Some(re.clone()))), &h, "").as_deref(),
            Some("pay_9")
        );
        let etag = HeaderName::from_static("etag");
        assert_eq!(run(&cap(CaptureSource::Header(etag, None)), &h, ""), None);
        assert_eq!(
            run(&cap(CaptureSource::Cookie("sid".into())), &h, "").as_deref(),
            Some("s3cr3t")
        );
        assert_eq!(run(&cap(CaptureSource::Cookie("b".into())), &h, ""), None);
        assert_eq!(
            run(&cap(CaptureSource::Regex(re)), &h, "see /payments/p7 now").as_deref(),
            Some("p7 now")
        );
        let whole = regex::bytes::Regex::new("p[0-9]+").unwrap();
        assert_eq!(
            run(&cap(CaptureSource::Regex(whole)), &h, "x p42 y").as_deref(),
            Some("p42")
        );
    }

    #[test]
    fn slots_forget_values_between_iterations() {
        let mut s = Slots::new(1);
        let c = cap(CaptureSource::Regex(regex::bytes::Regex::new("v").unwrap()));
        assert!(s.fill(&c, &HeaderMap::new(), b"v"));
        assert_eq!(s.get(0), Some(&b"v"[..]));
        s.clear_except(&[true]);
        assert_eq!(s.get(0), Some(&b"v"[..]), "a once-per-VU capture is kept");
        s.clear();
        assert_eq!(s.get(0), None);
        assert!(!s.fill(&c, &HeaderMap::new(), b"w"));
        assert_eq!(s.get(0), None);
    }
}
