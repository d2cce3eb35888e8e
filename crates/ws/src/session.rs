//! A VU's WebSocket session: one iteration is one connection's life — connect, run the
//! script for the hold, close cleanly — with reconnects after drops inside the hold.

use crate::config::{LatencySpec, WsConfig};
use crate::connect::{handshake_outcome, Connector};
use crate::error::WsError;
use crate::metrics::*;
use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, StepSample, VuInfo};
use loadgen_template::{RunNonce, Template, Vars};
use loadgen_tls::ClientStream as Conn;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// Replies waited for per connection at most; older sends are given up (counted unanswered)
/// so a server that never answers cannot grow a session's memory.
const MAX_PENDING: usize = 4096;

/// Makes one [`WsSession`] per VU.
pub struct WsFactory {
    shared: Arc<Shared>,
}

struct Shared {
    cfg: WsConfig,
    connector: Connector,
    /// Mixed into `{{uuid}}`: drawn when the factory is built, once per run.
    nonce: RunNonce,
}

impl WsFactory {
    /// Resolves the host and prepares TLS and the upgrade request; fails on a configuration
    /// that cannot work.
    pub fn new(cfg: WsConfig) -> Result<WsFactory, WsError> {
        let connector = Connector::new(&cfg)?;
        Ok(WsFactory {
            shared: Arc::new(Shared {
                cfg,
                connector,
                nonce: RunNonce::fresh(),
            }),
        })
    }
}

impl SessionFactory for WsFactory {
    type Session = WsSession;

    fn session(&self, vu: VuInfo) -> WsSession {
        WsSession {
            shared: Arc::clone(&self.shared),
            vu: vu.id,
            rng: SmallRng::seed_from_u64(vu.seed),
            seq: 0,
            buf: BytesMut::new(),
        }
    }
}

/// A VU's WebSocket client. Holds no connection between iterations.
pub struct WsSession {
    shared: Arc<Shared>,
    vu: u64,
    rng: SmallRng,
    seq: u64,
    buf: BytesMut,
}

/// How a connected stretch ended.
enum End {
    /// Held until the end and closed by us; the server's close code, if it sent one.
    Held(Option<u16>),
    /// Lost before the end: why, and the server's close code if it closed.
    Dropped(Outcome, Option<u16>),
}

/// Per-connection state of message latency.
struct Latency {
    pending: HashMap<String, Instant>,
}

impl Session for WsSession {
    async fn iteration(&mut self, it: &Iteration<'_>) {
        let shared = Arc::clone(&self.shared);
        let cfg = &shared.cfg;
        let started = Instant::now();
        let deadline = started + cfg.script.hold;
        let mut stable = true;
        let mut held = false;
        let mut last_fault = Outcome::Success;
        let mut first_sent = None;
        let mut reconnects = 0u32;
        loop {
            let intended = if reconnects == 0 {
                it.intended
            } else {
                Instant::now()
            };
            let sent = Instant::now();
            first_sent.get_or_insert(sent);
            let connected = shared.connector.connect(self.vu).await;
            let done = Instant::now();
            let outcome = connected
                .as_ref()
                .err()
                .copied()
                .unwrap_or(Outcome::Success);
            let setup = connected.as_ref().map(|(_, s)| *s).unwrap_or_default();
            it.record(&StepSample {
                step: STEP_CONNECT,
                outcome,
                intended,
                sent,
                first_byte: None,
                done,
                connect: Some((done - sent).saturating_sub(setup.apart())),
            });
            it.record_setup(STEP_CONNECT, setup);
            it.rate(CONNECT_SUCCESS, connected.is_ok());
            match connected {
                Ok((ws, _)) => {
                    it.trend(HANDSHAKE, done - sent);
                    it.gauge_add(OPEN, 1);
                    let end = self.connected(ws, it, deadline).await;
                    it.gauge_add(OPEN, -1);
                    match end {
                        End::Held(code) => {
                            it.count(close_metric(code), 1);
                            held = true;
                            break;
                        }
                        End::Dropped(why, code) => {
                            it.count(close_metric(code), 1);
                            it.count(DROPS, 1);
                            stable = false;
                            last_fault = why;
                        }
                    }
                }
                Err(why) => {
                    stable = false;
                    last_fault = why;
                }
            }
            let wait = cfg.reconnect.delay(reconnects);
            if reconnects >= cfg.reconnect.max || Instant::now() + wait >= deadline {
                break;
            }
            tokio::time::sleep(wait).await;
            reconnects += 1;
            it.count(RECONNECTS, 1);
        }
        let stable = stable && held;
        it.rate(STABLE, stable);
        it.record(&StepSample {
            step: STEP_SESSION,
            outcome: if stable { Outcome::Success } else { last_fault },
            intended: it.intended,
            sent: first_sent.unwrap_or(started),
            first_byte: None,
            done: Instant::now(),
            connect: None,
        });
    }
}

