//! The engine's session seam for Redis: one connection per VU, opened in the warm-up and again
//! after any fault, and the steps of an iteration sent on it.
//!
//! Step 0 is intended to start at the iteration's intended start; step k at the completion of
//! step k−1. A step's latency runs from its intended start to its last reply (a connect it had
//! to make included, and also recorded apart: `connect` is the TCP connect plus `AUTH`/`SELECT`,
//! the TLS handshake is its own phase, as for HTTP). A connection fault (reset,
//! timeout, a reply that is not RESP) drops the connection and ends the iteration: nothing
//! after it is sent on a connection whose replies can no longer be matched to commands. An
//! error reply or a failed check is counted and the iteration goes on.

use crate::classify::{classify, error_code};
use crate::config::{RedisConfig, Step, StepKind};
use crate::conn::{Conn, Connector};
use crate::error::RedisError;
use crate::metrics;
use bytes::BytesMut;
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, Setup, StepSample, VuInfo};
use loadgen_template::{RunNonce, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use redis::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

struct Shared {
    connector: Connector,
    steps: Vec<Step>,
    timeout: Duration,
    nonce: RunNonce,
}

/// Makes one [`RedisSession`] per VU.
#[derive(Clone)]
pub struct RedisFactory {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFactory")
            .field("steps", &self.shared.steps.len())
            .finish_non_exhaustive()
    }
}

impl RedisFactory {
    /// Resolves the server and builds the TLS client; fails on what cannot work.
    pub fn new(cfg: RedisConfig) -> Result<RedisFactory, RedisError> {
        Ok(RedisFactory {
            shared: Arc::new(Shared {
                connector: Connector::new(&cfg)?,
                timeout: cfg.timeout,
                steps: cfg.steps,
                nonce: RunNonce::fresh(),
            }),
        })
    }
}

impl SessionFactory for RedisFactory {
    type Session = RedisSession;

    fn session(&self, vu: VuInfo) -> RedisSession {
        RedisSession {
            shared: self.shared.clone(),
            conn: None,
            opened: false,
            rng: SmallRng::seed_from_u64(vu.seed),
            seq: 0,
            out: BytesMut::new(),
            scratch: BytesMut::new(),
            setup: Setup::default(),
        }
    }
}

/// A VU's Redis connection and the state it renders commands with.
pub struct RedisSession {
    shared: Arc<Shared>,
    conn: Option<Conn>,
    /// A connection was opened before (the next one is a reconnect).
    opened: bool,
    rng: SmallRng,
    seq: u64,
    out: BytesMut,
    scratch: BytesMut,
    /// The TLS handshake of the connection the current step opened, for `record_setup`.
    setup: Setup,
}

/// How a step ended.
enum Ended {
    /// Replies came; the connection stays. The count is of blocking pops that timed out
    /// empty (a nil reply).
    Answered(Outcome, Option<loadgen_engine::Code>, u64),
    /// The connection is lost or out of step.
    Fault(Outcome),
}

impl RedisSession {
    async fn step(
        &mut self,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> (StepSample, bool) {
        // Field borrows, not an `Arc` clone: no atomic per step on the hot path.
        let shared = &*self.shared;
        let step = &shared.steps[index];
        let mut connect = None;
        if self.conn.is_none() {
            let start = Instant::now();
            match shared.connector.connect().await {
                Ok((c, phases)) => {
                    connect = Some(phases.connect);
                    self.setup.tls = phases.tls;
                    if self.opened {
                        it.count(metrics::RECONNECTS, 1);
                    }
                    self.opened = true;
                    self.conn = Some(c);
                }
                Err((outcome, code)) => {
                    if let Some(code) = code {
                        it.record_code(index, code);
                    }
                    let done = Instant::now();
                    return (sample(index, outcome, intended, start, done, None), false);
                }
            }
        }
        let commands = step.commands();
        self.out.clear();
        {
            let mut vars = Vars::new(
                shared.nonce,
                it.vu,
                it.number,
                self.seq,
                &step.name,
                &mut self.rng,
            );
            for c in commands {
                c.encode(&mut vars, &mut self.scratch, &mut self.out);
            }
        }
        self.seq += 1;
        let conn = self.conn.as_mut().expect("connected above");
        let sent = Instant::now();
        let ended =
            match tokio::time::timeout(shared.timeout, exchange(conn, &self.out, step)).await {
                Ok(e) => e,
                Err(_) => Ended::Fault(Outcome::Timeout),
            };
        let done = Instant::now();
        let n = commands.len() as u64;
        it.count(metrics::COMMANDS, n);
        if matches!(step.kind, StepKind::Pipeline(_)) {
            it.count(metrics::PIPELINED, n);
        }
        if commands.iter().any(|c| c.is_blocking()) {
            it.trend(metrics::QUEUE_WAIT, done.saturating_duration_since(sent));
        }
        match ended {
            Ended::Answered(outcome, code, empty) => {
                if empty > 0 {
                    it.count(metrics::QUEUE_EMPTY, empty);
                }
                if let Some(code) = code {
                    it.record_code(index, code);
                }
                (sample(index, outcome, intended, sent, done, connect), true)
            }
            Ended::Fault(outcome) => {
                self.conn = None;
                (sample(index, outcome, intended, sent, done, connect), false)
            }
        }
    }
}

/// Writes the step's commands at once and reads one reply per command. The first error reply
/// decides the outcome; otherwise every reply must pass the step's checks.
async fn exchange(conn: &mut Conn, out: &[u8], step: &Step) -> Ended {
    if let Err(o) = conn.write(out).await {
        return Ended::Fault(o);
    }
    let mut verdict = (Outcome::Success, None);
    let mut empty = 0;
    for c in step.commands() {
        let v = match conn.read().await {
            Ok(v) => v,
            Err(o) => return Ended::Fault(o),
        };
        if c.is_blocking() && matches!(v, Value::Nil) {
            empty += 1;
        }
        if verdict.0 != Outcome::Success {
            continue;
        }
        verdict = match &v {
            Value::ServerError(e) => (classify(e), Some(error_code(e))),
            v if !step.expect.accepts(v) => (Outcome::CheckFailed, None),
            _ => (Outcome::Success, None),
        };
    }
    Ended::Answered(verdict.0, verdict.1, empty)
}

fn sample(
    step: usize,
    outcome: Outcome,
    intended: Instant,
    sent: Instant,
    done: Instant,
    connect: Option<Duration>,
) -> StepSample {
    StepSample {
        step,
        outcome,
        intended,
        sent,
        first_byte: None,
        done,
        connect,
    }
}

impl Session for RedisSession {
    async fn iteration(&mut self, it: &Iteration<'_>) {
        let mut intended = it.intended;
        for index in 0..self.shared.steps.len() {
            let (s, go_on) = self.step(index, it, intended).await;
            it.record(&s);
            it.record_setup(index, std::mem::take(&mut self.setup));
            if !go_on {
                return;
            }
            intended = s.done;
        }
    }

    async fn warm_up(&mut self) {
        if self.conn.is_some() {
            return;
        }
        if let Ok((c, _)) = self.shared.connector.connect().await {
            self.conn = Some(c);
            self.opened = true;
        }
    }
}
