//! `loadgen coordinator`: dials the workers, authenticates them, measures their clock
//! offsets, hands each a segment, starts all at one instant, merges their interval metrics
//! as they arrive, judges `abort_on_fail` thresholds live, and notices lost workers.

use crate::auth::{handshake, Secret};
use crate::error::DistError;
use crate::frame::{read_msg, write_msg};
use crate::protocol::Msg;
use crate::run_info::{plan_hash, rfc3339, unix_ns, Layout, Overrides, RunInfo, FORMAT_VERSION};
use loadgen_engine::{FinalReport, GaugeMerge, IntervalReport, Metrics, Segment};
use loadgen_scenario::{LiveThresholds, Scenario};
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How long a worker may stay silent before it counts as lost.
pub const WORKER_SILENCE: Duration = Duration::from_secs(3);
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
const CLOCK_PROBES: u32 = 5;

/// A coordinator's settings.
pub struct CoordinatorConfig {
    /// Scenario text with `${VAR}` expanded.
    pub scenario_text: String,
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
}

/// What a coordinated run produced.
pub struct Coordinated {
    /// `run.json` of the merged result.
    pub info: RunInfo,
    /// Merged intervals (encoded; decode one at a time).
    pub intervals: Vec<crate::folder::IntervalLine>,
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
}

struct Conn<S> {
    stream: S,
    report: WorkerReport,
}

async fn timed<T>(
    what: String,
    f: impl std::future::Future<Output = Result<T, DistError>>,
) -> Result<T, DistError> {
    tokio::time::timeout(SETUP_TIMEOUT, f)
        .await
        .map_err(|_| DistError::Net(format!("{what} timed out")))?
}

/// Sets one worker up: TLS, secret, clock, assignment.
async fn set_up(
    cfg: &CoordinatorConfig,
    connector: &tokio_rustls::TlsConnector,
    verifier: &crate::tls::PinningVerifier,
    addr: &str,
    segment: Segment,
    hash: &str,
) -> Result<Conn<Stream>, DistError> {
    let tcp = timed(format!("connecting to {addr}"), async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| DistError::Net(format!("{addr}: {e}")))
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    let tls = timed(format!("TLS with {addr}"), async {
        connector
            .connect(crate::tls::server_name(), tcp)
            .await
            .map_err(|e| DistError::Net(format!("{addr}: TLS: {e}")))
    })
    .await?;
    let fingerprint = verifier
        .seen
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default();
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| DistError::Net(e.to_string()))?;
    let mut tls = Stream::Client(tls);
    timed(
        format!("authenticating {addr}"),
        handshake(&mut tls, "coordinator", &cfg.secret, &key),
    )
    .await
    .map_err(|e| DistError::Auth(format!("{addr}: {e}")))?;
    prepare(cfg, tls, fingerprint, addr, segment, hash).await
}

