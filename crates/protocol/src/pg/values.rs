//! `{{NAME.field}}` of a `[payload.NAME]` in a statement's parameters: one field of the
//! payment the generator draws for this VU's iteration (the same payment for every field of
//! the iteration, so `amount` and `currency` agree).

use bytes::BytesMut;
use loadgen_payload::payload::PaymentGenerator;
use loadgen_template::ValueSource;
use rand::rngs::SmallRng;
use rand::SeedableRng;

/// The fields a parameter can take from a payment.
pub(crate) const FIELDS: [&str; 4] = ["amount", "currency", "customer_id", "card"];

/// One field of the iteration's payment.
pub(crate) struct PaymentField {
    pub(crate) generator: PaymentGenerator,
    /// Index into [`FIELDS`].
    pub(crate) field: usize,
    pub(crate) seed: u64,
}

impl ValueSource for PaymentField {
    fn write_value(&self, vu: u64, iteration: u64, out: &mut BytesMut) {
        // A generator seeded by the iteration: every field of it draws the same payment.
        let mut rng = SmallRng::seed_from_u64(
            self.seed ^ vu.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ iteration.rotate_left(32),
        );
        let mut json = String::new();
        self.generator.generate(&mut rng, "", &mut json);
        let value = field_of(&json, FIELDS[self.field]);
        out.extend_from_slice(value.as_bytes());
    }
}

/// The value of `"key":` in the generator's flat JSON object (strings unquoted).
fn field_of<'a>(json: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{key}\":");
    let Some(at) = json.find(&pat) else {
        return "";
    };
    let rest = &json[at + pat.len()..];
    match rest.strip_prefix('"') {
        Some(s) => s.split('"').next().unwrap_or(""),
        None => rest.split([',', '}']).next().unwrap_or(""),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_of_the_generated_object() {
        let j = r#"{"amount":4999,"currency":"AUD","customer_id":"cus_00007","card":"4242"}"#;
        assert_eq!(super::field_of(j, "amount"), "4999");
        assert_eq!(super::field_of(j, "currency"), "AUD");
        assert_eq!(super::field_of(j, "card"), "4242");
    }
}
