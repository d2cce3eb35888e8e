//! TLS with the trust options HTTPS uses: a CA file trusted, an unknown CA refused, a server
//! without TLS refused under `sslmode=require`.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_testkit::pki::{der, Pki};
use loadgen_testkit::postgres::PgServer;

#[test]
fn tls_connections_follow_the_shared_trust_options() {
    let pki = Pki::new("localhost");
    let Some(server) = PgServer::start_tls(
        "tls_connections_follow_the_shared_trust_options",
        &pki.server.0,
        &pki.server.1,
    ) else {
        return;
    };
    let steps = || {
        vec![step(
            "ssl",
            sql(
                "SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                &[],
            )
            .with_expect(loadgen_pg::Rows {
                exact: Some(1),
                min: None,
            }),
        )]
    };
    let with_ca = |url: &str, ca: &str| {
        let mut cfg = config(url);
        cfg.tls.extra_roots = vec![der(ca)];
        cfg
    };
    let url = server.url_tls("localhost", "verify-full");
    let ran = run_closed(&with_ca(&url, &pki.ca), steps(), 1, 2);
    assert_eq!(ran.classes(0), vec![(Outcome::Success, 2)]);
    assert_eq!(
        ran.report.totals.steps[0].connect.len(),
        1,
        "one connection, timed apart"
    );

    let ran = run_closed(&with_ca(&url, &pki.other_ca), steps(), 1, 1);
    assert_eq!(ran.classes(0), vec![(Outcome::Tls, 1)]);

    let mut insecure = config(&url);
    insecure.tls.insecure = true;
    let ran = run_closed(&insecure, steps(), 1, 1);
    assert_eq!(ran.classes(0), vec![(Outcome::Success, 1)]);

    let Some(plain) = PgServer::start("tls_connections_follow_the_shared_trust_options") else {
        return;
    };
    let ran = run_closed(
        &with_ca(&plain.url_tls("localhost", "require"), &pki.ca),
        steps(),
        1,
        1,
    );
    assert_eq!(ran.classes(0), vec![(Outcome::Tls, 1)]);
}
