//! Workload models: how VUs are scheduled (open arrival rate or closed concurrency), the
//! order idle VUs are reused in and the think time between iterations.

use crate::arrival::Spacing;
use crate::closed::VuStages;
use crate::rate::RateFn;
use std::sync::Arc;
use std::time::Duration;

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
    /// Log-normal with these 5th and 95th percentiles (a median of their geometric mean),
    /// clamped to them: session lengths, where most are short and a few are very long.
    LogNormal(Duration, Duration),
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
            ThinkTime::LogNormal(lo, hi) => {
                let (a, b) = (lo.as_secs_f64().max(1e-6), hi.as_secs_f64().max(1e-6));
                if b <= a {
                    return lo;
                }
                // 1.645: the standard normal's 95th percentile.
                let sigma = (b / a).ln() / (2.0 * 1.645);
                let z: f64 = rand_distr::StandardNormal.sample(rng);
                let x = ((a * b).sqrt().ln() + sigma * z).exp();
                Duration::from_secs_f64(x.clamp(a, b))
            }
        }
    }

    /// The same pauses on a clock `time_scale` times faster: every duration divided by it
    /// (wall-clock = planned / time_scale). A scale that is not positive changes nothing.
    pub fn scaled(self, time_scale: f64) -> ThinkTime {
        if !(time_scale > 0.0 && time_scale.is_finite()) || time_scale == 1.0 {
            return self;
        }
        let d = |d: Duration| d.div_f64(time_scale);
        match self {
            ThinkTime::None => ThinkTime::None,
            ThinkTime::Fixed(a) => ThinkTime::Fixed(d(a)),
            ThinkTime::Uniform(a, b) => ThinkTime::Uniform(d(a), d(b)),
            ThinkTime::Exponential(a) => ThinkTime::Exponential(d(a)),
            ThinkTime::LogNormal(a, b) => ThinkTime::LogNormal(d(a), d(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lognormal_pauses_stay_in_their_bounds_around_the_geometric_mean() {
        let t = ThinkTime::LogNormal(Duration::from_secs(300), Duration::from_secs(14_400));
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let mut draws: Vec<f64> = (0..2000)
            .map(|_| t.sample(&mut rng).as_secs_f64())
            .collect();
        assert!(draws.iter().all(|d| (300.0..=14_400.0).contains(d)));
        draws.sort_by(f64::total_cmp);
        // The median is sqrt(300 × 14400) ≈ 2078 s; 5% sit at each clamp.
        let median = draws[1000];
        assert!((1700.0..2500.0).contains(&median), "{median}");
        let at_low = draws.iter().filter(|d| **d == 300.0).count();
        assert!((40..170).contains(&at_low), "{at_low}");
    }

    #[test]
    fn a_time_scale_divides_every_pause() {
        let s = |secs| Duration::from_secs(secs);
        assert_eq!(
            ThinkTime::LogNormal(s(300), s(14_400)).scaled(30.0),
            ThinkTime::LogNormal(s(10), s(480))
        );
        assert_eq!(
            ThinkTime::Uniform(s(60), s(300)).scaled(30.0),
            ThinkTime::Uniform(s(2), s(10))
        );
        assert_eq!(ThinkTime::Fixed(s(3)).scaled(1.0), ThinkTime::Fixed(s(3)));
        assert_eq!(ThinkTime::Fixed(s(3)).scaled(0.0), ThinkTime::Fixed(s(3)));
    }
}
