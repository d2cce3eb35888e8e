//! The open model's schedule: intended arrival offsets drawn from a rate function.
//!
//! Arrival `j` happens when the cumulative intensity Λ(t) = ∫λ reaches its target: `j` for
//! uniform spacing, `E1 + … + Ej` (unit exponentials from the seeded generator) for Poisson.
//! Λ is integrated in fixed 1 ms slices with the midpoint rate, which is exact for constant
//! and linearly ramping rates; inside a slice the rate is taken as constant. Every segment
//! walks the whole sequence (so the random draws line up) and keeps only its own indices.

use crate::rate::RateFn;
use crate::segment::Segment;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use std::sync::Arc;
use std::time::Duration;

/// How arrivals are spaced for a given rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spacing {
    /// Evenly: the j-th arrival exactly when Λ(t) = j.
    #[default]
    Uniform,
    /// A Poisson process: exponential gaps (in Λ) from the seeded generator.
    Poisson,
}

const SLICE: f64 = 0.001;

/// Iterator over `(arrival index, offset from workload start)` of one segment's arrivals.
pub struct ArrivalSchedule {
    rate: Arc<dyn RateFn>,
    end: f64,
    spacing: Spacing,
    rng: SmallRng,
    segment: Segment,
    next_index: u64,
    target: f64,
    slice: u64,
    slice_lambda0: f64,
    slice_rate: f64,
    done: bool,
}

impl ArrivalSchedule {
    /// The schedule of `segment` for `rate` over `duration`, spaced by `spacing` (Poisson draws
    /// come from `seed`).
    pub fn new(
        rate: Arc<dyn RateFn>,
        duration: Duration,
        spacing: Spacing,
        seed: u64,
        segment: Segment,
    ) -> Self {
        let mut s = ArrivalSchedule {
            rate,
            end: duration.as_secs_f64(),
            spacing,
            rng: SmallRng::seed_from_u64(seed),
            segment,
            next_index: 0,
            target: 0.0,
            slice: 0,
            slice_lambda0: 0.0,
            slice_rate: 0.0,
            done: false,
        };
        s.slice_rate = s.rate_in_slice(0);
        if spacing == Spacing::Poisson {
            s.target = s.draw_gap();
        }
        s
    }

    fn rate_in_slice(&self, k: u64) -> f64 {
        self.rate.rate_at((k as f64 + 0.5) * SLICE).max(0.0)
    }

    fn draw_gap(&mut self) -> f64 {
        Exp1.sample(&mut self.rng)
    }

    /// Offset (seconds) at which Λ reaches `self.target`, or `None` past the end.
    fn solve_target(&mut self) -> Option<f64> {
        loop {
            let t0 = self.slice as f64 * SLICE;
            if t0 >= self.end {
                return None;
            }
            let r = self.slice_rate;
            let reach = self.slice_lambda0 + r * SLICE;
            if r > 0.0 && reach >= self.target {
                let t = t0 + (self.target - self.slice_lambda0).max(0.0) / r;
                return (t < self.end).then_some(t);
            }
            self.slice += 1;
            self.slice_lambda0 = reach;
            self.slice_rate = self.rate_in_slice(self.slice);
        }
    }
}

impl Iterator for ArrivalSchedule {
    type Item = (u64, Duration);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some(t) = self.solve_target() else {
                self.done = true;
                break;
            };
            let j = self.next_index;
            self.next_index += 1;
            self.target += match self.spacing {
                Spacing::Uniform => 1.0,
                Spacing::Poisson => self.draw_gap(),
            };
            if self.segment.contains(j) {
                return Some((j, Duration::from_secs_f64(t)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::{ConstantRate, RateStage, RateStages};

    fn collect(
        rate: Arc<dyn RateFn>,
        secs: u64,
        spacing: Spacing,
        seg: Segment,
    ) -> Vec<(u64, Duration)> {
        ArrivalSchedule::new(rate, Duration::from_secs(secs), spacing, 7, seg).collect()
    }

    #[test]
    fn constant_uniform_rate_gives_exact_count_and_spacing() {
        let a = collect(
            Arc::new(ConstantRate(1000.0)),
            3,
            Spacing::Uniform,
            Segment::WHOLE,
        );
        assert_eq!(a.len(), 3000);
        assert_eq!(a[0].1, Duration::ZERO);
        let gap = a[101].1 - a[100].1;
        assert!((gap.as_secs_f64() - 0.001).abs() < 1e-9, "{gap:?}");
    }

    #[test]
    fn linear_ramp_integrates_exactly() {
        // 0 -> 100/s over 10 s: area 500.
        let r = RateStages {
            start: 0.0,
            stages: vec![RateStage {
                duration: Duration::from_secs(10),
                target: 100.0,
            }],
        };
        let a = collect(Arc::new(r), 10, Spacing::Uniform, Segment::WHOLE);
        assert!((499..=501).contains(&a.len()), "{}", a.len());
        // Half of the arrivals come in the last 2.93 s (sqrt(0.5) of the ramp).
        let late = a
            .iter()
            .filter(|(_, t)| t.as_secs_f64() >= 10.0 * 0.5f64.sqrt())
            .count();
        assert!((245..=255).contains(&late), "{late}");
    }

    #[test]
    fn poisson_mean_rate_is_close_and_deterministic() {
        let a = collect(
            Arc::new(ConstantRate(2000.0)),
            5,
            Spacing::Poisson,
            Segment::WHOLE,
        );
        let b = collect(
            Arc::new(ConstantRate(2000.0)),
            5,
            Spacing::Poisson,
            Segment::WHOLE,
        );
        assert_eq!(a, b);
        assert!((9_700..=10_300).contains(&a.len()), "{}", a.len());
    }

    #[test]
    fn segments_partition_the_schedule() {
        for spacing in [Spacing::Uniform, Spacing::Poisson] {
            let whole = collect(Arc::new(ConstantRate(700.0)), 2, spacing, Segment::WHOLE);
            let mut union: Vec<_> = (0..3)
                .flat_map(|i| {
                    collect(
                        Arc::new(ConstantRate(700.0)),
                        2,
                        spacing,
                        Segment::new(i, 3).unwrap(),
                    )
                })
                .collect();
            union.sort();
            assert_eq!(union, whole);
        }
    }
}
