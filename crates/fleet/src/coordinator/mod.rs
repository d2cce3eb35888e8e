//! `loadgen coordinator`: dials the workers, authenticates them, measures their clock
//! offsets, hands each a segment, starts all at one instant, merges their interval metrics
//! as they arrive, judges `abort_on_fail` thresholds live, and notices lost workers.
//!
//! `setup` brings workers in (dial or accept, TLS, secret, clock, assignment); `fleet` runs
//! them (heartbeats, thresholds, loss detection, changes by hand relayed); `merging` is the
//! live merge, whose intervals go to the results folder as they are released (nothing kept
//! per interval).
//!
//! # Changes by hand
//!
//! The coordinator's `RunControl` (its dashboard, `loadgen ctl`) runs on the fleet's clock:
//! it starts at the instant every worker starts, and a change asked for there is checked
//! once (the smallest `scale` ceiling of all workers' `--max-rate`), given an instant
//! [`FLEET_CHANGE_LEAD`] (plus the slowest round trip) ahead, recorded once, and relayed to
//! every worker, which applies it at that instant: the segments still add up to one
//! schedule.

mod fleet;
mod merging;
mod outcome;
mod setup;

use crate::auth::Secret;
use crate::error::FleetError;
use crate::frame::write_msg;
use crate::protocol::Msg;
use fleet::{run_fleet, Fleet};
use loadgen_engine::{FinalReport, IntervalReport, Segment};
use loadgen_report::{plan_hash, rfc3339, unix_ns, Assembled, Assembling, Layout, Overrides};
use loadgen_report::{PlanIdentity, RunInfo};
use loadgen_scenario::Scenario;
use setup::{accept_workers, prepare, set_up};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use tokio::net::TcpStream;

pub use merging::MAX_HELD;

/// How long a worker may stay silent before it counts as lost.
pub const WORKER_SILENCE: Duration = Duration::from_secs(3);

/// How far ahead of the request a change by hand takes effect across a fleet, before the
/// round trips are added: time for the message to reach every worker's threads.
pub const FLEET_CHANGE_LEAD: Duration = Duration::from_millis(250);

/// A coordinator's settings.
pub struct CoordinatorConfig {
    /// Scenario text with `${VAR}` expanded.
    pub scenario_text: String,
    /// The scenario file's text as written, copied (secrets redacted) as the results
    /// folder's `scenario.toml`.
    pub raw_scenario: String,
    /// The merged run's results folder (prepared by the caller): written as the run goes.
    pub out: PathBuf,
    /// The scenario parsed from that text with the overrides applied.
    pub scenario: Scenario,
    /// Overrides (part of the plan's identity).
    pub overrides: Overrides,
    /// Base URL every worker sends to (the scenario's target if `None`).
    pub target: Option<String>,
    /// Worker addresses (`host:port`).
    pub workers: Vec<String>,
    /// Pinned worker certificate fingerprints (empty: trust on first use).
    pub pins: Vec<String>,
    /// Shared secret.
    pub secret: Secret,
    /// Engine threads per worker.
    pub threads: Option<usize>,
    /// Stop every worker when one is lost.
    pub abort_on_worker_loss: bool,
    /// Instead of dialling `workers`, wait for this many to connect.
    pub expect: Option<Expect>,
    /// Stopped from outside (a signal): every worker is asked to stop, results are kept.
    pub control: loadgen_engine::RunControl,
}

/// `--expect N`: workers dial the coordinator, which presents its own certificate.
pub struct Expect {
    /// Where workers connect.
    pub listener: std::net::TcpListener,
    /// How many workers to wait for.
    pub count: usize,
    /// The coordinator's certificate.
    pub identity: crate::tls::Identity,
    /// How long to wait for all of them.
    pub wait: Duration,
}

type Stream = tokio_rustls::TlsStream<TcpStream>;

