//! The live line: one interval as text for people (the line the binary prints once per
//! interval) or as a JSON object for tools (`--json-progress`).

use loadgen_engine::{new_histogram, IntervalReport};
use std::time::Duration;

/// One line describing an interval: elapsed/total, rate, percentiles, errors, VUs (busy: mean
/// and peak; online: mean), dropped.
pub fn line(r: &IntervalReport, total: Duration) -> String {
    let m = &r.metrics;
    let mut lat = new_histogram();
    for s in &m.steps {
        lat.add(s.latency_all())
            .expect("histograms share one configuration");
    }
    let n = m.total_requests();
    let secs = r.length.as_secs_f64().max(1e-3);
    let q = |p: f64| {
        if lat.is_empty() {
            "-".to_string()
        } else {
            fmt_micros(lat.value_at_quantile(p))
        }
    };
    let errors = m.total_errors();
    let err_pct = if n == 0 {
        0.0
    } else {
        errors as f64 * 100.0 / n as f64
    };
    let peak: u64 = m.workloads.iter().map(|w| w.peak_active_vus).sum();
    let warning = crate::saturation::live_warning(r)
        .map(|w| format!("  ⚠ {w}"))
        .unwrap_or_default();
    format!(
        "[{:>5}/{}] {:>8.0} req/s  p50 {:>8}  p95 {:>8}  p99 {:>8}  errors {} ({:.2}%)  vus busy {:.1} (peak {}) online {:.1}  dropped {}{}",
        fmt_secs(r.start + r.length),
        fmt_secs(total),
        n as f64 / secs,
        q(0.50),
        q(0.95),
        q(0.99),
        errors,
        err_pct,
        m.mean_active_vus(r.length),
        peak,
        m.mean_online_vus(r.length),
        m.total_dropped(),
        warning,
    )
}

/// The interval as one JSON object (`--json-progress`), for tools that follow a run live.
pub fn json_line(r: &IntervalReport) -> String {
    let m = &r.metrics;
    let mut lat = new_histogram();
    for s in &m.steps {
        lat.add(s.latency_all())
            .expect("histograms share one configuration");
    }
    let ms = |p: f64| (!lat.is_empty()).then(|| lat.value_at_quantile(p) as f64 / 1e3);
    serde_json::json!({
        "interval": r.index,
        "start_s": r.start.as_secs_f64(),
        "length_s": r.length.as_secs_f64(),
        "requests": m.total_requests(),
        "rate": m.total_requests() as f64 / r.length.as_secs_f64().max(1e-3),
        "errors": m.total_errors(),
        "p50_ms": ms(0.5),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
        "vus_busy_mean": m.mean_active_vus(r.length),
        "vus_busy_peak": m.workloads.iter().map(|w| w.peak_active_vus).sum::<u64>(),
        "vus_online_mean": m.mean_online_vus(r.length),
        "vus_online_peak": m.workloads.iter().map(|w| w.peak_online_vus).sum::<u64>(),
        "allocated_vus": m.workloads.iter().map(|w| w.allocated_vus).sum::<u64>(),
        "dropped": m.total_dropped(),
        "saturated": crate::saturation::live_warning(r),
    })
    .to_string()
}

/// The last `--json-progress` line: the verdict, the exit code and where the results are.
pub fn json_final(verdict: &str, exit_code: u8, out: &std::path::Path) -> String {
    serde_json::json!({
        "final": true,
        "verdict": verdict,
        "exit_code": exit_code,
        "results": out.display().to_string(),
    })
    .to_string()
}

/// Whole seconds, or tenths where the value has them (a 3.5 s run ends at "3.5s", not "4s").
fn fmt_secs(d: Duration) -> String {
    let tenths = (d.as_secs_f64() * 10.0).round() as u64;
    if tenths % 10 == 0 {
        format!("{}s", tenths / 10)
    } else {
        format!("{}.{}s", tenths / 10, tenths % 10)
    }
}

/// Microseconds as a short human value (µs, ms or s).
pub fn fmt_micros(us: u64) -> String {
    match us {
        0..=999 => format!("{us}µs"),
        1_000..=999_999 => format!("{:.2}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

/// The coordinator's line for a merged interval: workers running, rate, p99, errors.
pub fn fleet_line(r: &IntervalReport, running: usize, total: usize) -> String {
    let m = &r.metrics;
    let secs = r.length.as_secs_f64().max(1e-3);
    let mut h = new_histogram();
    for s in &m.steps {
        let _ = h.add(s.latency_all());
    }
    let p99 = if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(0.99) as f64 / 1e3
    };
    format!(
        "[{:>4.0}s] fleet {running}/{total} workers  {:>8.0} req/s  p99 {p99:>7.2}ms  errors {}  dropped {}  busy VUs {:.1}",
        (r.start + r.length).as_secs_f64(),
        m.total_requests() as f64 / secs,
        m.total_errors(),
        m.total_dropped(),
        m.mean_active_vus(r.length)
    )
}
