//! The webhook receivers verify signatures, refuse stale ones, de-duplicate event ids and
//! spot out-of-order events; the async endpoint calls back. Signatures here are computed
//! with the HMAC crate directly, following the providers' documents.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::{Method, StatusCode};
use loadgen_demo::{TargetConfig, WebhookSecret};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{start, Client};

const SECRET: &str = "whsec_c2VjcmV0LWZvci10ZXN0cw==";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn stripe_header(ts: u64, body: &str) -> String {
    let mac = hmac(SECRET.as_bytes(), format!("{ts}.{body}").as_bytes());
    format!("t={ts},v1={}", hex::encode(mac))
}

fn event(id: &str, object: &str, created: u64) -> String {
    format!(
        r#"{{"id":"{id}","object":"event","type":"payment_intent.succeeded","created":{created},"data":{{"object":{{"id":"{object}"}}}}}}"#
    )
}

fn config() -> TargetConfig {
    TargetConfig {
        webhook_secret: WebhookSecret::new(SECRET),
        ..TargetConfig::default()
    }
}

#[tokio::test]
async fn stripe_deliveries_are_verified_once_and_in_order() {
    let target = start(config());
    let mut c = Client::h1(target.addr()).await;
    let t = now();
    let mut post = async |body: &str, sig: String| {
        c.send(
            Method::POST,
            "/webhooks/stripe",
            Some(body),
            &[("stripe-signature", sig.as_str())],
        )
        .await
    };
    let e1 = event("evt_1", "pi_1", t);
    let r = post(&e1, stripe_header(t, &e1)).await;
    assert_eq!(
        (r.status, r.json["received"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    // The same event again, freshly signed: accepted, not processed twice.
    let r = post(&e1, stripe_header(t + 1, &e1)).await;
    assert_eq!(
        (r.status, r.json["duplicate"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    // An older event for the same object.
    let e0 = event("evt_0", "pi_1", t - 5);
    let r = post(&e0, stripe_header(t, &e0)).await;
    assert_eq!(
        (r.status, r.json["out_of_order"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    // Signed over other bytes; then signed right but too old.
    let e2 = event("evt_2", "pi_2", t);
    let r = post(&e2, stripe_header(t, &format!("{e2} "))).await;
    assert_eq!(
        (r.status, &r.json["error"]),
        (StatusCode::BAD_REQUEST, &"bad_signature".into())
    );
    let r = post(&e2, stripe_header(t - 600, &e2)).await;
    assert_eq!(
        (r.status, &r.json["error"]),
        (StatusCode::BAD_REQUEST, &"stale_timestamp".into())
    );
    let r = post(&e2, "t=1".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let w = target.counters().webhooks;
    assert_eq!(
        (
            w.processed,
            w.duplicates,
            w.out_of_order,
            w.bad_signature,
            w.stale
        ),
        (1, 1, 1, 2, 1)
    );
    assert_eq!(target.counters().by_route.webhook, 6);
}

#[tokio::test]
async fn standard_webhooks_are_verified_with_the_decoded_key() {
    let target = start(config());
    let mut c = Client::h1(target.addr()).await;
    let key = B64.decode(SECRET.trim_start_matches("whsec_")).unwrap();
    let t = now().to_string();
    let body = event("ignored", "pi_9", now());
    let sig = |id: &str, key: &[u8]| {
        format!(
            "v1,{}",
            B64.encode(hmac(key, format!("{id}.{t}.{body}").as_bytes()))
        )
    };
    let good = sig("msg_1", &key);
    let both = format!("v1,AAAA {good}");
    let wrong = sig("msg_2", b"other key");
    for (id, signature, status) in [
        ("msg_1", both.as_str(), StatusCode::OK),
        ("msg_2", wrong.as_str(), StatusCode::BAD_REQUEST),
    ] {
        let r = c
            .send(
                Method::POST,
                "/webhooks/standard",
                Some(&body),
                &[
                    ("webhook-id", id),
                    ("webhook-timestamp", &t),
                    ("webhook-signature", signature),
                ],
            )
            .await;
        assert_eq!(r.status, status, "{id}: {}", r.json);
    }
    let w = target.counters().webhooks;
    assert_eq!((w.processed, w.bad_signature), (1, 1));
}

#[test]
fn a_secret_that_is_not_whsec_base64_is_refused_without_being_shown() {
    let cfg = TargetConfig {
        webhook_secret: WebhookSecret::new("plain-secret-value"),
        ..TargetConfig::default()
    };
    let msg = cfg.validate().unwrap_err().to_string();
    assert!(
        msg.contains("whsec_") && !msg.contains("plain-secret-value"),
        "{msg}"
    );
    assert!(!format!("{cfg:?}").contains("plain-secret-value"));
}

#[tokio::test]
async fn async_payments_call_back_after_the_delay() {
    let target = start(TargetConfig {
        callback_delay: Duration::from_millis(30),
        ..config()
    });
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", sink.local_addr().unwrap());
    let mut c = Client::h1(target.addr()).await;
    let body = format!(r#"{{"correlation_id":"cb-7","callback_url":"{url}","amount":5}}"#);
    let r = c
        .send(Method::POST, "/api/payments/async", Some(&body), &[])
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let (mut s, _) = tokio::time::timeout(Duration::from_secs(10), sink.accept())
        .await
        .expect("a callback within 10 s")
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    let req = String::from_utf8_lossy(&buf[..n]).to_lowercase();
    assert!(req.starts_with("post /cb http/1.1"), "{req}");
    assert!(req.contains("x-correlation-id: cb-7"), "{req}");
    s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    // Nowhere but loopback.
    let r = c
        .send(
            Method::POST,
            "/api/payments/async",
            Some("{}"),
            &[
                ("x-correlation-id", "cb-8"),
                ("x-callback-url", "http://192.0.2.1/cb"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while target.counters().webhooks.callbacks_sent == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let w = target.counters().webhooks;
    assert_eq!(
        (w.async_accepted, w.callbacks_sent, w.callbacks_failed),
        (1, 1, 0)
    );
}
