//! Stopping and steering a run from outside: a graceful stop, an immediate kill, and changes
//! made by hand while it runs (pause and resume arrivals, scale the arrival rate, set the
//! closed model's VUs).
//!
//! # How a change reaches the worker threads
//!
//! A change is an entry in one append-only log, published through a `tokio::sync::watch`
//! channel every workload driver subscribes to. A driver looks at the channel only where it
//! already waits (its arrival timer's sleep, its stop `select!`) and, when it is behind
//! schedule, at the yield it takes every 64 arrivals: no atomic is read per arrival.
//!
//! Each change takes effect at one instant of the run's clock, [`CHANGE_LEAD`] after it was
//! asked for and rounded up to the arrival schedule's 1 ms slice, so that every thread (and
//! every worker of a fleet, given the same instant) applies it to the same arrivals: the
//! segments of a changed run still add up to one schedule. The instant is the event's
//! instant in `run.json`, `timeseries.csv` and the report.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The run's origin as every runtime sees it (see runner.rs).
#[allow(clippy::disallowed_types)]
type ProcessInstant = std::time::Instant;

/// How long after a request a change takes effect: enough for every worker thread to hear
/// of it before its instant, even on a busy machine.
pub const CHANGE_LEAD: Duration = Duration::from_millis(50);

/// The largest factor `scale` accepts without a ceiling (a run's rate stays a test, not a flood).
pub const MAX_SCALE: f64 = 1000.0;

/// What a change by hand does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Stop releasing arrivals; those due until the resume are skipped (`skipped_paused`).
    Pause,
    /// Release arrivals again.
    Resume,
    /// Every open workload's rate curve times this factor (1 = as planned).
    Scale(f64),
    /// Every closed workload runs this many VUs.
    Vus(u64),
    /// A graceful stop, as Ctrl-C (the run exits 130).
    Stop,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Pause => f.write_str("pause"),
            Command::Resume => f.write_str("resume"),
            Command::Scale(x) => write!(f, "scale {x}"),
            Command::Vus(n) => write!(f, "vus {n}"),
            Command::Stop => f.write_str("stop"),
        }
    }
}

impl std::str::FromStr for Command {
    type Err = String;

    /// `pause`, `resume`, `scale F`, `vus N` or `stop` (what [`Command`]'s `Display` writes).
    fn from_str(s: &str) -> Result<Command, String> {
        let mut words = s.split_whitespace();
        let (verb, arg, extra) = (words.next(), words.next(), words.next());
        if extra.is_some() {
            return Err(format!("one command, not `{s}`"));
        }
        match (verb, arg) {
            (Some("pause"), None) => Ok(Command::Pause),
            (Some("resume"), None) => Ok(Command::Resume),
            (Some("stop"), None) => Ok(Command::Stop),
            (Some("scale"), Some(f)) => f
                .parse()
                .map(Command::Scale)
                .map_err(|_| format!("scale takes a factor such as 2 or 0.5, not `{f}`")),
            (Some("vus"), Some(n)) => n
                .parse()
                .map(Command::Vus)
                .map_err(|_| format!("vus takes a whole number, not `{n}`")),
            _ => Err(format!(
                "unknown command `{s}`: pause, resume, scale F, vus N or stop"
            )),
        }
    }
}

/// One change made by hand: when (relative to the run's start), who asked, what.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The instant it took effect, from the run's start.
    pub at: Duration,
    /// Who asked (`ctl 127.0.0.1:52114`, `dashboard`…), for the record.
    pub who: String,
    /// What it does.
    pub what: Command,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The run's clock has not started.
    #[error("the run has not started yet")]
    NotStarted,
    /// The run is stopping or over.
    #[error("the run is stopping")]
    Stopping,
    /// Pause while paused, resume while running.
    #[error("{0}")]
    State(&'static str),
    /// A factor or count outside what is allowed.
    #[error("{0}")]
    OutOfRange(String),
    /// The plan has no workload the change applies to.
    #[error("{0}")]
    NoWorkload(&'static str),
}

/// What the run tells the control when its clock is set.
#[derive(Debug)]
struct Started {
    origin: ProcessInstant,
    has_open: bool,
    has_closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    started: OnceLock<Started>,
    log: OnceLock<watch::Sender<Vec<Change>>>,
    /// The most `scale` may reach (a worker's `--max-rate` over the planned peak rate).
    ceiling: OnceLock<f64>,
    /// How far ahead a change takes effect ([`CHANGE_LEAD`] unless set: a fleet needs more).
    lead: OnceLock<Duration>,
}

/// Stops a run from outside (signal handler, threshold abort) and changes it by hand (the
/// dashboard, `loadgen ctl`). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    pub(crate) stop: CancellationToken,
    pub(crate) kill: CancellationToken,
    shared: Arc<Shared>,
}

