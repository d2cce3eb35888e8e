//! Fault modes: the ways a real target misbehaves, on demand, so tests and demos can show
//! that the load generator counts and classifies every one of them.
//!
//! A fault is chosen per request by the `x-loadgen-fault: NAME` header (any route but the
//! counters), or drawn for `/api/` requests from the `--fault NAME=SHARE` rules (a rule may
//! hold only for a stretch of time, `--fault 503=20%@4s..6s`, measured from the first `/api/`
//! request the target drew a fault for: a load test's start, whatever came before). The two
//! connection-level faults (`refuse`, `tls`) are drawn per accepted connection and cannot be
//! asked for by header (there is no request yet). A faulted response always closes its
//! connection, so a fault never leaks into the next request on a keep-alive connection.
//!
//! Byte-level faults (resets, garbage, wrong length, slow bytes) are done by [`FaultStream`],
//! which wraps the accepted socket: the request handler sets the connection's mode, the
//! stream misbehaves on the response bytes. On an HTTP/2 connection they break the whole
//! connection, as they would in life.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The request header that asks for a fault.
pub const FAULT_HEADER: &str = "x-loadgen-fault";
/// Size of the `huge-body` answer.
pub const HUGE_BODY: u64 = 64 << 20;
/// Pause between bytes of a `slow` answer.
pub const SLOW_BYTE_DELAY: Duration = Duration::from_millis(10);
/// How long a `stall` keeps the request unanswered (the client gives up long before).
pub const STALL_FOR: Duration = Duration::from_secs(3600);

/// One way to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Accept the connection and reset it at once (per connection).
    Refuse,
    /// Fail the TLS handshake with a fatal `handshake_failure` alert (per connection).
    Tls,
    /// Reset the connection after reading the request, before answering.
    Reset,
    /// Send the head and a few body bytes, then reset.
    ResetBody,
    /// Never answer.
    Stall,
    /// Answer one byte at a time, [`SLOW_BYTE_DELAY`] apart.
    Slow,
    /// Answer bytes that are not HTTP, then close.
    Garbage,
    /// Announce a longer `Content-Length` than the body, then close.
    WrongLength,
    /// A 200 with a [`HUGE_BODY`]-byte body.
    HugeBody,
    /// 503 Service Unavailable.
    Unavailable,
    /// 429 Too Many Requests with `Retry-After: 1`.
    TooManyRequests,
}

impl Fault {
    /// Every fault, in the order `--help` lists them.
    pub const ALL: [Fault; 11] = [
        Fault::Refuse,
        Fault::Tls,
        Fault::Reset,
        Fault::ResetBody,
        Fault::Stall,
        Fault::Slow,
        Fault::Garbage,
        Fault::WrongLength,
        Fault::HugeBody,
        Fault::Unavailable,
        Fault::TooManyRequests,
    ];

    /// The name used on the command line, in the header and in the counters.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Refuse => "refuse",
            Fault::Tls => "tls",
            Fault::Reset => "reset",
            Fault::ResetBody => "reset-body",
            Fault::Stall => "stall",
            Fault::Slow => "slow",
            Fault::Garbage => "garbage",
            Fault::WrongLength => "wrong-length",
            Fault::HugeBody => "huge-body",
            Fault::Unavailable => "503",
            Fault::TooManyRequests => "429",
        }
    }

    /// Decided per connection, before any request.
    pub fn is_per_connection(self) -> bool {
        matches!(self, Fault::Refuse | Fault::Tls)
    }

    pub(crate) fn index(self) -> usize {
        Fault::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// Why a `--fault` rule or a fault name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseError {
    #[error("unknown fault `{0}` (use {names})", names = fault_names())]
    UnknownFault(String),
    #[error("fault share `{0}` is not a number or a percentage")]
    ShareNotANumber(String),
    #[error("fault share `{0}` is outside 0%..100%")]
    ShareOutOfRange(String),
    #[error(
        "fault time `{0}` is not a range like 4s..6s (from..until, from the first /api/ request)"
    )]
    BadDuring(String),
}

fn fault_names() -> String {
    let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
    names.join(", ")
}

impl FromStr for Fault {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, FaultParseError> {
        let s = s.trim();
        Fault::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| FaultParseError::UnknownFault(s.to_string()))
    }
}

