//! The WebSocket slice: the `[workload.ws]` table (`raw`), its checks (`validate`) and the
//! engine workload it becomes (`build`; one VU iteration = one connection's life).
//!
//! ```toml
//! [[workload]]
//! name = "traders"
//! model = "closed"
//! vus = 50
//! duration = "12s"
//!
//!   [workload.ws]
//!   url = "/ws/echo"                    # a path on the target, or ws:// / wss:// URL
//!   hold = "10s"                        # keep each connection this long, then close
//!   on_open = ['{"op":"subscribe","symbols":["AAPL"]}']
//!   send = { message = '{"id":"{{vu}}-{{seq}}"}', every = "100ms" }
//!   latency = { id = "id" }             # or { timestamp = "ts", unit = "ms" }
//!   reconnect = { max = 3, backoff = "100ms", max_backoff = "2s" }
//! ```

pub(crate) mod build;
pub(crate) mod raw;
mod spec;
pub(crate) mod validate;

pub(crate) use spec::is_step;
pub use spec::WsSpec;
