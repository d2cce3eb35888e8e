//! A delivery step against a scripted HTTP server: retries until a 2xx with each attempt
//! measured, gives up after the limit, and never retries a forged delivery.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use loadgen_engine::{
    ClosedModel, Iteration, Metrics, Model, Outcome, Plan, Recorder, Session, SessionFactory,
    ThinkTime, VuInfo, VuStages, Workload,
};
use loadgen_http::{BaseUrl, Expect};
use loadgen_webhook::metrics as m;
use loadgen_webhook::{
    DeliveryStep, EventMix, Fault, FaultMix, RetryPolicy, Scheme, Secret, Signer, StepKind,
    WebhookClient, WebhookFactory,
};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const SECRET: &str = "whsec_test";

/// What the server saw: (Stripe-Signature, body, HTTP version) per request.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>, http::Version)>>>;

/// Serves plain HTTP/1.1 on loopback; answers the statuses of `script` in order, then 200.
async fn server(script: Vec<u16>) -> (String, Seen) {
    serve(script, None).await
}

/// A TLS acceptor with a fresh self-signed certificate for 127.0.0.1, offering `alpn`.
fn tls(alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Serves HTTP/1.1 or HTTP/2 (prior knowledge or ALPN), over TLS when `acceptor` is given.
async fn serve(script: Vec<u16>, acceptor: Option<tokio_rustls::TlsAcceptor>) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (script, log) = (Arc::clone(&script), Arc::clone(&log));
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (script, log) = (Arc::clone(&script), Arc::clone(&log));
                    async move {
                        let version = req.version();
                        let sig = req
                            .headers()
                            .get("stripe-signature")
                            .map(|v| v.to_str().unwrap().to_string());
                        let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
                        log.lock()
                            .unwrap()
                            .push((sig.unwrap_or_default(), body, version));
                        let status = script.lock().unwrap().next().unwrap_or(200);
                        let mut resp = http::Response::new(Full::new(Bytes::new()));
                        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let auto = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                let _ = match acceptor {
                    None => auto.serve_connection(TokioIo::new(tcp), svc).await,
                    Some(a) => match a.accept(tcp).await {
                        Ok(stream) => auto.serve_connection(TokioIo::new(stream), svc).await,
                        Err(_) => return,
                    },
                };
            });
        }
    });
    (url, seen)
}

/// TLS for the self-signed test servers: any certificate.
fn insecure() -> loadgen_http::TlsOptions {
    loadgen_http::TlsOptions {
        insecure: true,
        ..Default::default()
    }
}

fn factory_for(
    url: &str,
    version: loadgen_http::HttpVersion,
    retry: RetryPolicy,
    faults: FaultMix,
    tls: &(loadgen_http::TlsOptions, loadgen_http::HostOverrides),
) -> WebhookFactory {
    let step = DeliveryStep {
        name: "deliver".into(),
        path: "/hook".into(),
        signer: Signer::new(Scheme::Stripe, &Secret::new(SECRET)).unwrap(),
        events: EventMix::payments(),
        object: None,
        retry,
        faults,
        expect: Expect::default(),
        headers: Vec::new(),
    };
    let client = WebhookClient {
        base: BaseUrl::parse(url).unwrap(),
        version,
        tls: tls.0.clone(),
        hosts: tls.1.clone(),
        proxy: None,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        headers: Vec::new(),
        fast_path: true,
    };
    WebhookFactory::new(client, vec![StepKind::Delivery(Box::new(step))]).unwrap()
}

/// Runs one iteration of one VU and returns what it recorded (custom metrics included).
async fn one_iteration(url: &str, retry: RetryPolicy, faults: FaultMix) -> (Metrics, Duration) {
    one_iteration_with(url, loadgen_http::HttpVersion::Http1, retry, faults).await
}

