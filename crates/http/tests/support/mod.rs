//! Shared fixtures: local servers and a driver that runs sessions like the engine does.

pub mod h2raw;
pub mod nginx;
pub mod raw;
pub mod scripted;
pub mod server;

use loadgen_engine::{Iteration, Metrics, Outcome, Recorder, Session, SessionFactory, VuInfo};
use loadgen_http::{
    BaseUrl, ClientConfig, Expect, HttpFactory, HttpVersion, RequestSpec, Template,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A client config for `base` with short timeouts suited to loopback tests.
pub fn config(base: &str, version: HttpVersion) -> ClientConfig {
    let mut c = ClientConfig::new(BaseUrl::parse(base).expect("valid base URL"));
    c.version = version;
    c.connect_timeout = Duration::from_secs(5);
    c.request_timeout = Duration::from_secs(5);
    c
}

/// Which client path a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// The pre-encoded fast path (the default for plain HTTP/1.1).
    Fast,
    /// hyper, forced with `fast_path = false`.
    Hyper,
    /// HTTP/2 only: the lean path on a connection VUs share (`streams_per_connection` 4).
    Shared,
}

/// An HTTP/1.1 config for `base` on `wire`.
pub fn config_h1(base: &str, wire: Wire) -> ClientConfig {
    let mut c = config(base, HttpVersion::Http1);
    c.fast_path = wire == Wire::Fast;
    c
}

/// An HTTP/2 config for `base` on `wire`: `Fast` is the lean HTTP/2 path, `Hyper` the `h2`
/// crate's (forced with `fast_path = false`), `Shared` the lean path on shared connections.
pub fn config_h2(base: &str, wire: Wire) -> ClientConfig {
    let mut c = config(base, HttpVersion::Http2);
    c.fast_path = wire != Wire::Hyper;
    if wire == Wire::Shared {
        c.streams_per_connection = 4;
    }
    c
}

/// Runs `fn $test(wire: Wire)` as two tests, `$test::fast` and `$test::hyper`.
macro_rules! on_both_wires {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            fn fast() {
                super::$test($crate::support::Wire::Fast)
            }
            #[test]
            fn hyper() {
                super::$test($crate::support::Wire::Hyper)
            }
        }
    )*};
}
pub(crate) use on_both_wires;

/// Runs `fn $test(wire: Wire)` as three HTTP/2 tests: `$test::fast` (the lean path, a
/// connection per VU), `$test::hyper` (the `h2` crate) and `$test::shared` (the lean path on
/// a shared connection).
macro_rules! on_h2_wires {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            fn fast() {
                super::$test($crate::support::Wire::Fast)
            }
            #[test]
            fn hyper() {
                super::$test($crate::support::Wire::Hyper)
            }
            #[test]
            fn shared() {
                super::$test($crate::support::Wire::Shared)
            }
        }
    )*};
}
pub(crate) use on_h2_wires;

/// A GET step expecting any 2xx.
pub fn get(name: &str, path: &str) -> RequestSpec {
    RequestSpec::new(name, http::Method::GET, Template::parse(path).unwrap())
}

/// A GET step with an expectation.
pub fn get_expect(name: &str, path: &str, expect: Expect) -> RequestSpec {
    RequestSpec {
        expect,
        ..get(name, path)
    }
}

/// Runs `iterations` iterations of one VU on a current-thread runtime inside a `LocalSet`,
/// as the engine's workers do, and returns what was recorded.
pub fn drive(factory: &HttpFactory, iterations: u64) -> Metrics {
    drive_with_pause(factory, iterations, Duration::ZERO)
}

/// [`drive`], idling `pause` between iterations (so the runtime sees what the server did to
/// an idle connection).
pub fn drive_with_pause(factory: &HttpFactory, iterations: u64, pause: Duration) -> Metrics {
    drive_session(factory, iterations, pause, false)
}

/// [`drive`], after the session's warm-up (as the engine does for pre-allocated VUs).
pub fn drive_warmed(factory: &HttpFactory, iterations: u64) -> Metrics {
    drive_session(factory, iterations, Duration::ZERO, true)
}

fn drive_session(factory: &HttpFactory, iterations: u64, pause: Duration, warm: bool) -> Metrics {
    let steps = factory.step_names().count();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let recorder = Recorder::new(steps, 1);
        let mut session = factory.session(VuInfo {
            id: 3,
            workload: 0,
            seed: 42,
            paced_reads: false,
        });
        if warm {
            session.warm_up().await;
        }
        for n in 0..iterations {
            let it = Iteration::new(&recorder, 0, 3, n, Instant::now());
            session.iteration(&it).await;
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        drop(session);
        recorder.take()
    })
}

/// Builds a factory and drives it. A plain HTTP/1.1 config with `fast_path` on must get the
/// fast path (these tests' requests never set framing headers).
pub fn run(config: ClientConfig, specs: Vec<RequestSpec>, iterations: u64) -> Metrics {
    let plain = !config.base.is_tls();
    let h2 = config.version == HttpVersion::Http2 && config.proxy.is_none();
    let fast = config.fast_path && ((plain && config.version == HttpVersion::Http1) || h2);
    // One fixed run nonce: tests compare the bytes two factories send ({{uuid}} included).
    let factory = HttpFactory::new(Arc::new(config), specs)
        .expect("valid factory")
        .with_run_nonce(loadgen_http::RunNonce::CHECK);
    assert_eq!(factory.fast_path(), fast, "{factory:?}");
    drive(&factory, iterations)
}

/// `vus` sessions of `factory` on one thread, side by side, `iterations` each (VUs of a
/// thread share HTTP/2 connections when the factory says so).
pub fn drive_side_by_side(factory: &HttpFactory, vus: u64, iterations: u64) -> Metrics {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let recorder = std::rc::Rc::new(Recorder::new(factory.step_names().count(), 1));
        let tasks: Vec<_> = (0..vus)
            .map(|id| {
                let mut session = factory.session(VuInfo {
                    id,
                    workload: 0,
                    seed: id,
                    paced_reads: false,
                });
                let recorder = std::rc::Rc::clone(&recorder);
                tokio::task::spawn_local(async move {
                    for n in 0..iterations {
                        let it = Iteration::new(&recorder, 0, id, n, tokio::time::Instant::now());
                        session.iteration(&it).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        recorder.take()
    })
}

/// The non-zero counts of step `step`, by outcome name, for readable assertions.
pub fn counts(m: &Metrics, step: usize) -> Vec<(&'static str, u64)> {
    Outcome::ALL
        .iter()
        .map(|o| (o.name(), m.steps[step].counts[*o as usize]))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost` / 127.0.0.1, offering
/// `alpn` in order.
pub fn tls_acceptor(alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
