//! Payment payload generators: amounts from distributions with a large-purchase tail, mixed
//! currencies with their minor units, customer pools, and a share of transactions built to
//! fail, each with the status a correct target answers.
//!
//! ```toml
//! [payload.payment]
//! amount = { lognormal = { median = 45.0, sigma = 0.8 } }   # or { uniform = [5, 500] }, { fixed = 49.99 }
//! large = { share = "2%", min = 10000, max = 50000 }          # major units
//! currency = { AUD = 60, USD = 30, EUR = 10 }                 # weights
//! customers = 1000                                            # ids cus_00000 … cus_00999
//! fail = { share = "7%", declined = 3, insufficient_funds = 2, unsupported_currency = 1, invalid_amount = 1 }
//! ```
//!
//! A step sends one with `json = "@payment"`. Each request's body is a JSON object with
//! `amount` (integer minor units), `currency`, `customer_id`, `card`, `reference` and
//! `idempotency_key`. A built-to-fail request changes one field (the card, the currency or
//! the amount) and expects its status: 402 for a declined card or insufficient funds, 422 for
//! an unsupported currency or an invalid amount (override with `fail_status = { … }`).

use loadgen_grammar::units::UnitError;
use rand::distr::weighted::WeightedIndex;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

/// How amounts (major units) are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum AmountDist {
    /// Always this.
    Fixed(f64),
    /// Uniform between the bounds.
    Uniform(f64, f64),
    /// Log-normal with this median and shape.
    LogNormal {
        /// Median amount.
        median: f64,
        /// σ of the underlying normal.
        sigma: f64,
    },
}

/// The occasional large purchase.
#[derive(Debug, Clone, PartialEq)]
pub struct Large {
    /// Share of requests.
    pub share: f64,
    /// Lowest large amount (major units).
    pub min: f64,
    /// Highest large amount.
    pub max: f64,
}

/// A transaction built to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailKind {
    /// A card the processor declines.
    Declined,
    /// A card without funds.
    InsufficientFunds,
    /// A currency the target does not take.
    UnsupportedCurrency,
    /// Zero or negative amount.
    InvalidAmount,
}

impl FailKind {
    /// Every kind.
    pub const ALL: [FailKind; 4] = [
        FailKind::Declined,
        FailKind::InsufficientFunds,
        FailKind::UnsupportedCurrency,
        FailKind::InvalidAmount,
    ];

    /// Name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            FailKind::Declined => "declined",
            FailKind::InsufficientFunds => "insufficient_funds",
            FailKind::UnsupportedCurrency => "unsupported_currency",
            FailKind::InvalidAmount => "invalid_amount",
        }
    }

    /// The status a correct payments API answers.
    pub fn default_status(self) -> u16 {
        match self {
            FailKind::Declined | FailKind::InsufficientFunds => 402,
            FailKind::UnsupportedCurrency | FailKind::InvalidAmount => 422,
        }
    }
}

/// One currency with its minor-unit exponent (2 for AUD, 0 for JPY).
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    /// ISO 4217 code.
    pub code: String,
    /// Digits after the decimal point.
    pub exponent: u32,
}

