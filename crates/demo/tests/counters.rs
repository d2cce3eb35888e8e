//! Server-side accounting: what the target received, exactly.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use loadgen_demo::{CountersSnapshot, RouteCounts, TargetConfig};

use crate::support::{start, start_default, Client};

#[tokio::test]
async fn counters_match_requests_sent_per_route_and_status() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;

    for _ in 0..5 {
        client
            .post("/api/payments", r#"{"amount":1,"currency":"AUD"}"#)
            .await;
    }
    for _ in 0..2 {
        client
            .post(
                "/api/payments",
                r#"{"amount":1,"currency":"AUD","card":"declined"}"#,
            )
            .await;
    }
    client
        .post("/api/payments", r#"{"amount":1,"currency":"XYZ"}"#)
        .await;
    client.post("/api/payments", "garbage").await;
    // Reading the counters is never counted.
    client.get("/__counters").await;
    for id in ["pay_1", "pay_2", "pay_3", "pay_404"] {
        client.get(&format!("/api/payments/{id}")).await;
    }
    client.get("/api/payments?limit=3").await;
    client.get("/api/payments?limit=x").await;
    for _ in 0..3 {
        client.get("/health").await;
    }
    client.get("/missing").await;
    client.send(Method::PUT, "/health", None, &[]).await;

    let expected = CountersSnapshot {
        requests_total: 9 + 4 + 2 + 3 + 2,
        by_route: RouteCounts {
            create_payment: 9,
            get_payment: 4,
            list_payments: 2,
            health: 3,
            other: 2,
            ..RouteCounts::default()
        },
        by_status: BTreeMap::from([
            (200, 3 + 1 + 3),
            (201, 5),
            (400, 1 + 1),
            (402, 2),
            (404, 1 + 2),
            (422, 1),
        ]),
        injected_errors: 0,
        ws: Default::default(),
        faults: BTreeMap::new(),
        // Every request above went over the test's one keep-alive connection.
        connections_accepted: 1,
        ..CountersSnapshot::default()
    };
    assert_eq!(target.counters(), expected);
    let served: CountersSnapshot =
        serde_json::from_value(client.get("/__counters").await.json).unwrap();
    assert_eq!(served, expected);
}

#[tokio::test]
async fn reset_zeroes_counters() {
    let target = start_default();
    let mut client = Client::h1(target.addr()).await;
    client.get("/health").await;
    client.get("/nope").await;
    assert_eq!(target.counters().requests_total, 2);

    let reset = client.post("/__counters/reset", "").await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(target.counters(), CountersSnapshot::default());
    let served = client.get("/__counters").await.json;
    assert_eq!(served["requests_total"], 0);
    assert_eq!(served["by_status"], serde_json::json!({}));

    client.get("/health").await;
    target.reset_counters();
    assert_eq!(target.counters(), CountersSnapshot::default());
}

#[tokio::test]
async fn many_concurrent_connections_are_all_counted() {
    const CONNECTIONS: usize = 200;
    const PER_CONNECTION: usize = 5;
    let target = start(TargetConfig {
        worker_threads: 2,
        ..TargetConfig::default()
    });
    let addr = target.addr();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            tokio::spawn(async move {
                let mut client = Client::h1(addr).await;
                for _ in 0..PER_CONNECTION {
                    let reply = client
                        .post("/api/payments", r#"{"amount":3,"currency":"NZD"}"#)
                        .await;
                    assert_eq!(reply.status, StatusCode::CREATED);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let counters = target.counters();
    let total = (CONNECTIONS * PER_CONNECTION) as u64;
    assert_eq!(counters.requests_total, total);
    assert_eq!(counters.by_route.create_payment, total);
    assert_eq!(counters.status(201), total);
}
