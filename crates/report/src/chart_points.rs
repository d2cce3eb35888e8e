//! The points of `report.html`'s charts, in memory that does not grow with the run's length:
//! at most [`MAX_POINTS`] per series for the planned length. A point covers `stride`
//! adjacent intervals, merged exactly — the intervals' metrics added as a run's totals are
//! (counts and VU·time areas added, HDR histograms merged) and the point's percentiles read
//! from the merge, never averaged. The stride comes from the planned number of intervals
//! ([`ReportData::expect_intervals`]); a run that goes on past it doubles the stride of later
//! points each time another [`MAX_POINTS`] have been drawn, so the page stays bounded either
//! way. Each step's whole-run latency histogram is kept for the distribution chart.

use crate::charts::{step_cells, workload_cells, ChartPoint};
use loadgen_engine::{new_histogram, Histogram, IntervalReport, Outcome, WorkloadMetrics};
use std::time::Duration;

/// Most points per series for a run's planned length.
pub const MAX_POINTS: u64 = 2000;

/// Collects what the report needs while the run goes on: the chart points and each step's
/// latency histogram (a few KiB each; memory grows with neither requests nor time).
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The points drawn so far.
    pub points: Vec<ChartPoint>,
    /// All latencies, per step.
    pub latency: Vec<Histogram>,
    stride: u64,
    at_stride: u64,
    /// The intervals of the point being built, merged.
    pending: Option<Pending>,
}

/// The intervals of one point, merged: per step its counts per class and its latency, per
/// workload what its cells read (no other histogram: a point costs a latency merge per step).
#[derive(Debug, Clone)]
struct Pending {
    start: Duration,
    length: Duration,
    intervals: u64,
    steps: Vec<([u64; Outcome::COUNT], Histogram)>,
    workloads: Vec<WorkloadMetrics>,
}

impl Pending {
    fn add(&mut self, r: &IntervalReport) {
        self.length += r.length;
        self.intervals += 1;
        let m = &r.metrics;
        self.steps
            .resize_with(m.steps.len(), || ([0; Outcome::COUNT], new_histogram()));
        for ((counts, h), s) in self.steps.iter_mut().zip(&m.steps) {
            for (c, n) in counts.iter_mut().zip(&s.counts) {
                *c += n;
            }
            for l in s.latency.iter().flatten() {
                h.add(&**l).expect("histograms share one configuration");
            }
        }
        self.workloads
            .resize_with(m.workloads.len(), WorkloadMetrics::default);
        for (a, b) in self.workloads.iter_mut().zip(&m.workloads) {
            a.busy_vu_ns = a.busy_vu_ns.saturating_add(b.busy_vu_ns);
            a.online_vu_ns = a.online_vu_ns.saturating_add(b.online_vu_ns);
            a.dropped += b.dropped;
            a.queued += b.queued;
            a.skipped_paused += b.skipped_paused;
            a.peak_active_vus = a.peak_active_vus.max(b.peak_active_vus);
            a.lag
                .add(&b.lag)
                .expect("histograms share one configuration");
        }
    }

    fn point(&self) -> ChartPoint {
        let (steps, classes) = self.steps.iter().map(|(c, h)| step_cells(c, h)).unzip();
        let w = self.workloads.iter();
        ChartPoint {
            start: self.start.as_secs_f64(),
            length: self.length.as_secs_f64(),
            steps,
            classes,
            workloads: w.map(|w| workload_cells(w, self.length)).collect(),
        }
    }
}

impl Default for ReportData {
    fn default() -> Self {
        ReportData {
            points: Vec::new(),
            latency: Vec::new(),
            stride: 1,
            at_stride: 0,
            pending: None,
        }
    }
}

impl ReportData {
    /// The run is planned to write about `intervals` intervals: each point covers enough of
    /// them to keep the page at [`MAX_POINTS`] per series. Call before the first interval.
    pub fn expect_intervals(&mut self, intervals: u64) {
        self.stride = intervals.div_ceil(MAX_POINTS).max(1);
    }

