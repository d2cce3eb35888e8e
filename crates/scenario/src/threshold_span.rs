//! The clauses that end a threshold expression and say *when* it is judged:
//!
//! - `over D`: the aggregate over every window of length D (sliding by one interval) must
//!   hold — "p95 over any 10 minutes stays under 1 s";
//! - `for D`: alert semantics (Prometheus's `for:`): fails when the condition was broken in
//!   every interval of a stretch at least D long — "error rate above 1% for 5 minutes";
//! - `from D`: intervals that start before D into the run are not judged (warm-up).
//!
//! `rate < 1% over 5m from 30s`: clauses follow the comparison in any order, each at most
//! once. Judging them is `loadgen_report`'s work.

use crate::threshold_terms::ThresholdError;
use crate::units::parse_duration;
use std::time::Duration;

/// Which window meaning a threshold has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// Every window of the length must hold.
    Over,
    /// Fails when broken in every interval of a stretch this long.
    For,
}

impl WindowKind {
    /// The word as written.
    pub fn word(self) -> &'static str {
        match self {
            WindowKind::Over => "over",
            WindowKind::For => "for",
        }
    }
}

/// A threshold's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `over` or `for`.
    pub kind: WindowKind,
    /// Its length.
    pub length: Duration,
}

/// The clauses found after the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clauses {
    /// `over D` / `for D`.
    pub window: Option<Window>,
    /// `from D`.
    pub from: Option<Duration>,
}

impl Clauses {
    /// No clause at all.
    pub fn is_empty(&self) -> bool {
        self.window.is_none() && self.from.is_none()
    }
}

/// Splits `expr` into its comparison and its trailing clauses (`over 5m`, `for 5m`,
/// `from 30s`, separated by spaces).
pub fn parse_clauses(expr: &str) -> Result<(&str, Clauses), ThresholdError> {
    let whole = expr.trim();
    let mut core = whole;
    let mut clauses = Clauses::default();
    while let Some((head, value)) = core.trim_end().rsplit_once(char::is_whitespace) {
        let Some((rest, word)) = head.trim_end().rsplit_once(char::is_whitespace) else {
            break;
        };
        let word = match word {
            "over" | "for" | "from" => word,
            _ => break,
        };
        let d = parse_duration(value)?;
        let twice = || ThresholdError::ClauseTwice(whole.to_string(), clause_name(word));
        if word == "from" {
            if clauses.from.replace(d).is_some() {
                return Err(twice());
            }
        } else {
            let kind = if word == "over" {
                WindowKind::Over
            } else {
                WindowKind::For
            };
            if d.is_zero() {
                return Err(ThresholdError::EmptyWindow(whole.to_string()));
            }
            match clauses.window.replace(Window { kind, length: d }) {
                Some(w) if w.kind == kind => return Err(twice()),
                Some(_) => return Err(ThresholdError::OverAndFor(whole.to_string())),
                None => {}
            }
        }
        core = rest;
    }
    Ok((core.trim(), clauses))
}

fn clause_name(word: &str) -> &'static str {
    match word {
        "over" => "over",
        "for" => "for",
        _ => "from",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_follow_the_comparison_in_any_order() {
        let (core, c) = parse_clauses("rate < 1% over 5m").unwrap();
        assert_eq!(core, "rate < 1%");
        assert_eq!(
            c.window,
            Some(Window {
                kind: WindowKind::Over,
                length: Duration::from_secs(300)
            })
        );
        let (core, c) = parse_clauses(" p(95) < 1000ms from 30s for 10m ").unwrap();
        assert_eq!(core, "p(95) < 1000ms");
        assert_eq!(c.from, Some(Duration::from_secs(30)));
        assert_eq!(c.window.unwrap().kind, WindowKind::For);
        let (core, c) = parse_clauses("rate > 16/s").unwrap();
        assert_eq!((core, c.is_empty()), ("rate > 16/s", true));
        assert!(parse_clauses("rate < 1% over 5m for 1m")
            .unwrap_err()
            .to_string()
            .contains("not both"));
        assert!(parse_clauses("rate < 1% from 1s from 2s")
            .unwrap_err()
            .to_string()
            .contains("twice"));
        assert!(parse_clauses("rate < 1% over 0").is_err());
        assert!(parse_clauses("rate < 1% over five").is_err());
    }
}
