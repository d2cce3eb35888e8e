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
//!
//! Every pattern accepts `scale = 3.0` ("3x expected production").

use crate::units::{parse_duration, parse_rate, UnitError};
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
        };
        r.max(0.0)
    }

    /// Peak rate over `[0, duration]`, sampled every 10 ms (for plans and VU estimates).
    pub fn peak(&self, duration: f64) -> f64 {
        let n = (duration / 0.01).ceil().max(1.0) as u64;
        (0..=n)
            .map(|i| self.rate(i as f64 * 0.01))
            .fold(0.0, f64::max)
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

/// Why a `rate` value does not parse: the sub-field it concerns (`stages[0].target`,
/// `parts[1].peak`; empty for the value itself) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}{}{problem}", if .field.is_empty() { "" } else { ": " })]
pub struct PatternError {
    /// Path of the sub-field inside the `rate` table; empty for the whole value.
    pub field: String,
    /// What is wrong.
    pub problem: PatternProblem,
}

/// What is wrong with one field of a rate pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternProblem {
    #[error("a rate is \"N/s\" or a pattern table {{ pattern = \"burst\", … }}")]
    NotARate,
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error("expected a string")]
    ExpectedString,
    #[error("expected a string `{0}`")]
    ExpectedStringField(&'static str),
    #[error("expected a duration string")]
    ExpectedDuration,
    #[error("expected a non-negative number")]
    ExpectedNonNegative,
    #[error("required")]
    Required,
    #[error("required for pattern \"{0}\"")]
    RequiredFor(String),
    #[error("required, a non-empty list")]
    RequiredList,
    #[error("required (constant, stages, steps, sine, burst, business-hours, dca or sum)")]
    PatternRequired,
    #[error(
        "unknown pattern `{0}` (use constant, stages, steps, sine, burst, business-hours, dca or sum)"
    )]
    UnknownPattern(String),
    #[error("unknown field for pattern \"{kind}\" (known: {known})")]
    UnknownField { kind: String, known: String },
    #[error("must be positive")]
    MustBePositive,
    #[error("give every = \"20s\" (periodic) or at = [\"10s\", …] (offsets)")]
    BurstNeedsEveryOrAt,
    #[error("unknown time zone `{0}` (e.g. Australia/Sydney)")]
    UnknownTimeZone(String),
    #[error("`{0}` is not a local date-time like 2026-11-23T08:00:00")]
    NotALocalDateTime(String),
    #[error("need 0 <= open < close <= 24 (local hours)")]
    OpenClose,
    #[error("needs 24 intensities (one per local hour), got {0}")]
    NotTwentyFourHours(usize),
    #[error("required (purchases per period)")]
    BatchRequired,
    #[error("must be positive and no longer than every")]
    SpreadTooLong,
}

impl PatternError {
    fn at(field: impl Into<String>, problem: impl Into<PatternProblem>) -> Self {
        PatternError {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same problem, one level down: `outer` becomes the prefix of the field path.
    fn inside(self, outer: &str) -> Self {
        let field = if self.field.is_empty() {
            outer.to_string()
        } else {
            format!("{outer}.{}", self.field)
        };
        PatternError { field, ..self }
    }
}

/// Parses `rate = "50/s"` or `rate = { pattern = "…", … }`. Errors name the sub-field.
pub fn parse(v: &toml::Value) -> Result<Pattern, PatternError> {
    match v {
        toml::Value::String(s) => parse_rate(s)
            .map(Pattern::Constant)
            .map_err(|e| PatternError::at("", e)),
        toml::Value::Table(t) => parse_table(t),
        _ => Err(PatternError::at("", PatternProblem::NotARate)),
    }
}

/// The keys of a `rate = { pattern = "KIND", … }` table for each pattern (with `pattern`
/// and `scale`); `None` for an unknown pattern. The scenario's key walk reports any other key.
pub(crate) fn fields_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "constant" => &["pattern", "scale", "rate"],
        "stages" | "ramp" => &["pattern", "scale", "start", "stages"],
        "steps" => &["pattern", "scale", "steps"],
        "sine" => &["pattern", "scale", "base", "amplitude", "period", "phase"],
        "burst" => &[
            "pattern", "scale", "base", "peak", "rise", "hold", "fall", "every", "offset", "at",
        ],
        "business-hours" => &[
            "pattern",
            "scale",
            "timezone",
            "start",
            "business",
            "after_hours",
            "weekend",
            "open",
            "close",
            "hours",
            "peak",
            "time_scale",
        ],
        "dca" => &[
            "pattern",
            "scale",
            "time_scale",
            "batch",
            "every",
            "spread",
            "offset",
        ],
        "sum" => &["pattern", "scale", "parts"],
        _ => return None,
    })
}

