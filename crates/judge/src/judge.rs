//! Thresholds judged on the interval stream rather than on the final totals: those with a
//! window (`over D`, `for D`) or a `from` instant. The results sink feeds every interval of
//! a run, a merge or the coordinator's merged run here, so the three judge alike; the
//! `abort_on_fail` check keeps its own for the thresholds that may stop a run.
//!
//! Memory per threshold: `over D` holds at most ⌈D / interval⌉ + 1 intervals' recorded
//! buckets and counts plus one running sample; `for D` two samples; a whole-run threshold
//! with `from` one `Metrics` (as big as one interval's). None grows with the run's length.

use crate::evaluate::{evaluate, result, ThresholdResult};
use crate::sample::{extract, measure, Sample};
use crate::window::{For, Judged, Over, Standing, WorstWindow};
use loadgen_engine::{CustomInfo, GaugeMerge, IntervalReport, Metrics, StepInfo};
use loadgen_scenario::{Threshold, WindowKind};
use std::time::Duration;

/// Intervals starting this close before `from` count as starting at it.
const EPS: Duration = Duration::from_micros(500);

enum Tracker {
    /// The whole run from `from` on.
    From {
        totals: Metrics,
        secs: Duration,
    },
    Over(Box<Over>),
    For(Box<For>),
}

/// The interval-judged thresholds of a run.
pub struct Windows {
    items: Vec<(Threshold, Tracker)>,
    steps: Vec<StepInfo>,
    custom: Vec<CustomInfo>,
}

impl Windows {
    /// Tracks those of `thresholds` that are not judged on the whole run's totals.
    pub fn new<'t>(
        thresholds: impl IntoIterator<Item = &'t Threshold>,
        steps: &[StepInfo],
        custom: &[CustomInfo],
    ) -> Windows {
        let items = thresholds
            .into_iter()
            .filter(|t| !t.is_whole_run())
            .map(|t| {
                let tracker = match t.window {
                    None => Tracker::From {
                        totals: Metrics::default(),
                        secs: Duration::ZERO,
                    },
                    Some(w) if w.kind == WindowKind::Over => {
                        Tracker::Over(Box::new(Over::new(t, w.length)))
                    }
                    Some(w) => Tracker::For(Box::new(For::new(w.length))),
                };
                (t.clone(), tracker)
            })
            .collect();
        Windows {
            items,
            steps: steps.to_vec(),
            custom: custom.to_vec(),
        }
    }

    /// Nothing to track.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Intervals held in the running windows of every `over` threshold now: at most
    /// ⌈D / interval⌉ + 1 each, whatever the run's length (`for` and `from` hold none).
    pub fn held_intervals(&self) -> usize {
        self.items
            .iter()
            .map(|(_, t)| match t {
                Tracker::Over(w) => w.held_intervals(),
                Tracker::For(_) | Tracker::From { .. } => 0,
            })
            .sum()
    }

    /// One interval. With `live`, returns the first threshold it broke (past its
    /// `delay_abort_eval`), as `key: expression (measured …)`.
    pub fn interval(&mut self, r: &IntervalReport, live: bool) -> Option<String> {
        let (start, end) = (r.start, r.start + r.length);
        let mut breach = None;
        for (t, tracker) in &mut self.items {
            if start + EPS < t.from {
                continue;
            }
            let broke: Option<ThresholdResult> = match tracker {
                Tracker::From { totals, secs } => {
                    totals.add(&r.metrics, GaugeMerge::Max);
                    *secs += r.length;
                    live.then(|| evaluate(t, totals, &self.steps, &self.custom, *secs))
                        .filter(|res| !res.passed && res.measured.is_some())
                }
                Tracker::Over(w) => {
                    let s = extract(t, &r.metrics, &self.steps);
                    w.push(t, start, end, &s)
                        .map(|j| windowed(t, &one(j), j.end - j.start))
                }
                Tracker::For(w) => {
                    let s = extract(t, &r.metrics, &self.steps);
                    w.push(t, start, end, &s).map(|j| {
                        let st = Standing {
                            worst: Some(j),
                            failed: true,
                            broken: j.end - j.start,
                        };
                        windowed(t, &st, j.end - j.start)
                    })
                }
            };
            if let Some(res) = broke.filter(|_| live && end >= t.delay_abort_eval) {
                breach.get_or_insert_with(|| res.to_string());
            }
        }
        breach
    }

    /// The results of the tracked thresholds, for [`Windows::result`].
    pub fn finish(self) -> Vec<ThresholdResult> {
        let (steps, custom) = (self.steps, self.custom);
        self.items
            .into_iter()
            .map(|(t, tracker)| match tracker {
                Tracker::From { totals, secs } => evaluate(&t, &totals, &steps, &custom, secs),
                Tracker::Over(w) => {
                    let st = w.finish(&t);
                    windowed(&t, &st, Duration::ZERO)
                }
                Tracker::For(w) => {
                    let st = w.finish();
                    windowed(&t, &st, st.broken)
                }
            })
            .collect()
    }
}

fn one(j: Judged) -> Standing {
    Standing {
        worst: Some(j),
        failed: !j.holds,
        broken: Duration::ZERO,
    }
}

/// A windowed threshold's result from where its window stands.
fn windowed(t: &Threshold, st: &Standing, broken: Duration) -> ThresholdResult {
    let unit = measure(t, &Sample::empty(t), 1.0).1;
    let mut res = result(t, (st.worst.map(|w| w.value), unit));
    res.passed = st.worst.is_some() && !st.failed;
    res.window = match (t.window, st.worst) {
        (Some(w), Some(j)) => Some(WorstWindow {
            kind: w.kind,
            length_s: w.length.as_secs_f64(),
            start_s: j.start.as_secs_f64(),
            end_s: j.end.as_secs_f64(),
            broken_s: broken.as_secs_f64(),
        }),
        _ => None,
    };
    res
}

/// Takes the result of `t` out of `done` (the tracked thresholds' results, in their order).
pub fn take(done: &mut Vec<ThresholdResult>, t: &Threshold) -> Option<ThresholdResult> {
    let i = done
        .iter()
        .position(|r| r.key == t.key && r.expression == t.expression)?;
    Some(done.remove(i))
}
