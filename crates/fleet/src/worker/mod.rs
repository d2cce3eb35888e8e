//! `loadgen worker`: waits for a coordinator, proves the shared secret, checks the work
//! against its own policy, runs its segment and streams interval metrics back. It keeps its
//! own results folder, and stops its load within seconds of losing the coordinator.

mod segment;

use segment::run_segment;

use crate::auth::{handshake, Secret};
use crate::error::FleetError;
use crate::frame::{read_msg, write_msg};
use crate::policy::{PolicyError, WorkerPolicy};
use crate::protocol::Msg;
use crate::tls::Identity;
use loadgen_engine::{Segment, SegmentError};
use loadgen_report::{plan_hash, unix_ns, Overrides};
use loadgen_scenario::{Scenario, TargetSpec};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
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

/// What the worker tells its operator (a segment's results folder is written here, by
/// `loadgen_report`'s sink, as the intervals come).
pub trait WorkerHooks: Send {
    /// A line for the log.
    fn log(&mut self, line: &str);
}

/// Serves coordinators on `listener`, one session at a time. Connections are taken and
/// authenticated side by side, so a peer that connects and says nothing cannot keep a real
/// coordinator out; an authenticated coordinator that finds the worker busy is refused.
pub async fn serve(
    listener: TcpListener,
    cfg: WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), FleetError> {
    let acceptor = cfg.identity.acceptor()?;
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let accepting = {
        let (secret, busy) = (cfg.secret.clone(), busy.clone());
        tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, secret, busy, tx) =
                    (acceptor.clone(), secret.clone(), busy.clone(), tx.clone());
                tokio::spawn(async move {
                    let r = accept_one(&acceptor, tcp, &secret, &busy).await;
                    let _ = tx.send(
                        r.map(|t| (t, peer))
                            .map_err(|e| format!("refused {peer}: {e}")),
                    );
                });
            }
        })
    };
    let result = loop {
        match rx.recv().await {
            Some(Ok((tls, peer))) => {
                busy.store(true, std::sync::atomic::Ordering::SeqCst);
                hooks.log(&format!("coordinator {peer} authenticated"));
                if let Err(e) = after_auth(tls, peer, &cfg, hooks).await {
                    hooks.log(&format!("session with {peer} ended: {e}"));
                }
                busy.store(false, std::sync::atomic::Ordering::SeqCst);
                if cfg.once {
                    break Ok(());
                }
            }
            Some(Err(why)) => {
                hooks.log(&why);
                if cfg.once {
                    break Ok(());
                }
            }
            None => break Err(FleetError::Net("the listener stopped".into())),
        }
    };
    accepting.abort();
    result
}

/// TLS and the secret proof of one incoming connection.
async fn accept_one(
    acceptor: &tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    secret: &Secret,
    busy: &std::sync::atomic::AtomicBool,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>, FleetError> {
    let mut tls = timed("TLS handshake", async {
        acceptor
            .accept(tcp)
            .await
            .map_err(|e| FleetError::Net(format!("TLS: {e}")))
    })
    .await?;
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| FleetError::Net(e.to_string()))?;
    timed(
        "authentication",
        handshake(&mut tls, "worker", secret, &key),
    )
    .await?;
    if busy.load(std::sync::atomic::Ordering::SeqCst) {
        let reason = "busy: this worker is running another coordinator's segment".to_string();
        send_refusal(&mut tls, &reason).await;
        return Err(FleetError::Refused(reason));
    }
    Ok(tls)
}

async fn timed<T>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, FleetError>>,
) -> Result<T, FleetError> {
    tokio::time::timeout(SETUP_TIMEOUT, f)
        .await
        .map_err(|_| FleetError::Net(format!("{what} timed out")))?
}

