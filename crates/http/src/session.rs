//! [`HttpFactory`] and [`HttpSession`]: the engine's session seam for HTTP.
//!
//! # One VU, one connection
//!
//! A session owns at most one connection. It connects lazily on the first step and keeps the
//! connection for every later request (keep-alive). After a connection-level failure (reset,
//! protocol error, timeout) the connection is dropped and the next step opens a new one; the
//! failed step's outcome is the only trace. A connection the server closed between requests
//! (`Connection: close`, an idle timeout noticed before sending) is replaced silently; the step
//! that opens the replacement reports the connect time.
//!
//! # Steps and timings
//!
//! An iteration runs every step in order, whatever became of the one before (as k6 does).
//! Step 0 is intended to start at the iteration's intended start; step k at the completion of
//! step k−1. Each step is recorded once with:
//!
//! * `sent`: after the connection is ready (after connecting, when the step had to);
//! * `connect`: the time to open the connection (name lookup, TCP or a proxy's `CONNECT`
//!   tunnel, HTTP/2 handshake) when this step opened one; the TLS handshake and the TCP
//!   connect to a proxy are recorded apart ([`loadgen_engine::Setup`]);
//! * `first_byte`: when the response head arrived;
//! * `done`: when the body was fully read, or when the failure was seen.
//!
//! A failed connect is recorded with `sent = done =` the failure instant: `Connect` for a
//! lookup or TCP failure, `Tls` for a TLS handshake failure, `Timeout` past `connect_timeout`.
//! `request_timeout` bounds sending, the response head and the whole body: past it the step is
//! a `Timeout` and the connection is dropped. (Each VU keeps one timer for this, re-armed only
//! when it goes off, so a request costs no timer registration; see `deadline.rs`.)
//!
//! # Bodies
//!
//! Every response body is read to its end so the connection stays reusable. It is kept (in a
//! per-VU buffer reused across requests) only when a body check needs it; bodies over 16 MiB
//! are drained but fail their checks.
//!
//! # Three ways to the wire
//!
//! Plain `http://` HTTP/1.1 sessions take the pre-encoded fast path ([`crate::fast`]): the
//! same connection rules, timings, outcomes, checks and captures, without hyper's
//! per-request header maps and allocations. HTTP/2 sessions take the lean HTTP/2 path
//! ([`crate::fast::h2`]), on the same terms, whether each VU owns its connection or VUs of a
//! thread share them (`streams_per_connection` > 1). Everything else
//! (TLS HTTP/1.1, requests that set their own framing headers, a cookie jar, redirects
//! followed, or [`ClientConfig::fast_path`] off) goes through hyper or the `h2` crate.
//! [`HttpFactory::fast_path`] and [`HttpFactory::fast_h2`] say which one a factory's
//! sessions use.
//!
//! # Threads
//!
//! Sessions are not `Send`: connection tasks run with `tokio::task::spawn_local`, so sessions
//! must be driven inside a `LocalSet` (the engine's worker threads do this).

mod fast_step;
mod follow;
mod journey;
mod once;

pub use once::OnceFailure;

use follow::Again;

