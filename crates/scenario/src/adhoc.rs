//! Ad-hoc runs without a scenario file: `loadgen run --url URL --vus 50 --duration 10s`.
//! Builds the same validated [`Scenario`] a file would give, so the summary, results folder
//! and thresholds are those of a scenario run.
//!
//! An ad-hoc run is judged on its errors by default ([`DEFAULT_ERRORS`]): a latency threshold
//! alone passes on fast 404s, which is how a mistyped URL used to go green.

use crate::model::*;
use crate::threshold::{MetricKind, Threshold, ThresholdError};
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use std::time::Duration;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct AdHoc {
    /// Full URL of the one request.
    pub url: String,
    /// HTTP method.
    pub method: String,
    /// Closed model: this many VUs. Open model: the VU pool ceiling.
    pub vus: u64,
    /// Open model at this rate (per second) when given.
    pub rate: Option<f64>,
    /// Length of the run.
    pub duration: Duration,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<String>,
    /// `p(99)<10ms` (latency) or `errors: rate<1%` (metric: expression).
    pub thresholds: Vec<String>,
    /// HTTP/2 instead of HTTP/1.1.
    pub http2: bool,
    /// Accept self-signed certificates.
    pub insecure: bool,
    /// Add [`DEFAULT_ERRORS`] unless an `errors` threshold is given
    /// (`--no-default-thresholds` clears it).
    pub default_thresholds: bool,
}

/// The threshold every ad-hoc run gets unless it names its own `errors` threshold.
pub const DEFAULT_ERRORS: (&str, &str) = ("errors", "rate < 1%");

/// The default errors threshold `a` gets, if it gets one.
pub fn default_threshold(a: &AdHoc, given: &[Threshold]) -> Option<Threshold> {
    let judged = given.iter().any(|t| t.metric == MetricKind::Errors);
    if !a.default_thresholds || judged {
        return None;
    }
    let (key, expr) = DEFAULT_ERRORS;
    Some(Threshold::parse(key, expr, &|_| None).expect("the default threshold parses"))
}

/// Why the flags of an ad-hoc run do not make a scenario; each names the offending flag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdHocError {
    #[error("--threshold `{text}`: {error}")]
    Threshold { text: String, error: ThresholdError },
    #[error("--vus: must be at least 1")]
    NoVus,
    #[error("--url `{0}`: expected http://… or https://…")]
    NotHttp(String),
    #[error("--url `{0}`: no host")]
    NoHost(String),
    #[error("--rate: {0}")]
    Rate(crate::units::UnitError),
    #[error("--rate: 0/s would send nothing")]
    NoRate,
    #[error("--rate: {0:.0}/s is above the ceiling of {max:.0}/s per workload", max = crate::validate::MAX_ARRIVAL_RATE)]
    RateTooHigh(f64),
    #[error("--header `{0}`: expected `name: value`")]
    Header(String),
    /// Ad-hoc flags beside a scenario file: they would be ignored, and an ignored flag is a
    /// lie, so `run` refuses them.
    #[error(
        "{} {} only to ad-hoc runs (--url); with a scenario file set it in the file \
         (a workload's vus/rate, a step's http = {{ method, headers, body }}, [http] version \
         and insecure, [thresholds])",
        .0.join(", "),
        if .0.len() == 1 { "applies" } else { "apply" }
    )]
    BesideAFile(Vec<&'static str>),
}

/// The ad-hoc flags as a command line gives them (`None`, empty or `false`: not given).
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    /// `--vus`.
    pub vus: Option<u64>,
    /// `--rate`.
    pub rate: Option<&'a str>,
    /// `--method`.
    pub method: Option<&'a str>,
    /// `--header` (repeatable).
    pub headers: &'a [String],
    /// `--body`.
    pub body: Option<&'a str>,
    /// `--http2`.
    pub http2: bool,
    /// `--insecure`.
    pub insecure: bool,
    /// `--threshold` (repeatable).
    pub thresholds: &'a [String],
    /// `--no-default-thresholds`.
    pub no_default_thresholds: bool,
}

