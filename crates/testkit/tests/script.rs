//! `scripts/test.sh` checks every peer before any cargo command: under CI a missing one fails
//! the run there, naming it and its install command; elsewhere the run goes on with a note. nginx is
//! hidden with `LOADGEN_PEERS_HIDE` (so the machine may well have it), nothing is installed
//! (`LOADGEN_PEERS_INSTALL=0`), and a `cargo` on `PATH` that only leaves a mark stands in for
//! the real one, so the script can never start the whole suite from inside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadgen-testkit-script-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs the script with nginx hidden and `cargo` replaced by a tripwire that writes `mark`.
fn test_sh(dir: &Path, ci: Option<&str>) -> Output {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let cargo = bin.join("cargo");
    let mark = dir.join("cargo-ran");
    let _ = std::fs::remove_file(&mark);
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\necho \"$@\" > '{}'\nexit 99\n", mark.display()),
    )
    .expect("tripwire");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .env("PATH", path)
        .env("LOADGEN_PEERS_HIDE", "nginx")
        .env("LOADGEN_PEERS_INSTALL", "0");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    cmd.output().expect("bash runs")
}

#[test]
fn under_ci_a_missing_peer_fails_test_sh_before_cargo_test() {
    let dir = scratch();
    let o = test_sh(&dir, Some("true"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("FAILED: under CI"), "{err}");
    assert!(
        err.contains("nginx (hidden by LOADGEN_PEERS_HIDE;")
            && err.contains("apt-get install nginx"),
        "{err}"
    );
    assert!(!dir.join("cargo-ran").exists(), "cargo test started: {err}");

    // Outside CI the same machine runs the tests, having said which will be skipped.
    let o = test_sh(&dir, None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(99), "the tripwire cargo ran: {err}");
    assert!(err.contains("will be SKIPPED"), "{err}");
    let args = std::fs::read_to_string(dir.join("cargo-ran")).expect("cargo ran");
    assert!(!args.trim().is_empty(), "cargo ran with no arguments");
    let _ = std::fs::remove_dir_all(&dir);
}
