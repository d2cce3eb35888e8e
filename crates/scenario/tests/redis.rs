//! `redis = {…}` steps and `[workload.redis]`: a good file becomes a Redis workload with its
//! metrics and destination; mistakes are located by line and field.

use crate::{no_env, problems};
use loadgen_scenario::{parse, ProtocolSpec};
use std::time::Duration;

const GOOD: &str = r#"name = "sessions"

[[workload]]
name = "cache"
model = "closed"
vus = 4
duration = "5s"

  [workload.redis]
  url = "${REDIS_URL:-redis://app:s3cret@cache.internal:6380/1}"
  timeout = "2s"

  [[workload.step]]
  name = "set"
  redis = { cmd = ["SET", "session:{{vu}}", "{{uuid}}", "EX", 1800] }
  expect = { reply = "OK" }

  [[workload.step]]
  name = "refresh"
  redis = { pipeline = [["GET", "session:{{vu}}"], ["EXPIRE", "session:{{vu}}", 1800]] }
  expect = { nil = false }

  [[workload.step]]
  name = "count"
  redis = { cmd = ["INCR", "n:{{vu}}"] }
  expect = { int = [1, 1000000] }
"#;

#[test]
fn redis_steps_become_a_redis_workload() {
    let sc = parse(GOOD, "r.toml", &no_env).unwrap();
    let w = &sc.workloads[0];
    let ProtocolSpec::Redis(r) = &w.protocol else {
        panic!("not a redis workload: {:?}", w.protocol)
    };
    assert_eq!(r.url.host, "cache.internal");
    assert_eq!((r.url.port, r.url.db), (6380, 1));
    assert_eq!(r.timeout, Duration::from_secs(2));
    assert_eq!(r.steps.len(), 3);
    assert_eq!(
        r.steps[0].commands[0],
        ["SET", "session:{{vu}}", "{{uuid}}", "EX", "1800"]
    );
    assert!(r.steps[1].pipeline);
    assert_eq!(r.steps[1].commands.len(), 2);
    assert_eq!(r.steps[0].expect.reply.as_deref(), Some(&b"OK"[..]));
    assert_eq!(r.steps[1].expect.nil, Some(false));
    assert_eq!(r.steps[2].expect.int, Some((1, 1_000_000)));
    // Three commands per iteration bound a worker's --max-rate.
    assert_eq!(w.protocol.requests_per_iteration(&Default::default()), 4);
    // The allow-list sees host and port, never the password.
    let d = w.protocol.destinations("http://ignored");
    assert_eq!(
        d,
        [(
            "Redis connections",
            "redis://cache.internal:6380".to_string()
        )]
    );
    assert!(!format!("{:?}", w.protocol).contains("s3cret"));
    let names: Vec<String> = w.custom_metrics().into_iter().map(|m| m.name).collect();
    assert!(names.contains(&"redis_queue_wait".to_string()), "{names:?}");
}

#[test]
fn redis_mistakes_are_located() {
    let text = r#"name = "bad"

[[workload]]
name = "cache"
model = "closed"
vus = 1

  [workload.redis]
  url = "http://app:s3cret@h"
  timeout = "soon"

  [[workload.step]]
  name = "a"
  redis = { cmd = [] }

  [[workload.step]]
  name = "b"
  redis = { cmd = [42, "k"] }

  [[workload.step]]
  name = "c"
  redis = { pipeline = [["GET", "k"], ["SET", "{{nope}}", true]] }
  expect = { status = [200], int = [5, 1] }

  [[workload.step]]
  name = "d"
  redis = { cmd = ["{{step}}"] }

  [[workload.step]]
  name = "e"
  redis = { cmd = ["GET", "k"] }
  expect = { rows = 1 }
"#;
    let p = problems(text);
    let has = |line: usize, field: &str| {
        p.iter()
            .any(|l| l.starts_with(&format!("s.toml:{line}:")) && l.contains(field))
    };
    assert!(has(9, "workload[0].redis.url"), "{p:#?}");
    assert!(has(10, "workload[0].redis.timeout"), "{p:#?}");
    assert!(has(14, "workload[0].step[0].redis.cmd"), "{p:#?}");
    assert!(has(18, "workload[0].step[1].redis.cmd[0]"), "{p:#?}");
    assert!(
        has(22, "workload[0].step[2].redis.pipeline[1][1]"),
        "{p:#?}"
    );
    assert!(
        has(22, "workload[0].step[2].redis.pipeline[1][2]"),
        "{p:#?}"
    );
    assert!(has(23, "workload[0].step[2].expect"), "{p:#?}");
    assert!(has(23, "workload[0].step[2].expect.int"), "{p:#?}");
    assert!(has(27, "workload[0].step[3].redis.cmd[0]"), "{p:#?}");
    // An SQL step's check on a Redis step is a mistake, not ignored.
    assert!(
        p.iter()
            .any(|l| l.starts_with("s.toml:32:") && l.contains("rows and min_rows")),
        "{p:#?}"
    );
    assert!(p.iter().all(|l| !l.contains("s3cret")), "{p:#?}");
}

#[test]
fn redis_steps_need_their_table_and_mix_with_nothing() {
    let text = r#"name = "mixed"

[[workload]]
name = "a"
model = "closed"
vus = 1

  [[workload.step]]
  name = "get"
  redis = { cmd = ["GET", "k"] }

[[workload]]
name = "b"
model = "closed"
vus = 1

  [workload.redis]
  url = "redis://127.0.0.1:6379"

  [[workload.step]]
  name = "get"
  redis = { cmd = ["GET", "k"] }

  [[workload.step]]
  name = "page"
  http = { path = "/" }
  expect = { reply = "OK" }
"#;
    let p = problems(text);
    let has = |line: usize, field: &str| {
        p.iter()
            .any(|l| l.starts_with(&format!("s.toml:{line}:")) && l.contains(field))
    };
    assert!(has(4, "workload[0].redis"), "{p:#?}");
    assert!(has(17, "workload[1].redis"), "{p:#?}");
    assert!(has(27, "workload[1].step[1].expect.reply"), "{p:#?}");
    assert!(p.iter().any(|l| l.contains("all redis steps")), "{p:#?}");
}
