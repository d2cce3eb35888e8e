//! The coordinator measures each worker's clock offset and sends the start instant in that
//! worker's own clock: two workers whose clocks are 5 s apart get start instants 5 s apart,
//! which are one instant in real time.

use loadgen_engine::IntervalReport;
use loadgen_fleet::auth::{handshake, Secret};
use loadgen_fleet::frame::{read_msg, write_msg};
use loadgen_fleet::protocol::Msg;
use loadgen_fleet::{CoordinatorConfig, CoordinatorHooks, Overrides};
use std::time::{SystemTime, UNIX_EPOCH};

const SKEW: [i64; 2] = [0, 5_000_000_000];

/// A worker whose wall clock is `skew_ns` ahead; returns the start instant it was given.
async fn skewed_worker(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    secret: Secret,
    skew_ns: i64,
) -> u64 {
    let (tcp, _) = listener.accept().await.unwrap();
    let mut tls = acceptor.accept(tcp).await.unwrap();
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], loadgen_fleet::tls::EXPORTER_LABEL, None)
        .unwrap();
    handshake(&mut tls, "worker", &secret, &key).await.unwrap();
    let now = || {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        (real + skew_ns) as u64
    };
    let at_ns = loop {
        match read_msg(&mut tls).await.unwrap().unwrap().0 {
            Msg::Ping { seq } => {
                let now_ns = now();
                write_msg(&mut tls, &Msg::Pong { seq, now_ns })
                    .await
                    .unwrap();
            }
            Msg::Assign { plan_hash, .. } => {
                let ready = Msg::Ready {
                    plan_hash,
                    results: "(test)".into(),
                    max_scale: None,
                };
                write_msg(&mut tls, &ready).await.unwrap();
            }
            Msg::Start { at_ns } => break at_ns,
            _ => {}
        }
    };
    let _ = write_msg(
        &mut tls,
        &Msg::Done {
            elapsed_s: 0.0,
            stopped_early: false,
        },
    )
    .await;
    at_ns
}

struct Quiet;

impl CoordinatorHooks for Quiet {
    fn log(&mut self, _line: &str) {}
    fn interval(&mut self, _r: &IntervalReport, _running: usize, _total: usize) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_instants_follow_each_workers_clock() {
    let secret = Secret::new("clock-test-secret-0123456789").unwrap();
    let identity = loadgen_fleet::tls::Identity::generate(&["loadgen-worker".into()]).unwrap();
    let acceptor = identity.acceptor().unwrap();
    let mut addrs = Vec::new();
    let mut workers = Vec::new();
    for skew in SKEW {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        addrs.push(l.local_addr().unwrap().to_string());
        workers.push(tokio::spawn(skewed_worker(
            l,
            acceptor.clone(),
            secret.clone(),
            skew,
        )));
    }
    let text = "name = \"clock\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"1s\"\n\n[[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"1/s\"\nmax_vus = 1\n\n  [[workload.step]]\n  name = \"s\"\n  http = { method = \"GET\", path = \"/\" }\n";
    let sc = loadgen_scenario::parse(text, "clock.toml", &|_| None).unwrap();
    let out = std::env::temp_dir().join(format!("loadgen-clock-{}", std::process::id()));
    let cfg = CoordinatorConfig {
        scenario_text: text.into(),
        raw_scenario: text.into(),
        out: out.clone(),
        scenario: sc,
        overrides: Overrides::default(),
        target: None,
        workers: addrs,
        pins: Vec::new(),
        secret,
        threads: None,
        abort_on_worker_loss: false,
        expect: None,
        control: Default::default(),
    };
    let done = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(loadgen_fleet::coordinate(cfg, &mut Quiet))
    })
    .await
    .unwrap()
    .unwrap();
    let mut starts = Vec::new();
    for w in workers {
        starts.push(w.await.unwrap());
    }
    // The merged run's folder was written as it went: run.json holds the origin.
    let written = loadgen_fleet::RunInfo::read(&out).unwrap();
    assert_eq!(written.started_at_unix_ns, done.info.started_at_unix_ns);
    let _ = std::fs::remove_dir_all(&out);
    let offsets: Vec<f64> = done.workers.iter().map(|w| w.clock_offset_ms).collect();
    // Offsets are measured to within the loopback round trip (well under 100 ms even on a
    // loaded machine); start instants differ by the skew, i.e. they are one real instant.
    assert!(offsets[0].abs() < 100.0, "{offsets:?}");
    assert!((offsets[1] - 5000.0).abs() < 100.0, "{offsets:?}");
    let apart = starts[1] as i64 - starts[0] as i64;
    assert!(
        (apart - SKEW[1]).abs() < 100_000_000,
        "start instants {apart} ns apart"
    );
    // Worker 0's clock is the coordinator's: its start is the origin run.json records.
    let origin = done.info.started_at_unix_ns as i64;
    assert!(
        (starts[0] as i64 - origin).abs() < 100_000_000,
        "{origin} vs {}",
        starts[0]
    );
}
