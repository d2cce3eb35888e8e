//! The grammar of `rate = "50/s"`, `rate = { pattern = "…", … }` and `rate = { replay =
//! "FILE", … }`: each pattern's fields read by their kind, every problem of every field
//! collected (not only the first), each naming its sub-field (`stages[0].target`,
//! `parts[1].peak`) so validation reports it at that value. A field with a problem reads as
//! its default so the rest of the table is still checked; any problem fails the whole value.
//! Unknown keys never reach here from a scenario: the key walk reports them all with
//! [`fields_of`] and removes them; `Fields::finish` keeps the rule for a value read on its own.

use super::{Burst, BusinessHours, Pattern};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use loadgen_grammar::units::{parse_duration, parse_rate, UnitError};
use std::path::Path;

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
    #[error("unknown trace format `{0}` (use auto, csv, nginx or alb)")]
    UnknownTraceFormat(String),
    #[error("cannot read the trace {file}: {error}")]
    TraceRead { file: String, error: String },
    /// A problem inside a replayed trace, at its line.
    #[error("{file}:{line}: {message}")]
    Trace {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    TooCompressed(String),
    #[error("{file}: {more} more problems not shown")]
    TraceMore { file: String, more: usize },
}

impl PatternError {
    pub(super) fn at(field: impl Into<String>, problem: impl Into<PatternProblem>) -> Self {
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

/// The problems found so far in one `rate` value.
pub(super) type Problems = Vec<PatternError>;

/// Parses `rate = "50/s"` or a pattern table; a replayed file is read relative to the
/// current folder (see [`parse_in`]).
pub fn parse(v: &toml::Value) -> Result<Pattern, Vec<PatternError>> {
    parse_in(v, Path::new("."))
}

/// Parses `rate = "50/s"`, `rate = { pattern = "…", … }` or `rate = { replay = "FILE", … }`,
/// reading a replayed file relative to `base_dir` (the scenario's folder). Every problem is
/// returned, each naming its sub-field.
pub fn parse_in(v: &toml::Value, base_dir: &Path) -> Result<Pattern, Vec<PatternError>> {
    let mut bad = Problems::new();
    match value(v, base_dir, &mut bad) {
        Some(p) if bad.is_empty() => Ok(p),
        _ => Err(bad),
    }
}

/// One rate value; its problems go to `bad`.
fn value(v: &toml::Value, dir: &Path, bad: &mut Problems) -> Option<Pattern> {
    match v {
        toml::Value::String(s) => parse_rate(s)
            .map(Pattern::Constant)
            .map_err(|e| bad.push(PatternError::at("", e)))
            .ok(),
        toml::Value::Table(t) if t.contains_key("replay") && !t.contains_key("pattern") => {
            let mut f = Fields::new(t, "replay", bad);
            let p = super::replay::table(&mut f, dir);
            f.scaled(p)
        }
        toml::Value::Table(t) => parse_table(t, dir, bad),
        _ => {
            bad.push(PatternError::at("", PatternProblem::NotARate));
            None
        }
    }
}

/// The keys of a `rate = { pattern = "KIND", … }` table for each pattern (with `pattern`
/// and `scale`), and of `rate = { replay = … }` for `"replay"`; `None` for an unknown
/// pattern. The scenario's key walk reports any other key.
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
        "replay" => &super::replay::FIELDS,
        _ => return None,
    })
}

/// The keys of one entry of `stages = [{…}]`.
pub const STAGE_FIELDS: [&str; 2] = ["duration", "target"];
/// The keys of one entry of `steps = [{…}]`.
pub const STEP_FIELDS: [&str; 2] = ["at", "rate"];

/// The fields of one pattern table as they are read: each getter records its key (for
/// [`Fields::finish`]) and reports a bad value to `bad`, answering `None` for a value that is
/// absent or bad, so the caller's default keeps the rest of the table checked.
pub(super) struct Fields<'a, 'b> {
    t: &'a toml::Table,
    kind: &'a str,
    used: Vec<&'static str>,
    pub(super) bad: &'b mut Problems,
}

