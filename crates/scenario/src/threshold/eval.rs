//! Measuring a threshold's statistic on engine metrics and judging it.

use super::{Metric, Stat, Threshold, ThresholdResult};
use loadgen_engine::{new_histogram, Histogram, Metrics, Outcome, StepInfo, StepMetrics};
use std::time::Duration;

impl Threshold {
    /// Judges this threshold on `totals` (indexed like `steps`, the plan's global step list)
    /// over a run of `elapsed`. See the module docs for the definitions and "no data fails".
    pub fn evaluate(
        &self,
        totals: &Metrics,
        steps: &[StepInfo],
        elapsed: Duration,
    ) -> ThresholdResult {
        let measured = self.measure(totals, steps, elapsed);
        ThresholdResult {
            metric: self.key.clone(),
            expression: self.expression.clone(),
            passed: measured.is_some_and(|m| self.op.holds(m, self.limit)),
            measured,
            unit: self.unit,
            measured_text: measured.map_or_else(|| "no data".to_string(), |m| self.unit.format(m)),
            limit: self.limit_text.clone(),
            abort_on_fail: self.abort_on_fail,
        }
    }

    /// The statistic in `self.unit`, or `None` when there is nothing to measure.
    pub fn measure(&self, totals: &Metrics, steps: &[StepInfo], elapsed: Duration) -> Option<f64> {
        let sel_steps: Vec<&StepMetrics> = steps
            .iter()
            .zip(&totals.steps)
            .filter(|(info, _)| self.selects_step(info))
            .map(|(_, m)| m)
            .collect();
        let mut sel_workloads: Vec<usize> = steps
            .iter()
            .filter(|info| self.selects_workload(info))
            .map(|info| info.workload)
            .collect();
        sel_workloads.dedup();
        let workloads = sel_workloads
            .iter()
            .filter_map(|&w| totals.workloads.get(w));
        let sum_steps =
            |f: &dyn Fn(&StepMetrics) -> u64| sel_steps.iter().map(|s| f(s)).sum::<u64>();
        let per_second = |n: u64| (!elapsed.is_zero()).then(|| n as f64 / elapsed.as_secs_f64());
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);

        match self.metric {
            Metric::Latency => {
                time_stat(self.stat, &merge(sel_steps.iter().map(|s| s.latency_all())))
            }
            Metric::ServiceTime => time_stat(
                self.stat,
                &merge(sel_steps.iter().map(|s| s.service.clone())),
            ),
            Metric::Ttfb => time_stat(self.stat, &merge(sel_steps.iter().map(|s| s.ttfb.clone()))),
            Metric::Connect => time_stat(
                self.stat,
                &merge(sel_steps.iter().map(|s| s.connect.clone())),
            ),
            Metric::ScheduleLag => time_stat(self.stat, &merge(workloads.map(|w| w.lag.clone()))),
            Metric::Errors => {
                let errors = sum_steps(&StepMetrics::errors);
                match self.stat {
                    Stat::Count => Some(errors as f64),
                    _ => ratio(errors, sum_steps(&StepMetrics::total)),
                }
            }
            Metric::Requests => {
                let total = sum_steps(&StepMetrics::total);
                match self.stat {
                    Stat::Count => Some(total as f64),
                    _ => per_second(total),
                }
            }
            Metric::Checks => {
                let passed =
                    sum_steps(&|s| s.count(Outcome::Success) + s.count(Outcome::ExpectedFailure));
                let failed = sum_steps(&|s| {
                    [
                        Outcome::CheckFailed,
                        Outcome::Http4xx,
                        Outcome::Http5xx,
                        Outcome::HttpOther,
                    ]
                    .iter()
                    .map(|o| s.count(*o))
                    .sum()
                });
                ratio(passed, passed + failed)
            }
            Metric::Dropped => {
                let (mut dropped, mut arrivals) = (0, 0);
                for w in workloads {
                    dropped += w.dropped;
                    arrivals += w.dropped + w.iterations + w.interrupted;
                }
                match self.stat {
                    Stat::Count => Some(dropped as f64),
                    _ => ratio(dropped, arrivals),
                }
            }
            Metric::Iterations => {
                let n: u64 = workloads.map(|w| w.iterations).sum();
                match self.stat {
                    Stat::Count => Some(n as f64),
                    _ => per_second(n),
                }
            }
        }
    }

    fn selects_workload(&self, info: &StepInfo) -> bool {
        self.filter
            .workload
            .as_ref()
            .is_none_or(|w| *w == info.workload_name)
    }

    fn selects_step(&self, info: &StepInfo) -> bool {
        self.selects_workload(info) && self.filter.step.as_ref().is_none_or(|s| *s == info.name)
    }
}

fn merge(parts: impl Iterator<Item = Histogram>) -> Histogram {
    let mut h = new_histogram();
    for part in parts {
        // Every engine histogram shares one configuration; a failure would only lose data.
        let _ = h.add(&part);
    }
    h
}

/// A time statistic in milliseconds; `None` over no samples.
pub(crate) fn time_stat(stat: Stat, h: &Histogram) -> Option<f64> {
    if h.is_empty() {
        return None;
    }
    let micros = match stat {
        Stat::Percentile(q) => h.value_at_quantile(q / 100.0) as f64,
        Stat::Med => h.value_at_quantile(0.5) as f64,
        Stat::Avg => h.mean(),
        Stat::Min => h.min() as f64,
        Stat::Max => h.max() as f64,
        Stat::Rate | Stat::Count => return None,
    };
    Some(micros / 1000.0)
}
