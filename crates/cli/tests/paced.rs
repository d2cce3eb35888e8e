//! Paced reads (docs/performance.md, "Paced reads"): an open workload of one-step iterations
//! with an arrival per granularity or more reads its answers when the dispatcher wakes, and
//! times them by the kernel's receive timestamps, not by when they were read. Iterations of
//! more steps are not paced: a later step would leave late, and the wait would count in its
//! latency. (`loadgen-h1`'s link tests show an answer waiting for its tick.)

use crate::support::*;

/// An open workload at 40/s with a 50 ms granularity (one arrival per 25 ms: at least one per
/// granularity, so it may be paced), of `steps` GETs; its summary.
fn run_at_40_per_s(name: &str, steps: usize) -> serde_json::Value {
    run_paced(name, steps, "/health", &[])
}

/// As [`run_at_40_per_s`], for 1 s, against a target started with `target_flags`, GETting
/// `path`.
fn run_paced(name: &str, steps: usize, path: &str, target_flags: &[&str]) -> serde_json::Value {
    let target = Target::start(target_flags);
    let dir = scratch(name);
    // The slow target's answers take longer: a shorter run keeps the test short.
    let secs = if target_flags.is_empty() { 2 } else { 1 };
    let duration = format!("{secs}s");
    let mut scenario = format!(
        "name = \"{name}\"\ntarget = \"embedded\"\nduration = \"{duration}\"\n\n[[workload]]\n\
         name = \"w\"\nmodel = \"open\"\nrate = \"40/s\"\nmax_vus = 40\n"
    );
    for i in 0..steps {
        scenario += &format!(
            "\n  [[workload.step]]\n  name = \"s{i}\"\n  http = {{ method = \"GET\", path = \"{path}\" }}\n"
        );
    }
    let f = write(&dir, "paced.toml", &scenario);
    let out = dir.join("out");
    let args = ["--threads", "1", "--arrival-granularity", "50ms"];
    let o = run_against(&f, &target.url, &out, &args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["totals"]["errors"], 0, "{s}");
    assert_eq!(s["workloads"][0]["interrupted"], 0, "{s}");
    let iterations = s["workloads"][0]["iterations"].as_u64().unwrap();
    assert!(iterations >= 40 * secs, "40/s for {secs} s: {s}");
    for step in s["steps"].as_array().unwrap() {
        assert_eq!(step["count"], iterations, "{s}");
    }
    s
}

#[test]
fn paced_answers_are_timed_by_their_arrival_not_by_the_tick() {
    let s = run_at_40_per_s("paced-one-step", 1);
    // Read at a wake up to 50 ms after it arrived, an answer timed when read would have a
    // median service time near 25–50 ms; on loopback it arrives within a millisecond or so.
    let p50 = s["steps"][0]["service_time"]["p50"].as_f64().unwrap();
    assert!(p50 < 25.0, "timed by the tick, not the kernel: {s}");
}

#[test]
fn later_steps_of_an_iteration_are_not_delayed_by_ticks() {
    let s = run_at_40_per_s("paced-two-steps", 2);
    // The second step is due when the first was answered; had that answer waited for the
    // next tick (50 ms), the second step's latency would include the wait.
    let p50 = s["steps"][1]["latency"]["p50"].as_f64().unwrap();
    assert!(p50 < 25.0, "the second step left late: {s}");
}

#[test]
fn paced_answers_still_awaited_at_the_end_are_read_in_the_drain() {
    // Each answer takes 300 ms: about 12 are in flight when the arrivals stop, and only the
    // drain's ticks can read them (nothing else wakes the thread for a paced socket).
    let s = run_paced("paced-drain", 1, "/api/payments", &["--latency", "300ms"]);
    let p50 = s["steps"][0]["service_time"]["p50"].as_f64().unwrap();
    assert!(
        (300.0..400.0).contains(&p50),
        "300 ms answers timed at {p50} ms: {s}"
    );
}
