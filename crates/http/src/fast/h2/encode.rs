//! A step's request as an HPACK header block: encoded once, with per-request rendering reduced
//! to the templated values. Every field is a literal without indexing (or a static-table
//! index, written with `loadgen_h2::hpack`'s primitives), so the block never depends on the
//! connection's dynamic table; strings are sent raw (no Huffman).

use crate::fast::encode::{fields, frames_the_message, renders_fragment, Field, Piece, Pieces};
use crate::request::{Path, Step, Target};
use bytes::{Bytes, BytesMut};
use http::header::{HOST, TE};
use http::{HeaderName, Method};
use loadgen_h2::hpack::{put_content_length, put_field, put_name, put_str};
use loadgen_template::{Template, Vars};

/// One step's request, ready to frame.
pub(crate) struct H2Encoded {
    /// The header block, in pieces: literal bytes and templated values (each sent as an
    /// HPACK string, its length first).
    block: Vec<Piece>,
    /// The body: literal, or rendered per request.
    body: Body,
    /// The response to a HEAD request has no body.
    pub(crate) is_head: bool,
}

enum Body {
    Lit(Bytes),
    Tpl(Template),
}

/// Headers the `h2` path strips (connection-specific in HTTP/2) or handles itself: a step
/// that sets one keeps the `h2` crate's path.
fn needs_h2_crate(name: &HeaderName) -> bool {
    frames_the_message(name)
        || name == HOST
        || name == TE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

impl H2Encoded {
    /// Encodes `step` as the `h2` path sends it (same fields, same order); `None` when the
    /// step keeps that path (see [`crate::fast::h2`]).
    pub(crate) fn new(step: &Step, t: &Target) -> Option<H2Encoded> {
        if step.method == Method::CONNECT {
            return None;
        }
        let fields = fields(step, t, false);
        // `te: trailers` is the one `te` HTTP/2 allows (the `h2` path drops any other).
        let trailers = |n: &HeaderName, f: &Field<'_>| {
            *n == TE && matches!(f, Field::Lit(v) if *v == b"trailers")
        };
        if fields
            .iter()
            .any(|(n, f)| needs_h2_crate(n) && !trailers(n, f))
        {
            return None;
        }

        let mut b = Pieces::default();
        put_field(&mut b.lit, b":method", step.method.as_str().as_bytes());
        put_field(&mut b.lit, b":scheme", t.scheme_str().as_bytes());
        put_field(&mut b.lit, b":authority", t.host.as_bytes());
        match &step.path {
            Path::Static { h2, .. } => {
                let pq = h2.path_and_query()?.as_str();
                put_field(&mut b.lit, b":path", pq.as_bytes());
            }
            Path::Dynamic(tpl) => {
                if renders_fragment(tpl, &step.name) {
                    return None;
                }
                put_name(&mut b.lit, b":path");
                b.value(tpl);
            }
        }
        for (name, field) in &fields {
            put_name(&mut b.lit, name.as_str().as_bytes());
            match field {
                Field::Lit(v) => put_str(&mut b.lit, v),
                Field::Tpl(t) => b.value(t),
            }
        }
        let body = match &step.body {
            Some(tpl) if !tpl.is_literal() => Body::Tpl(tpl.clone()),
            literal => {
                let bytes = literal.as_ref().and_then(Template::literal_bytes);
                let bytes = bytes.cloned().unwrap_or_default();
                if !bytes.is_empty() {
                    put_content_length(&mut b.lit, bytes.len());
                }
                Body::Lit(bytes)
            }
        };
        Some(H2Encoded {
            block: b.finish(),
            body,
            is_head: step.method == Method::HEAD,
        })
    }

    /// Appends the header block to `out`, rendering the templated values (each through
    /// `scratch`, to be measured), and renders a templated body into `body`. Returns the
    /// body's bytes: the literal one, or `body`.
    pub(crate) fn render<'a>(
        &'a self,
        vars: &mut Vars<'_>,
        out: &mut Vec<u8>,
        scratch: &mut BytesMut,
        body: &'a mut BytesMut,
    ) -> &'a [u8] {
        for piece in &self.block {
            match piece {
                Piece::Lit(b) => out.extend_from_slice(b),
                Piece::Value(t) => {
                    scratch.clear();
                    t.render_append(vars, scratch);
                    put_str(out, scratch);
                }
            }
        }
        match &self.body {
            Body::Lit(b) => b,
            Body::Tpl(t) => {
                body.clear();
                t.render_append(vars, body);
                if !body.is_empty() {
                    put_content_length(out, body.len());
                }
                body
            }
        }
    }
}
