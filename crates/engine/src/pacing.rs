//! The open-model dispatcher's side of paced reads ([`loadgen_pace::set`]): whether a workload paces
//! its VUs' reads, the ticks that read for them, and how long the dispatcher may sleep while
//! one waits.

use crate::model::OpenModel;
use crate::segment::Segment;
use loadgen_pace::ArrivalTimer;
use std::time::Duration;
use tokio::time::Instant;

/// Whether to pace: only where the dispatcher wakes about once per granularity anyway at the
/// workload's peak, so that ticking for waiting answers adds few wake-ups of its own, and only
/// iterations of one step. A later step is due when the one before it was answered; read at
/// the next tick, it would leave up to a granularity late, and that wait would count in its
/// latency. A granularity of zero (wake for every arrival) asks for the least lag: nothing is
/// paced.
pub(crate) fn worth_pacing(
    m: &OpenModel,
    steps: usize,
    segment: Segment,
    granularity: Duration,
) -> bool {
    if granularity.is_zero() || steps != 1 {
        return false;
    }
    let peak = peak_rate(m) / segment.count as f64;
    peak * granularity.as_secs_f64() >= 1.0
}

/// The highest rate the workload asks for, sampled every 100 ms, in 1,000 to 20,000 samples.
/// Each thread's dispatcher samples it as its workload starts, so the count is bounded (a
/// 24-hour replay is sampled every 4.3 s): a burst shorter than that may be missed, and the
/// workload left unpaced, as every workload was before.
fn peak_rate(m: &OpenModel) -> f64 {
    let secs = m.duration.as_secs_f64();
    let samples = ((secs * 10.0) as usize).clamp(1_000, 20_000);
    (0..=samples)
        .map(|i| m.rate.rate_at(secs * i as f64 / samples as f64))
        .fold(0.0, f64::max)
}

/// One dispatcher's hold on its thread's paced set; inert when the workload does not pace.
pub(crate) struct Pacing {
    #[cfg(target_os = "linux")]
    installed: Option<loadgen_pace::set::Installed>,
    granularity: Duration,
}

impl Pacing {
    pub fn new(on: bool, granularity: Duration) -> Pacing {
        #[cfg(not(target_os = "linux"))]
        let _ = on;
        Pacing {
            #[cfg(target_os = "linux")]
            installed: on
                .then(loadgen_pace::set::Installed::on_this_thread)
                .flatten(),
            granularity,
        }
    }

    /// True when sessions made now should pace their reads.
    pub fn is_on(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.installed.is_some();
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// Wakes the VUs whose answers arrived since the last tick.
    #[inline]
    pub fn tick(&self) {
        #[cfg(target_os = "linux")]
        if let Some(i) = &self.installed {
            i.pacer().tick();
        }
    }

    /// Sleeps on `timer` until `at` and returns when it woke, ticking meanwhile: at least once
    /// per granularity while a paced VU waits (and from when one starts to), and once on
    /// waking.
    pub async fn sleep_until(&self, timer: &mut ArrivalTimer, at: Instant) -> Instant {
        loop {
            // Nobody waits for an answer now: if somebody starts to, wake by a granularity.
            let waiting = self.waiting();
            let wake = match waiting {
                true => at.min(Instant::now() + self.granularity),
                false => at,
            };
            tokio::select! {
                biased;
                woke = timer.sleep_until(wake) => {
                    self.tick();
                    if woke >= at {
                        return woke;
                    }
                }
                _ = self.busy(), if !waiting => {}
            }
        }
    }

    /// True while a paced VU waits for its socket.
    fn waiting(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.installed.as_ref().is_some_and(|i| i.pacer().waiting());
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// Resolves once a paced VU waits for its socket; never when nothing is paced.
    pub async fn busy(&self) {
        #[cfg(target_os = "linux")]
        if let Some(i) = &self.installed {
            return std::future::poll_fn(|cx| i.pacer().poll_busy(cx)).await;
        }
        std::future::pending::<()>().await
    }

    /// Ticks once per granularity while a paced VU waits, and waits for one otherwise; never
    /// returns. For waits with nothing else to wake for (the end of the load, the drain).
    pub async fn keep_ticking(&self, timer: &mut ArrivalTimer) {
        loop {
            self.busy().await;
            timer.sleep_until(Instant::now() + self.granularity).await;
            self.tick();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrival::Spacing;
    use crate::model::VuOrder;
    use crate::rate::{ConstantRate, RateStage, RateStages};
    use std::sync::Arc;

    fn open(rate: Arc<dyn crate::rate::RateFn>) -> OpenModel {
        OpenModel {
            rate,
            duration: Duration::from_secs(60),
            spacing: Spacing::default(),
            max_vus: 10,
            pre_allocated_vus: 10,
            backlog: 10,
            vu_order: VuOrder::Fifo,
        }
    }

    const HALF_MS: Duration = Duration::from_micros(500);

    #[test]
    fn one_step_at_an_arrival_per_granularity_or_more_is_paced() {
        let m = open(Arc::new(ConstantRate(2_000.0)));
        assert!(worth_pacing(&m, 1, Segment::WHOLE, HALF_MS));
        let slower = open(Arc::new(ConstantRate(1_999.0)));
        assert!(!worth_pacing(&slower, 1, Segment::WHOLE, HALF_MS));
    }

    #[test]
    fn several_steps_a_zero_granularity_or_a_thread_s_small_share_are_not() {
        let m = open(Arc::new(ConstantRate(20_000.0)));
        assert!(!worth_pacing(&m, 2, Segment::WHOLE, HALF_MS));
        assert!(!worth_pacing(&m, 1, Segment::WHOLE, Duration::ZERO));
        // A fifth of 20,000/s is 4,000/s: paced; a twentieth, 1,000/s: not.
        let fifth = Segment::new(0, 5).unwrap();
        let twentieth = Segment::new(0, 20).unwrap();
        assert!(worth_pacing(&m, 1, fifth, HALF_MS));
        assert!(!worth_pacing(&m, 1, twentieth, HALF_MS));
    }

    #[test]
    fn a_ramp_is_judged_by_its_peak() {
        let ramp = RateStages {
            start: 0.0,
            stages: vec![
                RateStage {
                    duration: Duration::from_secs(30),
                    target: 5_000.0,
                },
                RateStage {
                    duration: Duration::from_secs(30),
                    target: 10.0,
                },
            ],
        };
        assert!(worth_pacing(
            &open(Arc::new(ramp)),
            1,
            Segment::WHOLE,
            HALF_MS
        ));
    }
}
