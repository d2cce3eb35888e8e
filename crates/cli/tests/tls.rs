//! TLS as staging systems use it, end to end: a CA made for the test (`rcgen`), nginx serving a leaf
//! for `api.staging.example` and requiring a client certificate, reached through `hosts` on
//! loopback. Trusted + identified runs pass; a missing client certificate, an untrusted leaf
//! and a refused protocol version are counted in their classes; bad files are validation
//! errors at their line.

use crate::support::*;
use loadgen_testkit::pki::Pki;
use std::path::{Path, PathBuf};
use std::process::Child;

pub(crate) const NAME: &str = "api.staging.example";

/// nginx serving `/` (200 "ok") over TLS with `dir`'s server leaf, demanding a client
/// certificate signed by `dir/ca.pem`, speaking only `protocols`. Killed on drop.
pub(crate) struct MtlsNginx {
    pub(crate) port: u16,
    child: Child,
}

impl MtlsNginx {
    fn start(test: &str, dir: &Path, protocols: &str) -> Option<MtlsNginx> {
        let bin = loadgen_testkit::peer::NGINX.require(test)?;
        // A port can be taken between `dead_port` and nginx's bind: then it starts again.
        for _ in 0..5 {
            if let Some(nginx) = MtlsNginx::try_start(&bin, dir, protocols) {
                return Some(nginx);
            }
        }
        panic!("nginx did not come up on a port of its own in 5 tries");
    }

    fn try_start(bin: &Path, dir: &Path, protocols: &str) -> Option<MtlsNginx> {
        let port = dead_port();
        let d = dir.display();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let conf = format!(
            r#"daemon off; master_process off; worker_processes 1;
error_log {d}/error.log; pid {d}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name {NAME};
    ssl_certificate {d}/server.pem; ssl_certificate_key {d}/server.key;
    ssl_client_certificate {d}/ca.pem; ssl_verify_client on;
    ssl_protocols {protocols};
    location / {{ return 200 "ok"; }}
  }}
}}
"#
        );
        write(dir, "nginx.conf", &conf);
        let child = loadgen_testkit::nginx::spawn(bin, dir);
        let mut nginx = MtlsNginx { port, child };
        loadgen_testkit::nginx::wait_until_serving(&mut nginx.child, dir, port).then_some(nginx)
    }
}

impl Drop for MtlsNginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A closed run of 2 VUs × 10 iterations against `https://api.staging.example:PORT`, judged on errors,
/// with `http_extra` added to `[http]` (which already maps the name to 127.0.0.1).
pub(crate) fn scenario(port: u16, http_extra: &str) -> String {
    format!(
        r#"name = "mtls"
target = "https://{NAME}:{port}"
duration = "20s"

[http]
connect_timeout = "2s"
timeout = "2s"
hosts = {{ "{NAME}" = "127.0.0.1" }}
{http_extra}

[[workload]]
name = "w"
model = "closed"
vus = 2
iterations = 10

  [[workload.step]]
  name = "get"
  http = {{ method = "GET", path = "/" }}
  expect = {{ status = [200], body_contains = "ok" }}

[thresholds]
"errors" = ["rate < 1%"]
"#
    )
}

/// Runs `file` (its own target) to completion; the exit code and the step's outcomes.
fn run_file(file: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    let s = summary(out);
    (o.status.code(), s["steps"][0]["outcomes"].clone(), text(&o))
}

pub(crate) fn setup(test: &str, protocols: &str) -> Option<(PathBuf, MtlsNginx)> {
    let dir = scratch(test);
    Pki::new(NAME).write(&dir);
    let nginx = MtlsNginx::start(test, &dir, protocols)?;
    Some((dir, nginx))
}

