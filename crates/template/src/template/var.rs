//! The built-in variables of a template: parsing `{{name}}` and writing its value.

use super::vars::Vars;
use crate::clock;
use crate::error::TemplateError;
use bytes::BytesMut;
use rand::Rng;
use rand_distr::{Distribution, Zipf};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Var {
    Vu,
    Iteration,
    Seq,
    Step,
    Uuid,
    TimestampMs,
    Timestamp,
    RandomInt(i64, i64),
    /// The first key, and the Zipf distribution over ranks `1..=b-a+1`.
    RandomZipf(i64, Zipf<f64>),
}

pub(super) fn write_var(v: Var, vars: &mut Vars<'_>, buf: &mut BytesMut) {
    match v {
        Var::Vu => put_decimal(buf, vars.vu),
        Var::Iteration => put_decimal(buf, vars.iteration),
        Var::Seq => put_decimal(buf, vars.seq),
        Var::TimestampMs => {
            let ms = vars.now_ms();
            put_decimal(buf, ms)
        }
        Var::RandomInt(a, b) => {
            let v = vars.rng.random_range(a..=b);
            if v < 0 {
                buf.extend_from_slice(b"-");
            }
            put_decimal(buf, v.unsigned_abs())
        }
        Var::RandomZipf(first, zipf) => {
            // A rank in 1..=n; the float holds an exact integer (n <= 2^53 is checked at parse).
            let rank = zipf.sample(&mut *vars.rng) as i64;
            let v = first.saturating_add(rank - 1);
            if v < 0 {
                buf.extend_from_slice(b"-");
            }
            put_decimal(buf, v.unsigned_abs())
        }
        Var::Step => buf.extend_from_slice(vars.step.as_bytes()),
        Var::Uuid => {
            let id = vars.uuid();
            buf.extend_from_slice(&id)
        }
        Var::Timestamp => {
            let ms = vars.now_ms();
            buf.extend_from_slice(&clock::rfc3339(ms))
        }
    }
}

/// Appends `v` in decimal, without `fmt` and without allocating (the HTTP fast path writes
/// `content-length` with it, per request).
#[inline]
pub fn put_decimal(buf: &mut BytesMut, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

pub(super) fn parse_var(template: &str, name: &str) -> Result<Var, TemplateError> {
    Ok(match name {
        "vu" => Var::Vu,
        "iteration" => Var::Iteration,
        "seq" => Var::Seq,
        "step" => Var::Step,
        "uuid" => Var::Uuid,
        "timestamp_ms" => Var::TimestampMs,
        "timestamp" => Var::Timestamp,
        _ => {
            if let Some(args) = name.strip_prefix("random_int") {
                parse_random_int(template, args.trim())?
            } else if let Some(args) = name.strip_prefix("random_zipf") {
                parse_random_zipf(template, args.trim())?
            } else {
                return Err(TemplateError::UnknownVar {
                    template: template.to_owned(),
                    name: name.to_owned(),
                });
            }
        }
    })
}

fn parse_random_int(template: &str, args: &str) -> Result<Var, TemplateError> {
    let err = || TemplateError::Malformed {
        template: template.to_owned(),
        reason: format!("`random_int{args}` needs two integers a <= b: random_int(a,b)"),
    };
    let inner = args
        .strip_prefix('(')
        .and_then(|a| a.strip_suffix(')'))
        .ok_or_else(err)?;
    let (a, b) = inner.split_once(',').ok_or_else(err)?;
    let a: i64 = a.trim().parse().map_err(|_| err())?;
    let b: i64 = b.trim().parse().map_err(|_| err())?;
    if a > b {
        return Err(err());
    }
    Ok(Var::RandomInt(a, b))
}

/// `random_zipf(a,b)` or `random_zipf(a,b,s)`: `a <= b`, at most 2^53 keys (ranks are drawn
/// as floats), and an exponent `s >= 0` (0 is uniform; 1, the default, is the classic Zipf law).
fn parse_random_zipf(template: &str, args: &str) -> Result<Var, TemplateError> {
    let err = || TemplateError::Malformed {
        template: template.to_owned(),
        reason: format!(
            "`random_zipf{args}` needs two integers a <= b and an optional exponent s >= 0: \
             random_zipf(a,b) or random_zipf(a,b,s)"
        ),
    };
    let inner = args
        .strip_prefix('(')
        .and_then(|a| a.strip_suffix(')'))
        .ok_or_else(err)?;
    let mut fields = inner.split(',').map(str::trim);
    let a: i64 = fields.next().and_then(|f| f.parse().ok()).ok_or_else(err)?;
    let b: i64 = fields.next().and_then(|f| f.parse().ok()).ok_or_else(err)?;
    let s: f64 = match fields.next() {
        Some(f) => f.parse().map_err(|_| err())?,
        None => 1.0,
    };
    if fields.next().is_some() || a > b || !(s >= 0.0 && s.is_finite()) {
        return Err(err());
    }
    let span = b.abs_diff(a);
    if span >= 1 << 53 {
        return Err(err());
    }
    let n = span + 1;
    let zipf = Zipf::new(n as f64, s).map_err(|_| err())?;
    Ok(Var::RandomZipf(a, zipf))
}