impl Flags<'_> {
    /// VUs of an ad-hoc run (default 50).
    pub fn vus(&self) -> u64 {
        self.vus.unwrap_or(50)
    }

    /// Method of an ad-hoc run (default GET).
    pub fn method(&self) -> &str {
        self.method.unwrap_or("GET")
    }

    /// Refuses the flags given when a scenario file is (`file`), naming the file's field
    /// instead ([`AdHocError::BesideAFile`]).
    pub fn check_beside(&self, file: bool) -> Result<(), AdHocError> {
        let given: Vec<&'static str> = [
            ("--vus", self.vus.is_some()),
            ("--rate", self.rate.is_some()),
            ("--method", self.method.is_some()),
            ("--header", !self.headers.is_empty()),
            ("--body", self.body.is_some()),
            ("--http2", self.http2),
            ("--insecure", self.insecure),
            ("--threshold", !self.thresholds.is_empty()),
            ("--no-default-thresholds", self.no_default_thresholds),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect();
        match file && !given.is_empty() {
            true => Err(AdHocError::BesideAFile(given)),
            false => Ok(()),
        }
    }

    /// The text that identifies the plan of a run of these flags to `url` (`run.json`).
    pub fn identity(&self, url: &str) -> String {
        format!(
            "adhoc url={:?} method={} vus={} rate={:?} headers={:?} body={:?} http2={} thresholds={:?} no_default_thresholds={}",
            Some(url), self.method(), self.vus(), self.rate, self.headers, self.body, self.http2,
            self.thresholds, self.no_default_thresholds
        )
    }

    /// The run these flags ask for: `url`, for `duration` (10 s when not given).
    pub fn spec(&self, url: &str, duration: Option<Duration>) -> Result<AdHoc, AdHocError> {
        Ok(AdHoc {
            url: url.to_string(),
            method: self.method().to_string(),
            vus: self.vus(),
            rate: self.rate.map(rate_flag).transpose()?,
            duration: duration.unwrap_or(Duration::from_secs(10)),
            headers: self
                .headers
                .iter()
                .map(|h| header_flag(h))
                .collect::<Result<_, _>>()?,
            body: self.body.map(str::to_string),
            thresholds: self.thresholds.to_vec(),
            http2: self.http2,
            insecure: self.insecure,
            default_thresholds: !self.no_default_thresholds,
        })
    }
}

/// `--rate`: a rate as a file writes one, above zero and at most a workload's ceiling.
pub fn rate_flag(text: &str) -> Result<f64, AdHocError> {
    match crate::units::parse_rate(text).map_err(AdHocError::Rate)? {
        r if r <= 0.0 => Err(AdHocError::NoRate),
        r if r > crate::validate::MAX_ARRIVAL_RATE => Err(AdHocError::RateTooHigh(r)),
        r => Ok(r),
    }
}

/// `--header 'name: value'`: the name and the value, trimmed.
pub fn header_flag(text: &str) -> Result<(String, String), AdHocError> {
    text.split_once(':')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| AdHocError::Header(text.to_string()))
}

