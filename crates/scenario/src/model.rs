//! The validated scenario: every unit parsed, every cross-reference checked. The CLI and the
//! plan builder read only these types.

use crate::payload::PaymentGenerator;
use crate::threshold::Threshold;
use loadgen_engine::CustomMetric;
use std::time::Duration;

pub use crate::http_defaults::{HttpDefaults, HttpVersionSpec, ProxySpec, TlsAuth};
pub use crate::protocol::http::{
    BodySpec, CaptureFrom, CaptureSpec, ExpectSpec, HttpStepSpec, HttpWorkload, StepSpec,
};
pub use crate::protocol::ProtocolSpec;
pub use crate::schedule::ModelSpec;

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
    /// `[[setup]]`: HTTP steps run once before the load ([`crate::run_setup`]).
    pub setup: Option<crate::protocol::http::HttpWorkload>,
    /// What the setup captured, once it ran: `{{setup.NAME}}`'s values.
    pub setup_values: Vec<(String, Vec<u8>)>,
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
    /// Latency model, parsed from the demo target's syntax (`lognormal:median=5ms,p99=50ms`)
    /// during validation, so a mistake in it has its line and column.
    pub latency: loadgen_demo::LatencyModel,
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
    /// Whether API requests need a token (`auth = "required"`) and how long one lives.
    pub auth: loadgen_demo::AuthPolicy,
}

impl Default for EmbeddedSpec {
    fn default() -> Self {
        EmbeddedSpec {
            latency: loadgen_demo::LatencyModel::None,
            error_rate: 0.0,
            seed: 1,
            threads: 1,
            webhook_secret: None,
            callback_delay: None,
            auth: loadgen_demo::AuthPolicy::default(),
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
    /// What its sessions speak, with that protocol's steps: the arm is decided by the
    /// file (`http = {…}` steps, `webhook`/`callback` steps, or a `[workload.ws]` table).
    pub protocol: ProtocolSpec,
    /// HTTP only: every iteration opens its own connection ("every arrival is a new user").
    pub new_connection_per_iteration: bool,
}

/// Most connections a workload may hold at once (one per VU).
pub fn max_connections(w: &WorkloadSpec) -> u64 {
    w.model.max_vus()
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
        self.protocol.custom_metrics()
    }

    /// The step names its results are kept under, in the engine's order.
    pub fn step_names(&self) -> Vec<String> {
        self.protocol.step_names()
    }
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
                w.protocol.rescale(old, w.model.duration());
            }
        }
    }
}
