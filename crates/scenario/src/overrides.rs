//! Command-line overrides of a loaded scenario: duration, seed, target.

use crate::model::{ModelSpec, RateSpec, Scenario, Target};
use std::time::Duration;

/// An override that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// A run must last some time.
    #[error("the duration override must be longer than 0s")]
    ZeroDuration,
    /// Not `embedded` nor an http(s) URL.
    #[error("{0}")]
    Target(String),
}

impl Scenario {
    /// Applies command-line overrides.
    ///
    /// * `duration` compresses or stretches the whole timeline so that the run lasts exactly
    ///   that long: every workload's `start`, its duration and each of its stage durations
    ///   are scaled by `duration / self.duration`. Rates and VU counts stay as written, so a
    ///   burst at the middle of the run stays at the middle, with the same height. (A
    ///   constant workload spanning the run still spans it.)
    /// * `seed` replaces the seed; `target` replaces the target (`embedded` or a URL).
    pub fn with_overrides(
        mut self,
        duration: Option<Duration>,
        seed: Option<u64>,
        target: Option<String>,
    ) -> Result<Scenario, OverrideError> {
        if let Some(t) = target {
            self.target = Target::parse(&t).map_err(OverrideError::Target)?;
        }
        if let Some(s) = seed {
            self.seed = s;
        }
        if let Some(d) = duration {
            if d.is_zero() {
                return Err(OverrideError::ZeroDuration);
            }
            self.rescale(d);
        }
        Ok(self)
    }

    fn rescale(&mut self, to: Duration) {
        let from = self.duration.as_secs_f64();
        let f = if from > 0.0 {
            to.as_secs_f64() / from
        } else {
            1.0
        };
        for w in &mut self.workloads {
            w.start = w.start.mul_f64(f);
            match &mut w.model {
                ModelSpec::Open { rate, duration, .. } => match rate {
                    RateSpec::Constant(_) => *duration = duration.mul_f64(f),
                    RateSpec::Stages { stages, .. } => {
                        for s in stages.iter_mut() {
                            s.0 = s.0.mul_f64(f);
                        }
                        *duration = stages.iter().map(|s| s.0).sum();
                    }
                },
                ModelSpec::Closed { stages, .. } => {
                    for s in stages.stages.iter_mut() {
                        s.0 = s.0.mul_f64(f);
                    }
                }
            }
        }
        self.duration = self.workloads.iter().map(|w| w.end()).max().unwrap_or(to);
    }
}
