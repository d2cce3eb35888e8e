//! `loadgen worker`: waits for a coordinator, proves the shared secret, checks the work
//! against its own policy, runs its segment and streams interval metrics back. It keeps its
//! own results folder, and stops its load within seconds of losing the coordinator.

use crate::auth::{handshake, Secret};
use crate::error::DistError;
use crate::folder::{FolderWriter, IntervalLine};
use crate::frame::{read_msg, write_msg};
use crate::policy::WorkerPolicy;
use crate::protocol::Msg;
use crate::run_info::{plan_hash, unix_ns, Layout, Overrides, RunInfo, FORMAT_VERSION};
use crate::tls::Identity;
use loadgen_engine::{Event, FinalReport, IntervalReport, RunControl, RunOptions, Segment};
use loadgen_scenario::{Scenario, TargetSpec};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long the coordinator may stay silent before the worker stops its load.
pub const COORDINATOR_SILENCE: Duration = Duration::from_secs(3);
/// How long set-up steps (TLS, authentication, each message before the start) may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// A worker's settings.
pub struct WorkerConfig {
    /// Certificate the worker presents.
    pub identity: Identity,
    /// Shared secret of the fleet.
    pub secret: Secret,
    /// Targets and ceilings.
    pub policy: WorkerPolicy,
    /// Folder under which each run gets its results folder.
    pub results_root: PathBuf,
    /// Serve one coordinator session, then return (tests, scripts).
    pub once: bool,
}

/// A finished segment run, for the caller to write its full results folder.
pub struct FinishedRun {
    /// The scenario as run.
    pub scenario: Scenario,
    /// Its text (expanded).
    pub scenario_text: String,
    /// `run.json` contents.
    pub info: RunInfo,
    /// Every interval (encoded).
    pub intervals: Vec<IntervalLine>,
    /// Totals.
    pub report: FinalReport,
    /// The results folder.
    pub out: PathBuf,
}

/// What the worker tells its operator and hands back.
pub trait WorkerHooks: Send {
    /// A line for the log.
    fn log(&mut self, line: &str);
    /// A run ended (normally, stopped or after losing the coordinator).
    fn finished(&mut self, run: FinishedRun);
}

/// Serves coordinators on `listener`, one session at a time.
pub async fn serve(
    listener: TcpListener,
    cfg: WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), DistError> {
    let acceptor = cfg.identity.acceptor()?;
    loop {
        let (tcp, peer) = listener
            .accept()
            .await
            .map_err(|e| DistError::Net(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        match session(&acceptor, tcp, peer, &cfg, hooks).await {
            Ok(()) => {}
            Err(e) => hooks.log(&format!("session with {peer} ended: {e}")),
        }
        if cfg.once {
            return Ok(());
        }
    }
}

async fn timed<T>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, DistError>>,
) -> Result<T, DistError> {
    tokio::time::timeout(SETUP_TIMEOUT, f)
        .await
        .map_err(|_| DistError::Net(format!("{what} timed out")))?
}

struct Assignment {
    scenario: Scenario,
    text: String,
    segment: Segment,
    base_url: String,
    overrides: Overrides,
    hash: String,
    threads: Option<usize>,
    out: PathBuf,
}

async fn check_assignment(cfg: &WorkerConfig, msg: Msg) -> Result<Assignment, String> {
    let Msg::Assign {
        scenario,
        segment,
        overrides,
        target,
        plan_hash: hash,
        threads,
    } = msg
    else {
        return Err("expected an assignment".into());
    };
    let seg: Segment = segment.parse()?;
    let mine = plan_hash(&scenario, &overrides);
    if mine != hash {
        return Err(format!(
            "plan hash mismatch: coordinator says {hash}, the scenario received hashes to {mine}"
        ));
    }
    let no_env = |_: &str| None;
    let mut sc =
        loadgen_scenario::parse(&scenario, "scenario.toml (from the coordinator)", &no_env)
            .map_err(|e| e.to_string())?;
    let duration = overrides
        .duration
        .as_deref()
        .map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(|e| format!("duration override: {e}"))?;
    sc.apply_overrides(duration, overrides.seed, target);
    let base_url = match &sc.target {
        TargetSpec::Url(u) => u.clone(),
        TargetSpec::Embedded(_) => {
            return Err(
                "the scenario's target is the embedded demo target; distributed runs need a \
                 shared target URL (coordinator --target URL)"
                    .into(),
            )
        }
    };
    cfg.policy.check_target(&base_url).await?;
    cfg.policy.check_ceilings(&sc, 1.0 / seg.count as f64)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let out = cfg.results_root.join(format!(
        "{}-seg{}of{}-{stamp}",
        sc.name, seg.index, seg.count
    ));
    Ok(Assignment {
        scenario: sc,
        text: scenario,
        segment: seg,
        base_url,
        overrides,
        hash,
        threads,
        out,
    })
}

async fn session(
    acceptor: &tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), DistError> {
    let tls = timed("TLS handshake", async {
        acceptor
            .accept(tcp)
            .await
            .map_err(|e| DistError::Net(format!("TLS: {e}")))
    })
    .await?;
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| DistError::Net(e.to_string()))?;
    serve_session(tls, key, peer, cfg, hooks).await
}

