//! loadgen-engine: schedules virtual users over time and measures what they do.
//!
//! This crate owns time, workload models and measurement. It knows no protocol (no hyper, no
//! WebSocket) and no file format (no TOML): protocol crates implement [`Session`] and
//! [`SessionFactory`], the scenario crate builds a [`Plan`] out of them.
//!
//! # What "latency" means
//!
//! Every iteration has an *intended start*. In the open model it is the arrival instant the
//! schedule asked for, whether or not a VU was free and the thread was on time; in the closed
//! model it is the instant the VU began the iteration (after its think time). A step's
//! **latency** runs from its intended start to its completion, so a stalled target or a
//! saturated generator shows up in the percentiles instead of silently delaying the next
//! request (coordinated omission). The first step of an iteration has the iteration's
//! intended start; a later step's intended start is the completion of the one before it.
//! **Service time** runs from the actual send to completion. **Schedule lag** (actual start
//! minus intended start) is recorded per workload as its own histogram: it is the generator's
//! own lateness, so for an arrival that had to wait for a VU (below) it is taken when the
//! arrival joined the backlog, and the wait itself is in its latency, not in lag.
//!
//! # When an arrival is dropped
//!
//! An open-model arrival takes an idle VU from its thread's pool; if none is idle and the pool
//! already holds its share of `max_vus`, the arrival waits in the thread's *backlog* (its
//! share of `backlog`, oldest first) for the next VU that finishes, keeping its intended start
//! so the wait counts in its latency. An arrival that finds the backlog full too is counted as
//! *dropped* and nothing is sent; so are arrivals still waiting when the run is stopped.
//! Dropped arrivals are never retried or skipped silently.
//!
//! Arrivals are released by a timer of sub-millisecond resolution where the OS has one
//! (Linux's timerfd; tokio's own timer rounds up to whole milliseconds), never before their
//! intended start; see [`RunOptions::arrival_granularity`].
//!
//! # Threads and shards
//!
//! [`run`] starts one OS thread per requested worker, each with its own current-thread tokio
//! runtime, its own VUs, connections and HDR histograms. Nothing is shared per request: each
//! thread hands its interval metrics to the aggregator (the caller's thread) by message once
//! per interval. Threads and machines split a plan by [`Segment`]: a fixed, disjoint share of
//! the arrivals (by index) and of the VUs (by id), so that all segments together are exactly
//! the unsegmented run.
//!
//! # Changes by hand
//!
//! [`RunControl::request`] pauses and resumes arrivals (an open-model arrival due in a paused
//! span is *skipped*, counted as `skipped_paused`, neither sent nor dropped), scales every open
//! workload's rate curve by a factor of the plan (never past [`RunControl::limit_scale`]),
//! sets every closed workload's VU count (VUs past the plan's most are started; VUs past the
//! count finish their iteration and go offline) or stops the run gracefully. A change is
//! logged and published to the drivers as a message on a watch channel, which they look at
//! only where they already wait: no atomic is read per arrival. It takes effect at one
//! instant of the run's clock, [`CHANGE_LEAD`] ahead and on a 1 ms slice, on every thread
//! alike, and is emitted as [`Event::Changed`] before the interval it falls in.
//!
//! # Intervals
//!
//! A step counts in the interval its completion instant falls in: a thread closes an interval
//! when it records the first completion past its end, or when its ticker finds it idle at the
//! end, so a thread whose ticker runs late never moves requests between rows. VUs busy (in an
//! iteration) and online (closed model: turned on by the stages, think time included; open
//! model: in the pool) are tallied on the thread at each change as peaks and VU·time areas
//! (time-weighted means), with instants the loop already has. The last interval runs from its
//! start to the end of the load and also holds what the graceful stop let finish, so the
//! intervals add up to the totals and none is a sliver.
//!
//! # Shutdown sequence
//!
//! 1. At the end of the plan (or on [`RunControl::stop`], or when every closed-model VU has
//!    run its `iterations`) no new iteration starts: the load ends, and the run's elapsed
//!    time is measured to that instant. An open workload's load ends at its schedule's end,
//!    not at its last arrival.
//! 2. In-flight iterations get `graceful_stop` to finish; their results are recorded normally,
//!    in the last interval.
//!    The open model never goes past the planned end plus `graceful_stop`, however far behind
//!    its release loop is: arrivals not released by then are counted as *dropped* (and any
//!    it released after the planned end count in the last interval too).
//! 3. Whatever is still running then (or at once on [`RunControl::kill`]) is cancelled and
//!    counted as *interrupted*; every thread sends its last interval.
//! 4. [`run`] returns the [`FinalReport`] with the totals of every interval.

#![forbid(unsafe_code)]

mod arrival;
mod closed;
mod code;
mod control;
mod cpu;
mod ctx;
mod custom;
mod driver;
mod error;
mod handoff;
mod histogram;
mod interval;
pub mod limits;
mod metrics;
mod model;
mod open;
mod open_vu;
mod outcome;
mod pacing;
mod plan;
mod rate;
mod report;
mod runner;
mod segment;
mod session;
mod setup;
mod shard;
mod steer;
mod vu_loop;

pub use arrival::{ArrivalSchedule, Spacing};
pub use closed::VuStages;
pub use code::{Code, InvalidCode};
pub use control::{Change, Command, ControlError, RunControl, CHANGE_LEAD, MAX_SCALE};
pub use cpu::thread_cpu_time;
pub use custom::{CustomInfo, CustomKind, CustomMetric, CustomValue, GaugeMerge};
pub use error::EngineError;
pub use handoff::BACKLOG_PER_THREAD;
pub use histogram::{new_histogram, Histogram};
pub use metrics::{Metrics, StepMetrics, WorkloadMetrics};
pub use model::{ClosedModel, Model, OpenModel, ThinkTime, VuOrder};
pub use outcome::Outcome;
pub use plan::{Plan, Workload};
pub use rate::{ConstantRate, RateFn, RateStage, RateStages};
pub use report::{Event, FinalReport, IntervalReport, StepInfo};
pub use runner::{run, RunOptions, DEFAULT_ARRIVAL_GRANULARITY, MAX_THREADS};
pub use segment::{Segment, SegmentError};
pub use session::{Iteration, Recorder, Session, SessionFactory, Setup, StepSample, VuInfo};
pub use shard::run_shard;