use crate::config::ClientConfig;
use crate::connect::{Conn, Dialer};
use crate::cookies::Jar;
use crate::deadline::Deadline;
use crate::error::HttpError;
use crate::exchange::{exchange, Answer};
use crate::fast::h2::{H2Encoded, H2Link};
use crate::fast::{self, Encoded, H1Link, Links};
use crate::request::{RequestSpec, Step, Target};
use bytes::BytesMut;
use http::header::COOKIE;
use http::uri::PathAndQuery;
use loadgen_capture::Slots;
use loadgen_engine::{Iteration, Outcome, Session, SessionFactory, Setup, StepSample, VuInfo};
use loadgen_template::{RunNonce, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

mod open;

/// A body buffer grown past this is given back after the request.
const KEEP_BODY_CAPACITY: usize = 1 << 20;
/// Room reserved in the render buffer before each request.
const RENDER_RESERVE: usize = 4096;

/// Makes one [`HttpSession`] per VU; shared by every worker thread.
pub struct HttpFactory {
    shared: Arc<Shared>,
}

struct Shared {
    steps: Vec<Step>,
    /// Pre-encoded requests, one per step, when the fast path applies.
    fast: Option<Vec<Encoded>>,
    /// Pre-encoded HTTP/2 requests, one per step, when the lean HTTP/2 path applies.
    fast_h2: Option<Vec<H2Encoded>>,
    target: Target,
    dialer: Dialer,
    connect_timeout: Duration,
    request_timeout: Duration,
    /// Mixed into `{{uuid}}`: drawn when the factory is built, once per run.
    nonce: RunNonce,
    /// Close the connection before every iteration ([`ClientConfig::new_connection_per_iteration`]).
    fresh_connection: bool,
    /// VUs of a thread per HTTP/2 connection, and the key of this factory's connections in
    /// the thread's pool; `None`: a connection per VU.
    shared_h2: Option<(usize, u64)>,
    /// Close a connection open this long before the next iteration
    /// ([`ClientConfig::max_connection_lifetime`]).
    max_lifetime: Option<Duration>,
    /// Capture slots per VU when any step captures, renders a capture or runs once per VU
    /// (a journey); `None` keeps the plain loop, which never looks at captures.
    journey: Option<usize>,
    /// Per capture slot: filled by a once-per-VU step, so kept between iterations.
    vu_slots: Vec<bool>,
    /// The target, when each VU keeps a cookie jar for it.
    cookies: Option<crate::base_url::BaseUrl>,
    /// The once-per-VU steps a 401 re-runs (a re-login), in order; each is recorded as step
    /// `steps.len() + its position here`. Empty unless some step is not once per VU.
    relogin: Vec<usize>,
}

/// Index of the workload's custom counter of steps a journey skipped; misses of capture slot
/// `n` are counted in custom counter `CAPTURE_MISSED_BASE + n`. The scenario declares them in
/// that order: `skipped`, `reauth`, `guarded`, then one per capture.
pub const SKIPPED_METRIC: usize = 0;
/// 401 answers that made a VU log in again (its once-per-VU steps) and retry the step.
pub const REAUTH_METRIC: usize = 1;
/// Steps passed over by their guard (`when` a capture is absent, or `probability`).
pub const GUARDED_METRIC: usize = 2;
/// See [`SKIPPED_METRIC`].
pub const CAPTURE_MISSED_BASE: usize = 3;

impl HttpFactory {
    /// Checks every request against the configuration (templates render to valid paths and
    /// header values, the TLS name is valid) and builds what sessions share.
    pub fn new(config: Arc<ClientConfig>, requests: Vec<RequestSpec>) -> Result<Self, HttpError> {
        if requests.is_empty() {
            return Err(HttpError::NoRequests);
        }
        let target = Target::new(&config.base, config.headers.clone());
        let steps = requests
            .into_iter()
            .map(|spec| Step::compile(spec, &config.base, &target))
            .collect::<Result<Vec<_>, _>>()?;
        let dialer = Dialer::new(
            &config.base,
            config.version,
            &config.tls,
            &config.hosts,
            config.proxy.as_ref(),
        )?;
        // Deciding a journey here leaves the plain loop exactly as it is for every other
        // workload; a journey runs on either path.
        let journey = steps.iter().any(|s| s.journey).then(|| {
            steps
                .iter()
                .flat_map(|s| s.captures.iter().map(|c| c.slot + 1))
                .max()
                .unwrap_or(0)
        });
        let relogin = match steps.iter().all(|s| s.once_per_vu) {
            true => Vec::new(),
            false => (0..steps.len()).filter(|i| steps[*i].once_per_vu).collect(),
        };
        let mut vu_slots = vec![false; journey.unwrap_or(0)];
        for c in steps
            .iter()
            .filter(|s| s.once_per_vu)
            .flat_map(|s| &s.captures)
        {
            if let Some(keep) = vu_slots.get_mut(c.slot) {
                *keep = true;
            }
        }
        // The cookie jar and redirects are hyper's path; captures are read on both.
        let redirects = steps.iter().any(|s| s.follow_redirects > 0);
        let fast = match config.cookies || redirects {
            true => None,
            false => fast::plan(&config, &steps, &target),
        };
        let fast_h2 = match config.cookies || redirects {
            true => None,
            false => fast::h2::plan(&config, &steps, &target),
        };
        Ok(HttpFactory {
            shared: Arc::new(Shared {
                steps,
                fast,
                fast_h2,
                target,
                dialer,
                connect_timeout: config.connect_timeout,
                request_timeout: config.request_timeout,
                nonce: RunNonce::fresh(),
                fresh_connection: config.new_connection_per_iteration,
                shared_h2: (config.streams_per_connection > 1
                    && !config.new_connection_per_iteration)
                    .then(|| (config.streams_per_connection, crate::h2_pool::new_key())),
                max_lifetime: config.max_connection_lifetime,
                journey,
                vu_slots,
                cookies: config.cookies.then(|| config.base.clone()),
                relogin,
            }),
        })
    }

    /// The same factory with `nonce` mixed into `{{uuid}}` instead of its fresh one (a test
    /// comparing what two factories send needs both to draw the same keys).
    pub fn with_run_nonce(mut self, nonce: RunNonce) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.nonce = nonce;
        }
        self
    }

    /// True when sessions use a pre-encoded fast path (HTTP/1.1, or the lean HTTP/2 path)
    /// rather than hyper or the `h2` crate.
    pub fn fast_path(&self) -> bool {
        self.shared.fast.is_some() || self.shared.fast_h2.is_some()
    }

    /// True when sessions use the lean HTTP/2 path ([`crate::fast::h2`]).
    pub fn fast_h2(&self) -> bool {
        self.shared.fast_h2.is_some()
    }

    /// True when each iteration is its one step, recorded once from the iteration's intended
    /// start (one step, not a journey): the engine may derive the iteration's duration from
    /// the step's latency ([`loadgen_engine::Workload::with_iteration_as_step`]).
    pub fn iteration_is_its_step(&self) -> bool {
        self.shared.journey.is_none() && self.shared.steps.len() == 1
    }

    /// Step names, in order.
    pub fn step_names(&self) -> impl Iterator<Item = &str> {
        self.shared.steps.iter().map(|s| s.name.as_str())
    }

    /// The steps a 401 re-runs (the once-per-VU steps, when some step is not one), by
    /// index: each re-run is recorded as a step of its own after the workload's steps.
    pub fn relogin_steps(&self) -> &[usize] {
        &self.shared.relogin
    }
}

