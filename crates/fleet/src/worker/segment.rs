//! One segment running on this worker: the engine on its own thread, intervals written to
//! the worker's folder and streamed to the coordinator, changes by hand applied at the
//! coordinator's instant (and recorded in the worker's folder too), heartbeats, and the stop
//! when the coordinator goes away.

use super::{Assignment, WorkerHooks, COORDINATOR_SILENCE};
use crate::error::FleetError;
use crate::frame::{read_msg, write_msg};
use crate::protocol::Msg;
use loadgen_engine::{
    Change, Command, EngineError, Event, FinalReport, IntervalReport, RunControl, RunOptions,
};
use loadgen_report::{Layout, PlanIdentity, Results, RunEnd, RunInfo};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

enum EngineMsg {
    Started(SystemTime),
    Interval(IntervalReport),
    Changed(Change),
    Finished(Result<FinalReport, EngineError>),
}

enum PeerMsg {
    Msg(Msg),
    Gone(String),
}

pub(super) async fn run_segment<S>(
    tls: S,
    a: Assignment,
    start_at: SystemTime,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), FleetError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // The run-level [[setup]] runs once per segment, before it (its captures feed the plan).
    let mut a = a;
    loadgen_scenario::run_setup(&mut a.scenario, &a.base_url).map_err(|e| {
        FleetError::Protocol(format!(
            "the setup failed, so the load did not start: {}",
            crate::error::with_causes(&e)
        ))
    })?;
    let plan = loadgen_scenario::build_plan(&a.scenario, &a.base_url)
        .map_err(|e| FleetError::Protocol(crate::error::with_causes(&e)))?;
    // Each worker runs the run-once setup before its segment (setups are idempotent).
    loadgen_scenario::prepare(&a.scenario)
        .map_err(|e| FleetError::Protocol(crate::error::with_causes(&e)))?;
    std::fs::create_dir_all(&a.out).map_err(|e| FleetError::io(&a.out, e))?;
    let opts = RunOptions {
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        segment: a.segment,
        graceful_stop: a.scenario.graceful_stop,
        start_at: Some(start_at),
        ..RunOptions::default()
    };
    let id = PlanIdentity {
        hash: a.hash.clone(),
        overrides: a.overrides.clone(),
        raw_text: None,
        file: None,
    };
    let info = RunInfo::new(
        &a.scenario.name,
        &id,
        Layout::of(&plan),
        vec![a.segment.to_string()],
        opts.interval,
    );
    // The segment's own results folder, written as the intervals come: each is encoded once,
    // for metrics.jsonl and for the coordinator.
    let mut results = Results::create(&a.out, info, Some(&a.text));
    results.judge_windows(&a.scenario.thresholds);
    let control = RunControl::new();
    if let Some(ceiling) = a.max_scale {
        control.limit_scale(ceiling);
    }
    let (etx, mut erx) = mpsc::unbounded_channel();
    let engine = {
        let (control, opts) = (control.clone(), opts.clone());
        std::thread::Builder::new()
            .name("loadgen-segment".into())
            .spawn(move || {
                let tx = etx.clone();
                let r = loadgen_engine::run(&plan, &opts, &control, |e| match e {
                    Event::Started { at } => {
                        let _ = tx.send(EngineMsg::Started(*at));
                    }
                    Event::Interval(r) => {
                        let _ = tx.send(EngineMsg::Interval((*r).clone()));
                    }
                    Event::Changed(c) => {
                        let _ = tx.send(EngineMsg::Changed((*c).clone()));
                    }
                });
                drop(plan); // connections close before the thread reports the end
                let _ = etx.send(EngineMsg::Finished(r));
            })
            .map_err(|e| FleetError::Net(e.to_string()))?
    };
    let (rd, mut wr) = tokio::io::split(tls);
    let (ptx, mut prx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut rd = rd;
        loop {
            match read_msg(&mut rd).await {
                Ok(Some((m, _))) => {
                    if ptx.send(PeerMsg::Msg(m)).is_err() {
                        return;
                    }
                }
                Ok(None) => {
                    let _ = ptx.send(PeerMsg::Gone(
                        "the coordinator closed the connection".into(),
                    ));
                    return;
                }
                Err(e) => {
                    let _ = ptx.send(PeerMsg::Gone(e.to_string()));
                    return;
                }
            }
        }
    });
    let mut connected = true;
    let mut last_seen = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let lose = |why: String, connected: &mut bool, hooks: &mut dyn WorkerHooks| {
        if *connected {
            *connected = false;
            hooks.log(&format!(
                "lost the coordinator ({why}): stopping the load now"
            ));
            control.kill();
        }
    };
    let report = loop {
        tokio::select! {
            m = erx.recv() => match m {
                Some(EngineMsg::Started(at)) => results.started(at),
                Some(EngineMsg::Changed(c)) => results.change(&c),
                Some(EngineMsg::Interval(r)) => {
                    let line = results.interval(&r);
                    drop(r);
                    if connected {
                        let sent = tokio::time::timeout(Duration::from_secs(2), write_msg(&mut wr, &Msg::Interval(line))).await;
                        if !matches!(sent, Ok(Ok(_))) {
                            lose("sending failed".into(), &mut connected, hooks);
                        }
                    }
                }
                Some(EngineMsg::Finished(r)) => break r.map_err(FleetError::Engine),
                None => break Err(FleetError::Protocol("the engine thread ended without a report".into())),
            },
            m = prx.recv(), if connected => match m {
                Some(PeerMsg::Msg(Msg::Stop { reason })) => {
                    hooks.log(&format!("coordinator asks to stop: {reason}"));
                    control.stop();
                    last_seen = Instant::now();
                }
                Some(PeerMsg::Msg(Msg::Control { at_us, who, what })) => {
                    last_seen = Instant::now();
                    apply(&control, start_at, at_us, who, &what, hooks);
                }
                Some(PeerMsg::Msg(_)) => last_seen = Instant::now(),
                Some(PeerMsg::Gone(why)) => lose(why, &mut connected, hooks),
                None => lose("reader ended".into(), &mut connected, hooks),
            },
            _ = tick.tick() => {
                if connected && last_seen.elapsed() > COORDINATOR_SILENCE {
                    lose(format!("silent for {:.1}s", last_seen.elapsed().as_secs_f64()), &mut connected, hooks);
                }
                if connected {
                    let sent = tokio::time::timeout(Duration::from_secs(2), write_msg(&mut wr, &Msg::Heartbeat)).await;
                    if !matches!(sent, Ok(Ok(_))) {
                        lose("sending failed".into(), &mut connected, hooks);
                    }
                }
            }
        }
    };
    let _ = engine.join();
    let report = report?;
    if connected {
        let _ = write_msg(
            &mut wr,
            &Msg::Done {
                elapsed_s: report.elapsed.as_secs_f64(),
                stopped_early: report.stopped_early,
            },
        )
        .await;
        use tokio::io::AsyncWriteExt;
        let _ = wr.shutdown().await;
    }
    reader.abort();
    hooks.log(&format!(
        "segment {} done: {} requests in {:.1}s{}",
        a.segment,
        report.totals.total_requests(),
        report.elapsed.as_secs_f64(),
        if report.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    ));
    let end = RunEnd {
        stats: loadgen_report::generator_stats(&report),
        report: &report,
        interrupted: false,
        incomplete: None,
    };
    let out = a.out.display();
    match results.finish(&a.scenario, end) {
        Ok(done) => {
            if let Some(e) = done.incomplete() {
                hooks.log(&format!("cannot write results: {e}"));
            }
            hooks.log(&format!(
                "results in {out} ({} requests, verdict {})",
                done.summary.totals.requests, done.summary.verdict
            ));
        }
        Err(e) => hooks.log(&format!("writing {out}: {e}")),
    }
    Ok(())
}

/// A change the coordinator relays: applied at its instant (so every worker's segment
/// changes at the same arrival), or refused here, logged, when this worker's own limits
/// say no (the coordinator checked the same limits first).
fn apply(
    control: &RunControl,
    start_at: SystemTime,
    at_us: u64,
    who: String,
    what: &str,
    hooks: &mut dyn WorkerHooks,
) {
    let what: Command = match what.parse() {
        Ok(c) => c,
        Err(e) => {
            hooks.log(&format!("refused a change from the coordinator: {e}"));
            return;
        }
    };
    let at = Duration::from_micros(at_us);
    let late = SystemTime::now()
        .duration_since(start_at + at)
        .unwrap_or_default();
    match control.apply(Change { at, who, what }) {
        Ok(()) if late.is_zero() => {
            hooks.log(&format!("{what} at {:.3}s (by hand)", at.as_secs_f64()))
        }
        Ok(()) => hooks.log(&format!(
            "{what} at {:.3}s (by hand), heard {:.0} ms after its instant",
            at.as_secs_f64(),
            late.as_secs_f64() * 1e3
        )),
        Err(e) => hooks.log(&format!("refused {what} from the coordinator: {e}")),
    }
}
