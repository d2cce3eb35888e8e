//! Request text with `{{var}}` placeholders, parsed once and rendered per request.
//!
//! Variables (whitespace inside the braces is ignored):
//!
//! | variable              | value                                                        |
//! |-----------------------|--------------------------------------------------------------|
//! | `{{vu}}`              | the global VU id                                             |
//! | `{{iteration}}`       | the VU's 0-based iteration number                            |
//! | `{{seq}}`             | the VU's 0-based request counter (one per request built)     |
//! | `{{step}}`            | the step name                                                |
//! | `{{uuid}}`            | a random v4 UUID, one per request (same in path, headers, body), unique across runs (see [`RunNonce`]) |
//! | `{{timestamp_ms}}`    | Unix time in milliseconds, one per request                   |
//! | `{{timestamp}}`       | the same instant as RFC 3339 UTC, `2024-05-01T12:00:00.123Z` |
//! | `{{random_int(a,b)}}` | a uniform integer in `a..=b`, fresh at each occurrence       |
//!
//! Captures (values an earlier step of the iteration took from its answer, see
//! [`crate::Capture`]) render as `{{name}}` too, escaped for their [`Place`]: percent-encoded in
//! a path or query, JSON-escaped in a JSON body; in a header a value with a control character
//! (CR, LF…) is refused, and the step fails its check instead of being sent.
//!
//! Randomness comes from the VU's seeded generator, so a seeded run renders the same UUIDs
//! and integers. A template without placeholders is kept as one pre-built [`Bytes`]; rendering
//! it clones that handle and allocates nothing.

use crate::capture::Slots;
use crate::clock;
use crate::error::HttpError;
use crate::generated::{BodySource, Generator, Value, ValueSource};
use bytes::{Bytes, BytesMut};
use rand::rngs::SmallRng;
use rand::Rng;
use std::sync::Arc;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
    /// Set when the template has no placeholders: the whole rendered text.
    literal: Option<Bytes>,
}

#[derive(Debug, Clone)]
enum Part {
    Lit(Bytes),
    Var(Var),
    Generated(Generator),
    Value(Value),
    Capture(usize, Place),
}

/// Where a template's text goes, which decides how a captured value is escaped in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A path or query: every byte outside RFC 3986's unreserved set is percent-encoded.
    Path,
    /// A header value: inserted as is; a control character refuses the request.
    Header,
    /// Inside a JSON string of a JSON body: JSON-escaped.
    Json,
    /// A raw body: inserted as is.
    Text,
}

/// What a name that is not built in stands for in a template.
pub enum Named {
    /// A data feeder's column.
    Value(Arc<dyn ValueSource>),
    /// The capture kept in this slot.
    Capture(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    Vu,
    Iteration,
    Seq,
    Step,
    Uuid,
    TimestampMs,
    Timestamp,
    RandomInt(i64, i64),
}

/// The values one request renders with. Per-request values (`uuid`, timestamps) are made on
/// first use and then reused for every template of that request.
pub struct Vars<'a> {
    nonce: RunNonce,
    vu: u64,
    iteration: u64,
    seq: u64,
    step: &'a str,
    rng: &'a mut SmallRng,
    uuid: Option<[u8; 36]>,
    now_ms: Option<u64>,
    built_to_fail: Option<u16>,
    captures: Option<&'a Slots>,
    refused: bool,
}

impl<'a> Vars<'a> {
    /// Values for one request of VU `vu` in the run of `nonce`.
    pub fn new(
        nonce: RunNonce,
        vu: u64,
        iteration: u64,
        seq: u64,
        step: &'a str,
        rng: &'a mut SmallRng,
    ) -> Self {
        Vars {
            nonce,
            vu,
            iteration,
            seq,
            step,
            rng,
            uuid: None,
            now_ms: None,
            built_to_fail: None,
            captures: None,
            refused: false,
        }
    }

    /// The same values, with this iteration's captures.
    pub(crate) fn with_captures(mut self, slots: &'a Slots) -> Self {
        self.captures = Some(slots);
        self
    }

    /// True when a capture could not be rendered (missing, or unfit for a header): the
    /// request must not be sent.
    pub(crate) fn refused(&self) -> bool {
        self.refused
    }

    /// The status a correct target answers when a generated body was built to fail.
    pub(crate) fn built_to_fail(&self) -> Option<u16> {
        self.built_to_fail
    }

    fn now_ms(&mut self) -> u64 {
        *self.now_ms.get_or_insert_with(clock::unix_millis)
    }

