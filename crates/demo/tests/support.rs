//! A minimal HTTP/1.1 and h2c client over hyper's connection API, and target start-up.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use loadgen_demo::{LatencyModel, TargetConfig, TargetHandle};
use serde_json::Value;
use tokio::net::TcpStream;

pub fn start(cfg: TargetConfig) -> TargetHandle {
    loadgen_demo::spawn(cfg, "127.0.0.1:0".parse().unwrap()).expect("target starts")
}

pub fn start_default() -> TargetHandle {
    start(TargetConfig::default())
}

pub fn config(latency: LatencyModel, error_rate: f64) -> TargetConfig {
    TargetConfig {
        latency,
        error_rate,
        seed: 7,
        worker_threads: 1,
        faults: Vec::new(),
        ..TargetConfig::default()
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub json: Value,
}

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// One keep-alive connection to the target.
pub struct Client {
    addr: SocketAddr,
    sender: Sender,
}

impl Client {
    pub async fn h1(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("h1 handshake");
        tokio::spawn(conn);
        Client {
            addr,
            sender: Sender::H1(sender),
        }
    }

    /// HTTP/2 over cleartext with prior knowledge.
    pub async fn h2(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        Client {
            addr,
            sender: Sender::H2(sender),
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("host", self.addr.to_string());
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
            .unwrap();
        let response = match &mut self.sender {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        }
        .expect("response");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("non-JSON body {bytes:?}: {e}"));
        Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            json,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&mut self, path: &str, body: &str) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }
}