#[test]
fn a_trusted_ca_and_client_certificate_through_hosts_pass() {
    let Some((dir, nginx)) = setup("tls-mtls-ok", "TLSv1.2 TLSv1.3") else {
        return;
    };
    let extra = "ca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"";
    // The TLS handshake is a phase of its own: a threshold judges it, the summary shows it.
    let text = scenario(nginx.port, extra).replace(
        "\"errors\" = [\"rate < 1%\"]",
        "\"errors\" = [\"rate < 1%\"]\n\"tls_handshake\" = [\"p(95) < 2s\"]\n\"iteration_duration\" = [\"max < 2s\"]",
    );
    let f = write(&dir, "ok.toml", &text);
    let (code, outcomes, log) = run_file(&f, &dir.join("out"), &[]);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(outcomes, serde_json::json!({ "success": 20 }), "{log}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out").join("summary.json")).unwrap(),
    )
    .unwrap();
    let step = &summary["steps"][0];
    // Two VUs, one keep-alive connection each: two connects, two handshakes, no proxy.
    assert_eq!(step["connect"]["count"], 2, "{step}");
    assert_eq!(step["tls_handshake"]["count"], 2, "{step}");
    assert!(step.get("proxy_connect").is_none(), "{step}");
    assert_eq!(summary["workloads"][0]["iteration_duration"]["count"], 20);
    let judged: Vec<&str> = summary["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["passed"] == true)
        .map(|t| t["metric"].as_str().unwrap_or(""))
        .collect();
    assert!(
        judged.contains(&"tls_handshake") && judged.contains(&"iteration_duration"),
        "{judged:?}"
    );
}

#[test]
fn the_command_line_flags_give_the_same_trust_and_identity() {
    let Some((dir, nginx)) = setup("tls-mtls-flags", "TLSv1.2 TLSv1.3") else {
        return;
    };
    let f = write(&dir, "flags.toml", &scenario(nginx.port, ""));
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (ca, cert, key) = (p("ca.pem"), p("client.pem"), p("client.key"));
    let flags = [
        "--cacert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];
    let (code, outcomes, log) = run_file(&f, &dir.join("out"), &flags);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(outcomes, serde_json::json!({ "success": 20 }), "{log}");
}

#[test]
fn a_per_host_client_certificate_is_presented_only_to_its_hosts() {
    let Some((dir, nginx)) = setup("tls-mtls-per-host", "TLSv1.2 TLSv1.3") else {
        return;
    };
    // `[[http.tls_auth]]` goes after every plain `[http]` key, so it closes the scenario's
    // `[http]` part here: the workload table follows it.
    let auth = |domains: &str| {
        format!(
            "ca_file = \"ca.pem\"\n\n[[http.tls_auth]]\ndomains = [{domains}]\n\
             client_cert = \"client.pem\"\nclient_key = \"client.key\""
        )
    };
    let upper = NAME.to_ascii_uppercase();
    for (name, domains, want_code, want) in [
        ("mine", format!("\"{upper}\""), 0, "success"),
        (
            "theirs",
            "\"other.staging.example\"".to_owned(),
            3,
            "http_4xx",
        ),
    ] {
        let f = write(
            &dir,
            &format!("{name}.toml"),
            &scenario(nginx.port, &auth(&domains)),
        );
        let (code, outcomes, log) = run_file(&f, &dir.join(name), &[]);
        assert_eq!(code, Some(want_code), "{name}: {log}");
        assert_eq!(outcomes, serde_json::json!({ want: 20 }), "{name}: {log}");
    }
    // A per-host entry whose key cannot be read is reported at that entry.
    let bad = scenario(nginx.port, &auth("\"x.example\""))
        .replace("client_key = \"client.key\"", "client_key = \"gone.key\"");
    let f = write(&dir, "bad.toml", &bad);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("http.tls_auth[0].client_key: cannot read"),
        "{err}"
    );
}

