//! Output that scripts rely on: printing may fail (a closed pipe, a full disk) and the run
//! still writes its results and exits with its verdict; `--json-progress` keeps stdout to
//! JSON lines.

use crate::support::*;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// A 1 s ad-hoc run of `/health` (which always answers 200) with `stdout` as given.
fn run_with_stdout(target: &Target, out: &std::path::Path, stdout: Stdio) -> Output {
    let url = format!("{}/health", target.url);
    let mut child = bin()
        .args(["run", "--url", &url, "--vus", "2", "--duration", "1s"])
        .args(["--threshold", "errors: rate<1%", "--out"])
        .arg(out)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing our end of a piped stdout right away is what `| head -0` does.
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "loadgen did not finish in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_results_written(o: &Output, out: &std::path::Path) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s = summary(out);
    assert!(s["totals"]["requests"].as_u64().unwrap() > 0, "{s}");
    for f in ["summary.txt", "timeseries.csv", "junit.xml", "report.html"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn a_closed_stdout_pipe_still_writes_results_and_exits_with_the_verdict() {
    let target = Target::start(&[]);
    let dir = scratch("closed-pipe");
    let out = dir.join("out");
    let o = run_with_stdout(&target, &out, Stdio::piped());
    assert_results_written(&o, &out);
}

#[test]
fn stdout_on_a_full_device_still_writes_results() {
    let target = Target::start(&[]);
    let dir = scratch("dev-full");
    let out = dir.join("out");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux)");
    let o = run_with_stdout(&target, &out, Stdio::from(full));
    assert_results_written(&o, &out);
}

#[test]
fn json_progress_stdout_is_json_lines_only_ending_with_the_verdict() {
    let target = Target::start(&[]);
    let dir = scratch("json-only");
    let out = dir.join("out");
    let o = health_run(&target, &out, &["--json-progress"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect();
    let (last, intervals) = lines.split_last().expect("at least the final line");
    assert_eq!(last["final"], true, "{last}");
    assert_eq!(last["verdict"], "passed", "{last}");
    assert_eq!(last["exit_code"], 0, "{last}");
    assert!(!intervals.is_empty(), "{stdout}");
    assert!(
        intervals.iter().all(|l| l.get("interval").is_some()),
        "{stdout}"
    );
    // The human text did not vanish: it moved to stderr.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("verdict: PASSED"), "{stderr}");
}

#[test]
fn an_out_folder_with_files_is_refused_unless_forced_and_planted_symlinks_are_not_followed() {
    let target = Target::start(&[]);
    let dir = scratch("out-folder");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    write(&out, "notes.txt", "earlier evidence");
    let o = health_run(&target, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("add --force"), "{}", text(&o));
    assert_eq!(
        target.counters()["by_route"]["health"],
        0,
        "no load before the check"
    );

    let victim = write(&dir, "victim", "precious");
    std::os::unix::fs::symlink(&victim, out.join("summary.txt")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("timeseries.csv")).unwrap();
    let o = health_run(&target, &out, &["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!out.join("summary.txt").is_symlink());
    assert!(std::fs::read_to_string(out.join("summary.txt"))
        .unwrap()
        .contains("verdict"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "earlier evidence",
        "--force replaces loadgen's files only"
    );
}

#[test]
fn an_out_folder_that_cannot_be_written_is_found_before_the_load() {
    let target = Target::start(&[]);
    // Tests run as root, so permissions would not stop a write; procfs does.
    let o = health_run(&target, std::path::Path::new("/proc/self"), &["--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot write into"), "{}", text(&o));
    assert_eq!(
        target.counters()["by_route"]["health"],
        0,
        "no load was sent"
    );
}
