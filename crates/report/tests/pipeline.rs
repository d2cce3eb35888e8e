//! The results sink against recorded runs: the `metrics.jsonl`, `run.json` and
//! `scenario.toml` of an ecommerce-burst and a webhook-storm run go through the sink the way
//! `loadgen merge` feeds it, and the summary, time series, JUnit and HDR log must be
//! byte-identical to what the pipeline wrote before the results crate existed
//! (`tests/fixtures/README.md` says how they were made).

use loadgen_engine::{FinalReport, GaugeMerge, IntervalReport, Metrics};
use loadgen_report::{Assembled, IntervalLine, RunEnd, RunInfo};
use std::path::{Path, PathBuf};
use std::time::Duration;

const COMPARED: [&str; 5] = [
    "summary.json",
    "summary.txt",
    "timeseries.csv",
    "junit.xml",
    "latency.hlog",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh folder under the target directory (kept after a failure, to look at).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pipeline-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Feeds the recorded run `name` through the sink as `loadgen merge` of its one folder does
/// (each interval summed into an empty one of the run's shape, as a merge of one part is),
/// and compares the files.
fn replay(name: &str) {
    let input = fixture(name).join("input");
    let info = RunInfo::read(&input).unwrap();
    let text = std::fs::read_to_string(input.join("scenario.toml")).unwrap();
    let sc = loadgen_scenario::parse(&text, "scenario.toml", &|_| None).unwrap();
    let kinds = info.layout.custom_kinds();
    let shape = || Metrics::shaped(info.layout.steps.len(), info.layout.workloads.len(), &kinds);
    let mut totals = shape();
    let mut lines = Vec::new();
    let jsonl = std::fs::read_to_string(input.join("metrics.jsonl")).unwrap();
    for l in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let r = serde_json::from_str::<IntervalLine>(l)
            .unwrap()
            .decode()
            .unwrap();
        let mut metrics = shape();
        metrics.add(&r.metrics, GaugeMerge::Sum);
        totals.add(&metrics, GaugeMerge::Max);
        lines.push(IntervalLine::encode(&IntervalReport { metrics, ..r }));
    }
    let report = FinalReport {
        started_at: info.started_at_time(),
        elapsed: Duration::from_secs_f64(info.elapsed_s.unwrap()),
        totals,
        stopped_early: info.stopped_early,
        intervals: lines.len() as u64,
        worker_cpu: Vec::new(),
        results_wait: Default::default(),
    };
    let out = scratch(name);
    let folder = Assembled {
        out: &out,
        info,
        raw_scenario: Some(&text),
        intervals: lines.len() as u64,
    };
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: None,
        stats: Default::default(),
    };
    let done = folder.write(&sc, &lines, end).unwrap();
    assert_eq!(done.code, 0, "both recorded runs passed");
    let expected = fixture(name).join("expected");
    for f in COMPARED {
        let want = std::fs::read(expected.join(f)).unwrap();
        let got = std::fs::read(out.join(f)).unwrap();
        assert!(
            want == got,
            "{name}/{f} differs from the recorded one: diff {} {}",
            expected.join(f).display(),
            out.join(f).display()
        );
    }
    // The merge files a folder keeps are written too, and read back as they were.
    let again = RunInfo::read(&out).unwrap();
    assert_eq!(again.layout, RunInfo::read(&input).unwrap().layout);
    let kept = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), lines.len());
}

#[test]
fn ecommerce_burst_writes_the_recorded_files() {
    replay("ecommerce-burst");
}

#[test]
fn webhook_storm_writes_the_recorded_files() {
    replay("webhook-storm");
}
