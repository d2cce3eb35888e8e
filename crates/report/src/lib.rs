//! loadgen-report: what a run's results are and where they go. One sink ([`Results`]) takes
//! a run's identity and layout ([`RunInfo`]) and its stream of intervals, and writes every
//! file of a results folder — `summary.json`/`summary.txt`, `timeseries.csv`, `latency.hlog`,
//! `junit.xml`, `report.html`, `run.json`, `metrics.jsonl` and the `scenario.toml` copy —
//! then judges the thresholds and returns the verdict and its exit code. `loadgen run`, `merge`,
//! `worker` and `coordinator` all feed it; the Prometheus text ([`prometheus::Exposition`]),
//! the live line ([`live_line`]) and the `abort_on_fail` check ([`LiveThresholds`]) watch the
//! same stream ([`Observer`], [`Stream`]).
//!
//! It also owns the lossless codec of interval metrics (`metrics.jsonl`, the same records the
//! fleet sends over its control channel), the judging of thresholds on measured metrics, the
//! generator's saturation judgement and `loadgen compare`.
//!
//! It must not know how a run is made (the engine's), what a scenario file looks like (the
//! scenario crate's: this crate reads a validated `Scenario` for names and thresholds), any
//! protocol, the network, or the command line, and it never prints: it returns text and the
//! binary decides what goes to the terminal.

#![forbid(unsafe_code)]

mod assembled;
mod chart_points;
pub mod charts;
mod codec;
pub mod compare;
mod error;
mod folder;
pub mod html_report;
mod live;
pub mod live_line;
pub mod out_dir;
pub mod out_file;
mod partial;
mod plan_identity;
pub mod prometheus;
pub mod results;
mod run_info;
pub mod saturation;
mod self_stats;
mod sink;
mod stream;
mod summary;
mod summary_text;
mod summary_threshold;

mod verdict;

pub use assembled::{Assembled, Assembling};
pub use codec::{
    decode_hist, encode_hist, CustomRecord, MetricsRecord, RecordError, StepRecord, WorkloadRecord,
};
pub use error::ReportError;
pub use folder::{check_shape, FolderWriter, IntervalLine, METRICS_FILE};
pub use live::LiveThresholds;
pub use loadgen_judge::WorstWindow;
pub use loadgen_judge::{evaluate, evaluate_all, ThresholdResult};
pub use plan_identity::{cpu_seconds, start_at, PlanIdentity, StartAtError, START_AT_HORIZON};
pub use run_info::{
    parse_rfc3339, plan_hash, rfc3339, unix_ns, ChangeRecord, CustomName, Layout, Overrides,
    Rfc3339Error, RunInfo, StepName, FORMAT_VERSION, OLDEST_FORMAT_VERSION,
};
pub use self_stats::{collect as generator_stats, peak_rss_bytes};
pub use sink::{check_layout, Finished, Footprint, LayoutMismatch, Results, RunEnd};
pub use stream::{Observer, Stream};
pub use summary::{
    CustomSummary, Percentiles, RunSummary, StepSummary, ThresholdSummary, Totals, WindowSpan,
    WindowSummary, WorkloadSummary, SCHEMA_VERSION,
};
pub use verdict::{Judgement, Verdict};
