//! Deliveries on the pre-encoded HTTP/1.1 fast path: chosen only where it applies, sending
//! byte for byte what hyper's path sends (every scheme, every built-to-fail kind, retries,
//! the workload's and the step's headers), recording the same outcomes and metrics, and
//! signing so that the providers' own libraries verify what arrives.

use hmac::{Hmac, Mac};
use loadgen_engine::{
    ClosedModel, CustomValue, Iteration, Metrics, Model, Outcome, Plan, Recorder, Session,
    SessionFactory, ThinkTime, VuInfo, VuStages, Workload,
};
use loadgen_http::{BaseUrl, Expect, HttpVersion};
use loadgen_testkit::peer::{STANDARD_WEBHOOKS, STRIPE};
use loadgen_webhook::{
    Algorithm, CallbackStep, DeliveryStep, Encoding, EventMix, Fault, FaultMix, GenericScheme,
    RetryPolicy, Scheme, Secret, Signed, Signer, StepKind, WebhookClient, WebhookFactory,
};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_loadgen_test";

/// Every request a raw TCP peer read, byte for byte.
type Wire = Arc<Mutex<Vec<Vec<u8>>>>;

/// A loopback peer that reads whole requests (head and `content-length` body) and answers
/// each with `reply(n)`, `n` counting the requests it has read.
fn peer(reply: fn(usize) -> &'static [u8]) -> (SocketAddr, Wire) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let wire: Wire = Arc::default();
    let seen = Arc::clone(&wire);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    while let Some(len) = whole_request(&mut tcp, &mut buf).await {
                        let n = {
                            let mut seen = seen.lock().unwrap();
                            seen.push(buf.drain(..len).collect());
                            seen.len() - 1
                        };
                        if tcp.write_all(reply(n)).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    (addr, wire)
}

async fn whole_request(tcp: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).to_ascii_lowercase();
            let body = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            if buf.len() >= end + 4 + body {
                return Some(end + 4 + body);
            }
        }
        let mut chunk = [0u8; 4096];
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/// Every third request fails with a 500 (retried), the others are accepted.
fn some_fail(n: usize) -> &'static [u8] {
    match n % 3 {
        2 => b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n",
        _ => OK,
    }
}

fn header(name: &'static str, value: &'static str) -> (http::HeaderName, http::HeaderValue) {
    (
        http::HeaderName::from_static(name),
        http::HeaderValue::from_static(value),
    )
}

fn delivery(scheme: Scheme, secret: &str, faults: FaultMix) -> DeliveryStep {
    DeliveryStep {
        name: "deliver".into(),
        path: "/hooks/in?source=test#dropped".into(),
        signer: Signer::new(scheme, &Secret::new(secret)).unwrap(),
        events: EventMix::payments(),
        object: None,
        retry: RetryPolicy {
            max: 2,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        },
        faults,
        expect: Expect::default(),
        // Named again by the workload: sent beside the first value, as a header map does.
        headers: vec![header("x-team", "step"), header("x-step", "1")],
    }
}

fn client(url: &str, version: HttpVersion, fast_path: bool) -> WebhookClient {
    WebhookClient {
        base: BaseUrl::parse(url).unwrap(),
        version,
        tls: loadgen_http::TlsOptions::default(),
        hosts: loadgen_http::HostOverrides::new(),
        proxy: None,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        headers: vec![
            header("x-team", "payments"),
            header("user-agent", "hooks/1"),
        ],
        fast_path,
    }
}

/// Runs one VU's `iterations` and returns what it recorded.
async fn run(factory: &WebhookFactory, steps: usize, iterations: u64) -> Metrics {
    let model = Model::Closed(ClosedModel {
        stages: VuStages::constant(1, Duration::from_secs(1)),
        think: ThinkTime::None,
        iterations: Some(iterations),
    });
    let names: Vec<String> = (0..steps).map(|i| format!("s{i}")).collect();
    let custom = factory.custom_metrics();
    // The plan only shapes the recorder; the factory in it is never asked for a session.
    let shape = WebhookFactory::new(
        client("http://127.0.0.1:9", HttpVersion::Http1, true),
        vec![StepKind::Delivery(Box::new(delivery(
            Scheme::GitHub,
            "x",
            FaultMix::default(),
        )))],
    )
    .unwrap();
    let plan = Plan {
        name: "t".into(),
        seed: 1,
        workloads: vec![Workload::new("w", names, model, shape).with_custom(custom)],
    };
    let recorder = Recorder::for_plan(&plan);
    let mut session = factory.session(VuInfo {
        id: 3,
        workload: 0,
        seed: 42,
        paced_reads: false,
    });
    for number in 0..iterations {
        let it = Iteration::new(&recorder, 0, 3, number, Instant::now());
        session.iteration(&it).await;
    }
    recorder.take()
}

fn local<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f)
}

