//! `rediss://` with the trust options every loadgen protocol shares: a CA file, the
//! operating system's and web roots (which do not know a test CA), or `insecure`.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_testkit::pki::Pki;
use loadgen_testkit::redis::RedisServer;
use loadgen_tls::{load_ca_file, TlsOptions};

#[test]
fn rediss_trusts_a_ca_file_and_refuses_an_unknown_ca() {
    let dir = std::env::temp_dir().join(format!("loadgen-redis-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Pki::new("localhost").write(&dir);
    let Some(server) = RedisServer::start_tls("redis tls", &dir) else {
        return;
    };
    let url = format!("rediss://localhost:{}", server.tls_port().unwrap());
    let steps = || vec![cmd("set", &["SET", "t:{{vu}}", "{{uuid}}"])];
    let run = |tls: TlsOptions| {
        let mut cfg = config(&url, steps());
        cfg.tls = tls;
        run_iterations(cfg, 2, 5)
    };
    let trusted = run(TlsOptions {
        extra_roots: load_ca_file(&dir.join("ca.pem")).unwrap(),
        ..TlsOptions::default()
    });
    assert_eq!(at(&trusted, 0, Outcome::Success), 10);
    // Each VU's one connection: its TCP connect and its handshake, recorded apart.
    assert_eq!(trusted.totals.steps[0].connect.len(), 2);
    assert_eq!(trusted.totals.steps[0].tls.len(), 2);
    let unknown = run(TlsOptions::default());
    assert_eq!(
        at(&unknown, 0, Outcome::Tls),
        10,
        "{:?}",
        unknown.totals.steps[0].counts
    );
    let insecure = run(TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    });
    assert_eq!(at(&insecure, 0, Outcome::Success), 10);
    let _ = std::fs::remove_dir_all(&dir);
}