impl RunControl {
    /// A control for a new run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Graceful stop: no new iterations; in-flight ones get the graceful-stop period.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Immediate stop: in-flight iterations are cancelled now (counted as interrupted).
    pub fn kill(&self) {
        self.stop.cancel();
        self.kill.cancel();
    }

    /// True once [`RunControl::stop`] or [`RunControl::kill`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// `scale` may not go past `factor` (set once, before the run; a worker's `--max-rate`
    /// divided by the plan's peak rate).
    pub fn limit_scale(&self, factor: f64) {
        let _ = self.shared.ceiling.set(factor);
    }

    /// The most `scale` may reach, when limited.
    pub fn scale_ceiling(&self) -> Option<f64> {
        self.shared.ceiling.get().copied()
    }

    /// Changes take effect `lead` after they are asked for instead of [`CHANGE_LEAD`] (set
    /// once, before the run: a coordinator leaves time for the message to reach every worker).
    pub fn set_lead(&self, lead: Duration) {
        let _ = self.shared.lead.set(lead);
    }

    /// The run's clock starts `delay` from now, on another machine's engine (a coordinator
    /// steers its workers' runs, which start at that instant): changes asked for here get
    /// instants on that clock, and are relayed by whoever watches [`RunControl::watch`].
    pub fn begin_in(&self, delay: Duration, has_open: bool, has_closed: bool) {
        self.begin(ProcessInstant::now() + delay, has_open, has_closed);
    }

    /// The change log, to follow it as it grows (a coordinator relays each change).
    pub fn watch(&self) -> watch::Receiver<Vec<Change>> {
        self.subscribe()
    }

    fn log(&self) -> &watch::Sender<Vec<Change>> {
        self.shared
            .log
            .get_or_init(|| watch::Sender::new(Vec::new()))
    }

    /// The changes made so far, in order.
    pub fn changes(&self) -> Vec<Change> {
        self.log().borrow().clone()
    }

    /// True when a change by hand stopped the run.
    pub fn stopped_by_hand(&self) -> bool {
        self.log().borrow().iter().any(|c| c.what == Command::Stop)
    }

    /// Subscribes to the change log (a driver does, on its thread).
    pub(crate) fn subscribe(&self) -> watch::Receiver<Vec<Change>> {
        self.log().subscribe()
    }

    /// The run's clock started at `origin` (called by the runner once).
    pub(crate) fn begin(&self, origin: ProcessInstant, has_open: bool, has_closed: bool) {
        let _ = self.shared.started.set(Started {
            origin,
            has_open,
            has_closed,
        });
    }

    /// Changes the running plan by hand: checked, logged and published to every thread, to
    /// take effect at the returned change's instant (a stop takes effect at once).
    pub fn request(&self, who: &str, what: Command) -> Result<Change, ControlError> {
        let started = self.check(what)?;
        let now = ProcessInstant::now().saturating_duration_since(started.origin);
        let lead = self.shared.lead.get().copied().unwrap_or(CHANGE_LEAD);
        let at = match what {
            Command::Stop => now,
            _ => round_up_ms(now + lead),
        };
        let change = Change {
            at,
            who: who.to_string(),
            what,
        };
        self.push(change.clone());
        Ok(change)
    }

    /// Applies a change whose instant was chosen elsewhere (a coordinator's, relayed to this
    /// worker): checked as [`RunControl::request`] checks it, then logged at its own instant,
    /// so every worker of the fleet applies it to the same arrivals.
    pub fn apply(&self, change: Change) -> Result<(), ControlError> {
        self.check(change.what)?;
        self.push(change);
        Ok(())
    }

    fn push(&self, change: Change) {
        let stop = change.what == Command::Stop;
        self.log().send_modify(|log| log.push(change));
        if stop {
            self.stop();
        }
    }