/// Builds the scenario for an ad-hoc run; errors name the offending flag.
pub fn scenario(a: &AdHoc) -> Result<Scenario, AdHocError> {
    let (base, path) = split_url(&a.url)?;
    let mut thresholds = a
        .thresholds
        .iter()
        .map(|t| {
            threshold(t).map_err(|error| AdHocError::Threshold {
                text: t.clone(),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    thresholds.extend(default_threshold(a, &thresholds));
    if a.vus == 0 {
        return Err(AdHocError::NoVus);
    }
    let model = match a.rate {
        Some(rate) => ModelSpec::Open {
            rate: crate::pattern::Pattern::Constant(rate),
            duration: a.duration,
            arrivals: Spacing::Uniform,
            max_vus: a.vus,
            pre_allocated_vus: a.vus,
            backlog: crate::validate::default_backlog(a.vus, rate),
            vu_order: loadgen_engine::VuOrder::default(),
        },
        None => ModelSpec::Closed {
            stages: VuStages::constant(a.vus, a.duration),
            think: ThinkTime::None,
            iterations: None,
        },
    };
    Ok(Scenario {
        name: "adhoc".into(),
        description: Some(format!("{} {}", a.method, a.url)),
        target: TargetSpec::Url(base),
        duration: a.duration,
        seed: 1,
        graceful_stop: Duration::from_secs(2),
        http: HttpDefaults {
            version: if a.http2 {
                HttpVersionSpec::Http2
            } else {
                HttpVersionSpec::Http1
            },
            tls: loadgen_http::TlsOptions {
                insecure: a.insecure,
                ..Default::default()
            },
            ..HttpDefaults::default()
        },
        feeders: Vec::new(),
        payloads: Vec::new(),
        workloads: vec![WorkloadSpec {
            name: "adhoc".into(),
            start: Duration::ZERO,
            model,
            new_connection_per_iteration: false,
            protocol: ProtocolSpec::Http(HttpWorkload {
                steps: vec![StepSpec {
                    name: "request".into(),
                    http: HttpStepSpec {
                        method: a.method.to_ascii_uppercase(),
                        path,
                        headers: a.headers.clone(),
                        body: a.body.clone().map(BodySpec::Text),
                    },
                    expect: ExpectSpec::default(),
                    captures: Vec::new(),
                    once_per_vu: false,
                    flow: Default::default(),
                }],
            }),
        }],
        thresholds,
        setup: None,
        setup_values: Vec::new(),
    })
}

fn split_url(url: &str) -> Result<(String, String), AdHocError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| AdHocError::NotHttp(url.to_string()))?;
    let scheme_len = url.len() - rest.len();
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(AdHocError::NoHost(url.to_string()));
    }
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok((format!("{}{authority}", &url[..scheme_len]), path))
}

/// `p(99)<10ms` → a latency threshold; `errors: rate<1%` → a threshold on `errors`.
fn threshold(text: &str) -> Result<Threshold, ThresholdError> {
    let (key, expr) = match text.split_once(':') {
        Some((k, e)) if !k.contains(['<', '>', '=']) => (k.trim(), e.trim()),
        _ => ("latency", text.trim()),
    };
    Threshold::parse(key, expr, &|_| None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_header_flags_name_the_flag_in_their_errors() {
        assert_eq!(rate_flag("20/s"), Ok(20.0));
        assert_eq!(
            rate_flag("0/s").unwrap_err().to_string(),
            "--rate: 0/s would send nothing"
        );
        assert!(rate_flag("1e12/s")
            .unwrap_err()
            .to_string()
            .contains("above the ceiling"));
        assert!(rate_flag("fast")
            .unwrap_err()
            .to_string()
            .starts_with("--rate: "));
        assert_eq!(
            header_flag(" X-A : b ").unwrap(),
            ("X-A".to_string(), "b".to_string())
        );
        assert_eq!(
            header_flag("X-A").unwrap_err().to_string(),
            "--header `X-A`: expected `name: value`"
        );
    }

    #[test]
    fn urls_split_into_base_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8089/").unwrap(),
            ("http://127.0.0.1:8089".into(), "/".into())
        );
        assert_eq!(
            split_url("https://h/a/b?x=1").unwrap(),
            ("https://h".into(), "/a/b?x=1".into())
        );
        assert_eq!(
            split_url("http://h?x").unwrap(),
            ("http://h".into(), "/?x".into())
        );
        assert!(split_url("ftp://h").is_err());
    }

    fn adhoc(thresholds: &[&str], default_thresholds: bool) -> AdHoc {
        AdHoc {
            url: "http://127.0.0.1:1/".into(),
            method: "GET".into(),
            vus: 1,
            rate: None,
            duration: Duration::from_secs(1),
            headers: Vec::new(),
            body: None,
            thresholds: thresholds.iter().map(|t| t.to_string()).collect(),
            http2: false,
            insecure: false,
            default_thresholds,
        }
    }

    #[test]
    fn errors_are_judged_unless_the_user_judges_them_or_opts_out() {
        let keys = |a: &AdHoc| {
            scenario(a)
                .unwrap()
                .thresholds
                .iter()
                .map(|t| format!("{}: {}", t.key, t.expression))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&adhoc(&["p(99)<10ms"], true)),
            ["latency: p(99)<10ms", "errors: rate < 1%"]
        );
        assert_eq!(keys(&adhoc(&[], true)), ["errors: rate < 1%"]);
        assert_eq!(
            keys(&adhoc(&["errors: rate < 5%"], true)),
            ["errors: rate < 5%"]
        );
        // `error_rate` under any key is an errors threshold too.
        assert_eq!(
            keys(&adhoc(&["error_rate < 5%"], true)),
            ["latency: error_rate < 5%"]
        );
        assert_eq!(
            keys(&adhoc(&["p(99)<10ms"], false)),
            ["latency: p(99)<10ms"]
        );
        assert!(keys(&adhoc(&[], false)).is_empty());
    }

    #[test]
    fn thresholds_default_to_latency() {
        let t = threshold("p(99)<10ms").unwrap();
        assert_eq!((t.key.as_str(), t.limit), ("latency", 10.0));
        let t = threshold("errors: rate < 1%").unwrap();
        assert_eq!(t.metric, crate::threshold::MetricKind::Errors);
        assert!(threshold("p(99)<10").is_err());
    }
}
