//! A running fleet: heartbeats both ways, intervals merged as every worker reports them
//! (`merging`) and streamed to the results folder as they are released, live thresholds,
//! lost workers noticed and reported, changes by hand relayed to every worker (recorded
//! once, here) and each worker's live line for the dashboard.

use super::merging::{LiveMerge, MAX_HELD};
use super::setup::Conn;
use super::{Coordinated, CoordinatorHooks, WorkerLive, WorkerReport, WORKER_SILENCE};
use crate::error::FleetError;
use crate::frame::{read_msg, write_msg};
use crate::protocol::Msg;
use loadgen_engine::{FinalReport, Metrics};
use loadgen_report::check_shape;
use loadgen_report::{Assembling, ChangeRecord, Layout, LiveThresholds, RunInfo};
use loadgen_scenario::Scenario;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, WriteHalf};
use tokio::sync::mpsc;

enum FromWorker {
    Msg(Msg, usize),
    Gone(String),
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Running,
    Done,
    Lost,
}

pub(super) struct Fleet<'a> {
    pub(super) origin: SystemTime,
    pub(super) planned: Duration,
    pub(super) layout: Layout,
    pub(super) steps: Vec<loadgen_engine::StepInfo>,
    pub(super) custom: Vec<loadgen_engine::CustomInfo>,
    pub(super) empty: Metrics,
    pub(super) control: loadgen_engine::RunControl,
    pub(super) scenario: &'a Scenario,
    /// `run.json` as written at the start (segments, origin).
    pub(super) info: RunInfo,
    /// The merged run's results folder, fed each interval as it is released.
    pub(super) folder: Assembling,
}

/// Queues `msg` for every running worker (each has its own writer task, so a stalled
/// connection delays nobody else; a failed send comes back as that worker's loss).
fn send_all(writers: &[Option<mpsc::UnboundedSender<Msg>>], states: &[State], msg: &Msg) {
    for (w, s) in writers.iter().zip(states) {
        if let (Some(w), State::Running) = (w, s) {
            let _ = w.send(msg.clone());
        }
    }
}

/// Asks every running worker to stop for `reason`, logged after `what`. Callers check that
/// the run was not stopped already: the first reason is the one the run keeps.
fn stop_all(
    what: &str,
    reason: String,
    aborted: &mut Option<String>,
    writers: &[Option<mpsc::UnboundedSender<Msg>>],
    states: &[State],
    hooks: &mut dyn CoordinatorHooks,
) {
    hooks.log(&format!("{what}: {reason}"));
    send_all(
        writers,
        states,
        &Msg::Stop {
            reason: reason.clone(),
        },
    );
    *aborted = Some(reason);
}

/// Each worker's line as the dashboard shows it.
fn live_lines(
    reports: &[WorkerReport],
    states: &[State],
    figures: &[(f64, u64, u64)],
) -> Vec<WorkerLive> {
    reports
        .iter()
        .zip(states)
        .zip(figures)
        .map(|((r, s), &(rate, requests, errors))| WorkerLive {
            addr: r.addr.clone(),
            segment: r.segment.to_string(),
            lost: r.lost.clone(),
            done: *s == State::Done,
            rate: if *s == State::Running { rate } else { 0.0 },
            requests,
            errors,
            reported_until_s: r.reported_until_s,
        })
        .collect()
}

/// The task that writes one worker's messages.
fn spawn_writer<S>(
    i: usize,
    mut wr: WriteHalf<S>,
    report: mpsc::UnboundedSender<(usize, FromWorker)>,
) -> mpsc::UnboundedSender<Msg>
where
    S: AsyncWrite + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            let r = tokio::time::timeout(Duration::from_secs(2), write_msg(&mut wr, &m)).await;
            if !matches!(r, Ok(Ok(_))) {
                let _ = report.send((i, FromWorker::Gone("sending to it failed".into())));
                return;
            }
        }
    });
    tx
}