    fn uuid(&mut self) -> [u8; 36] {
        let rng = &mut *self.rng;
        *self.uuid.get_or_insert_with(|| {
            // The VU's generator follows the seed (a run is repeatable), but ids must not
            // repeat across runs: the same seed against the same target would replay every
            // idempotency key of the run before. The run's nonce keeps them apart.
            let bytes = (rng.random::<u128>() ^ self.nonce.0).to_le_bytes();
            let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
            let mut out = [0u8; 36];
            id.hyphenated().encode_lower(&mut out);
            out
        })
    }
}

/// Random bits drawn once per run, mixed into every `{{uuid}}`. Session factories draw one
/// when they are built, and a plan is built for every run, so a long-lived process (a worker
/// serving one coordinator session after another) never repeats the keys of its last run,
/// even with the same seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunNonce(u128);

impl RunNonce {
    /// Fresh random bits.
    pub fn fresh() -> Self {
        RunNonce(rand::rng().random())
    }

    /// No bits: for renders that only check a template (nothing is sent).
    pub const CHECK: RunNonce = RunNonce(0);
}

impl Template {
    /// Parses `text`. Fails on an unknown variable (naming it), an unclosed `{{`, or
    /// `random_int` bounds that are not two integers with `a <= b`.
    pub fn parse(text: &str) -> Result<Template, HttpError> {
        Template::parse_with(text, &|_| None)
    }

    /// Parses `text`, asking `lookup` for variables that are not built in (data feeders:
    /// `{{customers.email}}`); a name neither knows is an error naming it.
    pub fn parse_with(
        text: &str,
        lookup: &dyn Fn(&str) -> Option<Arc<dyn ValueSource>>,
    ) -> Result<Template, HttpError> {
        Template::parse_in(text, Place::Text, &|name| lookup(name).map(Named::Value))
    }

    /// Parses `text` that goes in `place`, asking `lookup` for names that are not built in
    /// (feeder columns and captures); captures are escaped for `place` when rendered.
    pub fn parse_in(
        text: &str,
        place: Place,
        lookup: &dyn Fn(&str) -> Option<Named>,
    ) -> Result<Template, HttpError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            lit.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(HttpError::Template {
                    template: text.to_owned(),
                    reason: "unclosed `{{`".to_owned(),
                });
            };
            let name = after[..close].trim();
            let part = match parse_var(text, name) {
                Ok(var) => Part::Var(var),
                Err(e) => match lookup(name) {
                    Some(Named::Value(source)) => Part::Value(Value(source)),
                    Some(Named::Capture(slot)) => Part::Capture(slot, place),
                    None => return Err(e),
                },
            };
            if !lit.is_empty() {
                parts.push(Part::Lit(Bytes::from(std::mem::take(&mut lit))));
            }
            parts.push(part);
            rest = &after[close + 2..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(Bytes::from(lit)));
        }
        Ok(Template::from_parts(text.to_owned(), parts))
    }

    /// A template whose whole text is made per request by `source` (see [`BodySource`]).
    pub fn generated(source: Arc<dyn BodySource>) -> Template {
        Template::from_parts(
            "@generated".to_owned(),
            vec![Part::Generated(Generator(source))],
        )
    }

    /// A template rendering exactly `text`; braces in it are not placeholders.
    pub fn literal(text: impl Into<String>) -> Template {
        let text = text.into();
        let parts = vec![Part::Lit(Bytes::from(text.clone()))];
        Template::from_parts(text, parts)
    }

    fn from_parts(source: String, parts: Vec<Part>) -> Template {
        let literal = match parts.as_slice() {
            [] => Some(Bytes::new()),
            [Part::Lit(b)] => Some(b.clone()),
            _ => None,
        };
        Template {
            source,
            parts,
            literal,
        }
    }

    /// The text this template was parsed from.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the template has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.literal.is_some()
    }

    /// True when the template renders a capture (such steps never take the fast path).
    pub(crate) fn uses_captures(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Capture(..)))
    }

    /// The whole text of a template without placeholders.
    pub(crate) fn literal_bytes(&self) -> Option<&Bytes> {
        self.literal.as_ref()
    }

    /// The same template with `prefix` rendered before it.
    pub(crate) fn prefixed(&self, prefix: &str) -> Template {
        if prefix.is_empty() {
            return self.clone();
        }
        let mut parts = vec![Part::Lit(Bytes::copy_from_slice(prefix.as_bytes()))];
        for p in &self.parts {
            match (parts.last_mut(), p) {
                (Some(Part::Lit(a)), Part::Lit(b)) => {
                    let mut joined = BytesMut::from(&a[..]);
                    joined.extend_from_slice(b);
                    *a = joined.freeze();
                }
                _ => parts.push(p.clone()),
            }
        }
        Template::from_parts(format!("{prefix}{}", self.source), parts)
    }

    /// Renders into `buf` and returns the text. `buf` is split, not copied: once the returned
    /// [`Bytes`] is dropped, `buf`'s next `reserve` reuses the same memory. A literal template
    /// returns its pre-built text and leaves `buf` untouched.
    pub fn render(&self, vars: &mut Vars<'_>, buf: &mut BytesMut) -> Bytes {
        if let Some(lit) = &self.literal {
            return lit.clone();
        }
        buf.clear();
        self.render_append(vars, buf);
        buf.split().freeze()
    }

    /// Renders onto the end of `buf` (the HTTP/1.1 fast path writes requests this way).
    /// Consumes the same random values, in the same order, as [`Template::render`].
    pub(crate) fn render_append(&self, vars: &mut Vars<'_>, buf: &mut BytesMut) {
        for part in &self.parts {
            match part {
                Part::Lit(b) => buf.extend_from_slice(b),
                Part::Var(v) => write_var(*v, vars, buf),
                Part::Value(v) => v.0.write_value(vars.vu, vars.iteration, buf),
                Part::Capture(slot, place) => write_capture(*slot, *place, vars, buf),
                Part::Generated(g) => {
                    let id = vars.uuid();
                    let id = std::str::from_utf8(&id).expect("a hyphenated UUID is ASCII");
                    vars.built_to_fail = g.0.write_body(&mut *vars.rng, id, buf);
                }
            }
        }
    }
}

