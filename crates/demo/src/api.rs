//! The payments API's request validation and its built-to-fail rejections.
//!
//! Pure functions from request bytes to a validated payment or a rejection class; the
//! routing layer turns them into responses. Checks run in this order: malformed body or
//! missing fields (400), amount (422), currency (422), test cards (402).

use http::StatusCode;
use serde_json::Value;

use crate::store::NewPayment;

/// Currencies the demo target accepts (compared case-insensitively).
pub(crate) const SUPPORTED_CURRENCIES: [&str; 9] = [
    "AUD", "USD", "EUR", "GBP", "JPY", "NZD", "SGD", "CAD", "CHF",
];

/// Test card numbers (and their keyword aliases) that are declined.
const DECLINED_CARDS: [&str; 2] = ["declined", "4000000000000002"];
const INSUFFICIENT_FUNDS_CARDS: [&str; 2] = ["insufficient_funds", "4000000000009995"];

/// Why a request was refused; each has a fixed status and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    BadRequest,
    InvalidAmount,
    UnsupportedCurrency,
    CardDeclined,
    InsufficientFunds,
    NotFound,
    PayloadTooLarge,
    Injected,
    /// A wrong password, or an `Authorization` that is not a token the target issued.
    Unauthorized,
}

impl Rejection {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Rejection::BadRequest => StatusCode::BAD_REQUEST,
            Rejection::InvalidAmount | Rejection::UnsupportedCurrency => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Rejection::CardDeclined | Rejection::InsufficientFunds => StatusCode::PAYMENT_REQUIRED,
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Injected => StatusCode::INTERNAL_SERVER_ERROR,
            Rejection::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }

    pub(crate) fn body(self) -> &'static [u8] {
        match self {
            Rejection::BadRequest => br#"{"error":"bad_request"}"#,
            Rejection::InvalidAmount => br#"{"error":"invalid_amount"}"#,
            Rejection::UnsupportedCurrency => br#"{"error":"unsupported_currency"}"#,
            Rejection::CardDeclined => br#"{"error":"card_declined"}"#,
            Rejection::InsufficientFunds => br#"{"error":"insufficient_funds"}"#,
            Rejection::NotFound => br#"{"error":"not_found"}"#,
            Rejection::PayloadTooLarge => br#"{"error":"payload_too_large"}"#,
            Rejection::Injected => br#"{"error":"injected"}"#,
            Rejection::Unauthorized => br#"{"error":"unauthorized"}"#,
        }
    }
}

/// A validated create request.
#[derive(Debug, PartialEq)]
pub(crate) struct CreateRequest {
    pub(crate) payment: NewPayment,
    /// From the body's `idempotency_key` (the header takes precedence over it).
    pub(crate) idempotency_key: Option<String>,
}

/// Validates the body of `POST /api/payments`: a JSON object; unknown fields are ignored.
pub(crate) fn parse_create(body: &[u8]) -> Result<CreateRequest, Rejection> {
    let Ok(Value::Object(mut body)) = serde_json::from_slice(body) else {
        return Err(Rejection::BadRequest);
    };
    let mut field = |name: &str| body.remove(name).unwrap_or(Value::Null);
    let amount = match field("amount") {
        Value::Null => return Err(Rejection::BadRequest),
        Value::Number(n) if n.as_f64().is_some_and(|v| v > 0.0) => n,
        _ => return Err(Rejection::InvalidAmount),
    };
    let currency = match field("currency") {
        Value::Null => return Err(Rejection::BadRequest),
        Value::String(code) => SUPPORTED_CURRENCIES
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(&code))
            .ok_or(Rejection::UnsupportedCurrency)?,
        _ => return Err(Rejection::UnsupportedCurrency),
    };
    check_card(&field("card"))?;
    Ok(CreateRequest {
        payment: NewPayment {
            amount,
            currency,
            customer_id: string(field("customer_id")),
            reference: string(field("reference")),
        },
        idempotency_key: string(field("idempotency_key")),
    })
}

/// `card` may be a string (number or keyword) or an object with a `number`; anything else
/// is accepted as a good card.
fn check_card(card: &Value) -> Result<(), Rejection> {
    let text = match card {
        Value::String(s) => s.as_str(),
        Value::Object(fields) => match fields.get("number") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Ok(()),
        },
        _ => return Ok(()),
    };
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if DECLINED_CARDS.contains(&digits.as_str()) {
        Err(Rejection::CardDeclined)
    } else if INSUFFICIENT_FUNDS_CARDS.contains(&digits.as_str()) {
        Err(Rejection::InsufficientFunds)
    } else {
        Ok(())
    }
}

fn string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// `limit` from the query of `GET /api/payments`: default 10, clamped to 100.
pub(crate) fn parse_limit(query: Option<&str>) -> Result<usize, Rejection> {
    const DEFAULT: usize = 10;
    const MAX: usize = 100;
    let value = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.strip_prefix("limit="))
        .next_back();
    match value {
        None => Ok(DEFAULT),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.min(MAX))
            .map_err(|_| Rejection::BadRequest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(body: &str) -> Rejection {
        parse_create(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn accepts_a_payment() {
        let req = parse_create(
            br#"{"amount":1250,"currency":"aud","card":"4242 4242 4242 4242",
                 "customer_id":"c1","idempotency_key":"k","extra":true}"#,
        )
        .unwrap();
        assert_eq!(req.payment.amount, 1250u64.into());
        assert_eq!(req.payment.currency, "AUD");
        assert_eq!(req.payment.customer_id.as_deref(), Some("c1"));
        assert_eq!(req.idempotency_key.as_deref(), Some("k"));
        assert!(parse_create(br#"{"amount":12.5,"currency":"JPY"}"#).is_ok());
    }

    #[test]
    fn rejection_classes() {
        use Rejection::*;
        let cases = [
            ("not json", BadRequest),
            ("[1,2]", BadRequest),
            (r#"{"currency":"AUD"}"#, BadRequest),
            (r#"{"amount":5}"#, BadRequest),
            (r#"{"amount":0,"currency":"AUD"}"#, InvalidAmount),
            (r#"{"amount":-3,"currency":"AUD"}"#, InvalidAmount),
            (r#"{"amount":"5","currency":"AUD"}"#, InvalidAmount),
            (r#"{"amount":5,"currency":"XXX"}"#, UnsupportedCurrency),
            (r#"{"amount":5,"currency":7}"#, UnsupportedCurrency),
            (
                r#"{"amount":5,"currency":"AUD","card":"declined"}"#,
                CardDeclined,
            ),
            (
                r#"{"amount":5,"currency":"AUD","card":"4000 0000 0000 0002"}"#,
                CardDeclined,
            ),
            (
                r#"{"amount":5,"currency":"AUD","card":{"number":"4000000000000002"}}"#,
                CardDeclined,
            ),
            (
                r#"{"amount":5,"currency":"AUD","card":"insufficient_funds"}"#,
                InsufficientFunds,
            ),
            (
                r#"{"amount":5,"currency":"AUD","card":"4000000000009995"}"#,
                InsufficientFunds,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(reject(body), want, "{body}");
        }
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(10));
        assert_eq!(parse_limit(Some("limit=3")), Ok(3));
        assert_eq!(parse_limit(Some("x=1&limit=500")), Ok(100));
        assert_eq!(parse_limit(Some("limit=abc")), Err(Rejection::BadRequest));
    }
}
