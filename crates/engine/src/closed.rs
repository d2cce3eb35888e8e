//! Closed-model VU counts over time, and the question each VU asks: "when am I on?"

use std::time::Duration;

/// Ramping VUs, k6 style: `start` VUs at t = 0, then linear ramps to each stage's target.
/// At time t the VUs with ids `0 .. floor(target(t))` are active.
#[derive(Debug, Clone, PartialEq)]
pub struct VuStages {
    /// VUs at t = 0.
    pub start: u64,
    /// `(duration, target)` ramps.
    pub stages: Vec<(Duration, u64)>,
}

impl VuStages {
    /// `vus` VUs for `duration`.
    pub fn constant(vus: u64, duration: Duration) -> Self {
        VuStages {
            start: vus,
            stages: vec![(duration, vus)],
        }
    }

    /// Total length of the stages.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|s| s.0).sum()
    }

    /// The most VUs ever active.
    pub fn max_vus(&self) -> u64 {
        self.stages
            .iter()
            .map(|s| s.1)
            .chain([self.start])
            .max()
            .unwrap_or(0)
    }

    /// Target VU count (fractional) at `t` seconds.
    pub fn target_at(&self, t: f64) -> f64 {
        let mut from = self.start as f64;
        let mut t0 = 0.0;
        for (d, to) in &self.stages {
            let d = d.as_secs_f64();
            if t < t0 + d {
                return from + (*to as f64 - from) * ((t - t0) / d);
            }
            from = *to as f64;
            t0 += d;
        }
        from
    }

    /// The earliest time `>= t` (seconds) at which VU `vu` is active, or `None` if it never
    /// is again before the end of the stages.
    pub fn next_active(&self, vu: u64, t: f64) -> Option<f64> {
        let need = vu as f64 + 1.0;
        let mut from = self.start as f64;
        let mut t0 = 0.0;
        for (d, to) in &self.stages {
            let d = d.as_secs_f64();
            let to = *to as f64;
            let t1 = t0 + d;
            if t < t1 {
                let lo = t.max(t0);
                let at_lo = from + (to - from) * ((lo - t0) / d);
                if at_lo >= need {
                    return Some(lo);
                }
                if to >= need {
                    // Rising through `need` inside this stage.
                    let x = t0 + d * (need - from) / (to - from);
                    return Some(x.max(lo));
                }
            }
            from = to;
            t0 = t1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn constant_vus_are_active_from_the_start_until_the_end() {
        let v = VuStages::constant(10, s(5));
        assert_eq!(v.next_active(9, 0.0), Some(0.0));
        assert_eq!(v.next_active(10, 0.0), None);
        assert_eq!(v.next_active(0, 5.0), None);
        assert_eq!(v.max_vus(), 10);
    }

    #[test]
    fn ramp_up_activates_vus_in_order_and_ramp_down_deactivates() {
        let v = VuStages {
            start: 0,
            stages: vec![(s(10), 10), (s(10), 10), (s(10), 0)],
        };
        // VU 4 needs target >= 5: reached at t = 5 s.
        assert!((v.next_active(4, 0.0).unwrap() - 5.0).abs() < 1e-9);
        assert_eq!(v.next_active(4, 12.0), Some(12.0));
        // Ramp-down: target 5 at t = 25; VU 4 still on at 24, off after 25.
        assert_eq!(v.next_active(4, 24.0), Some(24.0));
        assert_eq!(v.next_active(4, 25.5), None);
        assert_eq!(v.target_at(25.0), 5.0);
    }
}
