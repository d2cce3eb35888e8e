//! What one built-in threshold needs from a stretch of the run, and the measurement made on
//! it. A [`Sample`] is the threshold's selection of a `Metrics` boiled down: one merged
//! histogram for a time metric, a numerator and a denominator for a count. Samples add and
//! subtract exactly (histogram buckets and counts), so a window's sample is the exact merge
//! of its intervals' — never an average of percentiles. The whole run is judged the same way
//! on the final totals.

use loadgen_engine::{new_histogram, Histogram, Metrics, Outcome, StepInfo, StepMetrics};
use loadgen_scenario::{MetricKind, Stat, Threshold};
use std::time::Duration;

/// One threshold's selection of a stretch of the run.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// The merged histogram of a time metric (µs); `None` for counts.
    pub hist: Option<Histogram>,
    /// Errors, requests, passed checks, dropped arrivals or iterations.
    pub num: u64,
    /// What a share divides by: requests sent, answers, arrivals.
    pub den: u64,
    /// Interrupted iterations counted in `num` and `den` (`errors` only).
    pub interrupted: u64,
}

impl Sample {
    /// Nothing yet, shaped for `t` (a histogram for a time metric).
    pub fn empty(t: &Threshold) -> Sample {
        Sample {
            hist: t.metric.is_time().then(new_histogram),
            num: 0,
            den: 0,
            interrupted: 0,
        }
    }

    /// Adds `o` (exact).
    pub fn add(&mut self, o: &Sample) {
        if let (Some(a), Some(b)) = (&mut self.hist, &o.hist) {
            a.add(b).expect("histograms share one configuration");
        }
        self.num += o.num;
        self.den += o.den;
        self.interrupted += o.interrupted;
    }

    /// Takes `o` back out; `o` must have been added before (a window's oldest interval).
    /// `scratch` rebuilds `o`'s histogram from its recorded buckets.
    pub fn sub(&mut self, o: &Stored, scratch: &mut Histogram) {
        if let Some(a) = &mut self.hist {
            scratch.reset();
            for &(v, n) in &o.buckets {
                scratch
                    .record_n(v, n)
                    .expect("an auto-resizing histogram takes any value");
            }
            a.subtract(&*scratch)
                .expect("a window only takes out what it added");
        }
        self.num -= o.num;
        self.den -= o.den;
        self.interrupted -= o.interrupted;
    }
}

/// A sample kept while its interval is inside a window: the histogram as its recorded
/// buckets only (16 bytes each; an interval has a few hundred distinct buckets, where the
/// histogram itself holds every bucket up to its largest value).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// Where the interval starts (from the run's start).
    pub start: Duration,
    /// `(value, count)` of every recorded bucket.
    pub buckets: Vec<(u64, u64)>,
    /// See [`Sample`].
    pub num: u64,
    /// See [`Sample`].
    pub den: u64,
    /// See [`Sample`].
    pub interrupted: u64,
}

impl Stored {
    /// `s`, from `start`, kept small.
    pub fn of(s: &Sample, start: Duration) -> Stored {
        let mut buckets: Vec<(u64, u64)> = s.hist.as_ref().map_or_else(Vec::new, |h| {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        });
        buckets.shrink_to_fit();
        Stored {
            start,
            buckets,
            num: s.num,
            den: s.den,
            interrupted: s.interrupted,
        }
    }

    /// Bytes this entry holds (for the memory bound's test).
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.buckets.capacity() * 16
    }
}

fn selects(t: &Threshold, info: &StepInfo) -> bool {
    t.filter.step.as_ref().is_none_or(|s| *s == info.name)
        && t.filter
            .workload
            .as_ref()
            .is_none_or(|w| *w == info.workload_name)
}

pub(crate) fn selects_workload(t: &Threshold, index: usize, steps: &[StepInfo]) -> bool {
    let name = steps
        .iter()
        .find(|s| s.workload == index)
        .map(|s| s.workload_name.as_str());
    t.filter.workload.as_deref().is_none_or(|w| Some(w) == name)
        && t.filter
            .step
            .as_ref()
            .is_none_or(|s| steps.iter().any(|i| i.workload == index && i.name == *s))
}

/// Answers of `s` with `status` (kept for the answers that did not succeed).
fn with_status(s: &StepMetrics, status: u16) -> u64 {
    s.statuses
        .iter()
        .find(|(c, _)| *c == status)
        .map_or(0, |(_, n)| *n)
}

