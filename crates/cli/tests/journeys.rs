//! User journeys against a standalone demo target: the target's own counters prove every
//! read-back used an id it created, that a missed capture sends nothing after it, and how
//! captured values land (percent-encoded in a path, JSON-escaped in a body, refused in a
//! header when they hold a line break).

use crate::support::*;

fn step<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {s}"))
}

fn custom(s: &serde_json::Value, name: &str) -> u64 {
    s["custom"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no custom metric {name}: {s}"))["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_payment_journey_reads_back_and_refunds_only_what_it_created() {
    let target = Target::start(&[]);
    let dir = scratch("journey-shipped");
    // The shipped scenario with a fixed number of iterations, so every count is exact.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/payment-journey.toml"
    ))
    .unwrap();
    let bounded = shipped
        .replace("vus = 20", "vus = 4\niterations = 25")
        .replace("think_time = { uniform = [\"100ms\", \"300ms\"] }\n", "");
    assert_ne!(bounded, shipped);
    let f = write(&dir, "journey.toml", &bounded);
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    // `scope = "vu"`: one login per VU, its token kept for all 25 iterations.
    assert_eq!(c["by_route"]["login"], 4, "{c}");
    assert_eq!(step(&s, "login")["count"], 4, "{s}");
    for (route, st) in [
        ("create_payment", "create"),
        ("get_payment", "read-back"),
        ("refund", "refund"),
    ] {
        assert_eq!(c["by_route"][route], 100, "{route}: {c}");
        assert_eq!(step(&s, st)["count"], 100, "{st}: {s}");
    }
    // Every read-back and refund named a payment this run created, with a token it was given.
    assert_eq!(c["by_status"]["404"], serde_json::Value::Null, "{c}");
    assert_eq!(c["by_status"]["401"], serde_json::Value::Null, "{c}");
    assert_eq!(c["by_status"]["201"], 200, "{c}");
    assert_eq!(custom(&s, "skipped"), 0);
    assert_eq!(s["verdict"], "passed");
}

#[test]
fn a_missed_capture_fails_its_step_and_sends_nothing_after_it() {
    let target = Target::start(&[]);
    let dir = scratch("journey-missed");
    let f = write(
        &dir,
        "missed.toml",
        r#"name = "missed"

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 5

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 5, currency = "AUD" } }
  capture = { id = { json = "$.id" }, etag = { header = "ETag" } }

  [[workload.step]]
  name = "read"
  http = { path = "/api/payments/{{id}}?etag={{etag}}" }

  [[workload.step]]
  name = "list"
  http = { path = "/api/payments" }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "no thresholds: not judged: {}",
        text(&o)
    );
    let s = summary(&out);
    let c = target.counters();
    assert_eq!(c["by_route"]["create_payment"], 10, "{c}");
    assert_eq!(
        c["by_route"]["get_payment"], 0,
        "nothing sent with an empty id: {c}"
    );
    assert_eq!(c["by_route"]["list_payments"], 0, "{c}");
    assert_eq!(c["requests_total"], 10, "{c}");
    assert_eq!(step(&s, "create")["outcomes"]["check_failed"], 10, "{s}");
    assert_eq!(custom(&s, "skipped"), 20, "two steps skipped per iteration");
    assert_eq!(custom(&s, "capture_missed_etag"), 10);
    assert_eq!(custom(&s, "capture_missed_id"), 0);
}

#[test]
fn captured_values_are_escaped_where_they_land() {
    let target = Target::start(&[]);
    let dir = scratch("journey-escape");
    let f = write(
        &dir,
        "escape.toml",
        r#"name = "escape"

[[workload]]
name = "w"
model = "closed"
vus = 1
iterations = 3

  [[workload.step]]
  name = "login"
  http = { method = "POST", path = "/api/login", json = { user = 'a/b "c" d', password = "demo" } }
  capture = { who = { json = "$.user" } }

  # JSON-escaped in the body: the target parses it and answers the same user.
  [[workload.step]]
  name = "again"
  http = { method = "POST", path = "/api/login", json = { user = "{{who}}", password = "demo" } }
  expect = { json = { user = 'a/b "c" d' } }

  # Percent-encoded in the path: one segment, `/api/payments/a%2Fb%20%22c%22%20d`, an id
  # the target cannot have (404 on the payment route, not another route).
  [[workload.step]]
  name = "read"
  http = { path = "/api/payments/{{who}}" }
  expect = { status = [404] }

  [[workload.step]]
  name = "newline"
  http = { method = "POST", path = "/api/login", json = { user = "x\ny", password = "demo" } }
  capture = { nl = { json = "$.user" } }

  # A line break in a header value is refused before anything is sent.
  [[workload.step]]
  name = "header"
  http = { path = "/health", headers = { X-Who = "{{nl}}" } }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    for st in ["login", "again", "read", "newline"] {
        assert_eq!(step(&s, st)["outcomes"]["success"], 3, "{st}: {s}");
    }
    assert_eq!(c["by_route"]["login"], 9, "{c}");
    assert_eq!(c["by_route"]["get_payment"], 3, "{c}");
    assert_eq!(c["by_route"]["other"], 0, "{c}");
    assert_eq!(c["by_status"]["404"], 3, "{c}");
    assert_eq!(step(&s, "header")["outcomes"]["check_failed"], 3, "{s}");
    assert_eq!(
        c["by_route"]["health"], 0,
        "the header step was never sent: {c}"
    );
}

#[test]
fn validate_refuses_a_name_used_before_its_capture() {
    let dir = scratch("journey-validate");
    let f = write(
        &dir,
        "early.toml",
        r#"name = "early"

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "read"
  http = { path = "/api/payments/{{id}}" }

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 5, currency = "AUD" } }
  capture = { id = { json = "$.id" }, uuid = { json = "$.id" } }
"#,
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("early.toml:10:")
            && t.contains("`{{id}}` is used before step `create` captures it"),
        "{t}"
    );
    assert!(
        t.contains("early.toml:15:") && t.contains("`uuid` is a built-in"),
        "{t}"
    );
}

#[test]
fn a_failed_once_per_vu_login_is_retried_and_nothing_after_it_is_sent() {
    let target = Target::start(&[]);
    let dir = scratch("journey-relogin");
    let f = write(
        &dir,
        "relogin.toml",
        r#"name = "relogin"

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 3

  [[workload.step]]
  name = "login"
  scope = "vu"
  http = { method = "POST", path = "/api/login", json = { user = "u{{vu}}", password = "wrong" } }
  capture = { token = { json = "$.token" } }

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", headers = { Authorization = "Bearer {{token}}" }, json = { amount = 5, currency = "AUD" } }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    // A once-per-VU step that failed is tried again in the VU's next iteration.
    assert_eq!(c["by_route"]["login"], 6, "{c}");
    assert_eq!(c["by_status"]["401"], 6, "{c}");
    assert_eq!(c["by_route"]["create_payment"], 0, "{c}");
    assert_eq!(step(&s, "login")["outcomes"]["http_4xx"], 6, "{s}");
    assert_eq!(custom(&s, "skipped"), 6);
}
