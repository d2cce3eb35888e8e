//! The shipped Redis scenario, shortened, against a throwaway `redis-server` with a password:
//! every command loadgen counts is one the server processed (its own `INFO stats`), the job
//! queue loses nothing, the correctness thresholds hold, and the password appears in no file
//! of the results folder.

use crate::support::*;
use loadgen_testkit::redis::RedisServer;

fn custom_total(s: &serde_json::Value, name: &str) -> u64 {
    s["custom"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == name)
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

fn step<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {s}"))
}

#[test]
fn the_redis_sessions_scenario_counts_what_the_server_processed() {
    let password = "pw-9f3c1e";
    let Some(server) = RedisServer::start("redis-sessions scenario", &["--requirepass", password])
    else {
        return;
    };
    let dir = scratch("redis-sessions");
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/redis-sessions.toml"
    ))
    .unwrap();
    let short = shipped.replace("duration = \"30s\"", "duration = \"3s\"");
    assert_ne!(short, shipped);
    let f = write(&dir, "redis-sessions.toml", &short);
    let out = dir.join("out");
    let url = format!("redis://:{password}@127.0.0.1:{}", server.port());
    let auth = |s: &RedisServer| -> u64 {
        let stats = s.cmd(&["INFO", "commandstats"]).unwrap();
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_auth:calls="))
            .and_then(|v| v.split(',').next()?.parse().ok())
            .unwrap_or(0)
    };
    let auth_before = auth(&server);
    let before = server.info_u64("total_commands_processed");
    let o = run_env(
        &["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &[("REDIS_URL", &url)],
    );
    // The second INFO counts the first and its connection's AUTH.
    let processed = server.info_u64("total_commands_processed") - before - 2;
    // Every AUTH of the run (VUs' connections, warmed-up ones too), less the three admin
    // connections' after the first reading (two INFO stats, one INFO commandstats): loadgen
    // counts the steps' commands only.
    let auths = auth(&server) - auth_before - 3;
    // 3: a threshold failed, which a busy machine may do on the speed ones (checked below).
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
    // Every workload names its Redis: no embedded demo target is started for it.
    assert!(text(&o).contains("against no HTTP target"), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(custom_total(&s, "redis_commands") + auths, processed, "{s}");
    assert!(processed > 500, "the load ran: {processed}");
    // Every job pushed was taken or is still queued.
    let pushed = step(&s, "enqueue")["count"].as_u64().unwrap();
    let popped =
        step(&s, "dequeue")["count"].as_u64().unwrap() - custom_total(&s, "redis_queue_empty");
    let queued: u64 = server.cmd(&["LLEN", "jobs"]).unwrap().parse().unwrap();
    assert_eq!(pushed, popped + queued, "{s}");
    // Correctness thresholds hold; speed ones were evaluated on data (a busy machine may miss
    // them: that is a note, not a failure).
    for t in s["thresholds"].as_array().unwrap() {
        let metric = t["metric"].as_str().unwrap();
        assert!(t["measured"].is_number(), "{metric} was evaluated: {t}");
        if metric.starts_with("errors") {
            assert_eq!(t["passed"], true, "{t}");
        } else if t["passed"] != true {
            eprintln!("note: {metric} {} missed on this machine", t["expression"]);
        }
    }
    assert_eq!(s["totals"]["errors"], 0, "{s}");
    // The password is in no results file.
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let found = bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes());
        assert!(!found, "{} holds the password", p.display());
    }
}

#[test]
fn a_redis_run_refuses_a_bad_url_before_sending_anything() {
    let dir = scratch("redis-bad-url");
    let f = write(
        &dir,
        "bad.toml",
        r#"name = "bad"
duration = "1s"

[[workload]]
name = "cache"
model = "closed"
vus = 1

  [workload.redis]
  url = "redis://app:hunter2@127.0.0.1:notaport"

  [[workload.step]]
  name = "get"
  redis = { cmd = ["GET", "k"] }
"#,
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let all = text(&o);
    assert!(all.contains("workload[0].redis.url"), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
}
