//! CPU time of the calling thread, so a run can tell whether its workers had headroom.
//!
//! Read from Linux's `/proc/thread-self`: `schedstat` (nanoseconds on the CPU) where the
//! kernel keeps it, else `stat` (user + system ticks of 10 ms). `None` elsewhere.

use std::time::Duration;

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Option<Duration> {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        if let Some(ns) = s.split_whitespace().next().and_then(|v| v.parse().ok()) {
            return Some(Duration::from_nanos(ns));
        }
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces and parentheses).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux ABI.
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_when_the_thread_works() {
        let Some(before) = thread_cpu_time() else {
            return; // not Linux
        };
        let mut x = 0u64;
        let start = tokio::time::Instant::now();
        while start.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let after = thread_cpu_time().unwrap();
        assert!(after > before, "{before:?} -> {after:?}");
    }
}