/// The keys of one entry of `stages = [{…}]`.
pub(crate) const STAGE_FIELDS: [&str; 2] = ["duration", "target"];
/// The keys of one entry of `steps = [{…}]`.
pub(crate) const STEP_FIELDS: [&str; 2] = ["at", "rate"];

struct Fields<'a> {
    t: &'a toml::Table,
    kind: &'a str,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn get(&mut self, k: &'static str) -> Option<&'a toml::Value> {
        self.used.push(k);
        self.t.get(k)
    }
    fn str(&mut self, k: &'static str) -> Result<Option<&'a str>, PatternError> {
        match self.get(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(PatternError::at(k, PatternProblem::ExpectedString)),
        }
    }
    fn rate(&mut self, k: &'static str) -> Result<Option<f64>, PatternError> {
        self.str(k)?
            .map(|s| parse_rate(s).map_err(|e| PatternError::at(k, e)))
            .transpose()
    }
    fn need_rate(&mut self, k: &'static str) -> Result<f64, PatternError> {
        self.rate(k)?
            .ok_or_else(|| PatternError::at(k, PatternProblem::RequiredFor(self.kind.to_string())))
    }
    fn secs(&mut self, k: &'static str) -> Result<Option<f64>, PatternError> {
        self.str(k)?
            .map(|s| {
                parse_duration(s)
                    .map(|d| d.as_secs_f64())
                    .map_err(|e| PatternError::at(k, e))
            })
            .transpose()
    }
    fn number(&mut self, k: &'static str) -> Result<Option<f64>, PatternError> {
        match self.get(k) {
            None => Ok(None),
            Some(toml::Value::Float(f)) if f.is_finite() && *f >= 0.0 => Ok(Some(*f)),
            Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(*i as f64)),
            Some(_) => Err(PatternError::at(k, PatternProblem::ExpectedNonNegative)),
        }
    }
    fn finish(self) -> Result<(), PatternError> {
        for k in self.t.keys() {
            if !self.used.contains(&k.as_str()) {
                return Err(PatternError::at(
                    k.as_str(),
                    PatternProblem::UnknownField {
                        kind: self.kind.to_string(),
                        known: self.used.join(", "),
                    },
                ));
            }
        }
        Ok(())
    }
}

/// `(duration, rate)` of one entry of `stages` or `steps`, under the entry's field path.
fn timed_rate(
    v: &toml::Value,
    at: &str,
    (time_key, rate_key): (&'static str, &'static str),
) -> Result<(f64, f64), PatternError> {
    let d = field_str(v, time_key)
        .and_then(|s| parse_duration(s).map_err(PatternProblem::from))
        .map_err(|e| PatternError::at(format!("{at}.{time_key}"), e))?;
    let r = field_str(v, rate_key)
        .and_then(|s| parse_rate(s).map_err(PatternProblem::from))
        .map_err(|e| PatternError::at(format!("{at}.{rate_key}"), e))?;
    Ok((d.as_secs_f64(), r))
}

