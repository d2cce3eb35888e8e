//! `loadgen coordinator FILE --workers A,B,…`: one run across workers, one merged results
//! folder, one verdict (exit codes as `loadgen run`; a lost worker fails the run with 3).

use crate::outputs::{write_all, Assembled};
use crate::Fail;
use loadgen_engine::IntervalReport;
use loadgen_fleet::{CoordinatorHooks, Overrides};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CoordinatorArgs {
    /// Scenario file (TOML); `${VAR}` are expanded here, workers receive the result.
    pub file: PathBuf,
    /// Worker addresses, comma-separated (`10.0.0.5:7878,10.0.0.6:7878`); worker i runs
    /// segment i/n.
    #[arg(
        long,
        value_delimiter = ',',
        required_unless_present = "expect",
        conflicts_with = "expect"
    )]
    pub workers: Vec<String>,
    /// Instead of dialling workers, wait for N to connect (`loadgen worker --connect`);
    /// segments go in the order they authenticate.
    #[arg(long)]
    pub expect: Option<usize>,
    /// With --expect: address workers connect to.
    #[arg(long, default_value = "0.0.0.0:7879", requires = "expect")]
    pub listen: std::net::SocketAddr,
    /// With --expect: how long to wait for every worker (e.g. 2m).
    #[arg(long, default_value = "2m", requires = "expect")]
    pub expect_wait: String,
    /// With --expect: TLS certificate (PEM) to present; without it one is generated.
    #[arg(long, requires = "key", requires = "expect")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Base URL of the system under test; overrides the scenario's `target`.
    #[arg(long)]
    pub target: Option<String>,
    /// Override the duration of every workload (e.g. 30s, 2m).
    #[arg(long)]
    pub duration: Option<String>,
    /// Seed for every random choice.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Engine threads on each worker (default: the worker's CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Accept only workers whose certificate has this SHA-256 fingerprint (repeatable;
    /// default: trust on first use, printed).
    #[arg(long = "worker-fingerprint")]
    pub worker_fingerprint: Vec<String>,
    /// File holding the shared secret (default: the LOADGEN_SECRET environment variable).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Stop the whole run when a worker is lost (default: go on and report the loss).
    #[arg(long)]
    pub abort_on_worker_loss: bool,
    /// Results folder (default: results/<scenario>-<timestamp>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Print only the final summary (no per-second lines).
    #[arg(long, short)]
    pub quiet: bool,
}

struct Hooks {
    quiet: bool,
}

impl CoordinatorHooks for Hooks {
    fn log(&mut self, line: &str) {
        crate::say!("loadgen coordinator: {line}");
        let _ = std::io::stdout().flush();
    }

    fn interval(&mut self, r: &IntervalReport, running: usize, total: usize) {
        if self.quiet {
            return;
        }
        let m = &r.metrics;
        let secs = r.length.as_secs_f64().max(1e-3);
        let mut h = loadgen_engine::new_histogram();
        for s in &m.steps {
            let _ = h.add(s.latency_all());
        }
        let p99 = if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(0.99) as f64 / 1e3
        };
        crate::say!(
            "[{:>4.0}s] fleet {running}/{total} workers  {:>8.0} req/s  p99 {p99:>7.2}ms  errors {}  dropped {}  busy VUs {:.1}",
            (r.start + r.length).as_secs_f64(),
            m.total_requests() as f64 / secs,
            m.total_errors(),
            m.total_dropped(),
            m.mean_active_vus(r.length)
        );
        let _ = std::io::stdout().flush();
    }
}

