//! Distributed runs: merging shared-nothing result folders, and the live coordinator and
//! worker over an authenticated TLS control channel.
//!
//! This crate owns the merge-ready result files (`run.json`, `metrics.jsonl`), the lossless
//! encoding of interval metrics, the merge of segments, the control protocol, its security
//! (TLS, shared-secret HMAC bound to the TLS session, size limits, worker allow-lists and
//! ceilings), clock-offset measurement and segment assignment.
//!
//! It must not know about the command line or any protocol crate: it runs plans that the
//! scenario crate builds, and hands results back to the caller to write.

#![forbid(unsafe_code)]

pub mod auth;
mod bounds;
mod codec;
mod coordinator;
mod error;
mod folder;
pub mod frame;
mod merge;
pub mod policy;
pub mod protocol;
mod rate_bound;
mod run_info;
pub mod tls;
pub mod worker;

pub use codec::{
    decode_hist, encode_hist, CustomRecord, MetricsRecord, RecordError, StepRecord, WorkloadRecord,
};
pub use coordinator::{
    run as coordinate, Coordinated, CoordinatorConfig, CoordinatorHooks, Expect, WorkerReport,
    WORKER_SILENCE,
};
pub use error::FleetError;
pub use folder::{check_shape, FolderWriter, IntervalLine, RunPart, METRICS_FILE};
pub use merge::{coverage, merge, overlap, Coverage, MergeOptions, Merged};
pub use run_info::{
    parse_rfc3339, plan_hash, rfc3339, unix_ns, CustomName, Layout, Overrides, Rfc3339Error,
    RunInfo, StepName, FORMAT_VERSION, OLDEST_FORMAT_VERSION,
};
pub use worker::{
    connect as connect_to_coordinator, serve, FinishedRun, WorkerConfig, WorkerHooks,
    COORDINATOR_SILENCE,
};
