//! `report.html` of synthetic runs of 2 and 20 steps written by the sink: one latency series
//! per step under the step's name, points bounded, errors by class where there were errors,
//! the worst window and the change by hand in the charts' data, nothing fetched from the
//! network, and the size of an hour of 20 steps (the figure docs/results.md gives). Headless
//! Chromium draws the page and its step picker switches the charts to the step picked.

use loadgen_engine::StepInfo;
use loadgen_engine::{Change, Command, FinalReport, GaugeMerge, IntervalReport, Metrics, Outcome};
use loadgen_report::html_report::{render, ReportData};
use loadgen_report::{Layout, Overrides, PlanIdentity, Results, RunEnd, RunInfo, RunSummary};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn scenario(steps: usize) -> String {
    let mut s = String::from(
        "name = \"charts\"\ntarget = \"http://127.0.0.1:1\"\nduration = \"1h\"\n\
         [[workload]]\nname = \"shop\"\nmodel = \"open\"\nrate = \"10/s\"\nmax_vus = 20\n",
    );
    for i in 0..steps {
        s.push_str(&format!(
            "[[workload.step]]\nname = \"step{i:02}\"\nhttp = {{ method = \"GET\", path = \"/{i}\" }}\n"
        ));
    }
    s.push_str("[thresholds]\n\"errors\" = [\"rate < 0.5% over 10s\"]\n");
    s
}

/// Interval `k`: every step answers a few requests with latencies spread by a simple
/// generator; step 1 times out on one request per interval from 100 s to 120 s.
fn interval(k: u64, steps: usize) -> IntervalReport {
    let mut m = Metrics::new(steps, 1);
    let mut x = k
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for (i, s) in m.steps.iter_mut().enumerate() {
        for _ in 0..5 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let l = Duration::from_micros(2_000 + (x >> 33) % (40_000 * (i as u64 + 1)));
            s.record(Outcome::Success, l, l, None, None);
        }
        if i == 1 && (100..120).contains(&k) {
            let l = Duration::from_secs(5);
            s.record(Outcome::Timeout, l, l, None, None);
        }
    }
    let w = &mut m.workloads[0];
    w.busy_vu_ns = 3_000_000_000;
    w.online_vu_ns = 10_000_000_000;
    w.peak_active_vus = 7;
    w.queued = k % 3;
    IntervalReport {
        index: k,
        start: Duration::from_secs(k),
        length: Duration::from_secs(1),
        metrics: m,
    }
}

/// Writes the results folder of a run of `steps` steps and `intervals` seconds; returns the
/// report's text, the folder, the summary and the steps.
fn run(name: &str, steps: usize, intervals: u64) -> (String, PathBuf, RunSummary, Vec<StepInfo>) {
    let text = scenario(steps);
    let sc = loadgen_scenario::parse(&text, "charts.toml", &|_| None).unwrap();
    let plan = loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").unwrap();
    let id = PlanIdentity {
        hash: "0".repeat(64),
        overrides: Overrides::default(),
        raw_text: None,
        file: None,
    };
    let info = RunInfo::new(
        &sc.name,
        &id,
        Layout::of(&plan),
        vec!["0/1".into()],
        Duration::from_secs(1),
    );
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-html-{name}"));
    let _ = std::fs::remove_dir_all(&out);
    let mut results = Results::create(&out, info, None);
    results.judge_windows(&sc.thresholds);
    results.expect_length(Duration::from_secs(intervals));
    let started = SystemTime::now();
    results.started(started);
    let mut totals = Metrics::new(steps, 1);
    for k in 0..intervals {
        if k == 30 {
            results.change(&Change {
                at: Duration::from_secs(30),
                who: "ctl 127.0.0.1:1".into(),
                what: Command::Scale(2.0),
            });
        }
        let r = interval(k, steps);
        totals.add(&r.metrics, GaugeMerge::Max);
        results.interval(&r);
    }
    let report = FinalReport {
        started_at: started,
        elapsed: Duration::from_secs(intervals),
        totals,
        stopped_early: false,
        intervals,
        worker_cpu: Vec::new(),
        results_wait: Default::default(),
    };
    let end = RunEnd {
        report: &report,
        interrupted: false,
        incomplete: None,
        stats: Default::default(),
    };
    let step_info = results.steps().to_vec();
    let finished = results.finish(&sc, end).unwrap();
    assert_eq!(finished.code, 3, "the burst of timeouts fails the window");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    (html, out, finished.summary, step_info)
}

/// The data the charts draw, as embedded in the page.
fn chart_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"lg-data\">";
    let from = html.find(open).expect("the charts' data") + open.len();
    let to = from + html[from..].find("</script>").unwrap();
    serde_json::from_str(&html[from..to]).unwrap()
}

