//! Bad scenarios: exact messages with file:line:col and the field path.

use crate::common::{error_text, load};
use loadgen_scenario::ScenarioError;

#[test]
fn unknown_field_names_the_field_and_its_path() {
    assert_eq!(
        error_text("bad/unknown-field.toml"),
        "bad/unknown-field.toml:13:3: workload[0].step[0].expct: unknown field `expct`, expected one of `name`, `http`, `expect`"
    );
}

#[test]
fn bad_duration_unit() {
    assert_eq!(
        error_text("bad/duration-unit.toml"),
        "bad/duration-unit.toml:3:12: duration: invalid duration \"10sec\": unknown unit \"sec\" (use us, ms, s, m or h)"
    );
}

#[test]
fn bad_rate() {
    assert_eq!(
        error_text("bad/rate.toml"),
        "bad/rate.toml:8:8: workload[0].rate: invalid rate \"50/mn\": unknown unit \"mn\" (use /s, /min or /h)"
    );
}

#[test]
fn vus_on_an_open_workload() {
    assert_eq!(
        error_text("bad/vus-on-open.toml"),
        "bad/vus-on-open.toml:10:7: workload[0].vus: `vus` applies to closed workloads, not to model = \"open\" (an open workload sets its arrival rate with `rate` or `stages`)"
    );
}

#[test]
fn duplicate_step_name() {
    assert_eq!(
        error_text("bad/duplicate-step.toml"),
        "bad/duplicate-step.toml:15:10: workload[0].step[1].name: duplicate step name \"home\" (also step[0] of this workload)"
    );
}

#[test]
fn unknown_threshold_metric() {
    assert_eq!(
        error_text("bad/unknown-metric.toml"),
        "bad/unknown-metric.toml:15:1: thresholds.latncy: unknown metric \"latncy\" (use latency, service_time, ttfb, connect, schedule_lag, errors, requests, checks, dropped or iterations)"
    );
}

#[test]
fn threshold_on_an_unknown_step() {
    assert_eq!(
        error_text("bad/unknown-step.toml"),
        "bad/unknown-step.toml:16:1: thresholds.\"latency{step=checkout}\": no step named \"checkout\" (steps: home)"
    );
}

#[test]
fn missing_environment_variables_are_all_named_with_their_line() {
    assert_eq!(
        error_text("bad/missing-env.toml"),
        "bad/missing-env.toml:3:11: environment variable TARGET_URL is not set (give a default with ${TARGET_URL:-value})\n\
         bad/missing-env.toml:13:78: environment variable TOKEN is not set (give a default with ${TOKEN:-value})"
    );
}

