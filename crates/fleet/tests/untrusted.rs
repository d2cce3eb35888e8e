//! Merge input is untrusted: crafted `metrics.jsonl` lines (an index or a start far past the
//! run's end, counts that add up past 2^63) are refused with their file and line, before a
//! merge allocates for them or adds them up.

use crate::merge_files::{info, interval, scratch};
use loadgen_fleet::{merge, FolderWriter, MergeOptions, RunPart};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A one-second part with one honest interval, then `extra` appended to its metrics file.
fn part(dir: &Path, segment: &str, extra: &[serde_json::Value]) {
    let mut w = FolderWriter::create(dir, info(segment), SystemTime::now()).unwrap();
    w.interval(&interval(0, 0)).unwrap();
    w.finish(Duration::from_secs(1), false, Vec::new()).unwrap();
    let path = dir.join("metrics.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for l in extra {
        text.push_str(&format!("{l}\n"));
    }
    std::fs::write(&path, text).unwrap();
}

/// The honest interval line, with `edit` applied.
fn line(edit: impl Fn(&mut serde_json::Value)) -> serde_json::Value {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = scratch(&format!(
        "line-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    part(&dir, "0/1", &[]);
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    edit(&mut v);
    v
}

fn refused(dir: &Path) -> String {
    RunPart::read(dir).unwrap_err().to_string()
}

#[test]
fn an_index_or_start_past_the_runs_end_is_refused_with_its_line() {
    let dir = scratch("index");
    part(&dir, "0/1", &[line(|v| v["index"] = (1u64 << 63).into())]);
    let e = refused(&dir);
    assert!(e.contains("metrics.jsonl:2") && e.contains("index"), "{e}");

    // One second of run: interval 3 cannot exist either (0, 1 and the one in progress can).
    part(&dir, "0/1", &[line(|v| v["index"] = 3.into())]);
    assert!(refused(&dir).contains("metrics.jsonl:2"));
    part(&dir, "0/1", &[line(|v| v["index"] = 1.into())]);
    RunPart::read(&dir).unwrap();

    part(
        &dir,
        "0/1",
        &[line(|v| v["start_us"] = (1u64 << 63).into())],
    );
    let e = refused(&dir);
    assert!(
        e.contains("metrics.jsonl:2") && e.contains("start_us"),
        "{e}"
    );

    // run.json's own times are held to what a run can have.
    part(&dir, "0/1", &[]);
    let run = dir.join("run.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run).unwrap()).unwrap();
    v["elapsed_s"] = 1e300.into();
    std::fs::write(&run, v.to_string()).unwrap();
    let e = refused(&dir);
    assert!(e.contains("run.json") && e.contains("elapsed_s"), "{e}");
}

#[test]
fn counts_that_would_wrap_are_refused_in_a_part_and_across_parts() {
    let dir = scratch("wrap");
    part(
        &dir,
        "0/1",
        &[line(|v| {
            v["metrics"]["steps"][0]["counts"][0] = u64::MAX.into()
        })],
    );
    let e = refused(&dir);
    assert!(e.contains("metrics.jsonl:2") && e.contains("2^63"), "{e}");

    // 2^62 in each of two parts: each reads, their sum is refused by the merge.
    let big = line(|v| {
        v["index"] = 1.into();
        v["metrics"]["steps"][0]["counts"][0] = (1u64 << 62).into();
    });
    let (a, b) = (scratch("wrap-a"), scratch("wrap-b"));
    part(&a, "0/2", std::slice::from_ref(&big));
    part(&b, "1/2", &[big]);
    let parts = [RunPart::read(&a).unwrap(), RunPart::read(&b).unwrap()];
    let e = merge(&parts, MergeOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("metrics.jsonl") && e.contains("2^63"), "{e}");
}
