//! `--dashboard` and `loadgen ctl` end to end: changes by hand land in the results at their
//! recorded instants (judged from timeseries.csv by those instants, not by wall-clock
//! sampling), a wrong token changes nothing, a non-loopback address is refused without TLS,
//! `ctl` pins an HTTPS dashboard's printed fingerprint, and headless Chromium sees the
//! history so far mid-run and the verdict at the end.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

const SCENARIO: &str = "name = \"dash\"\ntarget = \"embedded\"\nduration = \"DURATION\"\n\
    [[workload]]\nname = \"checkout\"\nmodel = \"open\"\nrate = \"50/s\"\nmax_vus = 50\n\
    [[workload.step]]\nname = \"health\"\nhttp = { method = \"GET\", path = \"/health\" }\n\
    [thresholds]\n\"errors\" = [\"rate < 1%\"]\n";

/// Starts a run of `secs` seconds with the dashboard on a free port; returns the child, the
/// page's URL (no token) and the token.
fn start(dir: &Path, secs: u64) -> (Child, String, String) {
    let (child, base, token, _) = start_with(dir, secs, &[]);
    (child, base, token)
}

/// As [`start`], with more flags; also returns the printed certificate fingerprint, if any.
fn start_with(dir: &Path, secs: u64, extra: &[&str]) -> (Child, String, String, Option<String>) {
    let f = write(
        dir,
        "dash.toml",
        &SCENARIO.replace("DURATION", &format!("{secs}s")),
    );
    let out = dir.join("out");
    let mut child = bin()
        .args([
            "run",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .arg("--dashboard=127.0.0.1:0")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("loadgen: dashboard at ")
                .map(|u| u.split(' ').next().unwrap().to_string())
        })
        .expect("the dashboard is announced");
    let fingerprint = url.starts_with("https://").then(|| {
        let line = lines.next().unwrap().unwrap();
        let fp = line
            .strip_prefix("loadgen: dashboard certificate SHA-256 ")
            .unwrap_or_else(|| panic!("the fingerprint follows the URL: {line}"));
        fp.split(' ').next().unwrap().to_string()
    });
    std::thread::spawn(move || for _ in lines {});
    let (base, token) = url.split_once("#token=").unwrap();
    assert_eq!(token.len(), 32, "128 bits in hex");
    (child, base.to_string(), token.to_string(), fingerprint)
}

fn ctl(base: &str, token: &str, command: &[&str]) -> std::process::Output {
    bin()
        .args(["ctl", base])
        .args(command)
        .env("LOADGEN_TOKEN", token)
        .output()
        .unwrap()
}

fn wait(mut child: Child) -> i32 {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `(start, length, count + dropped + skipped_paused, skipped_paused)` per row.
pub(crate) fn rows(out: &Path) -> Vec<(f64, f64, f64, f64)> {
    let text = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (s, l, c, d, k) = (
        col("interval_start_s"),
        col("interval_length_s"),
        col("count"),
        col("dropped"),
        col("skipped_paused"),
    );
    lines
        .map(|line| {
            let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap_or(0.0)).collect();
            (f[s], f[l], f[c] + f[d] + f[k], f[k])
        })
        .collect()
}

