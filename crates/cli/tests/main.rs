//! End-to-end tests of the `loadgen` binary: real processes, real sockets, real files.

mod support;

mod deploy;
mod faults;
mod live;
mod runs;
mod shared_nothing;
mod signals;
mod validate;
