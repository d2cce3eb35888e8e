//! The run: scenario in, the engine's intervals into the results stream
//! (`loadgen_report::Stream`: the files, Prometheus, the live line, `abort_on_fail`), verdict
//! and exit code out.

use crate::flags::{flag_duration, humantime};
use crate::{Context, RunError, RunSettings};
use loadgen_console::{say, say_raw, warn};
use loadgen_engine::{RunControl, RunOptions, Segment};
use loadgen_report::{Layout, Observer, Results, RunEnd, RunInfo, Stream};
use std::sync::atomic::Ordering;

/// `loadgen run`: runs what `a` asks for and returns the verdict's exit code.
pub fn run(a: &RunSettings<'_>) -> Result<u8, RunError> {
    if a.json_progress {
        loadgen_console::json_stdout();
    }
    let file = a.file.is_some();
    a.adhoc.check_beside(file).map_err(RunError::bad)?;
    let (mut sc, id) = crate::flags::scenario_of_run(a)?;
    let duration = flag_duration("--duration", a.duration)?;
    sc.apply_overrides(duration, a.seed, crate::flags::target_flag(a.target)?);
    crate::flags::apply_tls_files(a, &mut sc)?;
    let segment = match a.segment {
        Some(s) => s
            .parse::<Segment>()
            .map_err(|e| RunError::bad(format!("--segment: {e}")))?,
        None => Segment::WHOLE,
    };
    // Embedded target first (if a workload uses it): the plan needs its address.
    let mut embedded = match sc.embedded_target() {
        Some(config) => Some(
            loadgen_demo::spawn(config, "127.0.0.1:0".parse().expect("literal address")).map_err(
                |e| RunError::internal(Context::new("starting the embedded demo target", e)),
            )?,
        ),
        None => None,
    };
    let base_url = sc.base_url(embedded.as_ref().map(|h| h.base_url()));
    let out = a
        .out
        .map(|o| o.to_path_buf())
        .unwrap_or_else(|| loadgen_report::out_dir::default_out(&sc.name));
    // The run-level [[setup]] before the plan: its captures are the plan's `{{setup.NAME}}`.
    crate::parts::setup_or_fail(a, &out, &mut sc, &base_url, &mut embedded)?;
    let plan = loadgen_scenario::build_plan(&sc, &base_url).map_err(RunError::bad)?;
    // Run-once setup (a database's tables and seed rows) before any load.
    loadgen_scenario::prepare(&sc).map_err(RunError::bad)?;
    crate::flags::churn_warnings(&sc);
    let nofile = loadgen_engine::limits::raise_nofile();
    let connections = segment.share_of(sc.peak_connections());
    loadgen_engine::limits::preflight(
        connections,
        sc.source_addresses(),
        embedded.is_some(),
        nofile,
    )
    .map_err(RunError::bad)?;
    loadgen_report::out_dir::prepare(&out, a.force).map_err(RunError::bad)?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let granularity = flag_duration("--arrival-granularity", a.arrival_granularity)?;
    let interval = crate::flags::interval_flag(a.interval)?;
    let opts = RunOptions {
        threads,
        segment,
        graceful_stop: sc.graceful_stop,
        start_at: loadgen_report::start_at(a.start_at).map_err(RunError::bad)?,
        arrival_granularity: granularity.unwrap_or(loadgen_engine::DEFAULT_ARRIVAL_GRANULARITY),
        interval,
    };
    let segments = vec![segment.to_string()];
    let info = RunInfo::new(&sc.name, &id, Layout::of(&plan), segments, opts.interval);
    let results = Results::create(&out, info, id.raw_text.as_deref());
    let control = RunControl::new();
    let interrupted = loadgen_console::watch_signals(control.clone());
    let total = plan.duration();
    say!(
        "loadgen: running `{}` against {} for {} on {} thread(s) (segment {}, open files {}); results in {}",
        sc.name, base_url, humantime(total), threads, segment, nofile, out.display()
    );
    if let Some(wait) = opts
        .start_at
        .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok())
    {
        say!(
            "loadgen: waiting {} for --start-at {} (the other segments start then too)",
            humantime(wait),
            a.start_at.unwrap_or_default()
        );
    }
    let mut exposition = crate::parts::exposition(a, &sc, &plan)?;
    let mut dashboard = crate::parts::dashboard(a, &sc, &plan, &control)?;
    let mut live_out = loadgen_console::Live::new(a.quiet, a.json_progress, total);
    // Prometheus before the live line: a line on stdout means /metrics has its interval.
    let mut observers: Vec<&mut dyn Observer> = Vec::new();
    if let Some(e) = exposition.as_mut() {
        observers.push(e);
    }
    observers.push(&mut live_out);
    observers.extend(
        dashboard
            .as_mut()
            .map(|d| &mut d.board as &mut dyn Observer),
    );
    let mut stream = Stream::new(results, &sc, observers);
    let report = loadgen_engine::run(&plan, &opts, &control, |e| {
        if let Some(breach) = stream.event(e) {
            say!("loadgen: aborting: threshold {breach} failed (abort_on_fail)");
            control.stop();
        }
    })
    .map_err(RunError::internal)?;
    drop(plan); // closes every connection before the embedded target shuts down
    if let Some(h) = embedded {
        h.shutdown();
    }
    let end = RunEnd {
        stats: loadgen_report::generator_stats(&report),
        report: &report,
        interrupted: interrupted.load(Ordering::SeqCst) || control.stopped_by_hand(),
        incomplete: None,
    };
    let done = stream.finish(&sc, end);
    live_out.finish();
    if let Some(d) = dashboard {
        d.close();
    }
    let done = done.map_err(|e| {
        RunError::internal(Context::new(
            format!("writing results to {}", out.display()),
            e,
        ))
    })?;
    let dir = out.display();
    if let Some(err) = &done.merge_files_error {
        warn!("loadgen: warning: merge files in {dir} are incomplete: {err}");
    }
    if let Some(err) = &done.interval_files_error {
        warn!("loadgen: warning: interval files in {dir} are incomplete: {err}");
    }
    say_raw!("{}", done.summary.to_text());
    say!("results: {dir}");
    if a.json_progress {
        let last = loadgen_report::live_line::json_final(done.summary.verdict, done.code, &out);
        loadgen_console::data(&last);
    }
    Ok(done.code)
}
