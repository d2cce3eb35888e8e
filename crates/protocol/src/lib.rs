//! loadgen-protocol: one slice per protocol: what a workload's sessions speak, decided by the
//! file, and everything that depends on it; the raw workload and step tables that hold every
//! protocol's keys (`raw`, `known_tables`) and the HTTP settings every slice's client shares
//! (`http_defaults`).
//!
//! [`ProtocolSpec`] has one arm per protocol. Each arm's module owns its grammar (`raw`),
//! its checks (`validate`) and the engine workload it builds (`build`, a
//! `loadgen_engine::SessionFactory`), and the arm answers the questions the rest of the
//! program asks about any workload: its step names and custom metrics, the network
//! destinations it dials (a worker's allow-list), where a step can capture values from an
//! answer (journeys), and how many requests one iteration sends (a worker's rate ceiling).
//!
//! Which arm a workload is comes from the keys its file uses (`validate.rs`): a
//! `[workload.ws]` table is a WebSocket workload; otherwise each step names its protocol by
//! its key (`http = {…}`, `webhook = {…}` / `callback = {…}`), and a workload's steps share
//! one. The slices import only the leaves (`loadgen-grammar`, `loadgen-payload`,
//! `loadgen-schedule` and `http_defaults`). This crate must not know the scenario model, the
//! file's other tables (thresholds, settings, embedded target) or a run's results: those are
//! `loadgen-scenario`'s and `loadgen-report`'s.
//!
//! Adding a protocol: see "Adding a protocol" in `docs/architecture.md`.

#![forbid(unsafe_code)]

pub mod context;
pub mod http;
pub mod http_defaults;
pub mod known_tables;
pub mod pg;
pub mod raw;
pub mod redis;
pub mod validate;
pub mod webhook;
pub mod ws;

pub use context::{BuildContext, BuildError};

use loadgen_engine::{CustomMetric, Workload};
use std::time::Duration;

/// What a workload's sessions speak, with that protocol's validated steps or script.
#[derive(Debug, Clone)]
pub enum ProtocolSpec {
    /// `http = {…}` steps.
    Http(http::HttpWorkload),
    /// `webhook = {…}` deliveries and `callback = {…}` steps.
    Webhook(webhook::WebhookWorkload),
    /// A `[workload.ws]` table: one connection's life per iteration.
    WebSocket(Box<ws::WsSpec>),
    /// `redis = {…}` steps and their `[workload.redis]` connection.
    Redis(Box<redis::RedisWorkload>),
    /// `sql = {…}` / `transaction = […]` steps against `[workload.postgres]`.
    Postgres(Box<pg::PgWorkload>),
}

