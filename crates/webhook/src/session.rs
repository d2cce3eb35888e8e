//! [`WebhookFactory`] and its sessions: the engine's seam for delivery and callback steps.
//!
//! A step is recorded once, as a whole: a delivery's latency runs from its intended start to
//! the answer of its last attempt (backoff included), its outcome is the last attempt's; the
//! attempts themselves go to the `webhook_first_attempt` and `webhook_retry_latency` trends.
//! A callback step's latency is its synchronous answer; the request-sent → callback-received
//! time goes to `callback_latency`, and a callback missing at the deadline makes the step a
//! `Timeout` (and a miss in `callback_received`).

use crate::conn::{Answer, Conn};
use crate::delivery::{judge, retryable, Fault};
use crate::error::WebhookError;
use crate::event::write_envelope;
use crate::fast::{self, Layout};
use crate::metrics as m;
use crate::sign::{Message, Scratch};
use crate::sink::{correlation_text, CallbackSink, CALLBACK_URL_HEADER, CORRELATION_HEADER};
use crate::step::{CallbackStep, DeliveryStep, StepKind, WebhookClient};
use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::Full;
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, StepSample, VuInfo};
use loadgen_http::fast::RawLink;
use loadgen_http::Dialer;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// How far in the past a stale delivery's timestamp is (twice the usual 5-minute window).
pub const STALE_BY: Duration = Duration::from_secs(600);

/// Makes one session per VU.
pub struct WebhookFactory {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WebhookFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookFactory")
            .field("base", &self.shared.client.base)
            .field("sink", &self.shared.sink)
            .finish_non_exhaustive()
    }
}

struct Shared {
    steps: Vec<StepKind>,
    dialer: Arc<Dialer>,
    authority: HeaderValue,
    /// `scheme://authority`, the start of an HTTP/2 request's URI.
    origin: String,
    prefix: String,
    client: WebhookClient,
    sink: Option<CallbackSink>,
    callback_url: HeaderValue,
    /// Index of the first callback metric (see `metrics::callback_base`).
    callback_base: usize,
    /// Distinguishes this run's event ids from an earlier run's against the same target.
    nonce: u32,
    /// Each step's request laid out for the HTTP/1.1 fast path, when every step takes it.
    fast: Option<Vec<Layout>>,
    /// Unix seconds every timestamp reads, when pinned ([`WebhookFactory::pinned`]).
    clock: Option<u64>,
}

impl Shared {
    fn unix_now(&self) -> u64 {
        self.clock.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }
}

impl WebhookFactory {
    /// Checks the steps, prepares the connection settings (TLS included) and starts a
    /// callback sink when a step needs one.
    pub fn new(client: WebhookClient, steps: Vec<StepKind>) -> Result<Self, WebhookError> {
        let dialer = Dialer::new(
            &client.base,
            client.version,
            &client.tls,
            &client.hosts,
            client.proxy.as_ref(),
        )
        .map_err(WebhookError::Dial)?;
        let origin = format!(
            "{}://{}",
            if client.base.is_tls() {
                "https"
            } else {
                "http"
            },
            client.base.authority()
        );
        for s in &steps {
            if let StepKind::Delivery(d) = s {
                if d.faults.kinds().contains(&Fault::Stale) && !d.signer.scheme().signs_timestamp()
                {
                    return Err(WebhookError::NoTimestamp("stale", d.signer.scheme().name()));
                }
            }
        }
        let sink = if steps.iter().any(|s| matches!(s, StepKind::Callback(_))) {
            Some(CallbackSink::start()?)
        } else {
            None
        };
        let callback_url = sink
            .as_ref()
            .and_then(|s| HeaderValue::from_str(&s.url()).ok())
            .unwrap_or(HeaderValue::from_static(""));
        let authority = HeaderValue::from_str(client.base.authority().as_str())
            .map_err(|_| WebhookError::BadAuthority)?;
        let nonce = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
            d.subsec_nanos() ^ (d.as_secs() as u32).rotate_left(7)
        });
        let callback_base =
            m::callback_base(steps.iter().any(|s| matches!(s, StepKind::Delivery(_))));
        let prefix = client.base.path_prefix().trim_end_matches('/').to_string();
        let fast = match client.fast_path && fast_path_applies(&client) {
            true => steps
                .iter()
                .map(|s| match s {
                    StepKind::Delivery(d) => {
                        let target = format!("{prefix}{}", d.path);
                        Layout::new(d, &target, &authority, &client.headers)
                    }
                    // Callback steps keep hyper's path (and so does the connection they share).
                    StepKind::Callback(_) => None,
                })
                .collect(),
            false => None,
        };
        Ok(WebhookFactory {
            shared: Arc::new(Shared {
                callback_base,
                prefix,
                steps,
                dialer: Arc::new(dialer),
                origin,
                authority,
                client,
                sink,
                callback_url,
                nonce,
                fast,
                clock: None,
            }),
        })
    }

    /// True when the sessions send deliveries on the pre-encoded HTTP/1.1 fast path rather
    /// than hyper (plain `http://`, HTTP/1.1, `fast_path` on, delivery steps only and none
    /// setting the framing headers; see `fast.rs`).
    pub fn fast_path(&self) -> bool {
        self.shared.fast.is_some()
    }

    /// The same factory with every timestamp (signed or in an envelope) reading `unix_secs`
    /// and `nonce` in its event ids: two factories then send the same bytes for the same seed
    /// (a test comparing the fast path with hyper's needs both to). Call it before making
    /// sessions.
    pub fn pinned(mut self, nonce: u32, unix_secs: u64) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.nonce = nonce;
            shared.clock = Some(unix_secs);
        }
        self
    }

    /// The callback sink, when a step uses one.
    pub fn sink(&self) -> Option<&CallbackSink> {
        self.shared.sink.as_ref()
    }

    /// The custom metrics this factory's sessions record (declare them on the workload).
    pub fn custom_metrics(&self) -> Vec<loadgen_engine::CustomMetric> {
        let has = |f: fn(&StepKind) -> bool| self.shared.steps.iter().any(f);
        m::custom_metrics(
            has(|s| matches!(s, StepKind::Delivery(_))),
            has(|s| matches!(s, StepKind::Callback(_))),
        )
    }

    /// Step names, in order.
    pub fn step_names(&self) -> Vec<String> {
        self.shared
            .steps
            .iter()
            .map(|s| s.name().to_string())
            .collect()
    }
}

