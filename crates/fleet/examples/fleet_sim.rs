//! How many workers one coordinator takes: N simulated workers in this process speak the
//! real control protocol over real TLS on loopback (handshake, clock probes, assignment,
//! one interval of realistic metrics per second), and the real coordinator merges them on
//! its own thread, whose CPU time is measured.
//!
//! `cargo run --release -p loadgen-fleet --example fleet_sim -- [WORKERS] [SECONDS] [STEPS]`

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use loadgen_engine::{IntervalReport, Metrics, Outcome};
use loadgen_fleet::auth::{handshake, Secret};
use loadgen_fleet::frame::{read_msg, write_msg};
use loadgen_fleet::protocol::Msg;
use loadgen_fleet::{CoordinatorConfig, CoordinatorHooks, IntervalLine, Overrides};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn thread_cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// One second of a busy worker: `steps` steps, ~2,000 requests each, latencies spread over
/// 0.3–80 ms, a few 5xx and timeouts, connect and first-byte times, schedule lag.
fn interval_metrics(steps: usize, seed: u64) -> Metrics {
    let mut m = Metrics::new(steps, 1);
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for s in &mut m.steps {
        for _ in 0..2000 {
            let r = next();
            let lat = Duration::from_micros(300 + (r % 1000) * (r % 80));
            let outcome = match r % 200 {
                0 => Outcome::Http5xx,
                1 => Outcome::Timeout,
                _ => Outcome::Success,
            };
            let connect = (r % 50 == 0).then(|| Duration::from_micros(200 + r % 3000));
            s.record(outcome, lat, lat / 2, Some(lat / 3), connect);
        }
    }
    m.workloads[0].iterations = 2000;
    for _ in 0..2000 {
        let _ = m.workloads[0].lag.record(50 + next() % 2000);
    }
    m
}

fn scenario(steps: usize) -> String {
    let mut s = String::from(
        "name = \"fleet-sim\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"1h\"\n\n[[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"1/s\"\nmax_vus = 1\n",
    );
    for i in 0..steps {
        s.push_str(&format!(
            "\n  [[workload.step]]\n  name = \"s{i}\"\n  http = {{ method = \"GET\", path = \"/\" }}\n"
        ));
    }
    s
}

/// A simulated worker: real TLS, real handshake, canned intervals.
async fn fake_worker(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    secret: Secret,
    line: Arc<IntervalLine>,
    seconds: u64,
) {
    let (tcp, _) = listener.accept().await.unwrap();
    let mut tls = acceptor.accept(tcp).await.unwrap();
    let key = tls
        .get_ref()
        .1
        .export_keying_material([0u8; 32], loadgen_fleet::tls::EXPORTER_LABEL, None)
        .unwrap();
    handshake(&mut tls, "worker", &secret, &key).await.unwrap();
    let at_ns = loop {
        match read_msg(&mut tls).await.unwrap().unwrap().0 {
            Msg::Ping { seq } => {
                let now_ns = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64;
                write_msg(&mut tls, &Msg::Pong { seq, now_ns })
                    .await
                    .unwrap();
            }
            Msg::Assign { plan_hash, .. } => {
                write_msg(
                    &mut tls,
                    &Msg::Ready {
                        plan_hash,
                        results: "(simulated)".into(),
                        max_scale: None,
                    },
                )
                .await
                .unwrap();
            }
            Msg::Start { at_ns } => break at_ns,
            _ => {}
        }
    };
    let start = UNIX_EPOCH + Duration::from_nanos(at_ns);
    let (mut rd, mut wr) = tokio::io::split(tls);
    // Drain the coordinator's heartbeats.
    tokio::spawn(async move { while let Ok(Some(_)) = read_msg(&mut rd).await {} });
    for k in 0..seconds {
        let due = start + Duration::from_secs(k + 1);
        if let Ok(wait) = due.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
        let mut l = (*line).clone();
        l.index = k;
        l.start_us = k * 1_000_000;
        // A coordinator that gave up on this worker closed the connection: stop quietly.
        if write_msg(&mut wr, &Msg::Interval(l)).await.is_err()
            || write_msg(&mut wr, &Msg::Heartbeat).await.is_err()
        {
            return;
        }
    }
    let _ = write_msg(
        &mut wr,
        &Msg::Done {
            elapsed_s: seconds as f64,
            stopped_early: false,
        },
    )
    .await;
}