impl std::fmt::Debug for HttpFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFactory")
            .field("steps", &self.step_names().collect::<Vec<_>>())
            .field("fast_path", &self.fast_path())
            .field("fast_h2", &self.fast_h2())
            .finish_non_exhaustive()
    }
}

impl SessionFactory for HttpFactory {
    type Session = HttpSession;

    fn session(&self, vu: VuInfo) -> HttpSession {
        HttpSession {
            shared: Arc::clone(&self.shared),
            vu: VuState {
                conn: None,
                opened: None,
                links: Links {
                    // Paced only where an iteration is one exchange: a journey's next request
                    // (a repeat, a later step) is due when this answer arrived, not at a tick.
                    h1: H1Link::new()
                        .with_paced_reads(vu.paced_reads && self.iteration_is_its_step()),
                    h2: H2Link::new(),
                },
                deadline: Deadline::default(),
                rng: SmallRng::seed_from_u64(vu.seed),
                seq: 0,
                render: BytesMut::new(),
                body: Vec::new(),
                status: 0,
                slots: Slots::new(self.shared.journey.unwrap_or(0)),
                done_once: vec![false; self.shared.journey.map_or(0, |_| self.shared.steps.len())],
                missed: None,
                refused: false,
                setup: Setup::default(),
                jar: self.shared.cookies.as_ref().map(Jar::new),
                hop: None,
            },
        }
    }
}

