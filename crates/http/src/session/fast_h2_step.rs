//! One step on the lean HTTP/2 path: the same connection rules, timings, judgement and
//! captures as the HTTP/1.1 fast path's step ([`super::fast_step`]), on the VU's own
//! HTTP/2 connection.

use super::fast_step::Captures;
use super::{failed, settle, Shared, VuState};
use crate::exchange::MAX_CHECKED_BODY;
use crate::fast::h2::Verdict;
use loadgen_capture::Capture;
use loadgen_engine::{Iteration, Outcome, StepSample};
use loadgen_template::Vars;
use std::pin::pin;
use tokio::time::Instant;

impl VuState {
    /// Step `index` on the lean HTTP/2 path (the factory has pre-encoded every step).
    pub(super) async fn step_fast_h2<const JOURNEY: bool>(
        &mut self,
        sh: &Shared,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> StepSample {
        let (Some(req), Some(step)) = (
            sh.fast_h2.as_ref().and_then(|f| f.get(index)),
            sh.steps.get(index),
        ) else {
            // Unreachable: the path has one encoded request per step.
            return failed(index, intended, Outcome::Protocol);
        };
        if self.conn.is_some() {
            // TLS chose HTTP/1.1: hyper's connection, as on the `h2` path.
            return Box::pin(self.step(sh, index, it, intended)).await;
        }
        // A kept connection is checked without entering the dial's future.
        let connect = match self.h2.is_open() {
            true => None,
            false => match self.open_h2(sh).await {
                Ok(connect) => connect,
                Err(outcome) => return failed(index, intended, outcome),
            },
        };
        if self.conn.is_some() {
            // This step opened it: its connect time is this step's to report.
            let mut sample = Box::pin(self.step(sh, index, it, intended)).await;
            sample.connect = sample.connect.or(connect);
            return sample;
        }

        let mut vars = Vars::new(
            sh.nonce,
            it.vu,
            it.number,
            self.seq,
            &step.name,
            &mut self.rng,
        );
        if JOURNEY {
            vars = vars.with_captures(&self.slots);
        }
        self.seq += 1;
        let ready = self.h2.render(req.is_head, |out, scratch, body| {
            req.render(&mut vars, out, scratch, body)
        });
        let built_to_fail = vars.built_to_fail();
        if JOURNEY && vars.refused() {
            // A captured value that would break out of its header: the request is not sent.
            self.refused = true;
            return failed(index, intended, Outcome::CheckFailed);
        }

        let sent = Instant::now();
        let mut first_byte = None;
        let deadline = sent + sh.request_timeout;
        macro_rules! exchange {
            ($take:expr) => {{
                let mut take = $take;
                let mut verdict = Verdict {
                    take: &mut take,
                    expect: &step.expect,
                    built_to_fail,
                };
                let exchange = pin!(ready.exchange(
                    &mut verdict,
                    &mut self.body,
                    MAX_CHECKED_BODY,
                    &mut first_byte,
                    &mut self.status,
                ));
                self.deadline.run(deadline, exchange).await
            }};
        }
        let exchanged = if JOURNEY {
            self.slots.unstage(&step.captures);
            exchange!(Captures {
                captures: &step.captures,
                slots: &mut self.slots,
                missed: &mut self.missed,
                head: step.captures.iter().any(Capture::reads_head),
                body: step.captures.iter().any(Capture::needs_body),
            })
        } else {
            exchange!(())
        };
        let done = Instant::now();
        let (outcome, keep) = settle(exchanged);
        if !keep {
            self.h2.close();
        }
        self.h2.trim();
        self.shrink_body();
        StepSample {
            step: index,
            outcome,
            intended,
            sent,
            first_byte,
            done,
            connect,
        }
    }
}
