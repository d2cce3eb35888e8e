//! Authentication as the seed systems do it: `POST /api/login` hands out an HS256 JWT with an
//! expiry, the API takes it as `Authorization: Bearer …` (or, in cookie mode, as the `session`
//! cookie), and logins are rate-limited per user.
//!
//! How strict the target is comes from [`AuthPolicy`]: `optional` (the default) serves
//! anonymous requests, as every scenario written before journeys expects, but refuses a token
//! it did not issue or one that expired; `required` answers 401 to a request without one.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, COOKIE};
use http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::Rejection;

/// The password every demo user logs in with.
pub(crate) const DEMO_PASSWORD: &str = "demo";

/// The cookie that carries the token in cookie mode.
pub const SESSION_COOKIE: &str = "session";

/// Whether the API demands a token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Anonymous requests are served; a token that is sent must be valid.
    #[default]
    Optional,
    /// Every `/api/` request but the login needs a valid token (401 otherwise).
    Required,
}

impl FromStr for AuthMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "optional" => Ok(AuthMode::Optional),
            "required" => Ok(AuthMode::Required),
            other => Err(format!(
                "unknown auth mode `{other}` (use optional or required)"
            )),
        }
    }
}

/// A limit of `count` per `per` (`10/min`), parsed from `N/s`, `N/min` or `N/h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// How many in each period.
    pub count: NonZeroU32,
    /// The period.
    pub per: Duration,
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a limit like 10/min (units: s, min, h)");
        let (n, unit) = s.split_once('/').ok_or_else(bad)?;
        let count = n.trim().parse::<NonZeroU32>().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" | "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(RateLimit { count, per })
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// How the target authenticates (part of [`crate::TargetConfig`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthPolicy {
    /// Whether anonymous API requests are served.
    pub mode: AuthMode,
    /// How long a token lives.
    pub token_ttl: Duration,
    /// Logins allowed per user; past it, 429 with `Retry-After`.
    pub login_limit: Option<RateLimit>,
    /// Also hand the token out as a `session` cookie and accept it from one.
    pub session_cookie: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            mode: AuthMode::Optional,
            token_ttl: Duration::from_secs(3600),
            login_limit: None,
            session_cookie: false,
        }
    }
}

/// What a successful login answers with.
pub(crate) struct Login {
    pub(crate) body: Value,
    /// The `Set-Cookie` value in cookie mode.
    pub(crate) cookie: Option<String>,
}

/// Why a login or a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The request itself is wrong (400, 401).
    Rejected(Rejection),
    /// Too many logins for this user: retry after this many seconds (429).
    Limited(u64),
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    jti: u64,
}

