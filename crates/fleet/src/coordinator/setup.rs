//! Bringing workers in: dial (or accept), TLS, the secret proof, clock probes, assignment.

use super::{CoordinatorConfig, CoordinatorHooks, Expect, Stream, WorkerReport};
use crate::auth::{handshake, Secret};
use crate::error::FleetError;
use crate::frame::{read_msg, write_msg};
use crate::protocol::Msg;
use loadgen_engine::Segment;
use loadgen_report::unix_ns;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
const CLOCK_PROBES: u32 = 5;

pub(super) struct Conn<S> {
    pub(super) stream: S,
    pub(super) report: WorkerReport,
}

async fn timed<T>(
    what: String,
    f: impl std::future::Future<Output = Result<T, FleetError>>,
) -> Result<T, FleetError> {
    tokio::time::timeout(SETUP_TIMEOUT, f)
        .await
        .map_err(|_| FleetError::Net(format!("{what} timed out")))?
}

/// Sets one worker up: TLS, secret, clock, assignment.
pub(super) async fn set_up(
    cfg: &CoordinatorConfig,
    connector: &tokio_rustls::TlsConnector,
    verifier: &crate::tls::PinningVerifier,
    addr: &str,
    segment: Segment,
    hash: &str,
) -> Result<Conn<Stream>, FleetError> {
    let tcp = timed(format!("connecting to {addr}"), async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| FleetError::Net(format!("{addr}: {e}")))
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    let tls = timed(format!("TLS with {addr}"), async {
        connector
            .connect(crate::tls::server_name(), tcp)
            .await
            .map_err(|e| FleetError::Net(format!("{addr}: TLS: {e}")))
    })
    .await?;
    let fingerprint = verifier
        .policy()
        .seen
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default();
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
        .map_err(|e| FleetError::Net(e.to_string()))?;
    let mut tls = Stream::Client(tls);
    timed(
        format!("authenticating {addr}"),
        handshake(&mut tls, "coordinator", &cfg.secret, &key),
    )
    .await
    .map_err(|e| FleetError::Auth(format!("{addr}: {e}")))?;
    prepare(cfg, tls, fingerprint, addr, segment, hash).await
}

/// After authentication: clock probes and the assignment.
pub(super) async fn prepare(
    cfg: &CoordinatorConfig,
    mut tls: Stream,
    fingerprint: String,
    addr: &str,
    segment: Segment,
    hash: &str,
) -> Result<Conn<Stream>, FleetError> {
    let (mut best_rtt, mut offset) = (f64::MAX, 0.0);
    for seq in 0..CLOCK_PROBES {
        let t1 = SystemTime::now();
        write_msg(&mut tls, &Msg::Ping { seq }).await?;
        let now_ns = match timed(format!("clock probe of {addr}"), read_msg(&mut tls)).await? {
            Some((Msg::Pong { seq: s, now_ns }, _)) if s == seq => now_ns,
            other => {
                return Err(FleetError::Protocol(format!(
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
    let (results, max_scale) =
        match timed(format!("assignment of {addr}"), read_msg(&mut tls)).await? {
            Some((
                Msg::Ready {
                    plan_hash,
                    results,
                    max_scale,
                },
                _,
            )) if plan_hash == hash => (results, max_scale),
            Some((Msg::Ready { plan_hash, .. }, _)) => {
                return Err(FleetError::Refused(format!(
                    "{addr}: worker computed plan hash {plan_hash}, expected {hash}"
                )))
            }
            Some((Msg::Refused { reason }, _)) => {
                return Err(FleetError::Refused(format!(
                    "{addr} refused the work: {reason}"
                )))
            }
            other => {
                return Err(FleetError::Protocol(format!(
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
            max_scale,
        },
    })
}

/// Waits for `e.count` workers to connect and authenticate; others are turned away.
pub(super) async fn accept_workers(
    e: Expect,
    secret: &Secret,
    hooks: &mut dyn CoordinatorHooks,
) -> Result<Vec<(Stream, String)>, FleetError> {
    e.listener
        .set_nonblocking(true)
        .map_err(|x| FleetError::Net(x.to_string()))?;
    let listener = tokio::net::TcpListener::from_std(e.listener)
        .map_err(|x| FleetError::Net(x.to_string()))?;
    let acceptor = e.identity.acceptor()?;
    let (tx, mut rx) =
        mpsc::unbounded_channel::<Result<(Stream, String), (SocketAddr, FleetError)>>();
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
                            acceptor.accept(tcp).await.map_err(|e| FleetError::Net(format!("TLS: {e}")))
                        }).await?;
                        let key = tls
                            .get_ref()
                            .1
                            .export_keying_material([0u8; 32], crate::tls::EXPORTER_LABEL, None)
                            .map_err(|e| FleetError::Net(e.to_string()))?;
                        let mut tls = Stream::Server(tls);
                        timed(format!("authenticating {peer}"), handshake(&mut tls, "coordinator", &secret, &key)).await?;
                        Ok::<_, FleetError>((tls, peer.to_string()))
                    }.await;
                    let _ = tx.send(r.map_err(|e| (peer, e)));
                });
            }
            r = rx.recv() => match r {
                Some(Ok(w)) => {
                    hooks.log(&format!("worker {} connected and authenticated ({} of {})", w.1, ready.len() + 1, e.count));
                    ready.push(w);
                }
                Some(Err((peer, why))) => hooks.log(&format!("refused {peer}: {why}")),
                None => {}
            },
            _ = tokio::time::sleep_until(deadline) => {
                return Err(FleetError::Refused(format!(
                    "only {} of {} workers connected within {:.0}s",
                    ready.len(), e.count, e.wait.as_secs_f64()
                )));
            }
        }
    }
    Ok(ready)
}
