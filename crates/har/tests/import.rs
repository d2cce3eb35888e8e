//! Imports of a real recording (mitmdump in front of the demo target, tests/fixtures) and of
//! hand-written HARs for the cases that recording does not have.
#![allow(clippy::unwrap_used)]

use loadgen_har::{import, Options, Source};

fn options() -> Options {
    Options {
        name: "t".into(),
        source: "t.har".into(),
        think_key: true,
    }
}

const FIXTURE: &str = include_str!("../../../tests/fixtures/payment-journey.har");

#[test]
fn the_recorded_journey_gets_its_token_and_id_captured_and_its_password_hidden() {
    let i = import(FIXTURE, &options()).unwrap();
    let found: Vec<(&str, usize, &Source, &[usize])> = i
        .captures
        .iter()
        .map(|c| (c.name.as_str(), c.step, &c.source, c.used_by.as_slice()))
        .collect();
    assert_eq!(
        found,
        [
            ("token", 0, &Source::Json("$.token".into()), &[1, 2, 3][..]),
            ("id", 1, &Source::Json("$.id".into()), &[2, 3][..]),
        ]
    );
    assert_eq!(i.vars, ["PASSWORD"]);
    assert_eq!(i.origin, "http://127.0.0.1:18321");
    let t = &i.scenario;
    for want in [
        r#"target = "${TARGET_URL:-http://127.0.0.1:18321}""#,
        r#"path = "/api/payments/{{id}}/refund""#,
        r#""Authorization" = "Bearer {{token}}""#,
        r#"\"password\": \"${PASSWORD}\""#,
        r#"capture = { token = { json = "$.token" } }"#,
        "# inferred: `id` of this answer is sent again by steps 3, 4",
        "expect = { status = [201] }",
        "# the recorded pause before this step",
    ] {
        assert!(t.contains(want), "no `{want}` in:\n{t}");
    }
    // Nothing recorded and secret is written: not the token, not the password.
    let har: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let answer = har["log"]["entries"][0]["response"]["content"]["text"]
        .as_str()
        .unwrap();
    let token = serde_json::from_str::<serde_json::Value>(answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(token.len() > 20 && !t.contains(&token));
    assert!(!t.contains("demo"), "{t}");
    // Headers a run sets itself are left out.
    assert!(
        !t.contains("Content-Length") && !t.contains("\"Host\""),
        "{t}"
    );
    toml_parses(t);
}

fn toml_parses(t: &str) {
    // The scenario grammar is the scenario crate's; here only that it is TOML with the steps.
    let steps = t.matches("[[workload.step]]").count();
    assert!(steps > 0);
    for line in t.lines().filter(|l| l.trim_start().starts_with("http = ")) {
        assert!(line.ends_with('}'), "{line}");
    }
}

/// One HAR entry, its fields in the order HAR writes them.
#[allow(clippy::too_many_arguments)]
fn entry(
    at: &str,
    method: &str,
    url: &str,
    req_headers: &str,
    body: &str,
    status: u16,
    resp_headers: &str,
    answer: &str,
) -> String {
    format!(
        r#"{{"startedDateTime": "{at}", "time": 10, "request": {{"method": "{method}", "url": "{url}", "headers": [{req_headers}]{body}}},
           "response": {{"status": {status}, "headers": [{resp_headers}], "content": {{"text": {answer}}}}}}}"#
    )
}

fn h(name: &str, value: &str) -> String {
    format!(r#"{{"name": "{name}", "value": "{value}"}}"#)
}

#[test]
fn cookies_echoes_unexplained_credentials_and_other_origins() {
    let entries = [
        // A session cookie set by the login answer, sent back in a Cookie header.
        entry(
            "2026-01-01T10:00:00.000Z",
            "POST",
            "https://shop.example/login",
            &h("Cookie", "theme=dark"),
            r#", "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "user=ann&password=hunter2"}"#,
            302,
            &[
                h("Set-Cookie", "sid=s3ss10n; Path=/; HttpOnly"),
                h("Location", "/home"),
            ]
            .join(","),
            "\"\"",
        ),
        // A third-party request, left out.
        entry(
            "2026-01-01T10:00:00.500Z",
            "GET",
            "https://cdn.example/app.js",
            "",
            "",
            200,
            "",
            "\"\"",
        ),
        // An answer echoing what was sent (`ann`) and making an order id.
        entry(
            "2026-01-01T10:00:02.000Z",
            "POST",
            "https://shop.example/orders",
            &[
                h("Cookie", "theme=dark; sid=s3ss10n"),
                h("X-Api-Key", "k-123456"),
            ]
            .join(","),
            r#", "postData": {"mimeType": "application/json", "text": "{\"user\": \"ann\", \"qty\": 2}"}"#,
            201,
            "",
            r#""{\"order\": {\"number\": 88231, \"user\": \"ann\"}}""#,
        ),
        entry(
            "2026-01-01T10:00:02.020Z",
            "GET",
            "https://shop.example/orders/88231?who=ann",
            &[
                h("Cookie", "theme=dark; sid=s3ss10n"),
                h("Authorization", "Bearer opaque-abc"),
            ]
            .join(","),
            "",
            200,
            "",
            "\"\"",
        ),
    ];
    let har = format!(r#"{{"log": {{"entries": [{}]}}}}"#, entries.join(","));
    let i = import(&har, &options()).unwrap();
    assert_eq!(i.origin, "https://shop.example");
    assert_eq!(i.notes.len(), 1, "{:?}", i.notes);
    let caps: Vec<(&str, &Source)> = i
        .captures
        .iter()
        .map(|c| (c.name.as_str(), &c.source))
        .collect();
    assert_eq!(
        caps,
        [
            ("sid", &Source::Cookie("sid".into())),
            ("number", &Source::Json("$.order.number".into())),
        ],
        "the echoed user is not a capture"
    );
    let t = &i.scenario;
    for want in [
        r#""Cookie" = "theme=${COOKIE_THEME}; sid={{sid}}""#,
        r#"path = "/orders/{{number}}?who=ann""#,
        r#""Authorization" = "Bearer ${AUTH_TOKEN}""#,
        r#""X-Api-Key" = "${X_API_KEY}""#,
        r#"body = "user=ann&password=${PASSWORD}""#,
        "think = \"1.990s\"",
    ] {
        assert!(t.contains(want), "no `{want}` in:\n{t}");
    }
    for secret in ["hunter2", "s3ss10n", "k-123456", "opaque-abc", "dark"] {
        assert!(!t.contains(secret), "`{secret}` written:\n{t}");
    }
    assert_eq!(
        i.vars,
        ["COOKIE_THEME", "PASSWORD", "X_API_KEY", "AUTH_TOKEN"]
    );
    let advice = i.advice();
    assert!(
        advice.contains("COOKIE_THEME PASSWORD X_API_KEY AUTH_TOKEN"),
        "{advice}"
    );
}

#[test]
fn not_a_har_and_an_empty_one_are_errors() {
    assert!(import("{}", &options()).is_err());
    let e = import(r#"{"log": {"entries": []}}"#, &options()).unwrap_err();
    assert!(e.to_string().contains("no request"), "{e}");
    let e = import(
        &format!(
            r#"{{"log": {{"entries": [{}]}}}}"#,
            entry(
                "2026-01-01T10:00:00Z",
                "GET",
                "ws://x/y",
                "",
                "",
                101,
                "",
                "\"\""
            )
        ),
        &options(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("ws://x/y"), "{e}");
}
