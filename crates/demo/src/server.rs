//! The listening socket, the accept loop, the target's own runtime thread and its handle.
//!
//! Shutdown order: the stop signal (handle dropped or shut down, or Ctrl-C / SIGTERM for
//! [`serve_blocking`]) ends the accept loop and closes the listener; every open connection
//! is asked to finish gracefully (HTTP/1 after its in-flight response, HTTP/2 with GOAWAY);
//! after [`DRAIN_TIMEOUT`] the rest are dropped with the runtime, and the thread exits.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{Either, Full};
use std::convert::Infallible;

use crate::fault_stream::{self, FaultStream};
use crate::routes::App;
use crate::ws;
use crate::{CountersSnapshot, DemoError, TargetConfig};

/// Pending-connection queue of the listening socket (the kernel may cap it lower).
const BACKLOG: u32 = 4096;
/// How long open connections get to finish after the stop signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Back-off after an accept error such as EMFILE, doubled up to the maximum.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

type StopFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running demo target. Dropping it shuts the target down like [`TargetHandle::shutdown`].
#[derive(Debug)]
pub struct TargetHandle {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TargetHandle {
    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server-side request counters, as `GET /__counters` would return them.
    pub fn counters(&self) -> CountersSnapshot {
        self.app.snapshot()
    }

    /// Zeroes the counters, like `POST /__counters/reset`.
    pub fn reset_counters(&self) {
        self.app.counters.reset();
        self.app.reset_webhooks();
    }

    /// Stops accepting, lets open connections finish (at most a few seconds) and joins the
    /// target's threads. Blocks the calling thread meanwhile.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the target server thread panicked");
            }
        }
    }
}

impl Drop for TargetHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts the target on `listen` (port 0 picks a free port) in background threads and
/// returns once it is listening. Blocks the calling thread for that short while, so it may
/// be called from inside another tokio runtime.
pub fn spawn(cfg: TargetConfig, listen: SocketAddr) -> Result<TargetHandle, DemoError> {
    start(cfg, listen, StopOn::Handle)
}

/// Runs the target on `listen` until Ctrl-C or SIGTERM, then shuts it down gracefully.
/// `ready` is called with the bound address once it is listening; nothing is printed here.
pub fn serve_blocking(
    cfg: TargetConfig,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), DemoError> {
    let mut handle = start(cfg, listen, StopOn::Signals)?;
    ready(handle.addr);
    // Keep the stop sender alive: only a signal ends the server.
    let stop = handle.stop.take();
    let joined = handle.thread.take().map(JoinHandle::join);
    drop(stop);
    match joined {
        Some(Err(_)) => Err(DemoError::Panicked),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy)]
enum StopOn {
    Handle,
    Signals,
}

