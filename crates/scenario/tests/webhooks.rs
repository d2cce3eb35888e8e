//! `webhook = {…}` and `callback = {…}` steps: what a good file becomes, where mistakes are
//! reported, and that the secret stays hidden.

use loadgen_scenario::protocol::webhook::{WebhookStepSpec, WebhookWorkload};
use loadgen_scenario::ProtocolSpec;
use loadgen_scenario::{parse, ScenarioError};
use loadgen_webhook::{Fault, Scheme};
use std::time::Duration;

const HEAD: &str = r#"name = "hooks"
target = "http://127.0.0.1:9"
[payload.payment]
amount = { fixed = 10.0 }
[[workload]]
name = "w"
model = "closed"
vus = 1
"#;

fn problems(body: &str) -> Vec<String> {
    let text = format!("{HEAD}{body}");
    match parse(&text, "f.toml", &|_| None) {
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| format!("{}:{}: {}", p.line, p.field, p.message))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_webhook_step_reads_every_key_and_keeps_the_secret_hidden() {
    let text = format!(
        r#"{HEAD}  [[workload.step]]
  name = "deliver"
  webhook = {{ provider = "stripe", secret = "${{STRIPE_WEBHOOK_SECRET}}", path = "/webhooks/stripe", payload = "@payment", events = {{ "payment_intent.succeeded" = 3, "payout.paid" = 1 }}, retries = {{ max = 2, backoff = "20ms", max_backoff = "80ms" }}, fail = {{ share = "10%", stale = 1, duplicate = 2 }} }}
  expect = {{ status = [200, 204] }}
"#
    );
    let env = |k: &str| (k == "STRIPE_WEBHOOK_SECRET").then(|| "whsec_s3cr3t-value".to_string());
    let sc = parse(&text, "f.toml", &env).unwrap();
    let ProtocolSpec::Webhook(WebhookWorkload { steps }) = &sc.workloads[0].protocol else {
        panic!("{:?}", sc.workloads[0].protocol)
    };
    let step = &steps[0];
    assert_eq!(step.status, [200, 204]);
    let WebhookStepSpec::Delivery(d) = &step.spec else {
        panic!("{step:?}")
    };
    assert_eq!(d.scheme, Scheme::Stripe);
    assert_eq!(d.secret.expose(), "whsec_s3cr3t-value");
    assert_eq!(d.path, "/webhooks/stripe");
    assert_eq!(d.payload, Some(0));
    assert_eq!(
        d.events,
        [
            ("payment_intent.succeeded".into(), 3.0),
            ("payout.paid".into(), 1.0)
        ]
    );
    assert_eq!(
        (d.retry.max, d.retry.backoff, d.retry.max_backoff),
        (2, Duration::from_millis(20), Duration::from_millis(80))
    );
    assert_eq!(d.fail_share, 0.1);
    let mut kinds = d.fail_kinds.clone();
    kinds.sort_by_key(|k| k.0.name());
    assert_eq!(kinds, [(Fault::Duplicate, 2.0), (Fault::Stale, 1.0)]);
    assert!(
        !format!("{sc:?}").contains("s3cr3t"),
        "Debug shows the secret"
    );
    let names: Vec<_> = sc.workloads[0]
        .custom_metrics()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(
        names.contains(&"webhook_retries".to_string())
            && !names.contains(&"callback_latency".to_string()),
        "{names:?}"
    );
}

#[test]
fn a_callback_step_declares_the_callback_metrics() {
    let text = format!(
        r#"{HEAD}  [[workload.step]]
  name = "pay"
  callback = {{ path = "/api/payments/async", json = {{ amount = 5 }}, within = "1500ms" }}
[thresholds]
"callback_latency" = ["p(99) < 1s"]
"callback_received" = ["rate > 99%"]
"#
    );
    let sc = parse(&text, "f.toml", &|_| None).unwrap();
    let ProtocolSpec::Webhook(WebhookWorkload { steps }) = &sc.workloads[0].protocol else {
        panic!("{:?}", sc.workloads[0].protocol)
    };
    let WebhookStepSpec::Callback(c) = &steps[0].spec else {
        panic!()
    };
    assert_eq!(
        (c.method.as_str(), c.within),
        ("POST", Duration::from_millis(1500))
    );
    assert_eq!(c.json.as_deref(), Some(r#"{"amount":5}"#));
    let names: Vec<_> = sc.workloads[0]
        .custom_metrics()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["callback_latency", "callback_received"]);
}

#[test]
fn mistakes_name_line_and_field() {
    let step = |t: &str| format!("  [[workload.step]]\n  name = \"s\"\n  {t}\n");
    let cases = [
        (
            step(r#"webhook = { provider = "paypal", secret = "x", path = "/h" }"#),
            "workload[0].step[0].webhook.provider",
            "unknown provider",
        ),
        (
            step(r#"webhook = { provider = "stripe", path = "/h" }"#),
            "webhook.secret",
            "required",
        ),
        (
            step(r#"webhook = { provider = "stripe", secret = "x", path = "h" }"#),
            "webhook.path",
            "starts with",
        ),
        (
            step(
                r#"webhook = { provider = "stripe", secret = "x", path = "/h", retries = { max = 99 } }"#,
            ),
            "webhook.retries.max",
            "0..=20",
        ),
        (
            step(
                r#"webhook = { provider = "stripe", secret = "x", path = "/h", fail = { share = "5%", forged = 1, stale = 1 } }"#,
            ),
            "webhook.fail.forged",
            "unknown field `forged`, expected one of `share`, `bad_signature`, `stale`",
        ),
        (
            step(
                r#"webhook = { provider = "shopify", secret = "x", path = "/h", fail = { share = "5%", stale = 1 } }"#,
            ),
            "webhook.fail.stale",
            "signs no timestamp",
        ),
        (
            step(
                r#"webhook = { provider = "stripe", secret = "x", path = "/h", payload = "@nope" }"#,
            ),
            "webhook.payload",
            "no [payload.nope]",
        ),
        (
            step(
                r#"webhook = { provider = "stripe", secret = "x", path = "/h", algorithm = "md5" }"#,
            ),
            "webhook.algorithm",
            "generic",
        ),
        (
            step(
                r#"webhook = { provider = "generic", secret = "x", path = "/h", header = "x-sig", signed = "timestamp.body" }"#,
            ),
            "webhook.timestamp_header",
            "header",
        ),
        (
            step(
                r#"webhook = { provider = "generic", secret = "x", path = "/h", header = "x-sig", algorithm = "md5" }"#,
            ),
            "webhook.algorithm",
            "unknown `md5` (use sha1, sha256 or sha512)",
        ),
        (
            step(
                r#"webhook = { provider = "generic", secret = "x", path = "/h", header = "x-sig", encoding = "base32" }"#,
            ),
            "webhook.encoding",
            "unknown `base32` (use hex or base64)",
        ),
        (
            step(
                r#"webhook = { provider = "generic", secret = "x", path = "/h", header = "x-sig", signed = "ts" }"#,
            ),
            "webhook.signed",
            "unknown `ts` (use body, timestamp.body or id.timestamp.body)",
        ),
        (
            step(r#"callback = { path = "/a" }"#),
            "callback.within",
            "required",
        ),
        (
            step(r#"callback = { path = "/a", within = "1s", http = 1 }"#),
            "callback.http",
            "unknown field",
        ),
    ];
    for (body, field, message) in cases {
        let p = problems(&body);
        assert!(
            p.len() == 1
                && p[0].starts_with("11:")
                && p[0].contains(field)
                && p[0].contains(message),
            "{body}\n{p:?}"
        );
    }
}

#[test]
fn a_workload_does_not_mix_http_and_webhook_steps() {
    let p = problems(
        r#"  [[workload.step]]
  name = "a"
  http = { path = "/" }
  [[workload.step]]
  name = "b"
  callback = { path = "/a", within = "1s" }
"#,
    );
    assert!(
        p.iter()
            .any(|p| p.contains("workload[0].step") && p.contains("separate workloads")),
        "{p:?}"
    );
    // A threshold on a metric the workload does not record is refused.
    let p = problems(
        r#"  [[workload.step]]
  name = "b"
  callback = { path = "/a", within = "1s" }
[thresholds]
"webhook_retries" = ["count < 1"]
"#,
    );
    assert!(p.iter().any(|p| p.contains("webhook_retries")), "{p:?}");
}
