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
use crate::metrics::{skipped_index, statement_bases, RECONNECTS};
use crate::step::{Isolation, PgStep, Sql, StepKind};
use crate::types::{write_text, Raw, TextParam};
use crate::url::DbUrl;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, Setup, StepSample, VuInfo};
use loadgen_http::{Slots, TlsOptions};
use loadgen_template::{RunNonce, Vars};
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
    /// Per capture slot: filled by a once-per-VU step, so kept between iterations.
    vu_slots: Vec<bool>,
    /// The `skipped` counter's index when the workload is a journey; `capture_missed` of slot
    /// `n` follows at `+ 1 + n` ([`crate::metrics`]).
    skipped: Option<usize>,
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
        let mut vu_slots = vec![false; capture_slots];
        for c in steps
            .iter()
            .filter(|s| s.once_per_vu)
            .flat_map(PgStep::statements)
            .flat_map(|s| &s.captures)
        {
            if let Some(keep) = vu_slots.get_mut(c.slot) {
                *keep = true;
            }
        }
        Ok(PgFactory {
            shared: Arc::new(Shared {
                connector: Connector::new(&config.url, &config.tls, config.connect_timeout)?,
                statement_bases: statement_bases(&steps),
                skipped: skipped_index(&steps),
                vu_slots,
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
                done_once: vec![false; self.shared.steps.len()],
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
    /// Per step: a once-per-VU step that has succeeded, not to be run again.
    done_once: Vec<bool>,
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
        // Emptied first: a once-per-VU step run again must not keep a value from a failed try.
        for capture in &sql.captures {
            self.slots.put(capture.slot, |_| {});
        }
        let mut rows = 0u64;
        while let Some(row) = stream.next().await {
            let row = row.map_err(|e| classify(&e))?;
            if rows == 0 {
                for (capture, column) in sql.captures.iter().zip(&prepared.capture_columns) {
                    // A NULL or an unreadable type leaves the slot empty: a miss, below.
                    if let Some(i) = *column {
                        let ty = row.columns()[i].type_();
                        if let Ok(Some(raw)) = row.try_get::<_, Option<Raw>>(i) {
                            self.slots.put(capture.slot, |out| {
                                if !write_text(ty, raw.0, out) {
                                    out.clear();
                                }
                            });
                        }
                    }
                }
            }
            rows += 1;
        }
        let counted = stream.rows_affected().unwrap_or(rows);
        self.rendered.clear();
        // No row, a NULL, an empty value or an unreadable type: each capture not filled is
        // counted under its name, like an HTTP capture that finds nothing.
        let mut missed = false;
        for capture in &sql.captures {
            if self.slots.get(capture.slot).is_none() {
                missed = true;
                if let Some(base) = shared.skipped {
                    it.count(base + 1 + capture.slot, 1);
                }
            }
        }
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
        vu.slots.clear_except(&shared.vu_slots);
        let mut intended = it.intended;
        for step in 0..shared.steps.len() {
            if vu.done_once[step] {
                continue;
            }
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
            if outcome == Outcome::Success && shared.steps[step].once_per_vu {
                vu.done_once[step] = true;
            }
            // After a failed step the rest of the iteration goes on, unless later steps may
            // need its captures, or there is no connection to go on with. The steps not run
            // are counted in a journey's `skipped`.
            if outcome.is_error() && (shared.has_captures || vu.conn.is_none()) {
                let left = shared.steps.len() - step - 1;
                if let (Some(skipped), true) = (shared.skipped, left > 0) {
                    it.count(skipped, left as u64);
                }
                return;
            }
            intended = done;
        }
    }

    async fn warm_up(&mut self) {
        let _ = self.state.ensure_connected(&self.shared, None).await;
    }
}