/// `t`'s selection of `m` (a built-in metric; custom metrics are judged whole-run only).
pub(crate) fn extract(t: &Threshold, m: &Metrics, steps: &[StepInfo]) -> Sample {
    let selected: Vec<&StepMetrics> = m
        .steps
        .iter()
        .zip(steps)
        .filter(|(_, i)| selects(t, i))
        .map(|(s, _)| s)
        .collect();
    let workloads: Vec<_> = m
        .workloads
        .iter()
        .enumerate()
        .filter(|(i, _)| selects_workload(t, *i, steps))
        .map(|(_, w)| w)
        .collect();
    let mut out = Sample::empty(t);
    if let Some(h) = &mut out.hist {
        for s in &selected {
            let part: Histogram = match (t.metric, t.filter.class) {
                // Kept per step for the statuses thresholds name (`latency{status=N}`).
                (MetricKind::Latency, _) if t.filter.status.is_some() => {
                    match s
                        .status_latency
                        .iter()
                        .find(|(c, _)| Some(*c) == t.filter.status)
                    {
                        Some((_, h)) => h.clone(),
                        None => continue,
                    }
                }
                (MetricKind::Latency, Some(c)) => match &s.latency[c as usize] {
                    Some(h) => (**h).clone(),
                    None => continue,
                },
                (MetricKind::Latency, None) => s.latency_all(),
                (MetricKind::ServiceTime, _) => s.service.clone(),
                (MetricKind::Ttfb, _) => s.ttfb.clone(),
                (MetricKind::Connect, _) => s.connect.clone(),
                (MetricKind::TlsHandshake, _) => s.tls.clone(),
                (MetricKind::ProxyConnect, _) => s.proxy_connect.clone(),
                _ => continue,
            };
            h.add(&part).expect("histograms share one configuration");
        }
        for w in &workloads {
            let part = match t.metric {
                MetricKind::ScheduleLag => &w.lag,
                MetricKind::IterationDuration => &w.iteration_duration,
                _ => continue,
            };
            h.add(part).expect("histograms share one configuration");
        }
        return out;
    }
    let count_of = |o: Outcome| selected.iter().map(|s| s.count(o)).sum::<u64>();
    let total: u64 = selected.iter().map(|s| s.total()).sum();
    // Cut off after the graceful stop: sent, never answered. loadgen cannot tell in which
    // step an iteration hung, so every `errors` threshold that selects its workload counts
    // it (as no class and no status: a filtered one counts it in the base only).
    let interrupted: u64 = workloads.iter().map(|w| w.interrupted).sum();
    let answered_by_filter = match (t.filter.class, t.filter.status) {
        (Some(c), _) => Some(count_of(c)),
        (None, Some(code)) => Some(selected.iter().map(|s| with_status(s, code)).sum()),
        (None, None) => None,
    };
    match t.metric {
        MetricKind::Errors => {
            out.den = total + interrupted;
            match answered_by_filter {
                Some(n) => out.num = n,
                None => {
                    out.num = selected.iter().map(|s| s.errors()).sum::<u64>() + interrupted;
                    out.interrupted = interrupted;
                }
            }
        }
        MetricKind::Requests => out.num = answered_by_filter.unwrap_or(total),
        MetricKind::Checks => {
            let ok = count_of(Outcome::Success) + count_of(Outcome::ExpectedFailure);
            out.num = ok;
            out.den = ok
                + Outcome::ALL
                    .into_iter()
                    .filter(|o| o.is_answer() && o.is_error())
                    .map(count_of)
                    .sum::<u64>();
        }
        MetricKind::Dropped => {
            let iterations: u64 = workloads.iter().map(|w| w.iterations).sum();
            out.num = workloads.iter().map(|w| w.dropped).sum();
            // Interrupted iterations arrived too: they count in the dropped share's base.
            out.den = out.num + iterations + interrupted;
        }
        _ => out.num = workloads.iter().map(|w| w.iterations).sum(),
    }
    out
}

/// The measured value of `s` over `secs` seconds, in the limit's unit, and that unit;
/// `None` when there was no sample to judge ("no data").
pub(crate) fn measure(t: &Threshold, s: &Sample, secs: f64) -> (Option<f64>, &'static str) {
    if let Some(h) = &s.hist {
        return (time_stat(h, t.stat), "ms");
    }
    let secs = secs.max(1e-9);
    // No sample, no evidence: `None` reads "no data" and fails.
    let share = (s.den > 0).then(|| s.num as f64 / s.den as f64);
    let count_over = (s.den > 0).then_some(s.num as f64);
    let n = s.num as f64;
    match (t.metric, t.stat) {
        (MetricKind::Errors | MetricKind::Checks | MetricKind::Dropped, Stat::Rate) => {
            (share, "ratio")
        }
        (MetricKind::Errors | MetricKind::Dropped, _) => (count_over, "count"),
        (MetricKind::Requests | MetricKind::Iterations, Stat::Rate) => (Some(n / secs), "/s"),
        _ => (Some(n), "count"),
    }
}

/// A time statistic in milliseconds (histograms hold microseconds); `None` when empty.
pub(crate) fn time_stat(h: &Histogram, stat: Stat) -> Option<f64> {
    if h.is_empty() {
        return None;
    }
    let us = match stat {
        Stat::Percentile(p) => h.value_at_quantile(p / 100.0) as f64,
        Stat::Med => h.value_at_quantile(0.5) as f64,
        Stat::Avg => h.mean(),
        Stat::Min => h.min() as f64,
        Stat::Max => h.max() as f64,
        Stat::Rate | Stat::Count | Stat::Value => return None,
    };
    Some(us / 1e3)
}
