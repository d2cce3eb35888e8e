//! Webhook and callback steps in scenario files: their grammar, their checks and the
//! workload they build.
//!
//! ```toml
//! [[workload.step]]
//! name = "deliver"
//! webhook = { provider = "stripe", secret = "${STRIPE_WEBHOOK_SECRET:-whsec_…}", path = "/webhooks/stripe",
//!             payload = "@payment", events = { "payment_intent.succeeded" = 80, "charge.refunded" = 20 },
//!             retries = { max = 3, backoff = "100ms", max_backoff = "2s" },
//!             fail = { share = "10%", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 } }
//!
//! [[workload.step]]
//! name = "pay-async"
//! callback = { path = "/api/payments/async", json = "@payment", within = "2s" }
//! ```
//!
//! A workload's steps are all HTTP steps or all webhook/callback steps (one session type per
//! workload). Secrets are kept in [`Secret`], whose `Debug` prints `***`; no message here
//! ever quotes one.

use crate::model::{Scenario, StepSpec, WorkloadSpec};
use crate::raw::{RawStep, S};
use crate::units::{parse_duration, parse_share};
use loadgen_engine::{Model, Workload};
use loadgen_http::{BaseUrl, BodySource, Expect};
use loadgen_webhook::{
    Algorithm, CallbackStep, DeliveryStep, Encoding, EventMix, Fault, FaultMix, GenericScheme,
    RetryPolicy, Scheme, Secret, Signed, Signer, StepKind, WebhookClient, WebhookFactory,
};
use std::sync::Arc;
use std::time::Duration;

/// A webhook or callback step as the scenario describes it.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookStepSpec {
    /// `webhook = { … }`.
    Delivery(Box<DeliverySpec>),
    /// `callback = { … }`.
    Callback(CallbackSpec),
}

/// `webhook = { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySpec {
    /// Scheme (Square's notification URL may be filled in at build time).
    pub scheme: Scheme,
    /// The signing secret.
    pub secret: Secret,
    /// Path under the target.
    pub path: String,
    /// Event types and weights.
    pub events: Vec<(String, f64)>,
    /// `[payload.NAME]` index writing `data.object`.
    pub payload: Option<usize>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Built-to-fail share and kinds.
    pub fail_share: f64,
    /// Kinds and weights.
    pub fail_kinds: Vec<(Fault, f64)>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

/// `callback = { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackSpec {
    /// Method.
    pub method: String,
    /// Path under the target.
    pub path: String,
    /// `[payload.NAME]` index of the body.
    pub payload: Option<usize>,
    /// Fixed JSON body.
    pub json: Option<String>,
    /// Deadline for the callback after the request is sent.
    pub within: Duration,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl WebhookStepSpec {
    /// The path the step sends to.
    pub fn path(&self) -> &str {
        match self {
            WebhookStepSpec::Delivery(d) => &d.path,
            WebhookStepSpec::Callback(c) => &c.path,
        }
    }
}

/// The step's `webhook`/`callback` table, when it has one: `(key, table)`.
pub(crate) fn raw_table(s: &RawStep) -> Option<(&'static str, &S<toml::Table>)> {
    match (&s.webhook, &s.callback) {
        (Some(t), _) => Some(("webhook", t)),
        (None, Some(t)) => Some(("callback", t)),
        (None, None) => None,
    }
}

/// A problem: sub-field (after the step's field path) and message.
pub(crate) type Bad = (String, String);

fn bad(field: impl Into<String>, message: impl std::fmt::Display) -> Bad {
    (field.into(), message.to_string())
}

/// Parses a step's `webhook`/`callback` table and its `expect` (status codes only).
pub(crate) fn parse(s: &RawStep, payloads: &[String]) -> Result<(WebhookStepSpec, Vec<u16>), Bad> {
    let Some((key, table)) = raw_table(s) else {
        return Err(bad("", "not a webhook step"));
    };
    if s.http.is_some() || (s.webhook.is_some() && s.callback.is_some()) {
        return Err(bad(
            key,
            "a step is one of http, webhook or callback, not several",
        ));
    }
    let status = match &s.expect {
        None => Vec::new(),
        Some(e) => {
            let e = e.get_ref();
            if e.expected_failure_status.is_some()
                || e.body_contains.is_some()
                || !e.json.is_empty()
            {
                return Err(bad(
                    "expect",
                    "webhook and callback steps check the status only (built-to-fail deliveries carry their own expected answers)",
                ));
            }
            let codes: Vec<u16> = e
                .status
                .as_ref()
                .map(|v| v.get_ref().iter().map(|c| *c.get_ref()).collect())
                .unwrap_or_default();
            if let Some(c) = codes.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(bad(
                    "expect.status",
                    format!("{c} is not an HTTP status (100..599)"),
                ));
            }
            codes
        }
    };
    let t = table.get_ref();
    let spec = match key {
        "webhook" => WebhookStepSpec::Delivery(Box::new(
            delivery(t, payloads).map_err(|(f, m)| (format!("webhook.{f}"), m))?,
        )),
        _ => WebhookStepSpec::Callback(
            callback(t, payloads).map_err(|(f, m)| (format!("callback.{f}"), m))?,
        ),
    };
    Ok((spec, status))
}

