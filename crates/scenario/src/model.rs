//! The validated scenario: every unit parsed, every cross-reference checked. The CLI and the
//! plan builder read only these types.

use crate::pattern::Pattern;
use crate::payload::PaymentGenerator;
use crate::threshold::Threshold;
use loadgen_engine::CustomMetric;
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use std::time::Duration;

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name (results folders and reports use it).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Where traffic goes.
    pub target: TargetSpec,
    /// Default duration of workloads without their own.
    pub duration: Duration,
    /// Seed for every random choice.
    pub seed: u64,
    /// Time in-flight iterations get after the end or a stop.
    pub graceful_stop: Duration,
    /// HTTP defaults for every step.
    pub http: HttpDefaults,
    /// Data feeders (`[feeder.NAME]`), read by templates as `{{NAME.column}}`.
    pub feeders: Vec<std::sync::Arc<crate::feeder::Feeder>>,
    /// Payload generators (`[payload.NAME]`), referenced by steps as `json = "@NAME"`.
    pub payloads: Vec<PaymentGenerator>,
    /// The workloads, run side by side.
    pub workloads: Vec<WorkloadSpec>,
    /// SLA thresholds.
    pub thresholds: Vec<Threshold>,
}

/// Where traffic goes.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// Start the demo target on loopback with these settings.
    Embedded(EmbeddedSpec),
    /// A base URL (`http://…` or `https://…`).
    Url(String),
}

/// Settings of the embedded demo target (`[embedded]`).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedSpec {
    /// Latency model in the demo target's syntax (`lognormal:median=5ms,p99=50ms`).
    pub latency: String,
    /// Share of API requests answered 500.
    pub error_rate: f64,
    /// Seed of the target's own draws.
    pub seed: u64,
    /// Server threads.
    pub threads: usize,
    /// Secret the webhook routes verify with (`None`: the target's demo secret).
    pub webhook_secret: Option<loadgen_webhook::Secret>,
    /// Delay before the async endpoint calls back (`None`: the target's default).
    pub callback_delay: Option<Duration>,
}

impl Default for EmbeddedSpec {
    fn default() -> Self {
        EmbeddedSpec {
            latency: "0".into(),
            error_rate: 0.0,
            seed: 1,
            threads: 1,
            webhook_secret: None,
            callback_delay: None,
        }
    }
}

/// HTTP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersionSpec {
    /// HTTP/1.1.
    #[default]
    Http1,
    /// HTTP/2 (h2c prior knowledge, or ALPN over TLS).
    Http2,
}

/// `[http]`: defaults for every HTTP step.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpDefaults {
    /// Protocol version.
    pub version: HttpVersionSpec,
    /// Trust (`insecure`, `ca_file`), client identity (`client_cert`, `client_key`) and
    /// `min_tls_version`, for HTTP, `wss://` and webhook deliveries alike.
    pub tls: loadgen_http::TlsOptions,
    /// `hosts`: names connected to at a given address, keeping the name for TLS and `Host`.
    pub hosts: loadgen_http::HostOverrides,
    /// `proxy`: direct connections, a given HTTP proxy, or the proxy environment variables.
    pub proxy: ProxySpec,
    /// `[[http.tls_auth]]`: client certificates for given hosts, in place of `client_cert`.
    pub tls_auth: Vec<TlsAuth>,
    /// Use the pre-encoded HTTP/1.1 fast path where it applies (`false` forces hyper).
    pub fast_path: bool,
    /// Connect (and TLS) timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Headers on every request.
    pub headers: Vec<(String, String)>,
}

impl Default for HttpDefaults {
    fn default() -> Self {
        HttpDefaults {
            version: HttpVersionSpec::Http1,
            tls: loadgen_http::TlsOptions::default(),
            hosts: loadgen_http::HostOverrides::new(),
            proxy: ProxySpec::Direct,
            tls_auth: Vec::new(),
            fast_path: true,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            headers: Vec::new(),
        }
    }
}

/// One `[[http.tls_auth]]`: the client certificate presented to these hosts (k6's `tlsAuth`).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsAuth {
    /// Host names, lower case, matched exactly.
    pub domains: Vec<String>,
    /// The certificate and key.
    pub identity: loadgen_http::ClientIdentity,
}

