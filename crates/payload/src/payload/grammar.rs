//! The grammar of `[payload.NAME]`: each field read with every problem it has, each naming
//! its sub-field (`amount.lognormal.median`, `fail.declined`), so validation reports them all
//! at their values. Unknown keys never reach here: the scenario's key walk reports them with
//! these field lists and removes them.

use super::{
    exponent_of, AmountDist, Currency, FailKind, Large, PayloadError as E, PayloadProblem as P,
    PaymentGenerator,
};
use loadgen_grammar::units::parse_share;

/// The keys of `[payload.NAME]` (the scenario's key walk reports any other).
pub const FIELDS: [&str; 6] = [
    "amount",
    "large",
    "currency",
    "customers",
    "fail",
    "fail_status",
];
/// The keys of `amount = {…}`: one of them.
pub const AMOUNT_FIELDS: [&str; 3] = ["fixed", "uniform", "lognormal"];
/// The keys of `amount = { lognormal = {…} }`.
pub const LOGNORMAL_FIELDS: [&str; 2] = ["median", "sigma"];
/// The keys of `large = {…}`.
pub const LARGE_FIELDS: [&str; 3] = ["share", "min", "max"];
/// The keys of `fail = {…}`: the share, then the kinds (the keys of `fail_status`).
pub const FAIL_FIELDS: [&str; 5] = [
    "share",
    "declined",
    "insufficient_funds",
    "unsupported_currency",
    "invalid_amount",
];

/// The problems found so far.
type Problems = Vec<E>;

/// Parses `[payload.NAME]` (a TOML table); every problem is returned, each naming its
/// sub-field.
pub fn parse(name: &str, t: &toml::Table) -> Result<PaymentGenerator, Vec<E>> {
    let mut bad = Problems::new();
    if let Some(k) = t.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        bad.push(E::at(k.as_str(), P::UnknownField(FIELDS.join(", "))));
    }
    let amount = amount(t.get("amount"), &mut bad);
    let large = large(t.get("large"), &mut bad);
    let currencies = currencies(t.get("currency"), &mut bad);
    let customers = match t.get("customers") {
        None => 1000,
        Some(toml::Value::Integer(n)) if *n > 0 => *n as u64,
        Some(_) => {
            bad.push(E::at("customers", P::Customers));
            1
        }
    };
    let (fail_share, fail_kinds) = fail(t, &mut bad);
    if !bad.is_empty() {
        return Err(bad);
    }
    PaymentGenerator::new(
        name.to_string(),
        amount,
        large,
        currencies,
        customers,
        fail_share,
        fail_kinds,
    )
    .map_err(|e| vec![e])
}

