//! The scenario file as written: serde structs that reject unknown fields and keep spans
//! where a later check must point at a value. No meaning is given here; see `validate`.
//! Each is declared inside `known_fields!`, which derives the key walk that reports every
//! unknown key and wrongly typed value of a file at once (`known.rs`).

use crate::known::known_fields;
use crate::protocol::known_tables::PayloadTable;
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::BTreeMap;

pub use crate::check::S;
pub use crate::protocol::raw::RawWorkload;

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: S<String>,
    pub description: Option<String>,
    pub target: Option<S<String>>,
    pub duration: Option<S<String>>,
    pub seed: Option<u64>,
    pub graceful_stop: Option<S<String>>,
    /// Simulated seconds per real second: think times and repeated steps' session lengths
    /// are divided by it (wall-clock = planned / time_scale).
    pub time_scale: Option<S<f64>>,
    pub embedded: Option<RawEmbedded>,
    pub http: Option<RawHttp>,
    #[serde(default)]
    pub payload: IndexMap<String, S<PayloadTable>>,
    #[serde(default)]
    pub feeder: IndexMap<String, S<RawFeeder>>,
    /// `[[setup]]`: HTTP steps run once before the load.
    #[serde(default)]
    pub setup: Vec<S<crate::protocol::raw::RawStep>>,
    #[serde(default)]
    pub workload: Vec<S<RawWorkload>>,
    #[serde(default)]
    pub thresholds: IndexMap<String, S<Vec<S<RawThreshold>>>>, // file order
    /// Intervals before this instant are judged by no threshold without its own `from`.
    pub thresholds_from: Option<S<String>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeder {
    pub file: S<String>,
    pub order: Option<S<String>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmbedded {
    pub latency: Option<S<String>>,
    pub error_rate: Option<S<f64>>,
    pub seed: Option<u64>,
    pub threads: Option<S<u64>>,
    pub webhook_secret: Option<S<String>>,
    pub callback_delay: Option<S<String>>,
    /// `"optional"` (default) or `"required"`: API requests need a token (`--auth`).
    pub auth: Option<S<String>>,
    /// How long a login's token lives (`--token-ttl`).
    pub token_ttl: Option<S<String>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub version: Option<S<String>>,
    pub insecure: Option<bool>,
    pub fast_path: Option<bool>,
    pub cookies: Option<bool>,
    pub streams_per_connection: Option<S<i64>>,
    pub follow_redirects: Option<S<u64>>,
    pub connect_timeout: Option<S<String>>,
    pub max_connection_lifetime: Option<S<String>>,
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, S<String>>,
    pub ca_file: Option<S<String>>,
    pub client_cert: Option<S<String>>,
    pub client_key: Option<S<String>>,
    pub min_tls_version: Option<S<String>>,
    pub proxy: Option<S<String>>,
    #[serde(default)]
    pub tls_auth: Vec<S<RawTlsAuth>>,
    #[serde(default)]
    pub hosts: BTreeMap<String, S<String>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTlsAuth {
    pub domains: S<Vec<S<String>>>,
    pub client_cert: S<String>,
    pub client_key: S<String>,
}
}

/// A threshold: `"p(95) < 500ms"` or `{ threshold = "…", abort_on_fail = true, delay_abort_eval = "10s" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawThreshold {
    Expr(String),
    Full(RawThresholdFull),
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholdFull {
    pub threshold: String,
    #[serde(default)]
    pub abort_on_fail: bool,
    pub delay_abort_eval: Option<String>,
}
}

/// A threshold is a string or a table; any other value is reported where it stands.
impl crate::known::Known for RawThreshold {
    fn walk(item: &mut toml_edit::Item, path: &str, w: &mut crate::known::Walk<'_>) -> bool {
        if item.is_str() {
            true
        } else if item.is_table_like() {
            RawThresholdFull::walk(item, path, w)
        } else {
            w.wrong_type(item, path, "a threshold string or table")
        }
    }
}
