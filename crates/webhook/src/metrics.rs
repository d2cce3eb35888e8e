//! The custom metrics a webhook workload records, in the order its sessions record them.
//! A workload declares the delivery metrics when it has a delivery step and the callback
//! metrics when it has a callback step ([`custom_metrics`]); the scenario crate declares
//! that list, so the indices below (delivery metrics first, then callback metrics at
//! [`callback_base`]) are the metrics' indices in that workload.

use loadgen_engine::{CustomKind, CustomMetric};

/// Deliveries whose final attempt got a 2xx (forged deliveries excluded).
pub const DELIVERED: usize = 0;
/// Deliveries still failing after the last retry.
pub const GAVE_UP: usize = 1;
/// Retry attempts sent.
pub const RETRIES: usize = 2;
/// Latency of each delivery's first attempt (send to answer).
pub const FIRST_ATTEMPT: usize = 3;
/// Latency of each retry attempt (send to answer; backoff not included).
pub const RETRY_LATENCY: usize = 4;
/// Deliveries sent with a bad signature or a stale timestamp.
pub const FORGED_SENT: usize = 5;
/// Deliveries that repeat an event id already delivered.
pub const DUPLICATES_SENT: usize = 6;
/// Deliveries of an event older than one already delivered for the same object.
pub const OUT_OF_ORDER_SENT: usize = 7;
/// Request sent to callback received (offset from [`callback_base`]).
pub const CALLBACK_LATENCY: usize = 0;
/// Share of requests whose callback arrived before the deadline (offset from
/// [`callback_base`]).
pub const CALLBACK_RECEIVED: usize = 1;

const DELIVERY: [(&str, CustomKind); 8] = [
    ("webhook_delivered", CustomKind::Counter),
    ("webhook_gave_up", CustomKind::Counter),
    ("webhook_retries", CustomKind::Counter),
    ("webhook_first_attempt", CustomKind::Trend),
    ("webhook_retry_latency", CustomKind::Trend),
    ("webhook_forged_sent", CustomKind::Counter),
    ("webhook_duplicates_sent", CustomKind::Counter),
    ("webhook_out_of_order_sent", CustomKind::Counter),
];
const CALLBACK: [(&str, CustomKind); 2] = [
    ("callback_latency", CustomKind::Trend),
    ("callback_received", CustomKind::Rate),
];

/// Index of the first callback metric in a workload that has (or has no) delivery steps.
pub fn callback_base(deliveries: bool) -> usize {
    if deliveries {
        DELIVERY.len()
    } else {
        0
    }
}

/// The metric list of a workload with delivery steps and/or callback steps.
pub fn custom_metrics(deliveries: bool, callbacks: bool) -> Vec<CustomMetric> {
    let d: &[_] = if deliveries { &DELIVERY } else { &[] };
    let c: &[_] = if callbacks { &CALLBACK } else { &[] };
    d.iter()
        .chain(c)
        .map(|(n, k)| CustomMetric::new(*n, *k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_the_list() {
        let m = custom_metrics(true, true);
        assert_eq!(m[DELIVERED].name, "webhook_delivered");
        assert_eq!(m[RETRY_LATENCY].kind, CustomKind::Trend);
        assert_eq!(m[OUT_OF_ORDER_SENT].name, "webhook_out_of_order_sent");
        let cb = callback_base(true);
        assert_eq!(m[cb + CALLBACK_LATENCY].name, "callback_latency");
        assert_eq!(m[cb + CALLBACK_RECEIVED].kind, CustomKind::Rate);
        assert_eq!(m.len(), cb + 2);
        let only_callbacks = custom_metrics(false, true);
        assert_eq!(
            only_callbacks[callback_base(false) + CALLBACK_LATENCY].name,
            "callback_latency"
        );
        assert_eq!(custom_metrics(true, false).len(), 8);
    }
}
