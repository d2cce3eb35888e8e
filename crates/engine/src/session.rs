//! The seam between the engine and protocols: sessions owned by VUs, and the recorder they
//! report through.

use crate::custom::CustomValue;
use crate::interval::{Clock, Tally};
use crate::metrics::Metrics;
use crate::outcome::Outcome;
pub use crate::setup::Setup;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tokio::time::Instant;

/// Who a session belongs to; handed to [`SessionFactory::session`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VuInfo {
    /// Global VU id, unique across threads and segments of one plan.
    pub id: u64,
    /// Index of the workload in the plan.
    pub workload: usize,
    /// A seed derived from the plan seed and the VU id, for the session's own randomness.
    pub seed: u64,
    /// The VU's answers are read when its thread's open-model dispatcher wakes, and timed by
    /// the kernel's receive timestamps (see [`loadgen_pace::set`]); a session whose connections
    /// cannot be paced ignores it.
    pub paced_reads: bool,
}

/// Builds one session per VU. Shared by every worker thread; the sessions stay on the thread
/// that made them (they need not be `Send`).
pub trait SessionFactory: Send + Sync + 'static {
    /// The session a VU owns (a connection, a socket) for its whole life.
    type Session: Session;
    /// Makes the session for a new VU. Must not block; connecting happens in the iteration.
    fn session(&self, vu: VuInfo) -> Self::Session;
}

/// What a VU runs, iteration after iteration.
///
/// A session reports each step it completes through [`Iteration::record`], reconnects on its
/// own after faults, and never panics on a target's misbehaviour: every fault becomes an
/// [`Outcome`]. If an iteration future is dropped (hard stop) the session is dropped with it.
#[allow(async_fn_in_trait)] // sessions run on current-thread runtimes; Send is not wanted
pub trait Session: 'static {
    /// Runs one iteration: all steps of the workload once.
    async fn iteration(&mut self, it: &Iteration<'_>);

    /// Opens what the session will need (a connection) before its first iteration, so the
    /// first arrivals are not sent late behind a burst of connects. Called for pre-allocated
    /// open-model VUs before the workload's clock starts and dropped unfinished at that
    /// moment. Failures are not reported here: the iteration connects again and records them.
    async fn warm_up(&mut self) {}
}

/// One completed step, as a session reports it. All instants come from `tokio::time`.
#[derive(Debug, Clone, Copy)]
pub struct StepSample {
    /// Step index within the workload.
    pub step: usize,
    /// What became of it.
    pub outcome: Outcome,
    /// When the step was meant to start (see the crate docs: "What latency means").
    pub intended: Instant,
    /// When the request actually went out (after any connect).
    pub sent: Instant,
    /// When the first byte of the answer arrived, if the protocol knows.
    pub first_byte: Option<Instant>,
    /// When the step finished (answer complete, or the error was seen).
    pub done: Instant,
    /// Connection time to the target, when this step had to open a connection: the TCP
    /// connect (or the proxy's `CONNECT` tunnel). A TLS handshake and the TCP connect to a
    /// proxy are phases of their own ([`Setup`]).
    pub connect: Option<Duration>,
}

/// Collects samples on one thread. Cheap to clone (`Rc`); never crosses threads.
#[derive(Clone)]
pub struct Recorder {
    tally: Rc<RefCell<Tally>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder shaped like `plan` (steps, workloads and custom metrics).
    pub fn for_plan(plan: &crate::Plan) -> Self {
        Self::from_tally(Tally::new(plan.empty_metrics(), None))
    }

    /// A recorder shaped for a plan with `steps` steps and `workloads` workloads.
    pub fn new(steps: usize, workloads: usize) -> Self {
        Self::from_tally(Tally::new(Metrics::new(steps, workloads), None))
    }

    /// A worker thread's recorder: closes intervals on `clock` as time passes.
    pub(crate) fn with_clock(plan: &crate::Plan, clock: Clock) -> Self {
        Self::from_tally(Tally::new(plan.empty_metrics(), Some(clock)))
    }

    fn from_tally(tally: Tally) -> Self {
        Recorder {
            tally: Rc::new(RefCell::new(tally)),
        }
    }

    /// Takes what was recorded so far, leaving empty metrics of the same shape. VU areas are
    /// integrated up to now (or the load end).
    pub fn take(&self) -> Metrics {
        let mut t = self.tally.borrow_mut();
        t.integrate_all(Instant::now());
        t.take_metrics()
    }

    /// Runs `f` on the metrics. Never held across an await.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Metrics) -> R) -> R {
        f(&mut self.tally.borrow_mut().metrics)
    }

    /// Runs `f` on the whole tally (clock, VU counts). Never held across an await.
    #[inline]
    pub(crate) fn tally<R>(&self, f: impl FnOnce(&mut Tally) -> R) -> R {
        f(&mut self.tally.borrow_mut())
    }
}

/// One iteration of one VU: its identity, its intended start, and where to record.
#[derive(Debug)]
pub struct Iteration<'a> {
    /// Global VU id.
    pub vu: u64,
    /// 0-based iteration number of this VU.
    pub number: u64,
    /// The iteration's intended start.
    pub intended: Instant,
    recorder: &'a Recorder,
    step_base: usize,
    custom_base: usize,
    /// When the last recorded step ended (the iteration's end, once it returns).
    last_done: std::cell::Cell<Option<Instant>>,
    /// Cancelled when the load ends (closed model): pauses inside an iteration end early.
    ending: Option<&'a tokio_util::sync::CancellationToken>,
}

