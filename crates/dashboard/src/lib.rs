//! loadgen-dashboard: the live web page of a run and its control by hand.
//!
//! `loadgen run … --dashboard [ADDR]` serves one page (every asset embedded: no CDN, no
//! network) whose charts and tables follow the run interval by interval over server-sent
//! events. The data comes from the run's interval stream ([`Board`] is a
//! `loadgen_report::Observer`, fed by the same stream the summary is written from), so the
//! dashboard does nothing per request. A page opened late or refreshed first gets the history
//! so far (at most [`board::MAX_POINTS`] points per series: older neighbours merge two by
//! two). When the run ends every page gets the verdict, and the process exits without
//! waiting for open tabs.
//!
//! Changing the run (pause, resume, scale, VUs, stop; the page's buttons or `loadgen ctl`)
//! needs the random token printed in the URL's fragment (which browsers never send). Over
//! plain HTTP viewing needs none, which is why plain HTTP listens on loopback only (a
//! non-loopback address is refused: [`DashboardError::NotLoopback`]). With [`Tls`] (the
//! fleet's TLS 1.3 set-up: a generated or given certificate, its SHA-256 fingerprint printed
//! and pinned by `ctl`) it listens anywhere and everything needs the token. [`server`] lists
//! what else it refuses.
//!
//! A coordinator serves the same page for its fleet: the merged intervals, one line per
//! worker ([`WorkerLine`]), and control relayed to every worker by the fleet.
//!
//! It owns the page, the server, the token and the `ctl` client. It must not know how a run
//! is made (the engine's `RunControl` is its only handle on it), how certificates are made
//! (it is handed an acceptor or a connector) nor write result files.

#![forbid(unsafe_code)]

pub mod board;
mod ctl;
mod error;
pub mod server;
mod token;

pub use board::{Board, WorkerLine};
pub use ctl::{ctl, ctl_command, TOKEN_ENV};
pub use error::DashboardError;
pub use server::parse_command;
pub use token::Token;

use loadgen_engine::{CustomInfo, RunControl, StepInfo};
use loadgen_scenario::Threshold;
use server::Site;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long the end of a run waits for open pages to receive the verdict.
pub const CLOSE_GRACE: Duration = Duration::from_millis(300);

/// The default `--dashboard` address (k6's port).
pub const DEFAULT_ADDR: &str = "127.0.0.1:5665";

/// Serving over TLS: the acceptor presenting the certificate, and its fingerprint (printed
/// beside the URL, for `ctl --fingerprint` and the browser's certificate warning).
pub struct Tls {
    /// Presents the dashboard's certificate.
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// SHA-256 of that certificate, `AB:CD:…`.
    pub fingerprint: String,
}

/// A running dashboard: its URL, and the [`Board`] to add to the run's observers.
pub struct Dashboard {
    /// The certificate's fingerprint, when served over TLS.
    pub fingerprint: Option<String>,
    /// The page's URL with the token in its fragment.
    pub url: String,
    /// The URL without the token.
    pub plain_url: String,
    /// The observer that feeds the pages.
    pub board: Board,
    site: Arc<Site>,
}

/// What the run is, for the page's names and live thresholds.
pub struct RunShape {
    /// Steps, as the engine names them.
    pub steps: Vec<StepInfo>,
    /// Workload names.
    pub workloads: Vec<String>,
    /// Custom metrics.
    pub custom: Vec<CustomInfo>,
    /// Thresholds judged live.
    pub thresholds: Vec<Threshold>,
}

impl RunShape {
    /// The shape of `plan`, judged by `sc`'s thresholds.
    pub fn of(plan: &loadgen_engine::Plan, sc: &loadgen_scenario::Scenario) -> RunShape {
        RunShape {
            steps: plan.steps(),
            workloads: plan.workloads.iter().map(|w| w.name.clone()).collect(),
            custom: plan.custom_metrics(),
            thresholds: sc.thresholds.clone(),
        }
    }
}

/// Listens on `addr` (loopback only without `tls`; port 0 picks a free one) and serves the
/// page of the run `control` steers from a thread of its own.
pub fn start(
    addr: SocketAddr,
    control: RunControl,
    shape: RunShape,
    tls: Option<Tls>,
) -> Result<Dashboard, DashboardError> {
    if !addr.ip().is_loopback() && tls.is_none() {
        return Err(DashboardError::NotLoopback(addr));
    }
    let bind = |error| DashboardError::Bind { addr, error };
    let std_listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    std_listener.set_nonblocking(true).map_err(bind)?;
    let bound = std_listener.local_addr().map_err(bind)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(bind)?;
    let board = Board::new(shape.steps, shape.workloads, shape.custom, shape.thresholds);
    let token = Token::random();
    let site = Arc::new(Site {
        shared: board.shared.clone(),
        events: board.events.clone(),
        control,
        token: token.clone(),
        port: bound.port(),
        tls: tls.is_some(),
        open: AtomicUsize::new(0),
        closing: CancellationToken::new(),
    });
    let serving = site.clone();
    let (acceptor, fingerprint) = match tls {
        Some(t) => (Some(t.acceptor), Some(t.fingerprint)),
        None => (None, None),
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    std::thread::Builder::new()
        .name("loadgen-dashboard".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                server::serve(listener, serving, acceptor).await;
            });
        })
        .map_err(bind)?;
    let plain_url = format!("{scheme}://{bound}/");
    Ok(Dashboard {
        fingerprint,
        url: format!("{plain_url}#token={}", token.reveal()),
        plain_url,
        board,
        site,
    })
}

impl Dashboard {
    /// The address it listens on.
    pub fn port(&self) -> u16 {
        self.site.port
    }

    /// The control token.
    pub fn token(&self) -> &Token {
        &self.site.token
    }

    /// The run is over: gives open pages up to [`CLOSE_GRACE`] to receive the last events,
    /// then closes every connection. Never waits longer, however many tabs are open.
    pub fn close(self) {
        let deadline = std::time::Instant::now() + CLOSE_GRACE;
        while !self.site.events.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Connections notice the cancel on their own thread; nothing here waits for them.
        self.site.closing.cancel();
    }
}
