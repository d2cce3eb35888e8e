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
//! | `{{random_zipf(a,b)}}`, `{{random_zipf(a,b,s)}}` | an integer in `a..=b` drawn from a Zipf distribution of exponent `s` (default 1): `a` is the hottest key, `a+1` the next (hot keys) |
//!
//! Captures (values an earlier step of the iteration took from its answer, see
//! `loadgen_capture::Capture`) render as `{{name}}` too, escaped for their [`Place`]: percent-encoded in
//! a path or query, JSON-escaped in a JSON body; in a header a value with a control character
//! (CR, LF…) is refused, and the step fails its check instead of being sent.
//!
//! Randomness comes from the VU's seeded generator, so a seeded run renders the same UUIDs
//! and integers. A template without placeholders is kept as one pre-built [`Bytes`]; rendering
//! it clones that handle and allocates nothing.

use crate::error::TemplateError;
use crate::generated::{BodySource, Generator, Value, ValueSource};
use bytes::{Bytes, BytesMut};
use std::sync::Arc;

mod escape;
pub use escape::escaped;
#[cfg(test)]
mod tests;
mod var;
mod vars;

pub use var::put_decimal;
use var::{parse_var, write_var, Var};
pub use vars::{RunNonce, Vars};

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

impl Template {
    /// Parses `text`. Fails on an unknown variable (naming it), an unclosed `{{`, or
    /// `random_int` bounds that are not two integers with `a <= b`.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::parse_with(text, &|_| None)
    }

    /// Parses `text`, asking `lookup` for variables that are not built in (data feeders:
    /// `{{customers.email}}`); a name neither knows is an error naming it.
    pub fn parse_with(
        text: &str,
        lookup: &dyn Fn(&str) -> Option<Arc<dyn ValueSource>>,
    ) -> Result<Template, TemplateError> {
        Template::parse_in(text, Place::Text, &|name| lookup(name).map(Named::Value))
    }

    /// Parses `text` that goes in `place`, asking `lookup` for names that are not built in
    /// (feeder columns and captures); captures are escaped for `place` when rendered.
    pub fn parse_in(
        text: &str,
        place: Place,
        lookup: &dyn Fn(&str) -> Option<Named>,
    ) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            lit.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(TemplateError::Malformed {
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
    #[inline]
    pub fn is_literal(&self) -> bool {
        self.literal.is_some()
    }

    /// The capture slots the template renders (the HTTP fast path leaves such steps alone).
    pub fn capture_slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Capture(slot, _) => Some(*slot),
            _ => None,
        })
    }

    /// The whole text of a template without placeholders.
    #[inline]
    pub fn literal_bytes(&self) -> Option<&Bytes> {
        self.literal.as_ref()
    }

    /// The same template with `prefix` rendered before it (a base URL's path prefix).
    pub fn prefixed(&self, prefix: &str) -> Template {
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
    // Not `#[inline]`: callers' copies would call `write_var`/`write_capture` across the crate
    // boundary; compiled here, they are inlined into it as they were inside loadgen-http, and
    // callers call it out of line as the HTTP fast path always did (checked in the asm).
    pub fn render_append(&self, vars: &mut Vars<'_>, buf: &mut BytesMut) {
        for part in &self.parts {
            match part {
                Part::Lit(b) => buf.extend_from_slice(b),
                Part::Var(v) => write_var(*v, vars, buf),
                Part::Value(v) => v.0.write_value(vars.vu, vars.iteration, buf),
                Part::Capture(slot, place) => escape::write_capture(*slot, *place, vars, buf),
                Part::Generated(g) => {
                    let id = vars.uuid();
                    let id = std::str::from_utf8(&id).expect("a hyphenated UUID is ASCII");
                    vars.built_to_fail = g.0.write_body(&mut *vars.rng, id, buf);
                }
            }
        }
    }
}
