//! `[workload.postgres]` and the `sql = {…}` / `transaction = […]` step keys as written.

use loadgen_grammar::check::S;
use loadgen_grammar::known::known_fields;
use serde::Deserialize;

known_fields! {
/// `[workload.postgres]`: the database a workload's SQL steps run against.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPostgres {
    pub(crate) url: S<String>,
    #[serde(default)]
    pub(crate) setup: Vec<S<String>>,
    pub(crate) connect_timeout: Option<S<String>>,
    pub(crate) timeout: Option<S<String>>,
}
}

known_fields! {
/// One statement: `{ query = "…", params = […], types = […] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    pub(crate) query: S<String>,
    #[serde(default)]
    pub(crate) params: Vec<S<String>>,
    #[serde(default)]
    pub(crate) types: Vec<S<String>>,
}
}
