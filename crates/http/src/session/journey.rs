//! The journey loop: an iteration whose steps capture values for later ones, think between
//! steps, are guarded (`when`, `probability`), repeat (a heartbeat for a session's length),
//! or log in once per VU and again after a 401. On the fast path where the factory chose it
//! (captures read from its answers without a document), else on hyper's.
//!
//! * A step that captures and does not succeed, or that could not be rendered, ends the
//!   iteration: the steps left are counted as `skipped`, never sent with a missing value. A
//!   step that captures and gets its expected failure (a planned wrong password) ends it too,
//!   as planned: nothing is counted.
//! * A once-per-VU step that has succeeded is passed over, its captures kept.
//! * A 401 on a step that is not once per VU (and whose checks do not name 401) makes the VU
//!   run its once-per-VU steps again, each recorded as a re-login step of its own, then send
//!   the step once more, measured from its first intended start. The 401 is counted as
//!   `reauth`, not recorded as the step's result, unless the re-login fails: then it stands,
//!   and the iteration ends.

use super::{HttpSession, Shared, VuState};
use super::{CAPTURE_MISSED_BASE, GUARDED_METRIC, REAUTH_METRIC, SKIPPED_METRIC};
use crate::request::Step;
use loadgen_engine::{Iteration, Outcome, StepSample, ThinkTime};
use rand::Rng;
use tokio::time::Instant;

/// Whether the iteration goes on after a step.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Next,
    /// The iteration ends here; `true`: count the steps left as skipped.
    Stop(bool),
}

impl HttpSession {
    pub(super) async fn journey(&mut self, it: &Iteration<'_>) {
        let sh = &*self.shared;
        let vu = &mut self.vu;
        vu.slots.clear_except(&sh.vu_slots);
        let mut intended = it.intended;
        for (index, step) in sh.steps.iter().enumerate() {
            if step.once_per_vu && vu.done_once.get(index) == Some(&true) {
                continue;
            }
            if !vu.guard_open(step) {
                it.count(GUARDED_METRIC, 1);
                continue;
            }
            if step.uses.iter().any(|slot| vu.slots.get(*slot).is_none()) {
                // A value that a step passed over by its guard would have captured.
                it.count(SKIPPED_METRIC, 1);
                continue;
            }
            let began = Instant::now();
            let length = step.repeat_for.map(|d| d.sample(&mut vu.rng));
            loop {
                if step.think != ThinkTime::None {
                    // Intended after the pause, not when the runtime woke up: a late wake
                    // shows in the step's latency.
                    let at = intended.max(Instant::now()) + step.think.sample(&mut vu.rng);
                    it.pause(at.saturating_duration_since(Instant::now())).await;
                    intended = at.min(Instant::now());
                }
                let (flow, done) = vu.send(sh, it, index, intended).await;
                intended = done;
                if let Flow::Stop(count) = flow {
                    let left = sh.steps.len() - index - 1;
                    if count && left > 0 {
                        it.count(SKIPPED_METRIC, left as u64);
                    }
                    return;
                }
                match length {
                    // The load's end cuts a session short: the steps after it still run
                    // (a session logs out), without their pauses.
                    Some(length) if !it.is_ending() && began.elapsed() < length => {}
                    _ => break,
                }
            }
        }
    }
}

impl VuState {
    /// True when the step's guards let it run: its `when` capture holds a value and its
    /// `probability` draw passes.
    fn guard_open(&mut self, step: &Step) -> bool {
        if step.when.is_some_and(|slot| self.slots.get(slot).is_none()) {
            return false;
        }
        match step.probability {
            Some(p) => self.rng.random::<f64>() < p,
            None => true,
        }
    }

    /// One send of step `index` (with a re-login and one retry after a 401), recorded.
    async fn send(
        &mut self,
        sh: &Shared,
        it: &Iteration<'_>,
        index: usize,
        intended: Instant,
    ) -> (Flow, Instant) {
        let step = &sh.steps[index];
        let mut sample = self.attempt(sh, it, index, intended).await;
        let mut relogin_failed = false;
        let reauth = self.status == 401
            && sample.outcome != Outcome::Success
            && !step.once_per_vu
            && !sh.relogin.is_empty()
            && !step.expect.names_status(401);
        if reauth {
            it.count(REAUTH_METRIC, 1);
            let first = sample;
            let first_setup = std::mem::take(&mut self.setup);
            if self.relogin(sh, it, first.done).await {
                sample = self.attempt(sh, it, index, intended).await;
                if sample.connect.is_none() && first.connect.is_some() {
                    // The connection the 401 opened is this step's to report.
                    sample.connect = first.connect;
                    self.setup = first_setup;
                }
            } else {
                relogin_failed = true;
                sample = first;
                self.status = 401;
                self.setup = first_setup;
                self.missed = None;
            }
        }
        self.record(it, &sample);
        if step.once_per_vu && sample.outcome == Outcome::Success {
            if let Some(done) = self.done_once.get_mut(index) {
                *done = true;
            }
        }
        let flow = if self.refused || relogin_failed {
            Flow::Stop(true)
        } else if step.captures.is_empty() || sample.outcome == Outcome::Success {
            Flow::Next
        } else {
            Flow::Stop(sample.outcome != Outcome::ExpectedFailure)
        };
        (flow, sample.done)
    }

    /// Runs the once-per-VU steps again after a 401, each recorded as its re-login step;
    /// `false` when one fails (it is then run again in the VU's next iteration).
    async fn relogin(&mut self, sh: &Shared, it: &Iteration<'_>, mut intended: Instant) -> bool {
        for (j, &k) in sh.relogin.iter().enumerate() {
            let mut sample = self.attempt(sh, it, k, intended).await;
            sample.step = sh.steps.len() + j;
            self.record(it, &sample);
            intended = sample.done;
            let ok = sample.outcome == Outcome::Success && !self.refused;
            if let Some(done) = self.done_once.get_mut(k) {
                *done = ok;
            }
            if !ok {
                return false;
            }
        }
        true
    }

    pub(super) async fn attempt(
        &mut self,
        sh: &Shared,
        it: &Iteration<'_>,
        index: usize,
        intended: Instant,
    ) -> StepSample {
        self.status = 0;
        self.missed = None;
        self.refused = false;
        match (&sh.fast, &sh.fast_h2) {
            (Some(_), _) => self.step_fast::<true>(sh, index, it, intended).await,
            (None, Some(_)) => self.step_fast_h2::<true>(sh, index, it, intended).await,
            // hyper's request future is several KiB: boxed, as in the plain loop.
            (None, None) => Box::pin(self.step(sh, index, it, intended)).await,
        }
    }

    /// Records a sample under its own step index, with its set-up phases, its status when
    /// it failed and the capture it missed.
    fn record(&mut self, it: &Iteration<'_>, sample: &StepSample) {
        it.record_answered(sample, self.status);
        if sample.connect.is_some() {
            // Only a step that opened a connection has phases to report.
            it.record_setup(sample.step, std::mem::take(&mut self.setup));
        }
        if sample.outcome != Outcome::Success && self.status != 0 {
            it.record_status(sample.step, self.status);
        }
        if let Some(slot) = self.missed {
            it.count(CAPTURE_MISSED_BASE + slot, 1);
        }
    }
}