fn write_var(v: Var, vars: &mut Vars<'_>, buf: &mut BytesMut) {
    match v {
        Var::Vu => put_decimal(buf, vars.vu),
        Var::Iteration => put_decimal(buf, vars.iteration),
        Var::Seq => put_decimal(buf, vars.seq),
        Var::TimestampMs => {
            let ms = vars.now_ms();
            put_decimal(buf, ms)
        }
        Var::RandomInt(a, b) => {
            let v = vars.rng.random_range(a..=b);
            if v < 0 {
                buf.extend_from_slice(b"-");
            }
            put_decimal(buf, v.unsigned_abs())
        }
        Var::Step => buf.extend_from_slice(vars.step.as_bytes()),
        Var::Uuid => {
            let id = vars.uuid();
            buf.extend_from_slice(&id)
        }
        Var::Timestamp => {
            let ms = vars.now_ms();
            buf.extend_from_slice(&clock::rfc3339(ms))
        }
    }
}

/// Appends a captured value escaped for `place`, or marks the request refused.
fn write_capture(slot: usize, place: Place, vars: &mut Vars<'_>, buf: &mut BytesMut) {
    let Some(value) = vars.captures.and_then(|s| s.get(slot)) else {
        vars.refused = true;
        return;
    };
    match place {
        Place::Path => percent_encode(value, buf),
        Place::Json => json_escape(value, buf),
        Place::Text => buf.extend_from_slice(value),
        // A CR or LF would end the header and start another one the target never sent us.
        Place::Header
            if value
                .iter()
                .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) =>
        {
            vars.refused = true
        }
        Place::Header => buf.extend_from_slice(value),
    }
}

/// RFC 3986 percent-encoding of everything but unreserved bytes: a captured `/`, `?`, `#` or
/// `@` cannot change the path's shape, let alone the host.
fn percent_encode(value: &[u8], buf: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            buf.extend_from_slice(&[b]);
        } else {
            buf.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// Escapes a value for the inside of a JSON string (quotes, backslashes, control bytes).
fn json_escape(value: &[u8], buf: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in value {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0..0x20 => buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
            _ => buf.extend_from_slice(&[b]),
        }
    }
}

