//! Through a proxy: a CONNECT proxy written here (it records what it was asked and always
//! dials loopback), in front of the mutual-TLS nginx of the `tls` tests. `[http] proxy` as a
//! URL, and `proxy = "env"` with `HTTPS_PROXY` and `NO_PROXY`.

use crate::support::*;
use crate::tls::{scenario, setup, NAME};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A CONNECT proxy on 127.0.0.1: each tunnel goes to 127.0.0.1 at the requested port, and the
/// request lines are kept. Stopped on drop.
struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (Arc::clone(&seen), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            for client in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let log = Arc::clone(&log);
                std::thread::spawn(move || tunnel(client, &log));
            }
        });
        ConnectProxy {
            port,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocked accept so the thread sees the flag and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 2 {
        line.clear();
    }
    let first = first.trim_end().to_owned();
    log.lock().unwrap().push(first.clone());
    let port = first
        .split(' ')
        .nth(1)
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse::<u16>().ok());
    let (Some(port), true) = (port, first.starts_with("CONNECT ")) else {
        let _ =
            (&client).write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
    let mut down_w = client.try_clone().unwrap();
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut down_w);
        let _ = down_w.shutdown(Shutdown::Write);
    });
    // What the client sent after the head may already sit in the reader's buffer.
    let _ = std::io::copy(&mut reader, &mut up_w);
    let _ = up_w.shutdown(Shutdown::Write);
    let _ = back.join();
}

const ID: &str = "ca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"";

/// The `tls` tests' scenario without `hosts`: the name resolves nowhere, so only a proxy
/// that dials for it reaches nginx.
fn proxied(port: u16, extra: &str) -> String {
    scenario(port, &format!("{ID}\n{extra}"))
        .replace(&format!("hosts = {{ \"{NAME}\" = \"127.0.0.1\" }}\n"), "")
}

#[test]
fn https_goes_through_a_connect_proxy_named_in_the_scenario() {
    let Some((dir, nginx)) = setup("proxy-url", "TLSv1.2 TLSv1.3") else {
        return;
    };
    let proxy = ConnectProxy::start();
    let extra = format!("proxy = \"{}\"", proxy.url());
    let f = write(&dir, "proxy.toml", &proxied(nginx.port, &extra));
    let o = run(&[
        "run",
        f.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&dir.join("out"));
    assert_eq!(
        s["steps"][0]["outcomes"],
        serde_json::json!({ "success": 20 })
    );
    let seen = proxy.requests();
    // One tunnel per VU connection (kept alive), each for the name, never an address.
    assert_eq!(seen.len(), 2, "{seen:?}");
    let want = format!("CONNECT {NAME}:{} HTTP/1.1", nginx.port);
    assert!(seen.iter().all(|l| *l == want), "{seen:?}");
}

#[test]
fn proxy_env_reads_https_proxy_and_honours_no_proxy() {
    let Some((dir, nginx)) = setup("proxy-env", "TLSv1.2 TLSv1.3") else {
        return;
    };
    let proxy = ConnectProxy::start();
    let f = write(&dir, "env.toml", &proxied(nginx.port, "proxy = \"env\""));
    let out = dir.join("via");
    let args = [
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let url = proxy.url();
    let o = run_env(&args, &[("HTTPS_PROXY", &url), ("NO_PROXY", "localhost")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(proxy.requests().len(), 2);

    // NO_PROXY covering the name: loadgen connects directly, where the name resolves
    // nowhere; every request fails to connect, and the proxy sees nothing more.
    let out = dir.join("direct");
    let args = [
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let o = run_env(&args, &[("HTTPS_PROXY", &url), ("NO_PROXY", ".example")]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s = summary(&out);
    assert!(
        s["steps"][0]["outcomes"]["connect"].as_u64().unwrap_or(0) > 0,
        "{s}"
    );
    assert_eq!(proxy.requests().len(), 2);
}

#[test]
fn a_proxy_that_is_not_plain_http_is_a_validation_error() {
    let dir = scratch("proxy-validate");
    let text_ = scenario(1, "proxy = \"https://proxy.corp:3128\"");
    let f = write(&dir, "bad.toml", &text_);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml:9:9: http.proxy") && err.contains("TLS proxy"),
        "{err}"
    );
}
