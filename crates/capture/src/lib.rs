//! loadgen-capture: values taken from one step's answer and rendered into later steps as
//! `{{name}}` (a user journey: log in, keep the token; create, read back by id): where a
//! capture reads its value ([`CaptureSource`]), the JSON path subset ([`JsonPath`]) and one
//! VU's captured values ([`Slots`]).
//!
//! It owns reading a value out of an answer already received — a header map (hyper's path),
//! the headers of a head as it is parsed and the body (the HTTP/1.1 fast path), SQL rows
//! through [`Slots::put`] — and must not know sockets, sessions, templates or scenario files:
//! `loadgen-http` renders the values (escaped for their place) and runs the journeys.
//!
//! A capture reads one of: a JSON field (a JSONPath subset, `$.id`, `$.data.items[0].id`), a
//! response header (`Location`), the value of a `Set-Cookie` cookie, or the first group of a
//! regex over the body (or over the header's value, when both are given). A capture that finds
//! nothing, or finds an empty value, is a miss: the step fails its check and the iteration
//! stops, so no later request goes out with an empty value.
//!
//! Values live in per-VU [`Slots`], one per capture name, whose buffers are reused from one
//! iteration to the next. Reading one allocates nothing: JSON is scanned in one pass without a
//! document (`loadgen_h1::json`, which agrees with `serde_json` on what it finds and what it
//! refuses), regexes run with per-VU capture locations. Only a float, or an object or array,
//! is printed through `serde_json` (its shortest double, its sorted keys). On the fast path a
//! head's headers are offered to the captures while it is parsed ([`Slots::stage`]) and kept
//! until the answer is judged. Nothing here runs for a workload without captures: the HTTP
//! factory decides at build time.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use http::{HeaderMap, HeaderName};
use loadgen_h1::json::{self, Found, Segment};
use regex::bytes::{CaptureLocations, Regex};

/// Where a capture reads its value.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// A JSON field of the body, by a JSONPath subset (`$.a.b[0].c`).
    Json(JsonPath),
    /// The first value of a response header; with a regex, its first group over that value.
    Header(HeaderName, Option<Regex>),
    /// The value of the cookie of this name set by a `Set-Cookie` header.
    Cookie(String),
    /// The first group (or the whole match, without groups) of a regex over the body.
    Regex(Regex),
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
    pub fn needs_body(&self) -> bool {
        matches!(
            self.source,
            CaptureSource::Json(_) | CaptureSource::Regex(_)
        )
    }

    /// True when it reads a header (or a cookie of one).
    pub fn reads_head(&self) -> bool {
        !self.needs_body()
    }

    /// Puts the captured value into `out` (cleared first): from `head`, the header value (or
    /// the cookie's value) that a header capture reads, or from the body.
    fn extract(
        &self,
        head: Option<&[u8]>,
        body: &[u8],
        out: &mut Vec<u8>,
        loc: &mut Option<CaptureLocations>,
    ) {
        out.clear();
        match &self.source {
            CaptureSource::Json(path) => write_json(path, body, out),
            CaptureSource::Header(_, Some(re)) => {
                if let Some(v) = head {
                    group(re, v, out, loc)
                }
            }
            CaptureSource::Header(_, None) | CaptureSource::Cookie(_) => {
                out.extend_from_slice(head.unwrap_or_default())
            }
            CaptureSource::Regex(re) => group(re, body, out, loc),
        }
    }

    /// What a header capture reads in a header map (hyper's path).
    fn in_headers<'h>(&self, headers: &'h HeaderMap) -> Option<&'h [u8]> {
        match &self.source {
            CaptureSource::Header(name, _) => headers.get(name).map(|v| v.as_bytes()),
            CaptureSource::Cookie(name) => headers
                .get_all(http::header::SET_COOKIE)
                .iter()
                .find_map(|v| cookie_value(v.as_bytes(), name.as_bytes())),
            _ => None,
        }
    }

    /// What a header capture reads in one header of a head, if this is its header.
    fn in_header<'v>(&self, name: &[u8], value: &'v [u8]) -> Option<&'v [u8]> {
        match &self.source {
            CaptureSource::Header(want, _) => name
                .eq_ignore_ascii_case(want.as_str().as_bytes())
                .then_some(value),
            CaptureSource::Cookie(cookie) if name.eq_ignore_ascii_case(b"set-cookie") => {
                cookie_value(value, cookie.as_bytes())
            }
            _ => None,
        }
    }
}

