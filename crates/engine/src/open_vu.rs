//! An open-model VU's one task, for its whole life: it waits for an arrival in its [`Mailbox`],
//! runs the iteration (and then any arrivals waiting in the backlog), and goes back to the
//! idle pool.
//!
//! One task per VU, not per arrival: a task spawned per arrival moved the VU's session and its
//! iteration's future (KiBs) into a new allocation each time (`perf`: 6.5% of the open model's
//! CPU in `memmove`, 2–3% in malloc at 20,000 arrivals/s). Posting an arrival is now a store and
//! a wake.

use crate::histogram::record_micros;
use crate::session::{Iteration, Recorder, Session};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A VU with its session, moved into its task once.
pub(crate) struct Vu<S> {
    pub id: u64,
    /// Index of this VU in its [`Tasks`] and in the idle pool.
    pub slot: usize,
    pub iterations: u64,
    pub session: S,
}

/// Where the dispatcher posts a VU's next arrival (its intended start).
#[derive(Default)]
pub(crate) struct Mailbox {
    arrival: Cell<Option<Instant>>,
    waker: Cell<Option<Waker>>,
}

impl Mailbox {
    /// A mailbox that already holds the VU's first arrival.
    pub fn holding(intended: Instant) -> Mailbox {
        Mailbox {
            arrival: Cell::new(Some(intended)),
            waker: Cell::new(None),
        }
    }

    /// Hands the (idle) VU its next arrival.
    fn post(&self, intended: Instant) {
        self.arrival.set(Some(intended));
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    async fn next(&self) -> Instant {
        poll_fn(|cx| match self.arrival.take() {
            Some(intended) => Poll::Ready(intended),
            None => {
                let waker = match self.waker.take() {
                    Some(w) if w.will_wake(cx.waker()) => w,
                    _ => cx.waker().clone(),
                };
                self.waker.set(Some(waker));
                Poll::Pending
            }
        })
        .await
    }
}

/// A workload's VU tasks on one thread, by slot (the order the VUs were made in): each one's
/// mailbox and task. Spawned bare: a `JoinSet` would lock its task list on every spawn.
#[derive(Default)]
pub(crate) struct Tasks {
    mailboxes: Vec<Rc<Mailbox>>,
    running: Vec<JoinHandle<()>>,
}

impl Tasks {
    /// Starts the life of `vu`, the next slot, with `mailbox` (empty, or holding its first
    /// arrival).
    pub fn start<S: Session>(&mut self, vu: Vu<S>, mailbox: Mailbox, crew: &Rc<Crew>) {
        debug_assert_eq!(vu.slot, self.running.len(), "VUs start in slot order");
        let mailbox = Rc::new(mailbox);
        let task = tokio::task::spawn_local(live(vu, mailbox.clone(), crew.clone()));
        self.running.push(task);
        self.mailboxes.push(mailbox);
    }

    /// Hands the idle VU in `slot` its next arrival.
    pub fn post(&self, slot: usize, intended: Instant) {
        self.mailboxes[slot].post(intended);
    }

    /// Stops every VU's task, busy or idle (its session is dropped with it).
    pub fn abort_all(&self) {
        for task in &self.running {
            task.abort();
        }
    }
}

/// What a workload's VU tasks share with its dispatcher on one thread.
pub(crate) struct Crew {
    pub recorder: Recorder,
    pub workload: usize,
    pub step_base: usize,
    pub custom_base: usize,
    /// The iteration's duration is derived from a step's latency: VUs only count iterations.
    pub derived: bool,
    /// Slots of idle VUs, in the order they went idle.
    pub idle_pool: RefCell<VecDeque<usize>>,
    /// Arrivals that found every VU busy, oldest first.
    pub backlog: RefCell<VecDeque<Instant>>,
    /// Woken when the last busy VU goes idle (the drain waits for it).
    pub all_idle: Notify,
}

/// The VU's life: an iteration per arrival posted to `mailbox`, until the task is aborted.
async fn live<S: Session>(mut vu: Vu<S>, mailbox: Rc<Mailbox>, crew: Rc<Crew>) {
    let Crew {
        recorder,
        workload,
        step_base,
        custom_base,
        derived,
        ..
    } = &*crew;
    loop {
        let mut intended = mailbox.next().await;
        let started = Instant::now();
        let lag = started.saturating_duration_since(intended);
        recorder.with(|m| record_micros(&mut m.workloads[*workload].lag, lag.as_micros() as u64));
        // A VU that finishes while arrivals wait takes the oldest before going idle.
        loop {
            let it = Iteration::new(recorder, *step_base, vu.id, vu.iterations, intended)
                .with_custom_base(*custom_base);
            vu.session.iteration(&it).await;
            vu.iterations += 1;
            let took = if *derived { None } else { it.duration() };
            recorder.with(|m| m.workloads[*workload].iteration_done(took));
            let next = crew.backlog.borrow_mut().pop_front();
            match next {
                Some(at) => intended = at,
                None => break,
            }
        }
        let now_idle = recorder.tally(|t| {
            let done = t.latest(started);
            t.vu_idle(*workload, done) == 0
        });
        crew.idle_pool.borrow_mut().push_back(vu.slot);
        if now_idle {
            crew.all_idle.notify_one();
        }
    }
}
