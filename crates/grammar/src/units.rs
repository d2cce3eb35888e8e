//! Unit parsers for the scenario format: durations, rates and shares. Pure, never panic.

use std::time::Duration;

/// Why a duration, rate or share does not parse; each message quotes the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("empty duration: write e.g. 500ms, 2s or 1m30s")]
    EmptyDuration,
    #[error("invalid duration \"{text}\": expected a number before \"{rest}\"")]
    DurationNoNumber { text: String, rest: String },
    #[error("invalid duration \"{text}\": \"{number}\" is not a number")]
    DurationNotANumber { text: String, number: String },
    #[error("invalid duration \"{0}\": missing unit (write 500ms or 2s)")]
    DurationNoUnit(String),
    #[error("invalid duration \"{text}\": unknown unit \"{unit}\" (use ms, s, m or h)")]
    DurationUnknownUnit { text: String, unit: String },
    #[error("invalid duration \"{0}\": too long")]
    DurationTooLong(String),
    #[error("invalid rate \"{0}\": write it with a unit, e.g. 100/s or 50/min")]
    RateNoUnit(String),
    #[error("invalid rate \"{text}\": \"{number}\" is not a non-negative number")]
    RateNotANumber { text: String, number: String },
    #[error("invalid rate \"{text}\": unknown unit \"{unit}\" (use /s, /min or /h)")]
    RateUnknownUnit { text: String, unit: String },
    #[error("invalid share \"{0}\": write e.g. 2% or 0.02")]
    ShareNotANumber(String),
    #[error("invalid share \"{0}\": must be between 0% and 100%")]
    ShareOutOfRange(String),
}

/// Parses `500ms`, `2m`, `1h30m`, `1.5s`, `250us`: one or more number+unit parts.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(UnitError::EmptyDuration);
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map_or(rest.len(), |(i, _)| i);
        if num_len == 0 {
            return Err(UnitError::DurationNoNumber {
                text: text.to_string(),
                rest: rest.to_string(),
            });
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| UnitError::DurationNotANumber {
                text: text.to_string(),
                number: rest[..num_len].to_string(),
            })?;
        rest = &rest[num_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => return Err(UnitError::DurationNoUnit(text.to_string())),
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            other => {
                return Err(UnitError::DurationUnknownUnit {
                    text: text.to_string(),
                    unit: other.to_string(),
                })
            }
        };
        total += number * scale;
    }
    if !total.is_finite() || total > 1e9 {
        return Err(UnitError::DurationTooLong(text.to_string()));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Parses a rate `100/s`, `50/min`, `3000/h` (also `/sec`, `/m`, `/hour`) into per second.
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    let s = text.trim();
    let Some((n, unit)) = s.split_once('/') else {
        return Err(UnitError::RateNoUnit(text.to_string()));
    };
    let n: f64 = n
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| UnitError::RateNotANumber {
            text: text.to_string(),
            number: n.trim().to_string(),
        })?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        other => {
            return Err(UnitError::RateUnknownUnit {
                text: text.to_string(),
                unit: other.to_string(),
            })
        }
    };
    Ok(n / per)
}

/// Parses a share: `2%`, `0.1%`, or a plain ratio `0.02`; must lie in 0..=1.
pub fn parse_share(text: &str) -> Result<f64, UnitError> {
    let s = text.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| UnitError::ShareNotANumber(text.to_string()))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(UnitError::ShareOutOfRange(text.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert!(parse_duration("10")
            .unwrap_err()
            .to_string()
            .contains("missing unit"));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("1..2s").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("100/s").unwrap(), 100.0);
        assert_eq!(parse_rate("60/min").unwrap(), 1.0);
        assert_eq!(parse_rate("3600/h").unwrap(), 1.0);
        assert!(parse_rate("50/mn")
            .unwrap_err()
            .to_string()
            .contains("unknown unit \"mn\""));
        assert!(parse_rate("50").is_err());
        assert!(parse_rate("-5/s").is_err());
    }

    #[test]
    fn shares() {
        assert_eq!(parse_share("2%").unwrap(), 0.02);
        assert_eq!(parse_share("0.5").unwrap(), 0.5);
        assert!(parse_share("120%").is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".*") {
            let _ = parse_duration(&s);
            let _ = parse_rate(&s);
            let _ = parse_share(&s);
        }
    }
}
