//! What each `ProtocolSpec` arm answers for any workload: its arm (decided by the file's
//! keys), step names, requests per iteration, capture sources and destinations.

use loadgen_scenario::{parse, ProtocolSpec};

const HEAD: &str = "name = \"p\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"1s\"\n\
                    [payload.pay]\namount = { fixed = 10.0 }\n";

fn workload(body: &str) -> loadgen_scenario::WorkloadSpec {
    let text = format!("{HEAD}[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n{body}");
    let mut sc = parse(&text, "p.toml", &|_| None).unwrap();
    sc.workloads.remove(0)
}

#[test]
fn http_steps_make_an_http_workload_that_captures() {
    let w = workload(
        "[[workload.step]]\nname = \"a\"\nhttp = { path = \"/a\" }\n\
         [[workload.step]]\nname = \"b\"\nhttp = { path = \"/b\" }\n",
    );
    assert!(matches!(w.protocol, ProtocolSpec::Http(_)));
    assert_eq!(w.protocol.name(), "http");
    assert_eq!(w.step_names(), ["a", "b"]);
    assert_eq!(w.protocol.requests_per_iteration(&Default::default()), 2);
    assert_eq!(
        w.protocol.capture_from(),
        ["json", "header", "cookie", "regex"]
    );
}

#[test]
fn an_http_step_counts_the_redirects_of_http_follow_redirects_unless_it_sets_its_own() {
    let text = format!(
        "{HEAD}[http]\nfollow_redirects = 2\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\n\
         vus = 1\n[[workload.step]]\nname = \"a\"\nhttp = {{ path = \"/a\" }}\n\
         [[workload.step]]\nname = \"b\"\nfollow_redirects = 0\nhttp = {{ path = \"/b\" }}\n"
    );
    let sc = parse(&text, "p.toml", &|_| None).unwrap();
    // `a`: 1 + the 2 redirects of [http]; `b`: its own 0.
    assert_eq!(
        sc.workloads[0].protocol.requests_per_iteration(&sc.http),
        3 + 1
    );
}

#[test]
fn webhook_steps_count_their_retries_and_capture_nothing() {
    let w = workload(
        "[[workload.step]]\nname = \"d\"\n\
         webhook = { provider = \"stripe\", secret = \"whsec_x\", path = \"/hooks\", retries = 2 }\n\
         [[workload.step]]\nname = \"c\"\n\
         callback = { path = \"/api/payments/async\", json = \"@pay\", within = \"1s\" }\n",
    );
    assert!(matches!(w.protocol, ProtocolSpec::Webhook(_)));
    assert_eq!(w.step_names(), ["d", "c"]);
    assert_eq!(
        w.protocol.requests_per_iteration(&Default::default()),
        (1 + 2) + 1
    );
    assert!(w.protocol.capture_from().is_empty());
    assert_eq!(
        w.protocol.destinations("http://127.0.0.1:9"),
        [(
            "webhook deliveries and callback requests",
            "http://127.0.0.1:9".to_string()
        )]
    );
}

#[test]
fn a_ws_table_makes_a_websocket_workload_of_one_connection_per_iteration() {
    let w = workload("[workload.ws]\nurl = \"ws://127.0.0.1:9/feed\"\nhold = \"1s\"\n");
    assert!(matches!(w.protocol, ProtocolSpec::WebSocket(_)));
    assert_eq!(w.protocol.name(), "ws");
    assert_eq!(w.protocol.requests_per_iteration(&Default::default()), 1);
    assert!(w.protocol.has_step("connect"));
    assert!(!w.protocol.has_step("a"));
    assert_eq!(
        w.protocol.destinations("http://127.0.0.1:9"),
        [("WebSocket connections", "ws://127.0.0.1:9/feed".to_string())]
    );
}

#[test]
fn http2_connections_are_shared_by_vus_only_when_asked_and_only_over_http2() {
    let head = |http: &str| {
        format!(
            "name = \"s\"\nduration = \"1s\"\n[http]\n{http}\n[[workload]]\nname = \"w\"\n\
             model = \"closed\"\nvus = 4\n[[workload.step]]\nname = \"a\"\n\
             http = {{ method = \"GET\", path = \"/\" }}\n"
        )
    };
    let sc = loadgen_scenario::parse(
        &head("version = \"http2\"\nstreams_per_connection = 10"),
        "s.toml",
        &|_| None,
    )
    .unwrap();
    assert_eq!(sc.http.streams_per_connection, 10);
    let default = loadgen_scenario::parse(&head(""), "s.toml", &|_| None).unwrap();
    assert_eq!(default.http.streams_per_connection, 1);
    assert_eq!(
        super::problems(&head("streams_per_connection = 4")),
        ["s.toml:4:26: http.streams_per_connection: VUs share connections only over HTTP/2: set version = \"http2\""]
    );
    assert_eq!(
        super::problems(&head("version = \"http2\"\nstreams_per_connection = 0")),
        ["s.toml:5:26: http.streams_per_connection: 0 is not between 1 and 1000"]
    );
}
