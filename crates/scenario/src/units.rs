//! The units of a scenario file: durations (`1h30m`, `1.5s`, `250us`), rates (`50/min`,
//! `100/s`, `100/10s`) and ratios (`2%`, `0.1%`, `0.05`).
//!
//! Every parser is total: any input gives a value or a [`UnitError`], never a panic. Numbers
//! are plain decimals (`12`, `1.5`, `.5`); signs, exponents, `inf` and `NaN` are rejected, so
//! nothing negative or infinite gets through. A number without a unit is an error: a bare
//! `500` could mean milliseconds or seconds, and guessing is how load tests lie.

use std::fmt;
use std::time::Duration;

/// A value that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    what: &'static str,
    input: String,
    reason: String,
}

impl UnitError {
    fn new(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        UnitError {
            what,
            input: input.to_string(),
            reason: reason.into(),
        }
    }

    /// Why the value was rejected, without the `invalid … "…":` prefix.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {:?}: {}", self.what, self.input, self.reason)
    }
}

impl std::error::Error for UnitError {}

/// Reads a plain non-negative decimal (`12`, `1.5`, `.5`, `3.`).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let dots = s.bytes().filter(|b| *b == b'.').count();
    if digits == 0 || dots > 1 || digits + dots != s.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a duration: one or more `NUMBER UNIT` parts, units `us` (or `µs`), `ms`, `s`, `m`,
/// `h`; `1h30m`, `1.5s`, `250us`, `90s`. Rounded to the nanosecond.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let err = |reason: String| UnitError::new("duration", s, reason);
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(err("empty: write 500ms or 2s".into()));
    }
    let mut nanos = 0f64;
    let mut first = true;
    while !rest.is_empty() {
        if rest.starts_with('-') {
            return Err(err("negative durations are not allowed".into()));
        }
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(n);
        if num.is_empty() {
            return Err(err(format!("expected a number at {rest:?}")));
        }
        let value = parse_number(num).ok_or_else(|| err(format!("{num:?} is not a number")))?;
        let u = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(u);
        let unit = unit.trim();
        let scale = match unit {
            "" if first && next.is_empty() => {
                return Err(err("missing unit: write 500ms or 2s".into()))
            }
            "" => return Err(err(format!("missing unit after {num}"))),
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(err(format!(
                    "unknown unit {other:?} (use us, ms, s, m or h)"
                )))
            }
        };
        nanos += value * scale;
        rest = next.trim_start();
        first = false;
    }
    // u64 nanoseconds reach 584 years; anything near that is a typo, not a test.
    if nanos >= u64::MAX as f64 {
        return Err(err("too long".into()));
    }
    Ok(Duration::from_nanos(nanos.round() as u64))
}

/// Parses a rate into events per second: `100/s`, `16/sec`, `50/min`, `3000/h`, `1.5/s`, or a
/// count per duration such as `100/10s`.
pub fn parse_rate(s: &str) -> Result<f64, UnitError> {
    let err = |reason: String| UnitError::new("rate", s, reason);
    let t = s.trim();
    let Some((num, unit)) = t.split_once('/') else {
        return Err(match parse_number(t) {
            Some(_) => err(format!("missing unit: write {t}/s or {t}/min")),
            None => err("expected a count per time unit, such as 50/s or 300/min".into()),
        });
    };
    let (num, unit) = (num.trim(), unit.trim());
    if num.starts_with('-') {
        return Err(err("negative rates are not allowed".into()));
    }
    let count = parse_number(num).ok_or_else(|| err(format!("{num:?} is not a number")))?;
    let per_secs = match unit {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hr" | "hour" => 3600.0,
        u if u.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {
            let d = parse_duration(u).map_err(|e| err(e.reason().to_string()))?;
            if d.is_zero() {
                return Err(err("the time unit must be longer than zero".into()));
            }
            d.as_secs_f64()
        }
        "" => return Err(err(format!("missing unit after \"/\": write {num}/s"))),
        other => return Err(err(format!("unknown unit {other:?} (use /s, /min or /h)"))),
    };
    let rate = count / per_secs;
    if !rate.is_finite() {
        return Err(err("too large".into()));
    }
    Ok(rate)
}