/// Outcome counts per step and the custom counters (trends by their sample count).
fn summary(m: &Metrics) -> Vec<u64> {
    let mut out = Vec::new();
    for step in &m.steps {
        out.extend(Outcome::ALL.iter().map(|o| step.count(*o)));
    }
    out.extend(m.custom.iter().map(|c| match c {
        CustomValue::Counter(n) => *n,
        CustomValue::Trend(h) => h.len(),
        other => panic!("{other:?}"),
    }));
    out
}

fn schemes() -> Vec<(Scheme, &'static str)> {
    let generic = GenericScheme {
        header: "x-signature".into(),
        algorithm: Algorithm::Sha512,
        encoding: Encoding::Hex,
        signed: Signed::IdTimestampBody,
        prefix: "sha512=".into(),
        timestamp_header: Some("x-timestamp".into()),
        // Also a workload header's name: its values go together.
        id_header: Some("x-team".into()),
    };
    vec![
        (Scheme::Stripe, STRIPE_SECRET),
        (Scheme::Standard, STANDARD_SECRET),
        (Scheme::GitHub, "gh-secret"),
        (Scheme::Shopify, "shpss_demo"),
        (
            Scheme::Square {
                notification_url: "https://example.com/hooks/in".into(),
            },
            "sq-key",
        ),
        (Scheme::Generic(generic), "generic-secret"),
    ]
}

fn faults(scheme: &Scheme) -> FaultMix {
    let mut kinds = vec![
        (Fault::BadSignature, 1.0),
        (Fault::Duplicate, 1.0),
        (Fault::OutOfOrder, 1.0),
    ];
    if scheme.signs_timestamp() {
        kinds.push((Fault::Stale, 1.0));
    }
    FaultMix::new(0.5, kinds).unwrap()
}

#[test]
fn the_fast_path_is_chosen_only_where_it_applies() {
    let url = "http://127.0.0.1:9/api";
    let plain = || delivery(Scheme::Stripe, STRIPE_SECRET, FaultMix::default());
    let make = |client: WebhookClient, steps: Vec<DeliveryStep>| {
        let steps = steps
            .into_iter()
            .map(|d| StepKind::Delivery(Box::new(d)))
            .collect();
        WebhookFactory::new(client, steps).unwrap().fast_path()
    };
    assert!(make(client(url, HttpVersion::Http1, true), vec![plain()]));
    assert!(!make(client(url, HttpVersion::Http1, false), vec![plain()]));
    assert!(!make(client(url, HttpVersion::Http2, true), vec![plain()]));
    let tls = client("https://127.0.0.1:9", HttpVersion::Http1, true);
    assert!(!make(tls, vec![plain()]));
    for framing in [
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
    ] {
        let mut step = plain();
        step.headers
            .push((http::HeaderName::from_static(framing), "1".parse().unwrap()));
        let c = client(url, HttpVersion::Http1, true);
        assert!(!make(c, vec![plain(), step]), "{framing} is hyper's");
        let mut c = client(url, HttpVersion::Http1, true);
        c.headers
            .push((http::HeaderName::from_static(framing), "1".parse().unwrap()));
        assert!(!make(c, vec![plain()]), "{framing} is hyper's");
    }
    // A callback step shares the VU's connection: the workload stays on hyper's path.
    let callback = CallbackStep {
        name: "cb".into(),
        method: http::Method::POST,
        path: "/async".into(),
        body: None,
        json: Some("{}".into()),
        within: Duration::from_secs(1),
        expect: Expect::default(),
        headers: Vec::new(),
    };
    let steps = vec![
        StepKind::Delivery(Box::new(plain())),
        StepKind::Callback(Box::new(callback)),
    ];
    let f = WebhookFactory::new(client(url, HttpVersion::Http1, true), steps).unwrap();
    assert!(!f.fast_path());
}

#[test]
fn the_fast_path_sends_exactly_what_hyper_sends_and_records_the_same() {
    local(async {
        for (scheme, secret) in schemes() {
            let mut sent = Vec::new();
            let mut recorded = Vec::new();
            // One peer (the same `host`), its count of requests started again for each path.
            let (addr, wire) = peer(some_fail);
            for fast in [true, false] {
                let url = format!("http://{addr}/api/");
                let step = delivery(scheme.clone(), secret, faults(&scheme));
                let steps = vec![
                    StepKind::Delivery(Box::new(step.clone())),
                    StepKind::Delivery(Box::new(DeliveryStep {
                        path: "/second".into(),
                        ..step
                    })),
                ];
                let f = WebhookFactory::new(client(&url, HttpVersion::Http1, fast), steps)
                    .unwrap()
                    .pinned(0xfeed, 1_750_000_000);
                assert_eq!(f.fast_path(), fast);
                recorded.push(summary(&run(&f, 2, 12).await));
                sent.push(std::mem::take(&mut *wire.lock().unwrap()));
            }
            let name = scheme.name();
            assert!(sent[0].len() > 24, "{name}: retries happened");
            assert_eq!(
                recorded[0], recorded[1],
                "{name}: the same outcomes and metrics"
            );
            for (i, (fast, hyper)) in sent[0].iter().zip(&sent[1]).enumerate() {
                assert_eq!(
                    String::from_utf8_lossy(fast),
                    String::from_utf8_lossy(hyper),
                    "{name}: request {i}"
                );
            }
            assert_eq!(sent[0].len(), sent[1].len(), "{name}");
        }
    });
}

