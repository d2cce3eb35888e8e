//! The bounded in-memory payment store and idempotency-key map.
//!
//! Payment ids are sequential (`pay_1`, `pay_2`, ...), so the store is a ring of the newest
//! payments indexed by id arithmetic; the oldest are evicted beyond the capacity. Idempotency
//! keys are evicted first-in first-out with the same bound.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

/// Payments (and idempotency keys) kept in memory.
pub(crate) const DEFAULT_CAPACITY: usize = 100_000;

/// A stored payment; always `succeeded` (rejected requests are never stored).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payment {
    pub(crate) id: u64,
    pub(crate) amount: serde_json::Number,
    pub(crate) currency: &'static str,
    pub(crate) customer_id: Option<String>,
    pub(crate) reference: Option<String>,
}

/// The wire form: `{"id":"pay_<n>","status":"succeeded","amount":..,"currency":..}`.
#[derive(Serialize)]
struct PaymentJson<'a> {
    id: String,
    status: &'static str,
    amount: &'a serde_json::Number,
    currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

impl Serialize for Payment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PaymentJson {
            id: format!("pay_{}", self.id),
            status: "succeeded",
            amount: &self.amount,
            currency: self.currency,
            customer_id: self.customer_id.as_deref(),
            reference: self.reference.as_deref(),
        }
        .serialize(s)
    }
}

/// A validated payment to create (everything but the id).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewPayment {
    pub(crate) amount: serde_json::Number,
    pub(crate) currency: &'static str,
    pub(crate) customer_id: Option<String>,
    pub(crate) reference: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Store {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Id of `payments[0]`.
    first_id: u64,
    payments: VecDeque<Arc<Payment>>,
    keys: HashMap<String, u64>,
    key_order: VecDeque<(String, u64)>,
}

impl Store {
    pub(crate) fn new(capacity: usize) -> Self {
        Store {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                first_id: 1,
                payments: VecDeque::new(),
                keys: HashMap::new(),
                key_order: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the ring half-updated in a way that
        // matters for a demo target; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a payment, or returns the one created earlier with the same idempotency key
    /// (`false` as the second value).
    pub(crate) fn create(&self, new: NewPayment, key: Option<String>) -> (Arc<Payment>, bool) {
        let mut inner = self.lock();
        if let Some(key) = &key {
            if let Some(existing) = inner.keys.get(key).and_then(|&id| inner.get(id)) {
                return (existing, false);
            }
        }
        let id = inner.first_id + inner.payments.len() as u64;
        let payment = Arc::new(Payment {
            id,
            amount: new.amount,
            currency: new.currency,
            customer_id: new.customer_id,
            reference: new.reference,
        });
        inner.payments.push_back(Arc::clone(&payment));
        if inner.payments.len() > self.capacity {
            inner.payments.pop_front();
            inner.first_id += 1;
        }
        if let Some(key) = key {
            inner.keys.insert(key.clone(), id);
            inner.key_order.push_back((key, id));
            if inner.key_order.len() > self.capacity {
                if let Some((old, old_id)) = inner.key_order.pop_front() {
                    // The key may have been reused since (its payment was evicted).
                    if inner.keys.get(&old) == Some(&old_id) {
                        inner.keys.remove(&old);
                    }
                }
            }
        }
        (payment, true)
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<Payment>> {
        self.lock().get(id)
    }

    /// The newest `limit` payments, newest first.
    pub(crate) fn recent(&self, limit: usize) -> Vec<Arc<Payment>> {
        self.lock()
            .payments
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }
}

impl Inner {
    fn get(&self, id: u64) -> Option<Arc<Payment>> {
        let index = usize::try_from(id.checked_sub(self.first_id)?).ok()?;
        self.payments.get(index).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_payment(amount: u64) -> NewPayment {
        NewPayment {
            amount: amount.into(),
            currency: "AUD",
            customer_id: None,
            reference: None,
        }
    }

    #[test]
    fn evicts_oldest_beyond_capacity() {
        let store = Store::new(3);
        for i in 1..=5 {
            let (p, created) = store.create(new_payment(i), None);
            assert!(created);
            assert_eq!(p.id, i);
        }
        assert!(store.get(1).is_none() && store.get(2).is_none());
        assert_eq!(store.get(3).unwrap().amount, 3u64.into());
        assert!(store.get(6).is_none() && store.get(0).is_none());
        let ids: Vec<u64> = store.recent(10).iter().map(|p| p.id).collect();
        assert_eq!(ids, [5, 4, 3]);
    }

    #[test]
    fn idempotency_keys_are_bounded_and_survive_reuse() {
        let store = Store::new(2);
        let (a, _) = store.create(new_payment(1), Some("k".into()));
        let (again, created) = store.create(new_payment(99), Some("k".into()));
        assert!(!created);
        assert_eq!(again.id, a.id);
        store.create(new_payment(2), Some("x".into()));
        store.create(new_payment(3), Some("y".into()));
        // "k" and its payment were evicted: the key creates a new payment.
        let (fresh, created) = store.create(new_payment(4), Some("k".into()));
        assert!(created);
        assert_eq!(fresh.id, 4);
        let inner = store.lock();
        assert!(inner.keys.len() <= 2 && inner.key_order.len() <= 2);
        assert_eq!(inner.keys.get("k"), Some(&4));
    }

    #[test]
    fn serializes_wire_form() {
        let store = Store::new(1);
        let (p, _) = store.create(new_payment(500), None);
        let json = serde_json::to_value(&*p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id":"pay_1","status":"succeeded","amount":500,"currency":"AUD"})
        );
    }
}