fn start(
    cfg: TargetConfig,
    listen: SocketAddr,
    stop_on: StopOn,
) -> Result<TargetHandle, DemoError> {
    cfg.validate()?;
    let app = Arc::new(App::new(&cfg)?);
    let (ready_tx, ready_rx) = mpsc::sync_channel(1);
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread_app = Arc::clone(&app);
    let workers = cfg.worker_threads;
    let thread = std::thread::Builder::new()
        .name("loadgen-demo".to_string())
        .spawn(move || run(workers, listen, thread_app, stop_on, stop_rx, ready_tx))
        .map_err(DemoError::Runtime)?;
    let mut handle = TargetHandle {
        addr: listen,
        app,
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    match ready_rx.recv() {
        Ok(Ok(addr)) => {
            handle.addr = addr;
            Ok(handle)
        }
        // Dropping the handle joins the thread, which is already on its way out.
        Ok(Err(e)) => Err(e),
        Err(mpsc::RecvError) => Err(DemoError::Panicked),
    }
}

/// Body of the target's main thread: build the runtime, bind, report, serve until stopped.
fn run(
    workers: usize,
    listen: SocketAddr,
    app: Arc<App>,
    stop_on: StopOn,
    stop_rx: oneshot::Receiver<()>,
    ready: mpsc::SyncSender<Result<SocketAddr, DemoError>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("loadgen-demo-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(DemoError::Runtime(e)));
            return;
        }
    };
    runtime.block_on(async move {
        let started = stop_future(stop_on, stop_rx).and_then(|stop| {
            let listener = bind(listen).map_err(|source| DemoError::Bind {
                addr: listen,
                source,
            })?;
            let addr = listener.local_addr().map_err(|source| DemoError::Bind {
                addr: listen,
                source,
            })?;
            Ok((stop, listener, addr))
        });
        match started {
            Ok((stop, listener, addr)) => {
                let _ = ready.send(Ok(addr));
                // The accept loop runs on the worker threads, not on this one.
                let _ = tokio::spawn(serve(listener, app, stop)).await;
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
}

fn stop_future(stop_on: StopOn, stop_rx: oneshot::Receiver<()>) -> Result<StopFuture, DemoError> {
    let on_handle = async move {
        // A send or a dropped sender both mean stop.
        let _ = stop_rx.await;
    };
    match stop_on {
        StopOn::Handle => Ok(Box::pin(on_handle)),
        #[cfg(unix)]
        StopOn::Signals => {
            use tokio::signal::unix::{signal, SignalKind};
            let mut interrupt = signal(SignalKind::interrupt()).map_err(DemoError::Signal)?;
            let mut terminate = signal(SignalKind::terminate()).map_err(DemoError::Signal)?;
            Ok(Box::pin(async move {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                    () = on_handle => {}
                }
            }))
        }
        #[cfg(not(unix))]
        StopOn::Signals => Ok(Box::pin(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = on_handle => {}
            }
        })),
    }
}

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn serve(listener: TcpListener, app: Arc<App>, mut stop: StopFuture) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true).timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut backoff = MIN_BACKOFF;
    let mut next_connection = 0u64;
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    backoff = MIN_BACKOFF;
                    app.counters.connection();
                    let id = next_connection;
                    next_connection += 1;
                    serve_connection(stream, id, Arc::clone(&app), Arc::clone(&builder), graceful.watcher());
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "target: accept failed, backing off");
                    tokio::select! {
                        () = &mut stop => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("target: connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
}

fn serve_connection(
    stream: TcpStream,
    id: u64,
    app: Arc<App>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    watcher: Watcher,
) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(connection = id, error = %e, "target: cannot set TCP_NODELAY");
    }
    if let Some(fault) = app.faults.for_connection(app.request_seed(id, u64::MAX)) {
        app.counters.fault(fault);
        tokio::spawn(fault_stream::break_connection(fault, stream));
        return;
    }
    tokio::spawn(async move {
        let requests = Cell::new(0u64);
        let (stream, mode) = FaultStream::new(stream);
        let service = service_fn(move |req| {
            let n = requests.get();
            requests.set(n + 1);
            let seed = app.request_seed(id, n);
            let (app, mode) = (Arc::clone(&app), Arc::clone(&mode));
            async move {
                let response = match app.faults.for_request(&req, seed) {
                    Ok(None) if ws::is_ws_path(req.uri().path()) => {
                        ws::upgrade(app, req).map(Either::Left)
                    }
                    Ok(None) => app.handle(req, seed).await?.map(Either::Left),
                    Ok(Some(fault)) => {
                        app.count_faulted(&req, fault);
                        fault_stream::answer(fault, &mode).await.map(Either::Right)
                    }
                    Err(why) => {
                        let mut r =
                            Response::new(Either::Left(Full::new(Bytes::from(why.to_string()))));
                        *r.status_mut() = StatusCode::BAD_REQUEST;
                        r
                    }
                };
                Ok::<_, Infallible>(response)
            }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        if let Err(e) = watcher.watch(connection).await {
            tracing::debug!(connection = id, error = %e, "target: connection ended with an error");
        }
    });
}

/// Errors that concern one connection only: accept again at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}
