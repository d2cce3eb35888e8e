//! Each SQLSTATE class produced for real, counted with its code beside it.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_pg::{Isolation, PgStep, StepKind};
use loadgen_testkit::postgres::PgServer;

fn codes(ran: &Ran, step: usize, code: &str) -> u64 {
    ran.codes(step)
        .iter()
        .find(|(c, _)| c == code)
        .map_or(0, |(_, n)| *n)
}

#[test]
fn unique_violation_statement_timeout_and_bad_values_are_their_classes() {
    let Some(server) = PgServer::start("unique_violation_statement_timeout_and_bad_values") else {
        return;
    };
    let rt = rt();
    let admin = admin(&rt, &server.url());
    exec(&rt, &admin, "CREATE TABLE t (id int PRIMARY KEY)");
    let steps = vec![
        // The same key every iteration of the VU: the second and later ones collide.
        step("dup", sql("INSERT INTO t VALUES ($1)", &["{{vu}}"])),
        step("slow", sql("SELECT pg_sleep(5)", &[])),
        // Text the server cannot read as an int: its SQLSTATE, class db_error.
        step("bad", sql("INSERT INTO t VALUES ($1)", &["{{step}}"])),
    ];
    let cfg = config(&url_for(
        &server.url(),
        "postgres",
        "&options=-c%20statement_timeout%3D100",
    ));
    let ran = run_closed(&cfg, steps, 2, 3);
    assert_eq!(
        ran.classes(0),
        vec![(Outcome::Success, 2), (Outcome::UniqueViolation, 4)]
    );
    assert_eq!(codes(&ran, 0, "23505"), 4);
    assert_eq!(ran.classes(1), vec![(Outcome::StatementTimeout, 6)]);
    assert_eq!(codes(&ran, 1, "57014"), 6);
    assert_eq!(ran.classes(2), vec![(Outcome::DbError, 6)]);
    assert_eq!(codes(&ran, 2, "22P02"), 6);
    // None of these closed a connection.
    assert_eq!(ran.counter(loadgen_pg::metrics::RECONNECTS), 0);
}

/// A row lock held by the admin's open transaction, and a VU's statement waiting for it.
fn vu_waits_for_lock(rt: &tokio::runtime::Runtime, admin: &tokio_postgres::Client) {
    wait_until("the VU to wait for the row lock", || {
        one_i64(
            rt,
            admin,
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
        ) > 0
    });
}

#[test]
fn lock_timeout_serialization_failure_and_deadlock_are_their_classes() {
    let Some(server) = PgServer::start_with(
        "lock_timeout_serialization_failure_and_deadlock",
        &[("deadlock_timeout", "100ms")],
    ) else {
        return;
    };
    let rt = rt();
    let setup = admin(&rt, &server.url());
    exec(
        &rt,
        &setup,
        "CREATE TABLE acct (id int PRIMARY KEY, b int); INSERT INTO acct VALUES (1, 0), (2, 0)",
    );
    let holder = admin(&rt, &server.url());

    // Lock timeout: the admin holds row 1; the VU gives up after 100 ms.
    exec(
        &rt,
        &holder,
        "BEGIN; UPDATE acct SET b = b + 1 WHERE id = 1",
    );
    let cfg = config(&url_for(
        &server.url(),
        "postgres",
        "&options=-c%20lock_timeout%3D100",
    ));
    let ran = run_closed(
        &cfg,
        vec![step(
            "update",
            sql("UPDATE acct SET b = 0 WHERE id = 1", &[]),
        )],
        1,
        2,
    );
    assert_eq!(ran.classes(0), vec![(Outcome::LockTimeout, 2)]);
    assert_eq!(codes(&ran, 0, "55P03"), 2);
    exec(&rt, &holder, "ROLLBACK");

    // Serialization failure: the VU's repeatable-read snapshot is taken, then it waits for
    // the admin's update of the row, which commits: the VU's update cannot be serialised.
    let tx = |isolation, statements| PgStep {
        name: "tx".into(),
        kind: StepKind::Transaction {
            isolation: Some(isolation),
            statements,
        },
        once_per_vu: false,
    };
    let cfg = config(&server.url());
    exec(
        &rt,
        &holder,
        "BEGIN; UPDATE acct SET b = b + 1 WHERE id = 1",
    );
    let run = {
        let cfg = cfg.clone();
        let steps = vec![tx(
            Isolation::RepeatableRead,
            vec![
                sql("SELECT b FROM acct WHERE id = 2", &[]),
                sql("UPDATE acct SET b = b + 10 WHERE id = 1", &[]),
            ],
        )];
        std::thread::spawn(move || run_closed(&cfg, steps, 1, 1))
    };
    vu_waits_for_lock(&rt, &setup);
    exec(&rt, &holder, "COMMIT");
    let ran = run.join().unwrap();
    assert_eq!(ran.classes(0), vec![(Outcome::SerializationFailure, 1)]);
    assert_eq!(codes(&ran, 0, "40001"), 1);

    // Deadlock: the admin holds row 2, the VU takes row 1 then waits for row 2, the admin
    // then waits for row 1. The VU's deadlock check (100 ms) runs before the admin's (10 s),
    // so the VU's transaction is the one aborted.
    exec(
        &rt,
        &holder,
        "SET deadlock_timeout = '10s'; BEGIN; UPDATE acct SET b = b + 1 WHERE id = 2",
    );
    let run = {
        let steps = vec![tx(
            Isolation::ReadCommitted,
            vec![
                sql("UPDATE acct SET b = b + 1 WHERE id = 1", &[]),
                sql("UPDATE acct SET b = b + 1 WHERE id = 2", &[]),
            ],
        )];
        std::thread::spawn(move || run_closed(&cfg, steps, 1, 1))
    };
    vu_waits_for_lock(&rt, &setup);
    let admin_side = rt.block_on(holder.batch_execute("UPDATE acct SET b = b + 1 WHERE id = 1"));
    let ran = run.join().unwrap();
    assert!(
        admin_side.is_ok(),
        "the admin's side went through: {admin_side:?}"
    );
    exec(&rt, &holder, "COMMIT");
    assert_eq!(ran.classes(0), vec![(Outcome::Deadlock, 1)]);
    assert_eq!(codes(&ran, 0, "40P01"), 1);
    // Rolled back: the VU's update of row 1 is not there (the admin's +1 is).
    assert_eq!(
        one_i64(&rt, &setup, "SELECT b::int8 FROM acct WHERE id = 1"),
        2
    );
}
