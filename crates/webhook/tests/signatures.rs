//! Known-answer tests: each scheme against vectors computed independently of this crate —
//! the providers' published examples where they publish one (GitHub, Standard Webhooks), and
//! otherwise Python's `hmac`/`hashlib` (the expected values below were computed with it).

use loadgen_webhook::sign::Scratch;
use loadgen_webhook::{
    Algorithm, Encoding, GenericScheme, Message, Scheme, Secret, Signed, Signer,
};

const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

fn sign(scheme: Scheme, secret: &str, id: &str, ts: u64, body: &[u8]) -> String {
    let s = Signer::new(scheme, &Secret::new(secret)).unwrap();
    let mut scratch = Scratch::default();
    s.signature(
        &Message {
            id,
            timestamp: ts,
            body,
        },
        &mut scratch,
    )
    .to_string()
}

#[test]
fn github_documented_example() {
    // docs.github.com, "Validating webhook deliveries": testing the implementation.
    assert_eq!(
        sign(
            Scheme::GitHub,
            "It's a Secret to Everybody",
            "",
            0,
            b"Hello, World!"
        ),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[test]
fn standard_webhooks_published_vector() {
    // The Standard Webhooks / Svix libraries' own test vector.
    assert_eq!(
        sign(
            Scheme::Standard,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn stripe_signs_timestamp_dot_payload_with_the_whole_secret() {
    // hmac.new(b"whsec_test_secret", b"1700000000." + BODY, sha256).hexdigest()
    assert_eq!(
        sign(
            Scheme::Stripe,
            "whsec_test_secret",
            "evt_1",
            1700000000,
            BODY
        ),
        "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
    );
}

#[test]
fn shopify_is_base64_of_the_body_mac() {
    // base64(hmac.new(b"shpss_demo", BODY, sha256).digest())
    assert_eq!(
        sign(Scheme::Shopify, "shpss_demo", "x", 1, BODY),
        "nDhwAx+5onr44Vzkqykw6Czx8PY16MqG+W83iyzCDVA="
    );
}

#[test]
fn square_signs_the_notification_url_then_the_body() {
    // base64(hmac.new(b"sq_key_demo", b"https://example.com/webhooks/square" + BODY, sha256).digest())
    let scheme = Scheme::Square {
        notification_url: "https://example.com/webhooks/square".into(),
    };
    assert_eq!(
        sign(scheme, "sq_key_demo", "x", 1, BODY),
        "yJfh8TurPPdyPfk4SJdhi72948ZnGDgh+QVA8EVSJ0g="
    );
}

fn generic(algorithm: Algorithm, encoding: Encoding, signed: Signed, prefix: &str) -> Scheme {
    Scheme::Generic(GenericScheme {
        header: "x-signature".into(),
        algorithm,
        encoding,
        signed,
        prefix: prefix.into(),
        timestamp_header: Some("x-timestamp".into()),
        id_header: None,
    })
}

#[test]
fn generic_sha512_base64_over_timestamp_and_body() {
    // base64(hmac.new(b"gen", b"1700000000." + BODY, sha512).digest())
    assert_eq!(
        sign(
            generic(
                Algorithm::Sha512,
                Encoding::Base64,
                Signed::TimestampBody,
                ""
            ),
            "gen",
            "x",
            1700000000,
            BODY
        ),
        "TXT8f2E7+r/g3cGn2inZvgd9VyNLgqd/x1Z/npbdRQ39BaNW26QWTmxRasCfJ2slk0Dlov0/uInPZyjf6rq2gg=="
    );
}

#[test]
fn generic_sha1_hex_with_prefix() {
    // hmac.new(b"gen", BODY, sha1).hexdigest()
    assert_eq!(
        sign(
            generic(Algorithm::Sha1, Encoding::Hex, Signed::Body, "sha1="),
            "gen",
            "x",
            1,
            BODY
        ),
        "sha1=ef2b707c39cdf97e1d15b59065208d50a35fdbb6"
    );
}

#[test]
fn generic_over_id_timestamp_body_equals_the_standard_scheme_with_a_raw_key() {
    // Standard Webhooks is HMAC-SHA256 over `{id}.{ts}.{body}` with the decoded key: the
    // generic scheme with the same (raw) key bytes must agree with it.
    let raw = "0123456789abcdef";
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    let standard = sign(Scheme::Standard, &format!("whsec_{b64}"), "msg_1", 5, BODY);
    let g = sign(
        generic(
            Algorithm::Sha256,
            Encoding::Base64,
            Signed::IdTimestampBody,
            "v1,",
        ),
        raw,
        "msg_1",
        5,
        BODY,
    );
    assert_eq!(standard, g);
}

#[test]
fn delivery_headers_per_scheme() {
    let mut scratch = Scratch::default();
    let msg = Message {
        id: "msg_1",
        timestamp: 1614265330,
        body: BODY,
    };
    let mut names = |scheme: Scheme, secret: &str| {
        let mut out = Vec::new();
        Signer::new(scheme, &Secret::new(secret)).unwrap().headers(
            &msg,
            "charge.refunded",
            &mut scratch,
            &mut out,
        );
        out.iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect::<Vec<_>>()
    };
    let std = names(Scheme::Standard, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert!(std[0].starts_with("webhook-signature: v1,"), "{std:?}");
    assert_eq!(std[1], "webhook-id: msg_1");
    assert_eq!(std[2], "webhook-timestamp: 1614265330");
    let gh = names(Scheme::GitHub, "s");
    assert_eq!(gh[2], "x-github-event: charge.refunded");
    let sh = names(Scheme::Shopify, "s");
    assert_eq!(sh[2], "x-shopify-topic: charge.refunded");
}

#[test]
fn bad_secrets_are_refused_without_showing_them() {
    let e = Signer::new(Scheme::Standard, &Secret::new("whsec_not*base64")).unwrap_err();
    assert!(!e.to_string().contains("not*base64"), "{e}");
    assert!(Signer::new(Scheme::Stripe, &Secret::new("")).is_err());
}