#[test]
fn changes_by_hand_land_at_their_recorded_instants() {
    let dir = scratch("dashboard-ctl");
    let (child, base, token) = start(&dir, 11);
    // A wrong token and no token: 401, nothing changes.
    let wrong = ctl(&base, "0123456789abcdef0123456789abcdef", &["stop"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"));
    let none = bin()
        .args(["ctl", &base, "pause"])
        .env_remove("LOADGEN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    // When each change is asked for matters little: every check below uses its recorded instant.
    std::thread::sleep(Duration::from_millis(2000));
    assert!(ctl(&base, &token, &["scale", "2"]).status.success());
    std::thread::sleep(Duration::from_millis(3000));
    assert!(ctl(&base, &token, &["pause"]).status.success());
    std::thread::sleep(Duration::from_millis(3000));
    assert!(ctl(&base, &token, &["resume"]).status.success());
    let code = wait(child);
    assert_eq!(code, 0, "the thresholds' exit code stands");
    let out = dir.join("out");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let changes = run["changes"].as_array().unwrap();
    let what: Vec<&str> = changes
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        ["scale 2", "pause", "resume"],
        "the refused requests left no trace"
    );
    let at: Vec<f64> = changes
        .iter()
        .map(|c| c["at_s"].as_f64().unwrap())
        .collect();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["as_planned"], false);
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(text.contains("CHANGED BY HAND"), "{text}");

    // Arrivals (sent, dropped or skipped) per second in whole rows before and after the scale.
    let rows = rows(&out);
    let rate = |keep: &dyn Fn(f64, f64) -> bool| {
        let kept: Vec<_> = rows.iter().filter(|r| keep(r.0, r.0 + r.1)).collect();
        assert!(!kept.is_empty(), "rows in the span: {rows:?} {at:?}");
        kept.iter().map(|r| r.2).sum::<f64>() / kept.iter().map(|r| r.1).sum::<f64>()
    };
    let before = rate(&|_, end| end <= at[0]);
    let after = rate(&|start, end| start >= at[0] && end <= at[1]);
    // The schedule is exact (50/s, then 100/s); completions move a request between rows by
    // its latency only.
    assert!(
        (1.6..=2.4).contains(&(after / before)),
        "{before}/s before, {after}/s after: {rows:?}"
    );
    // Paused: rows a second past the pause and before the resume sent nothing, all skipped.
    let paused: Vec<_> = rows
        .iter()
        .filter(|r| r.0 >= at[1] + 1.0 && r.0 + r.1 <= at[2])
        .collect();
    assert!(!paused.is_empty(), "{rows:?} {at:?}");
    for r in paused {
        assert_eq!(r.2, r.3, "a paused row only skips: {r:?}");
        assert!(r.3 > 0.0);
    }
}

#[test]
fn a_stop_by_hand_exits_130_and_a_non_loopback_dashboard_is_refused() {
    let dir = scratch("dashboard-stop");
    let f = write(&dir, "one.toml", &SCENARIO.replace("DURATION", "1s"));
    let refused = run(&[
        "run",
        f.to_str().unwrap(),
        "--dashboard=0.0.0.0:0",
        "--out",
        dir.join("refused").to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback only"));
    let (child, base, token) = start(&dir, 60);
    assert!(ctl(&base, &token, &["stop"]).status.success());
    assert_eq!(wait(child), 130, "as Ctrl-C");
}

/// HTTPS (forced on, on loopback): `ctl` with the printed fingerprint and the token stops the
/// run; another fingerprint, or none, is refused before the token is sent.
#[test]
fn over_https_ctl_pins_the_printed_fingerprint() {
    let dir = scratch("dashboard-https");
    let (child, base, token, fp) = start_with(&dir, 60, &["--dashboard-tls"]);
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let fp = fp.expect("a fingerprint is printed");
    assert_eq!(fp.len(), 32 * 3 - 1, "SHA-256 as AB:CD:…: {fp}");
    let with_pin = |pin: Option<&str>, command: &str| {
        let mut c = bin();
        c.args(["ctl", &base, command]).env("LOADGEN_TOKEN", &token);
        if let Some(pin) = pin {
            c.args(["--fingerprint", pin]);
        }
        c.output().unwrap()
    };
    let other = "00:".repeat(31) + "00";
    let wrong = with_pin(Some(&other), "stop");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("not among the pinned"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let none = with_pin(None, "stop");
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("--fingerprint"));
    // The fingerprint as `openssl x509 -fingerprint` or lower case without colons: the same.
    let plain = fp.replace(':', "").to_ascii_lowercase();
    assert!(with_pin(Some(&plain), "stop").status.success());
    assert_eq!(wait(child), 130, "stopped by hand over HTTPS");
}

/// Headless Chromium on the page: a load at ~5 s of a 10 s run shows the first seconds'
/// history; a load that follows the stream to its end shows the verdict.
#[test]
fn chromium_sees_the_history_so_far_and_the_verdict() {
    let Some(chromium) = loadgen_testkit::peer::CHROMIUM.require("dashboard in Chromium") else {
        return;
    };
    let dir = scratch("dashboard-chromium");
    let (child, base, _) = start(&dir, 12);
    let dom = move |profile: &str, extra: &[&str]| {
        let out = std::process::Command::new(&chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
            .arg(format!("--user-data-dir={}", dir.join(profile).display()))
            .args(extra)
            .arg(&base)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // The tab that stays to the end opens first, on its own thread: a Chromium that takes
    // seconds to start on a busy machine must not find the run already over.
    let end = {
        let dom = dom.clone();
        // Virtual time runs until the event stream ends: the page then holds the verdict.
        std::thread::spawn(move || dom("end", &["--virtual-time-budget=60000"]))
    };
    // The element's text as rendered (the page's script holds the same id in a template).
    let text_of = |dom: &str, id: &str| -> String {
        let tag = format!("id=\"{id}\">");
        dom.match_indices(&tag)
            .map(|(i, _)| &dom[i + tag.len()..])
            .map(|rest| rest[..rest.find('<').unwrap_or(rest.len())].to_string())
            .find(|text| !text.starts_with('$'))
            .unwrap_or_else(|| panic!("no rendered {id}: {dom}"))
    };
    std::thread::sleep(Duration::from_secs(5));
    let mid = dom("mid", &[]);
    assert!(mid.contains("checkout/health"), "{mid}");
    let elapsed: f64 = text_of(&mid, "elapsed").parse().unwrap();
    let early: u64 = text_of(&mid, "requests").parse().unwrap();
    assert!(
        (2.0..12.0).contains(&elapsed),
        "history of the first seconds: {elapsed}"
    );
    assert!(early > 0);
    let end = end.join().unwrap();
    assert_eq!(wait(child), 0);
    let verdict = text_of(&end, "verdict");
    assert!(verdict.starts_with("verdict: PASSED"), "{verdict}");
    let last: u64 = text_of(&end, "requests").parse().unwrap();
    assert!(last > early, "{early} then {last}");
}
