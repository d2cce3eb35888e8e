//! The window arithmetic: sliding sums, `for` stretches, skipped empty windows, no data.

use super::*;
use crate::judge::Windows;
use loadgen_engine::{IntervalReport, Metrics, Outcome, StepInfo};

fn th(key: &str, expr: &str) -> Threshold {
    Threshold::parse(key, expr, &|_| None).unwrap()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `errors` over `requests` in one interval.
fn errs(errors: u64, requests: u64) -> Sample {
    Sample {
        hist: None,
        num: errors,
        den: requests,
        interrupted: 0,
    }
}

/// 14 one-second intervals of 100 requests; 20 errors in each of `bad`.
fn run_of(bad: &[u64]) -> Vec<Sample> {
    (0..14)
        .map(|i| errs(if bad.contains(&i) { 20 } else { 0 }, 100))
        .collect()
}

fn feed_over(t: &Threshold, samples: &[Sample]) -> (Standing, usize) {
    let mut w = Over::new(t, t.window.unwrap().length);
    let mut most_held = 0;
    for (i, s) in samples.iter().enumerate() {
        let i = i as u64;
        w.push(t, secs(i), secs(i + 1), s);
        most_held = most_held.max(w.held().0);
    }
    (w.finish(t), most_held)
}

fn feed_for(t: &Threshold, samples: &[Sample]) -> Standing {
    let mut w = For::new(t.window.unwrap().length);
    for (i, s) in samples.iter().enumerate() {
        let i = i as u64;
        w.push(t, secs(i), secs(i + 1), s);
    }
    w.finish()
}

#[test]
fn an_over_window_slides_by_one_interval_and_names_the_worst() {
    let t = th("errors", "rate < 5% over 2s");
    let (st, held) = feed_over(&t, &run_of(&[4, 5]));
    assert!(st.failed);
    let w = st.worst.unwrap();
    // Windows [3,5) and [5,7) hold 10%; [4,6) all 40 errors of 200.
    assert_eq!((w.start, w.end, w.value), (secs(4), secs(6), 0.2));
    assert!(held <= 3, "a 2 s window held {held} intervals");
    // The whole-run rate is 40 / 1400 < 5%; a 10 s window still sees 40 / 1000 = 4%.
    let (st, _) = feed_over(&th("errors", "rate < 5% over 10s"), &run_of(&[4, 5]));
    assert!(!st.failed);
    assert_eq!(st.worst.unwrap().value, 0.04);
}

#[test]
fn a_run_shorter_than_the_window_is_one_window() {
    let t = th("errors", "rate < 5% over 1m");
    let (st, _) = feed_over(&t, &run_of(&[4, 5]));
    let w = st.worst.unwrap();
    assert_eq!((w.start, w.end), (secs(0), secs(14)));
    assert!((w.value - 40.0 / 1400.0).abs() < 1e-12 && !st.failed);
}

#[test]
fn for_fails_only_when_broken_for_the_whole_length() {
    let t = th("errors", "rate < 5% for 2s");
    let st = feed_for(&t, &run_of(&[4, 5]));
    assert!(st.failed);
    let w = st.worst.unwrap();
    assert_eq!(
        (w.start, w.end, w.value, st.broken),
        (secs(4), secs(6), 0.2, secs(2))
    );
    // Broken twice for one second, not on end: it holds; the longest stretch is named.
    let st = feed_for(&t, &run_of(&[4, 6]));
    assert!(!st.failed);
    assert_eq!((st.worst.unwrap().start, st.broken), (secs(4), secs(1)));
    // An interval with no data between two broken ones ends the stretch.
    let mut samples = run_of(&[4, 6]);
    samples[5] = errs(0, 0);
    assert!(!feed_for(&t, &samples).failed);
}

#[test]
fn empty_windows_are_skipped_and_no_window_with_data_is_no_data() {
    let t = th("errors", "rate < 5% over 2s");
    // Nothing sent in the first 6 s: those windows are skipped, not a breach.
    let mut samples = run_of(&[]);
    for s in &mut samples[..6] {
        *s = errs(0, 0);
    }
    let (st, _) = feed_over(&t, &samples);
    assert!(!st.failed);
    assert_eq!(st.worst.unwrap().value, 0.0);
    let (st, _) = feed_over(&t, &vec![errs(0, 0); 5]);
    assert_eq!((st.worst, st.failed), (None, false));
    assert_eq!(
        feed_for(&th("errors", "rate < 5% for 2s"), &[errs(0, 0)]).worst,
        None
    );
}

#[test]
fn a_windowed_percentile_is_the_exact_merge_not_an_average() {
    let t = th("latency", "p(75) < 50ms over 2s");
    let hist = |ms: u64| {
        let mut h = loadgen_engine::new_histogram();
        h.record_n(ms * 1000, 100).unwrap();
        Sample {
            hist: Some(h),
            num: 0,
            den: 0,
            interrupted: 0,
        }
    };
    // Half at 10 ms, half at 100 ms: p75 of the merge is 100 ms (averaged p75s: 55 ms).
    let samples = [hist(10), hist(100), hist(10), hist(10)];
    let (st, held) = feed_over(&t, &samples);
    let w = st.worst.unwrap();
    assert!(st.failed && (w.value - 100.0).abs() < 0.1, "{w:?}");
    assert_eq!((w.start, w.end), (secs(0), secs(2)));
    // Once the 100 ms interval left the window, it is subtracted exactly.
    let mut over = Over::new(&t, secs(2));
    for (i, s) in samples.iter().enumerate() {
        let i = i as u64;
        let broke = over.push(&t, secs(i), secs(i + 1), s);
        assert_eq!(
            broke.is_some(),
            i == 1 || i == 2,
            "window ending at {}",
            i + 1
        );
    }
    assert!(held <= 3);
}

fn interval(index: u64, errors: u64, total: u64) -> IntervalReport {
    let mut m = Metrics::new(1, 1);
    let ms = Duration::from_millis(1);
    for k in 0..total {
        let o = if k < errors {
            Outcome::Http5xx
        } else {
            Outcome::Success
        };
        m.steps[0].record(o, ms, ms, None, None);
    }
    IntervalReport {
        index,
        start: secs(index),
        length: secs(1),
        metrics: m,
    }
}

#[test]
fn from_skips_the_warm_up_and_live_judging_names_the_window() {
    let steps = [StepInfo {
        workload: 0,
        workload_name: "w".into(),
        name: "a".into(),
    }];
    let ts = [
        th("errors", "rate < 5% from 3s"),
        th("errors", "rate < 5% over 2s from 3s"),
        th("errors", "rate < 5% over 2s"),
    ];
    let mut w = Windows::new(&ts, &steps, &[]);
    let mut breaches = Vec::new();
    // A cold start: every request fails for 2 s, then none.
    for i in 0..8 {
        let e = if i < 2 { 50 } else { 0 };
        breaches.extend(w.interval(&interval(i, e, 50), true));
    }
    let done = w.finish();
    assert!(
        done[0].passed && done[0].measured == Some(0.0),
        "{:?}",
        done[0]
    );
    assert!(done[1].passed, "{:?}", done[1]);
    assert!(!done[2].passed);
    let win = done[2].window.unwrap();
    assert_eq!(
        (win.start_s, win.end_s, done[2].measured),
        (0.0, 2.0, Some(1.0))
    );
    assert!(
        done[2].measured_display().contains("in 0.0s–2.0s"),
        "{}",
        done[2]
    );
    // Live: the windows [0,2) and [1,3) broke it (no other threshold did).
    assert_eq!(breaches.len(), 2, "{breaches:?}");
    assert!(
        breaches
            .iter()
            .all(|b| b.contains("over 2s") && !b.contains("from")),
        "{breaches:?}"
    );
}

#[test]
fn the_memory_of_an_over_window_is_bounded_by_its_length() {
    let t = th("latency", "p(99) < 1s over 10s");
    let mut w = Over::new(&t, secs(10));
    let mut most = (0, 0);
    for i in 0..1000u64 {
        let mut h = loadgen_engine::new_histogram();
        for v in 0..300u64 {
            h.record(1000 + v * 37 + i % 7).unwrap();
        }
        let s = Sample {
            hist: Some(h),
            num: 0,
            den: 0,
            interrupted: 0,
        };
        w.push(&t, secs(i), secs(i + 1), &s);
        let held = w.held();
        most = (most.0.max(held.0), most.1.max(held.1));
    }
    // ⌈10 s / 1 s⌉ + 1 intervals, each a few hundred 16-byte buckets.
    assert!(most.0 <= 11, "{most:?}");
    assert!(most.1 < 11 * (300 * 16 + 200), "{most:?}");
}

#[test]
fn latency_by_status_is_judged_over_windows() {
    let t = th("latency{status=503}", "p(50) < 100ms over 2s");
    let steps = [StepInfo {
        workload: 0,
        workload_name: "w".into(),
        name: "a".into(),
    }];
    let mut w = Windows::new([&t], &steps, &[]);
    let ms = Duration::from_millis;
    for i in 0..6u64 {
        let mut m = Metrics::new(1, 1);
        m.steps[0].track_status_latency(503);
        // 200s are slow throughout; the 503s only in intervals 2 and 3: the median of the
        // 503s is slow only in the window of exactly those two.
        m.steps[0].record(Outcome::Success, ms(900), ms(900), None, None);
        let slow = if (2..4).contains(&i) { 400 } else { 5 };
        for _ in 0..10 {
            m.steps[0].record(Outcome::Http5xx, ms(slow), ms(slow), None, None);
            m.steps[0].record_status_latency(503, ms(slow));
        }
        let r = IntervalReport {
            index: i,
            start: secs(i),
            length: secs(1),
            metrics: m,
        };
        w.interval(&r, false);
    }
    let res = w.finish().remove(0);
    assert!(!res.passed, "{res:?}");
    let worst = res.window.unwrap();
    assert_eq!((worst.start_s, worst.end_s), (2.0, 4.0));
    assert!((res.measured.unwrap() - 400.0).abs() < 1.0, "{res:?}");
}
