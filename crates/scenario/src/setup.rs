//! The run-level `[[setup]]`: HTTP steps sent once, in order, before any load (log in as an
//! admin, create the merchant every VU pays), whose captures every step of every workload
//! reads as `{{setup.NAME}}`.
//!
//! It is checked like a workload's steps (`validate`), but a setup step runs once: `scope`,
//! `when`, `probability` and `repeat_for` are refused. `loadgen run` and each worker of a
//! distributed run (once per segment) call [`run_setup`] before building the plan; `validate`
//! and `plan` never send it. If a step fails, no load starts.

use crate::check::{Checker, S};
use crate::model::Scenario;
use crate::protocol::http::HttpWorkload;
use crate::protocol::raw::RawStep;
use crate::protocol::{BuildContext, BuildError};
use loadgen_engine::{SessionFactory, ThinkTime, VuInfo, VuStages};
use loadgen_schedule::ModelSpec;
use std::collections::HashSet;
use std::time::Duration;

/// Why the setup did not complete (the run does not start).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The setup's requests could not be built (a template the HTTP layer refuses).
    #[error("the setup could not be built")]
    Build(#[source] BuildError),
    /// A step failed.
    #[error(transparent)]
    Step(loadgen_http::OnceFailure),
    /// A captured value holds a control character, so it cannot go into a header.
    #[error("setup capture `{0}` holds a control character (it could end a header line)")]
    Control(String),
    /// The thread running the setup could not start or died.
    #[error("the setup's thread: {0}")]
    Thread(String),
}

/// The `[[setup]]` steps checked (`None` without any), every problem under `setup[j]`.
pub(crate) fn validate(
    c: &mut Checker<'_>,
    raw: &[S<RawStep>],
    payloads: &[String],
) -> Option<HttpWorkload> {
    if raw.is_empty() {
        return None;
    }
    let mut names = HashSet::new();
    let mut steps = Vec::new();
    for (j, s) in raw.iter().enumerate() {
        let s = s.get_ref();
        let field = format!("setup[{j}]");
        if !names.insert(s.name.get_ref().clone()) {
            c.at(
                &s.name,
                format!("{field}.name"),
                format!("duplicate setup step name `{}`", s.name.get_ref()),
            );
        }
        let once = "a setup step runs once, before the load";
        if let Some(v) = &s.scope {
            c.at(v, format!("{field}.scope"), once);
        }
        if let Some(v) = &s.when {
            c.at(v, format!("{field}.when"), once);
        }
        if let Some(v) = &s.probability {
            c.at(v, format!("{field}.probability"), once);
        }
        if let Some(v) = &s.repeat_for {
            c.at(v, format!("{field}.repeat_for"), once);
        }
        steps.extend(crate::protocol::http::validate::step(
            c, s, &field, payloads,
        ));
    }
    Some(HttpWorkload { steps })
}

/// Runs the scenario's `[[setup]]` against `base_url` (once, by one session, on a thread of
/// its own) and keeps its captures in `sc.setup_values` for the plan. Does nothing without
/// a setup.
pub fn run_setup(sc: &mut Scenario, base_url: &str) -> Result<(), SetupError> {
    let Some(setup) = &sc.setup else {
        return Ok(());
    };
    let schedule = ModelSpec::Closed {
        stages: VuStages::constant(1, Duration::from_secs(1)),
        think: ThinkTime::None,
        iterations: Some(1),
    };
    let ctx = BuildContext {
        workload: "setup",
        start: Duration::ZERO,
        schedule: &schedule,
        model: crate::build::engine_model(&schedule),
        new_connection_per_iteration: false,
        base_url,
        http: &sc.http,
        payloads: &sc.payloads,
        feeders: &sc.feeders,
        seed: sc.seed,
        setup: &[],
    };
    let factory = crate::protocol::http::build::factory(setup, &ctx).map_err(SetupError::Build)?;
    let seed = sc.seed;
    // A thread of its own: the caller may be inside a runtime (a worker) or not (`run`).
    let values = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SetupError::Thread(e.to_string()))?;
        let local = tokio::task::LocalSet::new();
        let mut session = factory.session(VuInfo {
            id: 0,
            workload: 0,
            seed,
            paced_reads: false,
        });
        local
            .block_on(&rt, session.run_once())
            .map_err(SetupError::Step)
    })
    .join()
    .map_err(|_| SetupError::Thread("panicked".into()))??;
    if let Some((name, _)) = values
        .iter()
        .find(|(_, v)| loadgen_http::escaped(loadgen_http::Place::Header, v).is_none())
    {
        return Err(SetupError::Control(name.clone()));
    }
    sc.setup_values = values;
    Ok(())
}
