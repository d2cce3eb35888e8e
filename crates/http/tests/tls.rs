//! HTTPS: self-signed certificates with `insecure`, ALPN choosing HTTP/2 or falling back,
//! and verification failures.

use crate::support::server::Server;
use crate::support::{config, config_h2, counts, get, on_both_wires, run, tls_acceptor, Wire};
use loadgen_http::HttpVersion;

fn https(server: &Server) -> String {
    format!("https://localhost:{}", server.addr.port())
}

#[test]
fn self_signed_with_insecure_speaks_http1_on_one_connection() {
    let server = Server::start_tls(tls_acceptor(&[b"h2", b"http/1.1"]));
    let mut cfg = config(&https(&server), HttpVersion::Http1);
    cfg.tls.insecure = true;
    let m = run(cfg, vec![get("ok", "/ok")], 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(server.stats.h2_requests(), 0);
    // One connection: its connect and its TLS handshake are two phases, no proxy.
    assert_eq!(m.steps[0].connect.len(), 1);
    assert_eq!(m.steps[0].tls.len(), 1);
    assert_eq!(m.steps[0].proxy_connect.len(), 0);
}

on_both_wires!(
    alpn_selects_http2_when_offered,
    http2_falls_back_to_http1_when_the_server_offers_only_http1,
);

fn alpn_selects_http2_when_offered(wire: Wire) {
    let server = Server::start_tls(tls_acceptor(&[b"h2", b"http/1.1"]));
    let mut cfg = config_h2(&https(&server), wire);
    cfg.tls.insecure = true;
    let m = run(cfg, vec![get("ok", "/ok")], 5);
    assert_eq!(counts(&m, 0), [("success", 5)]);
    assert_eq!(server.stats.h2_requests(), 5);
    assert_eq!(server.stats.connections(), 1);
    assert_eq!(m.steps[0].connect.len(), 1);
    assert_eq!(m.steps[0].tls.len(), 1, "the handshake is timed apart");
}

fn http2_falls_back_to_http1_when_the_server_offers_only_http1(wire: Wire) {
    let server = Server::start_tls(tls_acceptor(&[b"http/1.1"]));
    let url = format!("https://127.0.0.1:{}", server.addr.port());
    let mut cfg = config_h2(&url, wire);
    cfg.tls.insecure = true;
    let m = run(cfg, vec![get("ok", "/ok")], 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(server.stats.h2_requests(), 0);
    assert_eq!(
        server.stats.connections(),
        1,
        "the HTTP/1.1 connection is kept"
    );
    assert_eq!(m.steps[0].connect.len(), 1);
    assert_eq!(m.steps[0].tls.len(), 1);
}

#[test]
fn an_untrusted_certificate_is_a_tls_error() {
    let server = Server::start_tls(tls_acceptor(&[b"http/1.1"]));
    let m = run(
        config(&https(&server), HttpVersion::Http1),
        vec![get("ok", "/ok")],
        2,
    );
    assert_eq!(counts(&m, 0), [("tls", 2)]);
    assert_eq!(server.stats.requests(), 0);
}

#[test]
fn tls_to_a_plain_http_server_is_a_tls_error() {
    let server = Server::start();
    let mut cfg = config(&https(&server), HttpVersion::Http1);
    cfg.tls.insecure = true;
    let m = run(cfg, vec![get("ok", "/ok")], 1);
    assert_eq!(counts(&m, 0), [("tls", 1)]);
}

/// Through a CONNECT proxy, on both client paths: the TCP connect to the proxy, the tunnel to
/// the target (`connect`) and the TLS handshake are each recorded once per connection.
#[test]
fn a_tunnelled_connection_records_the_proxy_connect_and_tls_apart() {
    let proxy = loadgen_testkit::proxy::ConnectProxy::start();
    let server = Server::start_tls(tls_acceptor(&[b"http/1.1"]));
    let mut cfg = config(&https(&server), HttpVersion::Http1);
    cfg.tls.insecure = true;
    cfg.proxy = Some(loadgen_http::Proxy::parse(&proxy.url()).unwrap());
    let m = run(cfg, vec![get("ok", "/ok")], 4);
    assert_eq!(counts(&m, 0), [("success", 4)]);
    assert_eq!(m.steps[0].connect.len(), 1);
    assert_eq!(m.steps[0].tls.len(), 1);
    assert_eq!(m.steps[0].proxy_connect.len(), 1);
    assert_eq!(proxy.requests().len(), 1, "{:?}", proxy.requests());

    // Plain HTTP through the proxy on the fast path: no TLS phase.
    let plain = Server::start();
    let mut cfg = config(
        &format!("http://localhost:{}", plain.addr.port()),
        HttpVersion::Http1,
    );
    cfg.proxy = Some(loadgen_http::Proxy::parse(&proxy.url()).unwrap());
    let m = run(cfg, vec![get("ok", "/ok")], 3);
    assert_eq!(counts(&m, 0), [("success", 3)]);
    assert_eq!(m.steps[0].proxy_connect.len(), 1);
    assert_eq!(m.steps[0].tls.len(), 0);
}

/// A proxy that demands credentials: without them every connect is refused (`connect`), with
/// `user:password@` in the proxy URL the tunnel opens.
#[test]
fn a_proxy_demanding_credentials_gets_them_from_the_url() {
    // base64("alice:s@cret")
    let proxy =
        loadgen_testkit::proxy::ConnectProxy::start_with_authorization("Basic YWxpY2U6c0BjcmV0");
    let server = Server::start();
    let base = format!("http://localhost:{}", server.addr.port());
    let port = proxy.url().rsplit(':').next().unwrap().to_owned();
    let mut cfg = config(&base, HttpVersion::Http1);
    cfg.proxy = Some(loadgen_http::Proxy::parse(&proxy.url()).unwrap());
    let m = run(cfg, vec![get("ok", "/ok")], 2);
    assert_eq!(counts(&m, 0), [("connect", 2)]);
    assert_eq!(server.stats.requests(), 0);

    let mut cfg = config(&base, HttpVersion::Http1);
    let with_auth = format!("http://alice:s%40cret@127.0.0.1:{port}");
    cfg.proxy = Some(loadgen_http::Proxy::parse(&with_auth).unwrap());
    let m = run(cfg, vec![get("ok", "/ok")], 2);
    assert_eq!(counts(&m, 0), [("success", 2)]);
    assert_eq!(server.stats.requests(), 2);
}
