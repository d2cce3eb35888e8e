//! Distributed runs: merging shared-nothing result folders, and the live coordinator and
//! worker over an authenticated TLS control channel.
//!
//! This crate owns the merge of segments (reading their folders back as untrusted input),
//! the control protocol, its security (TLS, shared-secret HMAC bound to the TLS session, size
//! limits, worker allow-lists and ceilings), clock-offset measurement and segment assignment.
//!
//! It must not know about the command line or any protocol crate: it runs plans that the
//! scenario crate builds. The result files and their codec (`run.json`, `metrics.jsonl`) are
//! `loadgen-report`'s; the worker feeds its segment's intervals to that crate's sink as they
//! come, and the coordinator feeds its merged intervals to one as they are released (the
//! caller judges and closes it). The moved names are re-exported here, so callers of the
//! fleet need not know where they live.

#![forbid(unsafe_code)]

pub mod auth;
mod bounds;
mod coordinator;
mod error;
mod folders;
pub mod frame;
mod merge;
mod part;
pub mod policy;
pub mod protocol;
mod rate_bound;
mod scenario_of;
pub mod tls;
pub mod worker;

pub use coordinator::{
    run as coordinate, Coordinated, CoordinatorConfig, CoordinatorHooks, Expect, WorkerLive,
    WorkerReport, FLEET_CHANGE_LEAD, MAX_HELD, WORKER_SILENCE,
};
pub use error::FleetError;
pub use folders::{merge_folders, report_partial, FolderError, Output, Written};
pub use loadgen_report::{
    check_shape, decode_hist, encode_hist, parse_rfc3339, plan_hash, rfc3339, unix_ns, CustomName,
    CustomRecord, FolderWriter, IntervalLine, Layout, MetricsRecord, Overrides, RecordError,
    Rfc3339Error, RunInfo, StepName, StepRecord, WorkloadRecord, FORMAT_VERSION, METRICS_FILE,
    OLDEST_FORMAT_VERSION,
};
pub use merge::{coverage, merge, mixed_versions, overlap, Coverage, MergeOptions, Merged};
pub use part::{PartIntervals, RunPart};
pub use scenario_of::{read_scenario, scenario_of};
pub use worker::{
    connect as connect_to_coordinator, connect_again, serve, WorkerConfig, WorkerHooks,
    COORDINATOR_SILENCE,
};
