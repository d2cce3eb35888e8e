//! The points of `report.html`'s charts, in memory that does not grow with the run's length:
//! at most [`MAX_POINTS`] per series for the planned length. A point covers `stride`
//! adjacent intervals, merged exactly — counts and VU·time areas added, latency HDR
//! histograms merged and its percentiles read from the merge, never averaged. The stride
//! comes from the planned number of intervals ([`ReportData::expect_intervals`]); a run that
//! goes on past it doubles the stride of later points each time another [`MAX_POINTS`] have
//! been drawn, so the page stays bounded either way.

use loadgen_engine::{new_histogram, Histogram, IntervalReport};
use std::time::Duration;

/// Most points per series for a run's planned length.
pub const MAX_POINTS: u64 = 2000;

/// One point of the charts: one interval, or `stride` of them merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// End of the span (s).
    pub t: f64,
    /// Requests per second.
    pub rate: f64,
    /// Errors per second.
    pub errors: f64,
    /// Latency percentiles (ms).
    pub p50: f64,
    /// 90th.
    pub p90: f64,
    /// 99th.
    pub p99: f64,
    /// Busy VUs, time-weighted mean over the span.
    pub busy_vus: f64,
    /// Most VUs busy at once in any interval of the span (sum of the threads' peaks).
    pub peak_busy_vus: f64,
    /// Online VUs, time-weighted mean over the span.
    pub online_vus: f64,
}

/// Intervals gathered for the point being built.
#[derive(Debug, Clone)]
struct Pending {
    intervals: u64,
    end: Duration,
    length: Duration,
    requests: u64,
    errors: u64,
    busy_area: f64,
    online_area: f64,
    peak_busy: f64,
    latency: Histogram,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            intervals: 0,
            end: Duration::ZERO,
            length: Duration::ZERO,
            requests: 0,
            errors: 0,
            busy_area: 0.0,
            online_area: 0.0,
            peak_busy: 0.0,
            latency: new_histogram(),
        }
    }
}

/// Collects what the report needs while the run goes on: the chart points and the merged
/// latency histogram (a few KiB each; memory grows with neither requests nor time).
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The points drawn so far.
    pub points: Vec<Point>,
    /// All latencies.
    pub latency: Histogram,
    stride: u64,
    at_stride: u64,
    pending: Pending,
}

impl Default for ReportData {
    fn default() -> Self {
        ReportData {
            points: Vec::new(),
            latency: new_histogram(),
            stride: 1,
            at_stride: 0,
            pending: Pending::default(),
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
        let m = &r.metrics;
        let mut h = new_histogram();
        for s in &m.steps {
            h.add(s.latency_all())
                .expect("histograms share one configuration");
        }
        self.latency
            .add(&h)
            .expect("histograms share one configuration");
        // Every row spans real load (the last one is as long as the load lasted into it), so
        // its rate is true; only an empty span has none.
        if r.length.is_zero() {
            return;
        }
        let p = &mut self.pending;
        p.intervals += 1;
        p.end = r.start + r.length;
        p.length += r.length;
        p.requests += m.total_requests();
        p.errors += m.total_errors();
        let secs = r.length.as_secs_f64();
        p.busy_area += m.mean_active_vus(r.length) * secs;
        p.online_area += m.mean_online_vus(r.length) * secs;
        let peak = m.workloads.iter().map(|w| w.peak_active_vus).sum::<u64>() as f64;
        p.peak_busy = p.peak_busy.max(peak);
        p.latency
            .add(&h)
            .expect("histograms share one configuration");
        if p.intervals >= self.stride {
            self.flush();
        }
    }

    /// Draws the point being built, if any (the end of the run draws a partial one).
    pub fn flush(&mut self) {
        let p = std::mem::take(&mut self.pending);
        if p.intervals == 0 {
            return;
        }
        let secs = p.length.as_secs_f64();
        let q = |x: f64| {
            if p.latency.is_empty() {
                0.0
            } else {
                p.latency.value_at_quantile(x) as f64 / 1e3
            }
        };
        self.points.push(Point {
            t: p.end.as_secs_f64(),
            rate: p.requests as f64 / secs,
            errors: p.errors as f64 / secs,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            busy_vus: p.busy_area / secs,
            peak_busy_vus: p.peak_busy,
            online_vus: p.online_area / secs,
        });
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

    /// Interval `k` of a synthetic run: `k % 7 + 1` requests of latency `k % 1000` ms.
    fn interval(k: u64) -> IntervalReport {
        let mut metrics = Metrics::new(1, 1);
        for _ in 0..k % 7 + 1 {
            let l = Duration::from_millis(k % 1000 + 1);
            metrics.steps[0].record(Outcome::Success, l, l, None, None);
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
        let mut requests = 0;
        for k in 17 * stride..18 * stride {
            let r = interval(k);
            h.add(r.metrics.steps[0].latency_all()).unwrap();
            requests += r.metrics.total_requests();
        }
        let p = d.points[17];
        assert_eq!(p.p99, h.value_at_quantile(0.99) as f64 / 1e3);
        assert_eq!(p.rate, requests as f64 / stride as f64);
        assert_eq!(p.t, (18 * stride) as f64);
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
        assert_eq!(d.points[2000].t, 2002.0);
        assert!(d.points.windows(2).all(|w| w[0].t < w[1].t));
    }
}
