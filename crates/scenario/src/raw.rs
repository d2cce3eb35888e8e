//! The scenario file as written: serde structs that reject unknown fields and keep spans
//! where a later check must point at a value. No meaning is given here; see `validate`.
//! Each is declared inside `known_fields!`, which derives the key walk that reports every
//! unknown key and wrongly typed value of a file at once (`known.rs`).

use crate::known::known_fields;
use crate::known_tables::{CallbackTable, PayloadTable, RateValue, WebhookTable};
use crate::protocol::http::raw::{RawCapture, RawExpect, RawHttpStep};
use crate::protocol::ws::raw::RawWs;
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::BTreeMap;

pub use crate::check::S;

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
    pub embedded: Option<RawEmbedded>,
    pub http: Option<RawHttp>,
    #[serde(default)]
    pub payload: IndexMap<String, S<PayloadTable>>,
    #[serde(default)]
    pub feeder: IndexMap<String, S<RawFeeder>>,
    #[serde(default)]
    pub workload: Vec<S<RawWorkload>>,
    #[serde(default)]
    pub thresholds: IndexMap<String, S<Vec<S<RawThreshold>>>>, // file order
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
    pub connect_timeout: Option<S<String>>,
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

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub name: S<String>,
    pub model: S<String>,
    pub start: Option<S<String>>,
    pub duration: Option<S<String>>,
    // open
    pub rate: Option<S<RateValue>>,
    pub scale: Option<S<f64>>,
    pub start_rate: Option<S<String>>,
    pub arrivals: Option<S<String>>,
    pub max_vus: Option<S<u64>>,
    pub pre_allocated_vus: Option<S<u64>>,
    pub backlog: Option<S<u64>>,
    pub vu_order: Option<S<String>>,
    pub new_connection_per_iteration: Option<S<bool>>,
    // closed
    pub vus: Option<S<u64>>,
    pub start_vus: Option<S<u64>>,
    pub think_time: Option<S<toml::Value>>,
    pub iterations: Option<S<u64>>,
    // both
    pub stages: Option<S<Vec<S<RawStage>>>>,
    #[serde(default)]
    pub step: Vec<S<RawStep>>,
    pub ws: Option<S<RawWs>>,
    pub redis: Option<S<crate::protocol::redis::raw::RawRedisWorkload>>,
    /// `[workload.postgres]`: the database of `sql` / `transaction` steps.
    pub postgres: Option<S<crate::protocol::pg::raw::RawPostgres>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub duration: S<String>,
    pub target: S<toml::Value>,
}
}

known_fields! {
/// One `[[workload.step]]`: its name and shared fields, and one key per step protocol
/// (`http`, `webhook`, `callback`); which key is given decides the step's protocol.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: S<String>,
    pub http: Option<S<RawHttpStep>>,
    pub webhook: Option<S<WebhookTable>>,
    pub callback: Option<S<CallbackTable>>,
    pub redis: Option<S<crate::protocol::redis::raw::RawRedisStep>>,
    /// `sql = { query = "…", params = […] }`: one PostgreSQL statement.
    pub sql: Option<S<crate::protocol::pg::raw::RawSql>>,
    /// `transaction = [{ query = … }, …]`: statements in one PostgreSQL transaction.
    pub transaction: Option<S<Vec<S<crate::protocol::pg::raw::RawSql>>>>,
    /// A transaction's isolation level.
    pub isolation: Option<S<String>>,
    pub expect: Option<S<RawExpect>>,
    /// `capture = { token = { json = "$.token" } }`: file order, see `journey.rs`.
    pub capture: Option<S<IndexMap<String, S<RawCapture>>>>,
    /// `"iteration"` (default) or `"vu"`: run once per VU, captures kept.
    pub scope: Option<S<String>>,
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
