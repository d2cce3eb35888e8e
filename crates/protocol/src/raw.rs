//! The workload and step tables as written: serde structs that reject unknown fields and
//! keep spans where a later check must point at a value. A step holds one key per step
//! protocol and a workload the tables of the protocols that own a workload, so these live
//! with the slices that read them. No meaning is given here; see each slice's `validate`.

use crate::http::raw::{RawCapture, RawExpect, RawHttpStep};
use crate::known_tables::{CallbackTable, RateValue, WebhookTable};
use crate::ws::raw::RawWs;
use indexmap::IndexMap;
use loadgen_grammar::check::S;
use loadgen_grammar::known::known_fields;
use serde::Deserialize;

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
    pub redis: Option<S<crate::redis::raw::RawRedisWorkload>>,
    /// `[workload.postgres]`: the database of `sql` / `transaction` steps.
    pub postgres: Option<S<crate::pg::raw::RawPostgres>>,
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
    pub redis: Option<S<crate::redis::raw::RawRedisStep>>,
    /// `sql = { query = "…", params = […] }`: one PostgreSQL statement.
    pub sql: Option<S<crate::pg::raw::RawSql>>,
    /// `transaction = [{ query = … }, …]`: statements in one PostgreSQL transaction.
    pub transaction: Option<S<Vec<S<crate::pg::raw::RawSql>>>>,
    /// A transaction's isolation level.
    pub isolation: Option<S<String>>,
    pub expect: Option<S<RawExpect>>,
    /// `capture = { token = { json = "$.token" } }`: file order, see `journey.rs`.
    pub capture: Option<S<IndexMap<String, S<RawCapture>>>>,
    /// `"iteration"` (default) or `"vu"`: run once per VU, captures kept.
    pub scope: Option<S<String>>,
    /// HTTP steps: pause before the step (`"1s"` or a distribution, as `think_time`).
    pub think: Option<S<toml::Value>>,
    /// HTTP steps: run only when this capture holds a value.
    pub when: Option<S<String>>,
    /// HTTP steps: run with this probability (0..1).
    pub probability: Option<S<f64>>,
    /// HTTP steps: repeat (after `think` each time) for a length drawn from this.
    pub repeat_for: Option<S<toml::Value>>,
    /// HTTP steps: follow up to this many redirects (overrides `[http] follow_redirects`).
    pub follow_redirects: Option<S<u64>>,
}
}
