//! HTTP steps → the engine workload: a client configuration from `[http]` and one request
//! template per step, with its checks and captures (an `HttpFactory` session per VU).

use super::spec::{BodySpec, CaptureFrom, HttpWorkload, StepSpec};
use crate::context::{BuildContext, BuildError};
use crate::http_defaults::{process_env, HttpVersionSpec};
use loadgen_engine::Workload;
use loadgen_http::{
    BaseUrl, Capture, CaptureSource, ClientConfig, Expect, HttpFactory, HttpVersion, JsonPath,
    RequestSpec,
};
use loadgen_payload::feeder::Column;
use loadgen_template::{Named, Place, Template};
use std::sync::Arc;

/// Builds an HTTP workload against the context's base URL.
pub(crate) fn build(w: &HttpWorkload, ctx: &BuildContext<'_>) -> Result<Workload, BuildError> {
    let factory = factory(w, ctx)?;
    // One record per request instead of two: the iteration's duration is its step's latency.
    let one_step = factory.iteration_is_its_step();
    let workload = ctx.workload(w.step_names(), factory, super::capture::custom_metrics(w));
    Ok(match one_step {
        true => workload.with_iteration_as_step(0),
        false => workload,
    })
}

/// The session factory of `w`'s steps (a run-level setup uses it directly).
pub fn factory(w: &HttpWorkload, ctx: &BuildContext<'_>) -> Result<HttpFactory, BuildError> {
    let cfg = client_config(ctx)?;
    // Capture slots in file order, as `capture::custom_metrics` declares their counters.
    let slots = w.capture_names();
    let requests = w
        .steps
        .iter()
        .map(|s| request(ctx, s, &slots))
        .collect::<Result<Vec<_>, _>>()?;
    HttpFactory::new(Arc::new(cfg), requests).map_err(|source| BuildError::Http {
        workload: ctx.workload.to_string(),
        source,
    })
}

/// A setup capture's value, escaped once for the place it lands in.
struct SetupValue(bytes::Bytes);

impl loadgen_template::ValueSource for SetupValue {
    fn write_value(&self, _vu: u64, _iteration: u64, out: &mut bytes::BytesMut) {
        out.extend_from_slice(&self.0);
    }
}

/// `[http]` for this workload's client.
fn client_config(ctx: &BuildContext<'_>) -> Result<ClientConfig, BuildError> {
    let http_err = |source| BuildError::Http {
        workload: ctx.workload.to_string(),
        source,
    };
    let http = ctx.http;
    let base = BaseUrl::parse(ctx.base_url).map_err(http_err)?;
    let mut cfg = ClientConfig::new(base);
    cfg.version = match http.version {
        HttpVersionSpec::Http1 => HttpVersion::Http1,
        HttpVersionSpec::Http2 => HttpVersion::Http2,
    };
    cfg.tls = http.tls_for(cfg.base.host());
    cfg.hosts = http.hosts.clone();
    cfg.proxy = http
        .proxy
        .resolve(cfg.base.host(), cfg.base.is_tls(), &process_env)
        .map_err(http_err)?;
    cfg.fast_path = http.fast_path;
    cfg.cookies = http.cookies;
    cfg.streams_per_connection = http.streams_per_connection;
    cfg.connect_timeout = http.connect_timeout;
    cfg.request_timeout = http.timeout;
    cfg.new_connection_per_iteration = ctx.new_connection_per_iteration;
    cfg.max_connection_lifetime = http.max_connection_lifetime;
    for (k, v) in &http.headers {
        let header = || BuildError::Header {
            workload: ctx.workload.to_string(),
            name: k.clone(),
        };
        cfg.headers.push((
            k.parse().map_err(|_| header())?,
            v.parse().map_err(|_| header())?,
        ));
    }
    Ok(cfg)
}

