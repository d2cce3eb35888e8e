//! Error replies become their outcome classes with the prefix kept as a code.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_testkit::redis::RedisServer;

#[test]
fn wrongtype_and_unknown_commands_keep_their_prefix() {
    let Some(server) = RedisServer::start("redis wrongtype", &[]) else {
        return;
    };
    assert_eq!(server.cmd(&["LPUSH", "list", "x"]).unwrap(), "1");
    let steps = vec![
        cmd("wrongtype", &["GET", "list"]),
        cmd(
            "noscript",
            &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
        ),
        cmd("after", &["SET", "still", "works"]),
    ];
    let r = run_iterations(config(&server.url(), steps), 2, 5);
    assert_eq!(at(&r, 0, Outcome::RedisWrongType), 10);
    assert_eq!(codes(&r, 0), [("WRONGTYPE".to_string(), 10)]);
    assert_eq!(at(&r, 1, Outcome::RedisError), 10);
    assert_eq!(codes(&r, 1), [("NOSCRIPT".to_string(), 10)]);
    // An error reply leaves the connection usable: the iteration goes on.
    assert_eq!(at(&r, 2, Outcome::Success), 10);
}

#[test]
fn noauth_and_wrongpass_are_the_noauth_class() {
    let Some(server) = RedisServer::start("redis noauth", &["--requirepass", "right"]) else {
        return;
    };
    let steps = || vec![cmd("get", &["GET", "k"])];
    let r = run_iterations(config(&server.url(), steps()), 2, 3);
    assert_eq!(at(&r, 0, Outcome::RedisNoAuth), 6);
    assert_eq!(codes(&r, 0), [("NOAUTH".to_string(), 6)]);
    let wrong = format!("redis://:wrong@127.0.0.1:{}", server.port());
    let r = run_iterations(config(&wrong, steps()), 2, 3);
    assert_eq!(at(&r, 0, Outcome::RedisNoAuth), 6);
    assert_eq!(codes(&r, 0), [("WRONGPASS".to_string(), 6)]);
    let right = format!("redis://:right@127.0.0.1:{}", server.port());
    let r = run_iterations(config(&right, steps()), 2, 3);
    assert_eq!(at(&r, 0, Outcome::Success), 6);
}

#[test]
fn maxmemory_reached_is_the_oom_class_and_reads_still_succeed() {
    let Some(server) = RedisServer::start("redis oom", &["--maxmemory-policy", "noeviction"])
    else {
        return;
    };
    assert_eq!(server.cmd(&["SET", "k", "v"]).unwrap(), "OK");
    // One byte: the server is over its limit at once, so every write is refused.
    assert_eq!(
        server.cmd(&["CONFIG", "SET", "maxmemory", "1"]).unwrap(),
        "OK"
    );
    let steps = vec![
        cmd("write", &["SET", "s:{{vu}}", "{{uuid}}"]),
        cmd("read", &["GET", "k"]),
    ];
    let r = run_iterations(config(&server.url(), steps), 2, 5);
    assert_eq!(at(&r, 0, Outcome::RedisOom), 10);
    assert_eq!(codes(&r, 0), [("OOM".to_string(), 10)]);
    assert_eq!(at(&r, 1, Outcome::Success), 10);
}

#[test]
fn a_running_script_is_the_busy_class() {
    let Some(server) = RedisServer::start("redis busy", &["--busy-reply-threshold", "50"]) else {
        return;
    };
    std::thread::scope(|scope| {
        let script = scope.spawn(|| server.cmd(&["EVAL", "while true do end", "0"]));
        let busy = || server.cmd(&["PING"]).is_ok_and(|r| r.starts_with("-BUSY"));
        assert!(
            wait_for(std::time::Duration::from_secs(20), busy),
            "the script runs"
        );
        let r = run_iterations(config(&server.url(), vec![cmd("get", &["GET", "k"])]), 2, 5);
        assert_eq!(server.cmd(&["SCRIPT", "KILL"]).unwrap(), "OK");
        assert!(script.join().unwrap().unwrap().starts_with("-ERR"));
        assert_eq!(at(&r, 0, Outcome::RedisBusy), 10);
        assert_eq!(codes(&r, 0), [("BUSY".to_string(), 10)]);
    });
}
