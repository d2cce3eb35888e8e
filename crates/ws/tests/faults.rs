//! Faults become outcomes and counters: refused connects, refused upgrades, silent servers,
//! servers that drop the connection (reconnects), and TLS with and without trust.

use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use loadgen_engine::Outcome;
use loadgen_ws::metrics::*;
use loadgen_ws::Reconnect;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// Runs `serve` for every accepted TCP connection on a background runtime.
pub(crate) fn server<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let serve = Arc::new(serve);
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn((serve)(s));
            }
        });
    });
    addr
}

#[test]
fn a_refused_connect_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run_sessions(config(&format!("ws://127.0.0.1:{port}/"), ms(300)), 3, 1);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Connect), 3);
    assert_eq!(step_count(&r, STEP_SESSION, Outcome::Connect), 3);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (0, 3));
    assert_eq!(rate(&r, STABLE), (0, 3));
}

#[test]
fn a_refused_upgrade_is_classified_by_status() {
    let t = loadgen_demo::spawn(Default::default(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let r = run_sessions(config(&format!("ws://{}/ws/nope", t.addr()), ms(300)), 2, 1);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Http4xx), 2);
    assert_eq!(t.counters().ws.connections_total, 0);
}

#[test]
fn a_silent_server_times_out_the_connect() {
    let addr = server(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let mut cfg = config(&format!("ws://{addr}/"), ms(500));
    cfg.connect_timeout = ms(200);
    let r = run_sessions(cfg, 2, 1);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Timeout), 2);
}

#[test]
fn drops_are_counted_and_reconnected_with_backoff() {
    let accepted = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&accepted);
    // Every connection is closed by the server (1001) after 100 ms.
    let addr = server(move |s| {
        seen.fetch_add(1, Ordering::Relaxed);
        async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                return;
            };
            tokio::time::sleep(ms(100)).await;
            let frame = CloseFrame {
                code: CloseCode::Away,
                reason: "bye".into(),
            };
            let _ = ws.send(Message::Close(Some(frame))).await;
            while ws.next().await.is_some() {}
        }
    });
    let mut cfg = config(&format!("ws://{addr}/"), Duration::from_secs(3));
    cfg.reconnect = Reconnect {
        max: 3,
        backoff: ms(50),
        max_backoff: ms(200),
    };
    let r = run_sessions(cfg, 2, 1);
    assert_eq!(counter(&r, RECONNECTS), 6, "3 reconnects per session");
    assert_eq!(
        counter(&r, DROPS),
        8,
        "4 connections per session, all dropped"
    );
    assert_eq!(counter(&r, CLOSE_GOING_AWAY), 8);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (8, 8));
    assert_eq!(rate(&r, STABLE), (0, 2));
    assert_eq!(step_count(&r, STEP_SESSION, Outcome::Reset), 2);
    assert_eq!(accepted.load(Ordering::Relaxed), 8);
}

#[test]
fn wss_with_headers_and_subprotocols() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let addr = server(move |s| {
        let acceptor = acceptor.clone();
        let record = Arc::clone(&record);
        async move {
            let Ok(tls) = acceptor.accept(s).await else {
                return;
            };
            // tungstenite's callback type returns its large error response by value.
            #[allow(clippy::result_large_err)]
            let callback = move |req: &Request, mut resp: Response| {
                let h = |n: &str| {
                    req.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                record
                    .lock()
                    .unwrap()
                    .push((h("x-desk"), h("sec-websocket-protocol")));
                resp.headers_mut()
                    .insert("sec-websocket-protocol", "md.v2".parse().unwrap());
                Ok(resp)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tls, callback).await else {
                return;
            };
            while let Some(Ok(m)) = ws.next().await {
                if m.is_text() && ws.send(m).await.is_err() {
                    return;
                }
            }
        }
    });
    let url = format!("wss://localhost:{}/feed", addr.port());
    let mut cfg = config(&url, ms(300));
    cfg.tls.insecure = true;
    cfg.headers = vec![("x-desk".into(), "fx".into())];
    cfg.subprotocols = vec!["md.v2".into(), "md.v1".into()];
    cfg.script.on_open = vec![template("hello")];
    let r = run_sessions(cfg.clone(), 2, 1);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (2, 2));
    assert_eq!(counter(&r, MSGS_RECEIVED), 2);
    assert_eq!(
        seen.lock().unwrap()[0],
        ("fx".to_string(), "md.v2, md.v1".to_string())
    );
    // Without `insecure` the self-signed certificate is refused.
    cfg.tls.insecure = false;
    let r = run_sessions(cfg, 1, 1);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Tls), 1);
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn source_addrs_spread_client_sockets_over_local_addresses() {
    let peers: Arc<Mutex<Vec<std::net::IpAddr>>> = Arc::default();
    let record = Arc::clone(&peers);
    let addr = server(move |s| {
        if let Ok(p) = s.peer_addr() {
            record.lock().unwrap().push(p.ip());
        }
        async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                return;
            };
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    let mut cfg = config(&format!("ws://{addr}/"), ms(200));
    cfg.source_addrs = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
    let r = run_sessions(cfg, 4, 1);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (4, 4));
    let mut seen = peers.lock().unwrap().clone();
    seen.sort();
    let two: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let three: std::net::IpAddr = "127.0.0.3".parse().unwrap();
    assert_eq!(seen, vec![two, two, three, three]);
}

#[test]
fn replies_and_pings_in_both_directions() {
    #[derive(Default)]
    struct Seen {
        replies: AtomicU64,
        pings: AtomicU64,
        pongs: AtomicU64,
    }
    let seen: Arc<Seen> = Arc::default();
    let record = Arc::clone(&seen);
    // Pushes five messages and a ping, then counts what comes back until the client closes.
    let addr = server(move |s| {
        let record = Arc::clone(&record);
        async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                return;
            };
            for i in 0..5 {
                let _ = ws.send(Message::Text(format!("push {i}").into())).await;
            }
            let _ = ws.send(Message::Ping("are you there".into())).await;
            while let Some(Ok(m)) = ws.next().await {
                let counter = match m {
                    Message::Text(_) => &record.replies,
                    Message::Ping(_) => &record.pings,
                    Message::Pong(_) => &record.pongs,
                    _ => continue,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let mut cfg = config(&format!("ws://{addr}/"), ms(1000));
    cfg.script.reply = Some(template(r#"{"seen":{{seq}}}"#));
    cfg.script.ping_every = Some(ms(200));
    let r = run_sessions(cfg, 1, 1);
    assert_eq!(counter(&r, MSGS_RECEIVED), 5);
    assert_eq!(counter(&r, MSGS_SENT), 5, "one reply per message received");
    assert_eq!(seen.replies.load(Ordering::Relaxed), 5);
    assert_eq!(
        seen.pongs.load(Ordering::Relaxed),
        1,
        "the server's ping was answered"
    );
    assert!(seen.pings.load(Ordering::Relaxed) >= 1, "the client pinged");
    assert_eq!(rate(&r, STABLE), (1, 1));
}
