//! A target that is down: counted and classified, the run completes, the verdict fails.

use crate::support::*;

#[test]
fn the_headline_scenario_against_a_down_target_fails_with_exit_3() {
    let dir = scratch("down");
    let out = dir.join("out");
    let url = format!("http://127.0.0.1:{}", dead_port());
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/ecommerce-burst.toml"
    );
    let o = run(&[
        "run",
        scenario,
        "--target",
        &url,
        "--duration",
        "2s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["verdict"], "failed");
    let connect_errors: u64 = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["outcomes"]["connect"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        connect_errors > 0,
        "refused connections are counted as connect errors: {s}"
    );
}

#[test]
fn a_plan_beyond_the_open_file_limit_is_refused_before_the_run_with_the_fix() {
    let dir = scratch("too-big");
    let out = dir.join("out");
    let o = run(&[
        "run",
        "--url",
        "http://127.0.0.1:9/",
        "--vus",
        "1000000",
        "--duration",
        "1s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ulimit -n") && err.contains("--segment"),
        "{err}"
    );
    assert!(!out.exists(), "nothing was started or written");
}

#[test]
fn the_ci_gate_script_fails_the_job_with_exit_3_and_leaves_the_evidence() {
    let dir = scratch("ci-gate");
    let out = dir.join("gate");
    let f = write(
        &dir,
        "gate.toml",
        &format!(
            r#"name = "gate"
target = "http://127.0.0.1:{}"
duration = "1s"

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "s"
  http = {{ method = "GET", path = "/" }}

[thresholds]
"errors" = ["rate < 1%"]
"#,
            dead_port()
        ),
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/ci-gate.sh");
    let o = std::process::Command::new("bash")
        .args([script, f.to_str().unwrap(), out.to_str().unwrap()])
        .env("LOADGEN", env!("CARGO_BIN_EXE_loadgen"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("ci-gate: SLA failed"),
        "{}",
        text(&o)
    );
    assert!(out.join("junit.xml").exists() && out.join("summary.json").exists());
}