    /// Whether `what` may be done now.
    fn check(&self, what: Command) -> Result<&Started, ControlError> {
        let started = self.shared.started.get().ok_or(ControlError::NotStarted)?;
        if self.is_stopped() {
            return Err(ControlError::Stopping);
        }
        let mut refused = None;
        let paused = self.is_paused();
        match what {
            Command::Pause | Command::Resume | Command::Scale(_) if !started.has_open => {
                refused = Some(ControlError::NoWorkload(
                    "the plan has no open workload to pause or scale",
                ));
            }
            Command::Vus(_) if !started.has_closed => {
                refused = Some(ControlError::NoWorkload(
                    "the plan has no closed workload to set VUs of",
                ));
            }
            Command::Pause if paused => refused = Some(ControlError::State("already paused")),
            Command::Resume if !paused => refused = Some(ControlError::State("not paused")),
            Command::Scale(f) => {
                let ceiling = self.shared.ceiling.get().copied().unwrap_or(MAX_SCALE);
                if !(f.is_finite() && f > 0.0 && f <= ceiling) {
                    refused = Some(ControlError::OutOfRange(format!(
                        "scale must be above 0 and at most {ceiling:.3} (the rate ceiling), not {f}"
                    )));
                }
            }
            Command::Vus(n) if n > 1_000_000 => {
                refused = Some(ControlError::OutOfRange(format!(
                    "vus must be at most 1000000, not {n}"
                )));
            }
            _ => {}
        }
        match refused {
            Some(e) => Err(e),
            None => Ok(started),
        }
    }

    /// True while the last pause has no resume after it.
    pub fn is_paused(&self) -> bool {
        let log = self.log().borrow();
        let last = log
            .iter()
            .rev()
            .find(|c| matches!(c.what, Command::Pause | Command::Resume));
        matches!(last.map(|c| c.what), Some(Command::Pause))
    }
}

/// Rounds up to a whole millisecond: the arrival schedule's slice.
fn round_up_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_nanos().div_ceil(1_000_000) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_checked_logged_and_take_effect_after_the_lead() {
        let c = RunControl::new();
        assert_eq!(
            c.request("t", Command::Pause),
            Err(ControlError::NotStarted)
        );
        c.begin(ProcessInstant::now(), true, false);
        assert!(matches!(
            c.request("t", Command::Vus(3)),
            Err(ControlError::NoWorkload(_))
        ));
        assert!(c.request("t", Command::Resume).is_err(), "not paused");
        let p = c.request("t", Command::Pause).unwrap();
        assert!(p.at >= CHANGE_LEAD && p.at.subsec_nanos().is_multiple_of(1_000_000));
        assert!(c.is_paused());
        assert!(c.request("t", Command::Pause).is_err(), "already paused");
        assert!(c.request("t", Command::Scale(0.0)).is_err());
        assert!(c.request("t", Command::Scale(f64::NAN)).is_err());
        c.limit_scale(2.5);
        assert!(c.request("t", Command::Scale(3.0)).is_err());
        c.request("t", Command::Scale(2.5)).unwrap();
        c.request("t", Command::Stop).unwrap();
        assert!(c.is_stopped() && c.stopped_by_hand());
        assert_eq!(c.request("t", Command::Resume), Err(ControlError::Stopping));
        let log: Vec<String> = c.changes().iter().map(|c| c.what.to_string()).collect();
        assert_eq!(log, ["pause", "scale 2.5", "stop"]);
        for (i, what) in log.iter().enumerate() {
            assert_eq!(what.parse::<Command>().unwrap(), c.changes()[i].what);
        }
        assert!("scale".parse::<Command>().is_err());
        assert!("pause now".parse::<Command>().is_err());
    }

    #[test]
    fn a_relayed_change_keeps_its_instant_and_is_checked_like_a_request() {
        let c = RunControl::new();
        let at = Duration::from_millis(1234);
        let change = |what| Change {
            at,
            who: "coordinator".into(),
            what,
        };
        assert_eq!(
            c.apply(change(Command::Pause)),
            Err(ControlError::NotStarted)
        );
        c.begin_in(Duration::from_secs(5), true, false);
        c.limit_scale(2.0);
        c.set_lead(Duration::from_millis(400));
        c.apply(change(Command::Pause)).unwrap();
        assert!(c.apply(change(Command::Pause)).is_err(), "already paused");
        assert!(
            c.apply(change(Command::Scale(3.0))).is_err(),
            "over the ceiling"
        );
        assert_eq!(c.changes()[0].at, at, "the instant chosen elsewhere stands");
        // Asked here before the clock's start (5 s ahead): the lead counts from the origin.
        let r = c.request("t", Command::Resume).unwrap();
        assert_eq!(r.at, Duration::from_millis(400));
        assert_eq!(c.scale_ceiling(), Some(2.0));
    }
}