/// Logins, tokens and refunds: the target's session state.
pub(crate) struct Sessions {
    policy: AuthPolicy,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Per user: the start of the current limit window and the logins in it. Grows with the
    /// number of distinct users, which a demo run keeps small.
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    logins: AtomicU64,
    login_failures: AtomicU64,
    rate_limited: AtomicU64,
    unauthorized: AtomicU64,
    expired: AtomicU64,
    refunds: AtomicU64,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What `/__counters` reports about authentication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCounts {
    /// Successful logins (tokens issued).
    pub logins: u64,
    /// Logins refused for a wrong password or a malformed body.
    pub login_failures: u64,
    /// Logins refused by the per-user limit (429).
    pub rate_limited: u64,
    /// API requests answered 401 (no token where one is required, or a token not issued here).
    pub unauthorized: u64,
    /// Of those, requests whose token had expired.
    pub expired: u64,
    /// Refunds made.
    pub refunds: u64,
}

impl Sessions {
    /// Sessions signing with a key drawn from `seed` (a fresh target, fresh tokens).
    pub(crate) fn new(policy: AuthPolicy, seed: u64) -> Sessions {
        let key: [u8; 32] = rand::Rng::random(
            &mut <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(
                seed ^ 0x6a77_745f_6b65_7921,
            ),
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Sessions {
            policy,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            windows: Mutex::default(),
            logins: AtomicU64::new(0),
            login_failures: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            refunds: AtomicU64::new(0),
        }
    }

    /// `{"user": "…", "password": "demo"}` → `{"token": JWT, "user": …, "expires_in": s}`; a
    /// wrong password is 401, a body without both fields 400, a user past the login limit 429.
    pub(crate) fn login(&self, body: &[u8]) -> Result<Login, Refusal> {
        let refuse = |r| {
            self.login_failures.fetch_add(1, Relaxed);
            Err(Refusal::Rejected(r))
        };
        let Ok(doc) = serde_json::from_slice::<Value>(body) else {
            return refuse(Rejection::BadRequest);
        };
        let (Some(user), Some(password)) = (
            doc.get("user").and_then(Value::as_str),
            doc.get("password").and_then(Value::as_str),
        ) else {
            return refuse(Rejection::BadRequest);
        };
        if let Some(wait) = self.over_limit(user) {
            self.rate_limited.fetch_add(1, Relaxed);
            return Err(Refusal::Limited(wait));
        }
        if user.is_empty() || password != DEMO_PASSWORD {
            return refuse(Rejection::Unauthorized);
        }
        let n = self.logins.fetch_add(1, Relaxed) + 1;
        let now = unix_now();
        let ttl = self.policy.token_ttl.as_secs().max(1);
        let claims = Claims {
            sub: user.to_owned(),
            iat: now,
            exp: now + ttl,
            jti: n,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| Refusal::Rejected(Rejection::Injected))?;
        let cookie = self.policy.session_cookie.then(|| {
            format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}")
        });
        Ok(Login {
            body: serde_json::json!({ "token": token, "user": user, "expires_in": ttl }),
            cookie,
        })
    }

    /// Seconds to wait when `user` has used up its logins for the current window.
    fn over_limit(&self, user: &str) -> Option<u64> {
        let limit = self.policy.login_limit?;
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let (start, used) = windows.entry(user.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= limit.per {
            *start = now;
            *used = 0;
        }
        if *used >= limit.count.get() {
            let left = limit.per.saturating_sub(now.duration_since(*start));
            return Some(left.as_secs().max(1));
        }
        *used += 1;
        None
    }

    /// Whether an API request may go on: `Err` (401, counted) when it carries a token this
    /// target did not issue or that expired, or none where one is required.
    pub(crate) fn admit(&self, headers: &HeaderMap) -> Result<(), Rejection> {
        let verdict = match self.token(headers) {
            None if self.policy.mode == AuthMode::Optional => return Ok(()),
            None => Err(()),
            Some(token) => {
                match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
                    Ok(_) => return Ok(()),
                    Err(e) => {
                        if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) {
                            self.expired.fetch_add(1, Relaxed);
                        }
                        Err(())
                    }
                }
            }
        };
        verdict.map_err(|()| {
            self.unauthorized.fetch_add(1, Relaxed);
            Rejection::Unauthorized
        })
    }

    /// The bearer token, or in cookie mode the `session` cookie.
    fn token<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        if let Some(v) = headers.get(AUTHORIZATION) {
            // An Authorization that is not a bearer token is a token we did not issue.
            return Some(v.to_str().ok()?.strip_prefix("Bearer ").unwrap_or(""));
        }
        if !self.policy.session_cookie {
            return None;
        }
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
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

    pub(crate) fn counts(&self) -> AuthCounts {
        AuthCounts {
            logins: self.logins.load(Relaxed),
            login_failures: self.login_failures.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            expired: self.expired.load(Relaxed),
            refunds: self.refunds.load(Relaxed),
        }
    }

