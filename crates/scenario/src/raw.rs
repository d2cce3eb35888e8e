//! The scenario file as written: serde types that keep source spans, nothing interpreted yet.
//!
//! # The scenario format
//!
//! A scenario is one TOML file. Every table rejects fields it does not know. Values with units
//! are strings: durations `250us`, `500ms`, `1.5s`, `2m`, `1h30m`; rates `100/s`, `50/min`,
//! `3000/h` (or per any duration: `100/10s`); ratios `2%`, `0.1%` or a number from 0 to 1. A
//! number without a unit is an error. `${VAR}` and `${VAR:-default}` are replaced in every
//! string (keys included) from the environment before parsing; `$${` writes `${`; `{{...}}`
//! (per-iteration template variables such as `{{uuid}}`, `{{vu}}`) are kept for the protocol.
//!
//! ```toml
//! name = "ecommerce-burst"            # required; names here and below are non-empty and
//!                                     # hold none of { } , = " / \
//! description = "..."                 # optional
//! target = "${TARGET_URL:-embedded}"  # required: an http(s) URL, or "embedded" (the demo
//!                                     # target, started on loopback)
//! duration = "60s"                    # default for workloads without their own
//! seed = 42                           # optional, default 1
//! graceful_stop = "5s"                # optional, default 5s
//!
//! [http]                              # optional defaults for every http step
//! version = "http1"                   # http1 (default) | http2
//! insecure = false                    # accept any TLS certificate (default false)
//! connect_timeout = "5s"              # default 5s
//! timeout = "10s"                     # whole request, default 10s
//! headers = { "x-api-key" = "demo" }  # sent with every request (steps may add more)
//!
//! [[workload]]
//! name = "checkout"                   # required, unique
//! model = "open"                      # required: open | closed
//! start = "0s"                        # offset from the run's start, default 0s
//! duration = "1m"                     # default: the top-level duration. Not allowed
//!                                     # with stages: their sum is the duration.
//! # --- open model (arrival rate) ---
//! rate = "50/s"                       # a constant rate, OR ramping stages:
//! # start_rate = "0/s"                # rate at t = 0 (default 0/s), only with stages
//! # stages = [{ duration = "30s", target = "100/s" }, { duration = "1m", target = "100/s" }]
//! arrivals = "uniform"                # uniform (default) | poisson
//! max_vus = 200                       # required: the VU pool never grows past it
//! pre_allocated_vus = 20              # default min(max_vus, 10)
//! # --- closed model (concurrency) ---
//! # vus = 10                          # constant VUs, OR ramping stages (integer targets):
//! # start_vus = 0                     # VUs at t = 0 (default 0), only with stages
//! # stages = [{ duration = "30s", target = 20 }, { duration = "1m", target = 20 }]
//! # think_time = "1s"                 # or { uniform = ["500ms", "2s"] } or
//! #                                   # { exponential = "1s" } (mean); default none
//! # iterations = 100                  # per VU; optional
//!
//!   [[workload.step]]                 # at least one; names unique within the workload
//!   name = "create-payment"
//!   http = { method = "POST", path = "/api/payments", headers = { "Idempotency-Key" = "{{uuid}}" }, json = { amount = 1250, currency = "AUD" } }
//!   # http.body = "raw text" instead of json; path starts with "/"
//!   expect = { status = [201], body_contains = "succeeded", json = { "status" = "succeeded" }, expected_failure_status = [402] }
//!   # expect.status defaults to any 2xx; expected_failure_status: answers that count as
//!   # an *expected* failure (the target rightly rejected a request built to fail)
//!
//! [thresholds]                        # metric{filter} = [expression, ...]
//! "latency" = ["p(95) < 500ms"]
//! "latency{step=create-payment}" = ["p(95) < 500ms", "p(99) < 1s"]
//! "errors" = ["rate < 0.1%"]
//! "requests" = ["rate > 16/s"]
//! "checks" = ["rate > 99%"]
//! "dropped" = ["count < 1"]
//! "latency{workload=checkout}" = [{ threshold = "p(99) < 2s", abort_on_fail = true, delay_abort_eval = "10s" }]
//! ```
//!
//! Fields of one model on a workload of the other (`vus` on an open workload) are errors
//! naming the field. The threshold words are described in [`crate::threshold`].

use crate::raw_de::{OrderedMap, RawStageTarget, RawThink, RawThresholdItem};
use serde::Deserialize;
use toml::Spanned;

/// Shorthand: a value with its byte span in the parsed text.
pub(crate) type S<T> = Spanned<T>;

/// `[thresholds]`: keys in file order, each with its list of expressions.
pub(crate) type RawThresholds = S<OrderedMap<S<Vec<S<RawThresholdItem>>>>>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub target: Option<S<String>>,
    pub duration: Option<S<String>>,
    pub seed: Option<S<i64>>,
    pub graceful_stop: Option<S<String>>,
    pub http: Option<S<RawHttp>>,
    #[serde(default)]
    pub workload: Vec<S<RawWorkload>>,
    pub thresholds: Option<RawThresholds>,
}

/// `[http]`: defaults for every http step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub version: Option<S<String>>,
    pub insecure: Option<bool>,
    pub connect_timeout: Option<S<String>>,
    pub timeout: Option<S<String>>,
    pub headers: Option<S<OrderedMap<S<String>>>>,
}

/// One `[[workload]]`; fields of both models, checked against `model` later.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    pub name: Option<S<String>>,
    pub model: Option<S<String>>,
    pub start: Option<S<String>>,
    pub duration: Option<S<String>>,
    pub stages: Option<S<Vec<S<RawStage>>>>,
    // open
    pub rate: Option<S<String>>,
    pub start_rate: Option<S<String>>,
    pub arrivals: Option<S<String>>,
    pub max_vus: Option<S<i64>>,
    pub pre_allocated_vus: Option<S<i64>>,
    // closed
    pub vus: Option<S<i64>>,
    pub start_vus: Option<S<i64>>,
    pub think_time: Option<S<RawThink>>,
    pub iterations: Option<S<i64>>,
    #[serde(default)]
    pub step: Vec<S<RawStep>>,
}

/// `{ duration = "30s", target = "100/s" }` (open) or `{ duration = "30s", target = 20 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    pub duration: Option<S<String>>,
    pub target: Option<S<RawStageTarget>>,
}

/// One `[[workload.step]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub name: Option<S<String>>,
    pub http: Option<S<RawHttpStep>>,
    pub expect: Option<S<RawExpect>>,
}

/// A step's `http = { ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttpStep {
    pub method: Option<S<String>>,
    pub path: Option<S<String>>,
    pub headers: Option<S<OrderedMap<S<String>>>>,
    pub json: Option<S<serde_json::Value>>,
    pub body: Option<S<String>>,
}

/// A step's `expect = { ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub status: Option<S<Vec<S<i64>>>>,
    pub expected_failure_status: Option<S<Vec<S<i64>>>>,
    pub body_contains: Option<S<String>>,
    pub json: Option<S<OrderedMap<serde_json::Value>>>,
}

/// `{ threshold = "...", abort_on_fail = true, delay_abort_eval = "10s" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThresholdFull {
    pub threshold: Option<S<String>>,
    #[serde(default)]
    pub abort_on_fail: bool,
    pub delay_abort_eval: Option<S<String>>,
}

/// `think_time = { uniform = [...] }` or `{ exponential = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThinkTable {
    pub uniform: Option<S<Vec<S<String>>>>,
    pub exponential: Option<S<String>>,
}
