//! Through a proxy: the testkit's CONNECT proxy (it records what it was asked and always
//! dials loopback), in front of the mutual-TLS nginx of the `tls` tests. `[http] proxy` as a
//! URL, and `proxy = "env"` with `HTTPS_PROXY` and `NO_PROXY`.

use crate::support::*;
use crate::tls::{scenario, setup, NAME};
use loadgen_testkit::proxy::ConnectProxy;

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