/// After authentication: clock probes and the assignment.
async fn prepare(
    cfg: &CoordinatorConfig,
    mut tls: Stream,
    fingerprint: String,
    addr: &str,
    segment: Segment,
    hash: &str,
) -> Result<Conn<Stream>, DistError> {
    let (mut best_rtt, mut offset) = (f64::MAX, 0.0);
    for seq in 0..CLOCK_PROBES {
        let t1 = SystemTime::now();
        write_msg(&mut tls, &Msg::Ping { seq }).await?;
        let now_ns = match timed(format!("clock probe of {addr}"), read_msg(&mut tls)).await? {
            Some((Msg::Pong { seq: s, now_ns }, _)) if s == seq => now_ns,
            other => {
                return Err(DistError::Protocol(format!(
                    "{addr}: expected pong {seq}, got {other:?}"
                )))
            }
        };
        let t2 = SystemTime::now();
        let rtt = t2.duration_since(t1).unwrap_or_default().as_secs_f64() * 1e3;
        if rtt < best_rtt {
            best_rtt = rtt;
            let mid = (unix_ns(t1) + unix_ns(t2)) as f64 / 2.0;
            offset = (now_ns as f64 - mid) / 1e6;
        }
    }
    write_msg(
        &mut tls,
        &Msg::Assign {
            scenario: cfg.scenario_text.clone(),
            segment: segment.to_string(),
            overrides: cfg.overrides.clone(),
            target: cfg.target.clone(),
            plan_hash: hash.to_string(),
            threads: cfg.threads,
        },
    )
    .await?;
    let results = match timed(format!("assignment of {addr}"), read_msg(&mut tls)).await? {
        Some((Msg::Ready { plan_hash, results }, _)) if plan_hash == hash => results,
        Some((Msg::Ready { plan_hash, .. }, _)) => {
            return Err(DistError::Refused(format!(
                "{addr}: worker computed plan hash {plan_hash}, expected {hash}"
            )))
        }
        Some((Msg::Refused { reason }, _)) => {
            return Err(DistError::Refused(format!(
                "{addr} refused the work: {reason}"
            )))
        }
        other => {
            return Err(DistError::Protocol(format!(
                "{addr}: expected ready, got {other:?}"
            )))
        }
    };
    Ok(Conn {
        stream: tls,
        report: WorkerReport {
            addr: addr.to_string(),
            segment,
            fingerprint,
            clock_offset_ms: offset,
            rtt_ms: best_rtt,
            results,
            lost: None,
            reported_until_s: 0.0,
            bytes_in: 0,
        },
    })
}

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

/// Runs the whole coordinated run.
pub async fn run(
    cfg: CoordinatorConfig,
    hooks: &mut dyn CoordinatorHooks,
) -> Result<Coordinated, DistError> {
    let n = cfg.expect.as_ref().map_or(cfg.workers.len(), |e| e.count);
    if n == 0 {
        return Err(DistError::Refused("no workers given".into()));
    }
    let hash = plan_hash(&cfg.scenario_text, &cfg.overrides);
    let base_url = match (&cfg.target, &cfg.scenario.target) {
        (Some(t), _) => t.clone(),
        (None, loadgen_scenario::TargetSpec::Url(u)) => u.clone(),
        (None, loadgen_scenario::TargetSpec::Embedded(_)) => {
            return Err(DistError::Refused(
                "the scenario's target is the embedded demo target; give the shared target \
                 with --target URL"
                    .into(),
            ))
        }
    };
    let plan = loadgen_scenario::build_plan(&cfg.scenario, &base_url)
        .map_err(|e| DistError::Refused(e.to_string()))?;
    let layout = Layout::of(&plan);
    let steps = plan.steps();
    let custom = plan.custom_metrics();
    let empty = plan.empty_metrics();
    let planned = plan.duration();
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
            return Err(DistError::Refused(format!(
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
            scenario: &cfg.scenario,
            hash,
        },
    )
    .await
}

/// Waits for `e.count` workers to connect and authenticate; others are turned away.
async fn accept_workers(
    e: Expect,
    secret: &Secret,
    hooks: &mut dyn CoordinatorHooks,
) -> Result<Vec<(Stream, String)>, DistError> {
    e.listener
        .set_nonblocking(true)
        .map_err(|x| DistError::Net(x.to_string()))?;
    let listener =
        tokio::net::TcpListener::from_std(e.listener).map_err(|x| DistError::Net(x.to_string()))?;
    let acceptor = e.identity.acceptor()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<(Stream, String), String>>();
    let deadline = tokio::time::Instant::now() + e.wait;
    let mut ready = Vec::new();
    while ready.len() < e.count {
        tokio::select! {
            a = listener.accept() => {
                let Ok((tcp, peer)) = a else { continue };
                let _ = tcp.set_nodelay(true);
                let (acceptor, secret, tx) = (acceptor.clone(), secret.clone(), tx.clone());
                tokio::spawn(async move {
                    let r = async {
                        let tls = timed(format!("TLS with {peer}"), async {
                            acceptor.accept(tcp).await.map_err(|e| DistError::Net(format!("TLS: {e}")))
                        }).await?;
                        let key = tls
                            .get_ref()
                            .1
                            .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
                            .map_err(|e| DistError::Net(e.to_string()))?;
                        let mut tls = Stream::Server(tls);
                        timed(format!("authenticating {peer}"), handshake(&mut tls, "coordinator", &secret, &key)).await?;
                        Ok::<_, DistError>((tls, peer.to_string()))
                    }.await;
                    let _ = tx.send(r.map_err(|e| format!("refused {peer}: {e}")));
                });
            }
            r = rx.recv() => match r {
                Some(Ok(w)) => {
                    hooks.log(&format!("worker {} connected and authenticated ({} of {})", w.1, ready.len() + 1, e.count));
                    ready.push(w);
                }
                Some(Err(why)) => hooks.log(&why),
                None => {}
            },
            _ = tokio::time::sleep_until(deadline) => {
                return Err(DistError::Refused(format!(
                    "only {} of {} workers connected within {:.0}s",
                    ready.len(), e.count, e.wait.as_secs_f64()
                )));
            }
        }
    }
    Ok(ready)
}

struct Fleet<'a> {
    origin: SystemTime,
    planned: Duration,
    layout: Layout,
    steps: Vec<loadgen_engine::StepInfo>,
    custom: Vec<loadgen_engine::CustomInfo>,
    empty: Metrics,
    scenario: &'a Scenario,
    hash: String,
}

