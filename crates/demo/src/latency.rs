//! Injected service latency: the model (parsed from the command line) and its sampler.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::duration::{format_duration, parse_duration, DurationError};
use crate::DemoError;

/// The standard normal quantile at 0.99: `p99 = median * exp(Z99 * sigma)`.
const Z99: f64 = 2.326_347_874_040_841;

/// Longest delay ever injected; a heavy lognormal tail is cut here.
const MAX_DELAY: Duration = Duration::from_secs(60);

/// Delay added to each API request before it is answered.
///
/// Parsed from `"0"` (or `"none"`), a duration (`"5ms"`), `"uniform:1ms..20ms"` or
/// `"lognormal:median=5ms,p99=50ms"`. `Display` writes the same syntax back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatencyModel {
    #[default]
    None,
    Fixed(Duration),
    Uniform {
        min: Duration,
        max: Duration,
    },
    /// Lognormal with the given median and 99th percentile (`p99 > median > 0`).
    LogNormal {
        median: Duration,
        p99: Duration,
    },
}

/// Why a latency model is not one: a syntax error or an impossible distribution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LatencyError {
    #[error("empty")]
    Empty,
    #[error("uniform needs a range MIN..MAX")]
    NoRange,
    #[error("expected KEY=DURATION, got {0:?}")]
    NotKeyValue(String),
    #[error("unknown lognormal parameter {0:?}")]
    UnknownParameter(String),
    #[error("{0} given twice")]
    GivenTwice(String),
    #[error("lognormal needs median=")]
    NoMedian,
    #[error("lognormal needs p99=")]
    NoP99,
    #[error(transparent)]
    Duration(#[from] DurationError),
    #[error(
        "uniform minimum {} exceeds maximum {}",
        format_duration(*.min),
        format_duration(*.max)
    )]
    MinAboveMax { min: Duration, max: Duration },
    #[error("lognormal median must be greater than 0")]
    ZeroMedian,
    #[error(
        "lognormal p99 ({}) must be greater than the median ({})",
        format_duration(*.p99),
        format_duration(*.median)
    )]
    P99NotAboveMedian { median: Duration, p99: Duration },
    #[error(transparent)]
    Distribution(#[from] rand_distr::NormalError),
}

impl LatencyModel {
    /// Checks the invariants `FromStr` enforces, for models built in code.
    pub fn validate(&self) -> Result<(), LatencyError> {
        match *self {
            LatencyModel::Uniform { min, max } if min > max => {
                Err(LatencyError::MinAboveMax { min, max })
            }
            LatencyModel::LogNormal { median, .. } if median.is_zero() => {
                Err(LatencyError::ZeroMedian)
            }
            LatencyModel::LogNormal { median, p99 } if p99 <= median => {
                Err(LatencyError::P99NotAboveMedian { median, p99 })
            }
            _ => Ok(()),
        }
    }

    /// Parses the trimmed syntax; [`FromStr`] adds the input to the error.
    fn parse(s: &str) -> Result<Self, LatencyError> {
        let model = if s.is_empty() {
            return Err(LatencyError::Empty);
        } else if s == "0" || s.eq_ignore_ascii_case("none") {
            LatencyModel::None
        } else if let Some(range) = s.strip_prefix("uniform:") {
            let (min, max) = range.split_once("..").ok_or(LatencyError::NoRange)?;
            LatencyModel::Uniform {
                min: parse_duration(min)?,
                max: parse_duration(max)?,
            }
        } else if let Some(params) = s.strip_prefix("lognormal:") {
            let (mut median, mut p99) = (None, None);
            for part in params.split(',') {
                let (key, value) = part
                    .split_once('=')
                    .ok_or_else(|| LatencyError::NotKeyValue(part.to_string()))?;
                let slot = match key.trim() {
                    "median" => &mut median,
                    "p99" => &mut p99,
                    other => return Err(LatencyError::UnknownParameter(other.to_string())),
                };
                if slot.replace(parse_duration(value)?).is_some() {
                    return Err(LatencyError::GivenTwice(key.trim().to_string()));
                }
            }
            LatencyModel::LogNormal {
                median: median.ok_or(LatencyError::NoMedian)?,
                p99: p99.ok_or(LatencyError::NoP99)?,
            }
        } else {
            match parse_duration(s)? {
                d if d.is_zero() => LatencyModel::None,
                d => LatencyModel::Fixed(d),
            }
        };
        model.validate()?;
        Ok(model)
    }
}

impl FromStr for LatencyModel {
    type Err = DemoError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        LatencyModel::parse(input.trim()).map_err(|reason| DemoError::InvalidLatency {
            input: input.to_string(),
            reason,
        })
    }
}

impl fmt::Display for LatencyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LatencyModel::None => f.write_str("0"),
            LatencyModel::Fixed(d) => f.write_str(&format_duration(d)),
            LatencyModel::Uniform { min, max } => {
                write!(
                    f,
                    "uniform:{}..{}",
                    format_duration(min),
                    format_duration(max)
                )
            }
            LatencyModel::LogNormal { median, p99 } => write!(
                f,
                "lognormal:median={},p99={}",
                format_duration(median),
                format_duration(p99)
            ),
        }
    }
}

