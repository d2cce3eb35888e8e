//! A tiny duration parser: "0", "500us", "5ms", "1.5s", "2m".

use std::time::Duration;

/// Why a duration string did not parse; each message quotes the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} does not start with a number")]
    NoNumber(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("{0:?} has no unit (use ns, us, ms, s or m)")]
    NoUnit(String),
    #[error("unknown unit {0:?} (use ns, us, ms, s or m)")]
    UnknownUnit(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
}

/// Parses a non-negative number followed by one of `ns`, `us` (or `µs`), `ms`, `s`, `m`.
/// A bare `0` is accepted; any other number needs a unit.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(DurationError::NoNumber(s.to_string()));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError::NotANumber(number.to_string()))?;
    let nanos_per_unit = match unit {
        "" if value == 0.0 => 0.0,
        "" => return Err(DurationError::NoUnit(s.to_string())),
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        other => return Err(DurationError::UnknownUnit(other.to_string())),
    };
    let nanos = value * nanos_per_unit;
    if !nanos.is_finite() || nanos > u64::MAX as f64 {
        return Err(DurationError::TooLarge(s.to_string()));
    }
    Ok(Duration::from_nanos(nanos.round() as u64))
}

/// Formats a duration in the largest unit that represents it exactly ("5ms", "1500us").
pub(crate) fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    for (unit, size) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if nanos != 0 && nanos % size == 0 {
            return format!("{}{unit}", nanos / size);
        }
    }
    if nanos == 0 {
        "0".to_string()
    } else {
        format!("{nanos}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_duration("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ns"), Ok(Duration::from_nanos(250)));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "5", "ms", "-5ms", "5 hours", "1.2.3s", "5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in ["0", "5ms", "1500us", "2s", "250ns"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }
}
