//! Routing: from an HTTP request to a response, with accounting, injected errors and
//! injected latency.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::api::{self, Rejection};
use crate::auth::{Refusal, Sessions};
use crate::counters::{Counters, Route};
use crate::faults::{Fault, FaultPlan};
use crate::latency::LatencySampler;
use crate::store::{Payment, Store, DEFAULT_CAPACITY};
use crate::webhooks::{Provider, Webhooks};
use crate::{DemoError, TargetConfig};

/// Request bodies larger than this are answered 413.
const MAX_BODY: usize = 64 * 1024;

pub(crate) type Body = Full<Bytes>;

/// State shared by all connections of one target.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) counters: Counters,
    webhooks: Webhooks,
    store: Store,
    sessions: Sessions,
    latency: LatencySampler,
    error_rate: f64,
    seed: u64,
    pub(crate) faults: FaultPlan,
}

/// What a request asks for, decided from its method and URI alone.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Endpoint {
    CreatePayment,
    /// `None`: an id that cannot exist (`/api/payments/abc`).
    GetPayment(Option<u64>),
    ListPayments(Result<usize, Rejection>),
    Health,
    Counters,
    ResetCounters,
    Webhook(crate::webhooks::Provider),
    AsyncPayment,
    Login,
    /// `POST /api/payments/{id}/refund`; `None` as for [`Endpoint::GetPayment`].
    Refund(Option<u64>),
    /// `GET /api/redirect?n=N`: a chain of N redirects (`None`: no valid `n`).
    Redirect(Option<u32>),
    /// `POST /api/heartbeat`: a session's keep-alive.
    Heartbeat,
    /// `POST /api/logout`.
    Logout,
    NotFound,
}

impl Endpoint {
    fn classify(method: &Method, uri: &Uri) -> Self {
        let path = uri.path();
        match (method, path) {
            (&Method::POST, "/api/payments") => Endpoint::CreatePayment,
            (&Method::POST, "/webhooks/stripe") => Endpoint::Webhook(Provider::Stripe),
            (&Method::POST, "/webhooks/standard") => Endpoint::Webhook(Provider::Standard),
            (&Method::POST, "/api/payments/async") => Endpoint::AsyncPayment,
            (&Method::POST, "/api/login") => Endpoint::Login,
            (&Method::POST, "/api/heartbeat") => Endpoint::Heartbeat,
            (&Method::POST, "/api/logout") => Endpoint::Logout,
            (&Method::GET, "/api/redirect") => Endpoint::Redirect(redirects_left(uri.query())),
            (&Method::GET, "/api/payments") => {
                Endpoint::ListPayments(api::parse_limit(uri.query()))
            }
            (&Method::GET, "/health") => Endpoint::Health,
            (&Method::GET, "/__counters") => Endpoint::Counters,
            (&Method::POST, "/__counters/reset") => Endpoint::ResetCounters,
            (&Method::POST, _) => match path
                .strip_prefix("/api/payments/")
                .and_then(|p| p.strip_suffix("/refund"))
            {
                Some(id) if !id.contains('/') => Endpoint::Refund(payment_id(id)),
                _ => Endpoint::NotFound,
            },
            (&Method::GET, _) => match path.strip_prefix("/api/payments/") {
                Some(id) if !id.contains('/') => Endpoint::GetPayment(payment_id(id)),
                _ => Endpoint::NotFound,
            },
            _ => Endpoint::NotFound,
        }
    }

    /// The counted route; `None` for the counter endpoints, which are never counted.
    fn route(&self, path: &str) -> Option<Route> {
        match self {
            Endpoint::CreatePayment => Some(Route::CreatePayment),
            Endpoint::GetPayment(_) => Some(Route::GetPayment),
            Endpoint::ListPayments(_) => Some(Route::ListPayments),
            Endpoint::Health => Some(Route::Health),
            Endpoint::Webhook(_) => Some(Route::Webhook),
            Endpoint::AsyncPayment => Some(Route::AsyncPayment),
            Endpoint::Login => Some(Route::Login),
            Endpoint::Refund(_) => Some(Route::Refund),
            Endpoint::Redirect(_) => Some(Route::Redirect),
            Endpoint::Heartbeat => Some(Route::Heartbeat),
            Endpoint::Logout => Some(Route::Logout),
            Endpoint::Counters | Endpoint::ResetCounters => None,
            Endpoint::NotFound if path == "/__counters" || path == "/__counters/reset" => None,
            Endpoint::NotFound => Some(Route::Other),
        }
    }
}

impl App {
    pub(crate) fn new(cfg: &TargetConfig) -> Result<Self, DemoError> {
        Ok(App {
            counters: Counters::new(),
            webhooks: Webhooks::new(&cfg.webhook_secret, cfg.callback_delay)?,
            store: Store::new(DEFAULT_CAPACITY),
            sessions: Sessions::new(cfg.auth.clone(), cfg.seed),
            latency: LatencySampler::new(cfg.latency).map_err(|reason| {
                DemoError::InvalidLatency {
                    input: cfg.latency.to_string(),
                    reason,
                }
            })?,
            error_rate: cfg.error_rate,
            seed: cfg.seed,
            faults: FaultPlan::new(&cfg.faults),
        })
    }