fn parse_table(t: &toml::Table) -> Result<Pattern, PatternError> {
    use PatternProblem as P;
    let kind = match t.get("pattern") {
        Some(toml::Value::String(s)) => s.as_str(),
        _ => return Err(PatternError::at("pattern", P::PatternRequired)),
    };
    let mut f = Fields {
        t,
        kind,
        used: vec!["pattern", "scale"],
    };
    let p = match kind {
        "constant" => Pattern::Constant(f.need_rate("rate")?),
        "stages" | "ramp" => {
            let start = f.rate("start")?.unwrap_or(0.0);
            let stages = list(f.get("stages"), "stages", |i, v| {
                timed_rate(v, &format!("stages[{i}]"), ("duration", "target"))
            })?;
            Pattern::Stages { start, stages }
        }
        "steps" => {
            let mut steps = list(f.get("steps"), "steps", |i, v| {
                timed_rate(v, &format!("steps[{i}]"), ("at", "rate"))
            })?;
            steps.sort_by(|a, b| a.0.total_cmp(&b.0));
            Pattern::Steps(steps)
        }
        "sine" => Pattern::Sine {
            base: f.need_rate("base")?,
            amplitude: f.need_rate("amplitude")?,
            period: positive(f.secs("period")?, "period")?,
            phase: f.secs("phase")?.unwrap_or(0.0),
        },
        "burst" => {
            let b = Burst {
                base: f.need_rate("base")?,
                peak: f.need_rate("peak")?,
                rise: f.secs("rise")?.unwrap_or(1.0),
                hold: f.secs("hold")?.unwrap_or(5.0),
                fall: f.secs("fall")?.unwrap_or(1.0),
                every: f.secs("every")?,
                offset: f.secs("offset")?.unwrap_or(0.0),
                at: list(f.get("at"), "at", |i, v| match v {
                    toml::Value::String(s) => parse_duration(s)
                        .map(|d| d.as_secs_f64())
                        .map_err(|e| PatternError::at(format!("at[{i}]"), e)),
                    _ => Err(PatternError::at(format!("at[{i}]"), P::ExpectedDuration)),
                })
                .or_else(|e| {
                    if t.contains_key("at") {
                        Err(e)
                    } else {
                        Ok(Vec::new())
                    }
                })?,
            };
            if b.every.is_none() && b.at.is_empty() {
                return Err(PatternError::at("burst", P::BurstNeedsEveryOrAt));
            }
            if b.every.is_some_and(|e| e <= 0.0) {
                return Err(PatternError::at("every", P::MustBePositive));
            }
            Pattern::Burst(b)
        }
        "business-hours" => {
            let tz_name = f.str("timezone")?.unwrap_or("UTC");
            let tz: Tz = tz_name.parse().map_err(|_| {
                PatternError::at("timezone", P::UnknownTimeZone(tz_name.to_string()))
            })?;
            let start = match f.str("start")? {
                Some(s) => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                    .map_err(|_| PatternError::at("start", P::NotALocalDateTime(s.to_string())))?,
                None => NaiveDateTime::parse_from_str("2026-11-23T00:00:00", "%Y-%m-%dT%H:%M:%S")
                    .expect("literal date"),
            };
            let business = f.number("business")?.unwrap_or(0.8);
            let after = f.number("after_hours")?.unwrap_or(0.2);
            let weekend = f.number("weekend")?.unwrap_or(0.1);
            let open = f.number("open")?.unwrap_or(9.0) as usize;
            let close = f.number("close")?.unwrap_or(17.0) as usize;
            if open >= close || close > 24 {
                return Err(PatternError::at("open/close", P::OpenClose));
            }
            let mut weekday = [after; 24];
            weekday[open..close].fill(business);
            if let Some(hours) = f.get("hours") {
                let hs = list(Some(hours), "hours", |i, v| match v {
                    toml::Value::Float(x) if *x >= 0.0 => Ok(*x),
                    toml::Value::Integer(x) if *x >= 0 => Ok(*x as f64),
                    _ => Err(PatternError::at(
                        format!("hours[{i}]"),
                        P::ExpectedNonNegative,
                    )),
                })?;
                if hs.len() != 24 {
                    return Err(PatternError::at("hours", P::NotTwentyFourHours(hs.len())));
                }
                weekday.copy_from_slice(&hs);
            }
            Pattern::BusinessHours(BusinessHours {
                peak: f.need_rate("peak")?,
                tz,
                start,
                time_scale: positive(f.number("time_scale")?.or(Some(1.0)), "time_scale")?,
                weekday,
                weekend,
            })
        }
        "dca" => {
            let scale = positive(f.number("time_scale")?.or(Some(1.0)), "time_scale")?;
            let batch = f
                .number("batch")?
                .ok_or_else(|| PatternError::at("batch", P::BatchRequired))?;
            let every = positive(f.secs("every")?, "every")? / scale;
            let spread = f.secs("spread")?.map_or(every, |s| s / scale);
            if spread <= 0.0 || spread > every {
                return Err(PatternError::at("spread", P::SpreadTooLong));
            }
            Pattern::Dca {
                batch,
                every,
                spread,
                offset: f.secs("offset")?.unwrap_or(0.0),
            }
        }
        "sum" => Pattern::Sum(list(f.get("parts"), "parts", |i, v| {
            parse(v).map_err(|e| e.inside(&format!("parts[{i}]")))
        })?),
        other => {
            return Err(PatternError::at(
                "pattern",
                P::UnknownPattern(other.to_string()),
            ))
        }
    };
    let scale = f.number("scale")?;
    f.finish()?;
    Ok(match scale {
        Some(k) => Pattern::Scaled(k, Box::new(p)),
        None => p,
    })
}

fn positive(v: Option<f64>, name: &str) -> Result<f64, PatternError> {
    match v {
        Some(x) if x > 0.0 => Ok(x),
        Some(_) => Err(PatternError::at(name, PatternProblem::MustBePositive)),
        None => Err(PatternError::at(name, PatternProblem::Required)),
    }
}

/// The string `k` of a list entry; the caller names the entry's field.
fn field_str<'a>(v: &'a toml::Value, k: &'static str) -> Result<&'a str, PatternProblem> {
    v.get(k)
        .and_then(|x| x.as_str())
        .ok_or(PatternProblem::ExpectedStringField(k))
}

fn list<T>(
    v: Option<&toml::Value>,
    name: &str,
    item: impl Fn(usize, &toml::Value) -> Result<T, PatternError>,
) -> Result<Vec<T>, PatternError> {
    match v {
        Some(toml::Value::Array(a)) if !a.is_empty() => {
            a.iter().enumerate().map(|(i, x)| item(i, x)).collect()
        }
        _ => Err(PatternError::at(name, PatternProblem::RequiredList)),
    }
}

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
            parse(&v["rate"]).unwrap_err().to_string()
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
