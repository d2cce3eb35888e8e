//! One VU's connection and what it runs on it.
//!
//! A VU owns one connection, opened in [`Session::warm_up`] (open-model VUs made before the
//! clock starts) or by its first step. Statements are prepared on first use per connection.
//! After a fault that leaves the connection unusable (`reset`, `timeout`, `tls`, `protocol`)
//! the connection is dropped and the next step opens a new one: its TCP connect, startup and
//! authentication in that step's `connect`, its TLS handshake in the `tls` phase (both apart
//! from the query's latency) and counted in `pg_reconnects`.
//!
//! Allocation: parameters render into one reused buffer; tokio-postgres allocates per reply
//! (each row is a `Row` with its own column ranges, the command tag a `String`) — the accepted
//! exception to the no-allocation rule for this protocol.

use crate::classify::classify;
use crate::connect::{Conn, Connector, Opened, Refused};
use crate::error::PgError;
use crate::metrics::{statement_bases, RECONNECTS};
use crate::step::{Isolation, PgStep, Sql, StepKind};
use crate::types::{write_text, Raw, TextParam};
use crate::url::DbUrl;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, Setup, StepSample, VuInfo};
use loadgen_http::{RunNonce, Slots, TlsOptions, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_postgres::{Client, Statement};

/// How a workload reaches its database.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// The server and credentials.
    pub url: DbUrl,
    /// Certificate trust, shared with HTTPS.
    pub tls: TlsOptions,
    /// Limit on TCP connect + TLS + authentication.
    pub connect_timeout: Duration,
    /// Limit on one step (a statement, or a whole transaction); past it the step is a
    /// `timeout` and the connection is replaced. `None`: the server's `statement_timeout` only.
    pub step_timeout: Option<Duration>,
}

/// Makes one [`PgSession`] per VU.
pub struct PgFactory {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    steps: Vec<PgStep>,
    /// For each step, the index of its first statement in the session's `prepared`.
    first_statement: Vec<usize>,
    statement_bases: Vec<usize>,
    statements: usize,
    slots: usize,
    has_captures: bool,
    nonce: RunNonce,
    step_timeout: Option<Duration>,
}

impl PgFactory {
    /// A factory for `steps` against `config`, whose captures fill `capture_slots` slots.
    /// Checks every statement ([`Sql::check`]) and resolves the host.
    pub fn new(
        config: &PgConfig,
        steps: Vec<PgStep>,
        capture_slots: usize,
    ) -> Result<PgFactory, PgError> {
        for s in steps.iter().flat_map(PgStep::statements) {
            s.check()?;
        }
        let mut first_statement = Vec::with_capacity(steps.len());
        let mut statements = 0;
        for s in &steps {
            first_statement.push(statements);
            statements += s.statements().len();
        }
        let has_captures = steps
            .iter()
            .flat_map(PgStep::statements)
            .any(|s| !s.captures.is_empty());
        Ok(PgFactory {
            shared: Arc::new(Shared {
                connector: Connector::new(&config.url, &config.tls, config.connect_timeout)?,
                statement_bases: statement_bases(&steps),
                steps,
                first_statement,
                statements,
                slots: capture_slots,
                has_captures,
                nonce: RunNonce::fresh(),
                step_timeout: config.step_timeout,
            }),
        })
    }
}

impl SessionFactory for PgFactory {
    type Session = PgSession;

    fn session(&self, vu: VuInfo) -> PgSession {
        PgSession {
            shared: self.shared.clone(),
            state: VuState {
                conn: None,
                connected_before: false,
                prepared: (0..self.shared.statements).map(|_| None).collect(),
                rng: SmallRng::seed_from_u64(vu.seed),
                vu: vu.id,
                seq: 0,
                slots: Slots::new(self.shared.slots),
                buf: BytesMut::new(),
                rendered: Vec::new(),
            },
        }
    }
}

/// A statement prepared on the current connection, and where its captured columns are.
struct Prepared {
    statement: Statement,
    capture_columns: Vec<Option<usize>>,
}

/// One VU's connection, prepared statements and capture slots.
pub struct PgSession {
    shared: Arc<Shared>,
    state: VuState,
}

/// What a VU owns; its methods borrow the workload's [`Shared`] (never cloning the `Arc` per
/// step: an atomic bump shared by every thread).
struct VuState {
    conn: Option<Conn>,
    connected_before: bool,
    prepared: Vec<Option<Prepared>>,
    rng: SmallRng,
    vu: u64,
    seq: u64,
    slots: Slots,
    buf: BytesMut,
    rendered: Vec<Bytes>,
}

/// A failed step: its class and the SQLSTATE when there is one.
type Fault = Refused;

impl VuState {
    /// Opens a connection when there is none (or the last one closed); its set-up times.
    async fn ensure_connected(
        &mut self,
        shared: &Shared,
        it: Option<&Iteration<'_>>,
    ) -> Result<Option<Opened>, Fault> {
        if self.conn.as_ref().is_some_and(|c| !c.client.is_closed()) {
            return Ok(None);
        }
        self.drop_conn();
        let (conn, opened) = shared.connector.connect().await?;
        if self.connected_before {
            if let Some(it) = it {
                it.count(RECONNECTS, 1);
            }
        }
        self.connected_before = true;
        self.conn = Some(conn);
        Ok(Some(opened))
    }

    fn drop_conn(&mut self) {
        self.conn = None;
        self.prepared.iter_mut().for_each(|p| *p = None);
    }

