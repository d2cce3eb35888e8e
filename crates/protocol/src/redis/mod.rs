//! The Redis slice: `redis = { cmd = […] }` and `redis = { pipeline = [[…], […]] }` steps with
//! `expect = { reply, nil, int }`, and the workload's `[workload.redis]` connection — as written
//! (`raw`), checked (`validate`), and built into a `RedisFactory` workload (`build`).
//!
//! ```toml
//! [[workload]]
//! name = "sessions"
//! model = "closed"
//! vus = 10
//! duration = "10s"
//!
//!   [workload.redis]
//!   url = "${REDIS_URL:-redis://127.0.0.1:6390}"   # redis:// or rediss://, user:password@
//!   timeout = "2s"                                 # per step (a whole pipeline)
//!
//!   [[workload.step]]
//!   name = "set"
//!   redis = { cmd = ["SET", "session:{{vu}}", "{{uuid}}", "EX", 1800] }
//!   expect = { reply = "OK" }
//! ```

pub(crate) mod build;
pub(crate) mod raw;
mod spec;
pub(crate) mod validate;

pub use spec::{RedisStepSpec, RedisWorkload};
