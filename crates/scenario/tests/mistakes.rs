//! Every mistake of a file at once: misspelt fields in every kind of table, a value of the
//! wrong type and mistakes of meaning, each with its line, column and field path.

use super::problems;

/// One file, many kinds of mistake (the CLI's `validate` test reads the same file).
pub const MANY_MISTAKES: &str = include_str!("../../../tests/fixtures/many-mistakes.toml");

#[test]
fn every_misspelt_field_wrong_type_and_bad_value_is_reported_in_one_run() {
    let p = problems(MANY_MISTAKES);
    let expect = [
        "s.toml:2:1: duraton: unknown field `duraton`",
        "s.toml:3:8: seed: invalid type: string, expected a non-negative integer",
        "s.toml:6:11: embedded.latency: ",
        "s.toml:9:1: http.timout: unknown field `timout`",
        "s.toml:12:1: payload.payment.currancy: unknown field `currancy`",
        "s.toml:13:41: payload.payment.amount.lognormal.sigam: unknown field `sigam`",
        "s.toml:18:73: workload[0].rate.rsie: unknown field `rsie`",
        "s.toml:20:1: workload[0].pre_alocated_vus: unknown field `pre_alocated_vus`",
        "s.toml:24:12: workload[0].step[0].http.methd: unknown field `methd`",
        "s.toml:25:3: workload[0].step[0].expct: unknown field `expct`",
        "s.toml:31:12: workload[1].duration: invalid duration \"10\"",
        "s.toml:35:90: workload[1].step[0].webhook.retris: unknown field `retris`",
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (got, want) in p.iter().zip(expect) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
    // The suggestions of the closest known field stay.
    for (line, near) in [
        (2, "duration"),
        (9, "timeout"),
        (12, "currency"),
        (13, "sigma"),
        (18, "rise"),
        (20, "pre_allocated_vus"),
        (24, "method"),
        (25, "expect"),
        (35, "retries"),
    ] {
        let hit = p.iter().find(|l| l.starts_with(&format!("s.toml:{line}:")));
        assert!(
            hit.is_some_and(|l| l.ends_with(&format!("did you mean `{near}`?"))),
            "line {line}: {hit:?}"
        );
    }
}

#[test]
fn a_misspelt_required_field_is_one_problem_not_two() {
    let p = problems("nmae = \"x\"\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n  [[workload.step]]\n  name = \"s\"\n  http = { path = \"/\" }\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].starts_with("s.toml:1:1: nmae: unknown field `nmae`"),
        "{p:?}"
    );
    assert!(p[0].ends_with("did you mean `name`?"), "{p:?}");
}

#[test]
fn a_bad_embedded_latency_is_a_located_problem_and_a_good_one_is_parsed() {
    let p = problems("name = \"x\"\n[embedded]\nlatency = \"sometimes\"\n");
    assert!(
        p.iter()
            .any(|l| l.starts_with("s.toml:3:11: embedded.latency: ")),
        "{p:#?}"
    );
    let sc = loadgen_scenario::parse(
        "name = \"x\"\n[embedded]\nlatency = \"uniform:1ms..20ms\"\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n  [[workload.step]]\n  name = \"s\"\n  http = { path = \"/\" }\n",
        "s.toml",
        &super::no_env,
    )
    .unwrap();
    let loadgen_scenario::TargetSpec::Embedded(e) = sc.target else {
        panic!("embedded target expected")
    };
    assert_eq!(e.latency.to_string(), "uniform:1ms..20ms");
}

#[test]
fn a_problem_inside_a_hand_read_table_is_placed_at_its_value() {
    let p = problems(
        r#"name = "x"
[payload.p]
amount = { fixed = -1 }
currency = { aud = 1 }

[[workload]]
name = "api"
model = "open"
rate = { pattern = "burst", base = "10/s", peak = "20/x", every = "5s" }
max_vus = 10
  [[workload.step]]
  name = "get"
  http = { path = "/" }

[[workload]]
name = "hooks"
model = "closed"
vus = 1
  [[workload.step]]
  name = "deliver"
  webhook = { provider = "stripe", secret = "whsec_dGVzdA==", path = "/h", retries = { max = 99 } }
"#,
    );
    let expect = [
        "s.toml:3:20: payload.p.amount.fixed: must be positive",
        "s.toml:4:20: payload.p.currency.aud: expected an ISO 4217 code",
        "s.toml:9:51: workload[0].rate.peak: invalid rate \"20/x\"",
        "s.toml:21:94: workload[1].step[0].webhook.retries.max: expected 0..=20",
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (got, want) in p.iter().zip(expect) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}

#[test]
fn every_problem_of_one_webhook_or_callback_table_is_reported() {
    let p = problems(
        r#"name = "x"
[[workload]]
name = "hooks"
model = "closed"
vus = 1
  [[workload.step]]
  name = "deliver"
  webhook = { provider = "stripe", secret = "whsec_dGVzdA==", path = "h", retries = { max = 99 } }
  [[workload.step]]
  name = "later"
  callback = { method = "GET", path = "/a" }
"#,
    );
    let expect = [
        "s.toml:8:70: workload[0].step[0].webhook.path: a path starts with `/`",
        "s.toml:8:93: workload[0].step[0].webhook.retries.max: expected 0..=20",
        "s.toml:11:14: workload[0].step[1].callback.within: required",
        "s.toml:11:25: workload[0].step[1].callback.method: use POST, PUT or PATCH",
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (got, want) in p.iter().zip(expect) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}
