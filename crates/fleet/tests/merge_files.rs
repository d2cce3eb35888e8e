//! Result folders written by `FolderWriter` and merged back: every counter, histogram and
//! custom metric of the parts adds up exactly in the merge.

use loadgen_engine::{new_histogram, CustomKind, CustomValue, IntervalReport, Metrics, Outcome};
use loadgen_fleet::{
    merge, CustomName, FolderWriter, Layout, MergeOptions, Overrides, RunInfo, RunPart, StepName,
    FORMAT_VERSION,
};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

const KINDS: [CustomKind; 4] = [
    CustomKind::Counter,
    CustomKind::Gauge,
    CustomKind::Rate,
    CustomKind::Trend,
];

pub(crate) fn info(segment: &str) -> RunInfo {
    RunInfo {
        changes: Vec::new(),
        format_version: FORMAT_VERSION,
        loadgen_version: "test".into(),
        scenario: "synthetic".into(),
        plan_hash: "abc".into(),
        segments: vec![segment.into()],
        started_at_unix_ns: 0,
        started_at: String::new(),
        interval_ms: 1000,
        scenario_file: None,
        overrides: Overrides::default(),
        layout: Layout {
            workloads: vec!["w".into()],
            steps: vec![StepName {
                workload: 0,
                name: "s".into(),
            }],
            custom: ["msgs", "open", "ok", "rtt"]
                .iter()
                .zip(KINDS)
                .map(|(n, k)| CustomName {
                    workload: 0,
                    name: n.to_string(),
                    kind: k.name().into(),
                })
                .collect(),
        },
        elapsed_s: None,
        stopped_early: false,
        missing_segments: Vec::new(),
    }
}