    /// Seed of the generator for request `request` on connection `connection`.
    pub(crate) fn request_seed(&self, connection: u64, request: u64) -> u64 {
        self.seed ^ connection.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ request
    }

    /// Counts a request answered by a fault instead of the API (its route, the fault, and
    /// the status for the faults that have one).
    pub(crate) fn count_faulted<B>(&self, req: &Request<B>, fault: Fault) {
        let endpoint = Endpoint::classify(req.method(), req.uri());
        if let Some(route) = endpoint.route(req.uri().path()) {
            self.counters.request(route);
        }
        self.counters.fault(fault);
        match fault {
            Fault::Unavailable => self.counters.status(503),
            Fault::TooManyRequests => self.counters.status(429),
            _ => {}
        }
    }

    pub(crate) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        rng_seed: u64,
    ) -> Result<Response<Body>, Infallible> {
        let endpoint = Endpoint::classify(req.method(), req.uri());
        let Some(route) = endpoint.route(req.uri().path()) else {
            return Ok(self.counters_endpoint(endpoint));
        };
        self.counters.request(route);
        let response = match endpoint {
            Endpoint::Health => json(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#)),
            Endpoint::NotFound => reject(Rejection::NotFound),
            _ => self.api(endpoint, req, rng_seed).await,
        };
        self.counters.status(response.status().as_u16());
        Ok(response)
    }

    pub(crate) fn reset_webhooks(&self) {
        self.webhooks.reset();
    }

    /// Every counter, webhook ones included.
    pub(crate) fn snapshot(&self) -> crate::CountersSnapshot {
        let mut s = self.counters.snapshot();
        s.webhooks = self.webhooks.snapshot();
        s.auth = self.sessions.counts();
        s
    }

    fn counters_endpoint(&self, endpoint: Endpoint) -> Response<Body> {
        match endpoint {
            Endpoint::Counters => json_value(StatusCode::OK, &self.snapshot()),
            Endpoint::ResetCounters => {
                self.counters.reset();
                self.webhooks.reset();
                self.sessions.reset_counts();
                json(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#))
            }
            _ => reject(Rejection::NotFound),
        }
    }

    /// The `/api` routes: error injection is decided first, the body read, the latency
    /// waited for, and only then the request handled (or failed).
    async fn api(
        &self,
        endpoint: Endpoint,
        req: Request<Incoming>,
        rng_seed: u64,
    ) -> Response<Body> {
        let mut rng = SmallRng::seed_from_u64(rng_seed);
        let inject = self.error_rate > 0.0 && rng.random::<f64>() < self.error_rate;
        let delay = self.latency.sample(&mut rng);
        let header_key = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let incoming = crate::webhooks::Incoming::from_headers(req.headers());
        // The login is how a token is had: it never needs one.
        let admitted = match endpoint {
            Endpoint::Login => Ok(()),
            _ => self.sessions.admit(req.headers()),
        };
        let body = match endpoint {
            Endpoint::CreatePayment
            | Endpoint::Webhook(_)
            | Endpoint::AsyncPayment
            | Endpoint::Login => Some(read_body(req.into_body()).await),
            _ => None,
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if inject {
            self.counters.injected_error();
            return reject(Rejection::Injected);
        }
        if let Err(rejection) = admitted {
            return reject(rejection);
        }
        let result = match (endpoint, body) {
            (Endpoint::CreatePayment, Some(body)) => body.and_then(|b| self.create(&b, header_key)),
            (Endpoint::Webhook(p), Some(body)) => {
                body.map(|b| answer(self.webhooks.deliver(p, &incoming, &b)))
            }
            (Endpoint::AsyncPayment, Some(body)) => {
                body.map(|b| answer(self.webhooks.accept_async(&incoming, &b)))
            }
            (Endpoint::Login, Some(body)) => body.and_then(|b| self.login(&b)),
            (Endpoint::Refund(id), _) => id
                .and_then(|id| self.store.get(id))
                .map(|p| json_value(StatusCode::CREATED, &self.sessions.refund(p.id)))
                .ok_or(Rejection::NotFound),
            (Endpoint::GetPayment(id), _) => id
                .and_then(|id| self.store.get(id))
                .map(|p| json_value(StatusCode::OK, &*p))
                .ok_or(Rejection::NotFound),
            (Endpoint::Redirect(n), _) => n.map(redirect).ok_or(Rejection::BadRequest),
            (Endpoint::Heartbeat | Endpoint::Logout, _) => Ok(json_value(
                StatusCode::OK,
                &serde_json::json!({ "ok": true }),
            )),
            (Endpoint::ListPayments(limit), _) => limit.map(|n| {
                let recent = self.store.recent(n);
                let data: Vec<&Payment> = recent.iter().map(|p| &**p).collect();
                json_value(StatusCode::OK, &serde_json::json!({ "data": data }))
            }),
            _ => Err(Rejection::NotFound),
        };
        result.unwrap_or_else(reject)
    }

    /// `POST /api/login`: 200 with the token (and the `session` cookie in cookie mode), or a
    /// rejection, or 429 with `Retry-After` past the user's login limit.
    fn login(&self, body: &[u8]) -> Result<Response<Body>, Rejection> {
        match self.sessions.login(body) {
            Ok(login) => {
                let mut response = json_value(StatusCode::OK, &login.body);
                if let Some(cookie) = login.cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
                    response.headers_mut().insert(SET_COOKIE, cookie);
                }
                Ok(response)
            }
            Err(Refusal::Rejected(r)) => Err(r),
            Err(Refusal::Limited(wait)) => {
                let mut response = json(
                    StatusCode::TOO_MANY_REQUESTS,
                    Bytes::from_static(br#"{"error":"too_many_logins"}"#),
                );
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(wait));
                Ok(response)
            }
        }
    }

    fn create(&self, body: &[u8], header_key: Option<String>) -> Result<Response<Body>, Rejection> {
        let req = api::parse_create(body)?;
        let key = header_key.or(req.idempotency_key);
        let (payment, created) = self.store.create(req.payment, key);
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let mut response = json_value(status, &*payment);
        // Where the payment can be read back: what a journey's `header = "Location"` takes.
        if let Ok(location) = HeaderValue::try_from(format!("/api/payments/pay_{}", payment.id)) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok(response)
    }
}

/// `n` of `/api/redirect?n=N`, 0..=20.
fn redirects_left(query: Option<&str>) -> Option<u32> {
    let n = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("n="))?
        .parse()
        .ok()?;
    (n <= 20).then_some(n)
}

