//! Unit parsers for the scenario format: durations, rates and shares. Pure, never panic.

use std::time::Duration;

/// Parses `500ms`, `2m`, `1h30m`, `1.5s`, `250us`: one or more number+unit parts.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration: write e.g. 500ms, 2s or 1m30s".into());
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
            return Err(format!(
                "invalid duration \"{text}\": expected a number before \"{rest}\""
            ));
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| {
            format!(
                "invalid duration \"{text}\": \"{}\" is not a number",
                &rest[..num_len]
            )
        })?;
        rest = &rest[num_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => {
                return Err(format!(
                    "invalid duration \"{text}\": missing unit (write 500ms or 2s)"
                ))
            }
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            other => {
                return Err(format!(
                    "invalid duration \"{text}\": unknown unit \"{other}\" (use ms, s, m or h)"
                ))
            }
        };
        total += number * scale;
    }
    if !total.is_finite() || total > 1e9 {
        return Err(format!("invalid duration \"{text}\": too long"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Parses a rate `100/s`, `50/min`, `3000/h` (also `/sec`, `/m`, `/hour`) into per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let Some((n, unit)) = s.split_once('/') else {
        return Err(format!(
            "invalid rate \"{text}\": write it with a unit, e.g. 100/s or 50/min"
        ));
    };
    let n: f64 = n
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            format!(
                "invalid rate \"{text}\": \"{}\" is not a non-negative number",
                n.trim()
            )
        })?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        other => {
            return Err(format!(
                "invalid rate \"{text}\": unknown unit \"{other}\" (use /s, /min or /h)"
            ))
        }
    };
    Ok(n / per)
}

/// Parses a share: `2%`, `0.1%`, or a plain ratio `0.02`; must lie in 0..=1.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| format!("invalid share \"{text}\": write e.g. 2% or 0.02"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!(
            "invalid share \"{text}\": must be between 0% and 100%"
        ));
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
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
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
