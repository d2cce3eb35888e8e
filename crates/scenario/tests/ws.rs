//! `[workload.ws]`: a good table becomes a WebSocket workload with its metrics; mistakes are
//! located by line and field.

use crate::{no_env, problems};
use loadgen_scenario::parse;
use loadgen_ws::LatencySpec;
use std::time::Duration;

const GOOD: &str = r#"name = "ws"
target = "ws://127.0.0.1:9001"

[[workload]]
name = "md"
model = "open"
rate = "100/s"
duration = "5s"
max_vus = 2000

  [workload.ws]
  url = "/feed?x=1"
  hold = "2s"
  source_addrs = ["127.0.0.2", "127.0.0.3"]
  subprotocols = ["md.v2"]
  on_open = ['{"op":"subscribe"}']
  send = { message = '{"id":{{seq}}}', rate = "20/s", count = 5 }
  latency = { timestamp = "data.ts", unit = "us" }
  reconnect = { max = 2 }

[thresholds]
"ws_message_latency{workload=md}" = ["p(50) < 100ms"]
"ws_stable" = ["rate > 90%"]
"errors{step=session}" = ["rate < 1%"]
"#;

#[test]
fn a_ws_table_becomes_a_websocket_workload() {
    let sc = parse(GOOD, "ws.toml", &no_env).unwrap();
    let w = &sc.workloads[0];
    let loadgen_scenario::ProtocolSpec::WebSocket(ws) = &w.protocol else {
        panic!("not a ws workload: {:?}", w.protocol)
    };
    assert!(w.protocol.capture_from().is_empty());
    assert_eq!(ws.url, "/feed?x=1");
    assert_eq!(ws.config.script.hold, Duration::from_secs(2));
    assert_eq!(ws.source_count(), 2);
    let p = ws.config.script.periodic.as_ref().unwrap();
    assert_eq!((p.every, p.count), (Duration::from_millis(50), Some(5)));
    assert!(
        matches!(ws.config.latency, LatencySpec::Timestamp { ref field, .. } if field == &["data", "ts"])
    );
    assert_eq!(ws.config.reconnect.max, 2);
    let names: Vec<String> = w.custom_metrics().into_iter().map(|m| m.name).collect();
    assert!(names.contains(&"ws_message_latency".to_string()));
    assert_eq!(sc.thresholds.len(), 3);
    assert_eq!(loadgen_scenario::max_connections(w), 2000);
}

#[test]
fn ws_mistakes_are_located() {
    let text = r#"name = "bad"

[[workload]]
name = "md"
model = "closed"
vus = 5

  [workload.ws]
  url = "ftp://x"
  hold = "2 parsecs"
  source_addrs = ["not-an-ip"]
  send = { message = '{{nope}}' }
  latency = { unit = "ms" }
"#;
    let p = problems(text);
    let has = |line: usize, field: &str| {
        p.iter()
            .any(|l| l.starts_with(&format!("s.toml:{line}:")) && l.contains(field))
    };
    assert!(has(9, "workload[0].ws.url"), "{p:#?}");
    assert!(has(10, "workload[0].ws.hold"), "{p:#?}");
    assert!(has(11, "workload[0].ws.source_addrs[0]"), "{p:#?}");
    assert!(has(12, "workload[0].ws.send"), "{p:#?}");
    assert!(has(12, "workload[0].ws.send.message"), "{p:#?}");
    assert!(has(13, "workload[0].ws.latency"), "{p:#?}");
}

#[test]
fn a_ws_workload_takes_no_http_steps() {
    let text = r#"name = "mixed"

[[workload]]
name = "md"
model = "closed"
vus = 1

  [workload.ws]
  url = "/ws/echo"
  hold = "1s"

  [[workload.step]]
  name = "x"
  http = { path = "/" }
"#;
    let p = problems(text);
    assert!(
        p.iter()
            .any(|l| l.contains("workload[0].step") && l.contains("ws workload")),
        "{p:#?}"
    );
}

#[test]
fn a_hold_longer_than_the_schedule_is_refused() {
    let text = r#"name = "long"
duration = "5s"

[[workload]]
name = "md"
model = "closed"
vus = 1

  [workload.ws]
  url = "/ws/echo"
  hold = "10s"
"#;
    let p = problems(text);
    assert!(
        p.iter().any(|l| l.starts_with("s.toml:11:")
            && l.contains("workload[0].ws.hold")
            && l.contains("schedule")),
        "{p:#?}"
    );
}

#[test]
fn the_load_plan_counts_a_ws_iteration_as_its_hold() {
    let sc = parse(GOOD, "ws.toml", &no_env).unwrap();
    let plan = loadgen_scenario::load_plan::plan(&sc, Duration::from_millis(100));
    // 100 connections/s, each held 2 s: 200 VUs busy at the peak.
    assert_eq!(plan.workloads[0].vus_needed, 200);
}
