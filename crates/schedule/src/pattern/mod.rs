//! Traffic patterns: arrival-rate functions λ(t) for the open model, composable by sum and
//! scale. Each is a pure function of the workload's clock, so every segment of a distributed
//! run computes the same schedule.
//!
//! | pattern | shape |
//! |---|---|
//! | `constant` | `rate = "50/s"` |
//! | `stages` | k6 ramps: `start` then linear moves to each stage's `target` |
//! | `steps` | piecewise constant: `steps = [{ at = "30s", rate = "20/s" }, …]` |
//! | `sine` | `base + amplitude·sin(2πt/period)`: diurnal and soak tests |
//! | `burst` | `base` with trapezoid spikes to `peak` (`rise`, `hold`, `fall`), `every` period or `at` offsets |
//! | `business-hours` | `peak` × intensity by local hour and weekday in a time zone, on a simulated clock |
//! | `dca` | `batch` purchases every simulated `every`, spread over `spread` |
//! | `sum` | the sum of `parts` |
//! | `replay` | `rate = { replay = "FILE" }`: a recorded curve (CSV counts or an access log), [`replay`] |
//!
//! Every pattern accepts `scale = 3.0` ("3x expected production").

use chrono::{Datelike, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;
use loadgen_engine::RateFn;
use std::f64::consts::TAU;

/// A rate function built from a scenario's `rate = { pattern = … }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// Arrivals per second.
    Constant(f64),
    /// Linear ramps: rate at 0, then `(length s, target)` moves; the last target holds.
    Stages { start: f64, stages: Vec<(f64, f64)> },
    /// Piecewise constant: `(from s, rate)`, sorted; before the first step the rate is 0.
    Steps(Vec<(f64, f64)>),
    /// `base + amplitude · sin(2π (t + phase) / period)`, floored at 0.
    Sine {
        base: f64,
        amplitude: f64,
        period: f64,
        phase: f64,
    },
    /// Baseline with trapezoid spikes.
    Burst(Burst),
    /// Intensity by local hour on a simulated clock.
    BusinessHours(BusinessHours),
    /// Periodic batches of steady purchases.
    Dca {
        batch: f64,
        every: f64,
        spread: f64,
        offset: f64,
    },
    /// Sum of parts.
    Sum(Vec<Pattern>),
    /// A pattern multiplied by a factor.
    Scaled(f64, Box<Pattern>),
    /// A recorded traffic curve played back.
    Replay(Replay),
}

/// A baseline with spikes (all times in real seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Rate between spikes.
    pub base: f64,
    /// Rate at the top of a spike.
    pub peak: f64,
    /// Ramp-up time.
    pub rise: f64,
    /// Time at the peak.
    pub hold: f64,
    /// Ramp-down time.
    pub fall: f64,
    /// Spike period, if periodic.
    pub every: Option<f64>,
    /// Start of the first periodic spike.
    pub offset: f64,
    /// Explicit spike starts.
    pub at: Vec<f64>,
}

/// Business-hours intensity: the simulated clock runs `time_scale` times faster than real
/// time from `start` (a local date-time in `tz`).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// Rate at intensity 1.0.
    pub peak: f64,
    /// Time zone of the business.
    pub tz: Tz,
    /// Simulated start (local time).
    pub start: NaiveDateTime,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Intensity per local hour 0..24 on weekdays.
    pub weekday: [f64; 24],
    /// Intensity on Saturdays and Sundays.
    pub weekend: f64,
}

impl BusinessHours {
    /// The simulated local date-time at real offset `t` seconds.
    pub fn local_at(&self, t: f64) -> NaiveDateTime {
        let start = self
            .tz
            .from_local_datetime(&self.start)
            .earliest()
            .unwrap_or_else(|| self.tz.from_utc_datetime(&self.start));
        let sim = start + chrono::Duration::milliseconds((t * self.time_scale * 1e3) as i64);
        sim.naive_local()
    }

    fn intensity(&self, t: f64) -> f64 {
        let local = self.local_at(t);
        match local.weekday() {
            chrono::Weekday::Sat | chrono::Weekday::Sun => self.weekend,
            _ => self.weekday[local.hour() as usize],
        }
    }
}

