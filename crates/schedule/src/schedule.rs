//! A workload's schedule as validated: open (arrival rate) or closed (VUs). Protocol
//! slices read it (a VU ceiling, a schedule length) without knowing the rest of the model.

use crate::pattern::Pattern;
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use std::time::Duration;

/// Workload model with its parameters.
#[derive(Debug, Clone)]
pub enum ModelSpec {
    /// Arrival rate.
    Open {
        /// Rate over time (a constant, ramp or traffic pattern, already scaled).
        rate: Pattern,
        /// Length of the schedule.
        duration: Duration,
        /// Uniform or Poisson.
        arrivals: Spacing,
        /// VU pool ceiling.
        max_vus: u64,
        /// VUs made before the first arrival.
        pre_allocated_vus: u64,
        /// Arrivals that may wait for a VU of a full, busy pool before more are dropped
        /// (default: `max_vus`, or 100 ms of arrivals at the peak rate if more).
        backlog: u64,
        /// Which idle VU an arrival takes (`vu_order`, default FIFO).
        vu_order: loadgen_engine::VuOrder,
    },
    /// Concurrency.
    Closed {
        /// VUs over time.
        stages: VuStages,
        /// Pause after each iteration.
        think: ThinkTime,
        /// Iterations per VU.
        iterations: Option<u64>,
    },
}

impl ModelSpec {
    /// Length of the workload's schedule.
    pub fn duration(&self) -> Duration {
        match self {
            ModelSpec::Open { duration, .. } => *duration,
            ModelSpec::Closed { stages, .. } => stages.total_duration(),
        }
    }

    pub fn set_duration(&mut self, d: Duration) {
        let old = self.duration().as_secs_f64();
        let factor = if old > 0.0 {
            d.as_secs_f64() / old
        } else {
            1.0
        };
        match self {
            ModelSpec::Open { duration, rate, .. } => {
                *duration = d;
                if let Pattern::Stages { stages, .. } = rate {
                    for (sd, _) in stages {
                        *sd *= factor;
                    }
                }
            }
            ModelSpec::Closed { stages, .. } => {
                for (sd, _) in &mut stages.stages {
                    *sd = sd.mul_f64(factor);
                }
            }
        }
    }
    /// Most VUs the schedule runs at once (each holds at most one session).
    pub fn max_vus(&self) -> u64 {
        match self {
            ModelSpec::Open { max_vus, .. } => *max_vus,
            ModelSpec::Closed { stages, .. } => stages.max_vus(),
        }
    }
}
