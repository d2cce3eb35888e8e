//! A step as the user describes it ([`RequestSpec`]) and as a session sends it ([`Step`]):
//! templates checked once, literal parts pre-built, per-request work reduced to rendering the
//! placeholders and cloning shared handles.

use crate::base_url::BaseUrl;
use crate::error::HttpError;
use crate::expect::Expect;
use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, HOST, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Method, Request, Uri, Version};
use http_body_util::Full;
use loadgen_capture::Capture;
use loadgen_engine::ThinkTime;
use loadgen_template::{Template, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;

/// One request of an iteration, as the user describes it.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// Step name (metrics key, `{{step}}`).
    pub name: String,
    /// Request method.
    pub method: Method,
    /// Path and optional query, appended to the base URL's path prefix.
    pub path: Template,
    /// Step headers; they override the client's default headers of the same name.
    pub headers: Vec<(HeaderName, Template)>,
    /// Request body, if any.
    pub body: Option<Template>,
    /// `Content-Type` for the body (a step header of that name wins).
    pub content_type: Option<HeaderValue>,
    /// How the response is judged.
    pub expect: Expect,
    /// Values taken from the answer for later steps of the iteration.
    pub captures: Vec<Capture>,
    /// Run once per VU (until it succeeds), its captures kept for the VU's later iterations
    /// (log in once, keep the token); otherwise once per iteration.
    pub once_per_vu: bool,
    /// Pause before the step is sent (think time between steps); before each repetition of
    /// a repeated step.
    pub think: ThinkTime,
    /// Send the step only when this capture slot holds a value; otherwise it is passed over
    /// and counted ([`crate::GUARDED_METRIC`]).
    pub when: Option<usize>,
    /// Send the step with this probability (0..1); otherwise passed over and counted.
    pub probability: Option<f64>,
    /// Repeat the step (each time after its think time) until a length drawn from this
    /// distribution has passed since its first send, or the load ends: a heartbeat for as
    /// long as a session lasts.
    pub repeat_for: Option<ThinkTime>,
    /// Follow up to this many redirects to the target's own origin (0: none).
    pub follow_redirects: u8,
}

impl RequestSpec {
    /// A request with no headers, no body and the default expectation (any 2xx).
    pub fn new(name: impl Into<String>, method: Method, path: Template) -> Self {
        RequestSpec {
            name: name.into(),
            method,
            path,
            headers: Vec::new(),
            body: None,
            content_type: None,
            expect: Expect::default(),
            captures: Vec::new(),
            once_per_vu: false,
            think: ThinkTime::None,
            when: None,
            probability: None,
            repeat_for: None,
            follow_redirects: 0,
        }
    }
}

pub(crate) const USER_AGENT_VALUE: &str = concat!("loadgen/", env!("CARGO_PKG_VERSION"));

/// What every request of one factory shares.
pub(crate) struct Target {
    scheme: Scheme,
    authority: Authority,
    pub(crate) host: HeaderValue,
    pub(crate) defaults: Vec<(HeaderName, HeaderValue)>,
}

impl Target {
    pub(crate) fn new(base: &BaseUrl, defaults: Vec<(HeaderName, HeaderValue)>) -> Self {
        let scheme = if base.is_tls() {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        let host = HeaderValue::from_maybe_shared(Bytes::copy_from_slice(
            base.authority().as_str().as_bytes(),
        ))
        .expect("a parsed authority is a valid header value");
        Target {
            scheme,
            authority: base.authority().clone(),
            host,
            defaults,
        }
    }

    /// `http` or `https`.
    pub(crate) fn scheme_str(&self) -> &str {
        self.scheme.as_str()
    }

    /// True when `uri` names this target's scheme, host and port (a default port spelt out
    /// or left off alike).
    pub(crate) fn same_origin(&self, uri: &Uri) -> bool {
        let default = |s: &str| if s == "https" { 443 } else { 80 };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        let ours = self.scheme.as_str();
        scheme.eq_ignore_ascii_case(ours)
            && authority.host().eq_ignore_ascii_case(self.authority.host())
            && authority.port_u16().unwrap_or(default(ours))
                == self.authority.port_u16().unwrap_or(default(ours))
    }

    /// Path-only for HTTP/1.1 (with a `Host` header), absolute for HTTP/2 (`:authority`).
    pub(crate) fn uri(&self, pq: PathAndQuery, h2: bool) -> Option<Uri> {
        let mut parts = http::uri::Parts::default();
        if h2 {
            parts.scheme = Some(self.scheme.clone());
            parts.authority = Some(self.authority.clone());
        }
        parts.path_and_query = Some(pq);
        Uri::from_parts(parts).ok()
    }
}

/// A step ready to send.
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) path: Path,
    pub(crate) headers: Vec<(HeaderName, Value)>,
    pub(crate) body: Option<Template>,
    pub(crate) content_type: Option<HeaderValue>,
    pub(crate) expect: Expect,
    pub(crate) captures: Vec<Capture>,
    pub(crate) once_per_vu: bool,
    pub(crate) think: ThinkTime,
    pub(crate) when: Option<usize>,
    pub(crate) probability: Option<f64>,
    pub(crate) repeat_for: Option<ThinkTime>,
    pub(crate) follow_redirects: u8,
    /// The capture slots the step's templates render: all must hold a value to send it.
    pub(crate) uses: Vec<usize>,
    /// True when a template renders a capture, the step captures, runs once per VU, thinks,
    /// is guarded or repeats: a journey step (hyper's path; the scenario declares the journey
    /// counters by the same rule).
    pub(crate) journey: bool,
}