/// Minor-unit exponent of an ISO 4217 code (0 for JPY/KRW-style, 3 for KWD/BHD, else 2).
pub fn exponent_of(code: &str) -> u32 {
    match code {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" => 0,
        "KWD" | "BHD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// Generates payment request bodies.
#[derive(Debug, Clone)]
pub struct PaymentGenerator {
    /// Name (`[payload.NAME]`).
    pub name: String,
    /// Regular amounts.
    pub amount: AmountDist,
    /// Large-purchase tail.
    pub large: Option<Large>,
    /// Currencies and weights.
    pub currencies: Vec<(Currency, f64)>,
    /// Customer pool size.
    pub customers: u64,
    /// Share built to fail.
    pub fail_share: f64,
    /// Failure kinds, weights and expected statuses.
    pub fail_kinds: Vec<(FailKind, f64, u16)>,
    currency_index: WeightedIndex<f64>,
    fail_index: Option<WeightedIndex<f64>>,
}

/// What kind of request a generated body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// `Some` for a request built to fail.
    pub fail: Option<FailKind>,
    /// The status a correct target answers to a built-to-fail request.
    pub expected_status: Option<u16>,
    /// A large purchase.
    pub large: bool,
    /// Index into `currencies`.
    pub currency: usize,
}

impl loadgen_template::BodySource for PaymentGenerator {
    fn write_body(
        &self,
        rng: &mut rand::rngs::SmallRng,
        id: &str,
        out: &mut bytes::BytesMut,
    ) -> Option<u16> {
        self.generate(rng, id, out).expected_status
    }
}

impl PaymentGenerator {
    /// Builds a generator; weights must be positive (checked by the scenario validator).
    pub fn new(
        name: String,
        amount: AmountDist,
        large: Option<Large>,
        currencies: Vec<(Currency, f64)>,
        customers: u64,
        fail_share: f64,
        fail_kinds: Vec<(FailKind, f64, u16)>,
    ) -> Result<Self, PayloadError> {
        // Unreachable after validation; the field names say which weights were wrong.
        let currency_index = WeightedIndex::new(currencies.iter().map(|c| c.1))
            .map_err(|e| PayloadError::at("currency weights", PayloadProblem::Weights(e)))?;
        let fail_index = if fail_kinds.is_empty() {
            None
        } else {
            Some(
                WeightedIndex::new(fail_kinds.iter().map(|k| k.1))
                    .map_err(|e| PayloadError::at("fail weights", PayloadProblem::Weights(e)))?,
            )
        };
        if fail_share > 0.0 && fail_index.is_none() {
            return Err(PayloadError::at("fail", PayloadProblem::NoFailKind));
        }
        Ok(PaymentGenerator {
            name,
            amount,
            large,
            currencies,
            customers: customers.max(1),
            fail_share,
            fail_kinds,
            currency_index,
            fail_index,
        })
    }

    /// Appends one request's body to `out`; `id` is the request's unique id (it becomes the
    /// idempotency key and the reference).
    pub fn generate(
        &self,
        rng: &mut impl Rng,
        id: &str,
        out: &mut impl std::fmt::Write,
    ) -> Generated {
        let currency = self.currency_index.sample(rng);
        let fail = match &self.fail_index {
            Some(ix) if rng.random::<f64>() < self.fail_share => {
                Some(self.fail_kinds[ix.sample(rng)])
            }
            _ => None,
        };
        let large = self
            .large
            .as_ref()
            .is_some_and(|l| rng.random::<f64>() < l.share);
        let major = match (&self.large, large) {
            (Some(l), true) => l.min + (l.max - l.min) * rng.random::<f64>(),
            _ => match self.amount {
                AmountDist::Fixed(a) => a,
                AmountDist::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
                AmountDist::LogNormal { median, sigma } => {
                    LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng))
                }
            },
        };
        let cur = &self.currencies[currency].0;
        let mut minor = (major * 10f64.powi(cur.exponent as i32)).round().max(1.0) as i64;
        let mut code = cur.code.as_str();
        let mut card = "4242424242424242";
        match fail.map(|f| f.0) {
            Some(FailKind::Declined) => card = "declined",
            Some(FailKind::InsufficientFunds) => card = "insufficient_funds",
            Some(FailKind::UnsupportedCurrency) => code = "XTS",
            Some(FailKind::InvalidAmount) => minor = -minor,
            None => {}
        }
        let customer = rng.random_range(0..self.customers);
        // Writing into memory cannot fail.
        let _ = write!(
            out,
            r#"{{"amount":{minor},"currency":"{code}","customer_id":"cus_{customer:05}","card":"{card}","reference":"ord_{id}","idempotency_key":"{id}"}}"#
        );
        Generated {
            fail: fail.map(|f| f.0),
            expected_status: fail.map(|f| f.2),
            large,
            currency,
        }
    }

    /// Expected share of each failure kind among all requests.
    pub fn kind_shares(&self) -> Vec<(FailKind, f64)> {
        let total: f64 = self.fail_kinds.iter().map(|k| k.1).sum();
        self.fail_kinds
            .iter()
            .map(|k| (k.0, self.fail_share * k.1 / total))
            .collect()
    }
}

