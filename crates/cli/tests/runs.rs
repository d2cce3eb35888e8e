//! Runs against a standalone demo target: what loadgen reports equals what the target saw.

use crate::support::*;

fn steps_by_name(s: &serde_json::Value) -> std::collections::HashMap<String, serde_json::Value> {
    s["steps"]
        .as_array()
        .expect("steps array")
        .iter()
        .map(|st| (st["step"].as_str().unwrap().to_string(), st.clone()))
        .collect()
}

#[test]
fn open_model_counts_match_the_targets_counters() {
    let target = Target::start(&[]);
    let dir = scratch("open-count");
    let f = write(
        &dir,
        "open.toml",
        r#"name = "open-count"
target = "embedded"
duration = "2s"

[[workload]]
name = "pay"
model = "open"
rate = "100/s"
max_vus = 50

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD", reference = "{{uuid}}" } }
  expect = { status = [201], json = { "status" = "succeeded" } }

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }

[thresholds]
"errors" = ["rate < 1%"]
"latency{step=create}" = ["p(99) < 10s"]
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &["--threads", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let steps = steps_by_name(&s);
    let c = target.counters();
    // A uniform 100/s for 2 s is exactly 200 arrivals, and no VU shortage at this rate.
    assert_eq!(steps["create"]["count"], 200, "{s}");
    assert_eq!(c["by_route"]["create_payment"], 200, "{c}");
    assert_eq!(c["by_route"]["health"], steps["health"]["count"], "{c}");
    assert_eq!(c["requests_total"], 400, "{c}");
    assert_eq!(c["by_status"]["201"], 200, "{c}");
    assert_eq!(s["verdict"], "passed");
    hlog_matches_the_summary(&out, "pay.create", &steps["create"]);
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let rows: u64 = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",create,"))
        .map(|l| l.split(',').nth(4).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(rows, 200, "per-interval counts add up to the total: {csv}");
}

#[test]
fn closed_model_counts_match_the_targets_counters() {
    let target = Target::start(&["--latency", "2ms"]);
    let dir = scratch("closed-count");
    let f = write(
        &dir,
        "closed.toml",
        r#"name = "closed-count"
target = "embedded"
duration = "30s"

[[workload]]
name = "shop"
model = "closed"
vus = 4
iterations = 25

  [[workload.step]]
  name = "create"
  http = { method = "POST", path = "/api/payments", json = { amount = 250, currency = "EUR" } }
  expect = { status = [201] }

  [[workload.step]]
  name = "list"
  http = { method = "GET", path = "/api/payments?limit=5" }
  expect = { status = [200], body_contains = "data" }
"#,
    );
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let steps = steps_by_name(&s);
    let c = target.counters();
    assert_eq!(steps["create"]["count"], 100, "{s}");
    assert_eq!(steps["list"]["count"], 100, "{s}");
    assert_eq!(c["by_route"]["create_payment"], 100, "{c}");
    assert_eq!(c["by_route"]["list_payments"], 100, "{c}");
    assert_eq!(c["requests_total"], 200, "{c}");
    // Every request waited for the injected 2 ms.
    assert!(
        steps["create"]["latency"]["min"].as_f64().unwrap() >= 2.0,
        "{s}"
    );
}

fn threshold_scenario(dir: &std::path::Path, limit: &str) -> std::path::PathBuf {
    write(
        dir,
        "t.toml",
        &format!(
            r#"name = "gate"
target = "embedded"
duration = "1s"

[[workload]]
name = "w"
model = "closed"
vus = 2

  [[workload.step]]
  name = "get"
  http = {{ method = "POST", path = "/api/payments", json = {{ amount = 1, currency = "USD" }} }}
  expect = {{ status = [201] }}

[thresholds]
"latency{{step=get}}" = ["p(50) < {limit}"]
"errors" = ["rate < 1%"]
"#
        ),
    )
}

