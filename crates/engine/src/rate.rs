//! Rate functions λ(t): how many arrivals per second the open model asks for at time t.

use std::time::Duration;

/// An arrival rate over the workload's own clock (t = seconds since the workload started).
///
/// The scenario crate implements this for its traffic patterns (business hours, bursts, DCA);
/// the engine only samples it. Must be pure: the same `t` always gives the same rate, so
/// every segment of a distributed run computes the same schedule.
pub trait RateFn: Send + Sync + 'static {
    /// Arrivals per second at `t` seconds; negative values count as zero.
    fn rate_at(&self, t: f64) -> f64;
}

/// A constant rate in arrivals per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantRate(pub f64);

impl RateFn for ConstantRate {
    fn rate_at(&self, _t: f64) -> f64 {
        self.0
    }
}

/// One k6-style stage: move linearly to `target` per second over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// Rate (per second) reached at the end of the stage.
    pub target: f64,
}

/// Ramping arrival rate: starts at `start` and follows the stages; after the last stage the
/// last target holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RateStages {
    /// Rate at t = 0.
    pub start: f64,
    /// Successive linear ramps.
    pub stages: Vec<RateStage>,
}

impl RateStages {
    /// Sum of the stage durations.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }
}

impl RateFn for RateStages {
    fn rate_at(&self, t: f64) -> f64 {
        let mut from = self.start;
        let mut t0 = 0.0;
        for s in &self.stages {
            let d = s.duration.as_secs_f64();
            if t < t0 + d {
                return from + (s.target - from) * ((t - t0) / d);
            }
            from = s.target;
            t0 += d;
        }
        from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_interpolate_and_hold() {
        let r = RateStages {
            start: 0.0,
            stages: vec![
                RateStage {
                    duration: Duration::from_secs(10),
                    target: 100.0,
                },
                RateStage {
                    duration: Duration::from_secs(10),
                    target: 100.0,
                },
                RateStage {
                    duration: Duration::from_secs(5),
                    target: 0.0,
                },
            ],
        };
        assert_eq!(r.rate_at(0.0), 0.0);
        assert!((r.rate_at(5.0) - 50.0).abs() < 1e-9);
        assert_eq!(r.rate_at(15.0), 100.0);
        assert!((r.rate_at(22.5) - 50.0).abs() < 1e-9);
        assert_eq!(r.rate_at(99.0), 0.0);
        assert_eq!(r.total_duration(), Duration::from_secs(25));
    }
}
