//! The verdict never passes on no evidence: ad-hoc runs judge errors by default, a run with no
//! threshold says "not judged", interrupted requests count against an errors threshold, and
//! `compare` refuses a baseline step that the new run lacks.

use crate::support::*;
use std::path::Path;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `verdict:` lines a command printed.
fn verdict_lines(o: &std::process::Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.starts_with("verdict:"))
        .map(str::to_string)
        .collect()
}

fn adhoc(url: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--url",
        url,
        "--vus",
        "2",
        "--duration",
        "1s",
        "--threads",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn an_ad_hoc_run_answered_only_404_fails_on_the_default_errors_threshold() {
    // The README's own example: the demo target answers 404 on `/`.
    let target = Target::start(&[]);
    let dir = scratch("gate-404");
    let url = format!("{}/", target.url);
    let out = dir.join("default");
    let o = adhoc(&url, &out, &["--threshold", "p(99)<10s"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["verdict"], "failed", "{s}");
    let ths = s["thresholds"].as_array().unwrap();
    assert_eq!(
        ths.len(),
        2,
        "the user's latency threshold and the default: {s}"
    );
    let errors = ths
        .iter()
        .find(|t| t["metric"] == "errors")
        .unwrap_or_else(|| panic!("no errors threshold: {s}"));
    assert_eq!(errors["expression"], "rate < 1%", "{s}");
    assert_eq!(errors["passed"], false, "{s}");
    assert_eq!(errors["measured"], 1.0, "every answer was a 404: {s}");
    assert_eq!(verdict_lines(&o).len(), 1, "{}", text(&o));
    assert!(verdict_lines(&o)[0].contains("FAILED"), "{}", text(&o));
    assert!(
        stdout(&o).contains("default"),
        "the default is announced: {}",
        text(&o)
    );

    // An errors threshold of the user's own replaces the default.
    let out = dir.join("own");
    let o = adhoc(&url, &out, &["--threshold", "errors: rate <= 100%"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["thresholds"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["verdict"], "passed", "{s}");

    // --no-default-thresholds keeps only what was asked for.
    let out = dir.join("none");
    let o = adhoc(
        &url,
        &out,
        &["--threshold", "p(99)<10s", "--no-default-thresholds"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["thresholds"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["thresholds"][0]["metric"], "latency", "{s}");
}

#[test]
fn a_run_without_thresholds_is_not_judged() {
    let target = Target::start(&[]);
    let dir = scratch("gate-not-judged");
    // Ad hoc, the default dropped and nothing asked for.
    let out = dir.join("adhoc");
    let o = adhoc(
        &format!("{}/health", target.url),
        &out,
        &["--no-default-thresholds"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["verdict"], "not_judged", "{s}");
    assert_eq!(s["exit_code"], 0, "{s}");
    let lines = verdict_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    assert!(
        lines[0].contains("NOT JUDGED") && !lines[0].contains("held"),
        "{}",
        text(&o)
    );

    // A scenario file with no [thresholds] table.
    let f = write(
        &dir,
        "bare.toml",
        r#"name = "bare"
target = "embedded"
duration = "1s"

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }
"#,
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        stdout(&o).contains("not judged"),
        "validate warns: {}",
        text(&o)
    );
    // The flag is for ad-hoc runs; a file says what it judges in [thresholds].
    let o = run(&["run", f.to_str().unwrap(), "--no-default-thresholds"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = dir.join("file");
    let o = run_against(&f, &target.url, &out, &["--threads", "1", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary(&out)["verdict"], "not_judged");
    assert!(
        std::fs::read_to_string(out.join("summary.txt"))
            .unwrap()
            .contains("verdict: NOT JUDGED"),
        "summary.txt says it too"
    );
}

#[test]
fn requests_cut_off_by_a_stalled_target_fail_an_errors_threshold() {
    // Every /api/ request stalls: none completes, each VU's one request is interrupted at
    // the end of the graceful stop (2 s for ad-hoc runs).
    let target = Target::start(&["--fault", "stall"]);
    let dir = scratch("gate-stall");
    let out = dir.join("out");
    let o = adhoc(
        &format!("{}/api/payments", target.url),
        &out,
        &["--threshold", "errors: rate<1%"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["totals"]["requests"], 0, "{s}");
    assert_eq!(s["workloads"][0]["interrupted"], 2, "{s}");
    assert_eq!(s["totals"]["interrupted"], 2, "{s}");
    let t = &s["thresholds"][0];
    assert_eq!(t["passed"], false, "{s}");
    assert_eq!(t["measured"], 1.0, "2 interrupted of 2: {s}");
    assert_eq!(t["interrupted"], 2, "{s}");
    for file in ["summary.txt", "report.html"] {
        let shown = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(
            shown.contains("100.000% (2 interrupted)"),
            "{file}: {shown}"
        );
    }
    let lines = verdict_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    assert!(
        lines[0].contains("FAILED") && lines[0].contains("2 interrupted"),
        "{}",
        text(&o)
    );
}

/// One real 1 s run of a two-step scenario; returns its summary.json path.
fn baseline_summary(dir: &Path) -> std::path::PathBuf {
    let f = write(
        dir,
        "two.toml",
        r#"name = "two"
target = "embedded"
duration = "1s"

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }

  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/api/payments", json = { amount = 1, currency = "USD" } }
  expect = { status = [201] }

[thresholds]
"errors" = ["rate < 1%"]
"#,
    );
    let out = dir.join("base");
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--threads",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    summary(&out);
    out.join("summary.json")
}

/// `base` with its step `pay` changed by `edit` (or removed when `edit` returns false).
fn edited(base: &Path, to: &Path, edit: impl Fn(&mut serde_json::Value) -> bool) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    let steps = v["steps"].as_array_mut().unwrap();
    steps.retain_mut(|s| s["step"] != "pay" || edit(s));
    std::fs::write(to, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    to.to_str().unwrap().to_string()
}

#[test]
fn compare_fails_on_a_missing_step_and_refuses_what_is_not_a_summary() {
    let dir = scratch("gate-compare");
    let base = baseline_summary(&dir);
    let b = base.to_str().unwrap();

    // NEW lacks the step `pay`: a regression nobody measured.
    let missing = edited(&base, &dir.join("missing.json"), |_| false);
    let o = run(&["compare", b, &missing]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stdout(&o).contains("w/pay") && stdout(&o).contains("missing"),
        "{}",
        text(&o)
    );
    let o = run(&["compare", b, &missing, "--allow-missing"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A step that is there but sent nothing is missing too.
    let empty_step = edited(&base, &dir.join("zero.json"), |s| {
        s["count"] = 0.into();
        true
    });
    let o = run(&["compare", b, &empty_step]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // `[]`, `{}` and another tool's JSON are not loadgen summaries.
    for (name, body) in [
        ("list.json", "[]"),
        ("obj.json", "{}"),
        ("k6.json", r#"{"metrics": {"http_reqs": {"count": 1}}}"#),
    ] {
        let p = write(&dir, name, body);
        let o = run(&["compare", b, p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not a loadgen summary"),
            "{name}: {}",
            text(&o)
        );
        let o = run(&["compare", p.to_str().unwrap(), b]);
        assert_eq!(o.status.code(), Some(2), "{name} as baseline: {}", text(&o));
    }

    // A breach names its values with units.
    let slow = edited(&base, &dir.join("slow.json"), |s| {
        let p99 = s["latency"]["p99"].as_f64().unwrap();
        s["latency"]["p99"] = (p99 * 3.0 + 10.0).into();
        let rate = s["rate"].as_f64().unwrap();
        s["rate"] = (rate / 2.0).into();
        s["error_rate"] = 0.5.into();
        true
    });
    let o = run(&[
        "compare",
        b,
        &slow,
        "--fail-if",
        "p(99) > +10%",
        "--fail-if",
        "rate < -10%",
        "--fail-if",
        "error_rate > +1%",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = stdout(&o);
    let breaches = out.lines().filter(|l| l.starts_with('✗')).count();
    let line = |gate: &str| {
        out.lines()
            .find(|l| l.starts_with('✗') && l.contains(gate))
            .unwrap_or_else(|| panic!("no breach for {gate}: {out}"))
            .to_string()
    };
    assert_eq!(breaches, 3, "{out}");
    assert!(line("p(99)").matches("ms").count() >= 2, "{out}");
    assert!(line("rate < -10%").matches("req/s").count() >= 2, "{out}");
    assert!(line("error_rate").contains("50.000%"), "{out}");
}