async fn one_iteration_with(
    url: &str,
    version: loadgen_http::HttpVersion,
    retry: RetryPolicy,
    faults: FaultMix,
) -> (Metrics, Duration) {
    let tls = (insecure(), loadgen_http::HostOverrides::new());
    one_iteration_tls(url, version, retry, faults, &tls).await
}

/// One iteration of one VU with these TLS options and host overrides.
async fn one_iteration_tls(
    url: &str,
    version: loadgen_http::HttpVersion,
    retry: RetryPolicy,
    faults: FaultMix,
    tls: &(loadgen_http::TlsOptions, loadgen_http::HostOverrides),
) -> (Metrics, Duration) {
    let shape = factory_for(url, version, retry, faults.clone(), tls);
    let model = Model::Closed(ClosedModel {
        stages: VuStages::constant(1, Duration::from_secs(1)),
        think: ThinkTime::None,
        iterations: Some(1),
    });
    let custom = shape.custom_metrics();
    let plan = Plan {
        name: "t".into(),
        seed: 1,
        workloads: vec![
            Workload::new("w", vec!["deliver".into()], model, shape).with_custom(custom)
        ],
    };
    let recorder = Recorder::for_plan(&plan);
    let f = factory_for(url, version, retry, faults, tls);
    let mut session = f.session(VuInfo {
        id: 1,
        workload: 0,
        seed: 7,
        paced_reads: false,
    });
    let start = Instant::now();
    session
        .iteration(&Iteration::new(&recorder, 0, 1, 0, start))
        .await;
    (recorder.take(), start.elapsed())
}

fn counter(m: &Metrics, i: usize) -> u64 {
    match &m.custom[i] {
        loadgen_engine::CustomValue::Counter(n) => *n,
        loadgen_engine::CustomValue::Trend(h) => h.len(),
        other => panic!("{other:?}"),
    }
}

fn stripe_ok(header: &str, body: &[u8]) -> bool {
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = <Hmac<Sha256>>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

fn local<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f)
}

#[test]
fn retries_until_a_2xx_measuring_each_attempt_with_the_same_event() {
    local(async {
        let (url, seen) = server(vec![500, 503]).await;
        let retry = RetryPolicy {
            max: 3,
            backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(20),
        };
        let (m, took) = one_iteration(&url, retry, FaultMix::default()).await;
        assert_eq!(m.steps[0].count(Outcome::Success), 1);
        assert_eq!(
            [
                m::DELIVERED,
                m::GAVE_UP,
                m::RETRIES,
                m::FIRST_ATTEMPT,
                m::RETRY_LATENCY
            ]
            .map(|i| counter(&m, i)),
            [1, 0, 2, 1, 2]
        );
        // Two backoffs of at least half of 20 ms each.
        assert!(took >= Duration::from_millis(20), "{took:?}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(
            seen.iter().all(|(sig, body, _)| stripe_ok(sig, body)),
            "every attempt correctly signed"
        );
        assert!(
            seen.iter().all(|(_, body, _)| *body == seen[0].1),
            "same event on every attempt"
        );
        let v: serde_json::Value = serde_json::from_slice(&seen[0].1).unwrap();
        assert!(
            v["id"].as_str().unwrap().starts_with("evt_") && v["data"]["object"]["id"].is_string(),
            "{v}"
        );
    });
}