/// A validated model ready to sample; immutable, shared by all connections.
#[derive(Debug, Clone)]
pub(crate) enum LatencySampler {
    None,
    Fixed(Duration),
    Uniform { min_ns: u64, max_ns: u64 },
    LogNormal(LogNormal<f64>),
}

impl LatencySampler {
    pub(crate) fn new(model: LatencyModel) -> Result<Self, LatencyError> {
        model.validate()?;
        Ok(match model {
            LatencyModel::None => LatencySampler::None,
            LatencyModel::Fixed(d) if d.is_zero() => LatencySampler::None,
            LatencyModel::Fixed(d) => LatencySampler::Fixed(d.min(MAX_DELAY)),
            LatencyModel::Uniform { min, max } => LatencySampler::Uniform {
                min_ns: nanos(min.min(MAX_DELAY)),
                max_ns: nanos(max.min(MAX_DELAY)),
            },
            LatencyModel::LogNormal { median, p99 } => {
                let mu = median.as_secs_f64().ln();
                let sigma = (p99.as_secs_f64().ln() - mu) / Z99;
                LatencySampler::LogNormal(LogNormal::new(mu, sigma)?)
            }
        })
    }

    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        match *self {
            LatencySampler::None => Duration::ZERO,
            LatencySampler::Fixed(d) => d,
            LatencySampler::Uniform { min_ns, max_ns } => {
                Duration::from_nanos(rng.random_range(min_ns..=max_ns))
            }
            LatencySampler::LogNormal(ref dist) => {
                let secs = dist.sample(rng).min(MAX_DELAY.as_secs_f64());
                Duration::from_secs_f64(secs.max(0.0))
            }
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parses_good_inputs() {
        let cases = [
            ("0", LatencyModel::None),
            ("none", LatencyModel::None),
            ("0ms", LatencyModel::None),
            ("5ms", LatencyModel::Fixed(ms(5))),
            ("1.5s", LatencyModel::Fixed(ms(1500))),
            (
                "uniform:1ms..20ms",
                LatencyModel::Uniform {
                    min: ms(1),
                    max: ms(20),
                },
            ),
            (
                "uniform:5ms..5ms",
                LatencyModel::Uniform {
                    min: ms(5),
                    max: ms(5),
                },
            ),
            (
                "lognormal:median=5ms,p99=50ms",
                LatencyModel::LogNormal {
                    median: ms(5),
                    p99: ms(50),
                },
            ),
            (
                "lognormal:p99=1s, median=500us",
                LatencyModel::LogNormal {
                    median: Duration::from_micros(500),
                    p99: ms(1000),
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<LatencyModel>().unwrap(), want, "{input}");
        }
    }

    #[test]
    fn rejects_bad_inputs_with_reasons() {
        let cases = [
            ("", "empty"),
            ("5", "no unit"),
            ("fast", "does not start with a number"),
            ("5parsecs", "unknown unit"),
            ("uniform:1ms-20ms", "MIN..MAX"),
            ("uniform:20ms..1ms", "exceeds maximum"),
            ("lognormal:median=5ms", "needs p99"),
            ("lognormal:p99=5ms", "needs median"),
            (
                "lognormal:median=5ms,p99=5ms",
                "must be greater than the median",
            ),
            (
                "lognormal:median=0,p99=5ms",
                "median must be greater than 0",
            ),
            (
                "lognormal:median=5ms,p95=9ms",
                "unknown lognormal parameter",
            ),
            ("lognormal:median=5ms,median=6ms,p99=9ms", "given twice"),
            ("lognormal:5ms", "KEY=DURATION"),
        ];
        for (input, reason) in cases {
            let msg = input.parse::<LatencyModel>().unwrap_err().to_string();
            assert!(msg.contains(reason), "{input:?}: {msg}");
            assert!(msg.contains(&format!("{input:?}")), "{input:?}: {msg}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "0",
            "5ms",
            "uniform:1ms..20ms",
            "lognormal:median=5ms,p99=50ms",
        ] {
            assert_eq!(s.parse::<LatencyModel>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn lognormal_median_and_p99_match_parameters() {
        let model = LatencyModel::LogNormal {
            median: ms(5),
            p99: ms(50),
        };
        let sampler = LatencySampler::new(model).unwrap();
        let mut rng = SmallRng::seed_from_u64(42);
        let mut samples: Vec<Duration> = (0..20_000).map(|_| sampler.sample(&mut rng)).collect();
        samples.sort();
        let median = samples[samples.len() / 2].as_secs_f64();
        assert!((median / 0.005 - 1.0).abs() < 0.15, "median {median}");
        let p99 = samples[samples.len() * 99 / 100].as_secs_f64();
        assert!((p99 / 0.050 - 1.0).abs() < 0.25, "p99 {p99}");
    }

    #[test]
    fn uniform_stays_in_range() {
        let sampler = LatencySampler::new(LatencyModel::Uniform {
            min: ms(1),
            max: ms(20),
        })
        .unwrap();
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..10_000 {
            let d = sampler.sample(&mut rng);
            assert!(d >= ms(1) && d <= ms(20), "{d:?}");
        }
    }
}