/// One hop of a redirect chain: 302 to the next with `n - 1` left, 200 at the end.
fn redirect(n: u32) -> Response<Body> {
    if n == 0 {
        return json_value(StatusCode::OK, &serde_json::json!({ "redirected": true }));
    }
    let mut response = json_value(StatusCode::FOUND, &serde_json::json!({ "left": n }));
    if let Ok(location) = HeaderValue::try_from(format!("/api/redirect?n={}", n - 1)) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// `pay_<n>` → `n`; `None` for an id that cannot exist.
fn payment_id(id: &str) -> Option<u64> {
    id.strip_prefix("pay_").and_then(|n| n.parse().ok())
}

async fn read_body(body: Incoming) -> Result<Bytes, Rejection> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Rejection::PayloadTooLarge),
        Err(_) => Err(Rejection::BadRequest),
    }
}

fn answer((status, body): crate::webhooks::Answer) -> Response<Body> {
    json(status, Bytes::from_static(body))
}

fn reject(rejection: Rejection) -> Response<Body> {
    json(rejection.status(), Bytes::from_static(rejection.body()))
}

fn json_value<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => json(status, Bytes::from(body)),
        Err(_) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(br#"{"error":"internal"}"#),
        ),
    }
}

fn json(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(method: Method, uri: &str) -> Endpoint {
        Endpoint::classify(&method, &uri.parse().unwrap())
    }

    #[test]
    fn classifies_routes() {
        assert_eq!(
            classify(Method::POST, "/api/payments"),
            Endpoint::CreatePayment
        );
        assert_eq!(
            classify(Method::GET, "/api/payments/pay_7"),
            Endpoint::GetPayment(Some(7))
        );
        assert_eq!(
            classify(Method::GET, "/api/payments/7"),
            Endpoint::GetPayment(None)
        );
        assert_eq!(
            classify(Method::GET, "/api/payments/pay_7/x"),
            Endpoint::NotFound
        );
        assert_eq!(
            classify(Method::GET, "/api/payments?limit=2"),
            Endpoint::ListPayments(Ok(2))
        );
        assert_eq!(
            classify(Method::DELETE, "/api/payments"),
            Endpoint::NotFound
        );
        assert_eq!(classify(Method::GET, "/health"), Endpoint::Health);
        assert_eq!(classify(Method::GET, "/__counters"), Endpoint::Counters);
        assert_eq!(
            classify(Method::POST, "/__counters/reset"),
            Endpoint::ResetCounters
        );
        assert_eq!(classify(Method::POST, "/api/login"), Endpoint::Login);
        assert_eq!(
            classify(Method::POST, "/api/payments/pay_3/refund"),
            Endpoint::Refund(Some(3))
        );
        assert_eq!(
            classify(Method::POST, "/api/payments/x/y/refund"),
            Endpoint::NotFound
        );
        assert_eq!(Endpoint::NotFound.route("/__counters"), None);
        assert_eq!(Endpoint::NotFound.route("/nope"), Some(Route::Other));
    }
}