struct Hooks {
    started_cpu: Arc<Mutex<Option<(f64, Instant)>>>,
}

impl CoordinatorHooks for Hooks {
    fn log(&mut self, line: &str) {
        if line.starts_with("all ") {
            *self.started_cpu.lock().unwrap() = Some((thread_cpu(), Instant::now()));
        }
    }
    fn interval(&mut self, _r: &IntervalReport, _running: usize, _total: usize) {}
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: WORKERS SECONDS STEPS"))
        .collect();
    let workers = *args.first().unwrap_or(&100) as usize;
    let seconds = *args.get(1).unwrap_or(&10);
    let steps = *args.get(2).unwrap_or(&3) as usize;
    let secret = Secret::new("fleet-sim-secret-0123456789").unwrap();

    let metrics = interval_metrics(steps, 7);
    let line = IntervalLine::encode(&IntervalReport {
        index: 0,
        start: Duration::ZERO,
        length: Duration::from_secs(1),
        metrics: metrics.clone(),
    });
    let frame = serde_json::to_vec(&Msg::Interval(line.clone()))
        .unwrap()
        .len()
        + 4;
    // Decode + shape check + exact add: what the coordinator does per worker per second.
    let rounds = 300;
    let t = Instant::now();
    let mut acc = Metrics::new(steps, 1);
    for _ in 0..rounds {
        let text = serde_json::to_vec(&Msg::Interval(line.clone())).unwrap();
        let Msg::Interval(l) = serde_json::from_slice(&text).unwrap() else {
            unreachable!()
        };
        acc.add(
            &l.decode().unwrap().metrics,
            loadgen_engine::GaugeMerge::Sum,
        );
    }
    let per_merge = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "one interval ({steps} steps, {} requests): {frame} bytes on the wire; encode+decode+merge {:.0} µs",
        metrics.total_requests(),
        per_merge * 1e6
    );

    let identity = loadgen_fleet::tls::Identity::generate(&["loadgen-worker".into()]).unwrap();
    let acceptor = identity.acceptor().unwrap();
    let line = Arc::new(line);
    let sim = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut addrs = Vec::new();
    for _ in 0..workers {
        let l = sim
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        addrs.push(l.local_addr().unwrap().to_string());
        sim.spawn(fake_worker(
            l,
            acceptor.clone(),
            secret.clone(),
            line.clone(),
            seconds,
        ));
    }
    let text = scenario(steps);
    let sc = loadgen_scenario::parse(&text, "fleet-sim.toml", &|_| None).unwrap();
    // The coordinator writes the merged run's folder as it goes (as `loadgen coordinator`
    // does): its CPU below includes that.
    let out = std::env::temp_dir().join(format!("loadgen-fleet-sim-{}", std::process::id()));
    let cfg = CoordinatorConfig {
        raw_scenario: text.clone(),
        out: out.clone(),
        scenario_text: text,
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
    let started = Arc::new(Mutex::new(None));
    let hooks_started = started.clone();
    let coord = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let cpu0 = thread_cpu();
        let mut hooks = Hooks {
            started_cpu: hooks_started,
        };
        let done = rt
            .block_on(loadgen_fleet::coordinate(cfg, &mut hooks))
            .unwrap();
        (done, cpu0, thread_cpu(), Instant::now())
    });
    let (done, cpu0, cpu1, end) = coord.join().unwrap();
    let (cpu_start, wall_start) = started.lock().unwrap().expect("run started");
    let wall = end.duration_since(wall_start).as_secs_f64();
    let run_cpu = cpu1 - cpu_start;
    let lost = done.workers.iter().filter(|w| w.lost.is_some()).count();
    let _ = std::fs::remove_dir_all(&out);
    println!(
        "{workers} workers x {seconds}s: set-up CPU {:.3}s; run: {:.0} B/s in ({:.0} B/s per worker), coordinator thread {:.1}% of one core ({:.2} ms CPU per worker-second); merged {} requests; lost {lost}",
        cpu_start - cpu0,
        done.bytes_in as f64 / wall,
        done.bytes_in as f64 / wall / workers as f64,
        run_cpu / wall * 100.0,
        run_cpu / (workers as f64 * seconds as f64) * 1e3,
        done.report.totals.total_requests()
    );
}
