//! Windowed thresholds, answer filters and `thresholds_from` in the file: what they parse to,
//! and every mistake located at its line.

use super::problems;
use loadgen_scenario::{parse, WindowKind};
use std::time::Duration;

const HEAD: &str = r#"name = "w"
[[workload]]
name = "w"
model = "open"
rate = "5/s"
max_vus = 5
  [[workload.step]]
  name = "a"
  http = { path = "/" }
  expect = { status = [200, 201] }
"#;

#[test]
fn clauses_and_thresholds_from_reach_every_threshold() {
    let text = format!(
        "thresholds_from = \"30s\"\n{HEAD}\n[thresholds]\n\"errors{{class=connect}}\" = [\"rate < 1% over 5m\", \"count < 1 for 1m from 0s\"]\n\"requests{{status=429}}\" = [\"count < 5\"]\n"
    );
    let sc = parse(&text, "s.toml", &|_| None).unwrap();
    let t = &sc.thresholds;
    assert_eq!(t.len(), 3);
    let w = t[0].window.unwrap();
    assert_eq!(
        (w.kind, w.length, t[0].from),
        (
            WindowKind::Over,
            Duration::from_secs(300),
            Duration::from_secs(30)
        )
    );
    assert_eq!(t[0].filter.class, Some(loadgen_engine::Outcome::Connect));
    assert_eq!(
        (t[1].window.unwrap().kind, t[1].from),
        (WindowKind::For, Duration::ZERO)
    );
    assert!(!t[1].is_whole_run() && t[2].from == Duration::from_secs(30));
    assert_eq!(t[2].filter.status, Some(429));
}

#[test]
fn window_and_filter_mistakes_are_located() {
    let text = format!(
        "thresholds_from = \"soon\"\n{HEAD}\n[thresholds]\n\"latency{{class=success,status=200}}\" = [\"p(95) < 1s\"]\n\"requests{{status=201}}\" = [\"count > 1\"]\n\"errors{{class=success}}\" = [\"rate < 1%\"]\n\"errors\" = [\"rate < 1% over 5m for 1m\", \"rate < 1% over 0s\"]\n\"ttfb{{class=timeout}}\" = [\"p(95) < 1s\"]\n\"errors{{class=nope}}\" = [\"rate < 1%\"]\n"
    );
    let p = problems(&text);
    let expect = [
        "s.toml:1:19: thresholds_from: invalid duration \"soon\"",
        "s.toml:14:40: thresholds.\"latency{class=success,status=200}\": `status=` does not apply to `latency{class=…}`",
        "s.toml:15:27: thresholds.\"requests{status=201}\": status 201 is a success of step `a`",
        "s.toml:16:28: thresholds.\"errors{class=success}\": class `success` is not an error",
        "s.toml:17:13: thresholds.\"errors\": `rate < 1% over 5m for 1m`: use either `over` or `for`",
        "s.toml:17:41: thresholds.\"errors\": `rate < 1% over 0s`: a window must be longer than 0",
        "s.toml:18:26: thresholds.\"ttfb{class=timeout}\": `class=` does not apply to `ttfb`",
        "s.toml:19:2: thresholds.\"errors{class=nope}\": unknown outcome class `nope`",
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (got, want) in p.iter().zip(expect) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}

#[test]
fn latency_by_status_keeps_only_the_named_statuses_of_the_selected_steps() {
    let text = format!(
        "target = \"http://127.0.0.1:1\"\n{HEAD}  [[workload.step]]\n  name = \"b\"\n  http = {{ path = \"/b\" }}\n\n[thresholds]\n\"latency{{status=200,step=a}}\" = [\"p(95) < 1s\"]\n\"latency{{status=503}}\" = [\"p(99) < 2s over 1m\"]\n\"requests{{status=503}}\" = [\"count < 5\"]\n"
    );
    let sc = parse(&text, "s.toml", &|_| None).unwrap();
    let plan = loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").unwrap();
    let kept = |i: usize| -> Vec<u16> {
        plan.empty_metrics().steps[i]
            .status_latency
            .iter()
            .map(|(s, _)| *s)
            .collect()
    };
    // Step a: 200 (its own key) and 503 (every step); step b: 503 only. `requests{status=…}`
    // counts statuses and keeps no histogram.
    assert_eq!(kept(0), vec![200, 503]);
    assert_eq!(kept(1), vec![503]);
}
