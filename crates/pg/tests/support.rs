//! Running PostgreSQL workloads through the engine, and an admin connection to the server.

use loadgen_engine::{
    run, ClosedModel, Event, FinalReport, Model, Outcome, Plan, RunControl, RunOptions, ThinkTime,
    VuStages, Workload,
};
use loadgen_http::TlsOptions;
use loadgen_pg::{DbUrl, PgConfig, PgFactory, PgStep, Sql, StepKind};
use loadgen_template::{Named, Place, Template};
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

/// The capture names of slots 0, 1, … in the tests' workloads.
pub const CAPTURES: [&str; 2] = ["paid", "account"];

/// A statement; `{{paid}}` in a parameter renders capture slot 0, `{{account}}` slot 1.
pub fn sql(query: &str, params: &[&str]) -> Sql {
    let lookup = |name: &str| CAPTURES.iter().position(|c| *c == name).map(Named::Capture);
    Sql::new(
        query,
        params
            .iter()
            .map(|p| Template::parse_in(p, Place::Text, &lookup).unwrap())
            .collect(),
    )
}

pub fn step(name: &str, sql: Sql) -> PgStep {
    PgStep {
        name: name.into(),
        kind: StepKind::Sql(sql),
        once_per_vu: false,
    }
}

pub fn config(url: &str) -> PgConfig {
    PgConfig {
        url: DbUrl::parse(url).unwrap(),
        tls: TlsOptions::default(),
        connect_timeout: Duration::from_secs(10),
        step_timeout: Some(Duration::from_secs(30)),
    }
}

/// `url` with its database changed to `db` and `extra` appended to the query.
pub fn url_for(url: &str, db: &str, extra: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let base = base.rsplit_once('/').unwrap().0;
    format!("{base}/{db}?{query}{extra}")
}

/// What a run reported, and each interval's (successes, errors).
pub struct Ran {
    pub report: FinalReport,
    pub intervals: Vec<(u64, u64)>,
}

impl Ran {
    pub fn count(&self, step: usize, outcome: Outcome) -> u64 {
        self.report.totals.steps[step].count(outcome)
    }

    /// Every class with a count, for messages and "nothing else" checks.
    pub fn classes(&self, step: usize) -> Vec<(Outcome, u64)> {
        Outcome::ALL
            .into_iter()
            .map(|o| (o, self.count(step, o)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn codes(&self, step: usize) -> Vec<(String, u64)> {
        self.report.totals.steps[step]
            .codes
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect()
    }

    pub fn counter(&self, idx: usize) -> u64 {
        match &self.report.totals.custom[idx] {
            loadgen_engine::CustomValue::Counter(n) => *n,
            other => panic!("not a counter: {other:?}"),
        }
    }
}

/// `vus` VUs, each running `iterations` iterations of `steps` (bounded by `limit`).
pub fn run_closed(cfg: &PgConfig, steps: Vec<PgStep>, vus: u64, iterations: u64) -> Ran {
    run_model(
        cfg,
        steps,
        ClosedModel {
            stages: VuStages::constant(vus, Duration::from_secs(60)),
            think: ThinkTime::None,
            iterations: Some(iterations),
        },
        0,
    )
}

pub fn run_model(cfg: &PgConfig, steps: Vec<PgStep>, model: ClosedModel, slots: usize) -> Ran {
    let names = steps.iter().map(|s| s.name.clone()).collect();
    let custom = loadgen_pg::custom_metrics(&steps, &CAPTURES[..slots]);
    let factory = PgFactory::new(cfg, steps, slots).unwrap();
    let plan = Plan {
        name: "pg-test".into(),
        seed: 7,
        workloads: vec![
            Workload::new("db", names, Model::Closed(model), factory).with_custom(custom)
        ],
    };
    let opts = RunOptions {
        threads: 1,
        interval: Duration::from_millis(500),
        ..RunOptions::default()
    };
    let mut intervals = Vec::new();
    let report = run(&plan, &opts, &RunControl::new(), |e| {
        if let Event::Interval(i) = e {
            let ok: u64 = i
                .metrics
                .steps
                .iter()
                .map(|s| s.count(Outcome::Success))
                .sum();
            intervals.push((ok, i.metrics.total_errors()));
        }
    })
    .unwrap();
    Ran { report, intervals }
}

/// A runtime for admin work beside the engine's own.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// An admin connection (driven on `rt`).
pub fn admin(rt: &tokio::runtime::Runtime, url: &str) -> Client {
    let url = url.replace("?sslmode=disable", "");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    })
}

pub fn exec(rt: &tokio::runtime::Runtime, c: &Client, sql: &str) {
    rt.block_on(c.batch_execute(sql)).unwrap();
}

pub fn one_i64(rt: &tokio::runtime::Runtime, c: &Client, sql: &str) -> i64 {
    rt.block_on(c.query_one(sql, &[])).unwrap().get(0)
}

/// Waits (bounded) until `cond` holds, polling.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until no backend is connected to `db` (their statistics are flushed as they exit).
pub fn wait_idle(rt: &tokio::runtime::Runtime, c: &Client, db: &str) {
    wait_until("backends to exit", || {
        one_i64(
            rt,
            c,
            &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}'"),
        ) == 0
    });
}

/// (xact_commit, xact_rollback) of `db`.
pub fn xacts(rt: &tokio::runtime::Runtime, c: &Client, db: &str) -> (i64, i64) {
    let row = rt
        .block_on(c.query_one(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1",
            &[&db],
        ))
        .unwrap();
    (row.get(0), row.get(1))
}