impl Pattern {
    /// Arrivals per second at `t` seconds.
    pub fn rate(&self, t: f64) -> f64 {
        let r = match self {
            Pattern::Constant(r) => *r,
            Pattern::Stages { start, stages } => {
                let (mut from, mut t0) = (*start, 0.0);
                for (d, to) in stages {
                    if t < t0 + d {
                        return (from + (to - from) * (t - t0) / d).max(0.0);
                    }
                    from = *to;
                    t0 += d;
                }
                from
            }
            Pattern::Steps(steps) => steps
                .iter()
                .take_while(|(at, _)| *at <= t)
                .last()
                .map_or(0.0, |s| s.1),
            Pattern::Sine {
                base,
                amplitude,
                period,
                phase,
            } => base + amplitude * (TAU * (t + phase) / period).sin(),
            Pattern::Burst(b) => b.rate(t),
            Pattern::BusinessHours(b) => b.peak * b.intensity(t),
            Pattern::Dca {
                batch,
                every,
                spread,
                offset,
            } => {
                if t < *offset {
                    0.0
                } else if (t - offset) % every < *spread {
                    batch / spread
                } else {
                    0.0
                }
            }
            Pattern::Sum(parts) => parts.iter().map(|p| p.rate(t)).sum(),
            Pattern::Scaled(k, p) => k * p.rate(t),
            Pattern::Replay(r) => r.rate(t),
        };
        r.max(0.0)
    }

    /// Peak rate over `[0, duration]`, sampled every 10 ms (for plans and VU estimates); a
    /// replayed trace's exact peak (its buckets may be shorter than 10 ms), and a sum holding
    /// one the sum of its parts' peaks (an upper bound).
    pub fn peak(&self, duration: f64) -> f64 {
        match self {
            Pattern::Replay(r) => return r.peak(),
            Pattern::Scaled(k, p) => return k * p.peak(duration),
            Pattern::Sum(parts) if parts.iter().any(Pattern::replays) => {
                return parts.iter().map(|p| p.peak(duration)).sum()
            }
            _ => {}
        }
        let n = (duration / 0.01).ceil().max(1.0) as u64;
        (0..=n)
            .map(|i| self.rate(i as f64 * 0.01))
            .fold(0.0, f64::max)
    }
}

impl Pattern {
    /// Whether a replayed trace is part of this pattern.
    fn replays(&self) -> bool {
        match self {
            Pattern::Replay(_) => true,
            Pattern::Scaled(_, p) => p.replays(),
            Pattern::Sum(parts) => parts.iter().any(Pattern::replays),
            _ => false,
        }
    }

    /// The replayed trace this pattern is (possibly scaled), if it is one.
    pub fn replay(&self) -> Option<&Replay> {
        match self {
            Pattern::Replay(r) => Some(r),
            Pattern::Scaled(_, p) => p.replay(),
            _ => None,
        }
    }
}

impl Burst {
    fn spike_level(&self, since: f64) -> f64 {
        // 0 → 1 → 1 → 0 over rise, hold, fall.
        if since < 0.0 {
            0.0
        } else if since < self.rise {
            since / self.rise
        } else if since < self.rise + self.hold {
            1.0
        } else if since < self.rise + self.hold + self.fall {
            1.0 - (since - self.rise - self.hold) / self.fall
        } else {
            0.0
        }
    }

    fn rate(&self, t: f64) -> f64 {
        let mut level: f64 = 0.0;
        if let Some(every) = self.every {
            if t >= self.offset {
                let k = ((t - self.offset) / every).floor();
                level = level.max(self.spike_level(t - self.offset - k * every));
            }
        }
        for a in &self.at {
            level = level.max(self.spike_level(t - a));
        }
        self.base + (self.peak - self.base) * level
    }
}

impl RateFn for Pattern {
    fn rate_at(&self, t: f64) -> f64 {
        self.rate(t)
    }
}

mod grammar;
pub mod replay;

