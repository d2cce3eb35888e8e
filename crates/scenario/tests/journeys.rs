//! Captures: a good journey validates and builds (its counters declared); a clash of names or a
//! `{{name}}` used before its capture is refused at the line that says so.

use crate::{no_env, problems};
use loadgen_scenario::build_plan;

const JOURNEY: &str = r#"name = "journey"

[feeder.users]
file = "users.csv"

[[workload]]
name = "buy"
model = "closed"
vus = 1
duration = "1s"

  [[workload.step]]
  name = "login"
  http = { method = "POST", path = "/api/login", json = { user = "u" } }
  capture = { token = { json = "$.token" } }

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", headers = { Authorization = "Bearer {{token}}" }, json = { amount = 1, currency = "AUD", note = "{{token}}" } }
  capture = { id = { json = "$.id" }, where = { header = "Location", regex = "/api/payments/(.+)" } }

  [[workload.step]]
  name = "read"
  http = { path = "/api/payments/{{id}}?from={{where}}" }

[thresholds]
"skipped{workload=buy}" = ["count < 1"]
"#;

fn journey(patch: impl Fn(&str) -> String) -> String {
    patch(JOURNEY)
}

#[test]
fn a_journey_validates_builds_and_declares_its_counters() {
    let dir = std::env::temp_dir().join(format!("lg-journey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("users.csv"), "name\nann\n").unwrap();
    let path = dir.join("j.toml");
    std::fs::write(&path, JOURNEY).unwrap();
    let sc = loadgen_scenario::load(&path, &no_env).unwrap();
    let w = &sc.workloads[0];
    let loadgen_scenario::ProtocolSpec::Http(h) = &w.protocol else {
        panic!("{:?}", w.protocol)
    };
    assert_eq!(
        w.protocol.capture_from(),
        ["json", "header", "cookie", "regex"]
    );
    assert!(!h.steps[0].once_per_vu);
    let names: Vec<_> = h
        .steps
        .iter()
        .flat_map(|s| &s.captures)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(names, ["token", "id", "where"]);
    let metrics: Vec<_> = w.custom_metrics().into_iter().map(|m| m.name).collect();
    assert_eq!(
        metrics,
        [
            "skipped",
            "reauth",
            "guarded",
            "capture_missed_token",
            "capture_missed_id",
            "capture_missed_where"
        ]
    );
    build_plan(&sc, "http://127.0.0.1:9").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_name_used_before_its_capture_is_refused_at_its_line() {
    // `read` moves first: it renders `{{id}}` before `create` captures it.
    let text = journey(|t| {
        t.replace(
            "path = \"/api/payments/{{id}}?from={{where}}\"",
            "path = \"/x\"",
        )
        .replace("path = \"/api/login\"", "path = \"/api/login/{{id}}\"")
    });
    let p = problems(&text);
    assert!(
        p.iter().any(|l| l.starts_with("s.toml:14:")
            && l.contains("workload[0].step[0].http.path")
            && l.contains("`{{id}}` is used before step `create` captures it")),
        "{p:?}"
    );
    // A step cannot read its own capture either.
    let text = journey(|t| t.replace("note = \"{{token}}\"", "note = \"{{id}}\""));
    let p = problems(&text);
    assert!(
        p.iter().any(|l| l.starts_with("s.toml:19:")
            && l.contains("http.json")
            && l.contains("`{{id}}`")),
        "{p:?}"
    );
}

#[test]
fn names_clash_across_builtins_feeders_payloads_and_captures() {
    for (from, to, why) in [
        ("token = {", "uuid = {", "`uuid` is a built-in"),
        ("token = {", "users = {", "`users` is a [feeder.users]"),
        (
            "?from={{where}}\" }",
            "\" }\n  capture = { token = { json = \"$.x\" } }",
            "`token` is already captured by step `login`",
        ),
    ] {
        let p = problems(&journey(|t| t.replacen(from, to, 1)));
        assert!(
            p.iter().any(|l| l.starts_with("s.toml:")
                && l.contains(why)
                && l.contains("one namespace")),
            "{from} -> {to}: {p:?}"
        );
    }
}

#[test]
fn a_capture_needs_one_valid_source_and_a_name() {
    let p = problems(&journey(|t| {
        t.replace("{ json = \"$.token\" }", "{ json = \"token\" }")
    }));
    assert!(
        p.iter()
            .any(|l| l.starts_with("s.toml:15:") && l.contains("capture.token")),
        "{p:?}"
    );
    let p = problems(&journey(|t| {
        t.replace(
            "{ json = \"$.token\" }",
            "{ json = \"$.a\", cookie = \"s\" }",
        )
    }));
    assert!(p.iter().any(|l| l.contains("give one of")), "{p:?}");
    let p = problems(&journey(|t| {
        t.replace("{ json = \"$.token\" }", "{ jsn = \"$.a\" }")
    }));
    assert!(p.iter().any(|l| l.contains("unknown field `jsn`")), "{p:?}");
}

#[test]
fn a_step_scope_is_iteration_or_vu() {
    let vu = journey(|t| t.replace("name = \"login\"", "name = \"login\"\n  scope = \"vu\""));
    let p = problems(&vu.replace("users.csv", "missing.csv"));
    assert!(p.iter().all(|l| !l.contains("scope")), "{p:?}");
    let p = problems(&journey(|t| {
        t.replace("name = \"login\"", "name = \"login\"\n  scope = \"user\"")
    }));
    assert!(
        p.iter()
            .any(|l| l.starts_with("s.toml:14:") && l.contains("unknown scope `user`")),
        "{p:?}"
    );
}

#[test]
fn flow_keys_are_checked_where_they_stand() {
    let p = problems(&journey(|t| {
        t.replace("name = \"journey\"", "name = \"journey\"\ntime_scale = 0")
            .replace(
                "name = \"read\"",
                "name = \"read\"\n  when = \"nothing\"\n  probability = 1.5\n  repeat_for = \"1m\"\n  follow_redirects = 99",
            )
    }));
    for needle in [
        "time_scale: 0 is not a speed-up",
        "`nothing` is not captured by an earlier step",
        "1.5 is not a probability",
        "a repeated step needs think",
        "follow at most 20 redirects",
    ] {
        assert!(p.iter().any(|l| l.contains(needle)), "{needle}: {p:?}");
    }
    // `when` names a capture an earlier step makes: fine.
    let ok = problems(&journey(|t| {
        t.replace(
            "name = \"read\"",
            "name = \"read\"\n  when = \"id\"\n  think = \"1s\"",
        )
    }));
    assert!(ok.iter().all(|l| !l.contains("when")), "{ok:?}");
}
