//! What a client needs to know about its target: where it is, which HTTP version to speak,
//! how long to wait, and which headers go on every request.

use crate::base_url::BaseUrl;
use http::{HeaderName, HeaderValue};
use loadgen_tls::TlsOptions;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// Name overrides (k6's `hosts`): connect to this address instead of looking the name up,
/// keeping the name for SNI, the certificate check and the `Host` header. Keys are lower case.
pub type HostOverrides = BTreeMap<String, IpAddr>;

/// The HTTP version a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.1 with keep-alive, one request at a time on the VU's connection.
    #[default]
    Http1,
    /// HTTP/2: prior knowledge (h2c) over `http://`; over `https://` offered by ALPN, falling
    /// back to HTTP/1.1 when the server does not choose `h2`.
    Http2,
}

/// Connection settings shared by every session of a factory.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme, host, port and path prefix of every request.
    pub base: BaseUrl,
    /// Protocol version to speak.
    pub version: HttpVersion,
    /// Trust, client identity and lowest version for `https://`.
    pub tls: TlsOptions,
    /// Addresses to use instead of looking names up.
    pub hosts: HostOverrides,
    /// Reach the target through this HTTP proxy (a `CONNECT` tunnel per connection).
    pub proxy: Option<crate::proxy::Proxy>,
    /// Limit for opening a connection: name lookup, TCP connect, TLS and HTTP/2 handshakes.
    pub connect_timeout: Duration,
    /// Limit for one request: sending it, its response head and reading the whole body.
    pub request_timeout: Duration,
    /// Headers sent on every request; a step's own headers override them.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Use the pre-encoded fast paths where they apply: HTTP/1.1 over plain `http://`, and
    /// HTTP/2 on a VU's own connection (see
    /// [`HttpFactory::fast_path`](crate::HttpFactory::fast_path)). `false` forces hyper and
    /// the `h2` crate.
    pub fast_path: bool,
    /// Close the VU's connection before every iteration, so each iteration opens its own
    /// ("every arrival is a new user"; k6's `noConnectionReuse`). Each close leaves a
    /// TIME_WAIT socket for 60 s on the side that closed first.
    pub new_connection_per_iteration: bool,
    /// Keep a cookie jar per VU (`[http] cookies = true`): `Set-Cookie` answers are stored and
    /// sent back where they apply. Takes hyper's path. Cleared when the connection is per
    /// iteration (every iteration a new user); otherwise kept for the VU's life.
    pub cookies: bool,
    /// HTTP/2: up to this many VUs of a thread send their requests on one connection, as
    /// concurrent streams (h2load's `-m`). 1: a connection per VU. No effect on HTTP/1.1
    /// (nor where TLS negotiates HTTP/1.1) or with a connection per iteration.
    pub streams_per_connection: usize,
    /// Close a VU's connection once it has been open this long, before its next iteration
    /// (never inside one); the next step opens a new one, resolving the host name again.
    /// For runs of days against targets whose addresses change (DNS, load balancers).
    pub max_connection_lifetime: Option<Duration>,
}

impl ClientConfig {
    /// HTTP/1.1 to `base`, verified TLS (web PKI and system roots), no host overrides, 10 s connect and 60 s request timeouts, no headers,
    /// the fast path where it applies.
    pub fn new(base: BaseUrl) -> Self {
        ClientConfig {
            base,
            version: HttpVersion::Http1,
            tls: TlsOptions::default(),
            hosts: HostOverrides::new(),
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            headers: Vec::new(),
            fast_path: true,
            new_connection_per_iteration: false,
            cookies: false,
            streams_per_connection: 1,
            max_connection_lifetime: None,
        }
    }
}
