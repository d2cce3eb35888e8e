//! WebSocket endpoints of the demo target: `/ws/echo`, `/ws/market` and `/ws/orders`.
//!
//! The upgrade is answered on the HTTP connection (101 with the accept key); the socket is
//! then taken over with hyper's upgrade and served by tungstenite. Settings come from the
//! query so a scenario's URL says everything: `/ws/market?rate=100` (ticks per second per
//! connection, also settable in the subscribe message), `/ws/orders?delay_ms=5`.
//!
//! * echo: every data message comes back unchanged (so an `id` in it comes back too).
//! * market: `{"op":"subscribe","symbols":["AAPL"],"rate":100}` starts pushes
//!   `{"type":"tick","symbol":"AAPL","seq":0,"price":101.25,"ts":1733011200123.456}` with
//!   `ts` the server's send time in Unix milliseconds; `{"op":"unsubscribe"}` stops them.
//! * orders: every JSON message with an `id` is acked `{"type":"ack","id":…}` after the delay.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{HeaderValue, CONNECTION, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::routes::{App, Body};

/// Small per-connection buffers: the scale runs hold tens of thousands of sockets.
const READ_BUFFER: usize = 4 * 1024;
/// Default push rate of `/ws/market`, ticks per second per connection.
const DEFAULT_TICK_RATE: f64 = 10.0;
/// Highest push rate one connection may ask for.
const MAX_TICK_RATE: f64 = 100_000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Echo,
    Market { rate: f64 },
    Orders { delay: Duration },
}

/// True for requests to the WebSocket endpoints (answered by [`upgrade`]).
pub(crate) fn is_ws_path(path: &str) -> bool {
    path.starts_with("/ws/")
}

/// Answers an upgrade request and serves the socket in its own task.
pub(crate) fn upgrade(app: Arc<App>, mut req: Request<Incoming>) -> Response<Body> {
    let query = req.uri().query().unwrap_or("").to_string();
    let kind = match req.uri().path() {
        "/ws/echo" => Kind::Echo,
        "/ws/market" => Kind::Market {
            rate: param(&query, "rate")
                .unwrap_or(DEFAULT_TICK_RATE)
                .clamp(0.0, MAX_TICK_RATE),
        },
        "/ws/orders" => Kind::Orders {
            delay: Duration::from_secs_f64(param(&query, "delay_ms").unwrap_or(0.0).max(0.0) / 1e3),
        },
        _ => return plain(StatusCode::NOT_FOUND, "no such WebSocket endpoint"),
    };
    let headers = req.headers();
    let wants_ws = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version_ok = headers
        .get("sec-websocket-version")
        .is_some_and(|v| v == "13");
    let Some(key) = headers
        .get("sec-websocket-key")
        .filter(|_| wants_ws && version_ok)
    else {
        return plain(
            StatusCode::BAD_REQUEST,
            "expected a WebSocket upgrade (version 13)",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    // Agree to the first subprotocol offered, so clients that require one get it.
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|p| p.trim().to_string());
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0);
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        app.counters.ws().connection_opened();
        serve(&app, ws, kind).await;
        app.counters.ws().connection_closed();
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert("sec-websocket-accept", v);
    }
    if let Some(v) = protocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        h.insert("sec-websocket-protocol", v);
    }
    resp
}

fn param(query: &str, name: &str) -> Option<f64> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
        .filter(|v: &f64| v.is_finite())
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *resp.status_mut() = status;
    resp
}

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// What a market connection is subscribed to.
struct Feed {
    /// Symbols as JSON strings (quoted and escaped once, at subscribe).
    symbols: Vec<String>,
    every: Duration,
    next: Instant,
    seq: u64,
}

