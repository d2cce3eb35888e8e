//! A plan: the workloads to run, each a workload model plus a session factory.

use crate::custom::{CustomInfo, CustomKind, CustomMetric};
use crate::driver::{Driver, FactoryDriver};
use crate::metrics::Metrics;
use crate::model::Model;
use crate::report::StepInfo;
use crate::session::SessionFactory;
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

    /// Per workload whose iteration duration is one step's latency: (workload, the step's
    /// global index).
    pub fn iterations_as_steps(&self) -> Vec<(usize, usize)> {
        let bases = self.step_bases();
        self.workloads
            .iter()
            .enumerate()
            .filter_map(|(w, wl)| wl.iteration_as_step.map(|s| (w, bases[w] + s)))
            .collect()
    }

    /// Empty metrics shaped like this plan's.
    pub fn empty_metrics(&self) -> Metrics {
        let kinds: Vec<CustomKind> = self
            .workloads
            .iter()
            .flat_map(|w| w.custom.iter().map(|m| m.kind))
            .collect();
        let mut m = Metrics::shaped(self.steps().len(), self.workloads.len(), &kinds);
        let mut base = 0;
        for w in &self.workloads {
            for &(step, status) in &w.status_latency {
                if let Some(s) = m.steps.get_mut(base + step) {
                    s.track_status_latency(status);
                }
            }
            base += w.steps.len();
        }
        m
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
    /// `(step, status)` pairs whose answers' latency is kept apart (see
    /// [`Workload::with_status_latency`]).
    pub status_latency: Vec<(usize, u16)>,
    /// Open or closed.
    pub model: Model,
    /// Metrics this workload's sessions record beyond the per-step ones.
    pub custom: Vec<CustomMetric>,
    /// The step whose latency is the iteration's duration, when the session promised it
    /// ([`Self::with_iteration_as_step`]).
    pub iteration_as_step: Option<usize>,
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
            iteration_as_step: None,
            status_latency: Vec::new(),
            driver: Arc::new(FactoryDriver(factory)),
        }
    }

    /// Declares the custom metrics this workload's sessions record; a session refers to
    /// each by its index in `custom` ([`crate::Iteration::count`] and friends).
    pub fn with_custom(mut self, custom: Vec<CustomMetric>) -> Self {
        self.custom = custom;
        self
    }

    /// The session's promise that every iteration records step `step` at most once, from the
    /// iteration's intended start, and records nothing else: the step's latency then *is*
    /// the iteration's duration, so the engine derives `iteration_duration` from the step's
    /// histograms once per interval instead of recording the same value twice per request.
    pub fn with_iteration_as_step(mut self, step: usize) -> Self {
        debug_assert!(step < self.steps.len());
        self.iteration_as_step = Some(step);
        self
    }

    /// Keeps the latency of step `step`'s answers with HTTP `status` apart (a threshold
    /// `latency{status=N}` judges it); other statuses keep none.
    pub fn with_status_latency(mut self, step: usize, status: u16) -> Self {
        if !self.status_latency.contains(&(step, status)) {
            self.status_latency.push((step, status));
        }
        self
    }

    /// Starts the workload `start` after the run begins.
    pub fn starting_at(mut self, start: Duration) -> Self {
        self.start = start;
        self
    }
}