/// A JSON capture's value: a string's text, a number's or boolean's JSON text, an object's
/// or array's compact JSON; nothing for `null`, a missing field or a text that is not JSON.
fn write_json(path: &JsonPath, body: &[u8], out: &mut Vec<u8>) {
    match json::find(body, &path.segments) {
        Ok(Some(Found::Str {
            raw,
            escaped: false,
        })) => out.extend_from_slice(raw),
        Ok(Some(Found::Str { raw, escaped: true })) => json::unescape_into(raw, out),
        Ok(Some(Found::Number { raw, plain: true })) => out.extend_from_slice(raw),
        Ok(Some(Found::Bool(b))) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Ok(Some(Found::Number { raw, .. } | Found::Composite(raw))) => {
            // Printed as serde_json prints it (shortest double, sorted keys): rare, allocates.
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(raw) {
                out.extend_from_slice(v.to_string().as_bytes());
            }
        }
        Ok(Some(Found::Null) | None) | Err(_) => {}
    }
}

/// The first group (or the whole match, without groups) of `re` over `hay`, read with the
/// VU's capture locations for this capture (made on first use, then reused).
fn group(re: &Regex, hay: &[u8], out: &mut Vec<u8>, loc: &mut Option<CaptureLocations>) {
    let loc = loc.get_or_insert_with(|| re.capture_locations());
    if re.captures_read(loc, hay).is_some() {
        if let Some((a, b)) = loc.get(1).or_else(|| loc.get(0)) {
            out.extend_from_slice(&hay[a..b]);
        }
    }
}

/// The value of cookie `name` in one `Set-Cookie` header (`name=value; Path=/…`).
fn cookie_value<'a>(header: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let pair = header.split(|b| *b == b';').next()?;
    let eq = pair.iter().position(|b| *b == b'=')?;
    (pair[..eq].trim_ascii() == name).then(|| pair[eq + 1..].trim_ascii())
}

/// A capture that cannot work, refused before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// A JSON path outside the subset.
    #[error("capture {what:?}: {reason}")]
    Path {
        /// The path as written.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A JSONPath subset: `$`, then `.key` and `[index]` segments (`$.data.items[0].id`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    segments: Vec<Segment>,
}