pub use grammar::{fields_of, STAGE_FIELDS, STEP_FIELDS};
pub use grammar::{parse, parse_in, PatternError, PatternProblem};
pub use replay::Replay;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Pattern {
        let v: toml::Table = toml::from_str(&format!("rate = {text}")).unwrap();
        parse(&v["rate"]).unwrap()
    }

    fn integral(p: &Pattern, from: f64, to: f64) -> f64 {
        let n = ((to - from) / 0.001).round() as u64;
        (0..n)
            .map(|i| p.rate(from + (i as f64 + 0.5) * 0.001) * 0.001)
            .sum()
    }

    #[test]
    fn burst_is_a_trapezoid_over_the_baseline() {
        let b = p(
            r#"{ pattern = "burst", base = "60/min", peak = "120/min", every = "20s", rise = "2s", hold = "5s", fall = "2s" }"#,
        );
        assert_eq!(b.rate(0.0), 1.0);
        assert!((b.rate(1.0) - 1.5).abs() < 1e-9);
        assert_eq!(b.rate(4.0), 2.0);
        assert_eq!(b.rate(15.0), 1.0);
        assert_eq!(b.rate(24.0), 2.0, "periodic");
        // One period: 20 s at 1/s plus a spike of area (2/2 + 5 + 2/2) * (2 - 1) = 7.
        assert!((integral(&b, 0.0, 20.0) - 27.0).abs() < 1e-6);
    }

    #[test]
    fn business_hours_follow_the_local_clock_and_weekends() {
        // Monday 2026-11-23 00:00 in Sydney; 1440x: one simulated day per real minute.
        let b = p(
            r#"{ pattern = "business-hours", peak = "100/s", timezone = "Australia/Sydney", start = "2026-11-23T00:00:00", time_scale = 1440 }"#,
        );
        assert!((b.rate(0.0) - 20.0).abs() < 1e-9, "after hours");
        assert!(
            (b.rate(10.0 * 60.0 / 24.0) - 80.0).abs() < 1e-9,
            "10:00 local"
        );
        assert!(
            (b.rate(5.0 * 60.0 + 30.0) - 10.0).abs() < 1e-9,
            "Saturday noon"
        );
        // A compressed weekday: 8 business hours at 80, 16 at 20, per simulated hour 2.5 s.
        let day = integral(&b, 0.0, 60.0);
        assert!(
            (day - (8.0 * 80.0 + 16.0 * 20.0) * 2.5).abs() < 1.0,
            "{day}"
        );
    }

    #[test]
    fn dca_batches_land_inside_their_window() {
        // 10 purchases every simulated hour, spread over 6 simulated minutes, 60x.
        let d =
            p(r#"{ pattern = "dca", batch = 10, every = "1h", spread = "6m", time_scale = 60 }"#);
        assert!((integral(&d, 0.0, 60.0) - 10.0).abs() < 1e-6);
        assert_eq!(d.rate(7.0), 0.0);
        assert!((integral(&d, 0.0, 600.0) - 100.0).abs() < 1e-6);
    }

    #[test]
    fn sums_and_scales_compose() {
        let s = p(
            r#"{ pattern = "sum", scale = 3.0, parts = ["10/s", { pattern = "sine", base = "5/s", amplitude = "5/s", period = "4s" }] }"#,
        );
        assert!((s.rate(0.0) - 45.0).abs() < 1e-9);
        assert!((s.rate(1.0) - 60.0).abs() < 1e-9);
        assert!((s.peak(4.0) - 60.0).abs() < 1e-6);
    }

    #[test]
    fn mistakes_name_the_field() {
        let bad = |t: &str| {
            let v: toml::Table = toml::from_str(&format!("rate = {t}")).unwrap();
            parse(&v["rate"]).unwrap_err()[0].to_string()
        };
        assert!(bad(r#"{ pattern = "burst", base = "1/s", peak = "2/s" }"#).contains("every"));
        assert!(
            bad(r#"{ pattern = "burst", base = "1/s", peak = "2/x", every = "1s" }"#)
                .starts_with("peak:")
        );
        assert!(
            bad(r#"{ pattern = "business-hours", peak = "1/s", timezone = "Mars/Base" }"#)
                .contains("Mars/Base")
        );
        assert!(
            bad(r#"{ pattern = "dca", batch = 3, every = "1h", spred = "1m" }"#)
                .starts_with("spred: unknown field")
        );
        assert!(bad(r#"{ pattern = "wave" }"#).contains("unknown pattern"));
    }
}
