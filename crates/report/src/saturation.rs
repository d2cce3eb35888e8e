//! Is the generator itself the limit? Schedule lag, exhausted VU pools and pinned worker
//! threads say the numbers describe loadgen, not the target; the verdict says so instead of
//! blaming the target (or passing it on evidence that was never measured).

use loadgen_engine::{IntervalReport, Metrics};
use serde::Serialize;
use std::time::Duration;

/// Schedule lag p99 above this means arrivals left late because loadgen was busy.
pub const LAG_P99_LIMIT: Duration = Duration::from_millis(25);
/// A worker thread busier than this share of the run had no headroom left.
pub const CPU_BUSY_LIMIT: f64 = 0.9;

/// What the process measured about itself (the CLI reads it from the OS).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratorStats {
    /// Worker threads of the engine.
    pub threads: usize,
    /// CPU seconds (user + system) each worker thread used.
    pub worker_cpu_seconds: Vec<f64>,
    /// CPU seconds of the whole process (the embedded target included, when there is one).
    pub process_cpu_seconds: f64,
    /// Peak resident memory of the process, bytes.
    pub peak_rss_bytes: u64,
    /// Open file descriptors at the end.
    pub open_fds: u64,
    /// Seconds worker threads waited for the results thread, all together (it was a whole
    /// backlog of intervals behind; see `loadgen_engine::BACKLOG_PER_THREAD`).
    pub results_wait_seconds: f64,
}

/// The `generator` section of `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GeneratorSummary {
    /// Worker threads.
    pub threads: usize,
    /// CPU seconds used by the worker threads together.
    pub worker_cpu_seconds: f64,
    /// Busiest worker thread's CPU time over the run's length (0..1).
    pub busiest_worker: f64,
    /// CPU seconds of the whole process.
    pub process_cpu_seconds: f64,
    /// Peak resident memory, MiB.
    pub peak_rss_mib: f64,
    /// Open file descriptors at the end of the run.
    pub open_fds: u64,
    /// True when the generator, not the target, was the limit: the numbers are not trustworthy.
    pub saturated: bool,
    /// Why, in words (empty when not saturated).
    pub reasons: Vec<String>,
}

impl GeneratorSummary {
    /// The generator line of `summary.txt` and `report.html`. A summary assembled from other
    /// processes' parts (`merge`, `report`, the coordinator) measured no generator of its
    /// own: it says so instead of printing zeros.
    pub fn line(&self) -> String {
        if self.threads == 0 {
            return "generator: not measured here (assembled from parts; each part's own \
                    summary holds its generator's figures)"
                .to_string();
        }
        format!(
            "generator: {} thread(s), {:.2} CPU-s in workers (busiest {:.0}%), peak RSS {:.1} MiB, {} open files",
            self.threads,
            self.worker_cpu_seconds,
            self.busiest_worker * 100.0,
            self.peak_rss_mib,
            self.open_fds
        )
    }

    /// Judges a finished run.
    pub fn judge(totals: &Metrics, stats: &GeneratorStats, elapsed: Duration) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let busiest = stats
            .worker_cpu_seconds
            .iter()
            .fold(0.0f64, |a, b| a.max(*b))
            / secs;
        let mut reasons = pressure(totals);
        if busiest > CPU_BUSY_LIMIT {
            reasons.push(format!(
                "a worker thread was busy {:.0}% of the run: add --threads or machines",
                busiest * 100.0
            ));
        }
        if stats.results_wait_seconds > 0.0 {
            reasons.push(format!(
                "worker threads waited {:.3}s for the results thread, {} intervals behind (a slow disk or sink, or a debug build at short intervals): the schedule was held back",
                stats.results_wait_seconds,
                loadgen_engine::BACKLOG_PER_THREAD
            ));
        }
        GeneratorSummary {
            threads: stats.threads,
            worker_cpu_seconds: round3(stats.worker_cpu_seconds.iter().sum()),
            busiest_worker: round3(busiest.min(1.0)),
            process_cpu_seconds: round3(stats.process_cpu_seconds),
            peak_rss_mib: round3(stats.peak_rss_bytes as f64 / (1 << 20) as f64),
            open_fds: stats.open_fds,
            saturated: !reasons.is_empty(),
            reasons,
        }
    }
}

