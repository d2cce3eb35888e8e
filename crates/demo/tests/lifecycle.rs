//! Start-up, configuration errors and shutdown.

use http::StatusCode;
use loadgen_demo::{DemoError, LatencyModel, TargetConfig};
use tokio::net::TcpStream;

use crate::support::{start_default, Client};

#[tokio::test]
async fn shutdown_with_an_idle_keep_alive_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = start_default();
    let addr = target.addr();
    assert_ne!(addr.port(), 0);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    // The connection stays open and idle while the target shuts down; shutdown returns and
    // closes it. (Whether something listens on the port afterwards proves nothing: on a busy
    // machine another process may take the freed port at once.)
    tokio::task::spawn_blocking(move || target.shutdown())
        .await
        .unwrap();
    let after = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the idle connection is closed, not left hanging");
    assert!(
        matches!(after, Ok(0) | Err(_)),
        "the idle keep-alive connection must be closed by the shutdown: {after:?}"
    );
}

#[test]
fn address_in_use_is_a_bind_error() {
    let first = start_default();
    let err = loadgen_demo::spawn(TargetConfig::default(), first.addr()).unwrap_err();
    assert!(matches!(err, DemoError::Bind { .. }), "{err:?}");
}

#[test]
fn invalid_config_is_rejected_before_binding() {
    let cfg = TargetConfig {
        error_rate: 2.0,
        latency: LatencyModel::Uniform {
            min: std::time::Duration::from_millis(5),
            max: std::time::Duration::from_millis(1),
        },
        ..TargetConfig::default()
    };
    let err = loadgen_demo::spawn(cfg, "127.0.0.1:0".parse().unwrap()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("error rate 2") && msg.contains("uniform minimum"),
        "{msg}"
    );
}

#[test]
fn spawn_works_from_inside_another_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let target = start_default();
        let mut client = Client::h1(target.addr()).await;
        assert_eq!(client.get("/health").await.status, StatusCode::OK);
        drop(target);
    });
}

/// `serve_blocking` reports its address, serves, and returns on SIGTERM. (Once installed,
/// tokio's handler keeps SIGTERM from killing this test process.)
#[cfg(unix)]
#[test]
fn serve_blocking_stops_on_sigterm() {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        loadgen_demo::serve_blocking(
            TargetConfig::default(),
            "127.0.0.1:0".parse().unwrap(),
            |addr| {
                tx.send(addr).unwrap();
            },
        )
    });
    let addr = rx.recv().expect("ready callback");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = Client::h1(addr).await;
        assert_eq!(client.get("/health").await.status, StatusCode::OK);
    });
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    server.join().unwrap().expect("serve_blocking returns Ok");
}