/// Dials a coordinator started with `--expect` (worker side of the TLS session is the
/// client; `pins` are the coordinator's certificate fingerprints, empty: trust on first use)
/// and serves that one session.
pub async fn connect(
    addr: &str,
    pins: &[String],
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), DistError> {
    let (connector, verifier) = crate::tls::connector(pins)?;
    let tcp = timed("connecting to the coordinator", async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| DistError::Net(format!("{addr}: {e}")))
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    let peer = tcp.peer_addr().map_err(|e| DistError::Net(e.to_string()))?;
    let tls = timed("TLS handshake", async {
        connector
            .connect(crate::tls::server_name(), tcp)
            .await
            .map_err(|e| DistError::Net(format!("{addr}: TLS: {e}")))
    })
    .await?;
    if let Some(fp) = verifier.seen.lock().ok().and_then(|s| s.clone()) {
        hooks.log(&format!("coordinator certificate SHA-256 {fp}"));
    }
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| DistError::Net(e.to_string()))?;
    serve_session(tls, key, peer, cfg, hooks).await
}

/// The session after TLS, whichever side dialled.
async fn serve_session<S>(
    mut tls: S,
    key: [u8; 32],
    peer: SocketAddr,
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), DistError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    if let Err(e) = timed(
        "authentication",
        handshake(&mut tls, "worker", &cfg.secret, &key),
    )
    .await
    {
        hooks.log(&format!("refused {peer}: {e}"));
        return Err(e);
    }
    hooks.log(&format!("coordinator {peer} authenticated"));
    // Set-up: clock probes and the assignment, then the start instant.
    let assignment = loop {
        let msg = timed("waiting for the coordinator", async {
            read_msg(&mut tls).await
        })
        .await?;
        match msg {
            Some((Msg::Ping { seq }, _)) => {
                let now_ns = unix_ns(SystemTime::now()) as u64;
                write_msg(&mut tls, &Msg::Pong { seq, now_ns }).await?;
            }
            Some((m @ Msg::Assign { .. }, _)) => match check_assignment(cfg, m).await {
                Ok(a) => {
                    write_msg(
                        &mut tls,
                        &Msg::Ready {
                            plan_hash: a.hash.clone(),
                            results: a.out.display().to_string(),
                        },
                    )
                    .await?;
                    break a;
                }
                Err(reason) => {
                    hooks.log(&format!("refused work from {peer}: {reason}"));
                    let _ = write_msg(
                        &mut tls,
                        &Msg::Refused {
                            reason: reason.clone(),
                        },
                    )
                    .await;
                    return Err(DistError::Auth(reason));
                }
            },
            Some((Msg::Heartbeat, _)) => {}
            Some((other, _)) => {
                return Err(DistError::Protocol(format!(
                    "unexpected {other:?} before start"
                )))
            }
            None => return Err(DistError::Net("coordinator left before the start".into())),
        }
    };
    let at_ns = loop {
        match timed("waiting for the start", async { read_msg(&mut tls).await }).await? {
            Some((Msg::Start { at_ns }, _)) => break at_ns,
            Some((Msg::Heartbeat | Msg::Ping { .. }, _)) => {}
            Some((Msg::Stop { .. }, _)) | None => {
                return Err(DistError::Net(
                    "the run was called off before the start".into(),
                ))
            }
            Some((other, _)) => {
                return Err(DistError::Protocol(format!(
                    "unexpected {other:?} before start"
                )))
            }
        }
    };
    let start_at = UNIX_EPOCH
        + Duration::new(
            (at_ns / 1_000_000_000) as u64,
            (at_ns % 1_000_000_000) as u32,
        );
    hooks.log(&format!(
        "running segment {} of `{}` against {}; results in {}",
        assignment.segment,
        assignment.scenario.name,
        assignment.base_url,
        assignment.out.display()
    ));
    run_segment(tls, assignment, start_at, hooks).await
}