/// Interval `k` of part `p`: 10·(p+1) requests, a few 5xx, custom values that depend on both.
pub(crate) fn interval(p: u64, k: u64) -> IntervalReport {
    let mut m = Metrics::shaped(1, 1, &KINDS);
    for i in 0..10 * (p + 1) {
        let o = if i % 4 == 0 {
            Outcome::Http5xx
        } else {
            Outcome::Success
        };
        let d = Duration::from_micros(100 + 1000 * p + 37 * i + k);
        m.steps[0].record(o, d, d, Some(d / 2), None);
    }
    m.steps[0].statuses = vec![(500, m.steps[0].count(Outcome::Http5xx))];
    m.workloads[0].iterations = 10 * (p + 1);
    m.workloads[0].active_vus = p + 1;
    let mut t = new_histogram();
    t.record(500 + p * 100 + k).unwrap();
    m.custom = vec![
        CustomValue::Counter(3 + p),
        CustomValue::Gauge {
            value: 2 + p as i64,
            peak: 4,
        },
        CustomValue::Rate {
            hits: p + 1,
            total: 5,
        },
        CustomValue::Trend(Box::new(t)),
    ];
    IntervalReport {
        index: k,
        start: Duration::from_secs(k),
        length: Duration::from_secs(1),
        metrics: m,
    }
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("loadgen-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn parts_with_custom_metrics_merge_exactly() {
    let origin = SystemTime::now();
    let mut parts = Vec::new();
    for p in 0..2u64 {
        let dir = scratch(&format!("part{p}"));
        // Part 1 started 3 ms after part 0: its intervals still land on the same indices.
        let at = origin + Duration::from_millis(3 * p);
        let mut w = FolderWriter::create(&dir, info(&format!("{p}/2")), at).unwrap();
        for k in 0..3 {
            w.interval(&interval(p, k)).unwrap();
        }
        w.finish(Duration::from_secs(3), false, Vec::new()).unwrap();
        parts.push(RunPart::read(&dir).unwrap());
    }
    let mut m = merge(&parts, MergeOptions::default()).unwrap();
    assert_eq!(m.intervals, 3);
    assert!((m.coverage.share - 1.0).abs() < 1e-9);
    // The merged intervals come one at a time, each part read in step with the others.
    let merged: Vec<IntervalReport> = m.by_ref().map(Result::unwrap).collect();
    assert_eq!(merged.len(), 3);
    assert!(m.held_lines() == 0, "every line was taken");
    let t = m.totals();
    assert_eq!(t.total_requests(), 3 * (10 + 20));
    assert_eq!(t.steps[0].count(Outcome::Http5xx), 3 * (3 + 5));
    assert_eq!(t.steps[0].statuses, vec![(500, 3 * (3 + 5))]);
    assert_eq!(t.steps[0].latency_all().len(), 90);
    assert_eq!(t.steps[0].ttfb.len(), 90);
    assert_eq!(t.workloads[0].iterations, 90);
    // Gauges of one instant add across parts; over time the peak is kept.
    assert_eq!(t.workloads[0].active_vus, 3);
    match &t.custom[..] {
        [CustomValue::Counter(c), CustomValue::Gauge { value, peak }, CustomValue::Rate { hits, total }, CustomValue::Trend(h)] =>
        {
            assert_eq!(*c, 3 * (3 + 4));
            assert_eq!((*value, *peak), (5, 8));
            assert_eq!((*hits, *total), (3 * 3, 3 * 10));
            assert_eq!(h.len(), 6);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(merged[0].metrics.total_requests(), 30);

    // The same part twice is a duplicate; one part alone is half the plan.
    let e = merge(
        &[parts[0].clone(), parts[0].clone()],
        MergeOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("duplicate"), "{e}");
    let e = merge(&parts[..1], MergeOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("1/2") && e.to_string().contains("50.0%"),
        "{e}"
    );
}

#[test]
fn a_truncated_or_reshaped_metrics_file_is_refused_with_its_line() {
    let dir = scratch("bad");
    let mut w = FolderWriter::create(&dir, info("0/1"), SystemTime::now()).unwrap();
    w.interval(&interval(0, 0)).unwrap();
    w.finish(Duration::from_secs(1), false, Vec::new()).unwrap();
    let path = dir.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}{}\n", &text[..text.len() / 2])).unwrap();
    let e = RunPart::read(&dir).unwrap_err().to_string();
    assert!(e.contains("metrics.jsonl:2"), "{e}");
    // A line with another layout (two steps) is refused too.
    let mut two = interval(0, 0);
    two.metrics.steps.push(two.metrics.steps[0].clone());
    let mut w = FolderWriter::create(&dir, info("0/1"), SystemTime::now()).unwrap();
    w.interval(&two).unwrap();
    w.finish(Duration::from_secs(1), false, Vec::new()).unwrap();
    let e = RunPart::read(&dir).unwrap_err().to_string();
    assert!(e.contains("metrics.jsonl:1") && e.contains("steps"), "{e}");
}

#[test]
fn a_folder_older_than_the_oldest_format_is_refused_with_the_version_that_wrote_it() {
    let dir = scratch("v1");
    let mut old = info("0/1");
    old.format_version = loadgen_fleet::OLDEST_FORMAT_VERSION - 1;
    old.loadgen_version = "0.0.9".into();
    let mut w = FolderWriter::create(&dir, old, SystemTime::now()).unwrap();
    w.interval(&interval(0, 0)).unwrap();
    w.finish(Duration::from_secs(1), false, Vec::new()).unwrap();
    let e = RunPart::read(&dir).unwrap_err().to_string();
    assert!(
        e.contains("older loadgen") && e.contains("0.0.9") && e.contains("re-run"),
        "{e}"
    );
}

#[test]
fn a_format_2_folder_with_eleven_outcome_classes_reads_with_zeros_in_the_new_ones() {
    let dir = scratch("v2");
    let mut old = info("0/1");
    old.format_version = 2;
    let mut w = FolderWriter::create(&dir, old, SystemTime::now()).unwrap();
    w.interval(&interval(0, 0)).unwrap();
    w.finish(Duration::from_secs(1), false, Vec::new()).unwrap();
    // Cut every step's outcome arrays to the eleven classes format 2 had.
    let path = dir.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut cut = String::new();
    let mut steps_cut = 0;
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut stack = vec![&mut v];
        while let Some(node) = stack.pop() {
            match node {
                serde_json::Value::Object(map) => {
                    if map.contains_key("counts") && map.contains_key("latency") {
                        for key in ["counts", "latency"] {
                            let arr = map[key].as_array_mut().unwrap();
                            assert!(arr[11..].iter().all(|x| x.is_null() || x == 0));
                            arr.truncate(11);
                        }
                        steps_cut += 1;
                    }
                    stack.extend(map.values_mut());
                }
                serde_json::Value::Array(a) => stack.extend(a.iter_mut()),
                _ => {}
            }
        }
        cut.push_str(&v.to_string());
        cut.push('\n');
    }
    assert!(steps_cut > 0, "the file has step records");
    std::fs::write(&path, cut).unwrap();
    let part = RunPart::read(&dir).unwrap();
    assert_eq!(part.info.format_version, 2);
    let first = part.intervals().unwrap().next().unwrap().unwrap();
    let first = first.decode().unwrap();
    let fresh = interval(0, 0);
    assert_eq!(first.metrics.steps[0].counts, fresh.metrics.steps[0].counts);
}

#[test]
fn a_part_that_changed_between_reading_and_merging_is_refused() {
    let dir = scratch("changed");
    let mut w = FolderWriter::create(&dir, info("0/1"), SystemTime::now()).unwrap();
    for k in 0..3 {
        w.interval(&interval(0, k)).unwrap();
    }
    w.finish(Duration::from_secs(3), false, Vec::new()).unwrap();
    let part = RunPart::read(&dir).unwrap();
    assert_eq!((part.lines, part.last_start_us), (3, Some(2_000_000)));
    // The last line is replaced by one with more requests than were checked.
    let path = dir.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut bigger = interval(1, 2);
    bigger.index = 2;
    lines[2] = serde_json::to_string(&loadgen_fleet::IntervalLine::encode(&bigger)).unwrap();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let got: Vec<_> = part.intervals().unwrap().collect();
    assert_eq!(got.len(), 3, "the error is the last item");
    assert!(got[..2].iter().all(Result::is_ok));
    let e = got[2].as_ref().unwrap_err().to_string();
    assert!(
        e.contains("metrics.jsonl:3") && e.contains("changed"),
        "{e}"
    );
}

#[test]
fn lines_out_of_order_are_refused() {
    let dir = scratch("order");
    let mut w = FolderWriter::create(&dir, info("0/1"), SystemTime::now()).unwrap();
    w.interval(&interval(0, 1)).unwrap();
    w.interval(&interval(0, 0)).unwrap();
    w.finish(Duration::from_secs(2), false, Vec::new()).unwrap();
    let e = RunPart::read(&dir).unwrap_err().to_string();
    assert!(
        e.contains("metrics.jsonl:2") && e.contains("in order"),
        "{e}"
    );
}