impl<'a, 'b> Fields<'a, 'b> {
    fn new(t: &'a toml::Table, kind: &'a str, bad: &'b mut Problems) -> Self {
        let used = if kind == "replay" {
            vec!["replay", "scale"]
        } else {
            vec!["pattern", "scale"]
        };
        Fields { t, kind, used, bad }
    }
    pub(super) fn fail<T>(
        &mut self,
        field: impl Into<String>,
        p: impl Into<PatternProblem>,
    ) -> Option<T> {
        self.bad.push(PatternError::at(field, p));
        None
    }
    /// Whether the table gives `k` (recording nothing).
    pub(super) fn has(&self, k: &str) -> bool {
        self.t.contains_key(k)
    }
    pub(super) fn get(&mut self, k: &'static str) -> Option<&'a toml::Value> {
        self.used.push(k);
        self.t.get(k)
    }
    pub(super) fn str(&mut self, k: &'static str) -> Option<&'a str> {
        match self.get(k)? {
            toml::Value::String(s) => Some(s),
            _ => self.fail(k, PatternProblem::ExpectedString),
        }
    }
    fn rate(&mut self, k: &'static str) -> Option<f64> {
        let s = self.str(k)?;
        parse_rate(s).map_err(|e| self.fail::<()>(k, e)).ok()
    }
    /// A rate the pattern cannot do without.
    fn need_rate(&mut self, k: &'static str) -> Option<f64> {
        if !self.t.contains_key(k) {
            let kind = self.kind.to_string();
            return self.fail(k, PatternProblem::RequiredFor(kind));
        }
        self.rate(k)
    }
    pub(super) fn secs(&mut self, k: &'static str) -> Option<f64> {
        let s = self.str(k)?;
        parse_duration(s)
            .map(|d| d.as_secs_f64())
            .map_err(|e| self.fail::<()>(k, e))
            .ok()
    }
    pub(super) fn number(&mut self, k: &'static str) -> Option<f64> {
        match self.get(k)? {
            toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f),
            toml::Value::Integer(i) if *i >= 0 => Some(*i as f64),
            _ => self.fail(k, PatternProblem::ExpectedNonNegative),
        }
    }
    /// A positive value read by `read` (`number` or `secs`); `default` when absent, a
    /// problem when absent without one.
    pub(super) fn positive(
        &mut self,
        k: &'static str,
        read: fn(&mut Self, &'static str) -> Option<f64>,
        default: Option<f64>,
    ) -> Option<f64> {
        if !self.t.contains_key(k) {
            return match default {
                Some(d) => Some(d),
                None => self.fail(k, PatternProblem::Required),
            };
        }
        match read(self, k)? {
            x if x > 0.0 => Some(x),
            _ => self.fail(k, PatternProblem::MustBePositive),
        }
    }
    /// `p` under the table's `scale`, after every key was checked.
    fn scaled(mut self, p: Option<Pattern>) -> Option<Pattern> {
        let scale = self.number("scale");
        self.finish();
        let p = p?;
        Some(match scale {
            Some(k) => Pattern::Scaled(k, Box::new(p)),
            None => p,
        })
    }
    fn finish(self) {
        for k in self.t.keys() {
            if !self.used.contains(&k.as_str()) {
                self.bad.push(PatternError::at(
                    k.as_str(),
                    PatternProblem::UnknownField {
                        kind: self.kind.to_string(),
                        known: self.used.join(", "),
                    },
                ));
            }
        }
    }
}

/// `(duration, rate)` of one entry of `stages` or `steps`, under the entry's field path;
/// both fields are checked.
fn timed_rate(
    v: &toml::Value,
    at: &str,
    (time_key, rate_key): (&'static str, &'static str),
    bad: &mut Problems,
) -> Option<(f64, f64)> {
    let d = field_str(v, time_key)
        .and_then(|s| parse_duration(s).map_err(PatternProblem::from))
        .map_err(|e| bad.push(PatternError::at(format!("{at}.{time_key}"), e)))
        .ok();
    let r = field_str(v, rate_key)
        .and_then(|s| parse_rate(s).map_err(PatternProblem::from))
        .map_err(|e| bad.push(PatternError::at(format!("{at}.{rate_key}"), e)))
        .ok();
    Some((d?.as_secs_f64(), r?))
}

fn parse_table(t: &toml::Table, dir: &Path, bad: &mut Problems) -> Option<Pattern> {
    use PatternProblem as P;
    let kind = match t.get("pattern") {
        Some(toml::Value::String(s)) => s.as_str(),
        _ => {
            bad.push(PatternError::at("pattern", P::PatternRequired));
            return None;
        }
    };
    if fields_of(kind).is_none() || kind == "replay" {
        bad.push(PatternError::at(
            "pattern",
            P::UnknownPattern(kind.to_string()),
        ));
        return None;
    }
    let mut f = Fields::new(t, kind, bad);
    let p = match kind {
        "constant" => f.need_rate("rate").map(Pattern::Constant),
        "stages" | "ramp" => {
            let start = f.rate("start").unwrap_or(0.0);
            let v = f.get("stages");
            list(v, "stages", f.bad, |i, v, bad| {
                timed_rate(v, &format!("stages[{i}]"), ("duration", "target"), bad)
            })
            .map(|stages| Pattern::Stages { start, stages })
        }
        "steps" => {
            let v = f.get("steps");
            list(v, "steps", f.bad, |i, v, bad| {
                timed_rate(v, &format!("steps[{i}]"), ("at", "rate"), bad)
            })
            .map(|mut steps| {
                steps.sort_by(|a, b| a.0.total_cmp(&b.0));
                Pattern::Steps(steps)
            })
        }
        "sine" => {
            let base = f.need_rate("base");
            let amplitude = f.need_rate("amplitude");
            let period = f.positive("period", Fields::secs, None);
            let phase = f.secs("phase").unwrap_or(0.0);
            Some(Pattern::Sine {
                base: base?,
                amplitude: amplitude?,
                period: period?,
                phase,
            })
        }
        "burst" => burst(&mut f),
        "business-hours" => business_hours(&mut f),
        "dca" => dca(&mut f),
        _ => {
            // "sum": each part is a rate value of its own, its problems under `parts[i]`.
            let v = f.get("parts");
            list(v, "parts", f.bad, |i, v, bad| {
                let mut inner = Problems::new();
                let p = value(v, dir, &mut inner);
                let at = format!("parts[{i}]");
                bad.extend(inner.into_iter().map(|e| e.inside(&at)));
                p
            })
            .map(Pattern::Sum)
        }
    };
    f.scaled(p)
}

/// `{ pattern = "burst", base, peak, rise, hold, fall, every | at, offset }`.
fn burst(f: &mut Fields<'_, '_>) -> Option<Pattern> {
    use PatternProblem as P;
    let base = f.need_rate("base");
    let peak = f.need_rate("peak");
    let rise = f.secs("rise").unwrap_or(1.0);
    let hold = f.secs("hold").unwrap_or(5.0);
    let fall = f.secs("fall").unwrap_or(1.0);
    let every_given = f.t.contains_key("every");
    let every = f.positive("every", Fields::secs, Some(0.0));
    let offset = f.secs("offset").unwrap_or(0.0);
    let at = match f.get("at") {
        None => Some(Vec::new()),
        v => list(v, "at", f.bad, |i, v, bad| match v {
            toml::Value::String(s) => parse_duration(s)
                .map(|d| d.as_secs_f64())
                .map_err(|e| bad.push(PatternError::at(format!("at[{i}]"), e)))
                .ok(),
            _ => {
                bad.push(PatternError::at(format!("at[{i}]"), P::ExpectedDuration));
                None
            }
        }),
    };
    if !every_given && at.as_ref().is_some_and(Vec::is_empty) {
        f.fail::<()>("burst", P::BurstNeedsEveryOrAt);
    }
    Some(Pattern::Burst(Burst {
        base: base?,
        peak: peak?,
        rise,
        hold,
        fall,
        every: if every_given { Some(every?) } else { None },
        offset,
        at: at?,
    }))
}

/// `{ pattern = "business-hours", peak, timezone, start, open, close, business, … }`.
fn business_hours(f: &mut Fields<'_, '_>) -> Option<Pattern> {
    use PatternProblem as P;
    let tz_name = f.str("timezone").unwrap_or("UTC");
    let tz = match tz_name.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => f.fail("timezone", P::UnknownTimeZone(tz_name.to_string())),
    };
    let start = match f.str("start") {
        Some(s) => match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
            Ok(d) => Some(d),
            Err(_) => f.fail("start", P::NotALocalDateTime(s.to_string())),
        },
        None => NaiveDateTime::parse_from_str("2026-11-23T00:00:00", "%Y-%m-%dT%H:%M:%S").ok(),
    };
    let business = f.number("business").unwrap_or(0.8);
    let after = f.number("after_hours").unwrap_or(0.2);
    let weekend = f.number("weekend").unwrap_or(0.1);
    let open = f.number("open").unwrap_or(9.0) as usize;
    let close = f.number("close").unwrap_or(17.0) as usize;
    let mut weekday = [after; 24];
    if open >= close || close > 24 {
        f.fail::<()>("open/close", P::OpenClose);
    } else {
        weekday[open..close].fill(business);
    }
    if let Some(hours) = f.get("hours") {
        let hs = list(Some(hours), "hours", f.bad, |i, v, bad| match v {
            toml::Value::Float(x) if *x >= 0.0 => Some(*x),
            toml::Value::Integer(x) if *x >= 0 => Some(*x as f64),
            _ => {
                bad.push(PatternError::at(
                    format!("hours[{i}]"),
                    P::ExpectedNonNegative,
                ));
                None
            }
        });
        match hs {
            Some(hs) if hs.len() == 24 => weekday.copy_from_slice(&hs),
            Some(hs) => {
                f.fail::<()>("hours", P::NotTwentyFourHours(hs.len()));
            }
            None => {}
        }
    }
    let peak = f.need_rate("peak");
    let time_scale = f.positive("time_scale", Fields::number, Some(1.0));
    Some(Pattern::BusinessHours(BusinessHours {
        peak: peak?,
        tz: tz?,
        start: start?,
        time_scale: time_scale?,
        weekday,
        weekend,
    }))
}

