//! Integration tests for loadgen-ws: real sessions run by the engine against the embedded
//! target, small in-test servers that misbehave on purpose, and Python's `websockets`.

mod faults;
mod python;
mod support;
mod target;
