//! What loadgen counts is what the server processed, and pipelines, queues and checks are
//! measured as documented.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_redis::{metrics, Expect, Step};
use loadgen_testkit::redis::RedisServer;

#[test]
fn commands_counted_equal_the_servers_total_commands_processed() {
    let Some(server) = RedisServer::start("redis counts", &[]) else {
        return;
    };
    let steps = vec![
        cmd("set", &["SET", "session:{{vu}}", "{{uuid}}", "EX", "3600"]).with_expect(Expect {
            reply: Some(b"OK".to_vec()),
            ..Expect::default()
        }),
        cmd("get", &["GET", "session:{{vu}}"]).with_expect(Expect {
            nil: Some(false),
            ..Expect::default()
        }),
        Step::pipeline(
            "pipe",
            vec![
                args(&["INCR", "hits:{{vu}}"]),
                args(&["EXPIRE", "hits:{{vu}}", "60"]),
                args(&["GET", "k:{{random_int(1,100)}}"]),
            ],
        )
        .unwrap(),
    ];
    let before = server.info_u64("total_commands_processed");
    let r = run_iterations(config(&server.url(), steps), 8, 50);
    // The second INFO counts the first one.
    let processed = server.info_u64("total_commands_processed") - before - 1;
    assert_eq!(r.totals.total_errors(), 0, "{:?}", r.totals.steps[0].counts);
    for step in 0..3 {
        assert_eq!(at(&r, step, Outcome::Success), 8 * 50, "step {step}");
    }
    assert_eq!(counter(&r, metrics::COMMANDS), 8 * 50 * 5);
    assert_eq!(counter(&r, metrics::COMMANDS), processed);
    assert_eq!(counter(&r, metrics::PIPELINED), 8 * 50 * 3);
    assert_eq!(counter(&r, metrics::RECONNECTS), 0);
    // One connection per VU, opened by its first step; no TLS phase on redis://.
    assert_eq!(r.totals.steps[0].connect.len(), 8);
    assert_eq!(r.totals.steps[1].connect.len(), 0);
    assert_eq!(r.totals.steps[0].tls.len(), 0);
}

#[test]
fn auth_with_an_acl_user_and_select_are_counted_once_per_connection() {
    let Some(server) = RedisServer::start("redis acl", &["--requirepass", "adminpw"]) else {
        return;
    };
    let ok = server.cmd(&["ACL", "SETUSER", "app", "on", ">app pw", "~*", "+@all"]);
    assert_eq!(ok.unwrap(), "OK");
    let url = format!("redis://app:app%20pw@127.0.0.1:{}/2", server.port());
    let before = server.info_u64("total_commands_processed");
    let r = run_iterations(config(&url, vec![cmd("set", &["SET", "a", "1"])]), 3, 10);
    // The second INFO counts the first one and its own connection's AUTH.
    let processed = server.info_u64("total_commands_processed") - before - 2;
    assert_eq!(at(&r, 0, Outcome::Success), 30);
    // Each VU: AUTH and SELECT once (the server's, not counted by loadgen), then its ten SETs.
    assert_eq!(counter(&r, metrics::COMMANDS), 3 * 10);
    assert_eq!(counter(&r, metrics::COMMANDS) + 3 * 2, processed);
    let keyspace = server.cmd(&["INFO", "keyspace"]).unwrap();
    assert!(keyspace.contains("db2:keys=1"), "{keyspace}");
    assert!(!keyspace.contains("db0:"), "{keyspace}");
}

#[test]
fn a_queue_drains_and_blocking_pops_wait_apart() {
    let Some(server) = RedisServer::start("redis queue", &[]) else {
        return;
    };
    let produce = vec![cmd("push", &["LPUSH", "jobs", "{{uuid}}"])];
    let r = run_iterations(config(&server.url(), produce), 4, 25);
    assert_eq!(at(&r, 0, Outcome::Success), 100);
    assert_eq!(server.cmd(&["LLEN", "jobs"]).unwrap(), "100");
    let loadgen_engine::CustomValue::Trend(wait) = &r.totals.custom[metrics::QUEUE_WAIT] else {
        panic!("queue wait is a trend")
    };
    assert_eq!(wait.len(), 0, "a push does not wait");
    let consume = vec![cmd("pop", &["BRPOP", "jobs", "0.2"])];
    let r = run_iterations(config(&server.url(), consume), 4, 30);
    // 100 jobs taken, the last 20 pops found the queue empty and timed out with nil.
    assert_eq!(at(&r, 0, Outcome::Success), 120);
    assert_eq!(counter(&r, metrics::QUEUE_EMPTY), 20);
    assert_eq!(server.cmd(&["LLEN", "jobs"]).unwrap(), "0");
    let loadgen_engine::CustomValue::Trend(wait) = &r.totals.custom[metrics::QUEUE_WAIT] else {
        panic!("queue wait is a trend")
    };
    assert_eq!(wait.len(), 120);
    // An empty pop waits its whole 0.2 s block.
    assert!(wait.max() >= 150_000, "max wait {} µs", wait.max());
}

#[test]
fn pipelines_and_checks_fail_as_checks() {
    let Some(server) = RedisServer::start("redis checks", &[]) else {
        return;
    };
    let steps = vec![
        cmd("miss", &["GET", "absent:{{vu}}"]).with_expect(Expect {
            nil: Some(false),
            ..Expect::default()
        }),
        cmd("incr", &["INCR", "n:{{vu}}"]).with_expect(Expect {
            int: Some((1, 3)),
            ..Expect::default()
        }),
    ];
    let r = run_iterations(config(&server.url(), steps), 2, 5);
    assert_eq!(at(&r, 0, Outcome::CheckFailed), 10);
    // INCR counts 1..=5 per VU: the last two are out of range.
    assert_eq!(at(&r, 1, Outcome::Success), 6);
    assert_eq!(at(&r, 1, Outcome::CheckFailed), 4);
}
