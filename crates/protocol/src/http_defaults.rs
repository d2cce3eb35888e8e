//! `[http]` as validated: the defaults every HTTP-speaking slice (HTTP steps, webhook
//! deliveries, `wss://` connections) shares. A leaf: it knows no workload or step.

use std::time::Duration;

/// HTTP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersionSpec {
    /// HTTP/1.1.
    #[default]
    Http1,
    /// HTTP/2 (h2c prior knowledge, or ALPN over TLS).
    Http2,
}

/// `[http]`: defaults for every HTTP step.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpDefaults {
    /// Protocol version.
    pub version: HttpVersionSpec,
    /// Trust (`insecure`, `ca_file`), client identity (`client_cert`, `client_key`) and
    /// `min_tls_version`, for HTTP, `wss://` and webhook deliveries alike.
    pub tls: loadgen_http::TlsOptions,
    /// `hosts`: names connected to at a given address, keeping the name for TLS and `Host`.
    pub hosts: loadgen_http::HostOverrides,
    /// `proxy`: direct connections, a given HTTP proxy, or the proxy environment variables.
    pub proxy: ProxySpec,
    /// `[[http.tls_auth]]`: client certificates for given hosts, in place of `client_cert`.
    pub tls_auth: Vec<TlsAuth>,
    /// Use the pre-encoded HTTP/1.1 fast path where it applies (`false` forces hyper).
    pub fast_path: bool,
    /// `cookies`: a cookie jar per VU (hyper's path).
    pub cookies: bool,
    /// `streams_per_connection`: VUs of a thread sharing one HTTP/2 connection (1: none).
    pub streams_per_connection: usize,
    /// `follow_redirects`: redirects to the target's own origin followed per step (0: none).
    pub follow_redirects: u8,
    /// Connect (and TLS) timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Headers on every request.
    pub headers: Vec<(String, String)>,
    /// `max_connection_lifetime`: a VU's connection is closed once this old, between
    /// iterations, and the next one resolves the name again.
    pub max_connection_lifetime: Option<Duration>,
}

impl Default for HttpDefaults {
    fn default() -> Self {
        HttpDefaults {
            version: HttpVersionSpec::Http1,
            tls: loadgen_http::TlsOptions::default(),
            hosts: loadgen_http::HostOverrides::new(),
            proxy: ProxySpec::Direct,
            tls_auth: Vec::new(),
            fast_path: true,
            cookies: false,
            streams_per_connection: 1,
            follow_redirects: 0,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            headers: Vec::new(),
            max_connection_lifetime: None,
        }
    }
}

/// One `[[http.tls_auth]]`: the client certificate presented to these hosts (k6's `tlsAuth`).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsAuth {
    /// Host names, lower case, matched exactly.
    pub domains: Vec<String>,
    /// The certificate and key.
    pub identity: loadgen_http::ClientIdentity,
}

impl HttpDefaults {
    /// The TLS options for connections to `host`: `[http]`'s, with the client certificate of
    /// the first `[[http.tls_auth]]` listing `host` when one does.
    pub fn tls_for(&self, host: &str) -> loadgen_http::TlsOptions {
        let mut tls = self.tls.clone();
        let host = host.to_ascii_lowercase();
        if let Some(auth) = self.tls_auth.iter().find(|a| a.domains.contains(&host)) {
            tls.identity = Some(auth.identity.clone());
        }
        tls
    }
}

/// `[http] proxy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxySpec {
    /// No proxy (the default; the proxy environment variables are ignored).
    #[default]
    Direct,
    /// `proxy = "http://host:port"`.
    Url(loadgen_http::Proxy),
    /// `proxy = "env"`: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` when the run starts.
    Env,
}

impl ProxySpec {
    /// The proxy for a target `host` (`tls`: `https://` or `wss://`), reading the environment
    /// through `env` for [`ProxySpec::Env`].
    pub fn resolve(
        &self,
        host: &str,
        tls: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<loadgen_http::Proxy>, loadgen_http::HttpError> {
        match self {
            ProxySpec::Direct => Ok(None),
            ProxySpec::Url(p) => Ok(Some(p.clone())),
            ProxySpec::Env => loadgen_http::Proxy::from_env(host, tls, env),
        }
    }
}

/// The process environment, for `proxy = "env"`.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
