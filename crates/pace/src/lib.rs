//! When the open model's dispatcher wakes, and what it does for its VUs' sockets then.
//!
//! * [`ArrivalTimer`]: sub-millisecond waits for the dispatcher's next arrival (a timerfd in
//!   tokio's reactor; tokio's own timer rounds to the millisecond), at most one wake per
//!   arrival granularity.
//! * [`set`] (Linux): paced reads. Sockets kept out of tokio's reactor, in the thread's own
//!   epoll set, looked at when the dispatcher wakes anyway; their owners time answers by the
//!   kernel's receive timestamps.
//!
//! It must not know workloads, schedules or protocols: `loadgen-engine` decides when to wake
//! and what to pace, `loadgen-h1` reads the sockets.

// The open model's timerfd is registered with tokio in one `unsafe` block (timer.rs).
#![deny(unsafe_code)]

#[cfg(target_os = "linux")]
pub mod set;
mod timer;

pub use timer::ArrivalTimer;
