//! Faults of the server and its connections: every slot taken, a backend terminated, the
//! server crashed and restarted mid-run.

use crate::support::*;
use loadgen_engine::{ClosedModel, Outcome, ThinkTime, VuStages};
use loadgen_testkit::postgres::PgServer;
use std::time::Duration;

#[test]
fn too_many_connections_is_its_own_class_and_the_run_goes_on() {
    let Some(server) = PgServer::start_with(
        "too_many_connections_is_its_own_class",
        &[
            ("max_connections", "4"),
            ("superuser_reserved_connections", "0"),
        ],
    ) else {
        return;
    };
    let rt = rt();
    // Take every slot.
    let holders: Vec<_> = (0..4).map(|_| admin(&rt, &server.url())).collect();
    let cfg = config(&server.url());
    let steps = || vec![step("one", sql("SELECT 1", &[]))];
    let ran = run_closed(&cfg, steps(), 3, 2);
    // Each iteration tries to connect again (2 per VU).
    assert_eq!(ran.classes(0), vec![(Outcome::TooManyConnections, 6)]);
    assert_eq!(ran.codes(0), vec![("53300".to_string(), 6)]);
    // Slots free again: the same workload runs clean.
    drop(holders);
    let probe = loadgen_pg::DbUrl::parse(&server.url()).unwrap();
    wait_until("the admin connections to close", || {
        std::net::TcpStream::connect(("127.0.0.1", probe.port())).is_ok()
            && rt
                .block_on(tokio_postgres::connect(
                    &server.url().replace("?sslmode=disable", ""),
                    tokio_postgres::NoTls,
                ))
                .is_ok()
    });
    let ran = run_closed(&cfg, steps(), 2, 2);
    assert_eq!(ran.classes(0), vec![(Outcome::Success, 4)]);
}

#[test]
fn a_terminated_backend_is_a_reset_then_a_new_connection() {
    let Some(server) = PgServer::start("a_terminated_backend_is_a_reset") else {
        return;
    };
    let steps = vec![
        step(
            "query",
            sql("SELECT 1", &[]).with_expect(loadgen_pg::Rows {
                exact: Some(1),
                min: None,
            }),
        ),
        // The backend of this very connection, ended as an administrator would.
        step(
            "kill",
            sql("SELECT pg_terminate_backend(pg_backend_pid())", &[]),
        ),
    ];
    let ran = run_closed(&config(&server.url()), steps, 1, 3);
    assert_eq!(ran.classes(0), vec![(Outcome::Success, 3)]);
    assert_eq!(ran.classes(1), vec![(Outcome::Reset, 3)]);
    // The first iteration connected; the next two reconnected.
    assert_eq!(ran.counter(loadgen_pg::metrics::RECONNECTS), 2);
    assert_eq!(ran.report.totals.steps[0].connect.len(), 3);
    assert_eq!(ran.report.totals.steps[0].tls.len(), 0, "no TLS asked for");
}

#[test]
fn a_crashed_and_restarted_server_gives_errors_in_their_class_then_clean_intervals() {
    let Some(mut server) = PgServer::start("a_crashed_and_restarted_server") else {
        return;
    };
    let cfg = config(&server.url());
    let steps = vec![step("query", sql("SELECT 1", &[]))];
    let model = ClosedModel {
        stages: VuStages::constant(2, Duration::from_secs(12)),
        think: ThinkTime::Fixed(Duration::from_millis(10)),
        iterations: None,
    };
    let run = std::thread::spawn(move || run_model(&cfg, steps, model, 0));
    std::thread::sleep(Duration::from_secs(2));
    server.crash();
    std::thread::sleep(Duration::from_millis(500));
    server.restart().unwrap();
    let ran = run.join().unwrap();
    let classes = ran.classes(0);
    assert!(
        classes
            .iter()
            .all(|(o, _)| matches!(o, Outcome::Success | Outcome::Reset | Outcome::Connect)),
        "{classes:?}"
    );
    let errors = ran.count(0, Outcome::Reset) + ran.count(0, Outcome::Connect);
    assert!(errors > 0, "the crash was seen: {classes:?}");
    // The last interval (the load's end) ran clean on new connections.
    let (ok, failed) = *ran.intervals.last().unwrap();
    assert!(ok > 0 && failed == 0, "{:?}", ran.intervals);
    assert!(ran.counter(loadgen_pg::metrics::RECONNECTS) >= 2);
}