#[test]
fn a_failed_threshold_exits_3_and_names_limit_and_measured_value() {
    let target = Target::start(&["--latency", "20ms"]);
    let dir = scratch("threshold-fail");
    let f = threshold_scenario(&dir, "5ms");
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["verdict"], "failed");
    let failed: Vec<_> = s["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{s}");
    assert!(
        failed[0]["expression"]
            .as_str()
            .unwrap()
            .contains("p(50) < 5ms"),
        "{s}"
    );
    assert!(
        failed[0]["measured"].as_f64().unwrap() >= 20.0,
        "measured in ms: {s}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("p(50) < 5ms"), "{stdout}");
    assert!(out.join("summary.txt").exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<script type=\"application/json\" id=\"lg-data\">")
            && html.contains("✗ FAIL")
            && html.contains("p(50) &lt; 5ms"),
        "report.html"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "report.html needs no network"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");
    assert!(
        junit.contains("<failure message=\"p(50) &lt; 5ms: measured"),
        "{junit}"
    );
}

#[test]
fn a_passed_threshold_exits_0() {
    let target = Target::start(&["--latency", "1ms"]);
    let dir = scratch("threshold-pass");
    let f = threshold_scenario(&dir, "5s");
    let out = dir.join("out");
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary(&out)["verdict"], "passed");
}

#[test]
fn the_embedded_target_starts_when_no_target_is_given() {
    let dir = scratch("embedded");
    let f = threshold_scenario(&dir, "5s");
    let out = dir.join("out");
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--duration",
        "1s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert!(s["steps"][0]["count"].as_u64().unwrap() > 0, "{s}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("req/s"),
        "a live line per interval: {stdout}"
    );
}

#[test]
fn abort_on_fail_stops_the_run_early_with_exit_3() {
    let target = Target::start(&["--latency", "30ms"]);
    let dir = scratch("abort");
    let f = write(
        &dir,
        "abort.toml",
        r#"name = "abort"
target = "embedded"
duration = "5m"

[[workload]]
name = "w"
model = "closed"
vus = 2

  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/api/payments", json = { amount = 1, currency = "USD" } }

[thresholds]
"latency" = [{ threshold = "p(50) < 5ms", abort_on_fail = true }]
"#,
    );
    let out = dir.join("out");
    let started = std::time::Instant::now();
    let o = run_against(&f, &target.url, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "stopped long before the 5 minutes"
    );
    let s = summary(&out);
    assert_eq!(s["stopped_early"], true);
    assert_eq!(s["verdict"], "failed");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("aborting"),
        "{}",
        text(&o)
    );
}

