//! Scenario files in, validated scenarios or located errors out.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use loadgen_scenario::pattern::Pattern;
use loadgen_scenario::{parse, ModelSpec, ScenarioError, TargetSpec};

fn no_env(_: &str) -> Option<String> {
    None
}

const GOOD: &str = r#"name = "good"
target = "${TARGET_URL:-embedded}"
duration = "30s"

[[workload]]
name = "pay"
model = "open"
arrivals = "poisson"
start_rate = "1/s"
stages = [{ duration = "10s", target = "50/s" }, { duration = "1m", target = "3000/min" }]
max_vus = 100

  [[workload.step]]
  name = "create"
  http = { method = "post", path = "/api/payments", headers = { "Idempotency-Key" = "{{uuid}}" }, json = { amount = 10, currency = "AUD" } }
  expect = { status = [201], expected_failure_status = [402], json = { "status" = "succeeded" } }

[[workload]]
name = "browse"
model = "closed"
stages = [{ duration = "5s", target = 10 }]
think_time = { uniform = ["100ms", "1s"] }

  [[workload.step]]
  name = "list"
  http = { path = "/api/payments" }

[thresholds]
"latency{step=create}" = ["p(95) < 500ms", { threshold = "p(99) < 1s", abort_on_fail = true, delay_abort_eval = "10s" }]
"errors" = ["rate < 0.1%"]
"#;

