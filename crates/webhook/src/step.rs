//! What a webhook workload is made of: its delivery and callback steps and its connection
//! settings, as the scenario crate builds them and [`crate::WebhookFactory`] runs them.

use crate::delivery::{FaultMix, RetryPolicy};
use crate::event::EventMix;
use crate::sign::Signer;
use http::{HeaderName, HeaderValue, Method};
use loadgen_http::{BaseUrl, BodySource, Expect, HttpVersion};
use std::sync::Arc;
use std::time::Duration;

/// One signed-delivery step.
#[derive(Clone)]
pub struct DeliveryStep {
    /// Step name.
    pub name: String,
    /// Path (and query) under the base URL.
    pub path: String,
    /// Scheme and key.
    pub signer: Signer,
    /// Event types by weight.
    pub events: EventMix,
    /// Writes each event's payment object (`data.object`); `None`: a small fixed object.
    pub object: Option<Arc<dyn BodySource>>,
    /// Retries of failed deliveries.
    pub retry: RetryPolicy,
    /// Deliveries built to fail.
    pub faults: FaultMix,
    /// What a valid delivery's answer must be (status only; empty: any 2xx).
    pub expect: Expect,
    /// Extra headers on every attempt.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// One request-then-callback step.
#[derive(Clone)]
pub struct CallbackStep {
    /// Step name.
    pub name: String,
    /// Method.
    pub method: Method,
    /// Path (and query) under the base URL.
    pub path: String,
    /// JSON body written per request; `None`: a fixed body (below) or none.
    pub body: Option<Arc<dyn BodySource>>,
    /// Fixed JSON body, when no generator writes one.
    pub json: Option<String>,
    /// How long after the request is sent the callback may arrive.
    pub within: Duration,
    /// What the synchronous answer must be (status only; empty: any 2xx).
    pub expect: Expect,
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// A step of a webhook workload.
#[derive(Clone)]
pub enum StepKind {
    /// Signed deliveries.
    Delivery(Box<DeliveryStep>),
    /// Request, then wait for the callback.
    Callback(Box<CallbackStep>),
}

impl StepKind {
    /// The step's name.
    pub fn name(&self) -> &str {
        match self {
            StepKind::Delivery(d) => &d.name,
            StepKind::Callback(c) => &c.name,
        }
    }
}

/// Connection settings of a webhook workload.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    /// Where deliveries go.
    pub base: BaseUrl,
    /// HTTP/1.1 or HTTP/2 (h2c prior knowledge, or ALPN over TLS).
    pub version: HttpVersion,
    /// Trust, client identity and lowest version for `https://`.
    pub tls: loadgen_http::TlsOptions,
    /// Addresses to use instead of looking names up (the name stays the TLS name and `Host`).
    pub hosts: loadgen_http::HostOverrides,
    /// Reach the target through this HTTP proxy (`CONNECT`).
    pub proxy: Option<loadgen_http::Proxy>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-attempt timeout.
    pub request_timeout: Duration,
    /// Headers on every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Send deliveries on the pre-encoded HTTP/1.1 fast path where it applies (`false`
    /// forces hyper; `[http] fast_path`).
    pub fast_path: bool,
}
