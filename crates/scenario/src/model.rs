//! The validated scenario: every unit parsed, every name checked, every default filled in.
//! Nothing here is a string still to be interpreted (names, paths, header values and bodies
//! stay strings: they are data for the protocol, `{{...}}` template variables included).

use crate::threshold::Threshold;
use loadgen_engine::{ConstantRate, RateFn, RateStage, RateStages, Spacing, ThinkTime, VuStages};
use std::sync::Arc;
use std::time::Duration;

/// A scenario ready to be turned into an engine plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (non-empty; safe in a file name: no `/`, `\`).
    pub name: String,
    /// Free text, if given.
    pub description: Option<String>,
    /// The system under test.
    pub target: Target,
    /// The planned length of the run: the latest end (`start + duration`) of any workload.
    /// The graceful stop comes on top.
    pub duration: Duration,
    /// Seed for every random choice (default 1).
    pub seed: u64,
    /// How long in-flight iterations may finish at the end (default 5 s).
    pub graceful_stop: Duration,
    /// Defaults for every http step.
    pub http: HttpDefaults,
    /// At least one; names unique.
    pub workloads: Vec<WorkloadSpec>,
    /// In file order; every filter names an existing workload or step.
    pub thresholds: Vec<Threshold>,
}

/// Where the traffic goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Start the embedded demo target on loopback and aim at it.
    Embedded,
    /// An `http://` or `https://` base URL, without a trailing `/`.
    Url(String),
}

impl Target {
    /// Reads `embedded` or an `http(s)://host...` URL (a trailing `/` is dropped).
    pub fn parse(s: &str) -> Result<Target, String> {
        if s == "embedded" {
            return Ok(Target::Embedded);
        }
        let rest = s
            .strip_prefix("http://")
            .or_else(|| s.strip_prefix("https://"));
        match rest {
            Some(r) if !r.is_empty() && !r.starts_with('/') && !s.contains(char::is_whitespace) => {
                Ok(Target::Url(s.trim_end_matches('/').to_string()))
            }
            _ => Err(format!(
                "target must be \"embedded\" or an http:// or https:// URL, not {s:?}"
            )),
        }
    }
}

/// HTTP protocol version for every step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.1 (the default).
    #[default]
    Http1,
    /// HTTP/2 (h2c on `http://`, ALPN on `https://`).
    Http2,
}

/// `[http]`: settings shared by every http step.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpDefaults {
    /// HTTP/1.1 or HTTP/2 (default HTTP/1.1).
    pub version: HttpVersion,
    /// Accept any TLS certificate (default false).
    pub insecure: bool,
    /// Limit on opening a connection, TLS included (default 5 s).
    pub connect_timeout: Duration,
    /// Limit on one whole request (default 10 s).
    pub timeout: Duration,
    /// Sent with every request, before the step's own headers; in file order.
    pub headers: Vec<(String, String)>,
}

impl Default for HttpDefaults {
    fn default() -> Self {
        HttpDefaults {
            version: HttpVersion::Http1,
            insecure: false,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
        }
    }
}

/// One workload: its schedule and the steps each iteration runs.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    /// Unique among the scenario's workloads.
    pub name: String,
    /// Offset from the start of the run.
    pub start: Duration,
    /// Open or closed, with its parameters.
    pub model: ModelSpec,
    /// At least one; names unique within the workload.
    pub steps: Vec<StepSpec>,
}

impl WorkloadSpec {
    /// When the workload's schedule ends, from the start of the run.
    pub fn end(&self) -> Duration {
        self.start + self.model.duration()
    }

    /// The step names, in order (what `loadgen_engine::Workload::new` takes).
    pub fn step_names(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.name.clone()).collect()
    }
}

/// The workload model with its parameters, in engine types.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// Arrival rate.
    Open {
        /// λ(t).
        rate: RateSpec,
        /// How long arrivals are scheduled (for stages: their sum).
        duration: Duration,
        /// Uniform or Poisson spacing.
        arrivals: Spacing,
        /// Upper bound on the VU pool (≥ 1).
        max_vus: u64,
        /// VUs created up front (≤ `max_vus`).
        pre_allocated_vus: u64,
    },
    /// Concurrency.
    Closed {
        /// VUs over time (a constant count is one stage from and to that count).
        stages: VuStages,
        /// Pause after each iteration.
        think: ThinkTime,
        /// Iterations per VU, if limited (≥ 1).
        iterations: Option<u64>,
    },
}

