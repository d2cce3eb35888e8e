//! The custom metrics a webhook workload records, in the order its sessions record them.
//! The scenario crate declares [`custom_metrics`] for every webhook workload, so the
//! indices below are the metrics' indices in that workload.

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
/// Request sent to callback received.
pub const CALLBACK_LATENCY: usize = 8;
/// Share of requests whose callback arrived before the deadline.
pub const CALLBACK_RECEIVED: usize = 9;

/// The metric list, indexed by the constants above.
pub fn custom_metrics() -> Vec<CustomMetric> {
    use CustomKind::*;
    [
        ("webhook_delivered", Counter),
        ("webhook_gave_up", Counter),
        ("webhook_retries", Counter),
        ("webhook_first_attempt", Trend),
        ("webhook_retry_latency", Trend),
        ("webhook_forged_sent", Counter),
        ("webhook_duplicates_sent", Counter),
        ("webhook_out_of_order_sent", Counter),
        ("callback_latency", Trend),
        ("callback_received", Rate),
    ]
    .into_iter()
    .map(|(n, k)| CustomMetric::new(n, k))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_the_list() {
        let m = custom_metrics();
        assert_eq!(m[DELIVERED].name, "webhook_delivered");
        assert_eq!(m[RETRY_LATENCY].kind, CustomKind::Trend);
        assert_eq!(m[OUT_OF_ORDER_SENT].name, "webhook_out_of_order_sent");
        assert_eq!(m[CALLBACK_RECEIVED].kind, CustomKind::Rate);
        assert_eq!(m.len(), CALLBACK_RECEIVED + 1);
    }
}
