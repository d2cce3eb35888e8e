//! Closed-model load on one URL through the real engine: N VUs looping one GET step with no
//! think time (or `--think MS` between iterations), on the fast path (or hyper with
//! `--hyper`). Prints one line of `key=value` pairs: requests, errors, requests/s, and the
//! process's CPU time from `getrusage(RUSAGE_SELF)` with requests per CPU-second.
//!
//! `--journey` loops three GET steps instead, each capturing the `id` of its JSON answer
//! for the next one's path (`PATHnew`, `PATH{{id}}`, `PATH{{id2}}/refund`, captures
//! `$.id`): the journey row of `scripts/bench-peers.sh` against nginx's `/j/`.
//!
//! ```text
//! cargo run --release -p loadgen-http --example hammer -- \
//!     --url http://127.0.0.1:8089/ --vus 50 --duration 10 --threads 1 [--hyper] \
//!     [--think 10] [--journey]
//! ```
//!
//! `scripts/bench-http1.sh` runs it against nginx beside wrk;
//! `scripts/callgrind-journey.sh` counts its instructions per request.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]
// getrusage(2) is the one call that splits user from system time, and rustix has no safe
// wrapper for it; this bench tool is not part of the binary.
#![allow(unsafe_code)]

use loadgen_engine::{
    run, ClosedModel, Model, Plan, RunControl, RunOptions, ThinkTime, VuStages, Workload,
};
use loadgen_http::{
    BaseUrl, Capture, CaptureSource, ClientConfig, HttpFactory, JsonPath, Named, Place,
    RequestSpec, Template,
};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

struct Args {
    url: String,
    vus: u64,
    duration: Duration,
    threads: usize,
    hyper: bool,
    think: ThinkTime,
    journey: bool,
}

const USAGE: &str =
    "usage: hammer --url http://host:port/path [--vus 50] [--duration 10] [--threads 1] [--hyper] [--think MS] [--journey]";

fn parse() -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        vus: 50,
        duration: Duration::from_secs(10),
        threads: 1,
        hyper: false,
        think: ThinkTime::None,
        journey: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value()?,
            "--vus" => a.vus = value()?.parse().map_err(|e| format!("--vus: {e}"))?,
            "--threads" => a.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--duration" => {
                let v = value()?;
                let secs: f64 = v
                    .trim_end_matches('s')
                    .parse()
                    .map_err(|e| format!("--duration: {e}"))?;
                a.duration = Duration::from_secs_f64(secs);
            }
            "--hyper" => a.hyper = true,
            "--journey" => a.journey = true,
            "--think" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("--think: {e}"))?;
                a.think = ThinkTime::Fixed(Duration::from_millis(ms));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.url.is_empty() {
        return Err(USAGE.into());
    }
    Ok(a)
}

/// Three steps under `path`, each capturing `$.id` for the next one's path.
fn journey(path: &str) -> Vec<RequestSpec> {
    const NAMES: [&str; 3] = ["id", "id2", "id3"];
    let lookup = |name: &str| NAMES.iter().position(|n| *n == name).map(Named::Capture);
    let step = |name: &str, at: &str, slot: usize| RequestSpec {
        captures: vec![Capture {
            name: NAMES[slot].to_owned(),
            slot,
            source: CaptureSource::Json(JsonPath::parse("$.id").unwrap()),
        }],
        ..RequestSpec::new(
            name,
            http::Method::GET,
            Template::parse_in(&format!("{path}{at}"), Place::Path, &lookup).unwrap(),
        )
    };
    vec![
        step("create", "new", 0),
        step("read", "{{id}}", 1),
        step("refund", "{{id2}}/refund", 2),
    ]
}

/// (user, system) CPU seconds of this process so far.
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // Split "http://host:port/path" into the base and the step path.
    let (base, path) = match args.url.find("://").map(|i| i + 3) {
        Some(at) => match args.url[at..].find('/') {
            Some(p) => args.url.split_at(at + p),
            None => (args.url.as_str(), "/"),
        },
        None => (args.url.as_str(), "/"),
    };
    let built = BaseUrl::parse(base)
        .map_err(|e| e.to_string())
        .and_then(|base| {
            let mut cfg = ClientConfig::new(base);
            cfg.fast_path = !args.hyper;
            let steps = match args.journey {
                true => journey(path),
                false => vec![RequestSpec::new(
                    "get",
                    http::Method::GET,
                    Template::literal(path),
                )],
            };
            HttpFactory::new(Arc::new(cfg), steps).map_err(|e| e.to_string())
        });
    let factory = match built {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hammer: {e}");
            return ExitCode::from(2);
        }
    };
    let wire = if factory.fast_path() { "fast" } else { "hyper" };
    let step_names: Vec<String> = factory.step_names().map(str::to_owned).collect();
    let plan = Plan {
        name: "hammer".into(),
        seed: 1,
        workloads: vec![Workload::new(
            "hammer",
            step_names,
            Model::Closed(ClosedModel {
                stages: VuStages::constant(args.vus, args.duration),
                think: args.think,
                iterations: None,
            }),
            factory,
        )],
    };
    let opts = RunOptions {
        threads: args.threads,
        graceful_stop: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let report = match run(&plan, &opts, &RunControl::new(), |_| {}) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hammer: {e}");
            return ExitCode::from(1);
        }
    };
    let (user, sys) = cpu_seconds();
    let requests = report.totals.total_requests();
    let errors = report.totals.total_errors();
    let elapsed = report.elapsed.as_secs_f64();
    let cpu = user + sys;
    println!(
        "path={wire} requests={requests} errors={errors} elapsed_s={elapsed:.3} rps={:.0} \
         cpu_user_s={user:.3} cpu_sys_s={sys:.3} cpu_s={cpu:.3} req_per_cpu_s={:.0}",
        requests as f64 / elapsed,
        requests as f64 / cpu,
    );
    if errors > 0 {
        eprintln!("hammer: {errors} of {requests} requests failed");
    }
    ExitCode::SUCCESS
}