pub(super) struct Assignment {
    pub(super) scenario: Scenario,
    pub(super) text: String,
    pub(super) segment: Segment,
    pub(super) base_url: String,
    pub(super) overrides: Overrides,
    pub(super) hash: String,
    pub(super) threads: Option<usize>,
    pub(super) out: PathBuf,
    /// The most a change by hand may scale this segment (`--max-rate`).
    pub(super) max_scale: Option<f64>,
}

/// Why a worker refuses the work it was sent (sent back to the coordinator as text).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("expected an assignment")]
    NotAnAssignment,
    #[error(transparent)]
    Segment(#[from] SegmentError),
    #[error(
        "plan hash mismatch: coordinator says {theirs}, the scenario received hashes to {mine}"
    )]
    PlanHash { theirs: String, mine: String },
    #[error(transparent)]
    Scenario(#[from] loadgen_scenario::ScenarioError),
    #[error("duration override: {0}")]
    Duration(loadgen_scenario::UnitError),
    #[error(
        "the scenario's target is the embedded demo target; distributed runs need a shared \
         target URL (coordinator --target URL)"
    )]
    EmbeddedTarget,
    #[error(
        "the scenario sets [http] client_cert; workers refuse to present a certificate and key \
         read from their own disk at a coordinator's request"
    )]
    ClientIdentity,
    #[error("the scenario's proxy for {url}: {error}")]
    Proxy { url: String, error: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A workload dials an address the policy does not allow (the policy's reason is part of
    /// this text, not a separate cause: the refusal crosses the wire as one line).
    #[error("workload `{workload}` ({what}): {policy}")]
    Destination {
        workload: String,
        what: &'static str,
        policy: PolicyError,
    },
}

async fn check_assignment(cfg: &WorkerConfig, msg: Msg) -> Result<Assignment, Refusal> {
    let Msg::Assign {
        scenario,
        segment,
        overrides,
        target,
        plan_hash: hash,
        threads,
    } = msg
    else {
        return Err(Refusal::NotAnAssignment);
    };
    let seg: Segment = segment.parse()?;
    let mine = plan_hash(&scenario, &overrides);
    if mine != hash {
        return Err(Refusal::PlanHash { theirs: hash, mine });
    }
    let no_env = |_: &str| None;
    let mut sc =
        loadgen_scenario::parse(&scenario, "scenario.toml (from the coordinator)", &no_env)?;
    let duration = overrides
        .duration
        .as_deref()
        .map(loadgen_scenario::parse_duration)
        .transpose()
        .map_err(Refusal::Duration)?;
    sc.apply_overrides(duration, overrides.seed, target);
    if sc.http.tls.identity.is_some() || !sc.http.tls_auth.is_empty() {
        return Err(Refusal::ClientIdentity);
    }
    let base_url = match &sc.target {
        TargetSpec::Url(u) => u.clone(),
        TargetSpec::Embedded(_) => return Err(Refusal::EmbeddedTarget),
    };
    // Every address any workload dials, not only the base URL (a WebSocket workload may
    // name its own host).
    // name, where `hosts` overrides one: the address it is mapped to (the real destination);
    // through a proxy: the proxy too, which is what the worker itself connects to.
    let mut checked = Vec::new();
    let env = |name: &str| std::env::var(name).ok();
    for d in sc.destinations(&base_url) {
        let mut urls = vec![crate::policy::with_hosts(&d.url, &sc.http.hosts)];
        if let Ok((host, _)) = crate::policy::host_port(&d.url) {
            let tls = d.url.starts_with("https://") || d.url.starts_with("wss://");
            let proxy =
                sc.http
                    .proxy
                    .resolve(&host, tls, &env)
                    .map_err(|error| Refusal::Proxy {
                        url: d.url.clone(),
                        error: error.to_string(),
                    })?;
            if let Some(p) = proxy {
                urls.push(format!("http://{}/", p.authority()));
            }
        }
        for url in urls {
            if checked.contains(&url) {
                continue;
            }
            cfg.policy
                .check_target(&url)
                .await
                .map_err(|policy| Refusal::Destination {
                    workload: d.workload.clone(),
                    what: d.what,
                    policy,
                })?;
            checked.push(url);
        }
    }
    cfg.policy.check_ceilings(&sc, 1.0 / seg.count as f64)?;
    let max_scale = cfg.policy.scale_ceiling(&sc, 1.0 / seg.count as f64);
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
        max_scale,
    })
}