fn request(
    ctx: &BuildContext<'_>,
    s: &StepSpec,
    slots: &[&str],
) -> Result<RequestSpec, BuildError> {
    let payloads = ctx.payloads;
    // `{{NAME.column}}` reads a data feeder; the row depends on the workload's VU ceiling.
    let vus = ctx.schedule.max_vus();
    let lookup = |name: &str, place: Place| -> Option<Named> {
        if let Some(slot) = slots.iter().position(|n| *n == name) {
            return Some(Named::Capture(slot));
        }
        if let Some(key) = name.strip_prefix("setup.") {
            // A value from the target, escaped for its place as captures are (the setup
            // refused one that cannot go in a header). Before the setup ran: a stand-in.
            let value = match ctx.setup.iter().find(|(n, _)| n == key) {
                Some((_, v)) => loadgen_template::escaped(place, v)?,
                None => bytes::Bytes::from_static(b"setup"),
            };
            return Some(Named::Value(Arc::new(SetupValue(value))));
        }
        let (feeder, column) = name.split_once('.')?;
        let f = ctx.feeders.iter().find(|f| f.name == feeder)?;
        let column = f.columns.iter().position(|c| c == column)?;
        Some(Named::Value(Arc::new(Column {
            feeder: f.clone(),
            column,
            vus,
            seed: ctx.seed,
            per_vu: s.once_per_vu,
        })))
    };
    let parse = |text: &str, place| Template::parse_in(text, place, &|n: &str| lookup(n, place));
    // The HTTP layer's error wraps the template's unchanged (same message, same chain).
    let http_err = |source: loadgen_template::TemplateError| BuildError::Http {
        workload: ctx.workload.to_string(),
        source: source.into(),
    };
    let header = |name: &str| BuildError::Header {
        workload: ctx.workload.to_string(),
        name: name.to_string(),
    };
    let method = s.http.method.parse().map_err(|_| header(":method"))?;
    let mut r = RequestSpec::new(
        s.name.clone(),
        method,
        parse(&s.http.path, Place::Path).map_err(http_err)?,
    );
    for (k, v) in &s.http.headers {
        r.headers.push((
            k.parse().map_err(|_| header(k))?,
            parse(v, Place::Header).map_err(http_err)?,
        ));
    }
    match &s.http.body {
        Some(BodySpec::Json(v)) => {
            r.body = Some(parse(&v.to_string(), Place::Json).map_err(http_err)?);
            r.content_type = Some(http::HeaderValue::from_static("application/json"));
        }
        Some(BodySpec::Text(t)) => r.body = Some(parse(t, Place::Text).map_err(http_err)?),
        Some(BodySpec::Payload(ix)) => {
            r.body = Some(Template::generated(Arc::new(payloads[*ix].clone())));
            r.content_type = Some(http::HeaderValue::from_static("application/json"));
        }
        None => {}
    }
    r.expect = Expect {
        status: s.expect.status.clone(),
        expected_failure_status: s.expect.expected_failure_status.clone(),
        body_contains: s.expect.body_contains.clone(),
        json: s.expect.json.clone(),
    };
    r.once_per_vu = s.once_per_vu;
    r.captures = captures(ctx, s, slots)?;
    r.think = s.flow.think;
    r.when = match &s.flow.when {
        // `journey` checked that an earlier step captures it.
        Some(name) => {
            Some(
                slots
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| BuildError::Capture {
                        workload: ctx.workload.to_string(),
                        name: name.clone(),
                    })?,
            )
        }
        None => None,
    };
    r.probability = s.flow.probability;
    r.repeat_for = s.flow.repeat_for;
    r.follow_redirects = s.flow.follow_redirects.unwrap_or(ctx.http.follow_redirects);
    Ok(r)
}

/// The step's captures, each with its slot (file order across the workload's steps).
fn captures(
    ctx: &BuildContext<'_>,
    s: &StepSpec,
    slots: &[&str],
) -> Result<Vec<Capture>, BuildError> {
    let mut out = Vec::new();
    for c in &s.captures {
        let bad = || BuildError::Capture {
            workload: ctx.workload.to_string(),
            name: c.name.clone(),
        };
        let regex = |re: &str| regex::bytes::Regex::new(re).map_err(|_| bad());
        let source = match &c.from {
            CaptureFrom::Json(path) => {
                CaptureSource::Json(JsonPath::parse(path).map_err(|_| bad())?)
            }
            CaptureFrom::Header(name, re) => CaptureSource::Header(
                name.parse().map_err(|_| bad())?,
                re.as_deref().map(regex).transpose()?,
            ),
            CaptureFrom::Cookie(name) => CaptureSource::Cookie(name.clone()),
            CaptureFrom::Regex(re) => CaptureSource::Regex(regex(re)?),
        };
        out.push(Capture {
            name: c.name.clone(),
            slot: slots.iter().position(|n| *n == c.name).ok_or_else(bad)?,
            source,
        });
    }
    Ok(out)
}
