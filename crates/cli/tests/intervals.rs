//! Intervals and columns: every `timeseries.csv` row holds what completed in it, the last one
//! carries its true length, the rows add up to the summary, elapsed is how long the load ran,
//! and the VU columns describe the interval (busy and online, mean and peak), not its end.

use crate::support::*;
use std::path::Path;

/// One `timeseries.csv` row, by column name.
struct Row(std::collections::HashMap<String, String>);

impl Row {
    fn f(&self, col: &str) -> f64 {
        self.0[col].parse().unwrap_or_else(|e| panic!("{col}: {e}"))
    }
}

fn rows(out: &Path) -> Vec<Row> {
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            Row(header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect())
        })
        .collect()
}

/// Live lines (`[ 3.5s/3.5s] …`) printed while the run went on.
fn live_labels(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| l[1..l.find(']').unwrap()].trim().to_string())
        .collect()
}

/// The checks every run here must pass, whatever the machine's speed: one row per interval
/// (full seconds, then the remainder), counts adding up to the summary, rates over the rows'
/// true lengths, elapsed equal to the planned duration, one live line per row.
fn check_rows(label: &str, stdout: &str, out: &Path, planned: f64) -> Vec<Row> {
    let s = summary(out);
    let requests = s["totals"]["requests"].as_u64().unwrap();
    let rows = rows(out);
    let expected = planned.ceil() as usize;
    assert_eq!(rows.len(), expected, "{label}: one row per interval");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.f("interval_start_s"), i as f64, "{label}: row {i} start");
        let want = if i + 1 < expected {
            1.0
        } else {
            planned - i as f64
        };
        assert_eq!(
            r.f("interval_length_s"),
            want,
            "{label}: row {i} is a full interval, the last one the remainder"
        );
        let per_length = r.f("count") / r.f("interval_length_s");
        assert!(
            (r.f("rate") - per_length).abs() < 0.01,
            "{label}: row {i} rate is its count over its length"
        );
    }
    let counted: u64 = rows.iter().map(|r| r.f("count") as u64).sum();
    assert_eq!(counted, requests, "{label}: rows add up to the summary");
    let elapsed = s["elapsed_seconds"].as_f64().unwrap();
    assert_eq!(elapsed, planned, "{label}: elapsed is the planned duration");
    let rate = s["totals"]["rate"].as_f64().unwrap();
    assert!(
        (rate - requests as f64 / planned).abs() < 0.05,
        "{label}: the summary's rate is over the planned duration: {rate} for {requests}"
    );
    let labels = live_labels(stdout);
    assert_eq!(
        labels.len(),
        rows.len(),
        "{label}: one live line per row\n{stdout}"
    );
    let last = labels.last().unwrap();
    let total = format!("{}s", s["elapsed_seconds"]);
    assert!(
        last.starts_with(&format!("{}/", total.replace(".0s", "s"))),
        "{label}: the last live line ends at the run's end: {labels:?}"
    );
    rows
}

