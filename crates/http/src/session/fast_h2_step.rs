//! One step on the lean HTTP/2 path: the same connection rules, timings, judgement and
//! captures as the HTTP/1.1 fast path's step ([`super::fast_step`]), on the VU's own
//! HTTP/2 connection. Only opening it differs (TLS may choose HTTP/1.1, and hyper's
//! connection then takes the step); the rest is the shared exchange
//! ([`VuState::exchange_fast`] for [`H2Link`]).

use super::{failed, Shared, VuState};
use crate::fast::h2::H2Link;
use loadgen_engine::{Iteration, Outcome, StepSample};
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
        let connect = match self.links.h2.is_open() {
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

        self.exchange_fast::<H2Link, JOURNEY>(sh, index, (req, step), it, intended, connect)
            .await
    }
}