/// Parses a ratio into `0.0..=1.0`: a percentage (`2%`, `0.1%`, `99.9%`) or a plain number
/// from 0 to 1 (`0.05`).
pub fn parse_ratio(s: &str) -> Result<f64, UnitError> {
    let err = |reason: &str| UnitError::new("ratio", s, reason);
    let t = s.trim();
    if t.starts_with('-') {
        return Err(err("negative ratios are not allowed"));
    }
    if let Some(p) = t.strip_suffix('%') {
        let v = parse_number(p.trim()).ok_or_else(|| err("expected a percentage such as 2%"))?;
        if v > 100.0 {
            return Err(err("a percentage is at most 100%"));
        }
        return Ok(v / 100.0);
    }
    let v = parse_number(t)
        .ok_or_else(|| err("expected a percentage such as 2%, or a number from 0 to 1"))?;
    if v > 1.0 {
        return Err(err(
            "a ratio is a number from 0 to 1; for a percentage add % (2%)",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Duration {
        parse_duration(s).unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(d("500ms"), Duration::from_millis(500));
        assert_eq!(d("2m"), Duration::from_secs(120));
        assert_eq!(d("1h30m"), Duration::from_secs(5400));
        assert_eq!(d("1.5s"), Duration::from_millis(1500));
        assert_eq!(d("250us"), Duration::from_micros(250));
        assert_eq!(d("250µs"), Duration::from_micros(250));
        assert_eq!(d("90s"), Duration::from_secs(90));
        assert_eq!(d(" 1m 30s "), Duration::from_secs(90));
        assert_eq!(d("0s"), Duration::ZERO);
        assert_eq!(d(".5s"), Duration::from_millis(500));
    }

    #[test]
    fn duration_errors_say_what_to_write() {
        let e = |s: &str| parse_duration(s).unwrap_err().to_string();
        assert_eq!(
            e("500"),
            r#"invalid duration "500": missing unit: write 500ms or 2s"#
        );
        assert_eq!(
            e("5sec"),
            r#"invalid duration "5sec": unknown unit "sec" (use us, ms, s, m or h)"#
        );
        assert_eq!(
            e("1h30"),
            r#"invalid duration "1h30": missing unit after 30"#
        );
        assert_eq!(
            e("-1s"),
            r#"invalid duration "-1s": negative durations are not allowed"#
        );
        assert_eq!(e(""), r#"invalid duration "": empty: write 500ms or 2s"#);
        assert_eq!(
            e("1.2.3s"),
            r#"invalid duration "1.2.3s": "1.2.3" is not a number"#
        );
        assert_eq!(
            e("ms"),
            r#"invalid duration "ms": expected a number at "ms""#
        );
        assert!(e("99999999999999999999h").ends_with("too long"));
    }

    #[test]
    fn rates() {
        let r = |s: &str| parse_rate(s).unwrap();
        assert_eq!(r("100/s"), 100.0);
        assert_eq!(r("50/min"), 50.0 / 60.0);
        assert_eq!(r("3000/h"), 3000.0 / 3600.0);
        assert_eq!(r("16/sec"), 16.0);
        assert_eq!(r("1.5/s"), 1.5);
        assert_eq!(r("0/s"), 0.0);
        assert_eq!(r("100/10s"), 10.0);
        assert_eq!(r(" 20 / s "), 20.0);
    }

    #[test]
    fn rate_errors() {
        let e = |s: &str| parse_rate(s).unwrap_err().to_string();
        assert_eq!(
            e("50/mn"),
            r#"invalid rate "50/mn": unknown unit "mn" (use /s, /min or /h)"#
        );
        assert_eq!(
            e("50"),
            r#"invalid rate "50": missing unit: write 50/s or 50/min"#
        );
        assert_eq!(
            e("-5/s"),
            r#"invalid rate "-5/s": negative rates are not allowed"#
        );
        assert_eq!(
            e("5/0s"),
            r#"invalid rate "5/0s": the time unit must be longer than zero"#
        );
        assert_eq!(
            e("fast"),
            r#"invalid rate "fast": expected a count per time unit, such as 50/s or 300/min"#
        );
    }

    #[test]
    fn ratios() {
        let r = |s: &str| parse_ratio(s).unwrap();
        assert_eq!(r("2%"), 0.02);
        assert_eq!(r("0.1%"), 0.001);
        assert_eq!(r("100%"), 1.0);
        assert_eq!(r("0.05"), 0.05);
        assert_eq!(r("1"), 1.0);
        let e = |s: &str| parse_ratio(s).unwrap_err().to_string();
        assert_eq!(
            e("5"),
            r#"invalid ratio "5": a ratio is a number from 0 to 1; for a percentage add % (2%)"#
        );
        assert_eq!(
            e("101%"),
            r#"invalid ratio "101%": a percentage is at most 100%"#
        );
    }
}