/// A worker as the coordinator saw it.
#[derive(Debug, Clone)]
pub struct WorkerReport {
    /// Its address.
    pub addr: String,
    /// Its segment.
    pub segment: Segment,
    /// Its certificate fingerprint.
    pub fingerprint: String,
    /// Its clock minus ours (ms), from the probe with the shortest round trip.
    pub clock_offset_ms: f64,
    /// That probe's round trip (ms).
    pub rtt_ms: f64,
    /// Its own results folder (on its machine).
    pub results: String,
    /// `Some(reason)` if it was lost during the run.
    pub lost: Option<String>,
    /// End of the last interval it reported (s from the origin).
    pub reported_until_s: f64,
    /// Bytes it sent us after the start.
    pub bytes_in: u64,
    /// The most `scale` it allows (its `--max-rate`); `None`: no ceiling.
    pub max_scale: Option<f64>,
}

/// A worker as the coordinator's dashboard shows it, after each merged interval.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerLive {
    /// Its address.
    pub addr: String,
    /// Its segment (`i/n`).
    pub segment: String,
    /// `None` while it runs or once it finished; why it was lost otherwise.
    pub lost: Option<String>,
    /// It sent `Done`.
    pub done: bool,
    /// Requests per second in the last interval it reported.
    pub rate: f64,
    /// Requests so far.
    pub requests: u64,
    /// Errors so far.
    pub errors: u64,
    /// End of the last interval it reported (s from the origin).
    pub reported_until_s: f64,
}

/// What a coordinated run produced.
pub struct Coordinated {
    /// `run.json` of the merged result.
    pub info: RunInfo,
    /// The merged run's results folder, every interval written: the caller judges and
    /// closes it with [`Assembling::finish`].
    pub folder: Assembling,
    /// Totals, as a single run reports them.
    pub report: FinalReport,
    /// Per worker.
    pub workers: Vec<WorkerReport>,
    /// Why the run was stopped early, if it was.
    pub aborted: Option<String>,
    /// Share of the planned load that was sent (lost segments count for the time they ran).
    pub share_sent: f64,
    /// Bytes received from workers after the start, and the run's length.
    pub bytes_in: u64,
}

/// What the coordinator tells its operator.
pub trait CoordinatorHooks {
    /// A line for the log.
    fn log(&mut self, line: &str);
    /// One merged interval, with the number of workers still running.
    fn interval(&mut self, r: &IntervalReport, running: usize, total: usize);
    /// Every worker as of now (before each merged interval, and when one is lost).
    fn workers(&mut self, _workers: &[WorkerLive]) {}
    /// A change by hand, as it is relayed to every worker.
    fn change(&mut self, _c: &loadgen_engine::Change) {}
}

