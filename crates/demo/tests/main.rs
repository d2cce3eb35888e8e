//! Integration tests of the demo target over real HTTP on loopback.

mod api;
mod counters;
mod injection;
mod lifecycle;
mod support;
mod webhooks;
