//! The providers' own Python verification libraries (`stripe`, `standardwebhooks`) accept
//! what loadgen signs. `scripts/test.sh` installs them; without them the test fails under CI
//! and is skipped with a note elsewhere (`loadgen_testkit::peer`).

use loadgen_testkit::peer::{STANDARD_WEBHOOKS, STRIPE};
use loadgen_webhook::sign::Scratch;
use loadgen_webhook::{Message, Scheme, Secret, Signer};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

#[test]
fn stripe_and_standard_webhooks_libraries_verify_our_signatures() {
    let test = "stripe_and_standard_webhooks_libraries_verify_our_signatures";
    let (Some(python), Some(_)) = (STRIPE.require(test), STANDARD_WEBHOOKS.require(test)) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = br#"{"id":"evt_9","object":"event","type":"payment_intent.succeeded","data":{"object":{"amount":1234}}}"#;
    let msg = Message {
        id: "msg_2YZ",
        timestamp: now,
        body,
    };
    let mut scratch = Scratch::default();
    let stripe_secret = "whsec_loadgen_test";
    let stripe = Signer::new(Scheme::Stripe, &Secret::new(stripe_secret))
        .unwrap()
        .signature(&msg, &mut scratch)
        .to_string();
    let std_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let standard = Signer::new(Scheme::Standard, &Secret::new(std_secret))
        .unwrap()
        .signature(&msg, &mut scratch)
        .to_string();
    let script = r#"
import sys, stripe, standardwebhooks
body, stripe_header, stripe_secret, std_sig, std_secret, msg_id, ts = sys.argv[1:]
stripe.WebhookSignature.verify_header(body, stripe_header, stripe_secret, tolerance=300)
try:
    stripe.WebhookSignature.verify_header(body + " ", stripe_header, stripe_secret, tolerance=300)
    sys.exit("stripe accepted a changed body")
except stripe.SignatureVerificationError:
    pass
wh = standardwebhooks.Webhook(std_secret)
wh.verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": std_sig})
try:
    wh.verify(body, {"webhook-id": msg_id + "x", "webhook-timestamp": ts, "webhook-signature": std_sig})
    sys.exit("standardwebhooks accepted a changed id")
except standardwebhooks.webhooks.WebhookVerificationError:
    pass
print("verified")
"#;
    let out = Command::new(python)
        .args([
            "-c",
            script,
            std::str::from_utf8(body).unwrap(),
            &stripe,
            stripe_secret,
            &standard,
            std_secret,
            "msg_2YZ",
            &now.to_string(),
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("verified"), "{text}");
}