impl ModelSpec {
    /// How long the schedule lasts.
    pub fn duration(&self) -> Duration {
        match self {
            ModelSpec::Open { duration, .. } => *duration,
            ModelSpec::Closed { stages, .. } => stages.total_duration(),
        }
    }
}

/// An open workload's arrival rate, in arrivals per second.
#[derive(Debug, Clone, PartialEq)]
pub enum RateSpec {
    /// The same rate throughout.
    Constant(f64),
    /// From `start`, linear ramps of `(duration, target)`; the last target holds after.
    Stages {
        /// Rate at t = 0.
        start: f64,
        /// `(duration, target rate)` ramps, at least one.
        stages: Vec<(Duration, f64)>,
    },
}

impl RateSpec {
    /// The engine's rate function for this rate.
    pub fn rate_fn(&self) -> Arc<dyn RateFn> {
        match self {
            RateSpec::Constant(r) => Arc::new(ConstantRate(*r)),
            RateSpec::Stages { start, stages } => Arc::new(RateStages {
                start: *start,
                stages: stages
                    .iter()
                    .map(|&(duration, target)| RateStage { duration, target })
                    .collect(),
            }),
        }
    }
}

/// One step of an iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// Unique within the workload.
    pub name: String,
    /// The request.
    pub http: HttpStepSpec,
    /// What a correct answer looks like.
    pub expect: ExpectSpec,
}

/// The request a step sends.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpStepSpec {
    /// Upper-case standard method (`GET`, `POST`, ...).
    pub method: String,
    /// Starts with `/`; may hold `{{...}}` template variables.
    pub path: String,
    /// The step's own headers (names are valid tokens, values single-line), in file order.
    pub headers: Vec<(String, String)>,
    /// `json = {...}` or `body = "..."`, if any.
    pub body: Option<BodySpec>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum BodySpec {
    /// Sent as JSON (`content-type: application/json`); strings may hold `{{...}}`.
    Json(serde_json::Value),
    /// Sent as written.
    Text(String),
}

/// Checks on the answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectSpec {
    /// Statuses that count as success; empty means any 2xx.
    pub status: Vec<u16>,
    /// Statuses that count as an expected failure (the target rightly refused a request
    /// built to fail); disjoint from `status`.
    pub expected_failure_status: Vec<u16>,
    /// The body must contain this text.
    pub body_contains: Option<String>,
    /// `(path, value)`: the JSON body's field at the dotted `path` (`a.b.0.c`, digits index
    /// arrays) must equal `value`; in file order.
    pub json: Vec<(String, serde_json::Value)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(Target::parse("embedded"), Ok(Target::Embedded));
        assert_eq!(
            Target::parse("https://api.example.com/v1/"),
            Ok(Target::Url("https://api.example.com/v1".into()))
        );
        assert_eq!(
            Target::parse("http://127.0.0.1:8080"),
            Ok(Target::Url("http://127.0.0.1:8080".into()))
        );
        for bad in [
            "",
            "Embedded",
            "ftp://x",
            "http://",
            "https:///x",
            "http://a b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_and_rate_functions() {
        let open = ModelSpec::Open {
            rate: RateSpec::Stages {
                start: 0.0,
                stages: vec![(Duration::from_secs(10), 100.0)],
            },
            duration: Duration::from_secs(10),
            arrivals: Spacing::Uniform,
            max_vus: 1,
            pre_allocated_vus: 1,
        };
        assert_eq!(open.duration(), Duration::from_secs(10));
        if let ModelSpec::Open { rate, .. } = &open {
            assert!((rate.rate_fn().rate_at(5.0) - 50.0).abs() < 1e-9);
        }
        let closed = ModelSpec::Closed {
            stages: VuStages::constant(3, Duration::from_secs(7)),
            think: ThinkTime::None,
            iterations: None,
        };
        assert_eq!(closed.duration(), Duration::from_secs(7));
        assert_eq!(RateSpec::Constant(4.0).rate_fn().rate_at(99.0), 4.0);
    }
}
