//! Server-side request accounting, readable while the server runs.
//!
//! Plain relaxed atomics: the target is the system under test, not the measuring side, and a
//! snapshot taken while requests are in flight is only as consistent as the moment allows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

use crate::faults::Fault;

/// The routes the counters distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    CreatePayment = 0,
    GetPayment = 1,
    ListPayments = 2,
    Health = 3,
    Other = 4,
    Webhook = 5,
    AsyncPayment = 6,
    Login = 7,
    Refund = 8,
    Redirect = 9,
    Heartbeat = 10,
    Logout = 11,
}

const ROUTES: usize = 12;
/// Statuses 100..=599 each get a slot.
const FIRST_STATUS: u16 = 100;
const STATUSES: usize = 500;

#[derive(Debug)]
pub(crate) struct Counters {
    requests_total: AtomicU64,
    connections_accepted: AtomicU64,
    by_route: [AtomicU64; ROUTES],
    by_status: Box<[AtomicU64]>,
    injected_errors: AtomicU64,
    faults: [AtomicU64; Fault::ALL.len()],
    ws: crate::ws_counters::WsCounters,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            requests_total: AtomicU64::new(0),
            connections_accepted: AtomicU64::new(0),
            by_route: Default::default(),
            by_status: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            injected_errors: AtomicU64::new(0),
            faults: Default::default(),
            ws: Default::default(),
        }
    }

    /// A fault was served (a request or a connection broken on purpose).
    pub(crate) fn fault(&self, fault: Fault) {
        self.faults[fault.index()].fetch_add(1, Relaxed);
    }

    /// A TCP connection was accepted (before TLS or any request).
    pub(crate) fn connection(&self) {
        self.connections_accepted.fetch_add(1, Relaxed);
    }

    /// A request arrived on `route`.
    pub(crate) fn request(&self, route: Route) {
        self.requests_total.fetch_add(1, Relaxed);
        self.by_route[route as usize].fetch_add(1, Relaxed);
    }

    /// A response with `status` was produced.
    pub(crate) fn status(&self, status: u16) {
        if let Some(slot) = status
            .checked_sub(FIRST_STATUS)
            .and_then(|i| self.by_status.get(usize::from(i)))
        {
            slot.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn injected_error(&self) {
        self.injected_errors.fetch_add(1, Relaxed);
    }

    /// The WebSocket counters.
    pub(crate) fn ws(&self) -> &crate::ws_counters::WsCounters {
        &self.ws
    }

    pub(crate) fn reset(&self) {
        self.ws.reset();
        self.requests_total.store(0, Relaxed);
        self.connections_accepted.store(0, Relaxed);
        self.injected_errors.store(0, Relaxed);
        for c in self
            .by_route
            .iter()
            .chain(self.by_status.iter())
            .chain(self.faults.iter())
        {
            c.store(0, Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> CountersSnapshot {
        let route = |r: Route| self.by_route[r as usize].load(Relaxed);
        let by_status = (FIRST_STATUS..)
            .zip(self.by_status.iter())
            .map(|(code, c)| (code, c.load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect();
        CountersSnapshot {
            requests_total: self.requests_total.load(Relaxed),
            connections_accepted: self.connections_accepted.load(Relaxed),
            by_route: RouteCounts {
                create_payment: route(Route::CreatePayment),
                get_payment: route(Route::GetPayment),
                list_payments: route(Route::ListPayments),
                health: route(Route::Health),
                other: route(Route::Other),
                webhook: route(Route::Webhook),
                async_payment: route(Route::AsyncPayment),
                login: route(Route::Login),
                refund: route(Route::Refund),
                redirect: route(Route::Redirect),
                heartbeat: route(Route::Heartbeat),
                logout: route(Route::Logout),
            },
            by_status,
            injected_errors: self.injected_errors.load(Relaxed),
            faults: Fault::ALL
                .iter()
                .zip(&self.faults)
                .map(|(f, c)| (f.name().to_string(), c.load(Relaxed)))
                .filter(|&(_, n)| n > 0)
                .collect(),
            webhooks: Default::default(),
            auth: Default::default(),
            ws: self.ws.snapshot(),
        }
    }
}

/// What the target has received, as served by `GET /__counters` (same JSON shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    /// Every request received except those to `/__counters` and `/__counters/reset`.
    pub requests_total: u64,
    /// TCP connections accepted (HTTP and WebSocket alike), counted before any request.
    #[serde(default)]
    pub connections_accepted: u64,
    pub by_route: RouteCounts,
    /// Responses by status code; codes never sent are absent.
    pub by_status: BTreeMap<u16, u64>,
    /// Requests answered `500 {"error":"injected"}`.
    pub injected_errors: u64,
    /// WebSocket connections and messages (`/ws/...`; upgrades are not counted as requests).
    #[serde(default)]
    pub ws: crate::ws_counters::WsCounts,
    /// Webhook verification, de-duplication and callbacks (see `webhooks.rs`).
    #[serde(default)]
    pub webhooks: crate::WebhookCounts,
    /// Faults served, by name (`reset`, `503`, …); faults never served are absent.
    #[serde(default)]
    pub faults: BTreeMap<String, u64>,
    /// Logins, refused tokens and refunds (see `auth.rs`).
    #[serde(default)]
    pub auth: crate::AuthCounts,
}

impl CountersSnapshot {
    /// Times `fault` was served (0 if never).
    pub fn fault(&self, fault: Fault) -> u64 {
        self.faults.get(fault.name()).copied().unwrap_or(0)
    }
}

impl CountersSnapshot {
    /// Responses sent with `status` (0 if none).
    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }
}

/// Requests received per route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCounts {
    pub create_payment: u64,
    pub get_payment: u64,
    pub list_payments: u64,
    pub health: u64,
    pub other: u64,
    /// `POST /webhooks/stripe` and `/webhooks/standard`.
    #[serde(default)]
    pub webhook: u64,
    /// `POST /api/payments/async`.
    #[serde(default)]
    pub async_payment: u64,
    /// `POST /api/login`.
    #[serde(default)]
    pub login: u64,
    /// `POST /api/payments/{id}/refund`.
    #[serde(default)]
    pub refund: u64,
    /// `GET /api/redirect?n=N` (each hop of a chain counts).
    #[serde(default)]
    pub redirect: u64,
    /// `POST /api/heartbeat`.
    #[serde(default)]
    pub heartbeat: u64,
    /// `POST /api/logout`.
    #[serde(default)]
    pub logout: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_resets() {
        let c = Counters::new();
        c.request(Route::CreatePayment);
        c.request(Route::Health);
        c.status(201);
        c.status(200);
        c.status(200);
        c.status(42); // out of range: ignored
        c.injected_error();
        let s = c.snapshot();
        assert_eq!(s.requests_total, 2);
        assert_eq!(s.by_route.create_payment, 1);
        assert_eq!(s.by_route.health, 1);
        assert_eq!(s.status(200), 2);
        assert_eq!(s.status(201), 1);
        assert_eq!(s.by_status.len(), 2);
        assert_eq!(s.injected_errors, 1);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["by_status"]["200"], 2);
        c.reset();
        assert_eq!(c.snapshot(), CountersSnapshot::default());
    }
}
