//! Event envelopes for payment events, in Stripe's shape (`id`, `object`, `type`, `created`,
//! `data.object`), with the payment object written by a payload generator.

use crate::error::WebhookError;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::Rng;
use std::io::Write;

/// The payment events a delivery mix uses when a scenario names none.
pub const DEFAULT_EVENTS: [(&str, f64); 5] = [
    ("payment_intent.succeeded", 80.0),
    ("payment_intent.payment_failed", 10.0),
    ("charge.refunded", 5.0),
    ("charge.dispute.created", 3.0),
    ("payout.paid", 2.0),
];

/// Event types with weights; draws one per delivery.
#[derive(Debug, Clone)]
pub struct EventMix {
    names: Vec<String>,
    index: WeightedIndex<f64>,
}

impl EventMix {
    /// A mix of `(type, weight)`; weights must be positive and names plain (letters, digits,
    /// `.`, `_`, `-`), since they are written into JSON and headers as they are.
    pub fn new(events: Vec<(String, f64)>) -> Result<Self, WebhookError> {
        if let Some((bad, _)) = events.iter().find(|(n, _)| {
            n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        }) {
            return Err(WebhookError::BadEventType(bad.clone()));
        }
        let index =
            WeightedIndex::new(events.iter().map(|e| e.1)).map_err(WebhookError::BadWeights)?;
        Ok(EventMix {
            names: events.into_iter().map(|e| e.0).collect(),
            index,
        })
    }

    /// The default payment mix ([`DEFAULT_EVENTS`]).
    pub fn payments() -> Self {
        Self::new(
            DEFAULT_EVENTS
                .iter()
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
        )
        .expect("the default mix is valid")
    }

    /// Draws an event type.
    pub fn draw(&self, rng: &mut impl Rng) -> &str {
        &self.names[self.index.sample(rng)]
    }

    /// The types, in declaration order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Appends an event envelope to `out`: `object` is the payment's JSON object (from a payload
/// generator), into which `"id":"{object_id}"` is put first.
pub fn write_envelope(
    out: &mut Vec<u8>,
    id: &str,
    event_type: &str,
    created: u64,
    object_id: &str,
    object: &[u8],
) {
    let inner = object.trim_ascii();
    let rest = inner.strip_prefix(b"{").unwrap_or(b"}");
    let comma = if rest.trim_ascii_start().starts_with(b"}") {
        ""
    } else {
        ","
    };
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        r#"{{"id":"{id}","object":"event","type":"{event_type}","created":{created},"livemode":false,"data":{{"object":{{"id":"{object_id}"{comma}"#
    );
    out.extend_from_slice(rest);
    out.extend_from_slice(b"}}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn envelope_is_json_with_the_object_inside() {
        let mut out = Vec::new();
        write_envelope(
            &mut out,
            "evt_1",
            "payment_intent.succeeded",
            1700000000,
            "pi_1",
            br#"{"amount":100,"currency":"AUD"}"#,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], "evt_1");
        assert_eq!(v["type"], "payment_intent.succeeded");
        assert_eq!(v["created"], 1700000000);
        assert_eq!(v["data"]["object"]["id"], "pi_1");
        assert_eq!(v["data"]["object"]["amount"], 100);
        out.clear();
        write_envelope(&mut out, "e", "t", 1, "o", b"{}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["data"]["object"], serde_json::json!({"id": "o"}));
    }

    #[test]
    fn mix_follows_weights_and_rejects_odd_names() {
        let mix = EventMix::new(vec![("a".into(), 3.0), ("b".into(), 1.0)]).unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        let a = (0..40_000).filter(|_| mix.draw(&mut rng) == "a").count();
        assert!((29_000..31_000).contains(&a), "{a}");
        assert!(EventMix::new(vec![("x\"".into(), 1.0)]).is_err());
        assert!(EventMix::new(vec![("x".into(), 0.0)]).is_err());
    }
}
