//! A step's request as HTTP/1.1 bytes: encoded once, with per-request rendering reduced to
//! the templated parts.

use crate::request::{Path, Step, Target, Value, USER_AGENT_VALUE};
use bytes::{Bytes, BytesMut};
use http::header::USER_AGENT;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderName, Method};
use loadgen_template::{put_decimal, Template, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;

/// One step's request, ready to write.
pub(crate) struct Encoded {
    /// The whole request when nothing in it is templated.
    whole: Option<Bytes>,
    /// `METHOD ` followed by the templated path; `None` when the path is literal (it is
    /// then the start of `head`).
    path: Option<(Bytes, Template)>,
    /// The rest of the request line and the headers, in wire order. Ends with the blank line
    /// and the body when the body is literal.
    head: Vec<Piece>,
    /// A templated body: framed and appended per request.
    body: Option<Template>,
    /// The response to a HEAD request has no body, whatever its headers say.
    pub(crate) is_head: bool,
}

/// A part of a pre-encoded request (either path's): literal bytes, or a templated value.
pub(crate) enum Piece {
    Lit(Bytes),
    Value(Template),
}

/// Builds a request out of literal bytes and templated values, joining adjacent literals.
#[derive(Default)]
pub(crate) struct Pieces {
    done: Vec<Piece>,
    /// The literal bytes since the last value.
    pub(crate) lit: Vec<u8>,
}

impl Pieces {
    fn lit(&mut self, b: &[u8]) {
        self.lit.extend_from_slice(b);
    }

    pub(crate) fn value(&mut self, t: &Template) {
        self.flush();
        self.done.push(Piece::Value(t.clone()));
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            let lit = Bytes::from(std::mem::take(&mut self.lit));
            self.done.push(Piece::Lit(lit));
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Piece> {
        self.flush();
        self.done
    }
}

/// A header value as it will be sent.
pub(crate) enum Field<'a> {
    Lit(&'a [u8]),
    Tpl(&'a Template),
}

/// A step's headers in the order hyper and the `h2` crate insert them: host (HTTP/1.1 only),
/// user-agent, defaults, content-type, the step's own; a later value replaces an earlier one
/// in place, as `HeaderMap::insert` does.
pub(crate) fn fields<'a>(
    step: &'a Step,
    t: &'a Target,
    host: bool,
) -> Vec<(&'a HeaderName, Field<'a>)> {
    let mut fields: Vec<(&HeaderName, Field<'_>)> = Vec::new();
    let mut set = |name, field| match fields.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = field,
        None => fields.push((name, field)),
    };
    if host {
        set(&HOST, Field::Lit(t.host.as_bytes()));
    }
    set(&USER_AGENT, Field::Lit(USER_AGENT_VALUE.as_bytes()));
    for (name, value) in &t.defaults {
        set(name, Field::Lit(value.as_bytes()));
    }
    if let Some(ct) = &step.content_type {
        set(&CONTENT_TYPE, Field::Lit(ct.as_bytes()));
    }
    for (name, value) in &step.headers {
        let field = match value {
            Value::Static(v) => Field::Lit(v.as_bytes()),
            Value::Dynamic(tpl) => Field::Tpl(tpl),
        };
        set(name, field);
    }
    fields
}

/// Headers whose meaning is the message framing: left to hyper.
pub(crate) fn frames_the_message(name: &HeaderName) -> bool {
    [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION, UPGRADE].contains(name)
}

impl Encoded {
    /// Encodes `step` as hyper would send it over HTTP/1.1; `None` when the step needs hyper
    /// (see the module docs of [`crate::fast`]).
    pub(crate) fn new(step: &Step, t: &Target) -> Option<Encoded> {
        if step.method == Method::CONNECT {
            return None;
        }
        let fields = fields(step, t, true);
        if fields.iter().any(|(n, _)| frames_the_message(n)) {
            return None;
        }

        let mut head = Pieces::default();
        let method = format!("{} ", step.method);
        let path = match &step.path {
            Path::Static { h1, .. } => {
                head.lit(method.as_bytes());
                head.lit(h1.path_and_query()?.as_str().as_bytes());
                None
            }
            Path::Dynamic(tpl) => {
                if renders_fragment(tpl, &step.name) {
                    return None;
                }
                Some((Bytes::from(method), tpl.clone()))
            }
        };
        head.lit(b" HTTP/1.1\r\n");
        for (name, field) in &fields {
            head.lit(name.as_str().as_bytes());
            head.lit(b": ");
            match field {
                Field::Lit(v) => head.lit(v),
                Field::Tpl(t) => head.value(t),
            }
            head.lit(b"\r\n");
        }
        let body = match &step.body {
            Some(tpl) if !tpl.is_literal() => Some(tpl.clone()),
            literal => {
                let bytes = literal.as_ref().and_then(Template::literal_bytes);
                let bytes = bytes.map(|b| &b[..]).unwrap_or_default();
                if !bytes.is_empty() {
                    let mut len = BytesMut::new();
                    put_decimal(&mut len, bytes.len() as u64);
                    head.lit(b"content-length: ");
                    head.lit(&len);
                    head.lit(b"\r\n");
                }
                head.lit(b"\r\n");
                head.lit(bytes);
                None
            }
        };
        let head = head.finish();
        let whole = match (&path, &body, head.as_slice()) {
            (None, None, [Piece::Lit(all)]) => Some(all.clone()),
            _ => None,
        };
        Some(Encoded {
            whole,
            path,
            head,
            body,
            is_head: step.method == Method::HEAD,
        })
    }

    /// The request's bytes: the pre-built request, or `buf` after rendering the templated
    /// parts into it (a templated body goes through `scratch` first, to be measured).
    pub(crate) fn bytes<'a>(
        &'a self,
        vars: &mut Vars<'_>,
        buf: &'a mut BytesMut,
        scratch: &mut BytesMut,
    ) -> &'a [u8] {
        if let Some(whole) = &self.whole {
            return whole;
        }
        buf.clear();
        if let Some((method, path)) = &self.path {
            buf.extend_from_slice(method);
            path.render_append(vars, buf);
        }
        if let Some(body) = &self.body {
            scratch.clear();
            body.render_append(vars, scratch);
        }
        for piece in &self.head {
            match piece {
                Piece::Lit(b) => buf.extend_from_slice(b),
                Piece::Value(t) => t.render_append(vars, buf),
            }
        }
        if self.body.is_some() {
            if !scratch.is_empty() {
                buf.extend_from_slice(b"content-length: ");
                put_decimal(buf, scratch.len() as u64);
                buf.extend_from_slice(b"\r\n");
            }
            buf.extend_from_slice(b"\r\n");
            buf.extend_from_slice(scratch);
        }
        buf
    }
}

/// True when a templated request target renders a `#fragment`, which hyper and the `h2`
/// crate drop (their URI parser does): such a step is left to them. Placeholders never render
/// `#`; the literal parts and the step name might, so one sample rendering tells.
pub(crate) fn renders_fragment(tpl: &Template, step_name: &str) -> bool {
    let mut rng = SmallRng::seed_from_u64(0);
    let mut vars = Vars::new(
        loadgen_template::RunNonce::CHECK,
        0,
        0,
        0,
        step_name,
        &mut rng,
    );
    let mut sample = BytesMut::new();
    tpl.render_append(&mut vars, &mut sample);
    sample.contains(&b'#')
}