/// `loadgen worker --connect`: dials the coordinator at `addr` and serves it (see
/// [`connect`]); when a session ends, dials again 2 s later, unless `cfg.once`.
pub async fn connect_again(
    addr: &str,
    pins: &[String],
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) {
    loop {
        hooks.log(&format!("connecting to coordinator {addr}"));
        if let Err(e) = connect(addr, pins, cfg, hooks).await {
            hooks.log(&format!("session with {addr} ended: {e}"));
        }
        if cfg.once {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Dials a coordinator started with `--expect` (worker side of the TLS session is the
/// client; `pins` are the coordinator's certificate fingerprints, empty: trust on first use)
/// and serves that one session.
pub async fn connect(
    addr: &str,
    pins: &[String],
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), FleetError> {
    let (connector, verifier) = crate::tls::connector(pins)?;
    let tcp = timed("connecting to the coordinator", async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| FleetError::Net(format!("{addr}: {e}")))
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    let peer = tcp
        .peer_addr()
        .map_err(|e| FleetError::Net(e.to_string()))?;
    let tls = timed("TLS handshake", async {
        connector
            .connect(crate::tls::server_name(), tcp)
            .await
            .map_err(|e| FleetError::Net(format!("{addr}: TLS: {e}")))
    })
    .await?;
    if let Some(fp) = verifier.policy().seen.lock().ok().and_then(|s| s.clone()) {
        hooks.log(&format!("coordinator certificate SHA-256 {fp}"));
    }
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| FleetError::Net(e.to_string()))?;
    serve_session(tls, key, peer, cfg, hooks).await
}

/// The session after TLS, whichever side dialled.
async fn serve_session<S>(
    mut tls: S,
    key: [u8; 32],
    peer: SocketAddr,
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), FleetError>
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
    after_auth(tls, peer, cfg, hooks).await
}

/// An authenticated session: clock probes, the assignment, the run.
async fn after_auth<S>(
    mut tls: S,
    peer: SocketAddr,
    cfg: &WorkerConfig,
    hooks: &mut dyn WorkerHooks,
) -> Result<(), FleetError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
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
                            max_scale: a.max_scale,
                        },
                    )
                    .await?;
                    break a;
                }
                Err(refusal) => {
                    let reason = refusal.to_string();
                    hooks.log(&format!("refused work from {peer}: {reason}"));
                    send_refusal(&mut tls, &reason).await;
                    return Err(FleetError::Auth(reason));
                }
            },
            Some((Msg::Heartbeat, _)) => {}
            Some((other, _)) => {
                return Err(FleetError::Protocol(format!(
                    "unexpected {other:?} before start"
                )))
            }
            None => return Err(FleetError::Net("coordinator left before the start".into())),
        }
    };
    let at_ns = loop {
        match timed("waiting for the start", async { read_msg(&mut tls).await }).await? {
            Some((Msg::Start { at_ns }, _)) => break at_ns,
            Some((Msg::Heartbeat | Msg::Ping { .. }, _)) => {}
            Some((Msg::Stop { .. }, _)) | None => {
                return Err(FleetError::Net(
                    "the run was called off before the start".into(),
                ))
            }
            Some((other, _)) => {
                return Err(FleetError::Protocol(format!(
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

/// Tells the coordinator why its work is refused; best effort, as it may be gone already.
async fn send_refusal<W: tokio::io::AsyncWrite + Unpin>(tls: &mut W, reason: &str) {
    let refused = Msg::Refused {
        reason: reason.to_string(),
    };
    let _ = write_msg(tls, &refused).await;
}