    pub(crate) fn reset_counts(&self) {
        for c in [
            &self.logins,
            &self.login_failures,
            &self.rate_limited,
            &self.unauthorized,
            &self.expired,
            &self.refunds,
        ] {
            c.store(0, Relaxed);
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(s: &Sessions, user: &str, password: &str) -> Result<Login, Refusal> {
        s.login(format!(r#"{{"user":"{user}","password":"{password}"}}"#).as_bytes())
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        h
    }

    #[test]
    fn tokens_are_jwts_this_target_issued_and_checked() {
        let s = Sessions::new(AuthPolicy::default(), 1);
        assert_eq!(
            s.admit(&HeaderMap::new()),
            Ok(()),
            "optional: anonymous is served"
        );
        let t = login(&s, "ann", "demo").ok().unwrap().body;
        let token = t["token"].as_str().unwrap().to_owned();
        assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
        assert_eq!(t["expires_in"], 3600);
        assert_eq!(s.admit(&bearer(&token)), Ok(()));
        // Another target (another key) did not issue it; a made-up one neither.
        let other = Sessions::new(AuthPolicy::default(), 2);
        assert_eq!(other.admit(&bearer(&token)), Err(Rejection::Unauthorized));
        assert_eq!(s.admit(&bearer("tok_1")), Err(Rejection::Unauthorized));
        assert_eq!(
            login(&s, "ann", "x").err(),
            Some(Refusal::Rejected(Rejection::Unauthorized))
        );
        assert_eq!(
            s.login(br#"{"user":"ann"}"#).err(),
            Some(Refusal::Rejected(Rejection::BadRequest))
        );
        let c = s.counts();
        assert_eq!((c.logins, c.login_failures, c.unauthorized), (1, 2, 1));
        assert_eq!(s.refund(7)["payment"], "pay_7");
    }

    #[test]
    fn required_mode_refuses_anonymous_and_expired_tokens() {
        let policy = AuthPolicy {
            mode: AuthMode::Required,
            token_ttl: Duration::from_secs(1),
            ..AuthPolicy::default()
        };
        let s = Sessions::new(policy, 3);
        assert_eq!(s.admit(&HeaderMap::new()), Err(Rejection::Unauthorized));
        // A token whose expiry is already past, signed with the target's own key.
        let past = unix_now() - 10;
        let stale = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "ann".into(),
                iat: past - 1,
                exp: past,
                jti: 9,
            },
            &s.encoding,
        )
        .unwrap();
        assert_eq!(s.admit(&bearer(&stale)), Err(Rejection::Unauthorized));
        assert_eq!((s.counts().unauthorized, s.counts().expired), (2, 1));
    }

    #[test]
    fn logins_are_limited_per_user_and_cookie_mode_sets_and_reads_the_cookie() {
        let policy = AuthPolicy {
            login_limit: Some("2/min".parse().unwrap()),
            session_cookie: true,
            mode: AuthMode::Required,
            ..AuthPolicy::default()
        };
        let s = Sessions::new(policy, 4);
        let first = login(&s, "ann", "demo").ok().unwrap();
        assert!(login(&s, "ann", "demo").is_ok());
        match login(&s, "ann", "demo").err() {
            Some(Refusal::Limited(wait)) => assert!((1..=60).contains(&wait), "{wait}"),
            other => panic!("{other:?}"),
        }
        assert!(login(&s, "bob", "demo").is_ok(), "the limit is per user");
        assert_eq!(s.counts().rate_limited, 1);
        let cookie = first.cookie.unwrap();
        assert!(cookie.starts_with("session=") && cookie.contains("HttpOnly"));
        let mut h = HeaderMap::new();
        let pair = cookie.split(';').next().unwrap();
        h.insert(COOKIE, format!("theme=dark; {pair}").parse().unwrap());
        assert_eq!(s.admit(&h), Ok(()));
        assert!("10/fortnight".parse::<RateLimit>().is_err());
        assert_eq!(
            "100/min".parse::<RateLimit>().unwrap().to_string(),
            "100/min"
        );
    }
}
