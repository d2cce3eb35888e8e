//! Validated scenario → engine [`Plan`]: rate functions, VU stages and HTTP sessions.

use crate::feeder::Column;
use crate::model::{
    BodySpec, CaptureFrom, HttpVersionSpec, ModelSpec, Scenario, StepSpec, WorkloadSpec,
};
use loadgen_engine::{ClosedModel, Model, OpenModel, Plan, Workload};
use loadgen_http::{
    BaseUrl, Capture, CaptureSource, ClientConfig, Expect, HttpFactory, HttpVersion, JsonPath,
    Named, Place, RequestSpec, Template,
};
use std::sync::Arc;

/// Why a validated scenario could not become a plan (a URL or template the HTTP layer rejects).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The HTTP layer rejected part of a workload.
    #[error("workload `{workload}`")]
    Http {
        /// Workload name.
        workload: String,
        /// What was wrong.
        #[source]
        source: loadgen_http::HttpError,
    },
    /// A webhook or callback workload could not be built.
    #[error(transparent)]
    Webhook(crate::webhook_step::WebhookBuildError),
    /// The WebSocket layer rejected a workload (URL, host, TLS, header).
    #[error("workload `{workload}`")]
    Ws {
        /// Workload name.
        workload: String,
        /// What was wrong.
        #[source]
        source: loadgen_ws::WsError,
    },
    /// A capture that `validate` should have refused (a bad regex, JSON path or header).
    #[error("workload `{workload}`: capture `{name}`")]
    Capture {
        /// Workload name.
        workload: String,
        /// Capture name.
        name: String,
    },
    /// A header name or value that HTTP does not allow.
    #[error("workload `{workload}`: invalid header `{name}`")]
    Header {
        /// Workload name.
        workload: String,
        /// Header name.
        name: String,
    },
}

/// Builds the plan for `scenario` against `base_url` (the resolved target).
pub fn build_plan(scenario: &Scenario, base_url: &str) -> Result<Plan, BuildError> {
    let workloads = scenario
        .workloads
        .iter()
        .map(|w| build_workload(scenario, w, base_url))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        name: scenario.name.clone(),
        seed: scenario.seed,
        workloads,
    })
}

fn build_workload(sc: &Scenario, w: &WorkloadSpec, base_url: &str) -> Result<Workload, BuildError> {
    // The same dispatch as `WorkloadSpec::destinations`, which a worker's policy checks.
    let webhook = match w.protocol() {
        crate::Protocol::WebSocket(ws) => {
            return crate::ws_workload::build(sc, w, ws, base_url, engine_model(&w.model));
        }
        crate::Protocol::Webhook => true,
        crate::Protocol::Http => false,
    };
    let http_err = |source| BuildError::Http {
        workload: w.name.clone(),
        source,
    };
    let base = BaseUrl::parse(base_url).map_err(http_err)?;
    let mut cfg = ClientConfig::new(base);
    cfg.version = match sc.http.version {
        HttpVersionSpec::Http1 => HttpVersion::Http1,
        HttpVersionSpec::Http2 => HttpVersion::Http2,
    };
    cfg.tls = sc.http.tls_for(cfg.base.host());
    cfg.hosts = sc.http.hosts.clone();
    cfg.proxy = sc
        .http
        .proxy
        .resolve(cfg.base.host(), cfg.base.is_tls(), &process_env)
        .map_err(http_err)?;
    cfg.fast_path = sc.http.fast_path;
    cfg.connect_timeout = sc.http.connect_timeout;
    cfg.request_timeout = sc.http.timeout;
    cfg.new_connection_per_iteration = w.new_connection_per_iteration;
    for (k, v) in &sc.http.headers {
        let header = || BuildError::Header {
            workload: w.name.clone(),
            name: k.clone(),
        };
        cfg.headers.push((
            k.parse().map_err(|_| header())?,
            v.parse().map_err(|_| header())?,
        ));
    }
    let model = engine_model(&w.model);
    if webhook {
        return crate::webhook_step::build(sc, w, base_url, model).map_err(BuildError::Webhook);
    }
    // Capture slots in file order, as `journey::custom_metrics` declares their counters.
    let slots: Vec<&str> = w
        .steps
        .iter()
        .flat_map(|s| s.captures.iter().map(|c| c.name.as_str()))
        .collect();
    let requests = w
        .steps
        .iter()
        .map(|s| request(sc, w, s, &slots))
        .collect::<Result<Vec<_>, _>>()?;
    let factory = HttpFactory::new(Arc::new(cfg), requests).map_err(http_err)?;
    let steps = w.steps.iter().map(|s| s.name.clone()).collect();
    Ok(Workload::new(w.name.clone(), steps, model, factory)
        .starting_at(w.start)
        .with_custom(w.custom_metrics()))
}

fn engine_model(m: &ModelSpec) -> Model {
    match m {
        ModelSpec::Open {
            rate,
            duration,
            arrivals,
            max_vus,
            pre_allocated_vus,
            backlog,
            vu_order,
        } => Model::Open(OpenModel {
            rate: Arc::new(rate.clone()),
            duration: *duration,
            spacing: *arrivals,
            max_vus: *max_vus,
            pre_allocated_vus: *pre_allocated_vus,
            backlog: *backlog,
            vu_order: *vu_order,
        }),
        ModelSpec::Closed {
            stages,
            think,
            iterations,
        } => Model::Closed(ClosedModel {
            stages: stages.clone(),
            think: *think,
            iterations: *iterations,
        }),
    }
}

fn request(
    sc: &Scenario,
    w: &WorkloadSpec,
    s: &StepSpec,
    slots: &[&str],
) -> Result<RequestSpec, BuildError> {
    let payloads = &sc.payloads;
    // `{{NAME.column}}` reads a data feeder; the row depends on the workload's VU ceiling.
    let vus = match &w.model {
        ModelSpec::Open { max_vus, .. } => *max_vus,
        ModelSpec::Closed { stages, .. } => stages.max_vus(),
    };
    let lookup = |name: &str| -> Option<Named> {
        if let Some(slot) = slots.iter().position(|n| *n == name) {
            return Some(Named::Capture(slot));
        }
        let (feeder, column) = name.split_once('.')?;
        let f = sc.feeders.iter().find(|f| f.name == feeder)?;
        let column = f.columns.iter().position(|c| c == column)?;
        Some(Named::Value(Arc::new(Column {
            feeder: f.clone(),
            column,
            vus,
            seed: sc.seed,
        })))
    };
    let parse = |text: &str, place| Template::parse_in(text, place, &lookup);
    let http_err = |source| BuildError::Http {
        workload: w.name.clone(),
        source,
    };
    let header = |name: &str| BuildError::Header {
        workload: w.name.clone(),
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
    for c in &s.captures {
        let bad = || BuildError::Capture {
            workload: w.name.clone(),
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
        r.captures.push(Capture {
            name: c.name.clone(),
            slot: slots.iter().position(|n| *n == c.name).ok_or_else(bad)?,
            source,
        });
    }
    Ok(r)
}

/// The process environment, for `proxy = "env"`.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
