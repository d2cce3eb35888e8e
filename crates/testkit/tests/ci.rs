//! The rule end to end, in a real test process: this test binary runs its own ignored
//! `needs_nginx` test again with nginx hidden, once as CI and once not, and reads what
//! happened — the test fails under CI and names the peer; elsewhere it passes with a note.

use loadgen_testkit::peer::{HIDE_VAR, NGINX};
use std::process::{Command, Output};

#[test]
#[ignore = "run by a_missing_peer_fails_under_ci_and_skips_with_a_note_elsewhere"]
fn needs_nginx() {
    // Under CI this line panics; elsewhere it returns `None` after a note.
    assert!(NGINX.require("needs_nginx").is_none(), "nginx is hidden");
}

fn run_needs_nginx(ci: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--ignored", "--exact", "needs_nginx", "--test-threads=1"])
        .env(HIDE_VAR, "nginx");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    cmd.output().expect("the test binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_missing_peer_fails_under_ci_and_skips_with_a_note_elsewhere() {
    let ci = run_needs_nginx(Some("true"));
    let t = text(&ci);
    assert!(!ci.status.success(), "passed under CI without nginx: {t}");
    assert!(t.contains("needs_nginx needs nginx"), "{t}");
    assert!(t.contains(&format!("hidden by {HIDE_VAR}")), "{t}");
    assert!(t.contains("apt-get install nginx"), "{t}");
    assert!(t.contains("1 failed"), "{t}");

    let local = run_needs_nginx(None);
    let t = text(&local);
    assert!(local.status.success(), "{t}");
    assert!(t.contains("SKIPPED needs_nginx: nginx is missing"), "{t}");
    assert!(t.contains("1 passed"), "{t}");

    // `CI=false` is not CI.
    let t = text(&run_needs_nginx(Some("false")));
    assert!(t.contains("SKIPPED needs_nginx"), "{t}");
}