async fn send_all<S: AsyncWrite>(
    writers: &mut [Option<WriteHalf<S>>],
    states: &[State],
    msg: &Msg,
) -> Vec<usize> {
    let mut failed = Vec::new();
    for (i, w) in writers.iter_mut().enumerate() {
        if states[i] != State::Running {
            continue;
        }
        if let Some(w) = w {
            let r = tokio::time::timeout(Duration::from_secs(1), write_msg(w, msg)).await;
            if !matches!(r, Ok(Ok(_))) {
                failed.push(i);
            }
        }
    }
    failed
}

async fn run_fleet<S>(
    conns: Vec<Conn<S>>,
    abort_on_loss: bool,
    hooks: &mut dyn CoordinatorHooks,
    f: Fleet<'_>,
) -> Result<Coordinated, DistError>
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
        writers.push(Some(wr));
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
    let mut pending: BTreeMap<u64, (Metrics, Duration)> = BTreeMap::new();
    let mut released: Vec<crate::folder::IntervalLine> = Vec::new();
    let mut totals = f.empty.clone();
    let mut live = LiveThresholds::new(&f.scenario.thresholds, &f.steps, &f.custom);
    let mut aborted: Option<String> = None;
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
                            match line.decode().and_then(|r| {
                                let probe = RunInfo { layout: f.layout.clone(), ..dummy_info() };
                                crate::folder::check_shape(&r.metrics, &probe).map(|()| r)
                            }) {
                                Ok(r) => {
                                    let slot = pending.entry(r.index).or_insert_with(|| (f.empty.clone(), Duration::ZERO));
                                    slot.0.add(&r.metrics, GaugeMerge::Sum);
                                    slot.1 = slot.1.max(r.length);
                                    reported[i] = Some(reported[i].map_or(r.index, |x| x.max(r.index)));
                                    reports[i].reported_until_s = (r.start + r.length).as_secs_f64();
                                }
                                Err(e) => lost_now.push((i, format!("sent a malformed interval: {e}"))),
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
            _ = tick.tick() => {
                let now = Instant::now();
                for i in 0..n {
                    if states[i] == State::Running && now > last_seen[i] && now - last_seen[i] > WORKER_SILENCE {
                        lost_now.push((i, format!("silent for {:.1}s", (now - last_seen[i]).as_secs_f64())));
                    }
                }
                if beat.elapsed() >= Duration::from_millis(1000) {
                    beat = Instant::now();
                    for i in send_all(&mut writers, &states, &Msg::Heartbeat).await {
                        lost_now.push((i, "heartbeat could not be sent".into()));
                    }
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
            if abort_on_loss && aborted.is_none() {
                let reason = format!("worker {} lost (--abort-on-worker-loss)", reports[i].addr);
                hooks.log(&format!("aborting: {reason}"));
                send_all(
                    &mut writers,
                    &states,
                    &Msg::Stop {
                        reason: reason.clone(),
                    },
                )
                .await;
                aborted = Some(reason);
            }
        }
        // Release every interval all running workers have reported.
        let all_ended = states.iter().all(|s| *s != State::Running);
        while let Some((&k, _)) = pending.first_key_value() {
            let complete =
                (0..n).all(|i| states[i] != State::Running || reported[i].is_some_and(|r| r >= k));
            if !complete && !all_ended {
                break;
            }
            let (metrics, length) = pending.remove(&k).expect("key just seen");
            while released.len() as u64 <= k {
                let idx = released.len() as u64;
                let (m, l) = if idx == k {
                    (metrics.clone(), length)
                } else {
                    (f.empty.clone(), interval)
                };
                let r = IntervalReport {
                    index: idx,
                    start: interval * idx as u32,
                    length: l,
                    metrics: m,
                };
                totals.add(&r.metrics, GaugeMerge::Max);
                let running = states.iter().filter(|s| **s == State::Running).count();
                hooks.interval(&r, running, n);
                if let Some(breach) = live.observe(&r) {
                    if aborted.is_none() {
                        let reason = format!("threshold {breach} failed (abort_on_fail)");
                        hooks.log(&format!("aborting: {reason}"));
                        send_all(
                            &mut writers,
                            &states,
                            &Msg::Stop {
                                reason: reason.clone(),
                            },
                        )
                        .await;
                        aborted = Some(reason);
                    }
                }
                released.push(crate::folder::IntervalLine::encode(&r));
            }
        }
        if all_ended && pending.is_empty() {
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
    let info = RunInfo {
        format_version: FORMAT_VERSION,
        loadgen_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: f.scenario.name.clone(),
        plan_hash: f.hash,
        segments: reports.iter().map(|r| r.segment.to_string()).collect(),
        started_at_unix_ns: unix_ns(f.origin),
        started_at: rfc3339(f.origin),
        interval_ms: interval.as_millis() as u64,
        scenario_file: None,
        overrides: Overrides::default(),
        layout: f.layout,
        elapsed_s: Some(run_elapsed.as_secs_f64()),
        stopped_early: stopped_early || aborted.is_some(),
        missing_segments: missing,
    };
    let bytes_in = reports.iter().map(|r| r.bytes_in).sum();
    Ok(Coordinated {
        report: FinalReport {
            started_at: f.origin,
            elapsed: run_elapsed,
            totals,
            stopped_early: info.stopped_early,
            intervals: released.len() as u64,
            // CPU is each worker's own business: its folder's summary has it.
            worker_cpu: Vec::new(),
        },
        info,
        intervals: released,
        workers: reports,
        aborted,
        share_sent,
        bytes_in,
    })
}

fn dummy_info() -> RunInfo {
    RunInfo {
        format_version: FORMAT_VERSION,
        loadgen_version: String::new(),
        scenario: String::new(),
        plan_hash: String::new(),
        segments: Vec::new(),
        started_at_unix_ns: 0,
        started_at: String::new(),
        interval_ms: 1000,
        scenario_file: None,
        overrides: Overrides::default(),
        layout: Layout {
            workloads: Vec::new(),
            steps: Vec::new(),
            custom: Vec::new(),
        },
        elapsed_s: None,
        stopped_early: false,
        missing_segments: Vec::new(),
    }
}
