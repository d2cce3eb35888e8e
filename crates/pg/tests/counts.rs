//! Counts equal the server's own: `pg_stat_database.xact_commit`, the rows in the table.

use crate::support::*;
use loadgen_engine::Outcome;
use loadgen_pg::{Isolation, PgStep, RowCapture, Rows, StepKind};
use loadgen_testkit::postgres::PgServer;

const VUS: u64 = 4;
const ITERATIONS: u64 = 40;

#[test]
fn commits_and_rows_equal_the_servers_counters() {
    let Some(server) = PgServer::start("commits_and_rows_equal_the_servers_counters") else {
        return;
    };
    let rt = rt();
    let admin = admin(&rt, &server.url());
    exec(&rt, &admin, "CREATE DATABASE bench");
    let bench_url = url_for(&server.url(), "bench", "");
    let setup = admin_for(&rt, &bench_url);
    exec(
        &rt,
        &setup,
        "CREATE TABLE payments (id uuid PRIMARY KEY, amount numeric NOT NULL, currency text NOT NULL);
         CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
         INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 100) g;",
    );
    drop(setup);
    wait_idle(&rt, &admin, "bench");
    let before = xacts(&rt, &admin, "bench");

    let steps = vec![
        step(
            "insert",
            sql(
                "INSERT INTO payments (id, amount, currency) VALUES ($1, $2, $3) RETURNING id",
                &["{{uuid}}", "{{random_int(100, 99999)}}", "AUD"],
            )
            .with_types(&["uuid", "numeric", "text"])
            .unwrap()
            .with_expect(Rows {
                exact: Some(1),
                min: None,
            })
            .with_capture(RowCapture {
                column: "id".into(),
                slot: 0,
            }),
        ),
        step(
            "read-back",
            sql("SELECT amount FROM payments WHERE id = $1", &["{{paid}}"]).with_expect(Rows {
                exact: Some(1),
                min: None,
            }),
        ),
        PgStep {
            name: "transfer".into(),
            kind: StepKind::Transaction {
                isolation: Some(Isolation::ReadCommitted),
                statements: vec![
                    sql(
                        "UPDATE accounts SET balance = balance - 1 WHERE id = $1",
                        &["{{random_zipf(1, 100)}}"],
                    )
                    .with_expect(Rows {
                        exact: Some(1),
                        min: None,
                    }),
                    sql(
                        "UPDATE accounts SET balance = balance + 1 WHERE id = $1",
                        &["{{random_int(1, 100)}}"],
                    )
                    .with_expect(Rows {
                        exact: Some(1),
                        min: None,
                    }),
                ],
            },
            once_per_vu: false,
        },
        step(
            "scan",
            sql(
                "SELECT id FROM accounts WHERE id <= $1",
                &["{{random_int(5, 10)}}"],
            )
            .with_types(&["int4"])
            .unwrap()
            .with_expect(Rows {
                exact: None,
                min: Some(5),
            }),
        ),
    ];
    let ran = run_model_named(&config(&bench_url), steps, VUS, ITERATIONS);
    let n = VUS * ITERATIONS;
    for step in 0..4 {
        assert_eq!(
            ran.classes(step),
            vec![(Outcome::Success, n)],
            "step {step}"
        );
    }
    assert_eq!(ran.counter(loadgen_pg::metrics::RECONNECTS), 0);
    // The transaction's two statements each have a trend with one value per transaction.
    for k in [1, 2] {
        match &ran.report.totals.custom[k] {
            loadgen_engine::CustomValue::Trend(h) => assert_eq!(h.len(), n, "statement {k}"),
            other => panic!("{other:?}"),
        }
    }

    wait_idle(&rt, &admin, "bench");
    let after = xacts(&rt, &admin, "bench");
    // Each step is one transaction; besides them the server counts one per connection's
    // start-up and one per statement prepared outside a transaction (Parse, Describe, Sync:
    // insert, read-back, scan; the transfer's two are prepared inside its BEGIN).
    let overhead = VUS * (1 + 3);
    assert_eq!(
        (after.0 - before.0) as u64,
        4 * n + overhead,
        "xact_commit delta"
    );
    assert_eq!(after.1 - before.1, 0, "xact_rollback delta");
    let check = admin_for(&rt, &bench_url);
    assert_eq!(
        one_i64(&rt, &check, "SELECT count(*) FROM payments") as u64,
        n
    );
    assert_eq!(
        one_i64(&rt, &check, "SELECT sum(balance)::int8 FROM accounts"),
        0
    );
}

fn admin_for(rt: &tokio::runtime::Runtime, url: &str) -> tokio_postgres::Client {
    admin(rt, url)
}

fn run_model_named(cfg: &loadgen_pg::PgConfig, steps: Vec<PgStep>, vus: u64, its: u64) -> Ran {
    run_model(
        cfg,
        steps,
        loadgen_engine::ClosedModel {
            stages: loadgen_engine::VuStages::constant(vus, std::time::Duration::from_secs(60)),
            think: loadgen_engine::ThinkTime::None,
            iterations: Some(its),
        },
        1,
    )
}