/// Why a `[payload.NAME]` table does not make a generator: the sub-field and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PayloadError {
    /// Path of the sub-field inside the payload table (`amount.fixed`, `fail.stolen`).
    pub field: String,
    /// What is wrong.
    pub problem: PayloadProblem,
}

/// What is wrong with one field of a payload table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadProblem {
    #[error("unknown field (known: {0})")]
    UnknownField(String),
    #[error("expected a number")]
    ExpectedNumber,
    #[error("expected a positive number")]
    ExpectedPositiveNumber,
    #[error("expected [low, high] with 0 < low <= high")]
    UniformBounds,
    #[error("expected 0..5")]
    SigmaRange,
    #[error(
        "use {{ fixed = 49.99 }}, {{ uniform = [5, 500] }} or \
         {{ lognormal = {{ median = 45, sigma = 0.8 }} }}"
    )]
    AmountShape,
    #[error("must be positive")]
    MustBePositive,
    #[error(transparent)]
    Share(#[from] UnitError),
    #[error("expected a share like \"{0}\"")]
    ExpectedShare(&'static str),
    #[error("must not be below large.min")]
    LargeMaxBelowMin,
    #[error("expected {{ share = \"2%\", min = 10000, max = 50000 }}")]
    LargeShape,
    #[error("expected a positive weight")]
    ExpectedPositiveWeight,
    #[error("expected an ISO 4217 code such as AUD")]
    NotIsoCode,
    #[error("expected \"AUD\" or weights {{ AUD = 60, USD = 30, EUR = 10 }}")]
    CurrencyShape,
    #[error("expected a positive integer (pool size)")]
    Customers,
    #[error("expected {{ declined = 402, … }}")]
    FailStatusShape,
    #[error("expected {{ share = \"7%\", declined = 3, … }}")]
    FailShape,
    #[error(
        "unknown kind (use declined, insufficient_funds, unsupported_currency, invalid_amount)"
    )]
    UnknownFailKind,
    #[error("expected an HTTP status")]
    ExpectedStatus,
    #[error("{0}")]
    Weights(rand::distr::weighted::Error),
    #[error(
        "a share needs at least one kind (declined, insufficient_funds, unsupported_currency, \
         invalid_amount)"
    )]
    NoFailKind,
}

