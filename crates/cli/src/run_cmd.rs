//! `loadgen run` and `loadgen validate`: scenario in, verdict and result files out.

use crate::args::{PlanArgs, RunArgs};
use crate::{exit, limits, progress, signals, Fail};
use anyhow::Context;
use loadgen_engine::{Event, RunControl, RunOptions, Segment};
use loadgen_scenario::results::ResultsWriter;
use loadgen_scenario::{Scenario, TargetSpec};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn load(file: &Path) -> Result<Scenario, Fail> {
    loadgen_scenario::load(file, &|k| std::env::var(k).ok()).map_err(Fail::bad_input)
}

pub fn validate(file: &Path) -> Result<u8, Fail> {
    let sc = load(file)?;
    // Building the plan checks what only the protocol layer knows (templates, headers).
    loadgen_scenario::build_plan(&sc, "http://127.0.0.1:1").map_err(Fail::bad_input)?;
    churn_warnings(&sc);
    crate::say!(
        "{}: ok — scenario `{}`, {} workload(s), {} threshold(s){}, {}",
        file.display(),
        sc.name,
        sc.workloads.len(),
        sc.thresholds.len(),
        if sc.thresholds.is_empty() {
            " (its runs are not judged: add [thresholds] for a verdict)"
        } else {
            ""
        },
        humantime(sc.planned_duration())
    );
    Ok(exit::PASSED)
}

/// Warns (before any load) when connections per iteration would outrun TIME_WAIT.
fn churn_warnings(sc: &Scenario) {
    let ports = limits::ephemeral_ports().unwrap_or(28_232);
    for w in sc.connection_churn_warnings(ports) {
        crate::warn!("loadgen: warning: {w}");
    }
}

/// `--target` (or `TARGET_URL`), checked where it is read so a mistake is blamed on the flag,
/// not on the first workload that uses it.
pub fn target_flag(t: Option<&String>) -> Result<Option<String>, Fail> {
    match t {
        Some(u) if u != "embedded" && !loadgen_scenario::TARGET_SCHEMES.iter().any(|s| u.starts_with(s)) => {
            Err(Fail::bad_input(anyhow::anyhow!(
                "--target (or TARGET_URL) `{u}` has no scheme: write http://, https://, ws:// or wss:// before the host"
            )))
        }
        _ => Ok(t.cloned()),
    }
}

fn flag_duration(flag: &str, v: Option<&str>) -> Result<Option<Duration>, Fail> {
    v.map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| Fail::bad_input(anyhow::anyhow!("{flag}: {e}")))
}

pub fn plan(a: &PlanArgs) -> Result<u8, Fail> {
    let mut sc = load(&a.file)?;
    sc.apply_overrides(
        flag_duration("--duration", a.duration.as_deref())?,
        None,
        None,
    );
    let latency = flag_duration("--assume-latency", Some(&a.assume_latency))?.unwrap_or_default();
    churn_warnings(&sc);
    let p = loadgen_scenario::load_plan::plan(&sc, latency);
    crate::say_raw!("{}", p.to_text());
    if let Some(path) = &a.csv {
        std::fs::write(path, p.to_csv()).with_context(|| format!("writing {}", path.display()))?;
        crate::say!("rate curve written to {}", path.display());
    }
    Ok(exit::PASSED)
}

