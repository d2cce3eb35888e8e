//! The grammar of `rate = "50/s"` and `rate = { pattern = "…", … }`: each pattern's fields
//! read by their kind, every problem naming its sub-field (`stages[0].target`, `parts[1].peak`)
//! so validation reports it at that value. Unknown keys never reach here from a scenario: the
//! key walk reports them all with [`fields_of`] and removes them; `Fields::finish` keeps the
//! rule for a value read on its own.

use super::{Burst, BusinessHours, Pattern};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use loadgen_grammar::units::{parse_duration, parse_rate, UnitError};

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
pub fn fields_of(kind: &str) -> Option<&'static [&'static str]> {
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
pub const STAGE_FIELDS: [&str; 2] = ["duration", "target"];
/// The keys of one entry of `steps = [{…}]`.
pub const STEP_FIELDS: [&str; 2] = ["at", "rate"];

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
        "burst" => burst(&mut f, t)?,
        "business-hours" => business_hours(&mut f)?,
        "dca" => dca(&mut f)?,
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

/// `{ pattern = "burst", base, peak, rise, hold, fall, every | at, offset }`.
fn burst(f: &mut Fields<'_>, t: &toml::Table) -> Result<Pattern, PatternError> {
    use PatternProblem as P;
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
    Ok(Pattern::Burst(b))
}

/// `{ pattern = "business-hours", peak, timezone, start, open, close, business, … }`.
fn business_hours(f: &mut Fields<'_>) -> Result<Pattern, PatternError> {
    use PatternProblem as P;
    let tz_name = f.str("timezone")?.unwrap_or("UTC");
    let tz: Tz = tz_name
        .parse()
        .map_err(|_| PatternError::at("timezone", P::UnknownTimeZone(tz_name.to_string())))?;
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
    Ok(Pattern::BusinessHours(BusinessHours {
        peak: f.need_rate("peak")?,
        tz,
        start,
        time_scale: positive(f.number("time_scale")?.or(Some(1.0)), "time_scale")?,
        weekday,
        weekend,
    }))
}

/// `{ pattern = "dca", batch, every, spread, offset, time_scale }`.
fn dca(f: &mut Fields<'_>) -> Result<Pattern, PatternError> {
    use PatternProblem as P;
    let scale = positive(f.number("time_scale")?.or(Some(1.0)), "time_scale")?;
    let batch = f
        .number("batch")?
        .ok_or_else(|| PatternError::at("batch", P::BatchRequired))?;
    let every = positive(f.secs("every")?, "every")? / scale;
    let spread = f.secs("spread")?.map_or(every, |s| s / scale);
    if spread <= 0.0 || spread > every {
        return Err(PatternError::at("spread", P::SpreadTooLong));
    }
    Ok(Pattern::Dca {
        batch,
        every,
        spread,
        offset: f.secs("offset")?.unwrap_or(0.0),
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