enum EngineMsg {
    Started(SystemTime),
    Interval(IntervalReport),
    Finished(Result<FinalReport, String>),
}

enum PeerMsg {
    Msg(Msg),
    Gone(String),
}

async fn run_segment<S>(
    tls: S,
    a: Assignment,
    start_at: SystemTime,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), DistError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let plan = loadgen_scenario::build_plan(&a.scenario, &a.base_url)
        .map_err(|e| DistError::Protocol(e.to_string()))?;
    std::fs::create_dir_all(&a.out).map_err(|e| DistError::io(&a.out, e))?;
    std::fs::write(
        a.out.join("scenario.toml"),
        loadgen_scenario::redact_secrets(&a.text),
    )
    .map_err(|e| DistError::io(a.out.join("scenario.toml"), e))?;
    let info = RunInfo {
        format_version: FORMAT_VERSION,
        loadgen_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: a.scenario.name.clone(),
        plan_hash: a.hash.clone(),
        segments: vec![a.segment.to_string()],
        started_at_unix_ns: 0,
        started_at: String::new(),
        interval_ms: 1000,
        scenario_file: None,
        overrides: a.overrides.clone(),
        layout: Layout::of(&plan),
        elapsed_s: None,
        stopped_early: false,
        missing_segments: Vec::new(),
    };
    let opts = RunOptions {
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        segment: a.segment,
        graceful_stop: a.scenario.graceful_stop,
        start_at: Some(start_at),
        ..RunOptions::default()
    };
    let control = RunControl::new();
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
                });
                drop(plan); // connections close before the thread reports the end
                let _ = etx.send(EngineMsg::Finished(r.map_err(|e| e.to_string())));
            })
            .map_err(|e| DistError::Net(e.to_string()))?
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
    let mut writer: Option<FolderWriter> = None;
    let mut intervals = Vec::new();
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
                Some(EngineMsg::Started(at)) => {
                    match FolderWriter::create(&a.out, info.clone(), at) {
                        Ok(w) => writer = Some(w),
                        Err(e) => hooks.log(&format!("cannot write results: {e}")),
                    }
                }
                Some(EngineMsg::Interval(r)) => {
                    let line = IntervalLine::encode(&r);
                    if let Some(w) = writer.as_mut() {
                        if let Err(e) = w.line(&line) {
                            hooks.log(&format!("cannot write results: {e}"));
                            writer = None;
                        }
                    }
                    drop(r);
                    intervals.push(line.clone());
                    if connected {
                        let sent = tokio::time::timeout(Duration::from_secs(2), write_msg(&mut wr, &Msg::Interval(line))).await;
                        if !matches!(sent, Ok(Ok(_))) {
                            lose("sending failed".into(), &mut connected, hooks);
                        }
                    }
                }
                Some(EngineMsg::Finished(r)) => break r,
                None => break Err("the engine thread ended without a report".into()),
            },
            m = prx.recv(), if connected => match m {
                Some(PeerMsg::Msg(Msg::Stop { reason })) => {
                    hooks.log(&format!("coordinator asks to stop: {reason}"));
                    control.stop();
                    last_seen = Instant::now();
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
    let report = report.map_err(DistError::Protocol)?;
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
    if let Some(w) = writer {
        let _ = w.finish(report.elapsed, report.stopped_early, Vec::new());
    }
    let mut info = info;
    info.started_at_unix_ns = unix_ns(report.started_at);
    info.started_at = crate::run_info::rfc3339(report.started_at);
    info.elapsed_s = Some(report.elapsed.as_secs_f64());
    info.stopped_early = report.stopped_early;
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
    hooks.finished(FinishedRun {
        scenario: a.scenario,
        scenario_text: a.text,
        info,
        intervals,
        report,
        out: a.out,
    });
    Ok(())
}