impl SessionFactory for WebhookFactory {
    type Session = WebhookSession;

    fn session(&self, vu: VuInfo) -> WebhookSession {
        let sh = &self.shared;
        WebhookSession {
            conn: Conn::new(
                Arc::clone(&sh.dialer),
                sh.client.connect_timeout,
                sh.client.request_timeout,
            ),
            shared: Arc::clone(sh),
            rng: SmallRng::seed_from_u64(vu.seed),
            vu: vu.id,
            seq: 0,
            scratch: Scratch::default(),
            object: BytesMut::new(),
            body: Vec::new(),
            ids: String::new(),
            event_type: String::new(),
            object_id: String::new(),
            headers: Vec::new(),
            last: LastEvent::default(),
            link: RawLink::new(),
        }
    }
}

/// The last event a VU delivered and had accepted: what a duplicate repeats and what an
/// out-of-order event undercuts. Its buffers are swapped with the session's, not copied.
#[derive(Default)]
struct LastEvent {
    /// False until a first event was accepted.
    valid: bool,
    id: String,
    event_type: String,
    created: u64,
    object_id: String,
    body: Vec<u8>,
}

/// One VU's webhook client.
pub struct WebhookSession {
    shared: Arc<Shared>,
    conn: Conn,
    rng: SmallRng,
    vu: u64,
    seq: u64,
    scratch: Scratch,
    object: BytesMut,
    body: Vec<u8>,
    ids: String,
    event_type: String,
    object_id: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    last: LastEvent,
    /// The fast path's connection and request buffer (unused on hyper's path).
    link: RawLink,
}

impl Session for WebhookSession {
    async fn iteration(&mut self, it: &Iteration<'_>) {
        let shared = Arc::clone(&self.shared);
        let mut intended = it.intended;
        for (index, step) in shared.steps.iter().enumerate() {
            let sample = match step {
                StepKind::Delivery(d) => self.deliver(&shared, d, index, it, intended).await,
                StepKind::Callback(c) => self.call(&shared, c, index, it, intended).await,
            };
            it.record(&sample);
            it.record_setup(index, std::mem::take(&mut self.conn.setup));
            intended = sample.done;
        }
    }
}

/// Plain `http://` over HTTP/1.1: what the fast path speaks (TLS and HTTP/2 are hyper's).
fn fast_path_applies(client: &WebhookClient) -> bool {
    loadgen_http::fast::applies(&client.base, client.version)
}

impl WebhookSession {
    /// Opens the connection if needed and sends one request with `self.headers`.
    async fn send(&mut self, sh: &Shared, method: Method, path: &str, body: Bytes) -> Answer {
        let connect = match self.conn.open().await {
            Ok(c) => c,
            Err(outcome) => return Answer::failed(outcome, None),
        };
        // HTTP/2 takes the authority from an absolute URI; HTTP/1.1 from `Host`.
        let h2 = self.conn.is_h2();
        let uri = if h2 {
            format!("{}{}{}", sh.origin, sh.prefix, path)
        } else {
            format!("{}{}", sh.prefix, path)
        };
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let Some(h) = b.headers_mut() else {
            return Answer::failed(Outcome::Protocol, connect);
        };
        if !h2 {
            h.insert(HOST, sh.authority.clone());
        }
        for (k, v) in sh.client.headers.iter().chain(self.headers.iter()) {
            h.append(k.clone(), v.clone());
        }
        match b.body(Full::new(body)) {
            Ok(req) => self.conn.exchange(req, connect).await,
            // Unreachable after the checks at build time; counted rather than trusted.
            Err(_) => Answer::failed(Outcome::Protocol, connect),
        }
    }