impl HttpDefaults {
    /// The TLS options for connections to `host`: `[http]`'s, with the client certificate of
    /// the first `[[http.tls_auth]]` listing `host` when one does.
    pub fn tls_for(&self, host: &str) -> loadgen_http::TlsOptions {
        let mut tls = self.tls.clone();
        let host = host.to_ascii_lowercase();
        if let Some(auth) = self.tls_auth.iter().find(|a| a.domains.contains(&host)) {
            tls.identity = Some(auth.identity.clone());
        }
        tls
    }
}

/// `[http] proxy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxySpec {
    /// No proxy (the default; the proxy environment variables are ignored).
    #[default]
    Direct,
    /// `proxy = "http://host:port"`.
    Url(loadgen_http::Proxy),
    /// `proxy = "env"`: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` when the run starts.
    Env,
}

impl ProxySpec {
    /// The proxy for a target `host` (`tls`: `https://` or `wss://`), reading the environment
    /// through `env` for [`ProxySpec::Env`].
    pub fn resolve(
        &self,
        host: &str,
        tls: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<loadgen_http::Proxy>, loadgen_http::HttpError> {
        match self {
            ProxySpec::Direct => Ok(None),
            ProxySpec::Url(p) => Ok(Some(p.clone())),
            ProxySpec::Env => loadgen_http::Proxy::from_env(host, tls, env),
        }
    }
}

/// One workload.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// Unique name.
    pub name: String,
    /// Offset from the run's start.
    pub start: Duration,
    /// Open or closed, with its parameters.
    pub model: ModelSpec,
    /// Steps run in order by every iteration.
    pub steps: Vec<StepSpec>,
    /// A WebSocket workload (`[workload.ws]`) instead of HTTP steps.
    pub ws: Option<crate::ws_workload::WsSpec>,
    /// HTTP only: every iteration opens its own connection ("every arrival is a new user").
    pub new_connection_per_iteration: bool,
}

/// How long Linux keeps a closed connection's socket in TIME_WAIT (on the side that closed
/// first: here, the client).
pub const TIME_WAIT_SECS: f64 = 60.0;

impl Scenario {
    /// Warnings for workloads that open a connection per iteration faster than TIME_WAIT
    /// sockets can clear: `ports` ephemeral ports per source/destination pair (the kernel's
    /// range), so connections to one address start failing once the churn fills it.
    pub fn connection_churn_warnings(&self, ports: u64) -> Vec<String> {
        self.workloads
            .iter()
            .filter(|w| w.new_connection_per_iteration)
            .filter_map(|w| match &w.model {
                ModelSpec::Open { rate, duration, .. } => {
                    let peak = rate.peak(duration.as_secs_f64());
                    let waiting = peak * TIME_WAIT_SECS;
                    (waiting > ports as f64).then(|| {
                        format!(
                            "workload `{}`: a new connection per iteration at up to {peak:.0}/s leaves about {waiting:.0} sockets in TIME_WAIT ({TIME_WAIT_SECS:.0} s each), more than the {ports} ephemeral ports per destination: connections to one address will fail (EADDRNOTAVAIL) once they fill up. Lower the rate, split it with --segment over machines, or keep connections (leave new_connection_per_iteration out)",
                            w.name
                        )
                    })
                }
                ModelSpec::Closed { .. } => None,
            })
            .collect()
    }
}

impl WorkloadSpec {
    /// The custom metrics this workload's sessions record, in the order they record them
    /// (plain HTTP workloads record none).
    pub fn custom_metrics(&self) -> Vec<CustomMetric> {
        if crate::webhook_step::is_webhook_workload(self) {
            return crate::webhook_step::custom_metrics(self);
        }
        if self.ws.is_some() {
            return loadgen_ws::custom_metrics();
        }
        crate::journey::custom_metrics(self)
    }
}