/// A fault with the share of requests (or connections) it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRule {
    /// What goes wrong.
    pub fault: Fault,
    /// Share 0..=1 of `/api/` requests (connections, for per-connection faults).
    pub share: f64,
    /// Only from..until this long after the first `/api/` request (`@4s..6s`); `None`:
    /// always.
    pub during: Option<(Duration, Duration)>,
}

impl FaultRule {
    /// The rule holds `since` after the first `/api/` request.
    fn holds_at(&self, since: Option<Duration>) -> bool {
        match (self.during, since) {
            (None, _) => true,
            (Some((from, until)), Some(t)) => from <= t && t < until,
            // Nothing measured yet (a connection before any request): not in the stretch.
            (Some(_), None) => false,
        }
    }
}

impl FromStr for FaultRule {
    type Err = FaultParseError;
    /// `NAME` (every time) or `NAME=SHARE` with SHARE as `10%` or `0.1`, either followed by
    /// `@FROM..UNTIL` (`503=20%@4s..6s`) to hold only for that stretch.
    fn from_str(s: &str) -> Result<Self, FaultParseError> {
        let (s, during) = match s.split_once('@') {
            Some((rule, when)) => (rule, Some(parse_during(when)?)),
            None => (s, None),
        };
        let (name, share) = match s.split_once('=') {
            Some((n, v)) => (n, parse_share(v)?),
            None => (s, 1.0),
        };
        Ok(FaultRule {
            fault: name.parse()?,
            share,
            during,
        })
    }
}

fn parse_share(v: &str) -> Result<f64, FaultParseError> {
    let v = v.trim();
    let x = match v.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => v.parse::<f64>(),
    }
    .map_err(|_| FaultParseError::ShareNotANumber(v.to_string()))?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(FaultParseError::ShareOutOfRange(v.to_string()))
    }
}

fn parse_during(when: &str) -> Result<(Duration, Duration), FaultParseError> {
    let bad = || FaultParseError::BadDuring(when.to_string());
    let (a, b) = when.split_once("..").ok_or_else(bad)?;
    let from = crate::duration::parse_duration(a).map_err(|_| bad())?;
    let until = crate::duration::parse_duration(b).map_err(|_| bad())?;
    if until <= from {
        return Err(bad());
    }
    Ok((from, until))
}

/// Why a request's `x-loadgen-fault` header cannot be honoured (answered 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FaultHeaderError {
    #[error("fault header is not text")]
    NotText,
    #[error(transparent)]
    Unknown(#[from] FaultParseError),
    #[error("fault `{0}` happens per connection; start the target with --fault {0}=SHARE")]
    PerConnection(String),
}

/// The configured rules, split by when they are drawn.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultPlan {
    per_request: Vec<FaultRule>,
    per_connection: Vec<FaultRule>,
    /// The first `/api/` request drawn for: where `@FROM..UNTIL` stretches are measured from.
    origin: std::sync::Arc<OnceLock<Instant>>,
}

impl FaultPlan {
    pub(crate) fn new(rules: &[FaultRule]) -> Self {
        let (per_connection, per_request) = rules.iter().partition(|r| r.fault.is_per_connection());
        FaultPlan {
            per_request,
            per_connection,
            origin: Default::default(),
        }
    }

    fn since_origin(&self) -> Option<Duration> {
        self.origin.get().map(Instant::elapsed)
    }

    /// The fault (if any) for a new connection.
    pub(crate) fn for_connection(&self, seed: u64) -> Option<Fault> {
        draw(&self.per_connection, seed, self.since_origin())
    }

    /// The fault (if any) for a request: the header wins; `/api/` requests draw from the
    /// rules. `Err` carries the answer to a header naming an unknown or per-connection fault.
    pub(crate) fn for_request<B>(
        &self,
        req: &http::Request<B>,
        seed: u64,
    ) -> Result<Option<Fault>, FaultHeaderError> {
        if let Some(v) = req.headers().get(FAULT_HEADER) {
            let name = v.to_str().map_err(|_| FaultHeaderError::NotText)?;
            let fault: Fault = name.parse()?;
            if fault.is_per_connection() {
                return Err(FaultHeaderError::PerConnection(name.to_string()));
            }
            return Ok(Some(fault));
        }
        if req.uri().path().starts_with("/api/") {
            let since = self.origin.get_or_init(Instant::now).elapsed();
            return Ok(draw(
                &self.per_request,
                seed ^ 0xFA17_FA17_FA17_FA17,
                Some(since),
            ));
        }
        Ok(None)
    }
}