fn check(html: &str, steps: usize, points: usize) {
    let d = chart_data(html);
    let names: Vec<String> = (0..steps).map(|i| format!("shop/step{i:02}")).collect();
    assert_eq!(d["names"]["steps"], serde_json::json!(names));
    for name in &names {
        assert!(
            html.contains(&format!("\">{name}</option>")),
            "picker: {name}"
        );
    }
    assert!(
        html.contains(&format!("<small>{steps} step(s) ·")),
        "step count"
    );
    let history = d["history"].as_array().unwrap();
    assert_eq!(history.len(), points, "points per series");
    assert!(history.len() <= 2000);
    for p in history {
        let s = p["s"].as_array().unwrap();
        assert_eq!(s.len(), steps, "one latency series per step: {p}");
        assert!(s.iter().all(|c| c.as_array().unwrap().len() == 7));
        // Step 0 answers within 42 ms, step 1 (without its timeouts) within 82 ms: each
        // series is its own step's, not a merge of them.
        assert!(s[0][6].as_f64().unwrap() <= 42.1, "{p}");
    }
    // Errors by class: timeouts of step 1 only, in the points that span 100 s..120 s.
    let classes = d["names"]["classes"].as_array().unwrap();
    let with_errors: Vec<&Value> = history.iter().filter(|p| p.get("e").is_some()).collect();
    assert!(!with_errors.is_empty(), "errors by class present");
    let timeouts: u64 = with_errors
        .iter()
        .map(|p| {
            let e = p["e"].as_array().unwrap();
            assert!(e[0].as_array().unwrap().is_empty(), "step 0 had no errors");
            let pair = &e[1][0];
            assert_eq!(classes[pair[0].as_u64().unwrap() as usize], "timeout");
            let t = p["t"].as_f64().unwrap();
            assert!((99.0..120.0).contains(&t), "{p}");
            pair[1].as_u64().unwrap()
        })
        .sum();
    assert_eq!(timeouts, 20);
    // The failed window is shaded on the count charts; the change is marked.
    let shade = &d["shades"]["counts"][0];
    assert_eq!(shade[2], true, "{shade}");
    assert!(
        (95.0..=125.0).contains(&shade[0].as_f64().unwrap()),
        "{shade}"
    );
    assert_eq!(d["changes"][0]["at"], 30.0);
    assert_eq!(d["changes"][0]["what"], "scale 2");
    assert_eq!(d["dist"]["steps"].as_array().unwrap().len(), steps);
    // One file: no script, style or image from anywhere, no address at all.
    for outside in ["http://", "https://", "<link", " src=", "@import", "url("] {
        assert!(
            !html.contains(outside),
            "report.html needs no network: {outside}"
        );
    }
    assert!(
        html.contains("const LG = (() =>"),
        "the charts' code is embedded"
    );
}

#[test]
fn two_steps_have_a_latency_series_each() {
    let (html, ..) = run("2", 2, 300);
    check(&html, 2, 300);
}

#[test]
fn an_hour_of_twenty_steps_is_bounded() {
    // The sink writes every file of 150 s (the whole hour's jsonl and hlog take minutes in a
    // debug build); the page of the hour is drawn from the hour's points, with that summary.
    let (html, _, summary, steps) = run("20", 20, 150);
    check(&html, 20, 150);
    let mut data = ReportData::default();
    data.expect_intervals(3600);
    for k in 0..3600 {
        data.interval(&interval(k, 20));
    }
    data.flush();
    let html = render(&summary, &data, &steps, &["shop".to_string()]);
    check(&html, 20, 1800);
    // The figure docs/results.md gives (printed with --nocapture).
    println!("report.html of 20 steps, 1 h at 1 s: {} bytes", html.len());
    assert!(html.len() < 5 << 20, "{} bytes", html.len());
}

/// The titles of the charts Chromium drew.
fn titles(dom: &str) -> Vec<String> {
    let tag = "class=\"lg-title\">";
    dom.match_indices(tag)
        .map(|(i, _)| &dom[i + tag.len()..])
        .map(|rest| rest[..rest.find('<').unwrap_or(rest.len())].to_string())
        .collect()
}

#[test]
fn chromium_draws_the_charts_of_the_step_picked() {
    let Some(chromium) = loadgen_testkit::peer::CHROMIUM.require("report.html in Chromium") else {
        return;
    };
    let (_, out, ..) = run("chromium", 2, 150);
    let page = format!("file://{}", out.join("report.html").display());
    let dom = |profile: &str, url: &str| {
        let o = std::process::Command::new(&chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
            .arg(format!("--user-data-dir={}", out.join(profile).display()))
            .arg(url)
            .stderr(std::process::Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    // Opened plainly: the first step's charts, drawn (SVG lines, a latency series per
    // percentile).
    let first = dom("first", &page);
    let drawn = titles(&first);
    assert!(
        drawn.contains(&"latency shop/step00 (ms)".to_string()),
        "{drawn:?}"
    );
    assert!(
        !drawn.iter().any(|t| t.contains("step01 (ms)")),
        "{drawn:?}"
    );
    assert!(first.contains("<polyline"), "no series drawn");
    assert!(first.contains("none: every request of this step succeeded"));
    // The picker set to the second step (by the URL, through its change event): that
    // step's charts, its timeouts by class, the failed window shaded, the change marked.
    let second = dom("second", &format!("{page}#step=shop/step01"));
    let drawn = titles(&second);
    assert!(
        drawn.contains(&"latency shop/step01 (ms)".to_string()),
        "{drawn:?}"
    );
    assert!(
        drawn.contains(&"errors by class shop/step01 (per s)".to_string()),
        "{drawn:?}"
    );
    assert!(
        !drawn.iter().any(|t| t.contains("step00 (ms)")),
        "{drawn:?}"
    );
    assert!(second.contains("■ timeout"), "the class's series");
    assert!(
        second.contains("class=\"lg-shade lg-failed\""),
        "worst window"
    );
    assert!(second.contains("class=\"lg-change\""), "change by hand");
}
