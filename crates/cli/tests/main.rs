//! End-to-end tests of the `loadgen` binary: real processes, real sockets, real files.

mod support;

mod fault_matrix;
mod faults;
mod resilience;
mod runs;
mod signals;
mod validate;
mod webhooks;
mod ws;