    /// Intervals per point (for tests and the page's caption).
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// Adds one interval.
    pub fn interval(&mut self, r: &IntervalReport) {
        let steps = &r.metrics.steps;
        if self.latency.len() < steps.len() {
            self.latency.resize_with(steps.len(), new_histogram);
        }
        for (h, s) in self.latency.iter_mut().zip(steps) {
            for l in s.latency.iter().flatten() {
                h.add(&**l).expect("histograms share one configuration");
            }
        }
        // Every row spans real load (the last one is as long as the load lasted into it), so
        // its rate is true; only an empty span has none.
        if r.length.is_zero() {
            return;
        }
        let p = self.pending.get_or_insert_with(|| Pending {
            start: r.start,
            length: Duration::ZERO,
            intervals: 0,
            steps: Vec::new(),
            workloads: Vec::new(),
        });
        p.add(r);
        if p.intervals >= self.stride {
            self.flush();
        }
    }

    /// Draws the point being built, if any (the end of the run draws a partial one).
    pub fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        self.points.push(p.point());
        self.at_stride += 1;
        if self.at_stride >= MAX_POINTS {
            // Past the planned length: later points cover twice as many intervals.
            self.stride *= 2;
            self.at_stride = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen_engine::{Metrics, Outcome};
    use std::time::Duration;

    /// Interval `k` of a synthetic run: `k % 7 + 1` requests of latency `k % 1000` ms, one
    /// of them a timeout when `k` is even.
    fn interval(k: u64) -> IntervalReport {
        let mut metrics = Metrics::new(1, 1);
        for i in 0..k % 7 + 1 {
            let l = Duration::from_millis(k % 1000 + 1);
            let o = if i == 0 && k % 2 == 0 {
                Outcome::Timeout
            } else {
                Outcome::Success
            };
            metrics.steps[0].record(o, l, l, None, None);
        }
        IntervalReport {
            index: k,
            start: Duration::from_secs(k),
            length: Duration::from_secs(1),
            metrics,
        }
    }

    #[test]
    fn a_long_run_draws_at_most_max_points_each_merged_exactly() {
        // Over 2,000 intervals: three per point (48 h at 1 s is 87 per point, alike).
        let n = 4100;
        let mut d = ReportData::default();
        d.expect_intervals(n);
        let stride = d.stride();
        assert_eq!(stride, n.div_ceil(MAX_POINTS));
        for k in 0..n {
            d.interval(&interval(k));
        }
        d.flush();
        assert!(d.points.len() as u64 <= MAX_POINTS, "{}", d.points.len());
        // Point 17's p99 is that of its intervals' histograms merged, not an average of theirs.
        let mut h = new_histogram();
        let (mut requests, mut timeouts) = (0, 0);
        for k in 17 * stride..18 * stride {
            let r = interval(k);
            h.add(r.metrics.steps[0].latency_all()).unwrap();
            requests += r.metrics.total_requests();
            timeouts += r.metrics.steps[0].count(Outcome::Timeout);
        }
        let p = &d.points[17];
        assert_eq!(p.steps[0][5], h.value_at_quantile(0.99) as f64 / 1e3);
        assert_eq!(p.steps[0][0], requests as f64);
        assert_eq!(p.classes[0], [(Outcome::Timeout as u8, timeouts)]);
        assert_eq!((p.start, p.length), ((17 * stride) as f64, stride as f64));
        let all: u64 = (0..n).map(|k| interval(k).metrics.total_requests()).sum();
        assert_eq!(
            d.latency[0].len(),
            all,
            "the distribution has every request"
        );
    }

    #[test]
    fn a_run_past_its_planned_length_stays_bounded() {
        let mut d = ReportData::default();
        d.expect_intervals(100);
        for k in 0..5000 {
            d.interval(&interval(k));
        }
        d.flush();
        // 2,000 points of one interval, then points of two: 3,500 for 5,000 intervals.
        assert_eq!(d.points.len(), 3500);
        assert_eq!(d.points[2000].start + d.points[2000].length, 2002.0);
        assert!(d.points.windows(2).all(|w| w[0].start < w[1].start));
    }
}