#[test]
fn ad_hoc_runs_need_no_scenario_file() {
    let target = Target::start(&[]);
    let dir = scratch("adhoc");
    let out = dir.join("out");
    let url = format!("{}/health", target.url);
    let o = run(&[
        "run",
        "--url",
        &url,
        "--rate",
        "100/s",
        "--vus",
        "10",
        "--duration",
        "2s",
        "--threshold",
        "p(99)<5s",
        "--threshold",
        "errors: rate<1%",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["steps"][0]["count"], 200, "{s}");
    assert_eq!(target.counters()["by_route"]["health"], 200);
    assert_eq!(s["thresholds"].as_array().unwrap().len(), 2);

    let o = run(&[
        "run",
        "--url",
        &url,
        "--duration",
        "1s",
        "--threshold",
        "p(99)<1µs",
        "--out",
        dir.join("out2").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = run(&["run", "--url", "ftp://x", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `scripts/hlog_check.py` (Python's `hdrh`) on `hlog` for `tag`. `None` only when `hdrh` is
/// missing outside CI (under CI that fails `test`); once it is there, a file it cannot decode
/// is `Some(Err)`, never "unavailable".
fn python_hdrh(
    test: &str,
    hlog: &std::path::Path,
    tag: &str,
) -> Option<Result<serde_json::Value, String>> {
    let python = loadgen_testkit::peer::HDRH.require(test)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/hlog_check.py");
    let o = std::process::Command::new(python)
        .args([script, hlog.to_str().unwrap(), tag])
        .output()
        .expect("python3 runs");
    if !o.status.success() {
        return Some(Err(format!(
            "python hdrh could not decode {}: {}",
            hlog.display(),
            String::from_utf8_lossy(&o.stderr)
        )));
    }
    Some(
        serde_json::from_slice(&o.stdout)
            .map_err(|e| format!("hlog_check.py printed no JSON ({e}): {}", text(&o))),
    )
}

#[test]
fn a_damaged_hlog_fails_the_python_hdrh_check() {
    let test = "a_damaged_hlog_fails_the_python_hdrh_check";
    let dir = scratch("hlog-damaged");
    let head = "#[StartTime: 1700000000.000 (seconds since epoch)]\n";
    // A valid histogram of three values, then the same with its base64 cut short.
    let good = "HISTFAAAACZ4nJNpmSzMwMDAyQABzFCaEURcm7yEwf4DROA4I9NRMAIAiSYG6g==";
    let hlog = dir.join("good.hlog");
    std::fs::write(
        &hlog,
        format!("{head}Tag=latency.w.s,0.000,1.000,0.300,{good}\n"),
    )
    .unwrap();
    let Some(decoded) = python_hdrh(test, &hlog, "latency.w.s") else {
        return;
    };
    let v = decoded.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["count"], 3, "{v}");
    for (name, text) in [
        (
            "cut",
            format!("{head}Tag=latency.w.s,0.000,1.000,0.300,{}\n", &good[..29]),
        ),
        ("not-an-hlog", "this is not an interval log\n".to_string()),
    ] {
        let hlog = dir.join(format!("{name}.hlog"));
        std::fs::write(&hlog, text).unwrap();
        let decoded = python_hdrh(test, &hlog, "latency.w.s");
        assert!(matches!(decoded, Some(Err(_))), "{name}: {decoded:?}");
    }
}

/// Decodes `latency.hlog` with the reference HdrHistogram reader: the intervals of `tag`
/// add up to the count and percentiles the summary printed.
fn hlog_matches_the_summary(out: &std::path::Path, tag: &str, step: &serde_json::Value) {
    use base64::Engine;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;
    let text = std::fs::read(out.join("latency.hlog")).unwrap();
    let mut merged = hdrhistogram::Histogram::<u64>::new(3).unwrap();
    let mut lines = 0;
    for entry in IntervalLogIterator::new(&text) {
        if let LogEntry::Interval(h) = entry.expect("valid interval log") {
            if h.tag().map(|t| t.as_str()) == Some(&format!("latency.{tag}")) {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(h.encoded_histogram())
                    .unwrap();
                let part: hdrhistogram::Histogram<u64> =
                    Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
                merged.add(&part).unwrap();
                lines += 1;
            }
        }
    }
    assert!(lines >= 2, "one line per interval");
    // The same file through another language's HdrHistogram library (Python `hdrh`).
    let python = python_hdrh(
        "open_model_counts_match_the_targets_counters (Python hdrh)",
        &out.join("latency.hlog"),
        &format!("latency.{tag}"),
    );
    if let Some(decoded) = python {
        let v = decoded.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            v["intervals"].as_u64() >= Some(2),
            "python hdrh intervals: {v}"
        );
        assert_eq!(v["count"], step["count"], "python hdrh count: {v}");
        assert_eq!(
            v["p99_ms"].as_f64(),
            step["latency"]["p99"].as_f64(),
            "python hdrh p99: {v}"
        );
    }
    assert_eq!(merged.len(), step["count"].as_u64().unwrap());
    let p99_ms = merged.value_at_quantile(0.99) as f64 / 1e3;
    assert!(
        (p99_ms - step["latency"]["p99"].as_f64().unwrap()).abs() < 0.002,
        "{p99_ms} vs {}",
        step["latency"]
    );
}

#[test]
fn built_to_fail_requests_are_expected_failures_counted_apart_from_errors() {
    let target = Target::start(&[]);
    let dir = scratch("built-to-fail");
    let out = dir.join("out");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/failure-rate.toml"
    );
    let o = run(&[
        "run",
        scenario,
        "--target",
        &target.url,
        "--duration",
        "4s",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    let expected = s["totals"]["expected_failures"].as_u64().unwrap();
    let total = s["totals"]["requests"].as_u64().unwrap();
    assert!(expected > 0, "{s}");
    assert_eq!(s["totals"]["errors"], 0, "{s}");
    // Every expected failure is a rejection the target really sent, and nothing else was rejected.
    assert_eq!(
        c["by_status"]["402"].as_u64().unwrap_or(0) + c["by_status"]["422"].as_u64().unwrap_or(0),
        expected,
        "{c}"
    );
    assert_eq!(
        c["by_status"]["201"].as_u64().unwrap(),
        total - expected,
        "{c}"
    );
}

fn feeder_scenario(
    dir: &std::path::Path,
    order: &str,
    rows: usize,
    model: &str,
) -> std::path::PathBuf {
    let csv: String = std::iter::once("key,amount\n".to_string())
        .chain((0..rows).map(|i| format!("key-{i},{}\n", 100 + i)))
        .collect();
    write(dir, "keys.csv", &csv);
    write(
        dir,
        "feed.toml",
        &format!(
            r#"name = "feed"
target = "embedded"

[feeder.keys]
file = "keys.csv"
order = "{order}"

[[workload]]
name = "w"
{model}

  [[workload.step]]
  name = "pay"
  http = {{ method = "POST", path = "/api/payments", headers = {{ "Idempotency-Key" = "{{{{keys.key}}}}", "Content-Type" = "application/json" }}, body = '{{"amount": {{{{keys.amount}}}}, "currency": "AUD"}}' }}
  expect = {{ status = [201, 200] }}

[thresholds]
"errors" = ["rate < 1%"]
"#
        ),
    )
}

const TWO_VUS_TEN_ITERATIONS: &str =
    "model = \"closed\"\nvus = 2\niterations = 10\nduration = \"30s\"";

/// Runs the feeder scenario (2 VUs x 10 iterations) against a fresh target; its counters.
fn run_feeder(name: &str, order: &str, rows: usize) -> serde_json::Value {
    let target = Target::start(&[]);
    let dir = scratch(name);
    let f = feeder_scenario(&dir, order, rows, TWO_VUS_TEN_ITERATIONS);
    let o = run_against(&f, &target.url, &dir.join("out"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    target.counters()
}

#[test]
fn feeder_rows_reach_the_requests_in_the_documented_order() {
    // Unique: 2 VUs x 10 iterations read 20 distinct keys: every payment is new (201).
    let c = run_feeder("feeder-unique", "unique", 20);
    assert_eq!(c["by_status"]["201"], 20, "{c}");

    // Sequential over 5 rows wraps: 5 new payments, 15 idempotent replays (200).
    let c = run_feeder("feeder-sequential", "sequential", 5);
    assert_eq!(
        (
            c["by_status"]["201"].as_u64(),
            c["by_status"]["200"].as_u64()
        ),
        (Some(5), Some(15)),
        "{c}"
    );

    // A unique feeder that could run dry is refused before the run.
    let dir = scratch("feeder-too-small");
    let f = feeder_scenario(&dir, "unique", 5, TWO_VUS_TEN_ITERATIONS);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("has 5 rows but this workload may run 20 iterations"),
        "{}",
        text(&o)
    );
}

#[test]
fn compare_gates_on_a_regression_between_two_runs() {
    let dir = scratch("compare");
    let (fast, slow) = (dir.join("fast"), dir.join("slow"));
    let t1 = Target::start(&["--latency", "1ms"]);
    let f = threshold_scenario(&dir, "10s");
    let o = run_against(&f, &t1.url, &fast, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t2 = Target::start(&["--latency", "20ms"]);
    let o = run_against(&f, &t2.url, &slow, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = run(&[
        "compare",
        fast.to_str().unwrap(),
        slow.to_str().unwrap(),
        "--fail-if",
        "p(99) > +10%",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("✗ w/get: p(99) > +10%"),
        "{}",
        text(&o)
    );
    // The other way round is an improvement, not a regression.
    let o = run(&[
        "compare",
        slow.to_str().unwrap(),
        fast.to_str().unwrap(),
        "--fail-if",
        "p(99) > +10%",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&[
        "compare",
        slow.to_str().unwrap(),
        fast.to_str().unwrap(),
        "--fail-if",
        "p(99) > 10",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn json_progress_lines_add_up_to_the_summary() {
    let dir = scratch("json-progress");
    let f = threshold_scenario(&dir, "5s");
    let out = dir.join("out");
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--duration",
        "2s",
        "--json-progress",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l.get("interval").is_some())
        .collect();
    assert!(lines.len() >= 2, "{stdout}");
    let sum: u64 = lines.iter().map(|l| l["requests"].as_u64().unwrap()).sum();
    assert_eq!(sum, summary(&out)["totals"]["requests"].as_u64().unwrap());
}

#[test]
fn the_same_seed_twice_against_one_target_replays_no_idempotency_key() {
    let target = Target::start(&[]);
    let dir = scratch("same-seed-twice");
    let file = write(
        &dir,
        "twice.toml",
        r#"name = "twice"
seed = 7
duration = "5s"

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 5

  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/api/payments", headers = { "Idempotency-Key" = "{{uuid}}" }, json = { amount = 100, currency = "AUD" } }
  expect = { status = [201] }
"#,
    );
    for round in 0..2 {
        let out = dir.join(format!("out-{round}"));
        let o = run_against(&file, &target.url, &out, &["--quiet"]);
        assert_eq!(o.status.code(), Some(0), "round {round}: {}", text(&o));
    }
    // Every payment was new: a replayed key would have been answered 200.
    let c = target.counters();
    assert_eq!(c["by_status"]["201"], 20, "{c}");
    assert!(c["by_status"].get("200").is_none(), "{c}");
}

fn connection_scenario(
    dir: &std::path::Path,
    name: &str,
    per_iteration: bool,
) -> std::path::PathBuf {
    write(
        dir,
        &format!("{name}.toml"),
        &format!(
            "name = \"{name}\"\n\
             [[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 2\niterations = 5\nduration = \"30s\"\n\
             new_connection_per_iteration = {per_iteration}\n\
             [[workload.step]]\nname = \"a\"\nhttp = {{ method = \"GET\", path = \"/health\" }}\n\
             [[workload.step]]\nname = \"b\"\nhttp = {{ method = \"GET\", path = \"/health\" }}\n\
             [thresholds]\n\"errors\" = [\"rate < 1%\"]\n"
        ),
    )
}

#[test]
fn a_new_connection_per_iteration_is_one_connection_per_iteration_on_the_server() {
    let dir = scratch("per-iteration");
    for (per_iteration, connections) in [(true, 10), (false, 2)] {
        let target = Target::start(&[]);
        let f = connection_scenario(&dir, &format!("conn-{per_iteration}"), per_iteration);
        let out = dir.join(format!("out-{per_iteration}"));
        let o = run_against(&f, &target.url, &out, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let c = target.counters();
        assert_eq!(c["requests_total"], 20, "{c}");
        // 2 VUs x 5 iterations: each iteration its own connection, or one per VU; plus the
        // connection that asked for these counters.
        assert_eq!(
            c["connections_accepted"],
            connections + 1,
            "per_iteration={per_iteration}: {c}"
        );
    }
}

#[test]
fn connection_churn_beyond_time_wait_is_warned_before_the_load() {
    let dir = scratch("churn");
    let f = write(
        &dir,
        "churn.toml",
        "name = \"churn\"\n\
         [[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"1000/s\"\nmax_vus = 50\nduration = \"10s\"\n\
         new_connection_per_iteration = true\n\
         [[workload.step]]\nname = \"a\"\nhttp = { method = \"GET\", path = \"/health\" }\n",
    );
    for cmd in ["validate", "plan"] {
        let o = run(&[cmd, f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("about 60000 sockets in TIME_WAIT"),
            "{cmd}: {stderr}"
        );
    }
}
