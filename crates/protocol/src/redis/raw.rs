//! A Redis step (`redis = {…}`) and a workload's `[workload.redis]`, as written.

use loadgen_grammar::check::S;
use loadgen_grammar::known::known_fields;
use serde::Deserialize;

/// One command as written: its name, then its arguments (strings or numbers).
pub(crate) type RawCommand = S<Vec<S<toml::Value>>>;

known_fields! {
/// `redis = { cmd = [...] }` or `redis = { pipeline = [[...], [...]] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedisStep {
    pub(crate) cmd: Option<RawCommand>,
    pub(crate) pipeline: Option<S<Vec<RawCommand>>>,
}
}

known_fields! {
/// `[workload.redis]`: where the workload's VUs connect.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedisWorkload {
    pub(crate) url: S<String>,
    pub(crate) timeout: Option<S<String>>,
    pub(crate) connect_timeout: Option<S<String>>,
}
}