fn ad_hoc(url: &str, out: &Path, duration: &str, load: &[&str]) -> String {
    let mut args = vec![
        "run",
        "--url",
        url,
        "--duration",
        duration,
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(load);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const DURATIONS: [(&str, f64); 3] = [("1s", 1.0), ("3.5s", 3.5), ("5s", 5.0)];

#[test]
fn fast_closed_runs_put_each_completion_in_its_interval_and_no_sliver_at_the_end() {
    // A 5 µs target: every VU is nearly always ready, the case where a late per-thread ticker
    // used to pour requests into the wrong row and leave a millisecond tail at millions/s.
    let target = Target::start(&["--latency", "5us"]);
    let url = format!("{}/api/payments", target.url);
    let dir = scratch("intervals-closed");
    for (duration, planned) in DURATIONS {
        let out = dir.join(duration);
        let stdout = ad_hoc(&url, &out, duration, &["--vus", "5"]);
        let label = format!("closed 5 VUs, 5us, {duration}");
        let rows = check_rows(&label, &stdout, &out, planned);
        for (i, r) in rows.iter().enumerate() {
            // Five VUs loop without think time from the first instant to the last: online all
            // along, and busy at some moment of every interval.
            assert_eq!(r.f("vus_online_peak"), 5.0, "{label}: row {i}");
            assert_eq!(r.f("vus_busy_peak"), 5.0, "{label}: row {i}");
            assert!(r.f("vus_online_mean") > 0.0, "{label}: row {i}");
            assert!(r.f("vus_busy_mean") > 0.0, "{label}: row {i}");
            assert!(r.f("vus_busy_mean") <= r.f("vus_online_mean") + 0.01);
            assert!(r.f("vus_online_mean") <= r.f("vus_online_peak") + 0.01);
        }
    }
}

#[test]
fn open_runs_put_each_completion_in_its_interval_and_no_sliver_at_the_end() {
    let target = Target::start(&["--latency", "5ms"]);
    let url = format!("{}/api/payments", target.url);
    let dir = scratch("intervals-open");
    for (duration, planned) in DURATIONS {
        let out = dir.join(duration);
        let stdout = ad_hoc(&url, &out, duration, &["--rate", "200/s", "--vus", "100"]);
        let label = format!("open 200/s, 5ms, {duration}");
        let rows = check_rows(&label, &stdout, &out, planned);
        // Uniform arrivals: rate × duration, none dropped at this rate (the schedule's float
        // sum of slices may admit one more arrival just before the end).
        let counted: f64 = rows.iter().map(|r| r.f("count")).sum();
        let want = 200.0 * planned;
        assert!((want..=want + 1.0).contains(&counted), "{label}: {counted}");
        for (i, r) in rows.iter().enumerate() {
            // The open model's pool (100 pre-allocated VUs) is online all along.
            assert_eq!(r.f("vus_online_peak"), 100.0, "{label}: row {i}");
            assert!(r.f("vus_busy_peak") >= 1.0, "{label}: row {i}");
            assert!(r.f("vus_busy_mean") <= r.f("vus_busy_peak") + 0.01);
        }
    }
}

#[test]
fn elapsed_is_the_schedules_end_not_the_last_arrival() {
    // A ramp from 0/s: the last of its 3 arrivals comes well before the 3 s end.
    let dir = scratch("intervals-ramp");
    let f = write(
        &dir,
        "ramp.toml",
        r#"name = "ramp"
target = "embedded"
duration = "3s"

[embedded]
latency = "5ms"

[[workload]]
name = "transactions"
model = "open"
start_rate = "0/s"
stages = [{ duration = "3s", target = "2/s" }]
max_vus = 5

  [[workload.step]]
  name = "get"
  http = { method = "GET", path = "/api/payments" }
"#,
    );
    let out = dir.join("out");
    let o = run(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let rows = check_rows("ramp 0 -> 2/s over 3 s", &stdout, &out, 3.0);
    assert!(rows.iter().map(|r| r.f("count")).sum::<f64>() >= 1.0);
}

#[test]
fn a_closed_run_ends_when_the_last_iterations_end() {
    let dir = scratch("intervals-iterations");
    let f = write(
        &dir,
        "iterations.toml",
        r#"name = "iterations"
target = "embedded"
duration = "60s"

[embedded]
latency = "5ms"

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 20
think_time = "50ms"

  [[workload.step]]
  name = "get"
  http = { method = "GET", path = "/api/payments" }
"#,
    );
    let out = dir.join("out");
    let o = run(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let elapsed = s["elapsed_seconds"].as_f64().unwrap();
    // 20 iterations of at least 55 ms each: about 1.1 s, far from the 60 s plan.
    assert!((1.0..30.0).contains(&elapsed), "elapsed {elapsed}");
    assert_eq!(s["totals"]["requests"], 40);
    let rows = rows(&out);
    let last = rows.last().unwrap();
    let end = last.f("interval_start_s") + last.f("interval_length_s");
    assert!(
        (end - elapsed).abs() < 0.002,
        "the rows end where the load ended: {end} vs {elapsed}"
    );
    let counted: f64 = rows.iter().map(|r| r.f("count")).sum();
    assert_eq!(counted, 40.0);
    // Thinking VUs are online: both, from the first interval on.
    assert_eq!(rows[0].f("vus_online_peak"), 2.0);
    assert!(rows[0].f("vus_online_mean") > rows[0].f("vus_busy_mean"));
}