    async fn run_step(
        &mut self,
        shared: &Shared,
        step: usize,
        it: &Iteration<'_>,
    ) -> Result<(), Fault> {
        let first = shared.first_statement[step];
        match &shared.steps[step].kind {
            StepKind::Sql(sql) => {
                self.exec(shared, first, sql, &shared.steps[step].name, it)
                    .await
            }
            StepKind::Transaction {
                isolation,
                statements,
            } => {
                self.client()?
                    .batch_execute(Isolation::begin(*isolation))
                    .await
                    .map_err(|e| classify(&e))?;
                for (k, sql) in statements.iter().enumerate() {
                    let start = Instant::now();
                    if let Err(fault) = self
                        .exec(shared, first + k, sql, &shared.steps[step].name, it)
                        .await
                    {
                        self.rollback().await;
                        return Err(fault);
                    }
                    it.trend(shared.statement_bases[step] + k, start.elapsed());
                }
                let committed = self.client()?.batch_execute("COMMIT").await;
                committed.map_err(|e| classify(&e))
            }
        }
    }

    fn client(&self) -> Result<&Client, Fault> {
        self.conn
            .as_ref()
            .map(|c| &c.client)
            .ok_or((Outcome::Reset, None))
    }

    async fn rollback(&self) {
        if let Ok(client) = self.client() {
            if !client.is_closed() {
                let _ = client.batch_execute("ROLLBACK").await;
            }
        }
    }

    /// Runs statement number `index` (of the whole workload) once.
    async fn exec(
        &mut self,
        shared: &Shared,
        index: usize,
        sql: &Sql,
        step_name: &str,
        it: &Iteration<'_>,
    ) -> Result<(), Fault> {
        // Render first: the values may come from captures this iteration already made.
        self.rendered.clear();
        {
            let mut vars = Vars::new(
                shared.nonce,
                self.vu,
                it.number,
                self.seq,
                step_name,
                &mut self.rng,
            )
            .with_captures(&self.slots);
            for p in &sql.params {
                self.rendered.push(p.render(&mut vars, &mut self.buf));
            }
            if vars.refused() {
                return Err((Outcome::CheckFailed, None));
            }
        }
        self.seq += 1;
        let conn = self.conn.as_ref().ok_or((Outcome::Reset, None))?;
        let client = &conn.client;
        if self.prepared[index].is_none() {
            let statement = client
                .prepare_typed(&sql.query, &sql.types)
                .await
                .map_err(|e| classify(&e))?;
            let capture_columns = sql
                .captures
                .iter()
                .map(|c| {
                    statement
                        .columns()
                        .iter()
                        .position(|col| col.name() == c.column)
                })
                .collect();
            self.prepared[index] = Some(Prepared {
                statement,
                capture_columns,
            });
        }
        let prepared = self.prepared[index]
            .as_ref()
            .expect("prepared just above when missing");
        let params = self.rendered.iter().map(|b| TextParam(b));
        let stream = client
            .query_raw(&prepared.statement, params)
            .await
            .map_err(|e| classify(&e))?;
        let mut stream = std::pin::pin!(stream);
        let mut rows = 0u64;
        let mut missed = !sql.captures.is_empty();
        while let Some(row) = stream.next().await {
            let row = row.map_err(|e| classify(&e))?;
            if rows == 0 && !sql.captures.is_empty() {
                missed = false;
                for (capture, column) in sql.captures.iter().zip(&prepared.capture_columns) {
                    let filled = column.is_some_and(|i| {
                        let ty = row.columns()[i].type_();
                        match row.try_get::<_, Option<Raw>>(i) {
                            Ok(Some(raw)) => self.slots.put(capture.slot, |out| {
                                write_text(ty, raw.0, out);
                            }),
                            _ => false,
                        }
                    });
                    missed |= !filled;
                }
            }
            rows += 1;
        }
        let counted = stream.rows_affected().unwrap_or(rows);
        self.rendered.clear();
        if missed || !sql.expect.holds(counted) {
            return Err((Outcome::CheckFailed, None));
        }
        Ok(())
    }
}

/// True when the connection cannot be trusted after this outcome.
fn unusable(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Reset | Outcome::Timeout | Outcome::Tls | Outcome::Protocol | Outcome::Connect
    )
}

impl Session for PgSession {
    async fn iteration(&mut self, it: &Iteration<'_>) {
        let shared = &*self.shared;
        let vu = &mut self.state;
        vu.slots.clear_except(&[]);
        let mut intended = it.intended;
        for step in 0..shared.steps.len() {
            let (connect, sent, result) = match vu.ensure_connected(shared, Some(it)).await {
                Err(fault) => (None, Instant::now(), Err(fault)),
                Ok(connect) => {
                    let sent = Instant::now();
                    let run = vu.run_step(shared, step, it);
                    let result = match shared.step_timeout {
                        Some(limit) => tokio::time::timeout(limit, run)
                            .await
                            .unwrap_or(Err((Outcome::Timeout, None))),
                        None => run.await,
                    };
                    (connect, sent, result)
                }
            };
            let done = Instant::now();
            let (outcome, code) = match result {
                Ok(()) => (Outcome::Success, None),
                Err(fault) => fault,
            };
            it.record(&StepSample {
                step,
                outcome,
                intended,
                sent,
                first_byte: None,
                done,
                connect: connect.map(|o| o.connect),
            });
            if let Some(tls) = connect.and_then(|o| o.tls) {
                it.record_setup(
                    step,
                    Setup {
                        tls: Some(tls),
                        proxy_connect: None,
                    },
                );
            }
            if let Some(code) = code {
                it.record_code(step, code);
            }
            if unusable(outcome) {
                vu.drop_conn();
            }
            // After a failed step the rest of the iteration goes on, unless later steps may
            // need its captures, or there is no connection to go on with.
            if outcome.is_error() && (shared.has_captures || vu.conn.is_none()) {
                return;
            }
            intended = done;
        }
    }

    async fn warm_up(&mut self) {
        let _ = self.state.ensure_connected(&self.shared, None).await;
    }
}
