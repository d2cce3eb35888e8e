//! Cost of signing one delivery per scheme: `cargo run --release -p loadgen-webhook --example
//! sign_cost`. Signs a typical ~400-byte payment event (all headers built, as a delivery
//! does) many times and prints nanoseconds per delivery.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use loadgen_webhook::sign::Scratch;
use loadgen_webhook::{
    Algorithm, Encoding, GenericScheme, Message, Scheme, Secret, Signed, Signer,
};
use std::time::Instant;

fn main() {
    let mut body = Vec::new();
    loadgen_webhook::event::write_envelope(
        &mut body,
        "evt_0000000100000200000003",
        "payment_intent.succeeded",
        1_700_000_000,
        "pi_0000000100000200000003",
        br#"{"amount":4599,"currency":"AUD","customer_id":"cus_00042","card":"4242424242424242","reference":"ord_0b4c6f2e-6d0e-4a8e-9a55-0c1f3b1f4d21","idempotency_key":"0b4c6f2e-6d0e-4a8e-9a55-0c1f3b1f4d21"}"#,
    );
    let schemes = [
        (Scheme::Stripe, "whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0"),
        (Scheme::GitHub, "It's a Secret to Everybody"),
        (
            Scheme::Standard,
            "whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0",
        ),
        (
            Scheme::Square {
                notification_url: "https://example.com/webhooks/square".into(),
            },
            "sq_key",
        ),
        (Scheme::Shopify, "shpss_demo"),
        (
            Scheme::Generic(GenericScheme {
                header: "x-signature".into(),
                algorithm: Algorithm::Sha512,
                encoding: Encoding::Base64,
                signed: Signed::TimestampBody,
                prefix: String::new(),
                timestamp_header: Some("x-timestamp".into()),
                id_header: None,
            }),
            "generic",
        ),
    ];
    println!("body {} bytes", body.len());
    let n = 200_000u32;
    for (scheme, secret) in schemes {
        let name = scheme.name();
        let signer = Signer::new(scheme, &Secret::new(secret)).unwrap();
        let mut scratch = Scratch::default();
        let mut headers = Vec::with_capacity(4);
        let start = Instant::now();
        for i in 0..n {
            headers.clear();
            let msg = Message {
                id: "evt_0000000100000200000003",
                timestamp: 1_700_000_000 + u64::from(i),
                body: &body,
            };
            signer.headers(&msg, "payment_intent.succeeded", &mut scratch, &mut headers);
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(n);
        println!("{name:9} {ns:7.0} ns per delivery (signature and headers)");
    }
}
