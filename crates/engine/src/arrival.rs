//! The open model's schedule: intended arrival offsets drawn from a rate function.
//!
//! Arrival `j` happens when the cumulative intensity Λ(t) = ∫λ reaches its target: `j` for
//! uniform spacing, `E1 + … + Ej` (unit exponentials from the seeded generator) for Poisson.
//! Λ is integrated in fixed 1 ms slices with the midpoint rate, which is exact for constant
//! and linearly ramping rates; inside a slice the rate is taken as constant. Every segment
//! walks the whole sequence (so the random draws line up) and keeps only its own indices.
//!
//! # Scaling by hand
//!
//! [`ArrivalSchedule::rescale`] multiplies the rate from a slice on: arrival targets stay the
//! same numbers in Λ, only the clock they are reached at changes, so every segment (and
//! thread) that applies the same change at the same slice keeps its share of one schedule.
//! A change for a slice the schedule has already passed takes effect at the first slice
//! after its previous arrival (never moving an arrival it has released).

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
    /// The factor on the rate in the current slice.
    scale: f64,
    /// Every change of the factor: `(first slice, factor)`, by slice.
    scales: Vec<(u64, f64)>,
    /// The next entry of `scales` the walk has not reached.
    next_scale: usize,
    /// The slice and Λ at its start where the previous arrival of this segment was solved.
    mark: (u64, f64),
    /// Whether this segment has had an arrival (before it, a rewind may reach slice 0).
    emitted: bool,
    /// Λ of the arrival [`Iterator::next`] returned last.
    pending_target: f64,
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
            scale: 1.0,
            scales: Vec::new(),
            next_scale: 0,
            mark: (0, 0.0),
            emitted: false,
            pending_target: 0.0,
        };
        s.slice_rate = s.rate_in_slice(0);
        if spacing == Spacing::Poisson {
            s.target = s.draw_gap();
        }
        s
    }

    fn rate_in_slice(&self, k: u64) -> f64 {
        self.base_rate(k) * self.scale
    }

    fn base_rate(&self, k: u64) -> f64 {
        self.rate.rate_at((k as f64 + 0.5) * SLICE).max(0.0)
    }

    /// The factor in force in slice `k`.
    fn scale_at(&self, k: u64) -> f64 {
        self.scales
            .iter()
            .rev()
            .find(|(from, _)| *from <= k)
            .map_or(1.0, |(_, f)| *f)
    }

    /// Multiplies the rate by `factor` (of the planned rate) from offset `at` on, and returns
    /// the arrival to wait for instead of `pending` (the one [`Iterator::next`] returned last,
    /// not released yet): later or earlier under the new rate, or `None` past the end.
    pub fn rescale(
        &mut self,
        at: Duration,
        factor: f64,
        pending: Option<(u64, Duration)>,
    ) -> Option<(u64, Duration)> {
        let wanted = at.as_nanos().div_ceil(1_000_000) as u64;
        let floor = if self.emitted { self.mark.0 + 1 } else { 0 };
        let from = wanted.max(floor);
        self.scales.retain(|(k, _)| *k < from);
        self.scales.push((from, factor));
        if from > self.slice {
            self.next_scale = self.scales.len() - 1;
            return pending;
        }
        // Rewind from the previous arrival's slice, with the factors in force then.
        let (mut k, mut lambda0) = if self.emitted { self.mark } else { (0, 0.0) };
        while k < from {
            lambda0 += self.base_rate(k) * self.scale_at(k) * SLICE;
            k += 1;
        }
        self.slice = from;
        self.slice_lambda0 = lambda0;
        self.scale = factor;
        self.next_scale = self.scales.len();
        self.slice_rate = self.rate_in_slice(from);
        match pending {
            Some((j, _)) => {
                let after = self.target;
                self.target = self.pending_target;
                let t = self.solve_target();
                self.target = after;
                match t {
                    Some(t) => Some((j, Duration::from_secs_f64(t))),
                    None => {
                        self.done = true;
                        None
                    }
                }
            }
            None => {
                // It had run past the end; a faster rate may bring arrivals before it.
                self.done = false;
                self.next()
            }
        }
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
            if let Some(&(from, factor)) = self.scales.get(self.next_scale) {
                if from <= self.slice {
                    self.scale = factor;
                    self.next_scale += 1;
                }
            }
            self.slice_rate = self.rate_in_slice(self.slice);
        }
    }
}

