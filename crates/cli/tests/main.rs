//! End-to-end tests of the `loadgen` binary: real processes, real sockets, real files.

mod support;

mod deploy;
mod fault_matrix;
mod faults;
mod live;
mod resilience;
mod runs;
mod shared_nothing;
mod signals;
mod validate;
mod webhooks;
mod ws;
