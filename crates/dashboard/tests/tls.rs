//! The dashboard over HTTPS (TLS forced on, on loopback): `ctl` with the printed fingerprint
//! and the token works, another certificate or token is refused and changes nothing, and
//! the run's data needs the token.

use loadgen_dashboard::{ctl, start, DashboardError, RunShape, Tls};
use loadgen_engine::{Command, RunControl, StepInfo};
use loadgen_fleet::tls::{connector, Identity};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn shape() -> RunShape {
    RunShape {
        steps: vec![StepInfo {
            workload: 0,
            workload_name: "shop".into(),
            name: "pay".into(),
        }],
        workloads: vec!["shop".into()],
        custom: Vec::new(),
        thresholds: Vec::new(),
    }
}

fn https_dashboard() -> (loadgen_dashboard::Dashboard, RunControl, String) {
    let id = Identity::generate(&["loadgen-dashboard".to_string()]).unwrap();
    let fingerprint = id.fingerprint();
    let tls = Tls {
        acceptor: id.acceptor().unwrap(),
        fingerprint: fingerprint.clone(),
    };
    let control = RunControl::new();
    // The run's clock has started (as the engine would have begun it): changes are accepted.
    control.begin_in(Duration::ZERO, true, false);
    let d = start(
        "127.0.0.1:0".parse().unwrap(),
        control.clone(),
        shape(),
        Some(tls),
    )
    .unwrap();
    (d, control, fingerprint)
}

/// One request over TLS (pinned to `fingerprint`); the whole answer.
fn https(port: u16, fingerprint: &str, raw: String) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (c, _) = connector(&[fingerprint.to_string()]).unwrap();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("loadgen-dashboard").unwrap();
        let mut s = c.connect(name, tcp).await.unwrap();
        s.write_all(raw.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut buf = [0u8; 4096];
            // An event stream stays open: its first event is enough.
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&out).contains("event: hello") {
                    break;
                }
            }
        });
        let _ = read.await;
        String::from_utf8_lossy(&out).to_string()
    })
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn ctl_pins_the_fingerprint_and_needs_the_token() {
    let (d, control, fingerprint) = https_dashboard();
    assert!(d.url.starts_with("https://127.0.0.1:"), "{}", d.url);
    assert_eq!(d.fingerprint.as_deref(), Some(fingerprint.as_str()));
    let url = d.plain_url.clone();
    let token = d.token().reveal().to_string();
    let (pinned, _) = connector(std::slice::from_ref(&fingerprint)).unwrap();

    // Another certificate's fingerprint: refused in the handshake, before the token is sent.
    let other = Identity::generate(&["x".to_string()])
        .unwrap()
        .fingerprint();
    let (wrong_pin, _) = connector(&[other]).unwrap();
    let e = ctl(&url, &token, "pause", Some(&wrong_pin)).unwrap_err();
    assert!(matches!(e, DashboardError::Tls { .. }), "{e}");
    // No fingerprint for an https URL: refused before connecting.
    let e = ctl(&url, &token, "pause", None).unwrap_err();
    assert!(matches!(e, DashboardError::NoPin(_)), "{e}");
    // The right certificate, a wrong token: 401.
    let e = ctl(
        &url,
        "0123456789abcdef0123456789abcdef",
        "pause",
        Some(&pinned),
    )
    .unwrap_err();
    assert!(
        matches!(e, DashboardError::Refused { status: 401, .. }),
        "{e}"
    );
    assert!(control.changes().is_empty(), "nothing changed");

    // Both right: the change is made.
    let answer = ctl(&url, &token, "pause", Some(&pinned)).unwrap();
    assert!(answer.starts_with("pause at "), "{answer}");
    let whats: Vec<Command> = control.changes().iter().map(|c| c.what).collect();
    assert_eq!(whats, [Command::Pause]);
    d.close();
}

#[test]
fn over_tls_the_data_needs_the_token() {
    let (d, _, fingerprint) = https_dashboard();
    let port = d.port();
    let token = d.token().reveal().to_string();
    let host = format!("host: 127.0.0.1:{port}\r\n");
    // The page without the token is the empty shell: no step name, no data.
    let shell = https(port, &fingerprint, format!("GET / HTTP/1.1\r\n{host}\r\n"));
    assert_eq!(status(&shell), 200);
    assert!(shell.contains("const HELLO = /*HELLO*/null"), "{shell}");
    assert!(!shell.contains("shop/pay"));
    // The event stream without it: 401; with the page's cookie or the header: the data.
    let events = |extra: &str| {
        https(
            port,
            &fingerprint,
            format!("GET /events HTTP/1.1\r\n{host}{extra}\r\n"),
        )
    };
    assert_eq!(status(&events("")), 401);
    assert_eq!(
        status(&events(
            "cookie: loadgen_token=0123456789abcdef0123456789abcdef\r\n"
        )),
        401
    );
    let cookie = events(&format!("cookie: a=b; loadgen_token={token}\r\n"));
    assert_eq!(status(&cookie), 200, "{cookie}");
    assert!(cookie.contains("shop/pay"), "{cookie}");
    let bearer = events(&format!("authorization: Bearer {token}\r\n"));
    assert_eq!(status(&bearer), 200);
    // The cookie never authorises a change (a browser would attach it to any page's request).
    let post = https(
        port,
        &fingerprint,
        format!(
            "POST /control HTTP/1.1\r\n{host}cookie: loadgen_token={token}\r\ncontent-length: 5\r\n\r\npause"
        ),
    );
    assert_eq!(status(&post), 401);
    // A foreign origin is still refused.
    let foreign = https(
        port,
        &fingerprint,
        format!("GET / HTTP/1.1\r\n{host}origin: https://evil.example\r\n\r\n"),
    );
    assert_eq!(status(&foreign), 403);
    d.close();
}