#[test]
fn deliveries_take_the_fast_path() {
    // An upgrade nobody asked for: the fast path refuses it (a protocol fault), where hyper
    // hands the 101 over as an answer (judged as an unexpected status). The outcome tells
    // which path read the answer.
    let upgrade: fn(usize) -> &'static [u8] = |_| {
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"
    };
    local(async {
        for (fast, want) in [(true, Outcome::Protocol), (false, Outcome::HttpOther)] {
            let (addr, wire) = peer(upgrade);
            let mut step = delivery(Scheme::Stripe, STRIPE_SECRET, FaultMix::default());
            step.retry.max = 0;
            let steps = vec![StepKind::Delivery(Box::new(step))];
            let url = format!("http://{addr}");
            let f = WebhookFactory::new(client(&url, HttpVersion::Http1, fast), steps).unwrap();
            let m = run(&f, 1, 2).await;
            assert_eq!(m.steps[0].count(want), 2, "fast path {fast}");
            assert_eq!(wire.lock().unwrap().len(), 2);
        }
    });
}

/// The value of header `name` in a raw request, and its body.
fn parts<'a>(request: &'a [u8], name: &str) -> (String, &'a [u8]) {
    let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&request[..end]).unwrap();
    let value = head
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} in {head}"));
    (value.to_owned(), &request[end + 4..])
}

#[test]
fn fast_path_deliveries_verify_with_the_providers_libraries() {
    let test = "fast_path_deliveries_verify_with_the_providers_libraries";
    let captured = local(async {
        let mut captured = Vec::new();
        for (scheme, secret) in [
            (Scheme::Stripe, STRIPE_SECRET),
            (Scheme::Standard, STANDARD_SECRET),
        ] {
            let (addr, wire) = peer(|_| OK);
            let steps = vec![StepKind::Delivery(Box::new(delivery(
                scheme,
                secret,
                FaultMix::default(),
            )))];
            let url = format!("http://{addr}");
            let f = WebhookFactory::new(client(&url, HttpVersion::Http1, true), steps).unwrap();
            assert!(f.fast_path());
            let m = run(&f, 1, 3).await;
            assert_eq!(m.steps[0].count(Outcome::Success), 3);
            captured.push(wire.lock().unwrap().clone());
        }
        captured
    });
    let (stripe, standard) = (&captured[0], &captured[1]);
    assert_eq!((stripe.len(), standard.len()), (3, 3));
    // Checked here first, so the test means something where Python's libraries are missing.
    for request in stripe {
        let (sig, body) = parts(request, "stripe-signature");
        let (t, v1) = sig.strip_prefix("t=").unwrap().split_once(",v1=").unwrap();
        let mut mac = <Hmac<Sha256>>::new_from_slice(STRIPE_SECRET.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        assert_eq!(hex::encode(mac.finalize().into_bytes()), v1);
    }
    let (Some(python), Some(_)) = (STRIPE.require(test), STANDARD_WEBHOOKS.require(test)) else {
        return;
    };
    let script = r#"
import sys, stripe, standardwebhooks
args = sys.argv[1:]
stripe_secret, std_secret, n = args[0], args[1], int(args[2])
rest = args[3:]
for i in range(n):
    body, header = rest[2 * i], rest[2 * i + 1]
    stripe.WebhookSignature.verify_header(body, header, stripe_secret, tolerance=300)
rest = rest[2 * n:]
wh = standardwebhooks.Webhook(std_secret)
for i in range(0, len(rest), 4):
    body, msg_id, ts, sig = rest[i:i + 4]
    wh.verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
print("verified", n, len(rest) // 4)
"#;
    let mut args = vec![
        STRIPE_SECRET.to_owned(),
        STANDARD_SECRET.to_owned(),
        stripe.len().to_string(),
    ];
    for request in stripe {
        let (sig, body) = parts(request, "stripe-signature");
        args.extend([String::from_utf8(body.to_vec()).unwrap(), sig]);
    }
    for request in standard {
        let (sig, body) = parts(request, "webhook-signature");
        let (id, _) = parts(request, "webhook-id");
        let (ts, _) = parts(request, "webhook-timestamp");
        args.extend([String::from_utf8(body.to_vec()).unwrap(), id, ts, sig]);
    }
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(&args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("verified 3 3"),
        "{text}"
    );
}
