//! Journeys on SQL steps: a once-per-VU step (`scope = "vu"`) whose capture serves every later
//! iteration, and captures that miss (no row, a NULL) counted like HTTP's, with the rest of
//! the iteration skipped and counted.

use crate::support::*;
use loadgen_engine::{ClosedModel, Outcome, ThinkTime, VuStages};
use loadgen_pg::{RowCapture, Rows};
use loadgen_testkit::postgres::PgServer;
use std::time::Duration;

const VUS: u64 = 3;
const ITERATIONS: u64 = 5;
/// Custom metric indices without transaction steps: reconnects, skipped, then one
/// `capture_missed` per slot.
const SKIPPED: usize = 1;
const MISSED_PAID: usize = 2;
const MISSED_ACCOUNT: usize = 3;

fn closed(vus: u64, iterations: u64) -> ClosedModel {
    ClosedModel {
        stages: VuStages::constant(vus, Duration::from_secs(60)),
        think: ThinkTime::None,
        iterations: Some(iterations),
    }
}

fn one_row() -> Rows {
    Rows {
        exact: Some(1),
        min: None,
    }
}

#[test]
fn a_once_per_vu_step_runs_until_it_succeeds_and_its_capture_serves_every_iteration() {
    let Some(server) = PgServer::start("once_per_vu_sql_step") else {
        return;
    };
    let rt = rt();
    let admin = admin(&rt, &server.url());
    // Each VU's account; the lookup counts its own reads, and answers NULL on the first one
    // (a capture miss), so the step must run again in the VU's second iteration.
    exec(
        &rt,
        &admin,
        "CREATE TABLE vu_accounts (vu int PRIMARY KEY, account int NOT NULL, reads int NOT NULL);
         INSERT INTO vu_accounts SELECT g, 100 + g, 0 FROM generate_series(0, 10) g;
         CREATE TABLE balances (account int PRIMARY KEY, n int NOT NULL);
         INSERT INTO balances SELECT 100 + g, 0 FROM generate_series(0, 10) g;",
    );
    let mut lookup = step(
        "account",
        sql(
            "UPDATE vu_accounts SET reads = reads + 1 WHERE vu = $1 \
             RETURNING CASE WHEN reads >= 2 THEN account END AS account",
            &["{{vu}}"],
        )
        .with_types(&["int4"])
        .unwrap()
        .with_capture(RowCapture {
            column: "account".into(),
            slot: 1,
        }),
    );
    lookup.once_per_vu = true;
    let steps = vec![
        lookup,
        step(
            "spend",
            sql(
                "UPDATE balances SET n = n + 1 WHERE account = $1",
                &["{{account}}"],
            )
            .with_types(&["int4"])
            .unwrap()
            .with_expect(one_row()),
        ),
    ];
    let ran = run_model(&config(&server.url()), steps, closed(VUS, ITERATIONS), 2);

    // Iteration 0: the lookup misses (NULL), the rest is skipped; iteration 1: it succeeds;
    // iterations 2.. pass it over, the capture kept.
    assert_eq!(
        ran.classes(0),
        vec![(Outcome::Success, VUS), (Outcome::CheckFailed, VUS)]
    );
    assert_eq!(
        ran.classes(1),
        vec![(Outcome::Success, VUS * (ITERATIONS - 1))]
    );
    assert_eq!(ran.counter(MISSED_ACCOUNT), VUS);
    assert_eq!(ran.counter(MISSED_PAID), 0);
    assert_eq!(ran.counter(SKIPPED), VUS);
    // The server saw exactly two lookups per VU, and each VU's own account was spent on.
    assert_eq!(
        one_i64(
            &rt,
            &admin,
            "SELECT count(*) FROM vu_accounts WHERE reads = 2"
        ) as u64,
        VUS
    );
    assert_eq!(
        one_i64(&rt, &admin, "SELECT sum(reads)::int8 FROM vu_accounts") as u64,
        2 * VUS
    );
    assert_eq!(
        one_i64(
            &rt,
            &admin,
            &format!(
                "SELECT count(*) FROM balances b JOIN vu_accounts v ON v.account = b.account \
                 WHERE v.reads = 2 AND b.n = {}",
                ITERATIONS - 1
            )
        ) as u64,
        VUS
    );
    assert_eq!(
        one_i64(&rt, &admin, "SELECT sum(n)::int8 FROM balances") as u64,
        VUS * (ITERATIONS - 1)
    );
}

#[test]
fn capture_misses_are_counted_by_name_and_the_rest_of_the_iteration_is_skipped() {
    let Some(server) = PgServer::start("sql_capture_misses") else {
        return;
    };
    let rt = rt();
    let admin = admin(&rt, &server.url());
    exec(&rt, &admin, "CREATE TABLE used (v text NOT NULL)");
    // By iteration number: 0 mod 3 a NULL, 1 mod 3 no row, 2 mod 3 a value.
    let steps = vec![
        step(
            "pick",
            sql(
                "SELECT CASE WHEN $1 % 3 = 0 THEN NULL ELSE $1::text END AS paid \
                 WHERE $1 % 3 <> 1",
                &["{{iteration}}"],
            )
            .with_types(&["int4"])
            .unwrap()
            .with_capture(RowCapture {
                column: "paid".into(),
                slot: 0,
            }),
        ),
        step(
            "use",
            sql("INSERT INTO used (v) VALUES ($1)", &["{{paid}}"]).with_expect(one_row()),
        ),
        step("after", sql("SELECT 1", &[])),
    ];
    let (vus, iterations) = (2, 6);
    let ran = run_model(&config(&server.url()), steps, closed(vus, iterations), 1);
    let hits = vus * iterations / 3;
    let misses = vus * iterations - hits;
    assert_eq!(
        ran.classes(0),
        vec![(Outcome::Success, hits), (Outcome::CheckFailed, misses)]
    );
    assert_eq!(ran.classes(1), vec![(Outcome::Success, hits)]);
    assert_eq!(ran.classes(2), vec![(Outcome::Success, hits)]);
    assert_eq!(ran.counter(MISSED_PAID), misses, "capture_missed_paid");
    assert_eq!(ran.counter(SKIPPED), 2 * misses, "two steps left per miss");
    // Nothing was sent with an empty value: only the hits reached the table.
    assert_eq!(
        one_i64(&rt, &admin, "SELECT count(*) FROM used") as u64,
        hits
    );
    assert_eq!(
        one_i64(
            &rt,
            &admin,
            "SELECT count(*) FROM used WHERE v::int % 3 = 2"
        ) as u64,
        hits
    );
}
