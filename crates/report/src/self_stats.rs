//! What the loadgen process costs, read from Linux's `/proc/self` (zeros elsewhere): the
//! evidence behind the summary's `generator` section.

use crate::saturation::GeneratorStats;
use loadgen_engine::FinalReport;

/// Reads the process's CPU, peak memory and open files, with the workers' CPU from `report`.
pub fn collect(report: &FinalReport) -> GeneratorStats {
    GeneratorStats {
        threads: report.worker_cpu.len(),
        worker_cpu_seconds: report
            .worker_cpu
            .iter()
            .map(|c| c.map_or(0.0, |d| d.as_secs_f64()))
            .collect(),
        process_cpu_seconds: process_cpu_seconds().unwrap_or(0.0),
        peak_rss_bytes: peak_rss_bytes().unwrap_or(0),
        open_fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
        results_wait_seconds: report.results_wait.as_secs_f64(),
    }
}

fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0) // USER_HZ
}

/// `VmHWM`: the most resident memory the process has had.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