fn num(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// A positive number at `field`, or its problem.
fn positive(v: Option<&toml::Value>, field: &str, bad: &mut Problems) -> Option<f64> {
    let n = v.and_then(num).filter(|n| *n > 0.0);
    if n.is_none() {
        bad.push(E::at(field, P::ExpectedPositiveNumber));
    }
    n
}

/// A share string (`"2%"`) at `field`, or its problem.
fn share(v: Option<&toml::Value>, field: &str, example: &'static str, bad: &mut Problems) -> f64 {
    match v {
        Some(toml::Value::String(s)) => parse_share(s)
            .map_err(|e| bad.push(E::at(field, e)))
            .unwrap_or(0.0),
        _ => {
            bad.push(E::at(field, P::ExpectedShare(example)));
            0.0
        }
    }
}

/// `amount = { fixed = … }`, `{ uniform = [lo, hi] }` or `{ lognormal = { median, sigma } }`.
fn amount(v: Option<&toml::Value>, bad: &mut Problems) -> AmountDist {
    let default = AmountDist::LogNormal {
        median: 50.0,
        sigma: 0.8,
    };
    let Some(v) = v else { return default };
    let one = match v {
        toml::Value::Table(a) if a.len() == 1 => a.iter().next(),
        _ => None,
    };
    match one {
        Some((k, v)) if k == "fixed" => match num(v) {
            Some(a) if a > 0.0 => AmountDist::Fixed(a),
            Some(_) => fail_with(bad, "amount.fixed", P::MustBePositive, default),
            None => fail_with(bad, "amount.fixed", P::ExpectedNumber, default),
        },
        Some((k, toml::Value::Array(b))) if k == "uniform" && b.len() == 2 => {
            match (num(&b[0]), num(&b[1])) {
                (Some(lo), Some(hi)) if lo > 0.0 && lo <= hi => AmountDist::Uniform(lo, hi),
                _ => fail_with(bad, "amount.uniform", P::UniformBounds, default),
            }
        }
        Some((k, toml::Value::Table(l))) if k == "lognormal" => {
            let median = positive(l.get("median"), "amount.lognormal.median", bad);
            let sigma = l.get("sigma").and_then(num).unwrap_or(0.8);
            if !(0.0..=5.0).contains(&sigma) {
                bad.push(E::at("amount.lognormal.sigma", P::SigmaRange));
            }
            median.map_or(default, |median| AmountDist::LogNormal { median, sigma })
        }
        _ => fail_with(bad, "amount", P::AmountShape, default),
    }
}

fn fail_with<T>(bad: &mut Problems, field: &str, problem: P, fallback: T) -> T {
    bad.push(E::at(field, problem));
    fallback
}

/// `large = { share = "2%", min = 10000, max = 50000 }`.
fn large(v: Option<&toml::Value>, bad: &mut Problems) -> Option<Large> {
    let l = match v? {
        toml::Value::Table(l) => l,
        _ => return fail_with(bad, "large", P::LargeShape, None),
    };
    let share = share(l.get("share"), "large.share", "2%", bad);
    let min = positive(l.get("min"), "large.min", bad)?;
    let max = l.get("max").and_then(num).unwrap_or(min * 5.0);
    if max < min {
        bad.push(E::at("large.max", P::LargeMaxBelowMin));
    }
    Some(Large { share, min, max })
}

/// `currency = "AUD"` or weights `{ AUD = 60, USD = 30 }`.
fn currencies(v: Option<&toml::Value>, bad: &mut Problems) -> Vec<(Currency, f64)> {
    let one = |code: &str| {
        vec![(
            Currency {
                code: code.to_string(),
                exponent: exponent_of(code),
            },
            1.0,
        )]
    };
    match v {
        None => one("AUD"),
        Some(toml::Value::String(c)) => one(c),
        Some(toml::Value::Table(c)) if !c.is_empty() => c
            .iter()
            .filter_map(|(code, w)| {
                let field = format!("currency.{code}");
                let w = num(w).filter(|w| *w > 0.0);
                if w.is_none() {
                    bad.push(E::at(field.clone(), P::ExpectedPositiveWeight));
                }
                if code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
                    bad.push(E::at(field, P::NotIsoCode));
                    return None;
                }
                Some((one(code).remove(0).0, w?))
            })
            .collect(),
        Some(_) => fail_with(bad, "currency", P::CurrencyShape, one("AUD")),
    }
}

/// `fail = { share = "7%", declined = 3, … }` with `fail_status = { declined = 402, … }`.
fn fail(t: &toml::Table, bad: &mut Problems) -> (f64, Vec<(FailKind, f64, u16)>) {
    let statuses = match t.get("fail_status") {
        None => toml::Table::new(),
        Some(toml::Value::Table(s)) => s.clone(),
        Some(_) => fail_with(bad, "fail_status", P::FailStatusShape, toml::Table::new()),
    };
    let (mut fail_share, mut kinds) = (0.0, Vec::new());
    let f = match t.get("fail") {
        None => return (fail_share, kinds),
        Some(toml::Value::Table(f)) => f,
        Some(_) => return fail_with(bad, "fail", P::FailShape, (fail_share, kinds)),
    };
    for (k, v) in f {
        if k == "share" {
            fail_share = share(Some(v), "fail.share", "7%", bad);
            continue;
        }
        let Some(kind) = FailKind::ALL.into_iter().find(|x| x.name() == k) else {
            bad.push(E::at(format!("fail.{k}"), P::UnknownFailKind));
            continue;
        };
        let Some(w) = num(v).filter(|w| *w > 0.0) else {
            bad.push(E::at(format!("fail.{k}"), P::ExpectedPositiveWeight));
            continue;
        };
        let status = match statuses.get(k) {
            None => kind.default_status(),
            Some(toml::Value::Integer(s)) if (100..=599).contains(s) => *s as u16,
            Some(_) => fail_with(
                bad,
                &format!("fail_status.{k}"),
                P::ExpectedStatus,
                kind.default_status(),
            ),
        };
        kinds.push((kind, w, status));
    }
    (fail_share, kinds)
}