    async fn deliver(
        &mut self,
        sh: &Shared,
        d: &DeliveryStep,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> StepSample {
        self.seq += 1;
        let mut fault = d.faults.draw(&mut self.rng);
        if matches!(fault, Some(Fault::Duplicate | Fault::OutOfOrder)) && !self.last.valid {
            // Nothing delivered yet to repeat or undercut: a plain delivery instead.
            fault = None;
        }
        self.ids.clear();
        self.event_type.clear();
        self.object_id.clear();
        let last = &self.last;
        let created = match fault {
            Some(Fault::Duplicate) => {
                self.ids.push_str(&last.id);
                self.body.clone_from(&last.body);
                self.event_type.push_str(&last.event_type);
                self.object_id.push_str(&last.object_id);
                last.created
            }
            Some(Fault::OutOfOrder) => {
                let _ = write!(
                    self.ids,
                    "evt_{:08x}{:06x}{:08x}",
                    sh.nonce, self.vu, self.seq
                );
                self.event_type.push_str(&last.event_type);
                self.object_id.push_str(&last.object_id);
                let created = last.created.saturating_sub(1);
                self.body.clear();
                let (id, t, o) = (&self.ids, &self.event_type, &self.object_id);
                write_envelope(&mut self.body, id, t, created, o, b"{}");
                created
            }
            _ => {
                let _ = write!(
                    self.ids,
                    "evt_{:08x}{:06x}{:08x}",
                    sh.nonce, self.vu, self.seq
                );
                self.event_type.push_str(d.events.draw(&mut self.rng));
                let _ = write!(
                    self.object_id,
                    "pi_{:08x}{:06x}{:08x}",
                    sh.nonce, self.vu, self.seq
                );
                self.object.clear();
                match &d.object {
                    Some(src) => {
                        src.write_body(&mut self.rng, &self.ids, &mut self.object);
                    }
                    None => self.object.extend_from_slice(
                        br#"{"object":"payment_intent","amount":1000,"currency":"aud"}"#,
                    ),
                }
                let created = sh.unix_now();
                self.body.clear();
                let (id, t, o) = (&self.ids, &self.event_type, &self.object_id);
                write_envelope(&mut self.body, id, t, created, o, &self.object);
                created
            }
        };
        match fault {
            Some(f) if f.is_forged() => it.count(m::FORGED_SENT, 1),
            Some(Fault::Duplicate) => it.count(m::DUPLICATES_SENT, 1),
            Some(Fault::OutOfOrder) => it.count(m::OUT_OF_ORDER_SENT, 1),
            _ => {}
        }
        // hyper's path takes the body as `Bytes`; the fast path copies it into the request.
        let body = match sh.fast {
            Some(_) => Bytes::new(),
            None => Bytes::copy_from_slice(&self.body),
        };
        let mut first: Option<Answer> = None;
        let mut attempt = 0u32;
        let (outcome, last_answer) = loop {
            let ts = match fault {
                Some(Fault::Stale) => sh.unix_now().saturating_sub(STALE_BY.as_secs()),
                _ => sh.unix_now(),
            };
            // A bad signature is a well-formed signature of other bytes (the body without
            // its last byte), so only the MAC comparison can catch it.
            let sent_body = &self.body[..];
            let signed: &[u8] = match fault {
                Some(Fault::BadSignature) => &sent_body[..sent_body.len().saturating_sub(1)],
                _ => sent_body,
            };
            let msg = Message {
                id: &self.ids,
                timestamp: ts,
                body: signed,
            };
            let answer = match &sh.fast {
                Some(layouts) => {
                    let out = self.link.request();
                    let (event_type, scratch) = (&self.event_type, &mut self.scratch);
                    layouts[index].write(out, &d.signer, &msg, event_type, scratch, sent_body);
                    let setup = &mut self.conn.setup;
                    fast::send(&mut self.link, setup, &sh.dialer, &sh.client).await
                }
                None => {
                    self.headers.clear();
                    self.headers.extend(d.headers.iter().cloned());
                    d.signer
                        .headers(&msg, &self.event_type, &mut self.scratch, &mut self.headers);
                    self.send(sh, Method::POST, &d.path, body.clone()).await
                }
            };
            let outcome = judge(&d.expect, fault, answer.status);
            let took = answer.done.saturating_duration_since(answer.sent);
            if attempt == 0 {
                it.trend(m::FIRST_ATTEMPT, took);
                first = Some(answer);
            } else {
                it.trend(m::RETRY_LATENCY, took);
            }
            let may_retry = !fault.is_some_and(Fault::is_forged) && attempt < d.retry.max;
            if retryable(outcome) && may_retry {
                attempt += 1;
                it.count(m::RETRIES, 1);
                tokio::time::sleep(d.retry.delay(attempt, &mut self.rng)).await;
                continue;
            }
            break (outcome, answer);
        };
        if !fault.is_some_and(Fault::is_forged) {
            if outcome.is_error() {
                it.count(m::GAVE_UP, 1);
            } else {
                it.count(m::DELIVERED, 1);
                if fault.is_none() {
                    let last = &mut self.last;
                    std::mem::swap(&mut last.id, &mut self.ids);
                    std::mem::swap(&mut last.event_type, &mut self.event_type);
                    std::mem::swap(&mut last.object_id, &mut self.object_id);
                    std::mem::swap(&mut last.body, &mut self.body);
                    last.created = created;
                    last.valid = true;
                }
            }
        }
        let first = first.unwrap_or(last_answer);
        StepSample {
            step: index,
            outcome,
            intended,
            sent: first.sent,
            first_byte: first.first_byte,
            done: last_answer.done,
            connect: first.connect,
        }
    }

    async fn call(
        &mut self,
        sh: &Shared,
        c: &CallbackStep,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> StepSample {
        self.seq += 1;
        let Some(sink) = sh.sink.as_ref() else {
            let now = Instant::now();
            return StepSample {
                step: index,
                outcome: Outcome::Protocol,
                intended,
                sent: now,
                first_byte: None,
                done: now,
                connect: None,
            };
        };
        // Unique across VUs and threads: the VU id in the high bits.
        let id = (self.vu << 40) ^ self.seq;
        let corr = correlation_text(id);
        self.object.clear();
        match (&c.body, &c.json) {
            (Some(src), _) => {
                src.write_body(&mut self.rng, &corr, &mut self.object);
            }
            (None, Some(j)) => self.object.extend_from_slice(j.as_bytes()),
            (None, None) => {}
        }
        self.body.clear();
        // The correlation id and callback URL go in the headers and, for a JSON object body,
        // as its first fields too (for receivers that read only the body).
        match self.object.strip_prefix(b"{") {
            Some(rest) => {
                self.body.extend_from_slice(b"{\"correlation_id\":\"");
                self.body.extend_from_slice(corr.as_bytes());
                self.body.extend_from_slice(b"\",\"callback_url\":\"");
                self.body.extend_from_slice(sh.callback_url.as_bytes());
                self.body.push(b'"');
                if !rest.trim_ascii_start().starts_with(b"}") {
                    self.body.push(b',');
                }
                self.body.extend_from_slice(rest);
            }
            None => self.body.extend_from_slice(&self.object),
        }
        self.headers.clear();
        self.headers.extend(c.headers.iter().cloned());
        if let Ok(v) = HeaderValue::from_str(&corr) {
            self.headers
                .push((HeaderName::from_static(CORRELATION_HEADER), v));
        }
        self.headers.push((
            HeaderName::from_static(CALLBACK_URL_HEADER),
            sh.callback_url.clone(),
        ));
        // Forgets the registration however this step ends (an iteration dropped at a hard
        // stop included), so the sink's map keeps only live waits.
        let (waiter, registration) = (sink.register(id), Registration { sink, id });
        let body = Bytes::copy_from_slice(&self.body);
        let answer = self.send(sh, c.method.clone(), &c.path, body).await;
        let mut outcome = match answer.status {
            Ok(s) => c.expect.check_status(s).err().unwrap_or(Outcome::Success),
            Err(o) => o,
        };
        let mut done = answer.done;
        if outcome == Outcome::Success {
            let deadline = answer.sent + c.within;
            match tokio::time::timeout_at(deadline, waiter).await {
                Ok(Ok(at)) => {
                    it.trend(
                        sh.callback_base + m::CALLBACK_LATENCY,
                        at.saturating_duration_since(answer.sent),
                    );
                    it.rate(sh.callback_base + m::CALLBACK_RECEIVED, true);
                }
                _ => {
                    it.rate(sh.callback_base + m::CALLBACK_RECEIVED, false);
                    outcome = Outcome::Timeout;
                    done = Instant::now();
                }
            }
        }
        drop(registration);
        StepSample {
            step: index,
            outcome,
            intended,
            sent: answer.sent,
            first_byte: answer.first_byte,
            done,
            connect: answer.connect,
        }
    }
}

/// A wait registered with the sink, forgotten when dropped.
struct Registration<'s> {
    sink: &'s CallbackSink,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.sink.forget(self.id);
    }
}