impl Iterator for ArrivalSchedule {
    type Item = (u64, Duration);

    fn next(&mut self) -> Option<Self::Item> {
        self.mark = (self.slice, self.slice_lambda0);
        while !self.done {
            let Some(t) = self.solve_target() else {
                self.done = true;
                break;
            };
            let j = self.next_index;
            self.next_index += 1;
            let target = self.target;
            self.target += match self.spacing {
                Spacing::Uniform => 1.0,
                Spacing::Poisson => self.draw_gap(),
            };
            if self.segment.contains(j) {
                self.pending_target = target;
                self.emitted = true;
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

    /// Walks a schedule as a driver does, rescaling by `factor` at `at` when the pending
    /// arrival is past it.
    fn walk(spacing: Spacing, seg: Segment, at: Duration, factor: f64) -> Vec<(u64, Duration)> {
        let rate = Arc::new(ConstantRate(100.0));
        let mut s = ArrivalSchedule::new(rate, Duration::from_secs(4), spacing, 7, seg);
        let (mut out, mut done) = (Vec::new(), false);
        let mut next = s.next();
        while let Some(a) = next {
            if !done && a.1 >= at {
                done = true;
                next = s.rescale(at, factor, next);
                continue;
            }
            out.push(a);
            next = s.next();
        }
        out
    }

    #[test]
    fn rescaling_doubles_the_rate_from_its_instant_and_keeps_segments_exact() {
        let at = Duration::from_secs(2);
        let whole = walk(Spacing::Uniform, Segment::WHOLE, at, 2.0);
        let before = whole.iter().filter(|(_, t)| *t < at).count();
        assert_eq!(before, 200);
        assert!(
            (399..=401).contains(&(whole.len() - before)),
            "{}",
            whole.len()
        );
        for spacing in [Spacing::Uniform, Spacing::Poisson] {
            let whole = walk(spacing, Segment::WHOLE, at, 2.0);
            let mut union: Vec<_> = (0..3)
                .flat_map(|i| walk(spacing, Segment::new(i, 3).unwrap(), at, 2.0))
                .collect();
            union.sort();
            assert_eq!(
                union, whole,
                "segments still partition the changed schedule"
            );
        }
        let slower = walk(Spacing::Uniform, Segment::WHOLE, at, 0.5);
        assert!((299..=301).contains(&slower.len()), "{}", slower.len());
    }

    #[test]
    fn a_rescale_rewinds_a_pending_arrival_onto_the_new_rate() {
        let mut s = ArrivalSchedule::new(
            Arc::new(ConstantRate(1.0)),
            Duration::from_secs(10),
            Spacing::Uniform,
            7,
            Segment::WHOLE,
        );
        assert_eq!(s.next(), Some((0, Duration::ZERO)));
        let pending = s.next();
        assert_eq!(pending, Some((1, Duration::from_secs(1))));
        // At 0.5 s the rate goes to 4/s: Λ(0.5) = 0.5, so arrival 1 at 0.5 + 0.5/4 = 0.625 s.
        let moved = s.rescale(Duration::from_millis(500), 4.0, pending).unwrap();
        assert_eq!(moved.0, 1);
        assert!((moved.1.as_secs_f64() - 0.625).abs() < 1e-6, "{moved:?}");
        let next = s.next().unwrap();
        assert!((next.1.as_secs_f64() - 0.875).abs() < 1e-6, "{next:?}");
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
