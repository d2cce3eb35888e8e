//! Sub-millisecond waits for the open model's dispatcher ([`ArrivalTimer`]).
//!
//! tokio's timer wheel ticks once a millisecond and rounds every deadline up to the next
//! tick, so an arrival released by `sleep_until` starts up to a millisecond late (about
//! 0.9 ms at the median when the thread is otherwise idle). That lateness is measured and
//! reported as schedule lag, but it shifts every request of an open-model run. On Linux the
//! dispatcher instead arms one `timerfd` (nanosecond resolution) for its next due arrival
//! and waits for it through tokio's reactor, which wakes the thread within microseconds.
//!
//! Cost: one `timerfd_settime` and one `read` per wait, and only when the dispatcher is
//! ahead of its schedule; a thread that is behind releases due arrivals without waiting and
//! without a system call. Where a timerfd cannot be had (another OS, or the kernel refuses
//! one), waits fall back to tokio's timer.

use std::time::Duration;
use tokio::time::Instant;

/// One dispatcher's timer. Not shared: each wait re-arms it.
pub struct ArrivalTimer {
    #[cfg(target_os = "linux")]
    fd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
    /// Shortest time between two wakes (`loadgen-engine`'s `RunOptions::arrival_granularity`).
    granularity: Duration,
    /// The timer does not fire again before this.
    not_before: Instant,
}

impl ArrivalTimer {
    /// A timer for the current thread's reactor (call inside the runtime) that wakes at most
    /// once per `granularity`.
    pub fn new(granularity: Duration) -> Self {
        ArrivalTimer {
            #[cfg(target_os = "linux")]
            fd: if clock_is_paused() {
                None
            } else {
                linux::create()
            },
            granularity,
            not_before: Instant::now(),
        }
    }

    /// Returns at or soon after `at` (never before), with the instant it woke at.
    pub async fn sleep_until(&mut self, at: Instant) -> Instant {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.fd {
            if linux::sleep_until(fd, at.max(self.not_before))
                .await
                .is_ok()
            {
                let now = Instant::now();
                self.not_before = now + self.granularity;
                return now;
            }
            self.fd = None;
        }
        tokio::time::sleep_until(at).await;
        Instant::now()
    }
}

/// True under tokio's paused test clock, which only tokio's own timers advance: a real
/// timer would wait in real time for a deadline the frozen clock never reaches.
#[cfg(target_os = "linux")]
fn clock_is_paused() -> bool {
    let before = Instant::now();
    std::thread::sleep(Duration::from_micros(1));
    Instant::now() == before
}

#[cfg(target_os = "linux")]
mod linux {
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use std::io;
    use std::os::fd::OwnedFd;
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;
    use tokio::time::Instant;

    #[allow(unsafe_code)]
    pub(super) fn create() -> Option<AsyncFd<OwnedFd>> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )
        .ok()?;
        // SAFETY: an `OwnedFd` is open for as long as it is owned and always returns the
        // same descriptor, and the `AsyncFd` owns it until it is dropped.
        unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()
    }

    pub(super) async fn sleep_until(fd: &AsyncFd<OwnedFd>, at: Instant) -> io::Result<()> {
        loop {
            let now = Instant::now();
            if at <= now {
                return Ok(());
            }
            // Relative to the moment of the call, which is after `now`: it cannot fire early.
            // (Re-arming also resets the expiry count, so an old expiry is never read.)
            let wait = at - now;
            let spec = Itimerspec {
                it_interval: Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: Timespec {
                    tv_sec: wait.as_secs() as _,
                    // A zero value would disarm the timer.
                    tv_nsec: wait.subsec_nanos().max(1) as _,
                },
            };
            timerfd_settime(fd.get_ref(), TimerfdTimerFlags::empty(), &spec)?;
            loop {
                let mut guard = fd.readable().await?;
                let mut count = [0u8; 8];
                match rustix::io::read(fd.get_ref(), &mut count) {
                    Ok(_) => break,
                    Err(rustix::io::Errno::AGAIN) => guard.clear_ready(),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_returns_before_the_deadline() {
        let mut timer = ArrivalTimer::new(Duration::ZERO);
        for micros in [0u64, 1, 50, 300, 1_500] {
            let at = Instant::now() + Duration::from_micros(micros);
            timer.sleep_until(at).await;
            assert!(Instant::now() >= at, "woke before a {micros} µs deadline");
        }
        // A deadline in the past returns at once, twice in a row (no stale readiness).
        let past = Instant::now();
        timer.sleep_until(past).await;
        timer.sleep_until(past).await;
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_gets_a_timerfd() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { assert!(ArrivalTimer::new(Duration::ZERO).fd.is_some()) });
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(start_paused = true)]
    async fn a_paused_clock_uses_tokio_timers() {
        let mut timer = ArrivalTimer::new(Duration::ZERO);
        assert!(timer.fd.is_none());
        let at = Instant::now() + Duration::from_secs(3600);
        timer.sleep_until(at).await;
        assert!(Instant::now() >= at);
    }
}