/// One draw across the cumulative shares of the rules that hold `since` the origin.
fn draw(rules: &[FaultRule], seed: u64, since: Option<Duration>) -> Option<Fault> {
    if rules.is_empty() {
        return None;
    }
    let x: f64 = SmallRng::seed_from_u64(seed).random();
    let mut acc = 0.0;
    rules.iter().filter(|r| r.holds_at(since)).find_map(|r| {
        acc += r.share;
        (x < acc).then_some(r.fault)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_shares_and_names_are_listed_on_error() {
        let r: FaultRule = "reset-body=10%".parse().unwrap();
        assert_eq!(r.fault, Fault::ResetBody);
        assert!((r.share - 0.1).abs() < 1e-12);
        assert_eq!("503".parse::<FaultRule>().unwrap().share, 1.0);
        assert_eq!(
            "429=0.5".parse::<FaultRule>().unwrap().fault,
            Fault::TooManyRequests
        );
        let e = "explode".parse::<FaultRule>().unwrap_err().to_string();
        assert!(
            e.contains("unknown fault") && e.contains("wrong-length"),
            "{e}"
        );
        assert!("stall=150%"
            .parse::<FaultRule>()
            .unwrap_err()
            .to_string()
            .contains("outside"));
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().unwrap(), f);
            assert_eq!(Fault::ALL[f.index()], f);
        }
    }

    #[test]
    fn draws_follow_the_shares() {
        let plan = FaultPlan::new(&[
            "503=20%".parse().unwrap(),
            "reset=10%".parse().unwrap(),
            "refuse=50%".parse().unwrap(),
        ]);
        let mut seen = [0u32; 3];
        for seed in 0..20_000u64 {
            let req = http::Request::get("/api/payments").body(()).unwrap();
            match plan.for_request(&req, seed).unwrap() {
                Some(Fault::Unavailable) => seen[0] += 1,
                Some(Fault::Reset) => seen[1] += 1,
                None => seen[2] += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!((3600..4400).contains(&seen[0]), "{seen:?}");
        assert!((1600..2400).contains(&seen[1]), "{seen:?}");
        let conns = (0..10_000u64)
            .filter(|s| plan.for_connection(*s) == Some(Fault::Refuse))
            .count();
        assert!((4500..5500).contains(&conns), "{conns}");
        // Outside /api/ only the header asks for faults.
        let health = http::Request::get("/health").body(()).unwrap();
        assert!((0..1000).all(|s| plan.for_request(&health, s).unwrap().is_none()));
    }

    #[test]
    fn a_rule_holds_only_for_its_stretch_from_the_first_api_request() {
        let r: FaultRule = "503=20%@4s..6s".parse().unwrap();
        let s = Duration::from_secs;
        assert_eq!((r.share, r.during), (0.2, Some((s(4), s(6)))));
        assert!(!r.holds_at(Some(Duration::from_millis(3999))));
        assert!(r.holds_at(Some(s(4))) && r.holds_at(Some(Duration::from_millis(5999))));
        assert!(!r.holds_at(Some(s(6))) && !r.holds_at(None));
        assert_eq!("reset@1s..2s".parse::<FaultRule>().unwrap().share, 1.0);
        for bad in ["503@4s", "503@6s..4s", "503@4..6s", "503=20%@x..6s"] {
            let e = bad.parse::<FaultRule>().unwrap_err().to_string();
            assert!(e.contains("4s..6s"), "{bad}: {e}");
        }
        // Before the stretch no request is faulted; the first one starts the clock.
        let plan = FaultPlan::new(&["503@60m..120m".parse().unwrap()]);
        let req = http::Request::get("/api/payments").body(()).unwrap();
        assert!((0..100u64).all(|seed| plan.for_request(&req, seed).unwrap().is_none()));
        assert!(plan.origin.get().is_some());
    }

    #[test]
    fn the_header_wins_and_per_connection_faults_are_refused_there() {
        let plan = FaultPlan::default();
        let req = |v: &str| {
            http::Request::get("/health")
                .header(FAULT_HEADER, v)
                .body(())
                .unwrap()
        };
        assert_eq!(plan.for_request(&req("stall"), 1), Ok(Some(Fault::Stall)));
        assert!(plan
            .for_request(&req("tls"), 1)
            .unwrap_err()
            .to_string()
            .contains("per connection"));
        assert!(plan.for_request(&req("nope"), 1).is_err());
    }
}
