//! The demo target's webhook receiver and its asynchronous-callback endpoint.
//!
//! * `POST /webhooks/stripe` verifies `Stripe-Signature` (HMAC-SHA256 over `{t}.{body}`, any
//!   `v1` entry, keyed with the secret's text); `POST /webhooks/standard` verifies Standard
//!   Webhooks headers (HMAC-SHA256 over `{id}.{ts}.{body}`, keyed with the base64 part of
//!   `whsec_…`). A bad or missing signature is `400 {"error":"bad_signature"}`, a timestamp
//!   more than [`TOLERANCE_SECS`] away from now `400 {"error":"stale_timestamp"}`.
//! * A verified event whose id was seen before is answered `200 {"duplicate":true}` and not
//!   processed again; one created earlier than the newest event already processed for the
//!   same `data.object.id` is answered `200 {"out_of_order":true}` and not applied. Both are
//!   counted. Event ids and object states are kept in bounded sharded maps (oldest evicted).
//! * `POST /api/payments/async` answers `202` at once and, after the configured callback
//!   delay, POSTs `{"correlation_id":…,"status":"succeeded"}` (with `x-correlation-id`) to the
//!   loopback URL the request named (`x-callback-url` header or `callback_url` field).
//!
//! The verification here is written independently of the load generator's signer (only the
//! HMAC and hash crates are shared), so an end-to-end run cross-checks both.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::DemoError;

/// Largest accepted distance between a signed timestamp and now, both ways (Stripe's and
/// the Standard Webhooks libraries' default).
pub const TOLERANCE_SECS: u64 = 300;
const SHARDS: usize = 16;
const PER_SHARD: usize = 16_384;

/// The receiver's signing secret, `whsec_` and base64. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The demo secret used when none is configured.
    pub const DEMO: &'static str = "whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0";

    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        WebhookSecret(text.into())
    }

    /// The base64-decoded key, or why there is none (the secret itself is never shown).
    pub(crate) fn standard_key(&self) -> Result<Vec<u8>, DemoError> {
        self.0
            .strip_prefix("whsec_")
            .and_then(|b| B64.decode(b).ok())
            .filter(|k| !k.is_empty())
            .ok_or(DemoError::BadWebhookSecret)
    }
}

impl Default for WebhookSecret {
    fn default() -> Self {
        WebhookSecret(Self::DEMO.into())
    }
}

impl std::str::FromStr for WebhookSecret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(WebhookSecret::new(s))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which signature a webhook route checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Stripe,
    Standard,
}

/// What the webhook and callback endpoints have seen, as `/__counters` serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCounts {
    /// Verified, new, in-order events processed.
    pub processed: u64,
    /// Deliveries refused for a bad or missing signature.
    pub bad_signature: u64,
    /// Deliveries refused for a timestamp outside the tolerance.
    pub stale: u64,
    /// Verified deliveries of an event id already processed (answered 2xx, not processed).
    pub duplicates: u64,
    /// Verified events older than the newest processed for their object (2xx, not applied).
    pub out_of_order: u64,
    /// Async requests accepted (each owes a callback).
    pub async_accepted: u64,
    /// Callbacks answered by the receiver.
    pub callbacks_sent: u64,
    /// Callbacks that could not be delivered.
    pub callbacks_failed: u64,
}

#[derive(Debug, Default)]
struct Counts {
    processed: AtomicU64,
    bad_signature: AtomicU64,
    stale: AtomicU64,
    duplicates: AtomicU64,
    out_of_order: AtomicU64,
    async_accepted: AtomicU64,
    callbacks_sent: AtomicU64,
    callbacks_failed: AtomicU64,
}

/// One shard: values by key, and keys in insertion order for eviction.
type Shard = Mutex<(HashMap<String, u64>, VecDeque<String>)>;

/// A map that forgets its oldest keys past a bound, split into locked shards.
#[derive(Debug)]
struct Bounded {
    shards: Box<[Shard]>,
}