/// Signs of saturation in `m` (an interval or the whole run): late arrivals, dropped ones.
pub fn pressure(m: &Metrics) -> Vec<String> {
    let mut reasons = Vec::new();
    let mut lag = loadgen_engine::new_histogram();
    for w in &m.workloads {
        let _ = lag.add(&w.lag);
    }
    if !lag.is_empty() {
        let p99 = Duration::from_micros(lag.value_at_quantile(0.99));
        if p99 > LAG_P99_LIMIT {
            reasons.push(format!(
                "schedule lag p99 {:.1}ms (over {}ms): arrivals left late because loadgen was busy",
                p99.as_secs_f64() * 1e3,
                LAG_P99_LIMIT.as_millis()
            ));
        }
    }
    let dropped = m.total_dropped();
    if dropped > 0 {
        reasons.push(format!(
            "{dropped} arrivals dropped: every VU was busy and the backlog full (raise max_vus or backlog, or the target is too slow for this rate)"
        ));
    }
    reasons
}

/// A short live warning for an interval, if it shows saturation.
pub fn live_warning(r: &IntervalReport) -> Option<String> {
    let reasons = pressure(&r.metrics);
    (!reasons.is_empty()).then(|| format!("generator saturated: {}", reasons.join("; ")))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_assembled_from_parts_says_its_generator_was_not_measured() {
        let m = Metrics::new(0, 1);
        let assembled = GeneratorSummary::judge(&m, &GeneratorStats::default(), Duration::ZERO);
        assert!(
            assembled.line().contains("not measured here"),
            "{}",
            assembled.line()
        );
        let stats = GeneratorStats {
            threads: 2,
            worker_cpu_seconds: vec![1.0, 0.5],
            peak_rss_bytes: 3 << 20,
            ..GeneratorStats::default()
        };
        let measured = GeneratorSummary::judge(&m, &stats, Duration::from_secs(10));
        assert_eq!(
            measured.line(),
            "generator: 2 thread(s), 1.50 CPU-s in workers (busiest 10%), peak RSS 3.0 MiB, 0 open files"
        );
    }

    #[test]
    fn lag_drops_and_busy_threads_each_saturate() {
        let mut m = Metrics::new(0, 1);
        let stats = GeneratorStats {
            threads: 1,
            worker_cpu_seconds: vec![1.0],
            ..GeneratorStats::default()
        };
        let quiet = GeneratorSummary::judge(&m, &stats, Duration::from_secs(10));
        assert!(!quiet.saturated && quiet.reasons.is_empty(), "{quiet:?}");
        assert!((quiet.busiest_worker - 0.1).abs() < 1e-9);

        for _ in 0..100 {
            m.workloads[0].lag.record(30_000).unwrap();
        }
        let late = GeneratorSummary::judge(&m, &stats, Duration::from_secs(10));
        assert!(late.saturated);
        assert!(late.reasons[0].contains("schedule lag p99"), "{late:?}");

        let mut m = Metrics::new(0, 1);
        m.workloads[0].dropped = 3;
        assert!(pressure(&m)[0].contains("3 arrivals dropped"));

        let busy = GeneratorStats {
            threads: 1,
            worker_cpu_seconds: vec![9.5],
            ..GeneratorStats::default()
        };
        let pinned = GeneratorSummary::judge(&Metrics::new(0, 1), &busy, Duration::from_secs(10));
        assert!(pinned.saturated && pinned.reasons[0].contains("busy 95%"));

        let held_back = GeneratorStats {
            threads: 1,
            worker_cpu_seconds: vec![1.0],
            results_wait_seconds: 0.25,
            ..GeneratorStats::default()
        };
        let behind =
            GeneratorSummary::judge(&Metrics::new(0, 1), &held_back, Duration::from_secs(10));
        assert!(
            behind.saturated && behind.reasons[0].contains("waited 0.250s for the results thread"),
            "{behind:?}"
        );
    }
}