impl PayloadError {
    pub fn at(field: impl Into<String>, problem: impl Into<PayloadProblem>) -> Self {
        PayloadError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

mod grammar;

pub use grammar::parse;
pub use grammar::{AMOUNT_FIELDS, FAIL_FIELDS, FIELDS, LARGE_FIELDS, LOGNORMAL_FIELDS};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn gen(text: &str) -> PaymentGenerator {
        let t: toml::Table = toml::from_str(text).unwrap();
        parse("payment", &t).unwrap()
    }

    /// |observed - expected| within 4.5 binomial standard deviations.
    fn within_binomial(count: u64, n: u64, p: f64) -> bool {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        (count as f64 - n as f64 * p).abs() <= 4.5 * sd + 1.0
    }

    #[test]
    fn mixes_and_failure_shares_match_their_weights() {
        let g = gen(r#"
            currency = { AUD = 60, USD = 30, JPY = 10 }
            large = { share = "2%", min = 10000, max = 20000 }
            fail = { share = "7%", declined = 3, insufficient_funds = 2, unsupported_currency = 1, invalid_amount = 1 }
        "#);
        let mut rng = SmallRng::seed_from_u64(5);
        let n = 50_000u64;
        let mut cur = [0u64; 3];
        let (mut failed, mut declined, mut large) = (0u64, 0u64, 0u64);
        let mut buf = String::new();
        for i in 0..n {
            buf.clear();
            let r = g.generate(&mut rng, &format!("id{i}"), &mut buf);
            let v: serde_json::Value = serde_json::from_str(&buf).unwrap();
            cur[r.currency] += 1;
            failed += u64::from(r.fail.is_some());
            declined += u64::from(r.fail == Some(FailKind::Declined));
            if r.large && r.fail.is_none() {
                large += 1;
                let minor = v["amount"].as_i64().unwrap();
                let major = if v["currency"] == "JPY" {
                    minor as f64
                } else {
                    minor as f64 / 100.0
                };
                assert!((10_000.0..=20_000.0).contains(&major), "{v}");
            }
            match r.fail {
                Some(FailKind::Declined) => assert_eq!(v["card"], "declined"),
                Some(FailKind::UnsupportedCurrency) => assert_eq!(v["currency"], "XTS"),
                Some(FailKind::InvalidAmount) => assert!(v["amount"].as_i64().unwrap() < 0),
                _ => {}
            }
            assert_eq!(r.expected_status, r.fail.map(FailKind::default_status));
        }
        let order: Vec<_> = g.currencies.iter().map(|c| c.0.code.as_str()).collect();
        let share = |code: &str| match code {
            "AUD" => 0.6,
            "USD" => 0.3,
            _ => 0.1,
        };
        for (i, code) in order.iter().enumerate() {
            assert!(
                within_binomial(cur[i], n, share(code)),
                "{code}: {}",
                cur[i]
            );
        }
        assert!(within_binomial(failed, n, 0.07), "failed {failed}");
        assert!(within_binomial(declined, n, 0.03), "declined {declined}");
        assert!(within_binomial(large, n, 0.02 * 0.93), "large {large}");
    }

    #[test]
    fn minor_units_follow_the_currency() {
        let g = gen(r#"amount = { fixed = 12.34 }
currency = { JPY = 1 }"#);
        let mut buf = String::new();
        g.generate(&mut SmallRng::seed_from_u64(1), "x", &mut buf);
        let v: serde_json::Value = serde_json::from_str(&buf).unwrap();
        assert_eq!(v["amount"], 12);
        let g = gen(r#"amount = { fixed = 12.34 }"#);
        buf.clear();
        g.generate(&mut SmallRng::seed_from_u64(1), "x", &mut buf);
        let v: serde_json::Value = serde_json::from_str(&buf).unwrap();
        assert_eq!(
            (v["amount"].as_i64(), v["currency"].as_str()),
            (Some(1234), Some("AUD"))
        );
    }

    #[test]
    fn lognormal_amounts_centre_on_the_median() {
        let g = gen(r#"amount = { lognormal = { median = 45.0, sigma = 0.8 } }"#);
        let mut rng = SmallRng::seed_from_u64(9);
        let mut buf = String::new();
        let mut v: Vec<i64> = (0..20_001)
            .map(|_| {
                buf.clear();
                g.generate(&mut rng, "x", &mut buf);
                serde_json::from_str::<serde_json::Value>(&buf).unwrap()["amount"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        v.sort();
        let median = v[10_000] as f64 / 100.0;
        assert!((median - 45.0).abs() < 45.0 * 0.05, "{median}");
    }

    #[test]
    fn mistakes_name_the_field() {
        let bad =
            |text: &str| parse("p", &toml::from_str(text).unwrap()).unwrap_err()[0].to_string();
        assert!(bad("amout = 1").starts_with("amout: unknown field"));
        assert!(bad("currency = { AUD = -1 }").starts_with("currency.AUD"));
        assert!(
            bad("fail = { share = \"5%\", stolen = 1 }").starts_with("fail.stolen: unknown kind")
        );
        assert!(bad("fail = { share = \"5%\" }").contains("at least one kind"));
        // Every problem of the table, not only the first.
        let all = parse(
            "p",
            &toml::from_str("amount = { fixed = -1 }\ncurrency = { aud = 1 }\ncustomers = 0")
                .unwrap(),
        )
        .unwrap_err();
        let fields: Vec<&str> = all.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["amount.fixed", "currency.aud", "customers"]);
    }
}