#[test]
fn toml_syntax_errors_have_a_location() {
    assert_eq!(
        error_text("bad/syntax.toml"),
        "bad/syntax.toml:3:12: invalid string: expected `\"`, `'`"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let expected = [
        "bad/many.toml:2:10: target: target must be \"embedded\" or an http:// or https:// URL, not \"ftp://example.com\"",
        "bad/many.toml:4:1: workload[0].duration: missing: set `duration` on the workload or at the top level",
        "bad/many.toml:7:8: workload[0].rate: invalid rate \"50/mn\": unknown unit \"mn\" (use /s, /min or /h)",
        "bad/many.toml:8:14: workload[0].think_time: `think_time` applies to closed workloads, not to model = \"open\" (an open workload sets its arrival rate with `rate` or `stages`)",
        "bad/many.toml:9:11: workload[0].max_vus: must be at least 1, not 0",
        "bad/many.toml:13:21: workload[0].step[0].http.method: unknown method \"FETCH\" (use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS)",
        "bad/many.toml:13:37: workload[0].step[0].http.path: \"api/payments\" must start with \"/\" (the target URL comes first)",
        "bad/many.toml:14:29: workload[0].step[0].expect.status[1]: 600 is not an HTTP status (100 to 599)",
        "bad/many.toml:16:1: workload[1].step: missing: a workload needs at least one [[workload.step]]",
        "bad/many.toml:17:8: workload[1].name: duplicate workload name \"checkout\" (also workload[0])",
        "bad/many.toml:19:40: workload[1].stages[0].target: a closed workload's stage target is a whole number of VUs, such as 20",
        "bad/many.toml:22:24: thresholds.\"latency{step=pay}\"[0]: invalid duration \"500\": missing unit: write 500ms or 2s",
        "bad/many.toml:23:13: thresholds.checks[0]: \"count\" does not apply to checks (use rate)",
    ];
    assert_eq!(error_text("bad/many.toml"), expected.join("\n"));
    let e = load("bad/many.toml", &[]).unwrap_err();
    assert_eq!(e.problems().len(), expected.len());
    let first = &e.problems()[0];
    assert_eq!(
        (first.line, first.column, first.path.as_str()),
        (2, 10, "target")
    );
}

#[test]
fn a_missing_file_is_a_read_error() {
    let e = load("bad/no-such-file.toml", &[]).unwrap_err();
    assert!(matches!(e, ScenarioError::Read { .. }), "{e:?}");
    assert!(e.to_string().starts_with("cannot read "), "{e}");
}

fn parse_err(text: &str) -> String {
    loadgen_scenario::parse(text, "x.toml", &|_| None)
        .unwrap_err()
        .to_string()
}

const HEAD: &str =
    "name = \"n\"\ntarget = \"embedded\"\nduration = \"10s\"\n[[workload]]\nname = \"w\"\n";
const STEP: &str = "[[workload.step]]\nname = \"s\"\nhttp = { method = \"GET\", path = \"/\" }\n";

#[test]
fn model_rules() {
    let e = parse_err(&format!("{HEAD}model = \"open\"\nrate = \"1/s\"\nstages = [{{ duration = \"1s\", target = \"2/s\" }}]\nmax_vus = 1\n{STEP}"));
    assert_eq!(e, "x.toml:7:8: workload[0].rate: `rate` and `stages` exclude each other: give one constant rate, or stages");
    let e = parse_err(&format!("{HEAD}model = \"closed\"\n{STEP}"));
    assert_eq!(e, "x.toml:4:1: workload[0].vus: missing: a closed workload needs `vus` (constant) or `stages` (ramping)");
    let e = parse_err(&format!(
        "{HEAD}model = \"closed\"\nvus = 2\nstart_vus = 1\nmax_vus = 3\n{STEP}"
    ));
    assert_eq!(
        e,
        "x.toml:8:13: workload[0].start_vus: `start_vus` only applies with `stages`\n\
         x.toml:9:11: workload[0].max_vus: `max_vus` applies to open workloads, not to model = \"closed\" (a closed workload sets its VUs with `vus` or `stages`)"
    );
    let e = parse_err(&format!(
        "{HEAD}model = \"open\"\nrate = \"1/s\"\nmax_vus = 2\npre_allocated_vus = 3\n{STEP}"
    ));
    assert_eq!(
        e,
        "x.toml:9:21: workload[0].pre_allocated_vus: 3 is more than max_vus (2)"
    );
    let e = parse_err(&format!("{HEAD}model = \"closed\"\nduration = \"5s\"\nstages = [{{ duration = \"1s\", target = 2 }}]\n{STEP}"));
    assert_eq!(e, "x.toml:7:12: workload[0].duration: `duration` does not apply with `stages`: the stages' durations add up to the workload's");
    let e = parse_err(&format!(
        "{HEAD}model = \"closed\"\nvus = 1\nthink_time = {{ uniform = [\"2s\", \"1s\"] }}\n{STEP}"
    ));
    assert_eq!(
        e,
        "x.toml:8:26: workload[0].think_time.uniform: the first bound is the smaller one"
    );
    let e = parse_err(&format!("{HEAD}model = \"closd\"\n{STEP}"));
    assert_eq!(
        e,
        "x.toml:6:9: workload[0].model: unknown model \"closd\" (use open or closed)"
    );
}

#[test]
fn step_rules() {
    let e = parse_err(&format!(
        "{HEAD}model = \"closed\"\nvus = 1\n[[workload.step]]\nname = \"s\"\nhttp = {{ method = \"GET\", path = \"/\", json = {{ a = 1 }}, body = \"x\", headers = {{ \"bad header\" = \"v\" }} }}\nexpect = {{ status = [402], expected_failure_status = [402] }}\n"
    ));
    assert_eq!(
        e,
        "x.toml:10:63: workload[0].step[0].http.body: `json` and `body` exclude each other: give one\n\
         x.toml:10:80: workload[0].step[0].http.headers.\"bad header\": \"bad header\" is not a valid header name\n\
         x.toml:11:54: workload[0].step[0].expect.expected_failure_status: 402 is also in `status`; a status is either a success or an expected failure"
    );
    let e = parse_err(&format!(
        "{HEAD}model = \"closed\"\nvus = 1\n[[workload.step]]\nname = \"a{{b}}\"\n"
    ));
    assert_eq!(
        e,
        "x.toml:8:1: workload[0].step[0].http: missing: write http = { method = \"GET\", path = \"/...\" }\n\
         x.toml:9:8: workload[0].step[0].name: \"a{b}\" holds '{'; names may not contain { } , = \" / \\ or control characters"
    );
}

#[test]
fn wrong_types_are_located() {
    let e = parse_err(&format!(
        "{HEAD}model = \"open\"\nrate = \"1/s\"\nmax_vus = \"ten\"\n{STEP}"
    ));
    assert_eq!(
        e,
        "x.toml:8:11: workload[0].max_vus: invalid type: string \"ten\", expected i64"
    );
}

#[test]
fn threshold_rules() {
    let base = format!("{HEAD}model = \"closed\"\nvus = 1\n{STEP}[thresholds]\n");
    let e = parse_err(&format!("{base}\"dropped{{step=s}}\" = [\"count < 1\"]\n"));
    assert_eq!(e, "x.toml:12:1: thresholds.\"dropped{step=s}\": dropped is measured per workload: filter it with {workload=NAME}, not step");
    let e = parse_err(&format!(
        "{base}\"latency{{workload=nope}}\" = [\"p(95) < 1s\"]\n"
    ));
    assert_eq!(e, "x.toml:12:1: thresholds.\"latency{workload=nope}\": no workload named \"nope\" (workloads: w)");
    let e = parse_err(&format!(
        "{base}latency = [{{ threshold = \"p(95) < 1\", abort_on_fail = true }}]\n"
    ));
    assert_eq!(e, "x.toml:12:26: thresholds.latency[0].threshold: invalid duration \"1\": missing unit: write 500ms or 2s");
    let e = parse_err(&format!(
        "{base}latency = [{{ threshold = \"p(95) < 1s\", abort = true }}]\n"
    ));
    assert_eq!(e, "x.toml:12:40: thresholds.latency[0].abort: unknown field `abort`, expected one of `threshold`, `abort_on_fail`, `delay_abort_eval`");
}