impl ProtocolSpec {
    /// The protocol's name in messages (`http`, `webhook`, `ws`).
    pub fn name(&self) -> &'static str {
        match self {
            ProtocolSpec::Http(_) => "http",
            ProtocolSpec::Webhook(_) => "webhook",
            ProtocolSpec::WebSocket(_) => "ws",
            ProtocolSpec::Redis(_) => "redis",
            ProtocolSpec::Postgres(_) => "postgres",
        }
    }

    /// The step names results are kept under, in the engine's order.
    pub fn step_names(&self) -> Vec<String> {
        match self {
            ProtocolSpec::Http(h) => h.step_names(),
            ProtocolSpec::Webhook(w) => w.steps.iter().map(|s| s.name.clone()).collect(),
            ProtocolSpec::WebSocket(_) => loadgen_ws::metrics::STEPS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ProtocolSpec::Redis(r) => r.steps.iter().map(|s| s.name.clone()).collect(),
            ProtocolSpec::Postgres(p) => p.steps.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// True when `step` names one of this workload's steps.
    pub fn has_step(&self, step: &str) -> bool {
        match self {
            ProtocolSpec::WebSocket(_) => ws::is_step(step),
            _ => self.step_names().iter().any(|s| s == step),
        }
    }

    /// The custom metrics the sessions record, in the order they record them.
    pub fn custom_metrics(&self) -> Vec<CustomMetric> {
        match self {
            ProtocolSpec::Http(h) => http::capture::custom_metrics(h),
            ProtocolSpec::Webhook(w) => w.custom_metrics(),
            ProtocolSpec::WebSocket(_) => loadgen_ws::custom_metrics(),
            ProtocolSpec::Redis(_) => loadgen_redis::metrics::custom_metrics(),
            ProtocolSpec::Postgres(p) => p.custom_metrics(),
        }
    }

    /// Every URL the workload dials when run against `base_url`, with what goes there.
    ///
    /// The HTTP and webhook clients do not follow redirects and steps carry only paths
    /// (checked to start with `/`), so their one destination is the base URL. A WebSocket
    /// workload reaches the base URL for a path, or its own `ws://`/`wss://` URL. A callback
    /// step's sink listens on 127.0.0.1 for the target to call; nothing is dialled for it.
    pub fn destinations(&self, base_url: &str) -> Vec<(&'static str, String)> {
        match self {
            ProtocolSpec::Http(_) => vec![("HTTP requests", base_url.to_string())],
            ProtocolSpec::Webhook(_) => vec![(
                "webhook deliveries and callback requests",
                base_url.to_string(),
            )],
            ProtocolSpec::WebSocket(ws) if ws.url.starts_with('/') => {
                vec![("WebSocket connections", base_url.to_string())]
            }
            ProtocolSpec::WebSocket(ws) => vec![("WebSocket connections", ws.url.clone())],
            // The workload's own server, whatever the target: host and port, no password.
            ProtocolSpec::Redis(r) => vec![("Redis connections", r.destination())],
            // The URL as printed: host and port, never the password.
            ProtocolSpec::Postgres(p) => vec![("PostgreSQL connections", p.url.to_string())],
        }
    }

    /// Where a step can capture values from an answer: the source keys a `capture = {…}`
    /// entry may use (empty: this protocol's steps do not capture).
    pub fn capture_from(&self) -> &'static [&'static str] {
        match self {
            ProtocolSpec::Http(_) => &http::CAPTURE_FROM,
            ProtocolSpec::Postgres(_) => &pg::CAPTURE_FROM,
            ProtocolSpec::Webhook(_) | ProtocolSpec::WebSocket(_) | ProtocolSpec::Redis(_) => &[],
        }
    }

    /// Requests one iteration sends at most (a worker's `--max-rate` bound): one per HTTP
    /// step and each redirect it may follow (its own `follow_redirects`, else `http`'s), one
    /// per webhook or callback step plus its retries, one connection per WebSocket iteration
    /// (messages inside a connection are not requests to this count).
    pub fn requests_per_iteration(&self, http: &crate::http_defaults::HttpDefaults) -> u64 {
        match self {
            ProtocolSpec::Http(h) => h.requests_per_iteration(http.follow_redirects),
            ProtocolSpec::Webhook(w) => w.requests_per_iteration(),
            ProtocolSpec::WebSocket(_) => 1,
            // Every command counts, those inside a pipeline too.
            ProtocolSpec::Redis(r) => r.commands_per_iteration().max(1),
            // One statement or one transaction per step.
            ProtocolSpec::Postgres(p) => p.steps.len().max(1) as u64,
        }
    }

    /// Assumed length of one iteration when each request takes `latency` seconds: a
    /// request per step, or a WebSocket session's hold.
    pub fn iteration_secs(&self, latency: f64) -> f64 {
        match self {
            ProtocolSpec::WebSocket(ws) => ws.config.script.hold.as_secs_f64().max(latency),
            _ => latency * self.step_names().len() as f64,
        }
    }

    /// Template texts that may read `{{feeder.column}}` (a unique feeder's row count check).
    pub fn template_texts(&self) -> Vec<String> {
        match self {
            ProtocolSpec::Http(h) => h.template_texts(),
            ProtocolSpec::Webhook(w) => w.steps.iter().map(|s| s.spec.path().into()).collect(),
            ProtocolSpec::WebSocket(_) => Vec::new(),
            ProtocolSpec::Redis(r) => r.template_texts(),
            ProtocolSpec::Postgres(p) => p.template_texts(),
        }
    }

    /// The workload's schedule went from `old` to `new` long (`--duration`): keep what was
    /// checked to fit it (a WebSocket hold) fitting.
    pub fn rescale(&mut self, old: Duration, new: Duration) {
        if let ProtocolSpec::WebSocket(ws) = self {
            ws.scale_hold(old, new);
        }
    }

    /// What must happen once before the load (a database's setup SQL); nothing for most
    /// protocols. Run by `loadgen run` and each worker, never by `validate` or `plan`.
    pub fn prepare(
        &self,
        workload: &str,
        http: &crate::http_defaults::HttpDefaults,
    ) -> Result<(), BuildError> {
        match self {
            ProtocolSpec::Postgres(p) => {
                pg::setup::run(p, http).map_err(|e| BuildError::Protocol {
                    workload: workload.to_string(),
                    source: Box::new(e),
                })
            }
            _ => Ok(()),
        }
    }

    /// The engine workload.
    pub fn build(&self, ctx: &BuildContext<'_>) -> Result<Workload, BuildError> {
        match self {
            ProtocolSpec::Http(h) => http::build::build(h, ctx),
            ProtocolSpec::Webhook(w) => webhook::build::build(w, ctx).map_err(BuildError::Webhook),
            ProtocolSpec::WebSocket(ws) => ws::build::build(ws, ctx),
            ProtocolSpec::Redis(r) => redis::build::build(r, ctx),
            ProtocolSpec::Postgres(p) => pg::build::build(p, ctx),
        }
    }
}