/// A step's request target: pre-built URIs, or a template rendered per request.
pub(crate) enum Path {
    Static { h1: Uri, h2: Uri },
    Dynamic(Template),
}

/// A step header's value: pre-built, or a template rendered per request.
pub(crate) enum Value {
    Static(HeaderValue),
    Dynamic(Template),
}

impl Step {
    /// Checks a spec against `target`: every template must render to a valid path or header
    /// value. Placeholders only produce digits, letters, `-:.` and the step name, so a render
    /// with sample values proves every later render valid.
    pub(crate) fn compile(
        spec: RequestSpec,
        base: &BaseUrl,
        t: &Target,
    ) -> Result<Step, HttpError> {
        let mut rng = SmallRng::seed_from_u64(0);
        let mut buf = BytesMut::new();
        let mut vars = Vars::new(
            loadgen_template::RunNonce::CHECK,
            0,
            0,
            0,
            &spec.name,
            &mut rng,
        );
        let bad_path = || HttpError::InvalidPath {
            step: spec.name.clone(),
            path: spec.path.as_str().to_owned(),
        };
        let path_t = spec
            .path
            .prefixed(&join_prefix(base.path_prefix(), spec.path.as_str()));
        let pq = PathAndQuery::from_maybe_shared(path_t.render(&mut vars, &mut buf))
            .map_err(|_| bad_path())?;
        let (h1, h2) = (t.uri(pq.clone(), false), t.uri(pq, true));
        let (Some(h1), Some(h2)) = (h1, h2) else {
            return Err(bad_path());
        };
        let path = match path_t.is_literal() {
            true => Path::Static { h1, h2 },
            false => Path::Dynamic(path_t),
        };
        let mut uses: Vec<usize> = spec
            .path
            .capture_slots()
            .chain(spec.headers.iter().flat_map(|(_, t)| t.capture_slots()))
            .chain(spec.body.iter().flat_map(Template::capture_slots))
            .collect();
        uses.sort_unstable();
        uses.dedup();
        let journey = spec.once_per_vu
            || !spec.captures.is_empty()
            || !uses.is_empty()
            || spec.think != ThinkTime::None
            || spec.when.is_some()
            || spec.probability.is_some()
            || spec.repeat_for.is_some();
        let mut headers = Vec::with_capacity(spec.headers.len());
        for (name, tpl) in spec.headers {
            let v =
                HeaderValue::from_maybe_shared(tpl.render(&mut vars, &mut buf)).map_err(|_| {
                    HttpError::InvalidHeader {
                        step: spec.name.clone(),
                        header: name.as_str().to_owned(),
                    }
                })?;
            let v = match tpl.is_literal() {
                true => Value::Static(v),
                false => Value::Dynamic(tpl),
            };
            headers.push((name, v));
        }
        Ok(Step {
            name: spec.name,
            method: spec.method,
            path,
            headers,
            body: spec.body,
            content_type: spec.content_type,
            expect: spec.expect,
            captures: spec.captures,
            once_per_vu: spec.once_per_vu,
            think: spec.think,
            when: spec.when,
            probability: spec.probability,
            repeat_for: spec.repeat_for,
            follow_redirects: spec.follow_redirects,
            uses,
            journey,
        })
    }

    /// Builds the request, and hands back its body (a redirect that keeps the method sends
    /// it again). `None` only if a rendered value is invalid, which [`Step::compile`] rules
    /// out.
    pub(crate) fn build(
        &self,
        t: &Target,
        h2: bool,
        vars: &mut Vars<'_>,
        buf: &mut BytesMut,
    ) -> Option<(Request<Full<Bytes>>, Bytes)> {
        let uri = match &self.path {
            Path::Static { h1, h2: abs } => if h2 { abs } else { h1 }.clone(),
            Path::Dynamic(tpl) => t.uri(
                PathAndQuery::from_maybe_shared(tpl.render(vars, buf)).ok()?,
                h2,
            )?,
        };
        let body = match &self.body {
            Some(tpl) => tpl.render(vars, buf),
            None => Bytes::new(),
        };
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = uri;
        if h2 {
            *req.version_mut() = Version::HTTP_2;
        }
        let h = req.headers_mut();
        h.reserve(3 + t.defaults.len() + self.headers.len());
        if !h2 {
            h.insert(HOST, t.host.clone());
        }
        h.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        for (name, value) in &t.defaults {
            h.insert(name.clone(), value.clone());
        }
        if let Some(ct) = &self.content_type {
            h.insert(CONTENT_TYPE, ct.clone());
        }
        for (name, value) in &self.headers {
            let value = match value {
                Value::Static(v) => v.clone(),
                Value::Dynamic(tpl) => {
                    HeaderValue::from_maybe_shared(tpl.render(vars, buf)).ok()?
                }
            };
            h.insert(name.clone(), value);
        }
        Some((req, body))
    }
}

/// What goes between the base prefix and the step path so that the target starts with `/`.
fn join_prefix(prefix: &str, path: &str) -> String {
    let sep = if path.starts_with('/') {
        ""
    } else if path.is_empty() || path.starts_with('?') {
        if prefix.is_empty() {
            "/"
        } else {
            ""
        }
    } else {
        "/"
    };
    format!("{prefix}{sep}")
}
