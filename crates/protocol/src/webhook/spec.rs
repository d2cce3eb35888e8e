//! Webhook and callback steps as validated.

use loadgen_webhook::{Fault, RetryPolicy, Scheme, Secret};
use std::time::Duration;

/// A workload of `webhook = {…}` and `callback = {…}` steps (never mixed with `http` steps:
/// one session type per workload).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookWorkload {
    /// The steps, in file order.
    pub steps: Vec<WebhookStep>,
}

/// One webhook or callback step.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookStep {
    /// Unique within its workload.
    pub name: String,
    /// The delivery or callback.
    pub spec: WebhookStepSpec,
    /// `expect = { status = [...] }`: statuses that count as success (empty: any 2xx).
    pub status: Vec<u16>,
}

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

impl WebhookWorkload {
    /// The custom metrics of the workload (delivery and/or callback metrics), as
    /// `WebhookFactory::custom_metrics` lists them for the built steps.
    pub fn custom_metrics(&self) -> Vec<loadgen_engine::CustomMetric> {
        let has = |f: fn(&WebhookStepSpec) -> bool| self.steps.iter().any(|s| f(&s.spec));
        loadgen_webhook::metrics::custom_metrics(
            has(|s| matches!(s, WebhookStepSpec::Delivery(_))),
            has(|s| matches!(s, WebhookStepSpec::Callback(_))),
        )
    }

    /// Requests one iteration sends at most: one per step, plus a delivery's retries.
    pub fn requests_per_iteration(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| match &s.spec {
                WebhookStepSpec::Delivery(d) => 1 + u64::from(d.retry.max),
                WebhookStepSpec::Callback(_) => 1,
            })
            .sum::<u64>()
            .max(1)
    }
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
