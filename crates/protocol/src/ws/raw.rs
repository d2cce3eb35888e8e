//! `[workload.ws]` as written.

use loadgen_grammar::check::S;
use loadgen_grammar::known::known_fields;
use serde::Deserialize;
use std::collections::BTreeMap;

known_fields! {
/// `[workload.ws]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWs {
    pub(crate) url: S<String>,
    pub(crate) hold: S<String>,
    pub(crate) connect_timeout: Option<S<String>>,
    pub(crate) close_timeout: Option<S<String>>,
    #[serde(default)]
    pub(crate) insecure: bool,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, S<String>>,
    #[serde(default)]
    pub(crate) subprotocols: Vec<String>,
    #[serde(default)]
    pub(crate) source_addrs: Vec<S<String>>,
    #[serde(default)]
    pub(crate) on_open: Vec<S<String>>,
    pub(crate) send: Option<S<RawSend>>,
    pub(crate) reply: Option<S<String>>,
    pub(crate) ping: Option<S<String>>,
    pub(crate) latency: Option<S<RawLatency>>,
    pub(crate) reconnect: Option<S<RawReconnect>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSend {
    pub(crate) message: S<String>,
    pub(crate) every: Option<S<String>>,
    pub(crate) rate: Option<S<String>>,
    pub(crate) count: Option<S<u64>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLatency {
    pub(crate) id: Option<S<String>>,
    pub(crate) timestamp: Option<S<String>>,
    pub(crate) unit: Option<S<String>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReconnect {
    pub(crate) max: Option<S<u32>>,
    pub(crate) backoff: Option<S<String>>,
    pub(crate) max_backoff: Option<S<String>>,
}
}
