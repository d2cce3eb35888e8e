//! The payments API: create, get, list, idempotency, rejections.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{start_default, Client};

#[tokio::test]
async fn create_get_and_list_payments() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;

    let mut ids = Vec::new();
    for amount in [100, 250, 999] {
        let reply = client
            .post(
                "/api/payments",
                &format!(r#"{{"amount":{amount},"currency":"AUD","customer_id":"c1"}}"#),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.headers["content-type"], "application/json");
        assert_eq!(reply.json["status"], "succeeded");
        assert_eq!(reply.json["amount"], amount);
        assert_eq!(reply.json["currency"], "AUD");
        ids.push(reply.json["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids, ["pay_1", "pay_2", "pay_3"]);

    let got = client.get("/api/payments/pay_2").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        got.json,
        json!({"id":"pay_2","status":"succeeded","amount":250,"currency":"AUD","customer_id":"c1"})
    );
    for unknown in ["/api/payments/pay_99", "/api/payments/nope"] {
        let reply = client.get(unknown).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.json, json!({"error":"not_found"}));
    }

    let list = client.get("/api/payments?limit=2").await;
    assert_eq!(list.status, StatusCode::OK);
    let listed: Vec<&str> = list.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["pay_3", "pay_2"]);
    let all = client.get("/api/payments").await;
    assert_eq!(all.json["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn idempotency_key_returns_the_same_payment() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;
    let body = r#"{"amount":500,"currency":"USD"}"#;
    let key = [("idempotency-key", "order-17")];

    let first = client
        .send(Method::POST, "/api/payments", Some(body), &key)
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = client
        .send(Method::POST, "/api/payments", Some(body), &key)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json, first.json);
    let other = client.post("/api/payments", body).await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_ne!(other.json["id"], first.json["id"]);
}

#[tokio::test]
async fn each_rejection_class_has_its_status() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;
    let cases = [
        ("{not json", 400, "bad_request"),
        (r#"{"currency":"AUD"}"#, 400, "bad_request"),
        (r#"{"amount":100}"#, 400, "bad_request"),
        (r#"{"amount":0,"currency":"AUD"}"#, 422, "invalid_amount"),
        (r#"{"amount":-5,"currency":"AUD"}"#, 422, "invalid_amount"),
        (
            r#"{"amount":"lots","currency":"AUD"}"#,
            422,
            "invalid_amount",
        ),
        (
            r#"{"amount":100,"currency":"BTC"}"#,
            422,
            "unsupported_currency",
        ),
        (
            r#"{"amount":100,"currency":"AUD","card":"declined"}"#,
            402,
            "card_declined",
        ),
        (
            r#"{"amount":100,"currency":"AUD","card":"4000000000000002"}"#,
            402,
            "card_declined",
        ),
        (
            r#"{"amount":100,"currency":"AUD","card":"insufficient_funds"}"#,
            402,
            "insufficient_funds",
        ),
        (
            r#"{"amount":100,"currency":"AUD","card":"4000000000009995"}"#,
            402,
            "insufficient_funds",
        ),
    ];
    for (body, status, error) in cases {
        let reply = client.post("/api/payments", body).await;
        assert_eq!(reply.status.as_u16(), status, "{body}");
        assert_eq!(reply.json, json!({ "error": error }), "{body}");
    }
    // Nothing rejected was stored.
    let list = client.get("/api/payments").await;
    assert_eq!(list.json, json!({"data": []}));
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;
    let health = client.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json, json!({"status":"ok"}));
    assert_eq!(client.get("/nope").await.status, StatusCode::NOT_FOUND);
    let delete = client
        .send(Method::DELETE, "/api/payments", None, &[])
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let target = start_default();
    let mut client = Client::h2(target.addr()).await;
    let created = client
        .post("/api/payments", r#"{"amount":42,"currency":"EUR"}"#)
        .await;
    assert_eq!(created.version, http::Version::HTTP_2);
    assert_eq!(created.status, StatusCode::CREATED);
    let got = client.get("/api/payments/pay_1").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["currency"], "EUR");
    // HTTP/2 graceful shutdown waits for the client to acknowledge GOAWAY, so shut down
    // off this runtime's thread while the client connection task keeps running.
    tokio::task::spawn_blocking(move || target.shutdown())
        .await
        .unwrap();
}
