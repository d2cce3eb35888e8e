//! `scenarios/db-throughput.toml` against a throwaway PostgreSQL: it runs from an empty
//! database (its setup creates and seeds the tables), holds its correctness thresholds, and
//! its counts equal the server's own (rows in the table, `pg_stat_statements` calls).

use crate::support::*;
use loadgen_testkit::postgres::PgServer;

#[test]
fn db_throughput_runs_from_an_empty_database_and_counts_equal_the_servers() {
    let Some(server) = PgServer::start_with(
        "db_throughput_runs_from_an_empty_database",
        &[
            ("shared_preload_libraries", "pg_stat_statements"),
            ("max_connections", "100"),
        ],
    ) else {
        return;
    };
    server.psql("postgres", "CREATE DATABASE loadgen");
    server.psql("loadgen", "CREATE EXTENSION pg_stat_statements");
    let url = server.url_for("loadgen");
    let dir = scratch("db-throughput");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/db-throughput.toml"
    );
    let out = dir.join("run");
    let o = run_env(
        &[
            "run",
            scenario,
            "--duration",
            "4s",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("DATABASE_URL", &url)],
    );
    let s = summary(&out);
    if let Err(why) = crate::validate::judge_shipped_run(o.status.code(), &s) {
        panic!("{why}\n{}", text(&o));
    }
    let count = |step: &str, outcome: &str| {
        s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["step"] == step)
            .map_or(0, |st| st["outcomes"][outcome].as_u64().unwrap_or(0))
    };
    let inserted = count("insert-payment", "success");
    let read = count("read-account", "success");
    assert!(inserted > 0 && read > 0, "{s}");
    // The server's own counts: rows in the table, and executions per statement.
    let q = |sql: &str| server.psql("loadgen", sql).parse::<u64>().unwrap();
    assert_eq!(q("SELECT count(*) FROM payments"), inserted);
    let calls = |like: &str| {
        q(&format!(
            "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements WHERE query LIKE '{like}%'"
        ))
    };
    assert_eq!(calls("INSERT INTO payments"), inserted);
    assert_eq!(calls("SELECT customer_id, balance FROM accounts"), read);
    // Seeded once, and the reads found them.
    assert_eq!(q("SELECT count(*) FROM accounts"), 10_000);
    // Mixed currencies, as the payload says (AUD 60, USD 30, EUR 10).
    let currencies = server.psql(
        "loadgen",
        "SELECT string_agg(DISTINCT currency, ',' ORDER BY currency) FROM payments",
    );
    assert_eq!(currencies, "AUD,EUR,USD");
    // No password in what the run left behind.
    for f in ["summary.json", "summary.txt", "scenario.toml"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap_or_default();
        assert!(
            !text.contains(loadgen_testkit::postgres::PASSWORD),
            "{f} holds the password"
        );
    }
}