pub(super) async fn run_fleet<S>(
    conns: Vec<Conn<S>>,
    abort_on_loss: bool,
    hooks: &mut dyn CoordinatorHooks,
    f: Fleet<'_>,
) -> Result<Coordinated, FleetError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let n = conns.len();
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, FromWorker)>();
    let mut writers = Vec::with_capacity(n);
    let mut reports = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for (i, c) in conns.into_iter().enumerate() {
        let (mut rd, wr) = tokio::io::split(c.stream);
        writers.push(Some(spawn_writer(i, wr, tx.clone())));
        reports.push(c.report);
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                match read_msg(&mut rd).await {
                    Ok(Some((m, bytes))) => {
                        if tx.send((i, FromWorker::Msg(m, bytes))).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {
                        let _ = tx.send((i, FromWorker::Gone("connection closed".into())));
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send((i, FromWorker::Gone(e.to_string())));
                        return;
                    }
                }
            }
        }));
    }
    drop(tx);
    let interval = Duration::from_secs(1);
    let mut states = vec![State::Running; n];
    let mut last_seen = vec![Instant::now(); n];
    let mut reported: Vec<Option<u64>> = vec![None; n];
    let mut elapsed = vec![Duration::ZERO; n];
    let mut stopped_early = false;
    let mut merge = LiveMerge::new(f.empty.clone(), interval);
    let mut folder = f.folder;
    let mut live = LiveThresholds::new(&f.scenario.thresholds, &f.steps, &f.custom);
    let mut aborted: Option<String> = None;
    // Per worker: the last interval's rate, requests and errors so far.
    let mut figures = vec![(0.0f64, 0u64, 0u64); n];
    let mut changes_rx = f.control.watch();
    let mut watching = true;
    let mut changes: Vec<ChangeRecord> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut beat = Instant::now();
    // Quiet start: silence is only counted from the start instant on.
    let start_wait = f
        .origin
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let started = Instant::now() + start_wait;
    for t in last_seen.iter_mut() {
        *t = started;
    }
    loop {
        let mut lost_now: Vec<(usize, String)> = Vec::new();
        tokio::select! {
            m = rx.recv() => match m {
                Some((i, FromWorker::Msg(msg, bytes))) => {
                    reports[i].bytes_in += bytes as u64;
                    last_seen[i] = Instant::now().max(started);
                    match msg {
                        Msg::Interval(line) if states[i] == State::Running => {
                            let now = (Instant::now().saturating_duration_since(started).as_millis()
                                / interval.as_millis()) as u64;
                            let merged = line
                                .decode()
                                .and_then(|r| check_shape(&r.metrics, &f.layout).map(|()| r))
                                .map_err(|e| format!("sent a malformed interval: {e}"))
                                .and_then(|r| merge.add(&r, now).map(|()| r).map_err(|e| e.to_string()));
                            match merged {
                                Ok(r) => {
                                    reported[i] = Some(reported[i].map_or(r.index, |x| x.max(r.index)));
                                    let fig = &mut figures[i];
                                    fig.0 = r.metrics.total_requests() as f64 / r.length.as_secs_f64().max(1e-3);
                                    fig.1 += r.metrics.total_requests();
                                    fig.2 += r.metrics.total_errors();
                                    reports[i].reported_until_s = (r.start + r.length).as_secs_f64();
                                }
                                Err(e) => lost_now.push((i, e)),
                            }
                        }
                        Msg::Done { elapsed_s, stopped_early: s } if states[i] == State::Running => {
                            states[i] = State::Done;
                            elapsed[i] = Duration::from_secs_f64(elapsed_s.clamp(0.0, 1e7));
                            stopped_early |= s;
                        }
                        Msg::Heartbeat | Msg::Interval(_) | Msg::Done { .. } => {}
                        other => lost_now.push((i, format!("sent an unexpected {other:?}"))),
                    }
                }
                // Ignored below unless the worker was still running.
                Some((i, FromWorker::Gone(why))) => lost_now.push((i, why)),
                None => {}
            },
            r = changes_rx.changed(), if watching => {
                if r.is_err() {
                    watching = false;
                    continue;
                }
                let log = changes_rx.borrow_and_update().clone();
                for c in log.iter().skip(changes.len()) {
                    let msg = Msg::Control {
                        at_us: c.at.as_micros() as u64,
                        who: c.who.clone(),
                        what: c.what.to_string(),
                    };
                    send_all(&writers, &states, &msg);
                    hooks.log(&format!("{} at {:.3}s by {}: relayed to every worker", c.what, c.at.as_secs_f64(), c.who));
                    hooks.change(c);
                    // Recorded once: in the merged folder (before the interval its instant
                    // falls in, which no worker has reported yet) and in `run.json`.
                    folder.change_record(ChangeRecord::of(c));
                    changes.push(ChangeRecord::of(c));
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                for i in 0..n {
                    if states[i] == State::Running && now > last_seen[i] && now - last_seen[i] > WORKER_SILENCE {
                        lost_now.push((i, format!("silent for {:.1}s", (now - last_seen[i]).as_secs_f64())));
                    }
                }
                if f.control.is_stopped() && aborted.is_none() {
                    let reason = match f.control.stopped_by_hand() {
                        true => "stopped by hand on the coordinator",
                        false => "interrupted on the coordinator",
                    }
                    .to_string();
                    stop_all("stopping every worker", reason, &mut aborted, &writers, &states, hooks);
                }
                if beat.elapsed() >= Duration::from_millis(1000) {
                    beat = Instant::now();
                    send_all(&writers, &states, &Msg::Heartbeat);
                }
            }
        }
        // A worker that holds the merge back by more than it may keep is lost.
        if let Some(k) = merge.overdue() {
            for i in 0..n {
                if states[i] == State::Running && reported[i].is_none_or(|r| r < k) {
                    lost_now.push((i, format!("fell more than {MAX_HELD} intervals behind the others (interval {k} not reported)")));
                }
            }
        }
        for (i, why) in lost_now {
            if states[i] != State::Running {
                continue;
            }
            states[i] = State::Lost;
            writers[i] = None; // closes our side: the worker stops within seconds
            readers[i].abort();
            elapsed[i] = Duration::from_secs_f64(reports[i].reported_until_s);
            hooks.log(&format!(
                "lost worker {} (segment {}): {why}; it reported {:.1}s of its share",
                reports[i].addr, reports[i].segment, reports[i].reported_until_s
            ));
            reports[i].lost = Some(why);
            hooks.workers(&live_lines(&reports, &states, &figures));
            if abort_on_loss && aborted.is_none() {
                let reason = format!("worker {} lost (--abort-on-worker-loss)", reports[i].addr);
                stop_all("aborting", reason, &mut aborted, &writers, &states, hooks);
            }
        }
        // Release every interval all running workers have reported.
        let all_ended = states.iter().all(|s| *s != State::Running);
        let reported_by_all = |k: u64| {
            (0..n).all(|i| states[i] != State::Running || reported[i].is_some_and(|r| r >= k))
        };
        while let Some(r) = merge.release(all_ended, reported_by_all) {
            let running = states.iter().filter(|s| **s == State::Running).count();
            hooks.workers(&live_lines(&reports, &states, &figures));
            hooks.interval(&r, running, n);
            if let Some(breach) = live.observe(&r).filter(|_| aborted.is_none()) {
                let reason = format!("threshold {breach} failed (abort_on_fail)");
                stop_all("aborting", reason, &mut aborted, &writers, &states, hooks);
            }
            folder.interval(&r);
            folder.partial_summary(f.scenario);
        }
        if all_ended && merge.is_empty() {
            break;
        }
    }
    let seg_share = 1.0 / n as f64;
    let planned_s = f.planned.as_secs_f64().max(1e-9);
    let share_sent: f64 = reports
        .iter()
        .map(|r| match r.lost {
            None => seg_share,
            Some(_) => seg_share * (r.reported_until_s / planned_s).min(1.0),
        })
        .sum();
    let missing: Vec<String> = reports
        .iter()
        .filter(|r| r.lost.is_some())
        .map(|r| {
            format!(
                "{} (worker {} lost after {:.1}s: {})",
                r.segment,
                r.addr,
                r.reported_until_s,
                r.lost.as_deref().unwrap_or("")
            )
        })
        .collect();
    let run_elapsed = elapsed.iter().copied().max().unwrap_or_default();
    let mut info = f.info;
    info.elapsed_s = Some(run_elapsed.as_secs_f64());
    info.stopped_early = stopped_early || aborted.is_some();
    info.missing_segments = missing.clone();
    folder.missing_segments(missing);
    info.changes = changes;
    let bytes_in = reports.iter().map(|r| r.bytes_in).sum();
    Ok(Coordinated {
        report: FinalReport {
            started_at: f.origin,
            elapsed: run_elapsed,
            stopped_early: info.stopped_early,
            intervals: merge.released(),
            totals: merge.into_totals(),
            // CPU is each worker's own business: its folder's summary has it.
            worker_cpu: Vec::new(),
            results_wait: Default::default(),
        },
        info,
        folder,
        workers: reports,
        aborted,
        share_sent,
        bytes_in,
    })
}
