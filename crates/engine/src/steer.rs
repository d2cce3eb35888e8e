//! A driver's view of the changes made by hand (see control.rs): which arrivals fall in a
//! paused span, the rate factor handed to the schedule, the closed model's VU count.
//!
//! Everything here is owned by one thread; the drivers read the change log only when the
//! watch channel says it moved, where they already wait.

use crate::arrival::ArrivalSchedule;
use crate::control::{Change, Command};
use std::cell::Cell;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// The changes one workload driver has seen, in its workload's clock.
pub(crate) struct Steer {
    rx: watch::Receiver<Vec<Change>>,
    seen: usize,
    /// The run's origin and the workload's start: change instants are from the origin,
    /// schedule offsets from the start.
    origin: Instant,
    start: Instant,
    /// Paused spans `[from, until)` of the workload's clock, oldest first; `until` unknown
    /// while the pause lasts.
    pauses: VecDeque<(Duration, Option<Duration>)>,
}

impl Steer {
    pub fn new(rx: watch::Receiver<Vec<Change>>, origin: Instant, start: Instant) -> Self {
        Steer {
            rx,
            seen: 0,
            origin,
            start,
            pauses: VecDeque::new(),
        }
    }

    /// Waits until the log has news (never, once the control is gone).
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// True when the log has news (an atomic load: asked at yields, not per arrival).
    pub fn has_news(&self) -> bool {
        self.rx.has_changed().unwrap_or(false)
    }

    /// The changes not seen yet, with their instants on the run's clock.
    fn take_news(&mut self) -> Vec<(Instant, Command)> {
        let log = self.rx.borrow_and_update();
        let news = log
            .iter()
            .skip(self.seen)
            .map(|c| (self.origin + c.at, c.what))
            .collect();
        self.seen = log.len();
        news
    }

    fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }

    /// Open model: applies the news to `schedule` and returns the arrival to wait for instead
    /// of `pending`.
    pub fn apply_open(
        &mut self,
        schedule: &mut ArrivalSchedule,
        mut pending: Option<(u64, Duration)>,
    ) -> Option<(u64, Duration)> {
        for (at, what) in self.take_news() {
            let off = self.offset(at);
            match what {
                Command::Pause => self.pauses.push_back((off, None)),
                Command::Resume => {
                    if let Some(span) = self.pauses.back_mut() {
                        span.1.get_or_insert(off);
                    }
                }
                Command::Scale(factor) => pending = schedule.rescale(off, factor, pending),
                Command::Vus(_) | Command::Stop => {}
            }
        }
        pending
    }

    /// Open model: whether the arrival at `offset` falls in a paused span.
    #[inline]
    pub fn paused(&mut self, offset: Duration) -> bool {
        while let Some(&(from, until)) = self.pauses.front() {
            if offset < from {
                return false;
            }
            match until {
                Some(u) if offset >= u => {
                    self.pauses.pop_front();
                }
                _ => return true,
            }
        }
        false
    }

    /// Closed model: the VU counts set by hand, with their instants.
    pub fn take_vus(&mut self) -> Vec<(Instant, u64)> {
        self.take_news()
            .into_iter()
            .filter_map(|(at, what)| match what {
                Command::Vus(n) => Some((at, n)),
                _ => None,
            })
            .collect()
    }
}

/// Closed model: the VU count set by hand, shared by the VUs of one thread (plain cells: one
/// thread), and the signal that wakes them when it changes.
#[derive(Default)]
pub(crate) struct VuCount {
    /// From which second of the workload's clock, how many VUs (`None`: the stages rule).
    set: Cell<Option<(f64, u64)>>,
    pub changed: Notify,
}

impl VuCount {
    /// From `from` seconds on, `n` VUs are on.
    pub fn set(&self, from: f64, n: u64) {
        self.set.set(Some((from, n)));
        self.changed.notify_waiters();
    }

    /// The earliest second `>= t` at which VU `vu` is on, as the stages or the count set by
    /// hand say; `None` if never (as far as known now).
    pub fn next_active(&self, stages: &crate::closed::VuStages, vu: u64, t: f64) -> Option<f64> {
        match self.set.get() {
            None => stages.next_active(vu, t),
            Some((from, n)) if t >= from => (vu < n).then_some(t),
            Some((from, n)) => match stages.next_active(vu, t) {
                Some(on) if on < from => Some(on),
                _ => (vu < n).then_some(from),
            },
        }
    }
}
