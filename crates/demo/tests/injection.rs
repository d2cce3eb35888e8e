//! Injected errors and latency.

use std::time::{Duration, Instant};

use http::StatusCode;
use loadgen_demo::LatencyModel;
use serde_json::json;

use crate::support::{config, start, Client};

const PAYMENT: &str = r#"{"amount":100,"currency":"AUD"}"#;

#[tokio::test]
async fn error_rate_one_fails_every_api_request() {
    let target = start(config(LatencyModel::None, 1.0));
    let mut client = Client::h1(target.addr()).await;
    for _ in 0..10 {
        let reply = client.post("/api/payments", PAYMENT).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(reply.json, json!({"error":"injected"}));
    }
    assert_eq!(
        client.get("/api/payments/pay_1").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // Not an API route: never injected.
    assert_eq!(client.get("/health").await.status, StatusCode::OK);
    let counters = target.counters();
    assert_eq!(counters.injected_errors, 11);
    assert_eq!(counters.status(500), 11);
}

#[tokio::test]
async fn error_rate_zero_fails_none() {
    let target = start(config(LatencyModel::None, 0.0));
    let mut client = Client::h1(target.addr()).await;
    for _ in 0..200 {
        assert_eq!(
            client.post("/api/payments", PAYMENT).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(target.counters().injected_errors, 0);
}

#[tokio::test]
async fn partial_error_rate_injects_some() {
    let target = start(config(LatencyModel::None, 0.5));
    let mut client = Client::h1(target.addr()).await;
    for _ in 0..200 {
        client.get("/api/payments").await;
    }
    let injected = target.counters().injected_errors;
    assert!(
        (40..=160).contains(&injected),
        "{injected} of 200 injected at 50%"
    );
}

#[tokio::test]
async fn fixed_latency_delays_api_requests() {
    let delay = Duration::from_millis(30);
    let target = start(config(LatencyModel::Fixed(delay), 0.0));
    let mut client = Client::h1(target.addr()).await;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(
            client.post("/api/payments", PAYMENT).await.status,
            StatusCode::CREATED
        );
        assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    }
}

#[tokio::test]
async fn injected_errors_still_wait_for_latency() {
    let delay = Duration::from_millis(30);
    let target = start(config(LatencyModel::Fixed(delay), 1.0));
    let mut client = Client::h1(target.addr()).await;
    let started = Instant::now();
    assert_eq!(
        client.get("/api/payments").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
}
