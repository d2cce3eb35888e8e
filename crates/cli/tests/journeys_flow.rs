//! Journeys past captures, against a standalone demo target whose counters are the proof: a
//! token that expires makes each VU log in again exactly once per expiry (and retry), guards
//! send a step only when its capture is there, redirect chains are followed to the end (and
//! no further than allowed), and a unique feeder too short for the VUs is refused.

use crate::support::*;

fn step<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {s}"))
}

fn count(s: &serde_json::Value, name: &str) -> u64 {
    step(s, name)["count"].as_u64().unwrap()
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
fn an_expired_token_costs_one_relogin_per_vu_and_expiry() {
    let target = Target::start(&["--auth", "required", "--token-ttl", "1s"]);
    let dir = scratch("journey-reauth");
    let f = write(
        &dir,
        "reauth.toml",
        r#"name = "reauth"

[[workload]]
name = "w"
model = "closed"
vus = 3
iterations = 12
think_time = "250ms"

  [[workload.step]]
  name = "login"
  scope = "vu"
  http = { method = "POST", path = "/api/login", json = { user = "u{{vu}}", password = "demo" } }
  capture = { token = { json = "$.token" } }

  [[workload.step]]
  name = "list"
  http = { path = "/api/payments?limit=1", headers = { Authorization = "Bearer {{token}}" } }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let reauth = custom(&s, "reauth");
    // 12 iterations 250 ms apart outlive a 1 s token several times over.
    assert!(reauth >= 3, "no token expired: {s}");
    let auth = &c["auth"];
    // Every 401 the target sent was an expired token, and each made one re-login.
    assert_eq!(auth["unauthorized"], reauth, "{c}");
    assert_eq!(auth["expired"], reauth, "{c}");
    assert_eq!(c["by_route"]["login"], 3 + reauth, "{c}");
    assert_eq!(count(&s, "login"), 3, "{s}");
    assert_eq!(count(&s, "login-relogin"), reauth, "{s}");
    // The step a 401 interrupted is retried and counted once, as a success.
    assert_eq!(count(&s, "list"), 36, "{s}");
    assert_eq!(step(&s, "list")["errors"], 0, "{s}");
    assert_eq!(c["by_route"]["list_payments"], 36 + reauth, "{c}");
}

#[test]
fn guards_send_a_step_only_when_its_capture_is_there() {
    let target = Target::start(&[]);
    let dir = scratch("journey-guards");
    let f = write(
        &dir,
        "guards.toml",
        r#"name = "guards"
time_scale = 100

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 40

  [[workload.step]]
  name = "maybe-create"
  probability = 0.5
  think = "1s"     # 10 ms at time_scale 100
  http = { method = "POST", path = "/api/payments", json = { amount = 5, currency = "AUD" } }
  capture = { id = { json = "$.id" } }

  [[workload.step]]
  name = "read-back"
  when = "id"
  http = { path = "/api/payments/{{id}}" }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let created = count(&s, "maybe-create");
    assert!(
        (5..75).contains(&created),
        "probability 0.5 of 80: {created}"
    );
    assert_eq!(c["by_route"]["create_payment"], created, "{c}");
    assert_eq!(count(&s, "read-back"), created, "{s}");
    assert_eq!(c["by_route"]["get_payment"], created, "{c}");
    assert_eq!(c["by_status"]["404"], serde_json::Value::Null, "{c}");
    // Each iteration that drew no create passed over both steps.
    assert_eq!(custom(&s, "guarded"), 2 * (80 - created), "{s}");
    assert_eq!(custom(&s, "skipped"), 0, "{s}");
}

#[test]
fn a_redirect_chain_is_followed_to_its_end_and_no_further_than_allowed() {
    let target = Target::start(&[]);
    let dir = scratch("journey-redirects");
    let f = write(
        &dir,
        "redirects.toml",
        r#"name = "redirects"

[http]
follow_redirects = 5

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 5

  [[workload.step]]
  name = "chain"
  http = { path = "/api/redirect?n=3" }
  expect = { json = { redirected = true } }

  [[workload.step]]
  name = "capped"
  follow_redirects = 2
  http = { path = "/api/redirect?n=3" }
  expect = { status = [302] }

  [[workload.step]]
  name = "unfollowed"
  follow_redirects = 0
  http = { path = "/api/redirect?n=1" }
  expect = { status = [302] }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    for name in ["chain", "capped", "unfollowed"] {
        assert_eq!(count(&s, name), 10, "{name}: {s}");
        assert_eq!(step(&s, name)["errors"], 0, "{name}: {s}");
    }
    // Each step is one result; the target saw every hop: 4 + 3 + 1 per iteration.
    assert_eq!(c["by_route"]["redirect"], 10 * (4 + 3 + 1), "{c}");
}

#[test]
fn a_unique_feeder_needs_a_row_per_vu_when_once_per_vu_steps_read_it() {
    let dir = scratch("journey-unique-users");
    write(&dir, "users.csv", "name\nann\nbo\n");
    let scenario = |vus: u32| {
        format!(
            r#"name = "users"

[feeder.users]
file = "users.csv"
order = "unique"

[[workload]]
name = "w"
model = "closed"
vus = {vus}

  [[workload.step]]
  name = "login"
  scope = "vu"
  http = {{ method = "POST", path = "/api/login", json = {{ user = "{{{{users.name}}}}", password = "demo" }} }}
  capture = {{ token = {{ json = "$.token" }} }}

  [[workload.step]]
  name = "list"
  http = {{ path = "/api/payments", headers = {{ Authorization = "Bearer {{{{token}}}}" }} }}
"#
        )
    };
    let ok = write(&dir, "two.toml", &scenario(2));
    let o = run(&["validate", ok.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let short = write(&dir, "three.toml", &scenario(3));
    let o = run(&["validate", short.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("unique feeder `users` has 2 rows but this workload may run 3 VUs"),
        "{}",
        text(&o)
    );
}

const SETUP: &str = r#"name = "setup"

[[setup]]
name = "admin-login"
http = { method = "POST", path = "/api/login", json = { user = "admin", password = "PASSWORD" } }
capture = { token = { json = "$.token" } }

[[workload]]
name = "w"
model = "closed"
vus = 3
iterations = 4

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", headers = { Authorization = "Bearer {{setup.token}}" }, json = { amount = 5, currency = "AUD" } }
"#;

#[test]
fn a_setup_logs_in_once_and_every_vu_uses_its_token() {
    let target = Target::start(&["--auth", "required"]);
    let dir = scratch("journey-setup");
    let f = write(&dir, "setup.toml", &SETUP.replace("PASSWORD", "demo"));
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c = target.counters();
    assert_eq!(c["by_route"]["login"], 1, "{c}");
    assert_eq!(c["by_route"]["create_payment"], 12, "{c}");
    assert_eq!(c["auth"]["unauthorized"], 0, "{c}");
}

#[test]
fn a_failed_setup_starts_no_load_and_exits_3() {
    let target = Target::start(&["--auth", "required"]);
    let dir = scratch("journey-setup-fails");
    let f = write(&dir, "setup.toml", &SETUP.replace("PASSWORD", "wrong"));
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--duration", "60s"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let why = std::fs::read_to_string(out.join("setup-failed.txt")).unwrap();
    assert!(
        why.contains("setup step `admin-login` failed") && why.contains("HTTP 401"),
        "{why}"
    );
    assert!(text(&o).contains("admin-login"), "{}", text(&o));
    let c = target.counters();
    assert_eq!(c["by_route"]["login"], 1, "{c}");
    assert_eq!(c["by_route"]["create_payment"], 0, "{c}");
}

#[test]
fn validate_refuses_a_setup_value_no_setup_step_captures() {
    let dir = scratch("journey-setup-unknown");
    let f = write(
        &dir,
        "setup.toml",
        &SETUP
            .replace("PASSWORD", "demo")
            .replace("{{setup.token}}", "{{setup.tokn}}"),
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no [[setup]] step captures `tokn`"),
        "{}",
        text(&o)
    );
}

fn shipped(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{name}.toml"))
}

fn outcome(s: &serde_json::Value, name: &str, outcome: &str) -> u64 {
    step(s, name)["outcomes"][outcome].as_u64().unwrap_or(0)
}

#[test]
fn the_checkout_journey_reads_back_and_refunds_only_what_it_created_with_a_token() {
    let target = Target::start(&["--auth", "required"]);
    let out = scratch("journey-checkout").join("out");
    let o = run_against(
        &shipped("checkout-journey"),
        &target.url,
        &out,
        &["--duration", "3s"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let created = count(&s, "create");
    assert!(created > 0, "{s}");
    // One login per VU; every later request carried its token.
    assert_eq!(c["by_route"]["login"], 20, "{c}");
    assert_eq!(c["auth"]["unauthorized"], 0, "{c}");
    for route in ["create_payment", "get_payment", "refund"] {
        assert_eq!(c["by_route"][route], created, "{route}: {c}");
    }
    // Every read-back and refund named a payment this run created.
    assert_eq!(c["by_status"]["404"], serde_json::Value::Null, "{c}");
    assert_eq!(custom(&s, "skipped"), 0, "{s}");
}

#[test]
fn game_sessions_log_in_heartbeat_and_log_out_with_only_the_planned_401s() {
    let target = Target::start(&["--auth", "required"]);
    let out = scratch("journey-game").join("out");
    let o = run_against(
        &shipped("game-sessions"),
        &target.url,
        &out,
        &["--duration", "3s"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let wrong = outcome(&s, "login", "expected_failure");
    let logged_in = outcome(&s, "login", "success");
    // Every 20th player has a wrong password: 10 of the 200 first logins.
    assert!(wrong >= 10, "{s}");
    assert_eq!(c["auth"]["login_failures"], wrong, "{c}");
    assert_eq!(c["auth"]["logins"], logged_in, "{c}");
    // No API request went without a live token, and the load's end cut no session short
    // of its logout.
    assert_eq!(c["auth"]["unauthorized"], 0, "{c}");
    assert_eq!(c["by_route"]["logout"], logged_in, "{c}");
    assert_eq!(count(&s, "logout"), logged_in, "{s}");
    assert!(count(&s, "heartbeat") >= logged_in, "{s}");
    assert_eq!(c["by_route"]["heartbeat"], count(&s, "heartbeat"), "{c}");
    assert_eq!(custom(&s, "skipped"), 0, "{s}");
}
