//! The PostgreSQL slice's checks: what parses, and each mistake at its line and field.

use loadgen_scenario::ProtocolSpec;
use loadgen_scenario::ScenarioError;

const HEAD: &str =
    "name = \"d\"\nduration = \"1s\"\n[payload.payment]\namount = { fixed = 10.0 }\n\
    currency = { AUD = 1 }\n[[workload]]\nname = \"db\"\nmodel = \"closed\"\nvus = 1\n";
const PG: &str = "[workload.postgres]\nurl = \"postgres://app:s3cret@db.example:6543/pay\"\n";

fn parse(rest: &str) -> Result<loadgen_scenario::Scenario, ScenarioError> {
    loadgen_scenario::parse(&format!("{HEAD}{rest}"), "d.toml", &|_| None)
}

/// (line, field, message) of every problem.
fn problems(rest: &str) -> Vec<(usize, String, String)> {
    match parse(rest) {
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .into_iter()
            .map(|p| (p.line, p.field, p.message))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn sql_and_transaction_steps_make_a_postgres_workload() {
    let sc = parse(&format!(
        "{PG}setup = [\"CREATE TABLE IF NOT EXISTS t (id int)\"]\n\
         [[workload.step]]\nname = \"ins\"\n\
         sql = {{ query = \"INSERT INTO t VALUES ($1, $2) RETURNING id\", params = [\"{{{{random_zipf(1,9)}}}}\", \"{{{{payment.amount}}}}\"], types = [\"int4\"] }}\n\
         expect = {{ rows = 1 }}\ncapture = {{ made = {{ column = \"id\" }} }}\nscope = \"vu\"\n\
         [[workload.step]]\nname = \"tx\"\nisolation = \"serializable\"\n\
         transaction = [{{ query = \"SELECT $1::int\", params = [\"{{{{made}}}}\"] }}, {{ query = \"SELECT 1\" }}]\n"
    ))
    .unwrap();
    let ProtocolSpec::Postgres(pg) = &sc.workloads[0].protocol else {
        panic!("{:?}", sc.workloads[0].protocol)
    };
    assert_eq!(pg.steps.len(), 2);
    assert_eq!(pg.steps[0].captures, vec![("made".into(), "id".into())]);
    assert!(pg.steps[1].transaction);
    assert!(pg.steps[0].once_per_vu && !pg.steps[1].once_per_vu);
    assert_eq!(pg.setup.len(), 1);
    let d = sc.destinations("http://127.0.0.1:1");
    assert_eq!(d[0].url, "postgres://app:***@db.example:6543/pay");
    assert!(!format!("{sc:?}").contains("s3cret"));
    // Per-statement trends of the transaction, after the reconnect counter; then a journey's
    // counters (it captures), named like HTTP's.
    let names: Vec<String> = sc.workloads[0]
        .protocol
        .custom_metrics()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        [
            "pg_reconnects",
            "pg_statement_tx_1",
            "pg_statement_tx_2",
            "skipped",
            "capture_missed_made"
        ]
    );
    // Builds without a server (the name resolves at connect).
    loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").unwrap();
}

#[test]
fn each_mistake_is_reported_at_its_line_and_field() {
    let p = problems(&format!(
        "{PG}[[workload.step]]\nname = \"a\"\n\
         sql = {{ query = \"SELECT $1, $2\", params = [\"1\"] }}\n\
         [[workload.step]]\nname = \"b\"\n\
         sql = {{ query = \"SELECT $1\", params = [\"{{{{uuid}}}}\"], types = [\"bigint\"] }}\n\
         [[workload.step]]\nname = \"c\"\nisolation = \"serializable\"\n\
         sql = {{ query = \"SELECT 1\", types = [\"money2\"] }}\n\
         expect = {{ status = [200] }}\ncapture = {{ x = {{ json = \"$.id\" }} }}\n\
         [[workload.step]]\nname = \"d\"\n\
         sql = {{ query = \"SELECT 1\" }}\nexpect = {{ reply = \"OK\" }}\nscope = \"always\"\n"
    ));
    let has = |line: usize, field: &str, words: &str| {
        assert!(
            p.iter()
                .any(|(l, f, m)| *l == line && f == field && m.contains(words)),
            "no `{words}` at {line} {field}: {p:#?}"
        );
    };
    has(14, "workload[0].step[0].sql.params", "2 placeholders");
    has(17, "workload[0].step[1].sql.params", "not a valid int8");
    has(
        20,
        "workload[0].step[2].isolation",
        "applies to a transaction",
    );
    has(21, "workload[0].step[2].sql.types", "money2");
    has(22, "workload[0].step[2].expect", "rows = N");
    has(23, "workload[0].step[2].capture.x", "column");
    has(27, "workload[0].step[3].expect", "Redis steps'");
    has(28, "workload[0].step[3].scope", "unknown scope `always`");
    assert_eq!(p.len(), 8, "nothing else: {p:#?}");
}

#[test]
fn the_database_table_is_required_and_only_for_sql_workloads() {
    let p = problems("[[workload.step]]\nname = \"a\"\nsql = { query = \"SELECT 1\" }\n");
    assert!(
        p.iter()
            .any(|(_, f, m)| f == "workload[0].postgres" && m.contains("url")),
        "{p:?}"
    );
    let p = problems(
        "[workload.postgres]\nurl = \"mysql://x\"\n[[workload.step]]\nname = \"a\"\nsql = { query = \"SELECT 1\" }\n",
    );
    assert!(
        p.iter().any(|(_, f, _)| f == "workload[0].postgres.url"),
        "{p:?}"
    );
    let p = problems(&format!(
        "{PG}[[workload.step]]\nname = \"a\"\nhttp = {{ path = \"/\" }}\nexpect = {{ rows = 1 }}\n"
    ));
    assert!(
        p.iter().any(|(_, f, _)| f == "workload[0].postgres"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(_, f, _)| f == "workload[0].step[0].expect.rows"),
        "{p:?}"
    );
}
