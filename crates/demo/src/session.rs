//! The routes a user journey walks: `POST /api/login` hands out bearer tokens, a request that
//! carries `Authorization` must carry one of them, and `POST /api/payments/{id}/refund`
//! refunds a payment the target created.
//!
//! Tokens are `tok_<n>` for the n-th login, so checking one is a parse and a compare, with no
//! table to grow under load. Sending no `Authorization` at all is still accepted: every
//! scenario written before journeys reads payments anonymously.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use http::header::AUTHORIZATION;
use http::HeaderMap;
use serde_json::Value;

use crate::api::Rejection;

/// The password every demo user logs in with.
pub(crate) const DEMO_PASSWORD: &str = "demo";

/// Logins and refunds handed out so far.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    logins: AtomicU64,
    refunds: AtomicU64,
}

impl Sessions {
    /// `{"user": "…", "password": "demo"}` → `{"token": "tok_<n>"}`; a wrong password is 401,
    /// a body without both fields 400.
    pub(crate) fn login(&self, body: &[u8]) -> Result<Value, Rejection> {
        let doc: Value = serde_json::from_slice(body).map_err(|_| Rejection::BadRequest)?;
        let (Some(user), Some(password)) = (
            doc.get("user").and_then(Value::as_str),
            doc.get("password").and_then(Value::as_str),
        ) else {
            return Err(Rejection::BadRequest);
        };
        if user.is_empty() || password != DEMO_PASSWORD {
            return Err(Rejection::Unauthorized);
        }
        let n = self.logins.fetch_add(1, Relaxed) + 1;
        Ok(serde_json::json!({ "token": format!("tok_{n}"), "user": user }))
    }

    /// False when the request carries an `Authorization` that is not a token we issued.
    pub(crate) fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return true;
        };
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| t.strip_prefix("tok_"))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 1 && n <= self.logins.load(Relaxed))
    }

    /// The refund of payment `pay_<id>`: `{"id":"ref_<n>","payment":"pay_<id>","status":"refunded"}`.
    pub(crate) fn refund(&self, id: u64) -> Value {
        let n = self.refunds.fetch_add(1, Relaxed) + 1;
        serde_json::json!({
            "id": format!("ref_{n}"),
            "payment": format!("pay_{id}"),
            "status": "refunded",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_issued_by_login_and_checked() {
        let s = Sessions::default();
        let mut h = HeaderMap::new();
        assert!(
            s.accepts(&h),
            "no Authorization: anonymous access stays open"
        );
        h.insert(AUTHORIZATION, "Bearer tok_1".parse().unwrap());
        assert!(!s.accepts(&h), "not issued yet");
        let t = s.login(br#"{"user":"ann","password":"demo"}"#).unwrap();
        assert_eq!(t["token"], "tok_1");
        assert!(s.accepts(&h));
        h.insert(AUTHORIZATION, "Bearer tok_2".parse().unwrap());
        assert!(!s.accepts(&h));
        assert_eq!(
            s.login(br#"{"user":"ann","password":"x"}"#),
            Err(Rejection::Unauthorized)
        );
        assert_eq!(s.login(br#"{"user":"ann"}"#), Err(Rejection::BadRequest));
        assert_eq!(s.refund(7)["payment"], "pay_7");
    }
}