/// One VU's HTTP client: its connection, its random generator and its buffers.
pub struct HttpSession {
    shared: Arc<Shared>,
    vu: VuState,
}

struct VuState {
    conn: Option<Conn>,
    /// When the VU's current connection (either path) was opened.
    opened: Option<Instant>,
    links: Links,
    deadline: Deadline,
    rng: SmallRng,
    seq: u64,
    render: BytesMut,
    body: Vec<u8>,
    /// Status of the last step's answer (0: none arrived), for the per-status counts.
    status: u16,
    /// This iteration's captured values (journeys only).
    slots: Slots,
    /// The capture slot the last step missed.
    missed: Option<usize>,
    /// The last step was not sent: a capture could not be rendered where it goes.
    refused: bool,
    /// Per step: a once-per-VU step that has succeeded, not to be run again (journeys only).
    done_once: Vec<bool>,
    /// The set-up phases of the connection the current step opened, for `record_setup`.
    setup: Setup,
    /// The VU's cookies, when the workload keeps them.
    jar: Option<Jar>,
    /// Where the last answer redirected to, when the step follows redirects.
    hop: Option<PathAndQuery>,
}

impl Session for HttpSession {
    async fn warm_up(&mut self) {
        let shared = &*self.shared;
        if shared.fresh_connection {
            // Every iteration opens its own connection: one made now would be closed unused.
            return;
        }
        // A failure is the first step's to report, when it connects again.
        let _ = match (&shared.fast, &shared.fast_h2) {
            (Some(_), _) => self.vu.open_link(shared).await,
            (None, Some(_)) => self.vu.open_h2(shared).await,
            (None, None) => self.vu.open_conn(shared).await,
        };
        // No step reports this connection's opening, so none reports its phases either.
        self.vu.setup = Setup::default();
    }

    async fn iteration(&mut self, it: &Iteration<'_>) {
        let shared = &*self.shared;
        let expired = |opened: Option<Instant>| {
            shared
                .max_lifetime
                .zip(opened)
                .is_some_and(|(max, at)| at.elapsed() >= max)
        };
        if expired(self.vu.opened) && !shared.fresh_connection {
            // Past its lifetime: the first step opens a new one (and resolves the name again).
            self.vu.conn = None;
            self.vu.links.h1.close();
            self.vu.links.h2.close();
            self.vu.opened = None;
        }
        if shared.fresh_connection {
            // A new user: the first step connects (and its connect time is recorded).
            self.vu.conn = None;
            self.vu.links.h1.close();
            self.vu.links.h2.close();
            if let Some(jar) = &mut self.vu.jar {
                jar.clear();
            }
        }
        if shared.journey.is_some() {
            return self.journey(it).await;
        }
        let mut intended = it.intended;
        for index in 0..shared.steps.len() {
            self.vu.status = 0;
            let sample = match (&shared.fast, &shared.fast_h2) {
                (Some(_), _) => {
                    self.vu
                        .step_fast::<false>(shared, index, it, intended)
                        .await
                }
                (None, Some(_)) => {
                    self.vu
                        .step_fast_h2::<false>(shared, index, it, intended)
                        .await
                }
                // hyper's request future is several KiB; boxed, it does not inflate every
                // iteration future (which the engine moves when it spawns one per arrival).
                (None, None) => Box::pin(self.vu.step(shared, index, it, intended)).await,
            };
            // `latency{status=N}`: kept only for the statuses a threshold names.
            it.record_answered(&sample, self.vu.status);
            if sample.connect.is_some() {
                // Only a step that opened a connection has phases to report.
                it.record_setup(index, std::mem::take(&mut self.vu.setup));
            }
            if sample.outcome != Outcome::Success && self.vu.status != 0 {
                // Which answer it was: 429 and 404 are both "4xx", but not the same story.
                it.record_status(index, self.vu.status);
            }
            intended = sample.done;
        }
    }
}

