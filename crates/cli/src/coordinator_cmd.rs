//! `loadgen coordinator FILE --workers A,B,…`: one run across workers, one merged results
//! folder, one verdict (exit codes as `loadgen run`; a lost worker fails the run with 3).
//! With `--dashboard` the fleet's page: the merged intervals, a line per worker, and control
//! that the fleet relays to every worker at one instant.

use crate::args::CoordinatorArgs;
use crate::inputs::{bad, env, flag_duration, target_flag};
use crate::Fail;
use loadgen_fleet::Overrides;
use loadgen_runner::FleetHooks;

pub fn run(a: &CoordinatorArgs) -> Result<u8, Fail> {
    let secret = crate::worker_cmd::secret(a.secret_file.as_deref())?;
    // Read once: the scenario, the text workers receive and the results folder's copy are
    // all this text.
    let (raw, expanded, mut sc) =
        loadgen_fleet::read_scenario(&a.file, &env).map_err(Fail::bad_input)?;
    let duration = flag_duration("--duration", a.duration.as_deref())?;
    sc.apply_overrides(duration, a.seed, target_flag(a.target.as_ref())?);
    let overrides = Overrides {
        duration: a.duration.clone(),
        seed: a.seed,
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| loadgen_report::out_dir::default_out(&sc.name));
    loadgen_report::out_dir::prepare(&out, a.force).map_err(Fail::bad_input)?;
    let expect = match a.expect {
        Some(count) => Some(expect(a, count)?),
        None => None,
    };
    crate::say!(
        "loadgen coordinator: `{}` across {} worker(s); results in {}",
        sc.name,
        a.expect.unwrap_or(a.workers.len()),
        out.display()
    );
    let control = loadgen_engine::RunControl::new();
    let interrupted = loadgen_console::watch_signals(control.clone());
    let cfg = loadgen_fleet::CoordinatorConfig {
        scenario_text: expanded,
        raw_scenario: raw.clone(),
        out: out.clone(),
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
    let dashboard = match a.dashboard.dashboard {
        Some(_) => {
            let shape = loadgen_runner::fleet_shape(&sc, a.target.as_deref())
                .map_err(crate::inputs::fail)?;
            let d = crate::dashboard::settings(&a.dashboard);
            loadgen_runner::start_dashboard(&d, &control, shape, "loadgen coordinator")
                .map_err(crate::inputs::fail)?
        }
        None => None,
    };
    let cpu0 = loadgen_report::cpu_seconds();
    let mut hooks = FleetHooks {
        quiet: a.quiet,
        dashboard,
    };
    let done = rt
        .block_on(loadgen_fleet::coordinate(cfg, &mut hooks))
        .map_err(Fail::bad_input)?;
    let cpu = loadgen_report::cpu_seconds() - cpu0;
    loadgen_report::out_file::write_atomic(&out.join("fleet.json"), done.fleet_json(cpu))?;
    // What the fleet did comes first, so that the verdict is the last word (and the only one).
    for line in done.fleet_lines(cpu) {
        crate::say!("{line}");
    }
    let interrupted =
        interrupted.load(std::sync::atomic::Ordering::SeqCst) || control.stopped_by_hand();
    let finished = done.finish_folder(&sc, interrupted);
    let verdict = finished.as_ref().ok().map(|f| f.summary.verdict_line());
    hooks.close(verdict.as_deref());
    let finished = finished?;
    loadgen_console::summary(&finished.summary, a.quiet);
    crate::say!("results: {}", out.display());
    Ok(finished.code)
}

/// `--expect N`: the listener workers dial, and the certificate presented to them.
fn expect(a: &CoordinatorArgs, count: usize) -> Result<loadgen_fleet::Expect, Fail> {
    let (cert, key) = (a.cert.as_deref(), a.key.as_deref());
    let identity = crate::worker_cmd::identity(cert, key, "loadgen-coordinator")?;
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
    let wait = flag_duration("--expect-wait", Some(&a.expect_wait))?.unwrap_or_default();
    Ok(loadgen_fleet::Expect {
        listener,
        count,
        identity,
        wait,
    })
}
