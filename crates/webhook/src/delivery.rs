//! What a delivery step is made of: retry policy and the built-to-fail kinds with the answer
//! a correct receiver gives to each, and how an attempt's answer is judged and whether it is
//! retried.

use crate::error::WebhookError;
use loadgen_engine::Outcome;
use loadgen_http::Expect;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::Rng;
use std::time::Duration;

/// Provider-like retries: a non-2xx answer or a connection fault is retried after
/// `base · 2^(n−1)` (capped at `max_backoff`) with equal jitter (half fixed, half random),
/// up to `max` retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max: u32,
    /// Backoff before the first retry.
    pub backoff: Duration,
    /// Ceiling of any one backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `n` (1-based).
    pub fn delay(&self, n: u32, rng: &mut impl Rng) -> Duration {
        let full = self
            .backoff
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(20))
            .min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(rng.random::<f64>())
    }
}

/// A delivery built to fail, for the failure-rate pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Signed over other bytes than those sent: the receiver must answer 400.
    BadSignature,
    /// Correctly signed, with a timestamp outside the replay window: the receiver must
    /// answer 400.
    Stale,
    /// The previous event again, same id and body, freshly signed: the receiver must answer
    /// 2xx (so the provider stops retrying) without processing it twice.
    Duplicate,
    /// A new event for the previous event's object, created earlier than it: the receiver
    /// must answer 2xx and not let it overwrite the newer state.
    OutOfOrder,
}

impl Fault {
    /// Every kind.
    pub const ALL: [Fault; 4] = [
        Fault::BadSignature,
        Fault::Stale,
        Fault::Duplicate,
        Fault::OutOfOrder,
    ];

    /// Name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Fault::BadSignature => "bad_signature",
            Fault::Stale => "stale",
            Fault::Duplicate => "duplicate",
            Fault::OutOfOrder => "out_of_order",
        }
    }

    /// The status a correct receiver answers; `None`: any 2xx.
    pub fn expected_status(self) -> Option<u16> {
        match self {
            Fault::BadSignature | Fault::Stale => Some(400),
            Fault::Duplicate | Fault::OutOfOrder => None,
        }
    }

    /// Forged deliveries are refused, never retried, and not counted as delivered.
    pub fn is_forged(self) -> bool {
        matches!(self, Fault::BadSignature | Fault::Stale)
    }
}

/// How often deliveries are built to fail, and how.
#[derive(Debug, Clone, Default)]
pub struct FaultMix {
    share: f64,
    kinds: Vec<Fault>,
    index: Option<WeightedIndex<f64>>,
}

impl FaultMix {
    /// `share` (0..=1) of deliveries built to fail, split by positive weights.
    pub fn new(share: f64, kinds: Vec<(Fault, f64)>) -> Result<Self, WebhookError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(WebhookError::FailShare);
        }
        if share > 0.0 && kinds.is_empty() {
            return Err(WebhookError::FailNoKinds);
        }
        let index = if kinds.is_empty() {
            None
        } else {
            Some(WeightedIndex::new(kinds.iter().map(|k| k.1)).map_err(WebhookError::FailWeights)?)
        };
        Ok(FaultMix {
            share,
            kinds: kinds.into_iter().map(|k| k.0).collect(),
            index,
        })
    }

    /// The kinds this mix may draw.
    pub fn kinds(&self) -> &[Fault] {
        &self.kinds
    }

    /// Draws the fault of one delivery (`None`: a valid delivery).
    pub fn draw(&self, rng: &mut impl Rng) -> Option<Fault> {
        let ix = self.index.as_ref()?;
        (rng.random::<f64>() < self.share).then(|| self.kinds[ix.sample(rng)])
    }
}

/// Faults worth a retry: what a provider retries (any non-2xx, any connection fault).
pub(crate) fn retryable(outcome: Outcome) -> bool {
    outcome.is_error() && outcome != Outcome::CheckFailed
}

/// Judges one attempt's answer.
pub(crate) fn judge(
    expect: &Expect,
    fault: Option<Fault>,
    status: Result<u16, Outcome>,
) -> Outcome {
    let status = match status {
        Ok(s) => s,
        Err(o) => return o,
    };
    let verdict = match fault {
        None => expect.check_status(status),
        Some(f) => match f.expected_status() {
            Some(s) => expect.check_status_for(status, Some(s)),
            // A 2xx to a duplicate or out-of-order event is the correct answer.
            None if (200..300).contains(&status) => Err(Outcome::ExpectedFailure),
            None => Expect::default().check_status(status),
        },
    };
    verdict.err().unwrap_or(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy {
            max: 5,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..200 {
            let d1 = p.delay(1, &mut rng);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d2 = p.delay(2, &mut rng);
            assert!(d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200));
            let d4 = p.delay(4, &mut rng);
            assert!(d4 >= Duration::from_millis(175) && d4 <= Duration::from_millis(350));
        }
    }

    #[test]
    fn fault_share_is_respected() {
        let m = FaultMix::new(0.1, vec![(Fault::Stale, 1.0), (Fault::Duplicate, 1.0)]).unwrap();
        let mut rng = SmallRng::seed_from_u64(2);
        let n = (0..20_000).filter(|_| m.draw(&mut rng).is_some()).count();
        assert!((1_800..2_200).contains(&n), "{n}");
        assert!(FaultMix::new(0.1, vec![]).is_err());
        assert_eq!(FaultMix::default().draw(&mut rng), None);
    }

    #[test]
    fn judging_by_fault() {
        let e = Expect::default();
        assert_eq!(judge(&e, None, Ok(200)), Outcome::Success);
        assert_eq!(judge(&e, None, Ok(400)), Outcome::Http4xx);
        assert_eq!(
            judge(&e, Some(Fault::BadSignature), Ok(400)),
            Outcome::ExpectedFailure
        );
        assert_eq!(
            judge(&e, Some(Fault::Stale), Ok(200)),
            Outcome::CheckFailed,
            "accepting a replayed delivery is an error"
        );
        assert_eq!(
            judge(&e, Some(Fault::Duplicate), Ok(200)),
            Outcome::ExpectedFailure
        );
        assert_eq!(
            judge(&e, Some(Fault::OutOfOrder), Ok(500)),
            Outcome::Http5xx
        );
        assert_eq!(judge(&e, None, Err(Outcome::Reset)), Outcome::Reset);
        assert!(!retryable(Outcome::CheckFailed));
        assert!(retryable(Outcome::Http5xx));
    }
}