#[test]
fn gives_up_after_the_last_retry() {
    local(async {
        let (url, seen) = server(vec![500; 10]).await;
        let retry = RetryPolicy {
            max: 2,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        };
        let (m, _) = one_iteration(&url, retry, FaultMix::default()).await;
        assert_eq!(m.steps[0].count(Outcome::Http5xx), 1);
        assert_eq!(
            [m::DELIVERED, m::GAVE_UP, m::RETRIES].map(|i| counter(&m, i)),
            [0, 1, 2]
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
    });
}

#[test]
fn a_forged_delivery_accepted_is_a_failed_check_and_is_not_retried() {
    local(async {
        let (url, seen) = server(vec![]).await;
        let forged = FaultMix::new(1.0, vec![(Fault::BadSignature, 1.0)]).unwrap();
        let (m, _) = one_iteration(&url, RetryPolicy::default(), forged).await;
        assert_eq!(m.steps[0].count(Outcome::CheckFailed), 1);
        assert_eq!(
            [m::FORGED_SENT, m::RETRIES, m::DELIVERED].map(|i| counter(&m, i)),
            [1, 0, 0]
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            !stripe_ok(&seen[0].0, &seen[0].1),
            "the signature must not verify"
        );
    });
}

#[test]
fn deliveries_go_over_tls_and_http2_too() {
    use loadgen_http::HttpVersion::{Http1, Http2};
    local(async {
        let retry = RetryPolicy {
            max: 2,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        };
        for (acceptor, version, want) in [
            (Some(tls(&[b"http/1.1"])), Http1, http::Version::HTTP_11),
            (
                Some(tls(&[b"h2", b"http/1.1"])),
                Http2,
                http::Version::HTTP_2,
            ),
            (None, Http2, http::Version::HTTP_2),
        ] {
            let (url, seen) = serve(vec![503], acceptor).await;
            let (m, _) = one_iteration_with(&url, version, retry, FaultMix::default()).await;
            assert_eq!(m.steps[0].count(Outcome::Success), 1, "{url} {version:?}");
            assert_eq!(counter(&m, m::RETRIES), 1);
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 2);
            assert!(
                seen.iter()
                    .all(|(sig, body, v)| *v == want && stripe_ok(sig, body)),
                "{url}"
            );
        }
    });
}

#[test]
fn deliveries_trust_a_ca_file_and_present_a_client_certificate() {
    let name = "hooks.staging.example";
    let dir = std::env::temp_dir().join(format!("loadgen-webhook-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = loadgen_testkit::pki::Pki::new(name);
    pki.write(&dir);
    let identity =
        loadgen_http::ClientIdentity::load(&dir.join("client.pem"), &dir.join("client.key"))
            .unwrap();
    let trusted = loadgen_http::TlsOptions {
        extra_roots: loadgen_http::load_ca_file(&dir.join("ca.pem")).unwrap(),
        identity: Some(identity),
        ..Default::default()
    };
    local(async {
        use loadgen_http::HttpVersion::Http1;
        let retry = RetryPolicy {
            max: 0,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        };
        let acceptor =
            tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config(true, &[b"http/1.1"])));
        let (url, seen) = serve(Vec::new(), Some(acceptor)).await;
        // The server listens on 127.0.0.1; the delivery goes to the name, through `hosts`.
        let port = url.rsplit(':').next().unwrap();
        let named = format!("https://{name}:{port}");
        let hosts = [(name.to_owned(), std::net::Ipv4Addr::LOCALHOST.into())].into();
        let run = |tls: loadgen_http::TlsOptions| {
            let named = named.clone();
            let hosts = loadgen_http::HostOverrides::clone(&hosts);
            async move {
                let tls = (tls, hosts);
                let (m, _) =
                    one_iteration_tls(&named, Http1, retry, FaultMix::default(), &tls).await;
                m
            }
        };
        let m = run(trusted.clone()).await;
        assert_eq!(m.steps[0].count(Outcome::Success), 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
        // The public roots alone do not trust the test CA.
        let untrusted = loadgen_http::TlsOptions {
            extra_roots: Vec::new(),
            ..trusted.clone()
        };
        let m = run(untrusted).await;
        assert_eq!(m.steps[0].count(Outcome::Tls), 1);
        // Without the client certificate the server refuses the connection: nothing arrives.
        let anonymous = loadgen_http::TlsOptions {
            identity: None,
            ..trusted
        };
        let m = run(anonymous).await;
        assert_eq!(m.steps[0].count(Outcome::Success), 0);
        assert_eq!(seen.lock().unwrap().len(), 1);
    });
    let _ = std::fs::remove_dir_all(&dir);
}