/// Appends `v` in decimal, without `fmt` and without allocating.
pub(crate) fn put_decimal(buf: &mut BytesMut, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

fn parse_var(template: &str, name: &str) -> Result<Var, HttpError> {
    Ok(match name {
        "vu" => Var::Vu,
        "iteration" => Var::Iteration,
        "seq" => Var::Seq,
        "step" => Var::Step,
        "uuid" => Var::Uuid,
        "timestamp_ms" => Var::TimestampMs,
        "timestamp" => Var::Timestamp,
        _ => match name.strip_prefix("random_int") {
            Some(args) => parse_random_int(template, args.trim())?,
            None => {
                return Err(HttpError::UnknownVar {
                    template: template.to_owned(),
                    name: name.to_owned(),
                })
            }
        },
    })
}

fn parse_random_int(template: &str, args: &str) -> Result<Var, HttpError> {
    let err = || HttpError::Template {
        template: template.to_owned(),
        reason: format!("`random_int{args}` needs two integers a <= b: random_int(a,b)"),
    };
    let inner = args
        .strip_prefix('(')
        .and_then(|a| a.strip_suffix(')'))
        .ok_or_else(err)?;
    let (a, b) = inner.split_once(',').ok_or_else(err)?;
    let a: i64 = a.trim().parse().map_err(|_| err())?;
    let b: i64 = b.trim().parse().map_err(|_| err())?;
    if a > b {
        return Err(err());
    }
    Ok(Var::RandomInt(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn render(t: &Template, rng: &mut SmallRng) -> String {
        let mut buf = BytesMut::new();
        let mut vars = Vars::new(RunNonce::CHECK, 7, 3, 11, "buy", rng);
        String::from_utf8(t.render(&mut vars, &mut buf).to_vec()).unwrap()
    }

    #[test]
    fn renders_builtin_variables() {
        let mut rng = SmallRng::seed_from_u64(1);
        let t = Template::parse("/u/{{vu}}/i/{{ iteration }}/s/{{seq}}/{{step}}").unwrap();
        assert_eq!(render(&t, &mut rng), "/u/7/i/3/s/11/buy");
        assert!(!t.is_literal());
    }

    #[test]
    fn uuid_and_timestamps_are_well_formed_and_stable_within_a_request() {
        let mut rng = SmallRng::seed_from_u64(1);
        let (a, b) = (
            Template::parse("{{uuid}} {{timestamp_ms}} {{timestamp}}").unwrap(),
            Template::parse("{{uuid}}").unwrap(),
        );
        let mut buf = BytesMut::new();
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng);
        let first = String::from_utf8(a.render(&mut vars, &mut buf).to_vec()).unwrap();
        let second = b.render(&mut vars, &mut buf);
        let fields: Vec<&str> = first.split(' ').collect();
        let id = uuid::Uuid::parse_str(fields[0]).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(&second[..], fields[0].as_bytes());
        let ms: u64 = fields[1].parse().unwrap();
        assert_eq!(fields[2].as_bytes(), clock::rfc3339(ms));
        assert!(ms > 1_600_000_000_000);
        // A new request gets a new UUID.
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 1, "s", &mut rng);
        assert_ne!(&b.render(&mut vars, &mut buf)[..], fields[0].as_bytes());
    }

    #[test]
    fn random_int_stays_within_inclusive_bounds() {
        let mut rng = SmallRng::seed_from_u64(9);
        let t = Template::parse("{{random_int(-2, 3)}}").unwrap();
        let mut seen = [false; 6];
        for _ in 0..500 {
            let v: i64 = render(&t, &mut rng).parse().unwrap();
            assert!((-2..=3).contains(&v), "{v}");
            seen[(v + 2) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "every value drawn: {seen:?}");
        let t = Template::parse("{{random_int(5,5)}}").unwrap();
        assert_eq!(render(&t, &mut rng), "5");
    }

    #[test]
    fn rejects_unknown_and_malformed_placeholders() {
        let e = Template::parse("/x/{{ nope }}").unwrap_err();
        assert!(matches!(&e, HttpError::UnknownVar { name, .. } if name == "nope"));
        assert!(e.to_string().contains("`nope`"), "{e}");
        for bad in [
            "/x/{{vu",
            "{{random_int(3,1)}}",
            "{{random_int(a,1)}}",
            "{{random_int(1)}}",
            "{{random_int 1,2}}",
        ] {
            assert!(
                matches!(Template::parse(bad), Err(HttpError::Template { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn literal_templates_render_the_prebuilt_bytes_without_touching_the_buffer() {
        let mut rng = SmallRng::seed_from_u64(1);
        let t = Template::parse(r#"{"a":{"b":[1,2]}} }} {"#).unwrap();
        assert!(t.is_literal());
        let mut buf = BytesMut::new();
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng);
        let one = t.render(&mut vars, &mut buf);
        let two = t.render(&mut vars, &mut buf);
        assert_eq!(&one[..], br#"{"a":{"b":[1,2]}} }} {"#);
        assert_eq!(one.as_ptr(), two.as_ptr(), "same shared allocation");
        assert_eq!(buf.capacity(), 0, "buffer never allocated");
        assert!(Template::parse("").unwrap().is_literal());
        assert_eq!(
            &Template::literal("{{vu}}").render(&mut vars, &mut buf)[..],
            b"{{vu}}"
        );
    }

    #[test]
    fn uuids_follow_the_seed_within_a_run_and_differ_across_runs() {
        let t = Template::parse("{{uuid}}").unwrap();
        let render = |nonce: RunNonce| {
            let mut rng = SmallRng::seed_from_u64(42);
            let mut buf = BytesMut::new();
            let mut vars = Vars::new(nonce, 0, 0, 0, "s", &mut rng);
            t.render(&mut vars, &mut buf).to_vec()
        };
        let run = RunNonce::fresh();
        assert_eq!(render(run), render(run));
        assert_ne!(render(run), render(RunNonce::fresh()));
    }

    #[test]
    fn render_buffer_is_reused_once_output_is_dropped() {
        let mut rng = SmallRng::seed_from_u64(1);
        let t = Template::parse("/items/{{seq}}").unwrap();
        let mut buf = BytesMut::with_capacity(64);
        let base = buf.as_ptr();
        for seq in 0..3 {
            let mut vars = Vars::new(RunNonce::CHECK, 0, 0, seq, "s", &mut rng);
            let out = t.render(&mut vars, &mut buf);
            assert_eq!(out, format!("/items/{seq}"));
            drop(out);
            buf.reserve(64);
            assert_eq!(buf.as_ptr(), base, "reclaimed the same memory");
        }
    }

    #[test]
    fn decimals_render_without_fmt() {
        for v in [0, 7, 10, 99, 1_234_567, u64::MAX] {
            let mut buf = BytesMut::new();
            put_decimal(&mut buf, v);
            assert_eq!(&buf[..], v.to_string().as_bytes());
        }
        let mut rng = SmallRng::seed_from_u64(3);
        let t =
            Template::parse("{{random_int(-9223372036854775808,-9223372036854775808)}}").unwrap();
        assert_eq!(render(&t, &mut rng), i64::MIN.to_string());
    }

    #[test]
    fn prefixed_keeps_literal_templates_literal() {
        let mut rng = SmallRng::seed_from_u64(1);
        let t = Template::parse("/a").unwrap().prefixed("/api");
        assert!(t.is_literal());
        assert_eq!(render(&t, &mut rng), "/api/a");
        let t = Template::parse("/a/{{vu}}").unwrap().prefixed("/api");
        assert_eq!(render(&t, &mut rng), "/api/a/7");
    }

    #[test]
    fn captures_are_escaped_for_their_place_and_refused_when_missing_or_unsafe() {
        let mut rng = SmallRng::seed_from_u64(1);
        let slot = |name: &str| (name == "id").then_some(Named::Capture(0));
        let parse = |text, place| Template::parse_in(text, place, &slot).unwrap();
        let mut slots = Slots::new(1);
        let value = r#"a/b "c"?#"#;
        let cap = crate::Capture {
            name: "id".into(),
            slot: 0,
            source: crate::CaptureSource::Regex(regex::bytes::Regex::new("(?s).+").unwrap()),
        };
        assert!(slots.fill(&cap, &http::HeaderMap::new(), value.as_bytes()));
        let mut buf = BytesMut::new();
        let mut render = |t: &Template| {
            let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
            let out = t.render(&mut vars, &mut buf);
            (String::from_utf8(out.to_vec()).unwrap(), vars.refused())
        };
        let path = parse("/p/{{id}}?q={{ id }}", Place::Path);
        assert!(path.uses_captures());
        assert_eq!(
            render(&path),
            (
                "/p/a%2Fb%20%22c%22%3F%23?q=a%2Fb%20%22c%22%3F%23".into(),
                false
            )
        );
        let json = parse(r#"{"ref":"{{id}}"}"#, Place::Json);
        let (body, refused) = render(&json);
        assert!(!refused);
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["ref"], value);
        assert!(!render(&parse("Bearer {{id}}", Place::Header)).1);

        let crlf = crate::Capture {
            source: crate::CaptureSource::Regex(regex::bytes::Regex::new("(?s).+").unwrap()),
            ..cap
        };
        assert!(slots.fill(&crlf, &http::HeaderMap::new(), b"x\r\nHost: evil"));
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
        parse("Bearer {{id}}", Place::Header).render(&mut vars, &mut buf);
        assert!(vars.refused(), "a CR/LF in a header value is refused");

        slots.clear();
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
        parse("/p/{{id}}", Place::Path).render(&mut vars, &mut buf);
        assert!(
            vars.refused(),
            "a missing capture is refused, never rendered empty"
        );
    }
}