pub fn run(a: &CoordinatorArgs) -> Result<u8, Fail> {
    let bad = |m: String| Fail::bad_input(anyhow::anyhow!(m));
    let secret = crate::worker_cmd::secret(a.secret_file.as_deref())?;
    let env = |k: &str| std::env::var(k).ok();
    let raw =
        std::fs::read_to_string(&a.file).map_err(|e| bad(format!("{}: {e}", a.file.display())))?;
    let expanded = loadgen_scenario::interpolate(&raw, &env).map_err(|errs| {
        bad(format!(
            "{}: {}",
            a.file.display(),
            errs.iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let mut sc = loadgen_scenario::load(&a.file, &env).map_err(Fail::bad_input)?;
    let duration = a
        .duration
        .as_deref()
        .map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| bad(format!("--duration: {e}")))?;
    sc.apply_overrides(
        duration,
        a.seed,
        crate::run_cmd::target_flag(a.target.as_ref())?,
    );
    let overrides = Overrides {
        duration: a.duration.clone(),
        seed: a.seed,
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| crate::run_cmd::default_out(&sc.name));
    crate::out_dir::prepare(&out, a.force)?;
    let expect = match a.expect {
        Some(count) => {
            let identity = match (&a.cert, &a.key) {
                (Some(c), Some(k)) => {
                    loadgen_fleet::tls::Identity::from_pem(c, k).map_err(Fail::bad_input)?
                }
                _ => loadgen_fleet::tls::Identity::generate(&["loadgen-coordinator".to_string()])?,
            };
            let listener = std::net::TcpListener::bind(a.listen)
                .map_err(|e| bad(format!("--listen {}: {e}", a.listen)))?;
            crate::say!(
                "loadgen coordinator listening on {}",
                listener.local_addr()?
            );
            crate::say!(
                "loadgen coordinator: certificate SHA-256 {}",
                identity.fingerprint()
            );
            let wait = loadgen_scenario::parse_duration(&a.expect_wait)
                .map_err(|e| bad(format!("--expect-wait: {e}")))?;
            Some(loadgen_fleet::Expect {
                listener,
                count,
                identity,
                wait,
            })
        }
        None => None,
    };
    crate::say!(
        "loadgen coordinator: `{}` across {} worker(s); results in {}",
        sc.name,
        a.expect.unwrap_or(a.workers.len()),
        out.display()
    );
    let _ = std::io::stdout().flush();
    let control = loadgen_engine::RunControl::new();
    let interrupted = crate::signals::watch(control.clone());
    let cfg = loadgen_fleet::CoordinatorConfig {
        scenario_text: expanded,
        scenario: sc.clone(),
        overrides: overrides.clone(),
        target: a.target.clone(),
        workers: a.workers.clone(),
        pins: a.worker_fingerprint.clone(),
        secret,
        threads: a.threads,
        abort_on_worker_loss: a.abort_on_worker_loss,
        expect,
        control: control.clone(),
    };
    if a.expect.is_none() && a.worker_fingerprint.is_empty() {
        crate::say!(
            "loadgen coordinator: trusting worker certificates on first use (the shared secret proves \
             each worker; pin certificates with --worker-fingerprint)"
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cpu0 = crate::dist_files::cpu_seconds();
    let done = rt
        .block_on(loadgen_fleet::coordinate(
            cfg,
            &mut Hooks { quiet: a.quiet },
        ))
        .map_err(Fail::bad_input)?;
    let cpu = crate::dist_files::cpu_seconds() - cpu0;
    write_fleet(&out, &done, cpu)?;
    // What the fleet did comes first, so that the verdict is the last word (and the only one).
    let secs = done.report.elapsed.as_secs_f64().max(1e-3);
    crate::say!(
        "fleet: {} worker(s), {:.1}% of the planned load sent; control channel {} bytes in ({:.0} B/s, {:.0} B/s per worker); coordinator CPU {:.3}s",
        done.workers.len(),
        done.share_sent * 100.0,
        done.bytes_in,
        done.bytes_in as f64 / secs,
        done.bytes_in as f64 / secs / done.workers.len() as f64,
        cpu
    );
    for w in &done.workers {
        crate::say!(
            "  segment {} on {}: {}; its results: {}",
            w.segment,
            w.addr,
            match &w.lost {
                None => "complete".to_string(),
                Some(why) => format!("LOST after {:.1}s ({why})", w.reported_until_s),
            },
            w.results
        );
    }
    let mut info = done.info.clone();
    info.overrides = overrides;
    let (code, summary) = write_all(
        &out,
        &Assembled {
            sc: &sc,
            info: &info,
            intervals: &done.intervals,
            report: &done.report,
            raw_scenario: Some(&raw),
            interrupted: interrupted.load(std::sync::atomic::Ordering::SeqCst),
            incomplete: lost_workers(&done),
            stats: &Default::default(),
        },
    )?;
    if a.quiet {
        crate::say!("{}", summary.verdict_line());
    } else {
        crate::say_raw!("{}", summary.to_text());
    }
    crate::say!("results: {}", out.display());
    Ok(code)
}

/// The reason a run with lost workers is incomplete (its verdict fails: it covers less load
/// than planned, however its thresholds came out); `None` when every worker finished.
fn lost_workers(done: &loadgen_fleet::Coordinated) -> Option<String> {
    let lost: Vec<String> = done
        .workers
        .iter()
        .filter_map(|w| {
            w.lost.as_ref().map(|why| {
                format!(
                    "segment {} on {} after {:.1}s ({why})",
                    w.segment, w.addr, w.reported_until_s
                )
            })
        })
        .collect();
    (!lost.is_empty()).then(|| {
        format!(
            "{} lost, the run is incomplete ({:.1}% of the planned load sent): {}",
            if lost.len() == 1 {
                "a worker was".to_string()
            } else {
                format!("{} workers were", lost.len())
            },
            done.share_sent * 100.0,
            lost.join("; ")
        )
    })
}

/// `fleet.json`: per worker what happened (segment, lost or complete, clock offset, bytes),
/// and the share of the planned load that was sent.
fn write_fleet(
    out: &std::path::Path,
    done: &loadgen_fleet::Coordinated,
    cpu: f64,
) -> Result<(), Fail> {
    std::fs::create_dir_all(out)?;
    let workers: Vec<serde_json::Value> = done
        .workers
        .iter()
        .map(|w| {
            serde_json::json!({
                "address": w.addr,
                "segment": w.segment.to_string(),
                "state": if w.lost.is_some() { "lost" } else { "complete" },
                "lost_reason": w.lost,
                "reported_until_s": w.reported_until_s,
                "clock_offset_ms": w.clock_offset_ms,
                "rtt_ms": w.rtt_ms,
                "certificate_sha256": w.fingerprint,
                "results": w.results,
                "bytes_in": w.bytes_in,
            })
        })
        .collect();
    let fleet = serde_json::json!({
        "workers": workers,
        "share_of_planned_load_sent": done.share_sent,
        "aborted": done.aborted,
        "control_bytes_in": done.bytes_in,
        "coordinator_cpu_seconds": cpu,
    });
    loadgen_scenario::out_file::write_atomic(
        &out.join("fleet.json"),
        serde_json::to_string_pretty(&fleet).expect("json"),
    )?;
    Ok(())
}
