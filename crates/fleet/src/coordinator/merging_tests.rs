use super::*;
use loadgen_engine::Outcome;
use loadgen_report::{Assembled, Layout, Overrides, PlanIdentity, RunInfo};
use std::path::PathBuf;

const TEXT: &str = "name = \"m\"\ntarget = \"http://127.0.0.1:1\"\nduration = \"10s\"\n\
    [[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"5/s\"\nmax_vus = 5\n\
    [[workload.step]]\nname = \"s\"\nhttp = { path = \"/\" }\n\
    [thresholds]\n\"errors\" = [\"rate < 1% over 10s\", \"rate < 5% for 5s\"]\n\
    \"latency\" = [\"p(95) < 1s over 1m\"]\n";

/// Worker `w`'s interval `k`: `w + 1` requests of `k % 500 + 1` ms, one 5xx every 7th.
fn interval(w: u64, k: u64) -> IntervalReport {
    let mut metrics = Metrics::new(1, 1);
    for i in 0..=w {
        let o = if (k + i) % 7 == 0 {
            Outcome::Http5xx
        } else {
            Outcome::Success
        };
        let l = Duration::from_millis(k % 500 + 1);
        metrics.steps[0].record(o, l, l, None, None);
    }
    IntervalReport {
        index: k,
        start: Duration::from_secs(k),
        length: Duration::from_secs(1),
        metrics,
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("loadgen-merging-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// What the coordinator holds after merging `n` intervals of three workers (the second one
/// late by a few intervals) and writing them to a results folder: `(most intervals held by
/// the merge at once, the folder's footprint, requests merged)`.
fn coordinate(n: u64) -> (usize, loadgen_report::Footprint, u64) {
    let sc = loadgen_scenario::parse(TEXT, "m.toml", &|_| None).unwrap();
    let plan = loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").unwrap();
    let id = PlanIdentity {
        hash: "h".into(),
        overrides: Overrides::default(),
        raw_text: None,
        file: None,
    };
    let segments = vec!["0/3".into(), "1/3".into(), "2/3".into()];
    let length = Duration::from_secs(1);
    let info = RunInfo::new("m", &id, Layout::of(&plan), segments, length);
    let out = scratch(&n.to_string());
    let mut folder = Assembled {
        out: &out,
        info,
        raw_scenario: Some(TEXT),
        intervals: n,
    }
    .start(&sc, std::time::SystemTime::UNIX_EPOCH);
    let mut merge = LiveMerge::new(plan.empty_metrics(), length);
    let mut reported = [0u64; 3];
    let mut most_held = 0;
    let mut released = 0;
    // Worker 1 reports each interval 5 later than the others; every interval is released
    // once all three have it.
    for t in 0..n + 5 {
        for w in [0u64, 2] {
            if t < n {
                merge.add(&interval(w, t), t).unwrap();
                reported[w as usize] = t + 1;
            }
        }
        if t >= 5 {
            merge.add(&interval(1, t - 5), t).unwrap();
            reported[1] = t - 4;
        }
        most_held = most_held.max(merge.held());
        while let Some(r) = merge.release(false, |k| reported.iter().all(|&r| r > k)) {
            assert_eq!(r.index, released);
            released += 1;
            folder.interval(&r);
            folder.partial_summary(&sc);
        }
    }
    assert_eq!(released, n);
    assert!(merge.is_empty());
    let footprint = folder.footprint();
    let requests = merge.into_totals().total_requests();
    let _ = std::fs::remove_dir_all(&out);
    (most_held, footprint, requests)
}

#[test]
fn what_the_coordinator_keeps_does_not_grow_with_the_run() {
    let (held_n, f_n, requests_n) = coordinate(300);
    let (held_10n, f_10n, requests_10n) = coordinate(3000);
    // Every request was merged...
    assert_eq!(requests_n, 300 * 6);
    assert_eq!(requests_10n, 3000 * 6);
    // ...but the merge held only the intervals the late worker had not reported yet, and
    // the folder's sink only its bounded series and running windows, at either length.
    assert_eq!(held_n, 6);
    assert_eq!(held_10n, held_n);
    // A minute's window holds 61 intervals at most; `for` none; the chart one point per
    // interval up to 2,000, then a point per two.
    assert_eq!(f_n.window_intervals, 10 + 60);
    assert_eq!(f_10n.window_intervals, f_n.window_intervals);
    assert_eq!(f_n.chart_points, 300);
    assert_eq!(f_10n.chart_points, 1500);
    assert!(f_10n.chart_points as u64 <= loadgen_report::html_report::MAX_POINTS);
    assert_eq!(f_10n.changes, 0);
}

#[test]
fn intervals_too_far_ahead_or_already_merged_are_refused() {
    let mut merge = LiveMerge::new(Metrics::new(1, 1), Duration::from_secs(1));
    merge.add(&interval(0, 0), 0).unwrap();
    assert!(merge.release(false, |_| true).is_some());
    assert_eq!(merge.add(&interval(0, 0), 3), Err(Refused::Late(0)));
    assert_eq!(
        merge.add(&interval(0, 3 + MAX_HELD + 1), 3),
        Err(Refused::Ahead {
            index: 3 + MAX_HELD + 1,
            now: 3
        })
    );
    assert!(merge.is_empty());
}

#[test]
fn a_worker_that_falls_too_far_behind_is_overdue() {
    let mut merge = LiveMerge::new(Metrics::new(1, 1), Duration::from_secs(1));
    // One worker reports 0..=MAX_HELD, the other nothing: nothing is released.
    for k in 0..MAX_HELD {
        merge.add(&interval(0, k), k).unwrap();
        assert_eq!(merge.overdue(), None, "{k}");
    }
    merge.add(&interval(0, MAX_HELD), MAX_HELD).unwrap();
    assert!(merge.release(false, |_| false).is_none());
    assert_eq!(merge.overdue(), Some(0));
    assert_eq!(merge.held() as u64, MAX_HELD + 1);
}

#[test]
fn intervals_nobody_reported_are_released_empty() {
    let mut merge = LiveMerge::new(Metrics::new(1, 1), Duration::from_secs(1));
    merge.add(&interval(0, 2), 2).unwrap();
    let got: Vec<(u64, u64)> = std::iter::from_fn(|| merge.release(false, |_| true))
        .map(|r| (r.index, r.metrics.total_requests()))
        .collect();
    assert_eq!(got, vec![(0, 0), (1, 0), (2, 1)]);
}