async fn serve(app: &App, mut ws: Ws, kind: Kind) {
    let far = || Instant::now() + Duration::from_secs(86_400);
    let mut feed: Option<Feed> = None;
    let mut acks: VecDeque<(Instant, Utf8Bytes)> = VecDeque::new();
    loop {
        let next_tick = feed.as_ref().map_or_else(far, |f| f.next);
        let next_ack = acks.front().map_or_else(far, |a| a.0);
        tokio::select! {
            msg = ws.next() => {
                let msg = match msg {
                    Some(Ok(m)) => m,
                    // A cut connection or a protocol error ends the session.
                    Some(Err(_)) | None => return,
                };
                let reply = match msg {
                    Message::Text(t) => {
                        app.counters.ws().message_received();
                        on_text(kind, t, &mut feed, &mut acks)
                    }
                    Message::Binary(b) => {
                        app.counters.ws().message_received();
                        (kind == Kind::Echo).then_some(Message::Binary(b))
                    }
                    Message::Close(_) => {
                        app.counters.ws().close_received();
                        // tungstenite queued the close reply; flush it and wait for the end.
                        let _ = ws.flush().await;
                        continue;
                    }
                    Message::Ping(_) => {
                        let _ = ws.flush().await;
                        None
                    }
                    _ => None,
                };
                if let Some(r) = reply {
                    if ws.send(r).await.is_err() {
                        return;
                    }
                    app.counters.ws().message_sent();
                }
            }
            () = sleep_until(next_tick), if feed.is_some() => {
                let Some(f) = feed.as_mut() else { continue };
                let symbol = &f.symbols[(f.seq % f.symbols.len() as u64) as usize];
                let tick = tick(symbol, f.seq);
                f.seq += 1;
                // Keep the schedule, but never burst to catch up after a stall.
                f.next = (f.next + f.every).max(Instant::now() - f.every);
                if ws.send(Message::Text(tick.into())).await.is_err() {
                    return;
                }
                app.counters.ws().message_sent();
            }
            () = sleep_until(next_ack), if !acks.is_empty() => {
                let Some((_, ack)) = acks.pop_front() else { continue };
                if ws.send(Message::Text(ack)).await.is_err() {
                    return;
                }
                app.counters.ws().message_sent();
            }
        }
    }
}

fn on_text(
    kind: Kind,
    text: Utf8Bytes,
    feed: &mut Option<Feed>,
    acks: &mut VecDeque<(Instant, Utf8Bytes)>,
) -> Option<Message> {
    match kind {
        Kind::Echo => Some(Message::Text(text)),
        Kind::Market { rate } => {
            let v: Value = serde_json::from_str(text.as_str()).ok()?;
            match v.get("op").and_then(Value::as_str) {
                Some("subscribe") => {
                    let symbols: Vec<String> = v
                        .get("symbols")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter(|s| s.is_string())
                                .map(Value::to_string)
                                .collect()
                        })
                        .filter(|s: &Vec<String>| !s.is_empty())
                        .unwrap_or_else(|| vec![r#""DEMO""#.to_string()]);
                    let rate = v
                        .get("rate")
                        .and_then(Value::as_f64)
                        .unwrap_or(rate)
                        .clamp(0.0, MAX_TICK_RATE);
                    *feed = (rate > 0.0).then(|| Feed {
                        symbols,
                        every: Duration::from_secs_f64(1.0 / rate),
                        next: Instant::now(),
                        seq: 0,
                    });
                    let ack = serde_json::json!({"type": "subscribed", "rate": rate});
                    Some(Message::Text(ack.to_string().into()))
                }
                Some("unsubscribe") => {
                    *feed = None;
                    Some(Message::Text(r#"{"type":"unsubscribed"}"#.into()))
                }
                _ => Some(Message::Text(
                    r#"{"type":"error","error":"unknown op"}"#.into(),
                )),
            }
        }
        Kind::Orders { delay } => {
            let id = serde_json::from_str::<Value>(text.as_str())
                .ok()
                .and_then(|mut v| v.get_mut("id").map(Value::take));
            match id {
                Some(id) => {
                    let ack = serde_json::json!({"type": "ack", "id": id, "status": "accepted"});
                    if delay.is_zero() {
                        Some(Message::Text(ack.to_string().into()))
                    } else {
                        acks.push_back((Instant::now() + delay, ack.to_string().into()));
                        None
                    }
                }
                None => Some(Message::Text(
                    r#"{"type":"error","error":"an order needs an id"}"#.into(),
                )),
            }
        }
    }
}

/// A tick for `symbol`, a JSON string literal.
fn tick(symbol: &str, seq: u64) -> String {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as f64
        / 1e3;
    let price = 100.0 + (seq % 200) as f64 * 0.25;
    format!(r#"{{"type":"tick","symbol":{symbol},"seq":{seq},"price":{price:.2},"ts":{ts:.3}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_query_parameters() {
        assert_eq!(param("rate=100&x=1", "rate"), Some(100.0));
        assert_eq!(param("delay_ms=2.5", "delay_ms"), Some(2.5));
        assert_eq!(param("rate=abc", "rate"), None);
        assert_eq!(param("", "rate"), None);
    }

    #[test]
    fn ticks_carry_symbol_sequence_and_millisecond_timestamp() {
        let t: Value = serde_json::from_str(&tick(r#""AAPL""#, 3)).unwrap();
        assert_eq!(t["symbol"], "AAPL");
        assert_eq!(t["seq"], 3);
        assert!(t["ts"].as_f64().unwrap() > 1.6e12);
    }
}