impl<'a> Iteration<'a> {
    /// An iteration recording into `recorder`, whose workload's steps start at global index
    /// `step_base`. The runner makes these; protocol tests may too.
    pub fn new(
        recorder: &'a Recorder,
        step_base: usize,
        vu: u64,
        number: u64,
        intended: Instant,
    ) -> Self {
        Iteration {
            vu,
            number,
            intended,
            recorder,
            step_base,
            custom_base: 0,
            last_done: std::cell::Cell::new(None),
            ending: None,
        }
    }

    /// Lets [`Iteration::pause`] end early when `ending` is cancelled (the load's end).
    pub(crate) fn with_ending(mut self, ending: &'a tokio_util::sync::CancellationToken) -> Self {
        self.ending = Some(ending);
        self
    }

    /// Waits `d` inside the iteration (think time between steps); `false` when the load
    /// ended first, so a session can wind up (a long session logs out instead of being cut
    /// off at the drain deadline).
    pub async fn pause(&self, d: Duration) -> bool {
        let at = Instant::now() + d;
        match self.ending {
            Some(ending) if ending.is_cancelled() => false,
            Some(ending) => tokio::select! {
                biased;
                _ = ending.cancelled() => false,
                _ = tokio::time::sleep_until(at) => true,
            },
            None => {
                tokio::time::sleep_until(at).await;
                true
            }
        }
    }

    /// True once the load has ended (closed model; never for the open one, whose arrivals
    /// stop on their own).
    pub fn is_ending(&self) -> bool {
        self.ending.is_some_and(|e| e.is_cancelled())
    }

    /// Sets the global index of the workload's first custom metric (the runner does this;
    /// protocol tests with one workload need not).
    pub fn with_custom_base(mut self, custom_base: usize) -> Self {
        self.custom_base = custom_base;
        self
    }

    /// Counts the HTTP status of a step that did not succeed (shown beside its outcome).
    #[inline]
    pub fn record_status(&self, step: usize, status: u16) {
        self.recorder
            .with(|m| m.steps[self.step_base + step].count_status(status));
    }

    /// Counts the protocol code (a SQLSTATE, a Redis error prefix) of a step that did not
    /// succeed, shown beside its outcome like an HTTP status.
    #[inline]
    pub fn record_code(&self, step: usize, code: crate::Code) {
        self.recorder
            .with(|m| m.steps[self.step_base + step].count_code_n(code, 1));
    }

    /// Adds `n` to the workload's counter number `metric` (its index in
    /// [`crate::Workload::with_custom`]). Recording into a metric of another kind, or one
    /// that was not declared, does nothing.
    #[inline]
    pub fn count(&self, metric: usize, n: u64) {
        self.custom(metric, |v| v.count(n));
    }

    /// Moves the workload's gauge number `metric` by `delta` (+1 on connect, −1 on close).
    #[inline]
    pub fn gauge_add(&self, metric: usize, delta: i64) {
        self.custom(metric, |v| v.gauge_add(delta));
    }

    /// Adds one observation to the workload's rate number `metric`.
    #[inline]
    pub fn rate(&self, metric: usize, hit: bool) {
        self.custom(metric, |v| v.rate(hit));
    }

    /// Adds one duration to the workload's trend number `metric`.
    #[inline]
    pub fn trend(&self, metric: usize, d: Duration) {
        self.custom(metric, |v| v.trend(d));
    }

    #[inline]
    fn custom(&self, metric: usize, f: impl FnOnce(&mut CustomValue)) {
        self.recorder.with(|m| {
            if let Some(v) = m.custom.get_mut(self.custom_base + metric) {
                f(v)
            }
        });
    }

    /// Records one completed step.
    #[inline]
    pub fn record(&self, s: &StepSample) {
        self.record_answered(s, 0);
    }

    /// [`Self::record`] of a step whose answer had HTTP `status` (0: none arrived): in the
    /// same visit to the thread's metrics, its latency also goes to the step's per-status
    /// histogram when the plan tracks that status (`latency{status=N}`), and nowhere else.
    #[inline]
    pub fn record_answered(&self, s: &StepSample, status: u16) {
        self.last_done.set(Some(s.done));
        let latency = s.done.saturating_duration_since(s.intended);
        let service = s.done.saturating_duration_since(s.sent);
        let ttfb = s.first_byte.map(|f| f.saturating_duration_since(s.sent));
        self.recorder.tally(|t| {
            // The completion instant decides the interval (closing the current one if past it).
            t.completed_at(s.done);
            let step = &mut t.metrics.steps[self.step_base + s.step];
            step.record(s.outcome, latency, service, ttfb, s.connect);
            if status != 0 && !step.status_latency.is_empty() {
                step.record_status_latency(status, latency);
            }
        });
    }

    /// How long the iteration took from its intended start to the end of the last step it
    /// recorded (`None` before any).
    #[inline]
    pub fn duration(&self) -> Option<Duration> {
        self.last_done
            .get()
            .map(|done| done.saturating_duration_since(self.intended))
    }

    /// Records the set-up phases of a step that opened a connection; call it right after
    /// [`Iteration::record`] of that step, so both count in the interval the step completed in.
    #[inline]
    pub fn record_setup(&self, step: usize, setup: Setup) {
        if !setup.is_empty() {
            self.recorder
                .with(|m| m.steps[self.step_base + step].record_setup(setup));
        }
    }
}
