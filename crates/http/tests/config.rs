//! Configuration errors surface before a run: base URLs, templates, factories.

use crate::support::get;
use http::{HeaderName, Method};
use loadgen_http::{BaseUrl, ClientConfig, HttpError, HttpFactory, RequestSpec, Template};
use std::sync::Arc;

#[test]
fn base_urls_parse() {
    let u = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
    assert_eq!((u.host(), u.port(), u.is_tls()), ("127.0.0.1", 8080, false));
    assert_eq!(u.path_prefix(), "");
    let u = BaseUrl::parse("https://example.com/prefix/").unwrap();
    assert_eq!((u.host(), u.port(), u.is_tls()), ("example.com", 443, true));
    assert_eq!(u.path_prefix(), "/prefix");
    assert_eq!(u.authority().as_str(), "example.com");
    let u = BaseUrl::parse("HTTP://[::1]:9000/a/b").unwrap();
    assert_eq!((u.host(), u.port()), ("::1", 9000));
    assert_eq!(u.path_prefix(), "/a/b");
    assert_eq!(BaseUrl::parse("http://h").unwrap().port(), 80);
}

#[test]
fn bad_base_urls_are_rejected_with_a_reason() {
    for bad in [
        "",
        "127.0.0.1:8080",
        "ftp://host",
        "http://",
        "http://:80",
        "http://host:0",
        "http://host:70000",
        "http://host:abc",
        "http://host:",
        "http://user:pw@host",
        "http://host/?q=1",
        "http://host#frag",
        "http://[::1",
        "http://::1:80",
        "http://ho st",
    ] {
        match BaseUrl::parse(bad) {
            Err(HttpError::BaseUrl { url, reason }) => {
                assert_eq!(url, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

fn factory(specs: Vec<RequestSpec>) -> Result<HttpFactory, HttpError> {
    let config = ClientConfig::new(BaseUrl::parse("http://127.0.0.1:1").unwrap());
    HttpFactory::new(Arc::new(config), specs)
}

#[test]
fn factories_reject_what_cannot_be_sent() {
    assert!(matches!(factory(vec![]), Err(HttpError::NoRequests)));
    assert!(matches!(
        factory(vec![get("s", "/a b")]),
        Err(HttpError::InvalidPath { step, .. }) if step == "s"
    ));
    assert!(matches!(
        factory(vec![get("has space", "/{{step}}")]),
        Err(HttpError::InvalidPath { .. })
    ));
    let bad_header = RequestSpec {
        headers: vec![(
            HeaderName::from_static("x-a"),
            Template::parse("line\nbreak {{vu}}").unwrap(),
        )],
        ..RequestSpec::new("h", Method::GET, Template::parse("/").unwrap())
    };
    assert!(matches!(
        factory(vec![bad_header]),
        Err(HttpError::InvalidHeader { header, .. }) if header == "x-a"
    ));
    let ok = factory(vec![
        get("a", ""),
        get("b", "?q={{uuid}}"),
        get("c", "x/{{vu}}"),
    ]);
    assert!(ok.is_ok(), "{ok:?}");
}
