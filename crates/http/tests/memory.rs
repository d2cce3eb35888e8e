//! What each VU holds while it waits: every VU of a run is one task holding its session and its
//! iteration's future, so their sizes are the client's memory per connection (10,000
//! connections × a few KiB). Rare work (opening a connection, a TLS handshake, hyper's request)
//! is boxed when it happens instead of sitting inline in every VU; these budgets catch it when
//! it no longer is. The budgets leave room (1.3× and 1.4× today's sizes in the test profile;
//! release builds lay the iteration's future out the same size).

use crate::support::{config, get};
use loadgen_engine::{Iteration, Recorder, Session, SessionFactory, VuInfo};
use loadgen_http::{HttpFactory, HttpVersion, RunNonce};
use std::sync::Arc;
use tokio::time::Instant;

/// One session type serves every path (HTTP/1.1 fast, hyper, lean HTTP/2, shared HTTP/2), so
/// one VU's sizes are every VU's.
#[test]
fn a_waiting_vu_holds_a_few_kib() {
    let config = config("http://127.0.0.1:9", HttpVersion::Http1);
    let factory = HttpFactory::new(Arc::new(config), vec![get("a", "/a"), get("b", "/b")])
        .expect("valid factory")
        .with_run_nonce(RunNonce::CHECK);
    let recorder = Recorder::new(2, 1);
    let mut session = factory.session(VuInfo {
        id: 1,
        workload: 0,
        seed: 7,
        paced_reads: false,
    });
    let held = std::mem::size_of_val(&session);
    let it = Iteration::new(&recorder, 0, 1, 0, Instant::now());
    // Made, never polled: nothing is sent.
    let future = session.iteration(&it);
    let waiting = std::mem::size_of_val(&future);
    // Today 792 and 1,840 bytes. Boxing neither the HTTP/2 connection state nor a fast step's
    // connection opening made them about 1,160 and 6,050.
    assert!(held <= 1_024, "a session holds {held} B");
    assert!(waiting <= 2_560, "an iteration's future holds {waiting} B");
}
