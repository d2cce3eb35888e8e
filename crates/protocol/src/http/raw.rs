//! An HTTP step as written: `http = {…}`, `expect = {…}` and `capture = {…}`.

use loadgen_grammar::check::S;
use loadgen_grammar::known::known_fields;
use serde::Deserialize;
use std::collections::BTreeMap;

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttpStep {
    pub method: Option<S<String>>,
    pub path: S<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, S<String>>,
    pub json: Option<toml::Value>,
    pub body: Option<String>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub status: Option<S<Vec<S<u16>>>>,
    pub expected_failure_status: Option<S<Vec<S<u16>>>>,
    pub body_contains: Option<String>,
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// Redis steps' checks (the Redis slice reads them; HTTP steps refuse them).
    pub reply: Option<S<String>>,
    pub nil: Option<S<bool>>,
    pub int: Option<S<Vec<S<i64>>>>,
    /// SQL steps: exactly this many rows returned or touched.
    pub rows: Option<S<u64>>,
    /// SQL steps: at least this many.
    pub min_rows: Option<S<u64>>,
}
}

known_fields! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCapture {
    pub json: Option<String>,
    pub header: Option<String>,
    pub cookie: Option<String>,
    pub regex: Option<String>,
    /// SQL steps: a column of the first returned row.
    pub column: Option<String>,
}
}