/// Runs the whole coordinated run.
pub async fn run(
    cfg: CoordinatorConfig,
    hooks: &mut dyn CoordinatorHooks,
) -> Result<Coordinated, FleetError> {
    let n = cfg.expect.as_ref().map_or(cfg.workers.len(), |e| e.count);
    if n == 0 {
        return Err(FleetError::Refused("no workers given".into()));
    }
    let hash = plan_hash(&cfg.scenario_text, &cfg.overrides);
    let base_url = match (&cfg.target, &cfg.scenario.target) {
        (Some(t), _) => t.clone(),
        (None, loadgen_scenario::TargetSpec::Url(u)) => u.clone(),
        (None, loadgen_scenario::TargetSpec::Embedded(_)) => {
            return Err(FleetError::Refused(
                "the scenario's target is the embedded demo target; give the shared target \
                 with --target URL"
                    .into(),
            ))
        }
    };
    let plan = loadgen_scenario::build_plan(&cfg.scenario, &base_url)
        .map_err(|e| FleetError::Refused(crate::error::with_causes(&e)))?;
    let layout = Layout::of(&plan);
    let steps = plan.steps();
    let custom = plan.custom_metrics();
    let empty = plan.empty_metrics();
    let planned = plan.duration();
    let has = |open: bool| {
        plan.workloads
            .iter()
            .any(|w| matches!(w.model, loadgen_engine::Model::Open(_)) == open)
    };
    let (has_open, has_closed) = (has(true), has(false));
    drop(plan);

    // Set-up of every worker, side by side.
    let mut cfg = cfg;
    let accepted = match cfg.expect.take() {
        Some(e) => Some(accept_workers(e, &cfg.secret, hooks).await?),
        None => None,
    };
    let cfg = std::sync::Arc::new(cfg);
    let mut conns = Vec::with_capacity(n);
    {
        let mut set = tokio::task::JoinSet::new();
        for (i, (tls, addr)) in accepted.into_iter().flatten().enumerate() {
            let seg = Segment::new(i as u64, n as u64).expect("i < n");
            let (cfg, hash) = (cfg.clone(), hash.clone());
            set.spawn(async move {
                let r = prepare(&cfg, tls, "(worker dialled in)".into(), &addr, seg, &hash).await;
                (i, r)
            });
        }
        // Dialled workers (in --expect mode the list is empty).
        for (i, addr) in cfg.workers.iter().enumerate() {
            let seg = Segment::new(i as u64, n as u64).expect("i < n");
            let (connector, verifier) = crate::tls::connector(&cfg.pins)?;
            let (cfg, addr, hash) = (cfg.clone(), addr.clone(), hash.clone());
            set.spawn(async move {
                (
                    i,
                    set_up(&cfg, &connector, &verifier, &addr, seg, &hash).await,
                )
            });
        }
        let mut done = Vec::new();
        let mut failures = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok((i, Ok(c))) => done.push((i, c)),
                Ok((_, Err(e))) => failures.push(e.to_string()),
                Err(e) => failures.push(e.to_string()),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        conns.extend(done.into_iter().map(|(_, c)| c));
        if !failures.is_empty() {
            for c in &mut conns {
                let _ = write_msg(
                    &mut c.stream,
                    &Msg::Stop {
                        reason: "set-up failed".into(),
                    },
                )
                .await;
            }
            return Err(FleetError::Refused(format!(
                "{} of {n} worker(s) failed set-up: {}",
                failures.len(),
                failures.join("; ")
            )));
        }
    }
    for c in &conns {
        hooks.log(&format!(
            "worker {} ready: segment {}, clock offset {:+.1} ms (rtt {:.2} ms), certificate {}, results {}",
            c.report.addr,
            c.report.segment,
            c.report.clock_offset_ms,
            c.report.rtt_ms,
            c.report.fingerprint,
            c.report.results
        ));
    }
    let max_rtt = conns.iter().map(|c| c.report.rtt_ms).fold(0.0, f64::max);
    let origin = SystemTime::now() + Duration::from_millis(1000 + (4.0 * max_rtt) as u64);
    for c in &mut conns {
        let at = unix_ns(origin) as f64 + c.report.clock_offset_ms * 1e6;
        write_msg(&mut c.stream, &Msg::Start { at_ns: at as u64 }).await?;
    }
    hooks.log(&format!("all {n} workers start at {}", rfc3339(origin)));
    // The merged run's folder is written as it goes: `run.json` and `metrics.jsonl` now, so
    // a coordinator killed later leaves a folder `loadgen report` can rebuild.
    let id = PlanIdentity {
        hash,
        overrides: cfg.overrides.clone(),
        raw_text: None,
        file: None,
    };
    let segments = conns.iter().map(|c| c.report.segment.to_string()).collect();
    let interval = Duration::from_secs(1);
    let mut info = RunInfo::new(&cfg.scenario.name, &id, layout.clone(), segments, interval);
    info.set_origin(origin);
    let folder = Assembled {
        out: &cfg.out,
        info: info.clone(),
        raw_scenario: Some(&cfg.raw_scenario),
        intervals: planned.as_millis().div_ceil(interval.as_millis()) as u64,
    }
    .start(&cfg.scenario, origin);
    let control = cfg.control.clone();
    // Changes by hand on the fleet's clock, within every worker's ceiling.
    let ceilings = conns.iter().filter_map(|c| c.report.max_scale);
    if let Some(ceiling) = ceilings.reduce(f64::min) {
        control.limit_scale(ceiling);
    }
    control.set_lead(FLEET_CHANGE_LEAD + Duration::from_secs_f64(2.0 * max_rtt / 1e3));
    let until_start = origin.duration_since(SystemTime::now()).unwrap_or_default();
    control.begin_in(until_start, has_open, has_closed);
    run_fleet(
        conns,
        cfg.abort_on_worker_loss,
        hooks,
        Fleet {
            origin,
            planned,
            layout,
            steps,
            custom,
            empty,
            control,
            scenario: &cfg.scenario,
            info,
            folder,
        },
    )
    .await
}