impl JsonPath {
    /// Parses `$.a.b[0]`; anything else (filters, wildcards, `..`) is refused, naming why.
    pub fn parse(text: &str) -> Result<JsonPath, CaptureError> {
        let bad = |reason: &str| CaptureError::Path {
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
}

/// One VU's captured values, one slot per capture name, buffers kept between iterations.
/// Other protocols (SQL rows) fill slots with [`Slots::put`] and render them through
/// `loadgen_http::Vars::with_captures`.
#[derive(Debug, Default)]
pub struct Slots {
    values: Vec<Vec<u8>>,
    filled: Vec<bool>,
    /// What the head of a fast-path answer held for a header capture, until it is judged.
    staged: Vec<Vec<u8>>,
    /// A header capture's first match is staged: later ones are not looked at.
    seen: Vec<bool>,
    /// Regex capture locations, by slot.
    locs: Vec<Option<CaptureLocations>>,
}

impl Slots {
    /// `count` empty slots.
    pub fn new(count: usize) -> Self {
        Slots {
            values: vec![Vec::new(); count],
            filled: vec![false; count],
            staged: vec![Vec::new(); count],
            seen: vec![false; count],
            locs: vec![None; count],
        }
    }

    /// Forgets every value, keeping the buffers.
    pub fn clear(&mut self) {
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

    /// Runs `capture` on an answer read by hyper; `false` on a miss (the slot stays empty).
    pub fn fill(&mut self, capture: &Capture, headers: &HeaderMap, body: &[u8]) -> bool {
        self.fill_from(capture, capture.in_headers(headers), body)
    }

    fn fill_from(&mut self, capture: &Capture, head: Option<&[u8]>, body: &[u8]) -> bool {
        let i = capture.slot;
        let (Some(value), Some(filled), Some(loc)) = (
            self.values.get_mut(i),
            self.filled.get_mut(i),
            self.locs.get_mut(i),
        ) else {
            return false;
        };
        capture.extract(head, body, value, loc);
        *filled = !value.is_empty();
        *filled
    }

    /// Forgets what an earlier head staged for `captures` (a new answer is coming).
    pub fn unstage(&mut self, captures: &[Capture]) {
        for c in captures.iter().filter(|c| c.reads_head()) {
            if let Some(seen) = self.seen.get_mut(c.slot) {
                *seen = false;
            }
        }
    }

    /// Offers one header of a fast-path answer's final head to the header captures of
    /// `captures`: each keeps its first match (a header's first value, the first
    /// `Set-Cookie` of its cookie), as hyper's path reads them from the header map.
    pub fn stage(&mut self, captures: &[Capture], name: &[u8], value: &[u8]) {
        for c in captures {
            let (Some(seen), Some(staged)) =
                (self.seen.get_mut(c.slot), self.staged.get_mut(c.slot))
            else {
                continue;
            };
            if *seen {
                continue;
            }
            if let Some(v) = c.in_header(name, value) {
                staged.clear();
                staged.extend_from_slice(v);
                *seen = true;
            }
        }
    }

    /// Runs `capture` on a judged fast-path answer: a header capture reads what its head
    /// staged. `false` on a miss (the slot stays empty).
    pub fn fill_staged(&mut self, capture: &Capture, body: &[u8]) -> bool {
        let i = capture.slot;
        if !capture.reads_head() {
            return self.fill_from(capture, None, body);
        }
        // Taken out for the fill and put back: the buffers stay the VU's.
        let Some(staged) = self.staged.get_mut(i).map(std::mem::take) else {
            return false;
        };
        let head = self.seen.get(i).copied().unwrap_or(false);
        let hit = self.fill_from(capture, head.then_some(&staged[..]), body);
        if let Some(s) = self.staged.get_mut(i) {
            *s = staged;
        }
        hit
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

    /// What hyper's path captures, after checking that the fast path (the head's headers
    /// offered one by one, in order) captures the same.
    fn run(c: &Capture, headers: &HeaderMap, body: &str) -> Option<String> {
        let mut hyper = Slots::new(1);
        let got = hyper
            .fill(c, headers, body.as_bytes())
            .then(|| String::from_utf8(hyper.get(0).unwrap().to_vec()).unwrap());
        let mut fast = Slots::new(1);
        let captures = std::slice::from_ref(c);
        for _ in 0..2 {
            fast.unstage(captures);
            for (name, value) in headers {
                fast.stage(captures, name.as_str().as_bytes(), value.as_bytes());
            }
            let hit = fast.fill_staged(c, body.as_bytes());
            assert_eq!(hit, got.is_some(), "{c:?}");
            assert_eq!(
                fast.get(0).map(<[u8]>::to_vec),
                got.clone().map(String::into_bytes)
            );
        }
        got
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
        let odd = r#"{"f":1.50,"o":{"b":1,"a":[true]},"s":"a\"b\u00e9"}"#;
        let get = |p: &str| {
            run(
                &cap(CaptureSource::Json(JsonPath::parse(p).unwrap())),
                &h,
                odd,
            )
        };
        assert_eq!(
            get("$.f").as_deref(),
            Some("1.5"),
            "serde_json's shortest double"
        );
        assert_eq!(get("$.o").as_deref(), Some(r#"{"a":[true],"b":1}"#));
        assert_eq!(get("$.o.a[0]").as_deref(), Some("true"));
        assert_eq!(get("$.s").as_deref(), Some("a\"b\u{e9}"));
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
