//! A per-VU request deadline: one timer, armed once and re-armed only when it goes off.
//!
//! `tokio::time::timeout_at` registers a fresh timer entry per request and removes it
//! afterwards, each time under the time driver's lock. A VU's deadlines only move later
//! (each is its request's send instant plus the same timeout), so this keeps one timer and
//! leaves it at an *earlier* deadline while requests come and go: when it goes off, it is
//! checked against the current request's deadline and, if that lies further ahead, re-armed
//! there. The timer is touched about once per timeout period instead of twice per request.
//! Semantics are `timeout_at`'s: the future is polled first, and the deadline wins only while
//! the future is still pending at (or after) the deadline.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use tokio::time::{sleep_until, Instant, Sleep};

/// One VU's deadline timer, armed on first use.
#[derive(Default)]
pub(crate) struct Deadline(Option<Pin<Box<Sleep>>>);

impl Deadline {
    /// Runs `fut` until `at`: `None` when the deadline passed first. Takes the future
    /// pinned where the caller made it, so a large request future is never moved.
    pub(crate) async fn run<F: Future>(
        &mut self,
        at: Instant,
        mut fut: Pin<&mut F>,
    ) -> Option<F::Output> {
        let sleep = match &mut self.0 {
            Some(sleep) => {
                if sleep.deadline() > at {
                    sleep.as_mut().reset(at);
                }
                sleep
            }
            None => self.0.insert(Box::pin(sleep_until(at))),
        };
        poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            loop {
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) if sleep.deadline() >= at => return Poll::Ready(None),
                    // An earlier request's deadline: move on to this one's.
                    Poll::Ready(()) => sleep.as_mut().reset(at),
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::time::Duration;
    use tokio::time::sleep;

    // Real time (this crate's examples are benchmarks, built without tokio's test clock):
    // deadlines are 100 ms apart from what they race, far beyond timer slack.
    #[tokio::test]
    async fn the_deadline_is_rearmed_for_every_run() {
        let ms = Duration::from_millis;
        let mut d = Deadline::default();
        let start = Instant::now();
        assert_eq!(d.run(start + ms(100), pin!(async { 1 })).await, Some(1));
        assert_eq!(d.run(start + ms(100), pin!(sleep(ms(200)))).await, None);
        let took = start.elapsed();
        assert!(took >= ms(100) && took < ms(200), "{took:?}");
        // The timer is left at the old deadline; a later one still lets a slower future win.
        let at = Instant::now() + ms(300);
        assert_eq!(d.run(at, pin!(sleep(ms(200)))).await, Some(()));
        // ...and still fires, at the new deadline, not the old one.
        let at = Instant::now() + ms(200);
        assert_eq!(d.run(at, pin!(sleep(ms(300)))).await, None);
        let late = Instant::now().saturating_duration_since(at);
        assert!(Instant::now() >= at && late < ms(100), "{late:?}");
        // An earlier deadline than the armed one is honoured too.
        let long = Instant::now() + ms(5000);
        assert_eq!(d.run(long, pin!(async { 2 })).await, Some(2));
        let early = Instant::now() + ms(100);
        assert_eq!(d.run(early, pin!(sleep(ms(1000)))).await, None);
        assert!(Instant::now() >= early);
    }
}