fn adhoc(a: &RunArgs, url: &str) -> Result<Scenario, Fail> {
    let bad = |e: String| Fail::bad_input(anyhow::anyhow!(e));
    let rate = a
        .rate
        .as_deref()
        .map(|r| loadgen_scenario::parse_rate(r).map_err(|e| bad(format!("--rate: {e}"))))
        .transpose()?;
    match rate {
        Some(r) if r <= 0.0 => return Err(bad("--rate: 0/s would send nothing".into())),
        Some(r) if r > loadgen_scenario::MAX_ARRIVAL_RATE => {
            return Err(bad(format!(
                "--rate: {r:.0}/s is above the ceiling of {:.0}/s per workload",
                loadgen_scenario::MAX_ARRIVAL_RATE
            )))
        }
        _ => {}
    }
    let headers = a
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| bad(format!("--header `{h}`: expected `name: value`")))
        })
        .collect::<Result<_, _>>()?;
    let spec = loadgen_scenario::adhoc::AdHoc {
        url: url.to_string(),
        method: a.method().to_string(),
        vus: a.vus(),
        rate,
        duration: flag_duration("--duration", a.duration.as_deref())?
            .unwrap_or(Duration::from_secs(10)),
        headers,
        body: a.body.clone(),
        thresholds: a.thresholds.clone(),
        http2: a.http2,
        insecure: a.insecure,
        default_thresholds: !a.no_default_thresholds,
    };
    let sc = loadgen_scenario::adhoc::scenario(&spec).map_err(Fail::bad_input)?;
    if sc.thresholds.len() > spec.thresholds.len() {
        let (key, expr) = loadgen_scenario::adhoc::DEFAULT_ERRORS;
        crate::say!(
            "loadgen: judging errors by the default threshold `{key}: {expr}` (give an errors \
             threshold to change it, --no-default-thresholds to drop it)"
        );
    }
    Ok(sc)
}