fn string<'t>(t: &'t toml::Table, key: &str) -> Result<Option<&'t str>, Bad> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(key, "expected a string")),
    }
}

fn required<'t>(t: &'t toml::Table, key: &str, example: &str) -> Result<&'t str, Bad> {
    string(t, key)?.ok_or_else(|| bad(key, format!("required (e.g. {key} = {example})")))
}

fn unknown(t: &toml::Table, known: &[&str]) -> Result<(), Bad> {
    match t.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            k.as_str(),
            format!("unknown field (known: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn path(t: &toml::Table) -> Result<String, Bad> {
    let p = required(t, "path", "\"/webhooks/stripe\"")?;
    if !p.starts_with('/') {
        return Err(bad("path", "a path starts with `/`"));
    }
    Ok(p.to_string())
}

fn weight(v: &toml::Value) -> Option<f64> {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .filter(|w| w.is_finite() && *w > 0.0)
}

fn payload_ref(text: &str, key: &str, payloads: &[String]) -> Result<usize, Bad> {
    let name = text
        .strip_prefix('@')
        .ok_or_else(|| bad(key, "expected \"@NAME\" naming a [payload.NAME]"))?;
    payloads.iter().position(|p| p == name).ok_or_else(|| {
        let known = if payloads.is_empty() {
            "none defined".to_string()
        } else {
            payloads.join(", ")
        };
        bad(key, format!("no [payload.{name}] (known: {known})"))
    })
}

fn headers(t: &toml::Table) -> Result<Vec<(String, String)>, Bad> {
    let Some(h) = t.get("headers") else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(h) = h else {
        return Err(bad("headers", "expected { name = \"value\" }"));
    };
    h.iter()
        .map(|(k, v)| match v {
            toml::Value::String(s)
                if http::HeaderName::from_bytes(k.as_bytes()).is_ok()
                    && http::HeaderValue::from_str(s).is_ok() =>
            {
                Ok((k.clone(), s.clone()))
            }
            _ => Err(bad(
                format!("headers.{k}"),
                "not a valid header name and string value",
            )),
        })
        .collect()
}

fn duration(t: &toml::Table, key: &str) -> Result<Option<Duration>, Bad> {
    string(t, key)?
        .map(|s| parse_duration(s).map_err(|m| bad(key, m)))
        .transpose()
}

const DELIVERY_KEYS: [&str; 16] = [
    "provider",
    "secret",
    "path",
    "events",
    "payload",
    "retries",
    "fail",
    "headers",
    "notification_url",
    "header",
    "algorithm",
    "encoding",
    "signed",
    "prefix",
    "timestamp_header",
    "id_header",
];

fn delivery(t: &toml::Table, payloads: &[String]) -> Result<DeliverySpec, Bad> {
    unknown(t, &DELIVERY_KEYS)?;
    let provider = required(t, "provider", "\"stripe\"")?;
    let generic_only = [
        "header",
        "algorithm",
        "encoding",
        "signed",
        "prefix",
        "timestamp_header",
        "id_header",
    ];
    if provider != "generic" {
        if let Some(k) = generic_only.iter().find(|k| t.contains_key(**k)) {
            return Err(bad(*k, "only for provider = \"generic\""));
        }
    }
    if provider != "square" && t.contains_key("notification_url") {
        return Err(bad("notification_url", "only for provider = \"square\""));
    }
    let scheme = match provider {
        "stripe" => Scheme::Stripe,
        "github" => Scheme::GitHub,
        "standard" | "standard-webhooks" | "svix" => Scheme::Standard,
        "square" => Scheme::Square {
            notification_url: string(t, "notification_url")?.unwrap_or_default().to_string(),
        },
        "shopify" => Scheme::Shopify,
        "generic" => Scheme::Generic(generic(t)?),
        other => {
            return Err(bad(
                "provider",
                format!("unknown provider `{other}` (use stripe, github, standard, square, shopify or generic)"),
            ))
        }
    };
    let secret = Secret::new(required(t, "secret", "\"${STRIPE_WEBHOOK_SECRET}\"")?);
    // Checks the secret's form (a Standard Webhooks secret must decode); the error never
    // quotes it.
    Signer::new(scheme.clone(), &secret).map_err(|e| {
        let text = e.to_string();
        let msg = text.strip_prefix("secret: ").unwrap_or(&text).to_string();
        bad("secret", msg)
    })?;
    let events =
        match t.get("events") {
            None => loadgen_webhook::event::DEFAULT_EVENTS
                .iter()
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
            Some(toml::Value::Table(e)) if !e.is_empty() => e
                .iter()
                .map(|(k, v)| {
                    weight(v)
                        .map(|w| (k.clone(), w))
                        .ok_or_else(|| bad(format!("events.{k}"), "expected a positive weight"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(bad(
                "events",
                "expected weights { \"payment_intent.succeeded\" = 80, \"charge.refunded\" = 20 }",
            )),
        };
    EventMix::new(events.clone()).map_err(|e| {
        let text = e.to_string();
        bad(
            "events",
            text.strip_prefix("events: ").unwrap_or(&text).to_string(),
        )
    })?;
    let payload = string(t, "payload")?
        .map(|p| payload_ref(p, "payload", payloads))
        .transpose()?;
    let mut retry = RetryPolicy::default();
    match t.get("retries") {
        None => {}
        Some(toml::Value::Integer(n)) if *n >= 0 => retry.max = *n as u32,
        Some(toml::Value::Table(r)) => {
            unknown(r, &["max", "backoff", "max_backoff"])
                .map_err(|(f, m)| (format!("retries.{f}"), m))?;
            match r.get("max") {
                None => {}
                Some(toml::Value::Integer(n)) if (0..=20).contains(n) => retry.max = *n as u32,
                Some(_) => return Err(bad("retries.max", "expected 0..=20")),
            }
            let d = |k: &str| duration(r, k).map_err(|(f, m)| (format!("retries.{f}"), m));
            if let Some(b) = d("backoff")? {
                retry.backoff = b;
            }
            if let Some(b) = d("max_backoff")? {
                retry.max_backoff = b;
            }
            if retry.max_backoff < retry.backoff {
                return Err(bad("retries.max_backoff", "must not be below backoff"));
            }
        }
        Some(_) => {
            return Err(bad(
                "retries",
                "expected { max = 3, backoff = \"100ms\", max_backoff = \"5s\" } or a count",
            ))
        }
    }
    let (mut fail_share, mut fail_kinds) = (0.0, Vec::new());
    match t.get("fail") {
        None => {}
        Some(toml::Value::Table(f)) => {
            for (k, v) in f {
                if k == "share" {
                    fail_share = match v {
                        toml::Value::String(s) => {
                            parse_share(s).map_err(|m| bad("fail.share", m))?
                        }
                        _ => return Err(bad("fail.share", "expected a share like \"10%\"")),
                    };
                    continue;
                }
                let kind = Fault::ALL.into_iter().find(|x| x.name() == k).ok_or_else(|| {
                    bad(
                        format!("fail.{k}"),
                        "unknown kind (use bad_signature, stale, duplicate, out_of_order)",
                    )
                })?;
                if kind == Fault::Stale && !scheme.signs_timestamp() {
                    return Err(bad(
                        "fail.stale",
                        format!("the {} scheme signs no timestamp, so a stale delivery cannot be built", scheme.name()),
                    ));
                }
                let w = weight(v).ok_or_else(|| bad(format!("fail.{k}"), "expected a positive weight"))?;
                fail_kinds.push((kind, w));
            }
            FaultMix::new(fail_share, fail_kinds.clone()).map_err(|m| bad("fail", m))?;
        }
        Some(_) => {
            return Err(bad(
                "fail",
                "expected { share = \"10%\", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 }",
            ))
        }
    }
    Ok(DeliverySpec {
        scheme,
        secret,
        path: path(t)?,
        events,
        payload,
        retry,
        fail_share,
        fail_kinds,
        headers: headers(t)?,
    })
}

/// The value named by `key` (`default` when absent) among `options`, or an error naming
/// them all.
fn one_of<T: Copy>(
    t: &toml::Table,
    key: &str,
    default: &str,
    options: &[(&str, T)],
) -> Result<T, Bad> {
    let name = string(t, key)?.unwrap_or(default);
    if let Some((_, v)) = options.iter().find(|(n, _)| *n == name) {
        return Ok(*v);
    }
    let mut names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let last = names.pop().unwrap_or_default();
    let listed = if names.is_empty() {
        last.to_string()
    } else {
        format!("{} or {last}", names.join(", "))
    };
    Err(bad(key, format!("unknown `{name}` (use {listed})")))
}

fn generic(t: &toml::Table) -> Result<GenericScheme, Bad> {
    let header = required(t, "header", "\"x-signature\"")?.to_ascii_lowercase();
    let algorithm = one_of(
        t,
        "algorithm",
        "sha256",
        &[
            ("sha1", Algorithm::Sha1),
            ("sha256", Algorithm::Sha256),
            ("sha512", Algorithm::Sha512),
        ],
    )?;
    let encoding = one_of(
        t,
        "encoding",
        "hex",
        &[("hex", Encoding::Hex), ("base64", Encoding::Base64)],
    )?;
    let signed = one_of(
        t,
        "signed",
        "body",
        &[
            ("body", Signed::Body),
            ("timestamp.body", Signed::TimestampBody),
            ("id.timestamp.body", Signed::IdTimestampBody),
        ],
    )?;
    let timestamp_header = string(t, "timestamp_header")?.map(str::to_ascii_lowercase);
    let id_header = string(t, "id_header")?.map(str::to_ascii_lowercase);
    if signed != Signed::Body && timestamp_header.is_none() {
        return Err(bad(
            "timestamp_header",
            "a signed timestamp must travel in a header (e.g. timestamp_header = \"x-timestamp\")",
        ));
    }
    if signed == Signed::IdTimestampBody && id_header.is_none() {
        return Err(bad(
            "id_header",
            "a signed id must travel in a header (e.g. id_header = \"x-event-id\")",
        ));
    }
    for (k, h) in [
        ("header", Some(&header)),
        ("timestamp_header", timestamp_header.as_ref()),
        ("id_header", id_header.as_ref()),
    ] {
        if let Some(h) = h {
            if http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(bad(k, format!("`{h}` is not a valid header name")));
            }
        }
    }
    Ok(GenericScheme {
        header,
        algorithm,
        encoding,
        signed,
        prefix: string(t, "prefix")?.unwrap_or("").to_string(),
        timestamp_header,
        id_header,
    })
}

fn callback(t: &toml::Table, payloads: &[String]) -> Result<CallbackSpec, Bad> {
    unknown(t, &["path", "method", "json", "within", "headers"])?;
    let method = string(t, "method")?.unwrap_or("POST").to_ascii_uppercase();
    if !["POST", "PUT", "PATCH"].contains(&method.as_str()) {
        return Err(bad("method", "use POST, PUT or PATCH"));
    }
    let within = duration(t, "within")?.ok_or_else(|| {
        bad(
            "within",
            "required: how long the callback may take (e.g. within = \"2s\")",
        )
    })?;
    if within.is_zero() {
        return Err(bad("within", "must be longer than zero"));
    }
    let (payload, json) = match t.get("json") {
        None => (None, None),
        Some(toml::Value::String(r)) if r.starts_with('@') => {
            (Some(payload_ref(r, "json", payloads)?), None)
        }
        Some(v @ toml::Value::Table(_)) => (
            None,
            Some(serde_json::to_string(v).map_err(|e| bad("json", e.to_string()))?),
        ),
        Some(_) => return Err(bad("json", "expected \"@NAME\" or an inline table")),
    };
    Ok(CallbackSpec {
        method,
        path: path(t)?,
        payload,
        json,
        within,
        headers: headers(t)?,
    })
}

/// A message when a workload mixes HTTP steps with webhook/callback steps.
pub(crate) fn mixed(steps: &[StepSpec]) -> Option<&'static str> {
    let hooks = steps.iter().filter(|s| s.webhook.is_some()).count();
    (hooks > 0 && hooks < steps.len()).then_some(
        "a workload's steps are all http steps or all webhook/callback steps; put them in separate workloads",
    )
}

/// The custom metrics of a webhook workload (delivery and/or callback metrics), as
/// [`WebhookFactory::custom_metrics`] lists them for the built steps.
pub(crate) fn custom_metrics(w: &WorkloadSpec) -> Vec<loadgen_engine::CustomMetric> {
    let has =
        |f: fn(&WebhookStepSpec) -> bool| w.steps.iter().filter_map(|s| s.webhook.as_ref()).any(f);
    loadgen_webhook::metrics::custom_metrics(
        has(|s| matches!(s, WebhookStepSpec::Delivery(_))),
        has(|s| matches!(s, WebhookStepSpec::Callback(_))),
    )
}

/// True when the workload is built by [`build`] rather than as HTTP.
pub(crate) fn is_webhook_workload(w: &WorkloadSpec) -> bool {
    w.steps.first().is_some_and(|s| s.webhook.is_some())
}

/// Why a webhook workload could not be built.
#[derive(Debug, thiserror::Error)]
#[error("workload `{workload}`: {message}")]
pub struct WebhookBuildError {
    /// Workload name.
    pub workload: String,
    /// What was wrong (never a secret).
    pub message: String,
}

/// Builds a webhook workload against `base_url`.
pub(crate) fn build(
    sc: &Scenario,
    w: &WorkloadSpec,
    base_url: &str,
    model: Model,
) -> Result<Workload, WebhookBuildError> {
    let err = |message: String| WebhookBuildError {
        workload: w.name.clone(),
        message,
    };
    let base = BaseUrl::parse(base_url).map_err(|e| err(e.to_string()))?;
    let header = |k: &str, v: &str| {
        Ok::<_, WebhookBuildError>((
            http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| err(format!("invalid header `{k}`")))?,
            http::HeaderValue::from_str(v)
                .map_err(|_| err(format!("invalid value of header `{k}`")))?,
        ))
    };
    let defaults = sc
        .http
        .headers
        .iter()
        .map(|(k, v)| header(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    let source = |ix: usize| -> Arc<dyn BodySource> { Arc::new(sc.payloads[ix].clone()) };
    let mut steps = Vec::new();
    for s in &w.steps {
        let Some(spec) = &s.webhook else {
            return Err(err(format!("step `{}` is not a webhook step", s.name)));
        };
        let expect = Expect {
            status: s.expect.status.clone(),
            ..Expect::default()
        };
        let kind = match spec {
            WebhookStepSpec::Delivery(d) => {
                let scheme = match &d.scheme {
                    Scheme::Square { notification_url } if notification_url.is_empty() => {
                        Scheme::Square {
                            notification_url: format!(
                                "{}{}",
                                base_url.trim_end_matches('/'),
                                d.path
                            ),
                        }
                    }
                    other => other.clone(),
                };
                let signer = Signer::new(scheme, &d.secret).map_err(|e| err(e.to_string()))?;
                StepKind::Delivery(Box::new(DeliveryStep {
                    name: s.name.clone(),
                    path: d.path.clone(),
                    signer,
                    events: EventMix::new(d.events.clone()).map_err(|e| err(e.to_string()))?,
                    object: d.payload.map(source),
                    retry: d.retry,
                    faults: FaultMix::new(d.fail_share, d.fail_kinds.clone())
                        .map_err(|e| err(e.to_string()))?,
                    expect,
                    headers: d
                        .headers
                        .iter()
                        .map(|(k, v)| header(k, v))
                        .collect::<Result<_, _>>()?,
                }))
            }
            WebhookStepSpec::Callback(c) => StepKind::Callback(Box::new(CallbackStep {
                name: s.name.clone(),
                method: c
                    .method
                    .parse()
                    .map_err(|_| err(format!("method `{}`", c.method)))?,
                path: c.path.clone(),
                body: c.payload.map(source),
                json: c.json.clone(),
                within: c.within,
                expect,
                headers: c
                    .headers
                    .iter()
                    .map(|(k, v)| header(k, v))
                    .collect::<Result<_, _>>()?,
            })),
        };
        steps.push(kind);
    }
    let proxy = sc
        .http
        .proxy
        .resolve(base.host(), base.is_tls(), &crate::build::process_env)
        .map_err(|e| err(e.to_string()))?;
    let tls = sc.http.tls_for(base.host());
    let client = WebhookClient {
        base,
        version: match sc.http.version {
            crate::model::HttpVersionSpec::Http1 => loadgen_http::HttpVersion::Http1,
            crate::model::HttpVersionSpec::Http2 => loadgen_http::HttpVersion::Http2,
        },
        tls,
        hosts: sc.http.hosts.clone(),
        proxy,
        connect_timeout: sc.http.connect_timeout,
        request_timeout: sc.http.timeout,
        headers: defaults,
    };
    let factory = WebhookFactory::new(client, steps).map_err(|e| err(e.to_string()))?;
    let names = factory.step_names();
    Ok(Workload::new(w.name.clone(), names, model, factory)
        .starting_at(w.start)
        .with_custom(w.custom_metrics()))
}
