//! Validated scenario → engine [`Plan`]: each workload's schedule becomes an engine model
//! and its protocol slice builds the sessions (`ProtocolSpec::build`).

use crate::model::{ModelSpec, Scenario, WorkloadSpec};
use crate::protocol::{BuildContext, BuildError};
use crate::MetricKind;
use loadgen_engine::{ClosedModel, Model, OpenModel, Plan, Workload};
use std::sync::Arc;

/// Builds the plan for `scenario` against `base_url` (the resolved target).
pub fn build_plan(scenario: &Scenario, base_url: &str) -> Result<Plan, BuildError> {
    let workloads = scenario
        .workloads
        .iter()
        .map(|w| build_workload(scenario, w, base_url))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        name: scenario.name.clone(),
        seed: scenario.seed,
        workloads,
    })
}

/// Runs what each workload needs once before the load (a database's `setup` SQL), in
/// workload order. `loadgen run` and a worker call it before their run; `validate` and
/// `plan` never do.
pub fn prepare(scenario: &Scenario) -> Result<(), BuildError> {
    for w in &scenario.workloads {
        w.protocol.prepare(&w.name, &scenario.http)?;
    }
    Ok(())
}

fn build_workload(sc: &Scenario, w: &WorkloadSpec, base_url: &str) -> Result<Workload, BuildError> {
    let ctx = BuildContext {
        workload: &w.name,
        start: w.start,
        schedule: &w.model,
        model: engine_model(&w.model),
        new_connection_per_iteration: w.new_connection_per_iteration,
        base_url,
        http: &sc.http,
        payloads: &sc.payloads,
        feeders: &sc.feeders,
        seed: sc.seed,
        setup: &sc.setup_values,
    };
    let mut built = w.protocol.build(&ctx)?;
    // `latency{status=N}`: the steps a threshold selects keep that status's latency apart
    // (only those statuses: the memory is the scenario's, not the target's).
    for t in &sc.thresholds {
        let Some(status) = t.filter.status.filter(|_| t.metric == MetricKind::Latency) else {
            continue;
        };
        if t.filter.workload.as_ref().is_some_and(|n| *n != w.name) {
            continue;
        }
        let steps: Vec<usize> = (0..built.steps.len())
            .filter(|&i| t.filter.step.as_ref().is_none_or(|n| *n == built.steps[i]))
            .collect();
        for i in steps {
            built = built.with_status_latency(i, status);
        }
    }
    Ok(built)
}

pub(crate) fn engine_model(m: &ModelSpec) -> Model {
    match m {
        ModelSpec::Open {
            rate,
            duration,
            arrivals,
            max_vus,
            pre_allocated_vus,
            backlog,
            vu_order,
        } => Model::Open(OpenModel {
            rate: Arc::new(rate.clone()),
            duration: *duration,
            spacing: *arrivals,
            max_vus: *max_vus,
            pre_allocated_vus: *pre_allocated_vus,
            backlog: *backlog,
            vu_order: *vu_order,
        }),
        ModelSpec::Closed {
            stages,
            think,
            iterations,
        } => Model::Closed(ClosedModel {
            stages: stages.clone(),
            think: *think,
            iterations: *iterations,
        }),
    }
}