/// Workload model with its parameters.
#[derive(Debug, Clone)]
pub enum ModelSpec {
    /// Arrival rate.
    Open {
        /// Rate over time (a constant, ramp or traffic pattern, already scaled).
        rate: Pattern,
        /// Length of the schedule.
        duration: Duration,
        /// Uniform or Poisson.
        arrivals: Spacing,
        /// VU pool ceiling.
        max_vus: u64,
        /// VUs made before the first arrival.
        pre_allocated_vus: u64,
        /// Arrivals that may wait for a VU of a full, busy pool before more are dropped
        /// (default: `max_vus`, or 100 ms of arrivals at the peak rate if more).
        backlog: u64,
        /// Which idle VU an arrival takes (`vu_order`, default FIFO).
        vu_order: loadgen_engine::VuOrder,
    },
    /// Concurrency.
    Closed {
        /// VUs over time.
        stages: VuStages,
        /// Pause after each iteration.
        think: ThinkTime,
        /// Iterations per VU.
        iterations: Option<u64>,
    },
}

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// Unique within its workload.
    pub name: String,
    /// The request (for webhook and callback steps: POST to their path).
    pub http: HttpStepSpec,
    /// A webhook delivery or callback step (`webhook = {…}` / `callback = {…}`).
    pub webhook: Option<crate::webhook_step::WebhookStepSpec>,
    /// What counts as success.
    pub expect: ExpectSpec,
    /// Values taken from the answer for later steps (`capture = {…}`), in file order.
    pub captures: Vec<CaptureSpec>,
    /// `scope = "vu"`: run once per VU (until it succeeds), its captures kept.
    pub once_per_vu: bool,
}

/// One capture of a step, checked: its JSON path, header name and regex are valid.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSpec {
    /// The name later steps render as `{{name}}`.
    pub name: String,
    /// Where the value is read.
    pub from: CaptureFrom,
}

/// Where a capture reads its value.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureFrom {
    /// A JSON path (`$.data.items[0].id`) into the body.
    Json(String),
    /// A response header; with a regex, its first group over the header's value.
    Header(String, Option<String>),
    /// The value of a cookie the answer sets.
    Cookie(String),
    /// The first group of a regex over the body.
    Regex(String),
}

/// An HTTP request template.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpStepSpec {
    /// Method, upper case.
    pub method: String,
    /// Path (and query), may hold `{{var}}` templates.
    pub path: String,
    /// Extra headers (values may hold templates).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<BodySpec>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum BodySpec {
    /// JSON (sent with `content-type: application/json`).
    Json(serde_json::Value),
    /// Raw text.
    Text(String),
    /// Generated per request by the payload generator with this index in `Scenario::payloads`.
    Payload(usize),
}

/// Checks on the answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectSpec {
    /// Statuses that count as success (empty: any 2xx).
    pub status: Vec<u16>,
    /// Statuses that mean "correctly rejected" (expected failure, not an error).
    pub expected_failure_status: Vec<u16>,
    /// The body must contain this.
    pub body_contains: Option<String>,
    /// JSON fields (dotted paths) that must equal these values.
    pub json: Vec<(String, serde_json::Value)>,
}

impl Scenario {
    /// How long the schedule runs (the latest workload end), graceful stop not included.
    pub fn planned_duration(&self) -> Duration {
        self.workloads
            .iter()
            .map(|w| w.start + w.model.duration())
            .max()
            .unwrap_or_default()
    }

    /// Applies command-line overrides.
    ///
    /// `duration` replaces the length of every constant workload and scales the stages of
    /// ramping ones proportionally, so the shape of a ramp is kept at the new length.
    pub fn apply_overrides(
        &mut self,
        duration: Option<Duration>,
        seed: Option<u64>,
        target: Option<String>,
    ) {
        if let Some(s) = seed {
            self.seed = s;
        }
        if let Some(t) = target {
            self.target = TargetSpec::Url(t);
        }
        if let Some(d) = duration {
            self.duration = d;
            for w in &mut self.workloads {
                let old = w.model.duration();
                w.model.set_duration(d);
                if let Some(ws) = &mut w.ws {
                    // A hold fits its schedule (checked when validated); keep it so.
                    ws.scale_hold(old, w.model.duration());
                }
            }
        }
    }
}

impl ModelSpec {
    /// Length of the workload's schedule.
    pub fn duration(&self) -> Duration {
        match self {
            ModelSpec::Open { duration, .. } => *duration,
            ModelSpec::Closed { stages, .. } => stages.total_duration(),
        }
    }

    fn set_duration(&mut self, d: Duration) {
        let old = self.duration().as_secs_f64();
        let factor = if old > 0.0 {
            d.as_secs_f64() / old
        } else {
            1.0
        };
        match self {
            ModelSpec::Open { duration, rate, .. } => {
                *duration = d;
                if let Pattern::Stages { stages, .. } = rate {
                    for (sd, _) in stages {
                        *sd *= factor;
                    }
                }
            }
            ModelSpec::Closed { stages, .. } => {
                for (sd, _) in &mut stages.stages {
                    *sd = sd.mul_f64(factor);
                }
            }
        }
    }
}
