//! Test support shared by the loadgen crates' tests (a dev-dependency only).
//!
//! * [`peer`]: the real programs and libraries some tests check loadgen against (nginx,
//!   promtool, openssl, Python's `hdrh`, `stripe`, `standardwebhooks`, `websockets`). One
//!   place decides what a missing one means: under CI (`CI` set) the test **fails**, naming
//!   the peer and how to install it; elsewhere it is skipped with a note on the terminal.
//! * [`nginx`]: knowing that a throwaway nginx serves its own ports.
//! * [`limits`]: raising the open-files limit for tests that hold thousands of sockets.
//! * [`pki`]: a CA, server and client leaves made fresh for TLS tests, and a rustls server.
//! * [`proxy`]: a CONNECT proxy on loopback that records what it was asked.
//! * [`redis`]: a throwaway `redis-server` on a free port, killed and restarted at will.
//! * [`postgres`]: throwaway PostgreSQL servers (`initdb` into a temporary folder as a
//!   non-root user, a free loopback port, stopped and removed at the end).

pub mod limits;
pub mod nginx;
pub mod peer;
pub mod pki;
pub mod postgres;
pub mod proxy;
pub mod redis;
