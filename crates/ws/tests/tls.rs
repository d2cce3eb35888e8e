//! `wss://` with the shared trust options: a CA file, a client certificate the server
//! demands, `hosts` keeping the name for SNI and the certificate check, and a CONNECT proxy.

use crate::faults::server;
use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use loadgen_engine::Outcome;
use loadgen_http::{load_ca_file, ClientIdentity};
use loadgen_testkit::pki::Pki;
use loadgen_ws::metrics::*;
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = "feed.staging.example";

#[test]
fn wss_trusts_a_ca_file_and_presents_a_client_certificate() {
    let dir = std::env::temp_dir().join(format!("loadgen-ws-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Pki::new(NAME);
    pki.write(&dir);
    let acceptor =
        tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config(true, &[b"http/1.1"])));
    let addr = server(move |s| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(s).await else {
                return;
            };
            let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else {
                return;
            };
            while let Some(Ok(m)) = ws.next().await {
                if m.is_text() && ws.send(m).await.is_err() {
                    return;
                }
            }
        }
    });
    let url = format!("wss://{NAME}:{}/feed", addr.port());
    let mut cfg = config(&url, Duration::from_millis(200));
    cfg.hosts
        .insert(NAME.into(), std::net::Ipv4Addr::LOCALHOST.into());
    cfg.script.on_open = vec![template("hello")];
    cfg.tls.extra_roots = load_ca_file(&dir.join("ca.pem")).unwrap();
    let identity =
        Some(ClientIdentity::load(&dir.join("client.pem"), &dir.join("client.key")).unwrap());
    cfg.tls.identity = identity.clone();
    let r = run_sessions(cfg.clone(), 2, 1);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (2, 2));
    // The TLS handshake is a phase of its own beside the connect time, one per connection.
    let connect = &r.totals.steps[STEP_CONNECT];
    assert_eq!((connect.connect.len(), connect.tls.len()), (2, 2));
    assert_eq!(connect.proxy_connect.len(), 0);
    assert_eq!(
        counter(&r, MSGS_RECEIVED),
        2,
        "echoed over the mutual TLS session"
    );

    // Without the CA file the leaf is refused: a TLS failure, no crash.
    let mut untrusted = cfg.clone();
    untrusted.tls.extra_roots.clear();
    let r = run_sessions(untrusted, 1, 1);
    assert_eq!(step_count(&r, STEP_CONNECT, Outcome::Tls), 1);

    // Without the client certificate the server ends the session during the handshake.
    let mut anonymous = cfg;
    anonymous.tls.identity = None;
    let r = run_sessions(anonymous.clone(), 1, 1);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (0, 1));

    // Through a CONNECT proxy, which is asked for the name (no `hosts`: only the proxy
    // knows where it is), TLS end to end inside the tunnel.
    let proxy = loadgen_testkit::proxy::ConnectProxy::start();
    let mut proxied = anonymous;
    proxied.hosts.clear();
    proxied.tls.identity = identity;
    proxied.proxy = Some(loadgen_http::Proxy::parse(&proxy.url()).unwrap());
    let r = run_sessions(proxied, 2, 1);
    assert_eq!(rate(&r, CONNECT_SUCCESS), (2, 2));
    let connect = &r.totals.steps[STEP_CONNECT];
    assert_eq!((connect.proxy_connect.len(), connect.tls.len()), (2, 2));
    let want = format!("CONNECT {NAME}:{} HTTP/1.1", addr.port());
    assert_eq!(proxy.requests(), vec![want.clone(), want]);
    let _ = std::fs::remove_dir_all(&dir);
}