impl WsSession {
    /// Runs the script on an open connection until `deadline`, then closes it.
    async fn connected(
        &mut self,
        mut ws: WebSocketStream<Conn>,
        it: &Iteration<'_>,
        deadline: Instant,
    ) -> End {
        let shared = Arc::clone(&self.shared);
        let script = &shared.cfg.script;
        let mut latency = match shared.cfg.latency {
            LatencySpec::Correlate { .. } => Some(Latency {
                pending: HashMap::new(),
            }),
            _ => None,
        };
        for m in &script.on_open {
            if let Err(why) = self.send(&mut ws, m, it, "open", &mut latency).await {
                return self.dropped(ws, why, it, latency).await;
            }
        }
        let far = deadline + Duration::from_secs(3600);
        let mut next_send = script.periodic.as_ref().map_or(far, |_| Instant::now());
        let mut sends_left = script.periodic.as_ref().and_then(|p| p.count);
        let mut next_ping = script.ping_every.map_or(far, |d| Instant::now() + d);
        // Timers made once and reset when they fire: a message received costs no timer
        // registration.
        let hold_end = sleep_until(deadline);
        let send_due = sleep_until(next_send);
        let ping_due = sleep_until(next_ping);
        tokio::pin!(hold_end, send_due, ping_due);
        loop {
            tokio::select! {
                biased;
                () = &mut hold_end => break,
                () = &mut send_due => {
                    let Some(p) = &script.periodic else {
                        send_due.as_mut().reset(far);
                        continue;
                    };
                    if let Err(why) = self.send(&mut ws, &p.message, it, "send", &mut latency).await {
                        return self.dropped(ws, why, it, latency).await;
                    }
                    if let Some(n) = &mut sends_left {
                        *n -= 1;
                    }
                    next_send = match sends_left {
                        Some(0) => far,
                        _ => (next_send + p.every).max(Instant::now() - p.every),
                    };
                    send_due.as_mut().reset(next_send);
                }
                () = &mut ping_due => {
                    if ws.send(Message::Ping(Default::default())).await.is_err() {
                        return self.dropped(ws, Outcome::Reset, it, latency).await;
                    }
                    next_ping += script.ping_every.unwrap_or(Duration::from_secs(3600));
                    ping_due.as_mut().reset(next_ping);
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        if let Err(why) = self.received(&mut ws, t.as_bytes(), it, &mut latency).await {
                            return self.dropped(ws, why, it, latency).await;
                        }
                    }
                    Some(Ok(Message::Binary(b))) => {
                        if let Err(why) = self.received(&mut ws, &b, it, &mut latency).await {
                            return self.dropped(ws, why, it, latency).await;
                        }
                    }
                    // tungstenite queues the pong; flushing sends it now.
                    Some(Ok(Message::Ping(_))) => {
                        let _ = ws.flush().await;
                    }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code));
                        // tungstenite has queued the close reply; let it go out.
                        let _ = ws.flush().await;
                        unanswered(it, latency);
                        return End::Dropped(Outcome::Reset, code.or(Some(1005)));
                    }
                    Some(Err(e)) => {
                        unanswered(it, latency);
                        return End::Dropped(handshake_outcome(&e), None);
                    }
                    None => {
                        unanswered(it, latency);
                        return End::Dropped(Outcome::Reset, None);
                    }
                }
            }
        }
        // Clean close: our close frame, then wait for the server's.
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: Utf8Bytes::default(),
        };
        let mut code = None;
        if ws.send(Message::Close(Some(close))).await.is_ok() {
            // Messages already on their way still arrive (and are timed) before the close
            // reply; nothing is sent in reply any more.
            let wait = tokio::time::timeout(shared.cfg.close_timeout, async {
                while let Some(msg) = ws.next().await {
                    match msg {
                        Ok(Message::Close(frame)) => {
                            code = Some(frame.map_or(1005, |f| u16::from(f.code)));
                        }
                        Ok(Message::Text(t)) => self.observe(t.as_bytes(), it, &mut latency),
                        Ok(Message::Binary(b)) => self.observe(&b, it, &mut latency),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
            let _ = wait.await;
        }
        unanswered(it, latency);
        End::Held(code)
    }

    async fn dropped(
        &mut self,
        ws: WebSocketStream<Conn>,
        why: Outcome,
        it: &Iteration<'_>,
        latency: Option<Latency>,
    ) -> End {
        drop(ws);
        unanswered(it, latency);
        End::Dropped(why, None)
    }

    async fn send(
        &mut self,
        ws: &mut WebSocketStream<Conn>,
        template: &Template,
        it: &Iteration<'_>,
        step: &str,
        latency: &mut Option<Latency>,
    ) -> Result<(), Outcome> {
        let mut vars = Vars::new(
            self.shared.nonce,
            self.vu,
            it.number,
            self.seq,
            step,
            &mut self.rng,
        );
        self.seq += 1;
        let text = template.render(&mut vars, &mut self.buf);
        if let (Some(l), LatencySpec::Correlate { id }) =
            (latency.as_mut(), &self.shared.cfg.latency)
        {
            if let Some(key) = crate::json::field(&text, id) {
                if l.pending.len() >= MAX_PENDING {
                    l.pending.clear();
                    it.count(UNANSWERED, MAX_PENDING as u64);
                }
                l.pending.insert(key.as_key().to_owned(), Instant::now());
            }
        }
        let msg = match Utf8Bytes::try_from(text) {
            Ok(t) => Message::Text(t),
            Err(_) => return Err(Outcome::Protocol),
        };
        match ws.send(msg).await {
            Ok(()) => {
                it.count(MSGS_SENT, 1);
                Ok(())
            }
            Err(e) => Err(handshake_outcome(&e)),
        }
    }

    async fn received(
        &mut self,
        ws: &mut WebSocketStream<Conn>,
        msg: &[u8],
        it: &Iteration<'_>,
        latency: &mut Option<Latency>,
    ) -> Result<(), Outcome> {
        self.observe(msg, it, latency);
        let shared = Arc::clone(&self.shared);
        if let Some(reply) = &shared.cfg.script.reply {
            self.send(ws, reply, it, "reply", latency).await?;
        }
        Ok(())
    }

    /// Counts a received data message and times it when it answers a send or carries a
    /// timestamp.
    fn observe(&self, msg: &[u8], it: &Iteration<'_>, latency: &mut Option<Latency>) {
        it.count(MSGS_RECEIVED, 1);
        match &self.shared.cfg.latency {
            LatencySpec::None => {}
            LatencySpec::Correlate { id } => {
                let sent = latency.as_mut().and_then(|l| {
                    let key = crate::json::field(msg, id)?;
                    l.pending.remove(key.as_key())
                });
                if let Some(sent) = sent {
                    it.trend(MESSAGE_LATENCY, sent.elapsed());
                }
            }
            LatencySpec::Timestamp { field, unit } => {
                let ts = crate::json::field(msg, field).and_then(|v| v.as_f64());
                if let Some(ts) = ts {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs_f64()
                        * 1e6;
                    let micros = (now - unit.to_micros(ts)).max(0.0);
                    it.trend(MESSAGE_LATENCY, Duration::from_micros(micros as u64));
                }
            }
        }
    }
}

/// Replies still awaited when a connection ends never came.
fn unanswered(it: &Iteration<'_>, latency: Option<Latency>) {
    if let Some(l) = latency {
        if !l.pending.is_empty() {
            it.count(UNANSWERED, l.pending.len() as u64);
        }
    }
}
