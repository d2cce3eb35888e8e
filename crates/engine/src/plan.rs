//! A plan: the workloads to run, each a workload model plus a session factory.

use crate::arrival::Spacing;
use crate::closed::VuStages;
use crate::custom::{CustomInfo, CustomKind, CustomMetric};
use crate::metrics::Metrics;
use crate::rate::RateFn;
use crate::report::StepInfo;
use crate::session::SessionFactory;
use crate::shard::{Driver, FactoryDriver};
use std::sync::Arc;
use std::time::Duration;

/// Everything the engine needs to run; built by the scenario crate (or by hand in tests).
#[derive(Clone)]
pub struct Plan {
    /// Name shown in reports.
    pub name: String,
    /// Seed for every random choice the engine makes (Poisson gaps, think times, VU seeds).
    pub seed: u64,
    /// The workloads, run side by side.
    pub workloads: Vec<Workload>,
}

impl Plan {
    /// Every step of every workload, in global step order (metrics are indexed by this).
    pub fn steps(&self) -> Vec<StepInfo> {
        self.workloads
            .iter()
            .enumerate()
            .flat_map(|(wi, w)| {
                w.steps.iter().map(move |s| StepInfo {
                    workload: wi,
                    workload_name: w.name.clone(),
                    name: s.clone(),
                })
            })
            .collect()
    }

    /// Global index of each workload's first step.
    pub fn step_bases(&self) -> Vec<usize> {
        let mut base = 0;
        self.workloads
            .iter()
            .map(|w| {
                let b = base;
                base += w.steps.len();
                b
            })
            .collect()
    }

    /// Every custom metric of every workload, in global custom order (metrics are indexed
    /// by this).
    pub fn custom_metrics(&self) -> Vec<CustomInfo> {
        self.workloads
            .iter()
            .enumerate()
            .flat_map(|(wi, w)| {
                w.custom.iter().map(move |m| CustomInfo {
                    workload: wi,
                    workload_name: w.name.clone(),
                    metric: m.clone(),
                })
            })
            .collect()
    }

    /// Global index of each workload's first custom metric.
    pub fn custom_bases(&self) -> Vec<usize> {
        let mut base = 0;
        self.workloads
            .iter()
            .map(|w| {
                let b = base;
                base += w.custom.len();
                b
            })
            .collect()
    }

    /// Empty metrics shaped like this plan's.
    pub fn empty_metrics(&self) -> Metrics {
        let kinds: Vec<CustomKind> = self
            .workloads
            .iter()
            .flat_map(|w| w.custom.iter().map(|m| m.kind))
            .collect();
        Metrics::shaped(self.steps().len(), self.workloads.len(), &kinds)
    }

    /// When the last workload's schedule ends (not counting the graceful stop).
    pub fn duration(&self) -> Duration {
        self.workloads
            .iter()
            .map(|w| w.start + w.model.duration())
            .max()
            .unwrap_or_default()
    }
}

/// One workload: a name, its steps, when it starts, how it schedules VUs, and what VUs do.
#[derive(Clone)]
pub struct Workload {
    /// Name shown in reports.
    pub name: String,
    /// Step names, in the order the session reports them (`StepSample::step`).
    pub steps: Vec<String>,
    /// Offset from the start of the run.
    pub start: Duration,
    /// Open or closed.
    pub model: Model,
    /// Metrics this workload's sessions record beyond the per-step ones.
    pub custom: Vec<CustomMetric>,
    pub(crate) driver: Arc<dyn Driver>,
}

impl Workload {
    /// A workload whose VUs run sessions made by `factory`.
    pub fn new<F: SessionFactory>(
        name: impl Into<String>,
        steps: Vec<String>,
        model: Model,
        factory: F,
    ) -> Self {
        Workload {
            name: name.into(),
            steps,
            start: Duration::ZERO,
            model,
            custom: Vec::new(),
            driver: Arc::new(FactoryDriver(factory)),
        }
    }

    /// Declares the custom metrics this workload's sessions record; a session refers to
    /// each by its index in `custom` ([`crate::Iteration::count`] and friends).
    pub fn with_custom(mut self, custom: Vec<CustomMetric>) -> Self {
        self.custom = custom;
        self
    }

    /// Starts the workload `start` after the run begins.
    pub fn starting_at(mut self, start: Duration) -> Self {
        self.start = start;
        self
    }
}

/// How VUs are scheduled.
#[derive(Clone)]
pub enum Model {
    /// Arrival rate: iterations start on a schedule, never waiting for answers.
    Open(OpenModel),
    /// Concurrency: a number of VUs, each looping iteration → think time.
    Closed(ClosedModel),
}

impl Model {
    /// How long the schedule lasts.
    pub fn duration(&self) -> Duration {
        match self {
            Model::Open(o) => o.duration,
            Model::Closed(c) => c.stages.total_duration(),
        }
    }
}

/// The open (arrival-rate) model.
#[derive(Clone)]
pub struct OpenModel {
    /// Arrivals per second over the workload's clock.
    pub rate: Arc<dyn RateFn>,
    /// How long arrivals are scheduled.
    pub duration: Duration,
    /// Uniform or Poisson spacing.
    pub spacing: Spacing,
    /// The VU pool never grows beyond this.
    pub max_vus: u64,
    /// VUs created before the first arrival.
    pub pre_allocated_vus: u64,
    /// Arrivals that may wait, oldest first, for a VU when the pool is full and busy; an
    /// arrival beyond them is dropped. A waiting arrival keeps its intended start, so the
    /// wait shows in its latency (not in schedule lag). Zero drops at once (k6's rule).
    pub backlog: u64,
    /// Which idle VU an arrival takes.
    pub vu_order: VuOrder,
}

/// Which idle VU (and so which connection) an open-model arrival takes.
///
/// `Fifo` takes the VU idle longest: traffic spreads over every connection in turn, as that
/// many users would send it, and each connection rests between requests. `Lifo` takes the
/// VU idle shortest: a few connections stay hot and the rest sit idle, which at low rates
/// makes "20 users" behave like 2–4 connections (against a server that writes headers and
/// body apart with Nagle on, those hot connections hit the 40 ms delayed-ACK stall;
/// docs/scenarios.md has the measurement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VuOrder {
    /// The VU idle longest (round robin over the pool).
    #[default]
    Fifo,
    /// The VU idle shortest.
    Lifo,
}

/// The closed (concurrency) model.
#[derive(Clone, Debug)]
pub struct ClosedModel {
    /// How many VUs are active over time.
    pub stages: VuStages,
    /// Pause after each iteration.
    pub think: ThinkTime,
    /// Stop each VU after this many iterations.
    pub iterations: Option<u64>,
}

/// Pause a closed-model VU takes after each iteration.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum ThinkTime {
    /// Start the next iteration at once.
    #[default]
    None,
    /// Always the same pause.
    Fixed(Duration),
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// Exponentially distributed with this mean (a Poisson user).
    Exponential(Duration),
}

impl ThinkTime {
    /// Draws one pause.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> Duration {
        use rand_distr::{Distribution, Exp1};
        match *self {
            ThinkTime::None => Duration::ZERO,
            ThinkTime::Fixed(d) => d,
            ThinkTime::Uniform(a, b) if b > a => a + (b - a).mul_f64(rng.random::<f64>()),
            ThinkTime::Uniform(a, _) => a,
            ThinkTime::Exponential(mean) => {
                let x: f64 = Exp1.sample(rng);
                mean.mul_f64(x.min(50.0))
            }
        }
    }
}