#[test]
fn the_system_store_is_trusted_without_ca_file() {
    let Some((dir, nginx)) = setup("tls-system-store", "TLSv1.2 TLSv1.3") else {
        return;
    };
    // SSL_CERT_FILE stands in for the operating system's store (what update-ca-certificates
    // writes): the test CA there is trusted with no ca_file.
    let id = "client_cert = \"client.pem\"\nclient_key = \"client.key\"";
    let f = write(&dir, "system.toml", &scenario(nginx.port, id));
    let out = dir.join("out");
    let ca = dir.join("ca.pem");
    let args = [
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let o = run_env(&args, &[("SSL_CERT_FILE", ca.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        summary(&out)["steps"][0]["outcomes"],
        serde_json::json!({ "success": 20 })
    );
}

#[test]
fn without_a_client_certificate_nginx_answers_400_and_the_run_fails() {
    let Some((dir, nginx)) = setup("tls-mtls-nocert", "TLSv1.2 TLSv1.3") else {
        return;
    };
    let f = write(
        &dir,
        "nocert.toml",
        &scenario(nginx.port, "ca_file = \"ca.pem\""),
    );
    let (code, outcomes, log) = run_file(&f, &dir.join("out"), &[]);
    assert_eq!(code, Some(3), "{log}");
    assert_eq!(outcomes, serde_json::json!({ "http_4xx": 20 }), "{log}");
}

#[test]
fn an_untrusted_leaf_is_a_tls_error_not_a_crash() {
    let Some((dir, nginx)) = setup("tls-untrusted", "TLSv1.2 TLSv1.3") else {
        return;
    };
    // Trusting another CA (and, without ca_file, only the public roots) refuses the leaf.
    for (name, extra) in [
        ("none", ""),
        (
            "other",
            "ca_file = \"other-ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"",
        ),
    ] {
        let f = write(&dir, &format!("{name}.toml"), &scenario(nginx.port, extra));
        let (code, outcomes, log) = run_file(&f, &dir.join(name), &[]);
        assert_eq!(code, Some(3), "{name}: {log}");
        let tls = outcomes["tls"].as_u64().unwrap_or(0);
        assert!(tls > 0, "{name}: {outcomes} {log}");
        assert_eq!(outcomes.as_object().unwrap().len(), 1, "{name}: {outcomes}");
    }
}

#[test]
fn min_tls_version_1_3_refuses_a_tls_1_2_server() {
    let Some((dir, nginx)) = setup("tls-min-version", "TLSv1.2") else {
        return;
    };
    let id = "ca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"";
    let f = write(&dir, "v12.toml", &scenario(nginx.port, id));
    let (code, outcomes, log) = run_file(&f, &dir.join("v12"), &[]);
    assert_eq!(
        (code, outcomes),
        (Some(0), serde_json::json!({ "success": 20 })),
        "{log}"
    );
    let extra = format!("{id}\nmin_tls_version = \"1.3\"");
    let f = write(&dir, "v13.toml", &scenario(nginx.port, &extra));
    let (code, outcomes, log) = run_file(&f, &dir.join("v13"), &[]);
    assert_eq!(code, Some(3), "{log}");
    assert!(
        outcomes["tls"].as_u64().unwrap_or(0) > 0,
        "{outcomes} {log}"
    );
}

#[test]
fn bad_tls_files_and_hosts_are_validation_errors_at_their_line() {
    let dir = scratch("tls-validate");
    Pki::new(NAME).write(&dir);
    write(&dir, "not-a-key.pem", "hello\n");
    let src = r#"name = "bad-tls"
target = "https://api.staging.example"

[http]
ca_file = "missing-ca.pem"
client_cert = "client.pem"
client_key = "not-a-key.pem"
min_tls_version = "1.1"
hosts = { "api.staging.example" = "not-an-ip" }

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "s"
  http = { method = "GET", path = "/" }
"#;
    let f = write(&dir, "bad.toml", src);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for (at, what) in [
        ("bad.toml:5:11: http.ca_file", "missing-ca.pem"),
        ("bad.toml:7:14: http.client_key", "no PEM PRIVATE KEY block"),
        ("bad.toml:8:19: http.min_tls_version", "1.1"),
        (
            "bad.toml:9:35: http.hosts.api.staging.example",
            "not an IP address",
        ),
    ] {
        let line = err.lines().find(|l| l.contains(at));
        assert!(
            line.is_some_and(|l| l.contains(what)),
            "`{at}` … `{what}` in:\n{err}"
        );
    }

    // A client certificate alone, and a key that is not the certificate's.
    let lone = src
        .replace("client_key = \"not-a-key.pem\"\n", "")
        .replace("missing-ca.pem", "ca.pem")
        .replace("1.1", "1.3")
        .replace("not-an-ip", "127.0.0.1");
    let f = write(&dir, "lone.toml", &lone);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("lone.toml:6:15: http.client_cert: needs client_key"),
        "{err}"
    );
    let wrong = lone.replace(
        "client_cert = \"client.pem\"\n",
        "client_cert = \"client.pem\"\nclient_key = \"server.key\"\n",
    );
    let f = write(&dir, "wrong.toml", &wrong);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrong.toml:6:15: http.client_cert"), "{err}");
    let ok = wrong.replace("server.key", "client.key");
    let f = write(&dir, "ok.toml", &ok);
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