/// Outcome of an exchange and whether its connection may be kept: a deadline that fired
/// (`None`) is a timeout, and any failure drops the connection.
fn settle(exchanged: Option<Result<(Outcome, bool), Outcome>>) -> (Outcome, bool) {
    match exchanged {
        Some(Ok(judged)) => judged,
        Some(Err(outcome)) => (outcome, false),
        None => (Outcome::Timeout, false),
    }
}

/// A step that failed before anything was sent.
fn failed(index: usize, intended: Instant, outcome: Outcome) -> StepSample {
    let now = Instant::now();
    StepSample {
        step: index,
        outcome,
        intended,
        sent: now,
        first_byte: None,
        done: now,
        connect: None,
    }
}

impl VuState {
    /// Gives back a body buffer that one huge answer grew, so a VU does not keep it.
    fn shrink_body(&mut self) {
        if self.body.capacity() > KEEP_BODY_CAPACITY {
            self.body = Vec::new();
        }
    }

    async fn step(
        &mut self,
        sh: &Shared,
        index: usize,
        it: &Iteration<'_>,
        intended: Instant,
    ) -> StepSample {
        let step = &sh.steps[index];
        let (connect, conn) = match self.open_conn(sh).await {
            Ok(connect) => match &mut self.conn {
                Some(conn) => (connect, conn),
                // Unreachable: `open_conn` leaves a connection on success; counted, not trusted.
                None => return failed(index, intended, Outcome::Connect),
            },
            Err(outcome) => return failed(index, intended, outcome),
        };

        self.render.reserve(RENDER_RESERVE);
        let mut vars = Vars::new(
            sh.nonce,
            it.vu,
            it.number,
            self.seq,
            &step.name,
            &mut self.rng,
        )
        .with_captures(&self.slots);
        self.seq += 1;
        let Some((mut req, body)) =
            step.build(&sh.target, conn.is_h2(), &mut vars, &mut self.render)
        else {
            // Unreachable after `Step::compile`; counted rather than trusted.
            return failed(index, intended, Outcome::Protocol);
        };
        let built_to_fail = vars.built_to_fail();
        if vars.refused() {
            // A captured value that would break out of its header: the request is not sent.
            self.refused = true;
            return failed(index, intended, Outcome::CheckFailed);
        }

        // What a hop sends again: only kept when the step follows redirects.
        let again = (step.follow_redirects > 0).then(|| Again {
            method: req.method().clone(),
            headers: req.headers().clone(),
            body,
            here: req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
        });
        let jar = self.jar.as_mut().map(|jar| {
            let path = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            if let Some(cookie) = jar.header_for(&path) {
                req.headers_mut().entry(COOKIE).or_insert(cookie);
            }
            (jar, path)
        });
        let sent = Instant::now();
        let mut first_byte = None;
        let exchanged = {
            let exchange = pin!(exchange(
                conn,
                req,
                &step.expect,
                built_to_fail,
                Answer {
                    body: &mut self.body,
                    first_byte: &mut first_byte,
                    status: &mut self.status,
                    captures: &step.captures,
                    slots: &mut self.slots,
                    missed: &mut self.missed,
                    jar,
                    follow: again.as_ref().map(|a| (&sh.target, a.here.as_str())),
                    hop: &mut self.hop,
                },
            ));
            self.deadline.run(sent + sh.request_timeout, exchange).await
        };
        let (mut outcome, mut keep) = settle(exchanged);
        if let (Some(again), Some(_)) = (again, &self.hop) {
            (outcome, keep) =
                Box::pin(self.follow(sh, index, again, keep, sent, &mut first_byte)).await;
        }
        let done = Instant::now();
        if !keep {
            self.conn = None;
        }
        self.shrink_body();
        StepSample {
            step: index,
            outcome,
            intended,
            sent,
            first_byte,
            done,
            connect,
        }
    }
}
