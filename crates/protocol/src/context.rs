//! What every protocol slice gets to build its engine workload, and the one error type it
//! reports with. A slice sees the scenario-wide settings it may need (`[http]`, payloads,
//! feeders, the seed), its workload's name and schedule, and nothing of the other slices.

use crate::http_defaults::HttpDefaults;
use loadgen_engine::{CustomMetric, Model, SessionFactory, Workload};
use loadgen_payload::feeder::Feeder;
use loadgen_payload::payload::PaymentGenerator;
use loadgen_schedule::schedule::ModelSpec;
use std::sync::Arc;
use std::time::Duration;

/// One workload's build inputs.
pub struct BuildContext<'a> {
    /// The workload's name.
    pub workload: &'a str,
    /// Its offset from the run's start.
    pub start: Duration,
    /// Its schedule as validated (a VU ceiling sizes per-VU state such as feeder rows).
    pub schedule: &'a ModelSpec,
    /// The same schedule for the engine.
    pub model: Model,
    /// HTTP only: every iteration opens its own connection.
    pub new_connection_per_iteration: bool,
    /// The resolved target (`http://…`, `ws://…`).
    pub base_url: &'a str,
    /// `[http]`: TLS, proxy, hosts, timeouts and headers.
    pub http: &'a HttpDefaults,
    /// `[payload.NAME]` generators, indexed as validated.
    pub payloads: &'a [PaymentGenerator],
    /// `[feeder.NAME]` data.
    pub feeders: &'a [Arc<Feeder>],
    /// The scenario's seed.
    pub seed: u64,
    /// What the run-level `[[setup]]` captured, read as `{{setup.NAME}}` (empty before it
    /// ran: `validate` and `plan` build with a stand-in value).
    pub setup: &'a [(String, Vec<u8>)],
}

impl BuildContext<'_> {
    /// The engine workload running `factory`'s sessions, recording `steps` and `custom`.
    pub fn workload<F: SessionFactory>(
        &self,
        steps: Vec<String>,
        factory: F,
        custom: Vec<CustomMetric>,
    ) -> Workload {
        Workload::new(self.workload, steps, self.model.clone(), factory)
            .starting_at(self.start)
            .with_custom(custom)
    }
}

/// Why a validated scenario could not become a plan (a URL or template the protocol layer
/// rejects).
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
    Webhook(super::webhook::spec::WebhookBuildError),
    /// The WebSocket layer rejected a workload (URL, host, TLS, header).
    #[error("workload `{workload}`")]
    Ws {
        /// Workload name.
        workload: String,
        /// What was wrong.
        #[source]
        source: loadgen_ws::WsError,
    },
    /// Another protocol's layer (a crate implementing `SessionFactory`) rejected a workload.
    #[error("workload `{workload}`")]
    Protocol {
        /// Workload name.
        workload: String,
        /// What was wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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
