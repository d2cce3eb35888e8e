//! What a client needs to know about its target: where it is, which HTTP version to speak,
//! how long to wait, and which headers go on every request.

use crate::error::HttpError;
use http::uri::{Authority, PathAndQuery};
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
    /// Use the pre-encoded HTTP/1.1 fast path where it applies (plain `http://`, HTTP/1.1;
    /// see [`HttpFactory::fast_path`](crate::HttpFactory::fast_path)). `false` forces hyper.
    pub fast_path: bool,
    /// Close the VU's connection before every iteration, so each iteration opens its own
    /// ("every arrival is a new user"; k6's `noConnectionReuse`). Each close leaves a
    /// TIME_WAIT socket for 60 s on the side that closed first.
    pub new_connection_per_iteration: bool,
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
        }
    }
}

/// A parsed `http://host[:port][/prefix]` or `https://…` URL. The host may be a name (looked
/// up at connect time), an IPv4 address or a bracketed IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    tls: bool,
    host: String,
    port: u16,
    authority: Authority,
    prefix: String,
}

impl BaseUrl {
    /// Parses a base URL. Query, fragment and user info are rejected: put a query in the
    /// step path and credentials in a header.
    pub fn parse(url: &str) -> Result<BaseUrl, HttpError> {
        let err = |reason| HttpError::BaseUrl {
            url: url.to_owned(),
            reason,
        };
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(url, "http://") {
            (false, rest)
        } else if let Some(rest) = strip_prefix_ci(url, "https://") {
            (true, rest)
        } else if url.contains("://") {
            return Err(err("unsupported scheme (use http:// or https://)"));
        } else {
            return Err(err("missing scheme (use http:// or https://)"));
        };
        if rest.contains(['?', '#']) {
            return Err(err(
                "a base URL takes no query or fragment; put them in the step path",
            ));
        }
        let (auth, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if auth.contains('@') {
            return Err(err(
                "user info is not supported; send an Authorization header",
            ));
        }
        let (host, port) = split_host_port(auth).map_err(err)?;
        let port = match port {
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(err("port must be a number from 1 to 65535")),
                Ok(p) => p,
            },
        };
        let authority: Authority = auth.parse().map_err(|_| err("invalid host"))?;
        let prefix = path.trim_end_matches('/');
        if !prefix.is_empty() && prefix.parse::<PathAndQuery>().is_err() {
            return Err(err("invalid path prefix"));
        }
        Ok(BaseUrl {
            tls,
            host: host.to_owned(),
            port,
            authority,
            prefix: prefix.to_owned(),
        })
    }

    /// True for `https://`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host: a name or an IP address, without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The authority as written (`host[:port]`): the `Host` header and the HTTP/2 `:authority`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path prefix without a trailing slash (empty for none).
    pub fn path_prefix(&self) -> &str {
        &self.prefix
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `host[:port]` / `[v6][:port]`; the port is returned unparsed.
fn split_host_port(auth: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (host, port) = if let Some(rest) = auth.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed `[` in host")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("invalid host")?)),
        }
    } else {
        match auth.split_once(':') {
            None => (auth, None),
            Some((_, p)) if p.contains(':') => return Err("IPv6 addresses need brackets"),
            Some((h, p)) => (h, Some(p)),
        }
    };
    if host.is_empty() {
        return Err("missing host");
    }
    Ok((host, port))
}