fn problems(text: &str) -> Vec<String> {
    match parse(text, "s.toml", &no_env) {
        Err(e @ ScenarioError::Invalid { .. }) => e
            .to_string()
            .lines()
            .filter(|l| l.starts_with("s.toml:"))
            .map(str::to_string)
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_good_file_becomes_a_validated_scenario() {
    let sc = parse(GOOD, "good.toml", &no_env).unwrap();
    assert_eq!(sc.target, TargetSpec::Embedded(Default::default()));
    let ModelSpec::Open {
        rate: Pattern::Stages { start, stages },
        duration,
        max_vus,
        ..
    } = &sc.workloads[0].model
    else {
        panic!("open stages expected")
    };
    assert_eq!((*start, stages[1].1, *max_vus), (1.0, 50.0, 100));
    assert_eq!(
        duration.as_secs(),
        70,
        "stages decide the length when no duration is given"
    );
    let method = |w: usize| match &sc.workloads[w].protocol {
        loadgen_scenario::ProtocolSpec::Http(h) => h.steps[0].http.method.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!((method(0).as_str(), method(1).as_str()), ("POST", "GET"));
    assert_eq!(sc.thresholds.len(), 3);
    assert!(sc
        .thresholds
        .iter()
        .any(|t| t.abort_on_fail && t.delay_abort_eval.as_secs() == 10));
    let plan = loadgen_scenario::build_plan(&sc, "http://127.0.0.1:9").unwrap();
    assert_eq!(plan.steps().len(), 2);
    assert_eq!(plan.duration().as_secs(), 70);
}

#[test]
fn environment_variables_fill_the_target() {
    let sc = parse(GOOD, "good.toml", &|k| {
        (k == "TARGET_URL").then(|| "http://10.0.0.1:80".to_string())
    })
    .unwrap();
    assert_eq!(sc.target, TargetSpec::Url("http://10.0.0.1:80".into()));
    let p = problems("name = \"x\"\ntarget = \"${NOPE}\"\n");
    assert_eq!(
        p,
        vec!["s.toml:2:11: environment variable NOPE is not set (give a default: ${NOPE:-value})"]
    );
}

#[test]
fn unknown_fields_are_located() {
    let p = problems("name = \"x\"\nduraton = \"1s\"\n");
    assert!(
        p[0].starts_with("s.toml:1:1: workload: a scenario needs at least one [[workload]]"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("s.toml:2:1: duraton: unknown field `duraton`"),
        "{p:?}"
    );
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn every_problem_is_reported_at_once_with_its_field() {
    let text = r#"name = "multi"
duration = "10"

[[workload]]
name = "w"
model = "open"
rate = "50/mn"
vus = 3
max_vus = 5

  [[workload.step]]
  name = "a"
  http = { method = "FETCH", path = "/" }
  expect = { status = [999] }

  [[workload.step]]
  name = "a"
  http = { path = "x" }

[thresholds]
"latncy" = ["p(95) < 1s"]
"latency{step=zzz}" = ["p(95) < 1s"]
"errors" = ["rate < lots"]
"#;
    let p = problems(text);
    let expect = [
        "s.toml:2:12: duration: invalid duration \"10\": missing unit (write 500ms or 2s)",
        "s.toml:7:8: workload[0].rate: invalid rate \"50/mn\": unknown unit \"mn\" (use /s, /min or /h)",
        "s.toml:8:7: workload[0].vus: not used by the open model (use rate and max_vus)",
        "s.toml:13:21: workload[0].step[0].http.method: unknown method `FETCH`",
        "s.toml:14:24: workload[0].step[0].expect.status: 999 is not an HTTP status (100..599)",
        "s.toml:17:10: workload[0].step[1].name: duplicate step name `a`",
        "s.toml:18:19: workload[0].step[1].http.path: a path starts with `/`",
        "s.toml:21:2: thresholds.\"latncy\": unknown metric `latncy`",
        "s.toml:22:2: thresholds.\"latency{step=zzz}\": no step is named `zzz`",
        "s.toml:23:13: thresholds.\"errors\": invalid share \"lots\"",
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (got, want) in p.iter().zip(expect) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}

#[test]
fn closed_model_fields_are_checked_against_the_model() {
    let text = r#"name = "c"
[[workload]]
name = "w"
model = "closed"
vus = 2
rate = "5/s"
think_time = { gaussian = "1s" }
  [[workload.step]]
  name = "a"
  http = { path = "/" }
"#;
    let p = problems(text);
    assert!(
        p[0].starts_with("s.toml:6:8: workload[0].rate: not used by the closed model"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("s.toml:7:14: workload[0].think_time:"),
        "{p:?}"
    );
}

#[test]
fn backlog_defaults_to_max_vus_and_is_open_model_only() {
    let sc = parse(GOOD, "good.toml", &no_env).unwrap();
    let ModelSpec::Open { backlog, .. } = &sc.workloads[0].model else {
        panic!("open model expected")
    };
    assert_eq!(*backlog, 100, "max_vus");
    // At a high rate, 100 ms of arrivals at the peak when that is more than max_vus.
    let fast = GOOD.replace("target = \"3000/min\"", "target = \"5000/s\"");
    let sc = parse(&fast, "good.toml", &no_env).unwrap();
    assert!(matches!(
        sc.workloads[0].model,
        ModelSpec::Open { backlog: 500, .. }
    ));
    let zero = GOOD.replace("max_vus = 100", "max_vus = 100\nbacklog = 0");
    let sc = parse(&zero, "good.toml", &no_env).unwrap();
    assert!(matches!(
        sc.workloads[0].model,
        ModelSpec::Open { backlog: 0, .. }
    ));
    let closed = GOOD.replace(
        "think_time = { uniform",
        "backlog = 5\nthink_time = { uniform",
    );
    let p = problems(&closed);
    assert!(
        p.iter()
            .any(|l| l
                .starts_with("s.toml:22:11: workload[1].backlog: not used by the closed model")),
        "{p:?}"
    );
}

#[test]
fn syntax_errors_are_located() {
    let p = problems("name = \"x\"\n[[workload]\n");
    assert!(p[0].starts_with("s.toml:2:"), "{p:?}");
}

mod fuzz;
mod journeys;
mod mistakes;
mod pg;
mod protocols;
mod redis;
mod replay;
mod schedules;
mod webhooks;
mod windows;
mod ws;