/// `{ pattern = "dca", batch, every, spread, offset, time_scale }`.
fn dca(f: &mut Fields<'_, '_>) -> Option<Pattern> {
    use PatternProblem as P;
    let scale = f.positive("time_scale", Fields::number, Some(1.0));
    let batch = match f.t.contains_key("batch") {
        true => f.number("batch"),
        false => f.fail("batch", P::BatchRequired),
    };
    let every = f.positive("every", Fields::secs, None);
    let spread = f.secs("spread");
    let offset = f.secs("offset").unwrap_or(0.0);
    let scale = scale?;
    let every = every? / scale;
    let spread = spread.map_or(every, |s| s / scale);
    if spread <= 0.0 || spread > every {
        return f.fail("spread", P::SpreadTooLong);
    }
    Some(Pattern::Dca {
        batch: batch?,
        every,
        spread,
        offset,
    })
}

/// The string `k` of a list entry; the caller names the entry's field.
fn field_str<'a>(v: &'a toml::Value, k: &'static str) -> Result<&'a str, PatternProblem> {
    v.get(k)
        .and_then(|x| x.as_str())
        .ok_or(PatternProblem::ExpectedStringField(k))
}

/// A non-empty list whose every entry is read by `item` (all of them, problems to `bad`).
fn list<T>(
    v: Option<&toml::Value>,
    name: &str,
    bad: &mut Problems,
    item: impl Fn(usize, &toml::Value, &mut Problems) -> Option<T>,
) -> Option<Vec<T>> {
    match v {
        Some(toml::Value::Array(a)) if !a.is_empty() => {
            let all: Vec<Option<T>> = a.iter().enumerate().map(|(i, x)| item(i, x, bad)).collect();
            all.into_iter().collect()
        }
        _ => {
            bad.push(PatternError::at(name, PatternProblem::RequiredList));
            None
        }
    }
}