impl Bounded {
    fn new() -> Self {
        Bounded {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard(&self, key: &str) -> &Shard {
        let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        &self.shards[(h as usize) % SHARDS]
    }

    /// Runs `f` on the key's current value (if any); `f` returns the value to store.
    fn update(&self, key: &str, f: impl FnOnce(Option<u64>) -> Option<u64>) {
        let Ok(mut guard) = self.shard(key).lock() else {
            return;
        };
        let (map, order) = &mut *guard;
        let old = map.get(key).copied();
        if let Some(new) = f(old) {
            if map.insert(key.to_owned(), new).is_none() {
                order.push_back(key.to_owned());
                if order.len() > PER_SHARD {
                    if let Some(evicted) = order.pop_front() {
                        map.remove(&evicted);
                    }
                }
            }
        }
    }

    fn clear(&self) {
        for s in self.shards.iter() {
            if let Ok(mut g) = s.lock() {
                g.0.clear();
                g.1.clear();
            }
        }
    }
}

/// State of the webhook routes.
#[derive(Debug)]
pub(crate) struct Webhooks {
    secret: WebhookSecret,
    standard_key: Vec<u8>,
    callback_delay: Duration,
    events: Bounded,
    objects: Bounded,
    counts: Arc<Counts>,
}

/// The headers a webhook or async request needs, taken before its body is read.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    signature: Option<String>,
    id: Option<String>,
    timestamp: Option<String>,
    correlation: Option<String>,
    callback_url: Option<String>,
}

impl Incoming {
    pub(crate) fn from_headers(h: &HeaderMap) -> Self {
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Incoming {
            signature: get("stripe-signature").or_else(|| get("webhook-signature")),
            id: get("webhook-id"),
            timestamp: get("webhook-timestamp"),
            correlation: get("x-correlation-id"),
            callback_url: get("x-callback-url"),
        }
    }
}

/// A handled request: status and fixed body.
pub(crate) type Answer = (StatusCode, &'static [u8]);

const BAD_SIGNATURE: Answer = (StatusCode::BAD_REQUEST, br#"{"error":"bad_signature"}"#);
const STALE: Answer = (StatusCode::BAD_REQUEST, br#"{"error":"stale_timestamp"}"#);
const BAD_EVENT: Answer = (StatusCode::BAD_REQUEST, br#"{"error":"bad_event"}"#);

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn fresh(ts: u64, now: u64) -> bool {
    ts.abs_diff(now) <= TOLERANCE_SECS
}

impl Webhooks {
    pub(crate) fn new(secret: &WebhookSecret, callback_delay: Duration) -> Result<Self, DemoError> {
        Ok(Webhooks {
            standard_key: secret.standard_key()?,
            secret: secret.clone(),
            callback_delay,
            events: Bounded::new(),
            objects: Bounded::new(),
            counts: Arc::default(),
        })
    }

    pub(crate) fn snapshot(&self) -> WebhookCounts {
        let c = &self.counts;
        WebhookCounts {
            processed: c.processed.load(Relaxed),
            bad_signature: c.bad_signature.load(Relaxed),
            stale: c.stale.load(Relaxed),
            duplicates: c.duplicates.load(Relaxed),
            out_of_order: c.out_of_order.load(Relaxed),
            async_accepted: c.async_accepted.load(Relaxed),
            callbacks_sent: c.callbacks_sent.load(Relaxed),
            callbacks_failed: c.callbacks_failed.load(Relaxed),
        }
    }

    pub(crate) fn reset(&self) {
        let c = &self.counts;
        for a in [
            &c.processed,
            &c.bad_signature,
            &c.stale,
            &c.duplicates,
            &c.out_of_order,
            &c.async_accepted,
            &c.callbacks_sent,
            &c.callbacks_failed,
        ] {
            a.store(0, Relaxed);
        }
        self.events.clear();
        self.objects.clear();
    }

    fn refuse(&self, answer: Answer) -> Answer {
        let counter = if answer == STALE {
            &self.counts.stale
        } else {
            &self.counts.bad_signature
        };
        counter.fetch_add(1, Relaxed);
        answer
    }

    /// Verifies a delivery and processes its event once.
    pub(crate) fn deliver(&self, provider: Provider, inc: &Incoming, body: &[u8]) -> Answer {
        let now = unix_now();
        let verified = match provider {
            Provider::Stripe => self.verify_stripe(inc, body, now),
            Provider::Standard => self.verify_standard(inc, body, now),
        };
        if let Err(answer) = verified {
            return self.refuse(answer);
        }
        #[derive(Deserialize)]
        struct Event {
            id: Option<String>,
            created: Option<u64>,
            data: Option<Data>,
        }
        #[derive(Deserialize)]
        struct Data {
            object: Option<Obj>,
        }
        #[derive(Deserialize)]
        struct Obj {
            id: Option<String>,
        }
        let Ok(event) = serde_json::from_slice::<Event>(body) else {
            return BAD_EVENT;
        };
        // Standard Webhooks names the message in its header; Stripe in the body.
        let Some(id) = inc
            .id
            .clone()
            .filter(|_| provider == Provider::Standard)
            .or(event.id)
        else {
            return BAD_EVENT;
        };
        let mut duplicate = false;
        self.events.update(&id, |seen| {
            duplicate = seen.is_some();
            (!duplicate).then_some(1)
        });
        if duplicate {
            self.counts.duplicates.fetch_add(1, Relaxed);
            return (StatusCode::OK, br#"{"received":true,"duplicate":true}"#);
        }
        let object = event.data.and_then(|d| d.object).and_then(|o| o.id);
        if let (Some(object), Some(created)) = (object, event.created) {
            let mut older = false;
            self.objects.update(&object, |newest| {
                older = newest.is_some_and(|n| created < n);
                (!older).then_some(created)
            });
            if older {
                self.counts.out_of_order.fetch_add(1, Relaxed);
                return (StatusCode::OK, br#"{"received":true,"out_of_order":true}"#);
            }
        }
        self.counts.processed.fetch_add(1, Relaxed);
        (StatusCode::OK, br#"{"received":true}"#)
    }

    fn verify_stripe(&self, inc: &Incoming, body: &[u8], now: u64) -> Result<(), Answer> {
        let header = inc.signature.as_deref().ok_or(BAD_SIGNATURE)?;
        let mut ts = None;
        let mut candidates = Vec::new();
        for item in header.split(',') {
            match item.trim().split_once('=') {
                Some(("t", t)) => ts = t.parse::<u64>().ok(),
                Some(("v1", v)) => candidates.extend(hex::decode(v).ok()),
                _ => {}
            }
        }
        let ts = ts.ok_or(BAD_SIGNATURE)?;
        let expected = mac(
            self.secret.0.as_bytes(),
            &[ts.to_string().as_bytes(), b".", body],
        );
        if !candidates.iter().any(|c| same(c, &expected)) {
            return Err(BAD_SIGNATURE);
        }
        fresh(ts, now).then_some(()).ok_or(STALE)
    }

    fn verify_standard(&self, inc: &Incoming, body: &[u8], now: u64) -> Result<(), Answer> {
        let (Some(id), Some(ts_text), Some(sigs)) = (&inc.id, &inc.timestamp, &inc.signature)
        else {
            return Err(BAD_SIGNATURE);
        };
        let ts = ts_text.parse::<u64>().map_err(|_| BAD_SIGNATURE)?;
        let expected = mac(
            &self.standard_key,
            &[id.as_bytes(), b".", ts_text.as_bytes(), b".", body],
        );
        let ok = sigs.split(' ').any(|s| {
            s.strip_prefix("v1,")
                .and_then(|b| B64.decode(b).ok())
                .is_some_and(|sig| same(&sig, &expected))
        });
        if !ok {
            return Err(BAD_SIGNATURE);
        }
        fresh(ts, now).then_some(()).ok_or(STALE)
    }

    /// Accepts an async payment and schedules its callback.
    pub(crate) fn accept_async(&self, inc: &Incoming, body: &[u8]) -> Answer {
        #[derive(Deserialize)]
        struct Req {
            correlation_id: Option<String>,
            callback_url: Option<String>,
        }
        let fields = serde_json::from_slice::<Req>(body).ok();
        let (f_corr, f_url) = fields.map_or((None, None), |f| (f.correlation_id, f.callback_url));
        let (Some(corr), Some(url)) = (
            inc.correlation.clone().or(f_corr),
            inc.callback_url.clone().or(f_url),
        ) else {
            return (
                StatusCode::BAD_REQUEST,
                br#"{"error":"callback_url and correlation_id required"}"#,
            );
        };
        let Some(dest) = loopback(&url) else {
            return (
                StatusCode::BAD_REQUEST,
                br#"{"error":"callback_url must be http:// on loopback"}"#,
            );
        };
        self.counts.async_accepted.fetch_add(1, Relaxed);
        let counts = Arc::clone(&self.counts);
        let delay = self.callback_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let ok = call_back(dest, &url, &corr).await;
            let c = if ok {
                &counts.callbacks_sent
            } else {
                &counts.callbacks_failed
            };
            c.fetch_add(1, Relaxed);
        });
        (StatusCode::ACCEPTED, br#"{"status":"accepted"}"#)
    }
}

/// The socket address of an `http://` URL on a loopback address; `None` for anything else
/// (the demo target calls back nowhere but the machine it runs on).
fn loopback(url: &str) -> Option<std::net::SocketAddr> {
    let uri: http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        h => h.parse().ok()?,
    };
    ip.is_loopback()
        .then(|| std::net::SocketAddr::new(ip, uri.port_u16().unwrap_or(80)))
}

async fn call_back(dest: std::net::SocketAddr, url: &str, corr: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let body = serde_json::json!({ "correlation_id": corr, "status": "succeeded" }).to_string();
    let Ok(req) = Request::post(path)
        .header(http::header::HOST, dest.to_string())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("x-correlation-id", corr)
        .body(Full::new(Bytes::from(body)))
    else {
        return false;
    };
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(dest).await.ok()?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .ok()?;
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.ok()?;
        Some(resp.status().is_success())
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_called_back() {
        assert!(loopback("http://127.0.0.1:9/cb").is_some());
        assert!(loopback("http://localhost:9/cb").is_some());
        assert!(loopback("http://[::1]:9/cb").is_some());
        assert!(loopback("http://10.0.0.1:9/cb").is_none());
        assert!(loopback("https://127.0.0.1:9/cb").is_none());
        assert!(loopback("http://example.com/cb").is_none());
    }

    #[test]
    fn the_demo_secret_decodes_and_hides() {
        let s = WebhookSecret::default();
        assert!(s.standard_key().is_ok());
        assert_eq!(format!("{s:?}"), "***");
        assert!(WebhookSecret::new("whsec_***").standard_key().is_err());
    }
}
