//! Authentication over real HTTP: JWT logins, `--auth required`, the per-user login limit and
//! cookie mode, and what `/__counters` says about them.

use http::{Method, StatusCode};
use loadgen_demo::{AuthMode, AuthPolicy, TargetConfig};
use std::time::Duration;

use crate::support::{start, Client};

const ANN: &str = r#"{"user":"ann","password":"demo"}"#;

fn policy(mode: AuthMode) -> TargetConfig {
    TargetConfig {
        auth: AuthPolicy {
            mode,
            token_ttl: Duration::from_secs(60),
            login_limit: Some("3/min".parse().unwrap()),
            session_cookie: true,
        },
        ..TargetConfig::default()
    }
}

#[tokio::test]
async fn required_auth_serves_only_requests_with_a_token_it_issued() {
    let target = start(policy(AuthMode::Required));
    let mut client = Client::h1(target.addr()).await;
    let body = r#"{"amount":100,"currency":"AUD"}"#;

    let anonymous = client.post("/api/payments", body).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let login = client.post("/api/login", ANN).await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.json["token"].as_str().unwrap().to_owned();
    assert_eq!(login.json["expires_in"], 60);
    let bearer = format!("Bearer {token}");
    let created = client
        .send(
            Method::POST,
            "/api/payments",
            Some(body),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);

    // A token from another target (another key) is refused, like a forged one.
    let other = start(TargetConfig {
        seed: 99,
        ..policy(AuthMode::Required)
    });
    let mut elsewhere = Client::h1(other.addr()).await;
    let foreign = elsewhere
        .send(
            Method::GET,
            "/api/payments/pay_1",
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNAUTHORIZED);

    // Cookie mode: the login set the session cookie, and it is accepted instead of a bearer.
    let cookie = login.headers["set-cookie"].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let by_cookie = client
        .send(
            Method::GET,
            "/api/payments/pay_1",
            None,
            &[("cookie", &pair)],
        )
        .await;
    assert_eq!(by_cookie.status, StatusCode::OK);

    let c = client.get("/__counters").await.json;
    assert_eq!(c["auth"]["logins"], 1);
    assert_eq!(c["auth"]["unauthorized"], 1);
    assert_eq!(c["by_route"]["login"], 1);
}

#[tokio::test]
async fn logins_past_the_per_user_limit_get_429_with_retry_after() {
    let target = start(policy(AuthMode::Optional));
    let mut client = Client::h1(target.addr()).await;
    for _ in 0..3 {
        assert_eq!(client.post("/api/login", ANN).await.status, StatusCode::OK);
    }
    let limited = client.post("/api/login", ANN).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let bob = client
        .post("/api/login", r#"{"user":"bob","password":"demo"}"#)
        .await;
    assert_eq!(bob.status, StatusCode::OK, "the limit is per user");
    let wrong = client
        .post("/api/login", r#"{"user":"eve","password":"guess"}"#)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // Optional mode still serves anonymous requests.
    assert_eq!(
        client.get("/api/payments?limit=1").await.status,
        StatusCode::OK
    );

    let c = client.get("/__counters").await.json;
    assert_eq!(c["auth"]["logins"], 4);
    assert_eq!(c["auth"]["rate_limited"], 1);
    assert_eq!(c["auth"]["login_failures"], 1);
    assert_eq!(c["by_status"]["429"], 1);
}
