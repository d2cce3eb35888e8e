//! One step on a fast path: the same connection rules, timings and judgement as hyper's
//! `step`, on a bare TCP stream (HTTP/1.1) or the VU's own lean HTTP/2 connection. A journey
//! step (`JOURNEY`) renders the iteration's captures into its request (escaped for their
//! place; a value unfit for a header refuses the step) and fills its own captures from the
//! answer: its head's headers as they are parsed, its body once judged. The plain loop's
//! steps compile without any of that.
//!
//! Only opening the connection differs between the paths (over TLS, HTTP/2 may get HTTP/1.1,
//! and hyper's connection then takes the step); the rest is one exchange for both,
//! [`VuState::exchange_fast`], generic over their links ([`FastLink`]).

use super::{failed, settle, Shared, VuState};
use crate::exchange::MAX_CHECKED_BODY;
use crate::fast::h2::H2Link;
use crate::fast::{Exchange, FastLink, H1Link, Take};
use crate::request::Step;
use loadgen_capture::{Capture, Slots};
use loadgen_engine::{Iteration, Outcome, StepSample};
use loadgen_template::Vars;
use std::pin::pin;
use tokio::time::{Duration, Instant};

/// A journey step's captures, filled from a fast-path answer.
pub(super) struct Captures<'a> {
    pub(super) captures: &'a [Capture],
    pub(super) slots: &'a mut Slots,
    pub(super) missed: &'a mut Option<usize>,
    /// Some capture reads a header (or a cookie of one).
    pub(super) head: bool,
    /// Some capture reads the body.
    pub(super) body: bool,
}

impl Take for Captures<'_> {
    #[inline]
    fn header(&mut self, name: &[u8], value: &[u8]) {
        if self.head {
            self.slots.stage(self.captures, name, value);
        }
    }

    fn sees_headers(&self) -> bool {
        self.head
    }

    fn needs_body(&self) -> bool {
        self.body
    }

    fn finish(&mut self, body: &[u8], overflow: bool) -> bool {
        for c in self.captures {
            if overflow || !self.slots.fill_staged(c, body) {
                *self.missed = Some(c.slot);
                return false;
            }
        }
        true
    }
}

impl VuState {
    /// Step `index` on the fast path (the factory has pre-encoded every step).
    pub(super) async fn step_fast<const JOURNEY: bool>(
        &mut self,
        sh: &Shared,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> StepSample {
        let (Some(req), Some(step)) = (
            sh.fast.as_ref().and_then(|f| f.get(index)),
            sh.steps.get(index),
        ) else {
            // Unreachable: the fast path has one encoded request per step.
            return failed(index, intended, Outcome::Protocol);
        };
        // A kept connection is checked without entering the dial's future.
        let connect = match self.links.h1.is_open() {
            true => None,
            // Boxed: opening (a proxy's CONNECT, a TLS handshake) is rare and its future is
            // KiBs, which would otherwise be in every VU's future, connected or not.
            false => match Box::pin(self.open_link(sh)).await {
                Ok(connect) => connect,
                Err(outcome) => return failed(index, intended, outcome),
            },
        };
        self.exchange_fast::<H1Link, JOURNEY>(sh, index, (req, step), it, intended, connect)
            .await
    }

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
        let connect = match self.links.h2.is_open() {
            true => None,
            false => match Box::pin(self.open_h2(sh)).await {
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

        self.exchange_fast::<H2Link, JOURNEY>(sh, index, (req, step), it, intended, connect)
            .await
    }

    /// The rest of a fast step, on either path once its connection is checked: render,
    /// refuse (a journey's capture unfit for its place), send, read, judge, sample.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn exchange_fast<L: FastLink, const JOURNEY: bool>(
        &mut self,
        sh: &Shared,
        index: usize,
        (req, step): (&L::Req, &Step),
        it: &Iteration<'_>,
        intended: Instant,
        connect: Option<Duration>,
    ) -> StepSample {
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
        let link = L::of(&mut self.links);
        let ready = link.render(req, &mut vars);
        let built_to_fail = vars.built_to_fail();
        if JOURNEY && vars.refused() {
            // A captured value that would break out of its header: the request is not sent.
            self.refused = true;
            return failed(index, intended, Outcome::CheckFailed);
        }

        let sent = Instant::now();
        let mut first_byte = None;
        let deadline = sent + sh.request_timeout;
        // One exchange for both loops; only the take differs (the plain loop's is `()`, which
        // fills nothing and costs nothing). A macro, as the take and the arguments borrow
        // different fields of `self`.
        macro_rules! exchange {
            ($take:expr) => {{
                let mut take = $take;
                let exchange = pin!(ready.exchange(
                    &mut take,
                    &step.expect,
                    built_to_fail,
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
        let mut done = Instant::now();
        // A paced connection's answer was read at a dispatcher's tick: it is timed by when
        // the kernel received it (never before it was sent, nor after now). A fault is timed
        // when it was seen.
        if let (Some(Ok(_)), Some(at)) = (&exchanged, link.answered_at()) {
            done = at.clamp(sent, done);
            first_byte = first_byte.map(|at| at.clamp(sent, done));
        }
        let (outcome, keep) = settle(exchanged);
        if !keep {
            link.close();
        }
        link.trim();
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