pub fn run(a: &RunArgs) -> Result<u8, Fail> {
    if a.json_progress {
        crate::console::json_stdout();
    }
    a.check_flags_fit_the_file()
        .map_err(|e| Fail::bad_input(anyhow::anyhow!(e)))?;
    let mut sc = match (&a.file, &a.url) {
        (Some(file), _) => load(file)?,
        (None, Some(url)) => adhoc(a, url)?,
        (None, None) => {
            return Err(Fail::bad_input(anyhow::anyhow!(
                "give a scenario file or --url"
            )))
        }
    };
    let duration = flag_duration("--duration", a.duration.as_deref())?;
    sc.apply_overrides(duration, a.seed, target_flag(a.target.as_ref())?);
    crate::tls_flags::apply(a, &mut sc)?;
    let segment = match &a.segment {
        Some(s) => s
            .parse::<Segment>()
            .map_err(|e| Fail::bad_input(anyhow::anyhow!("--segment: {e}")))?,
        None => Segment::WHOLE,
    };

    // Embedded target first: the plan needs its address.
    let embedded = match &sc.target {
        TargetSpec::Embedded(spec) => Some(
            loadgen_demo::spawn(
                embedded_config(spec)?,
                "127.0.0.1:0".parse().expect("literal address"),
            )
            .context("starting the embedded demo target")?,
        ),
        TargetSpec::Url(_) => None,
    };
    let base_url = match (&sc.target, &embedded) {
        (TargetSpec::Url(u), _) => u.clone(),
        (_, Some(h)) => h.base_url(),
        _ => unreachable!("embedded target started above"),
    };
    let plan = loadgen_scenario::build_plan(&sc, &base_url).map_err(Fail::bad_input)?;
    churn_warnings(&sc);
    let out = a.out.clone().unwrap_or_else(|| default_out(&sc.name));
    let nofile = limits::raise_nofile();
    let connections: u64 = sc
        .workloads
        .iter()
        .map(|w| match &w.model {
            loadgen_scenario::ModelSpec::Open { max_vus, .. } => *max_vus,
            loadgen_scenario::ModelSpec::Closed { stages, .. } => stages.max_vus(),
        })
        .sum();
    let sources = sc
        .workloads
        .iter()
        .filter_map(|w| match &w.protocol {
            loadgen_scenario::ProtocolSpec::WebSocket(ws) => Some(ws.source_count()),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    limits::preflight(
        segment.share_of(connections),
        sources,
        embedded.is_some(),
        nofile,
    )
    .map_err(|e| Fail::bad_input(anyhow::anyhow!(e)))?;
    crate::out_dir::prepare(&out, a.force)?;

    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = RunOptions {
        threads,
        segment,
        graceful_stop: sc.graceful_stop,
        start_at: crate::dist_files::start_at(a.start_at.as_deref()).map_err(Fail::bad_input)?,
        arrival_granularity: flag_duration(
            "--arrival-granularity",
            a.arrival_granularity.as_deref(),
        )?
        .unwrap_or(loadgen_engine::DEFAULT_ARRIVAL_GRANULARITY),
        ..RunOptions::default()
    };
    let mut dist = crate::dist_files::DistFiles::new(
        &crate::dist_files::PlanIdentity::of_run(a),
        &sc.name,
        &plan,
        segment,
        opts.interval,
        &out,
    );
    let control = RunControl::new();
    let interrupted = signals::watch(control.clone());
    let total = plan.duration();
    crate::say!(
        "loadgen: running `{}` against {} for {} on {} thread(s) (segment {}, open files {}); results in {}",
        sc.name,
        base_url,
        humantime(total),
        threads,
        segment,
        nofile,
        out.display()
    );
    if let Some(wait) = opts
        .start_at
        .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok())
    {
        crate::say!(
            "loadgen: waiting {} for --start-at {} (the other segments start then too)",
            humantime(wait),
            a.start_at.as_deref().unwrap_or_default()
        );
    }
    let steps = plan.steps();
    let custom = plan.custom_metrics();
    let mut live = loadgen_scenario::LiveThresholds::new(&sc.thresholds, &steps, &custom);
    let live_out = progress::Live::new(a.quiet, a.json_progress, total);
    let exposition = match a.metrics_addr {
        Some(addr) => {
            let (bound, text) = crate::metrics_http::serve(addr)
                .with_context(|| format!("--metrics-addr {addr}"))
                .map_err(Fail::bad_input)?;
            crate::say!("loadgen: Prometheus metrics at http://{bound}/metrics");
            Some(text)
        }
        None => None,
    };
    let workload_names: Vec<String> = sc.workloads.iter().map(|w| w.name.clone()).collect();
    let mut running = loadgen_engine::Metrics::default();
    let mut report_data = loadgen_scenario::html_report::ReportData::default();
    let mut files: Option<ResultsWriter> = None;
    let mut file_error: Option<std::io::Error> = None;
    let report = loadgen_engine::run(&plan, &opts, &control, |e| {
        if let Event::Started { at } = e {
            dist.started(*at);
            match ResultsWriter::create(&out, &steps, *at) {
                Ok(w) => files = Some(w),
                Err(err) => file_error = Some(err),
            }
        }
        if let Event::Interval(r) = e {
            dist.interval(r);
            if let Some(Err(err)) = files.as_mut().map(|w| w.interval(r)) {
                // Keep the run going; the summary is still written and the error reported.
                files = None;
                file_error = Some(err);
            }
            report_data.interval(r);
            if let Some(text) = &exposition {
                running.add(&r.metrics, loadgen_engine::GaugeMerge::Max);
                // Gauges show the present, not the peak.
                for (w, now) in running.workloads.iter_mut().zip(&r.metrics.workloads) {
                    w.active_vus = now.active_vus;
                }
                let rendered =
                    loadgen_scenario::prometheus::render(&running, &steps, &workload_names);
                if let Ok(mut t) = text.lock() {
                    *t = rendered;
                }
            }
            // After the scrape text is current, so a line on stdout means /metrics has it.
            live_out.interval(r, total);
            if let Some(breach) = live.observe(r) {
                crate::say!("loadgen: aborting: threshold {breach} failed (abort_on_fail)");
                control.stop();
            }
        }
    })?;
    live_out.finish();
    if let Some(err) = dist.finish(&report) {
        crate::warn!(
            "loadgen: warning: merge files in {} are incomplete: {err}",
            out.display()
        );
    }
    drop(plan); // closes every connection before the embedded target shuts down
    if let Some(h) = embedded {
        h.shutdown();
    }

    let results = loadgen_scenario::evaluate_all(
        &sc.thresholds,
        &report.totals,
        &steps,
        &custom,
        report.elapsed,
    );
    let judgement =
        loadgen_scenario::Judgement::of(&results, interrupted.load(Ordering::SeqCst), None);
    let code = judgement.verdict.exit_code();
    let generator = loadgen_scenario::saturation::GeneratorSummary::judge(
        &report.totals,
        &crate::self_stats::collect(&report),
        report.elapsed,
    );
    let summary = loadgen_scenario::RunSummary::build(
        &sc, &report, &steps, &custom, &results, generator, judgement,
    );
    summary
        .write_to(&out)
        .with_context(|| format!("writing results to {}", out.display()))?;
    let html = loadgen_scenario::html_report::render(&summary, &report_data);
    loadgen_scenario::out_file::write_atomic(&out.join("report.html"), html)
        .with_context(|| format!("writing {}", out.display()))?;
    let junit =
        loadgen_scenario::results::junit(&sc.name, &results, report.elapsed.as_secs_f64(), None);
    loadgen_scenario::out_file::write_atomic(&out.join("junit.xml"), junit)
        .with_context(|| format!("writing {}", out.display()))?;
    if let Some(w) = files {
        w.finish()
            .with_context(|| format!("writing interval files to {}", out.display()))?;
    }
    if let Some(err) = file_error {
        crate::warn!(
            "loadgen: warning: interval files in {} are incomplete: {err}",
            out.display()
        );
    }
    crate::say_raw!("{}", summary.to_text());
    crate::say!("results: {}", out.display());
    if a.json_progress {
        crate::console::data(&progress::json_final(summary.verdict, code, &out));
    }
    Ok(code)
}

fn embedded_config(
    spec: &loadgen_scenario::EmbeddedSpec,
) -> Result<loadgen_demo::TargetConfig, Fail> {
    let latency = spec
        .latency
        .parse()
        .map_err(|e| Fail::bad_input(anyhow::anyhow!("scenario [embedded].latency: {e}")))?;
    Ok(loadgen_demo::TargetConfig {
        latency,
        error_rate: spec.error_rate,
        seed: spec.seed,
        worker_threads: spec.threads,
        faults: Vec::new(),
        webhook_secret: spec
            .webhook_secret
            .as_ref()
            .map(|s| loadgen_demo::WebhookSecret::new(s.expose()))
            .unwrap_or_default(),
        callback_delay: spec
            .callback_delay
            .unwrap_or(loadgen_demo::TargetConfig::default().callback_delay),
        auth: Default::default(),
    })
}

pub fn default_out(name: &str) -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    PathBuf::from("results").join(format!("{name}-{stamp}"))
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

fn read_summary(path: &Path) -> Result<serde_json::Value, Fail> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("reading {}", file.display()))
        .map_err(Fail::bad_input)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a loadgen summary", file.display()))
        .map_err(Fail::bad_input)?;
    loadgen_scenario::compare::check_summary(&value)
        .map_err(|e| Fail::bad_input(anyhow::anyhow!("{}: {e}", file.display())))?;
    Ok(value)
}

pub fn compare(
    baseline: &Path,
    new: &Path,
    fail_if: &[String],
    allow_missing: bool,
) -> Result<u8, Fail> {
    use loadgen_scenario::compare;
    let gates = fail_if
        .iter()
        .map(|g| {
            compare::parse_gate(g).map_err(|e| Fail::bad_input(anyhow::anyhow!("--fail-if {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let c = compare::compare(&read_summary(baseline)?, &read_summary(new)?, &gates);
    crate::say!("{}", c.table);
    for (step, n) in &c.missing {
        // Nothing measured is no evidence of no regression.
        let mark = if allow_missing { "!" } else { "✗" };
        crate::say!(
            "{mark} {step}: missing in the new run (baseline {n} requests, new none){}",
            if allow_missing {
                "; allowed by --allow-missing"
            } else {
                ""
            }
        );
    }
    for b in &c.breaches {
        crate::say!("✗ {b}");
    }
    let missing_fails = !c.missing.is_empty() && !allow_missing;
    if c.breaches.is_empty() && !missing_fails {
        if !gates.is_empty() {
            crate::say!("no regression beyond the gates");
        }
        Ok(exit::PASSED)
    } else {
        Ok(exit::THRESHOLDS_FAILED)
    }
}
